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
