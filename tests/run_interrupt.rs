//! Ctrl-C on `timport run`: it stops sending, waits for the answers in flight, leaves no request
//! in flight in the ledger, exits 130, and the same command finishes the job.

mod run_support;
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use run_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_and_the_run_resumes() {
    let mut config = sandbox_config(2);
    config.latency = Duration::from_millis(300);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 2, 140);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        // Slow (40 requests at 10/s): still sending when the signal comes, however busy the
        // machine.
        .args(["--yes", "--rate", "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let started = Instant::now();
    while sandbox
        .stats()
        .requests
        .get("import_group_msg")
        .copied()
        .unwrap_or(0)
        < 3
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run never started sending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(err.contains("stopping: no new requests"), "{err}");
    assert!(
        err.contains("stopped: interrupted by the operator"),
        "{err}"
    );
    let conn = rusqlite::Connection::open(ledger_of(home.path())).unwrap();
    let (open, status): (i64, String) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM requests WHERE state = 'in_flight'), (SELECT status FROM runs)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((open, status.as_str()), (0, "interrupted"));
    let imported_before = sandbox.stats().messages_imported;
    assert!(imported_before < 280, "it stopped before the end");

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
    assert_exactly_once(&sandbox, &texts, &ledger_of(home.path()), "after Ctrl-C");
    assert_eq!(sandbox.stats().duplicates_dropped, 0);
}
