//! Issue 15 item 3, the console: SIGTERM (and SIGHUP, the same path) to a console with a run going
//! stops the run cleanly (answers in flight awaited, the ledger says "interrupted", nothing left
//! in flight) and gives the terminal back. In a real terminal (a private tmux server; CI installs
//! tmux).

mod run_support;
mod support;
mod tmux_support;

use std::time::{Duration, Instant};

use run_support::{key_file_env, sandbox_config, start, until_sending, write_staging};
use timport::sandbox::SandboxHandle;
use tmux_support::Tmux;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_a_console_with_a_run_going_stops_it_cleanly_and_restores_the_terminal() {
    let mut config = sandbox_config(1);
    config.latency = Duration::from_millis(300);
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_staging(&dir.path().join("staging"), 1, 600);
    let (t, data) = launch_every_group(&sandbox, dir.path(), "Groups · 1 in the app").await;
    let ledger = data.join("ledger.sqlite3");
    until_sending(&sandbox, 2).await;
    // The run's holder names itself in the ledger's lock: that is the console's pid.
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("ledger.sqlite3.lock")).expect("the lock"),
    )
    .expect("the holder");
    assert_eq!(lock["command"], "timport console");
    let pid = lock["pid"].as_u64().expect("a pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());

    // The run ends recorded as interrupted, nothing left in flight.
    assert_eq!(run_end(&ledger).await, ("interrupted".into(), 0));
    // The terminal is given back: the console's screen is gone (the shell's is back).
    let screen = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = t.screen();
            if !screen.contains("Run 1") && !screen.contains("Groups") {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the console still shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap();
    assert!(!screen.contains("Preview"), "{screen}");
    assert!(sandbox.stats().messages_imported < 600, "it stopped early");
}

/// Issue 14: the terminal of a console that launched a run goes away (a dropped SSH session:
/// SIGHUP, and a terminal that takes no more output). Nothing is lost: the run stops cleanly
/// (answers in flight awaited and recorded), and `timport run` resumes it to exactly every
/// message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_terminal_stops_the_consoles_run_cleanly_and_a_resume_lands_each_message_once() {
    let mut config = sandbox_config(2);
    config.latency = Duration::from_millis(200);
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let staging = dir.path().join("staging");
    let texts = write_staging(&staging, 2, 150);
    let (t, data) = launch_every_group(&sandbox, dir.path(), "Groups · 2 in the app").await;
    let ledger = data.join("ledger.sqlite3");
    until_sending(&sandbox, 3).await;
    tokio::task::spawn_blocking(move || t.hang_up())
        .await
        .expect("the hang-up");

    // The run ends recorded as interrupted, its answers in flight recorded.
    assert_eq!(run_end(&ledger).await, ("interrupted".into(), 0));
    let before = sandbox.stats().messages_imported;
    assert!(before < 300, "it stopped early ({before} imported)");

    // The console is gone, and its lock with it: `timport run` takes the run up.
    let home = dir.path().join("home");
    let mut resume = run_support::timport(&home, &sandbox);
    resume
        .env("TIMPORT_DATA_DIR", &data)
        .args(["run", "--yes"])
        .arg(&staging);
    let out = run_support::output(resume).await;
    let (stdout, stderr) = run_support::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("resuming run 1"), "{stderr}");
    run_support::assert_exactly_once(&sandbox, &texts, &ledger, "after the hang-up");
    assert_eq!(
        sandbox.stats().duplicates_dropped,
        0,
        "nothing was sent twice"
    );
}

/// Starts the console in a terminal on `dir`'s staging, with `dir/data` as its data directory
/// (the ledger: this test's own, the last setting wins) at 5 requests/s, waits for `groups` (the
/// Groups title), and imports every staged group (4, A, y). The session and the data directory.
async fn launch_every_group(
    sandbox: &SandboxHandle,
    dir: &std::path::Path,
    groups: &'static str,
) -> (Tmux, std::path::PathBuf) {
    let data = dir.join("data");
    let mut env = key_file_env(sandbox, dir).to_vec();
    env.push(("TIMPORT_DATA_DIR", data.display().to_string()));
    env.push(("TIMPORT_RATE", "5".into()));
    let args = format!("--staging {}", dir.join("staging").display());
    let t = tokio::task::spawn_blocking(move || {
        let t = Tmux::start_with(&env, &args);
        t.import_all(groups, &[]);
        t
    })
    .await
    .expect("the terminal session");
    (t, data)
}

/// Waits (up to PATIENCE) for the run to stop running; its status and requests still in flight.
async fn run_end(ledger: &std::path::Path) -> (String, i64) {
    let deadline = Instant::now() + tmux_support::PATIENCE;
    loop {
        let conn = rusqlite::Connection::open(ledger).unwrap();
        let row: (String, i64) = conn
            .query_row(
                "SELECT status, (SELECT count(*) FROM requests WHERE state = 'in_flight') FROM runs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        if row.0 != "running" || Instant::now() > deadline {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
