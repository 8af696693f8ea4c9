//! Nothing lost, nothing doubled: the real `timport run` killed with SIGKILL at random moments
//! and run again until it finishes, with and without injected faults; then the sandbox holds
//! every staged message exactly once, in order, and the ledger agrees.

mod run_support;
mod support;

use std::process::Stdio;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use run_support::*;
use timport::sandbox::{FaultConfig, FaultKind};

/// Runs `timport run` killing it after random delays, `kills` times, then lets it finish.
async fn kill_and_rerun(seed: u64, faults: bool) {
    let mut config = sandbox_config(3);
    config.latency = Duration::from_millis(15);
    if faults {
        config.faults = FaultConfig {
            rate: 0.10,
            kinds: vec![
                FaultKind::ErrorCode(10002),
                FaultKind::Http5xx(502),
                FaultKind::Http5xxAfterCommit,
                FaultKind::DropBeforeCommit,
                FaultKind::DropAfterCommit,
                FaultKind::StallAfterCommit(Duration::from_millis(300)),
            ],
            command: None,
            seed: Some(seed),
        };
    }
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 3, 210);
    let mut rng = StdRng::seed_from_u64(seed);
    let args = |cmd: &mut std::process::Command| {
        cmd.arg("run")
            .arg(&staging)
            .args(["--yes", "--rate", "40", "--settle-delay", "0.2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
    };
    let mut kills = 0;
    for _ in 0..4 {
        let mut cmd = timport(home.path(), &sandbox);
        args(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let delay = rng.random_range(200..1100);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
    }
    let mut finished = None;
    for _ in 0..6 {
        let mut cmd = timport(home.path(), &sandbox);
        args(&mut cmd);
        let output = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        if output.status.code() == Some(0) {
            finished = Some(output);
            break;
        }
        eprintln!(
            "seed {seed}: rerun ended with {:?}: {}",
            output.status,
            text(&output).1
        );
    }
    assert!(finished.is_some(), "seed {seed}: the run never finished");
    assert!(
        kills >= 2,
        "seed {seed}: the process was killed mid-run ({kills} times)"
    );
    assert_exactly_once(
        &sandbox,
        &texts,
        &ledger_of(home.path()),
        &format!("seed {seed}"),
    );
    assert_eq!(
        sandbox.stats().duplicates_dropped,
        0,
        "seed {seed}: a message that had landed was sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_and_rerun_nothing_is_lost_or_doubled() {
    for seed in [11, 2024] {
        kill_and_rerun(seed, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_rerun_with_ten_percent_faults_nothing_is_lost_or_doubled() {
    for seed in [5, 77] {
        kill_and_rerun(seed, true).await;
    }
}

/// The ledger's rule at any kill: every message the group holds is recorded as sent (done, in
/// flight or unknown: never pending or unheard of), and every message recorded done is in the
/// group. Messages are told apart by their `SendTime` (one per second in `write_staging`).
fn assert_recorded_before_sent(
    sandbox: &timport::sandbox::SandboxHandle,
    ledger: &std::path::Path,
    what: &str,
) {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    let states: std::collections::HashMap<i64, String> = conn
        .prepare("SELECT send_time, state FROM messages")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let stored: std::collections::HashSet<i64> =
        sandbox.messages("g0").iter().map(|m| m.time).collect();
    for time in &stored {
        let state = states.get(time).map(String::as_str);
        assert!(
            matches!(state, Some("done" | "in_flight" | "unknown")),
            "{what}: the message at {time} is in the group but the ledger has it as {state:?}"
        );
    }
    for (time, state) in &states {
        if state == "done" {
            assert!(
                stored.contains(time),
                "{what}: the message at {time} is done in the ledger but not in the group"
            );
        }
    }
}

/// A lane commits a landed answer with its next request's record (one transaction), so a kill
/// right after an answer arrives leaves that request in flight in the ledger although it
/// landed: the rerun must settle it by reading back, never send it again. The kills aim just
/// after the k-th answer (the sandbox stores a request when it arrives and answers it after its
/// latency); wherever they land, the rule holds at each kill and the rerun imports each
/// message exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_right_after_answers_arrive_and_rerun_nothing_is_lost_or_doubled() {
    let latency = Duration::from_millis(30);
    let mut config = sandbox_config(1);
    config.latency = latency;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 1, 140);
    let args = |cmd: &mut std::process::Command| {
        cmd.arg("run")
            .arg(&staging)
            .args(["--yes", "--settle-delay", "0.2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
    };
    let imports = |s: &timport::sandbox::SandboxHandle| {
        s.stats()
            .requests
            .get("import_group_msg")
            .copied()
            .unwrap_or(0)
    };
    let mut kills = 0;
    for (round, offset_us) in [0u64, 300, 700, 1500].into_iter().enumerate() {
        let mut cmd = timport(home.path(), &sandbox);
        args(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        // Two more requests than the sandbox had seen: the second is this process's own.
        let target = imports(&sandbox) + 2;
        let started = std::time::Instant::now();
        while imports(&sandbox) < target && started.elapsed() < Duration::from_secs(30) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        tokio::time::sleep(latency + Duration::from_micros(offset_us)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
        assert_recorded_before_sent(&sandbox, &ledger_of(home.path()), &format!("kill {round}"));
    }
    let mut cmd = timport(home.path(), &sandbox);
    args(&mut cmd);
    let finished = output(cmd).await;
    assert_eq!(finished.status.code(), Some(0), "{}", text(&finished).1);
    assert!(kills >= 2, "the process was killed mid-run ({kills} times)");
    assert_exactly_once(
        &sandbox,
        &texts,
        &ledger_of(home.path()),
        "after kills at answers",
    );
    assert_eq!(
        sandbox.stats().duplicates_dropped,
        0,
        "a message that had landed was sent again"
    );
}
