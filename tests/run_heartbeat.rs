//! A headless `timport run` nobody watches on a terminal, through the real binary against the
//! in-process sandbox: a heartbeat line on stderr and a `progress` JSON event on each beat, a
//! `time` on every JSON line, and the same daily log file as the console (private, without
//! secrets, old days pruned to a bounded count). The beat is a minute; the test shortens it
//! with the binary's test-only variable, and the sandbox's latency keeps the run going for many
//! beats (nothing is asserted about how long anything took).

mod run_support;
mod support;

use std::time::Duration;

use run_support::*;
use serde_json::Value;

/// The binary's test-only beat (milliseconds).
const BEAT_ENV: &str = "TIMPORT_TEST_HEARTBEAT_MS";

/// `2026-12-06T13:05:09.120Z`
fn is_rfc3339_utc(time: &str) -> bool {
    let b = time.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && time
            .chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_the_run_beats_stamps_its_events_and_logs() {
    let mut config = sandbox_config(2);
    config.latency = Duration::from_millis(400);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let started = timport::clock::unix_now();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 2, 20);
    // Old days' logs from earlier runs: more than are kept.
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for day in 1..=20 {
        std::fs::write(data.join(format!("timport.2025-01-{day:02}.log")), "old\n").unwrap();
    }

    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--json"])
        .env(BEAT_ENV, "20")
        .env("RUST_LOG", "debug");
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_exactly_once(&sandbox, &texts, &ledger_of(home.path()), "heartbeat run");

    // Every JSON line has its time, in order; progress events go out between the others.
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["time"].as_str().unwrap_or_else(|| panic!("no time: {e}")))
        .collect();
    assert!(times.iter().all(|t| is_rfc3339_utc(t)), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(events[0]["event"], "run_started");
    assert_eq!(events.last().unwrap()["event"], "run_finished");
    let progress: Vec<&Value> = events.iter().filter(|e| e["event"] == "progress").collect();
    assert!(!progress.is_empty(), "{stdout}");
    for p in &progress {
        assert_eq!(p["total"], 40, "{p}");
        assert!(p["done"].as_u64().is_some_and(|d| d <= 40), "{p}");
        for window in ["1m", "15m", "60m"] {
            assert!(p["per_sec"][window].is_number(), "{p}");
        }
        for lanes in ["running", "paused", "stopped", "queued", "done"] {
            assert!(p["lanes"][lanes].is_u64(), "{p}");
        }
    }
    let dones: Vec<u64> = progress.iter().filter_map(|p| p["done"].as_u64()).collect();
    assert!(dones.windows(2).all(|w| w[0] <= w[1]), "{dones:?}");

    // The same beat on stderr, for people.
    let beats: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" messages (") && l.contains("msg/s"))
        .collect();
    assert_eq!(beats.len(), progress.len(), "{stderr}");
    assert!(
        beats[0].starts_with("timport: ") && beats[0].contains("/40 messages ("),
        "{stderr}"
    );
    assert!(
        beats[0].contains("(1 min)") && beats[0].contains("lanes "),
        "{stderr}"
    );

    // The log: the day's file, private, with the run's lines and no secret; old days pruned.
    let files = log_files(home.path());
    assert!(
        files.len() <= timport::cli::logging::LOG_FILES,
        "{} log files: {files:?}",
        files.len()
    );
    let log = log_since(home.path(), started);
    assert!(log.contains("timport run starting"), "{log}");
    assert!(log.contains("heartbeat: "), "{log}");
    assert!(log.contains("40 of 40 message(s) imported"), "{log}");
    assert!(log.contains("timport run ended"), "{log}");
    assert!(!log.contains(&KEY[..16]), "the key is in the log");
    assert!(
        !log.to_lowercase().contains("usersig="),
        "a UserSig may be in the log"
    );
    #[cfg(unix)]
    for file in &files {
        use std::os::unix::fs::PermissionsExt;
        if file.to_string_lossy().contains("timport.2025-") {
            continue; // the test's own old files
        }
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_json_the_heartbeat_goes_to_stderr_only() {
    let mut config = sandbox_config(1);
    config.latency = Duration::from_millis(300);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 5);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .arg("--yes")
        .env(BEAT_ENV, "20");
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    // The summary's lines stay lines (they were once printed with an escaped `\n`).
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("exit 0; `timport report 1`")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("timport: ") && l.contains("/5 messages (")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_refuses_to_start_says_why_in_the_log_too() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let started = timport::clock::unix_now();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 3);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging);
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Add --yes"), "{stderr}");
    let log = log_since(home.path(), started);
    assert!(log.contains("ERROR") && log.contains("Add --yes"), "{log}");
}
