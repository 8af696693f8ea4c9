//! Issue 15 item 3: SIGTERM and SIGHUP stop `timport run` like Ctrl-C (no new requests, the
//! answers in flight awaited, `run_finished` and the summary written, the ledger says
//! "interrupted", exit 130), and a second signal stops at once but still records the run as
//! interrupted. Each run is then resumed to the end: every message once, in order.

mod run_support;
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use run_support::*;

/// Sends `signal` (a `kill` name) to the child.
fn kill(child: &Child, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The child's stderr, line by line, on a channel (read on a thread of its own).
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().expect("stderr piped");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for a stderr line holding `needle`; returns every line read so far.
fn wait_for(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen.iter().any(|l| l.contains(needle)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no {needle:?} on stderr: {seen:#?}"),
        }
    }
}

/// Starts a `--json` run, sends it `signals` (each after the previous was heard), and checks the
/// ledger and the JSON; then resumes the run to its end. `in_flight_ok`: a stop at once may leave
/// requests in flight (settled on resume).
async fn stop_with(signals: &[&str], latency: Duration, in_flight_ok: bool) {
    let mut config = sandbox_config(2);
    config.latency = latency;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let started = timport::clock::unix_now();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 2, 100);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--json", "--rate", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let lines = stderr_lines(&mut child);
    until_sending(&sandbox, 3).await;
    let mut seen = Vec::new();
    for (i, signal) in signals.iter().enumerate() {
        kill(&child, signal);
        let heard = if i == 0 {
            "stopping: no new requests"
        } else {
            "stopping at once"
        };
        tokio::task::block_in_place(|| wait_for(&lines, &mut seen, heard));
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let rest: Vec<String> = lines.try_iter().collect();
    seen.extend(rest);
    let err = seen.join("\n");
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted by the operator"), "{err}");

    // The JSON ends with run_finished, its summary and exit code 130.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("JSON lines")).unwrap();
    assert_eq!(last["event"], "run_finished", "{last}");
    assert_eq!(last["exit_code"], 130, "{last}");
    assert!(last["summary"].is_object(), "{last}");

    let conn = rusqlite::Connection::open(ledger_of(home.path())).unwrap();
    let (open, status, exit): (i64, String, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM requests WHERE state = 'in_flight'), status, exit_code FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), exit), ("interrupted", 130));
    if !in_flight_ok {
        assert_eq!(open, 0, "the answers in flight were awaited");
    }
    assert!(sandbox.stats().messages_imported < 200, "it stopped early");
    // An unattended run's log says why it stopped.
    let log = log_since(home.path(), started);
    assert!(log.contains("stopping: no new requests"), "{log}");

    let mut again = timport(home.path(), &sandbox);
    again
        .arg("run")
        .arg(&staging)
        .args(["--yes", "--rate", "100"])
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || again.output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert_exactly_once(&sandbox, &texts, &ledger_of(home.path()), "after a signal");
    assert_eq!(sandbox.stats().duplicates_dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_run_like_ctrl_c() {
    stop_with(&["TERM"], Duration::from_millis(300), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_a_run_like_ctrl_c() {
    stop_with(&["HUP"], Duration::from_millis(300), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_still_records_the_run_interrupted() {
    // Answers take long: the second signal does not wait for them.
    stop_with(&["TERM", "INT"], Duration::from_secs(3), true).await;
}
