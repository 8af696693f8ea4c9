//! A console that launches a run to outlive it (`b` on the start question): the run is a
//! `timport run` of its own (its own session, the key in its environment and never on its
//! command line), the console attaches to it, and a hangup of the console's terminal (the tmux
//! server killed) leaves the run going; decided from a shell, it finishes with exactly what was
//! decided. In a real terminal (a private tmux server).

mod run_support;
mod support;
mod tmux_support;

use std::time::{Duration, Instant};

use run_support::*;
use tmux_support::Tmux;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_launched_to_outlive_the_console_survives_its_hangup_and_finishes() {
    let mut config = sandbox_config(1);
    config.max_message_bytes = 1000;
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let staging = dir.path().join("staging");
    let texts = write_long_group(&staging);
    let data = dir.path().join("data");
    let ledger = data.join("ledger.sqlite3");
    let mut env = key_file_env(&sandbox, dir.path()).to_vec();
    env.push(("TIMPORT_DATA_DIR", data.display().to_string()));
    let args = format!("--staging {}", staging.display());
    let t = tokio::task::spawn_blocking(move || {
        let t = Tmux::start_with(&env, &args);
        t.import_all("Groups · 1 in the app", &[("b", "the run keeps going")]);
        // Attached to the run it started, paused at the refused messages.
        t.wait_until("attached and paused", |s| {
            s.contains("attached to run 1") && s.contains("‖ paused")
        });
        t
    })
    .await
    .expect("the terminal session");

    // The run is a `timport run` of its own, and its command line holds no secret.
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("ledger.sqlite3.lock")).expect("the lock"),
    )
    .expect("the holder");
    assert_eq!(lock["command"], "timport run", "{lock}");
    let pid = lock["pid"].as_u64().expect("a pid");
    let argv = std::fs::read(format!("/proc/{pid}/cmdline")).expect("the run's command line");
    let argv = String::from_utf8_lossy(&argv).replace('\0', " ");
    assert!(
        argv.contains(" run ") && argv.contains("--wait-for-decisions"),
        "{argv}"
    );
    assert!(
        !argv.contains(KEY),
        "the key is on the command line: {argv}"
    );
    // SAFETY: asking for a process's session id.
    let (run_sid, own_sid) = unsafe { (libc::getsid(pid as i32), libc::getsid(0)) };
    assert_eq!(run_sid, pid as i32, "the run leads a session of its own");
    assert_ne!(run_sid, own_sid);

    // The console's terminal goes away (SIGHUP): the run goes on.
    drop(t);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // SAFETY: signal 0 only asks whether the process exists.
    assert_eq!(
        unsafe { libc::kill(pid as i32, 0) },
        0,
        "the run died with the console"
    );
    let socket = timport::engine::attach::socket_path(&ledger);
    assert!(socket.exists(), "the run still serves its socket");

    // Decided from a shell, it finishes with exactly that.
    let mut decide = support::binary::timport_command(dir.path());
    decide
        .env("TIMPORT_DATA_DIR", data.display().to_string())
        .args([
            "decide", "1", "--code", "80002", "--skip", "--reason", "too long",
        ])
        .env("USER", "night-shift");
    let out = output(decide).await;
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let deadline = Instant::now() + tmux_support::PATIENCE;
    let status = loop {
        let conn = rusqlite::Connection::open(&ledger).unwrap();
        let status: String = conn
            .query_row("SELECT status FROM runs", [], |r| r.get(0))
            .unwrap();
        if status != "running" {
            break status;
        }
        assert!(Instant::now() < deadline, "the run did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_ne!(status, "interrupted", "nothing stopped it");
    assert_all_but_lines_5_to_7_landed(&sandbox, &texts);
    assert_skipped_lines_5_to_7(&ledger, "too long");
    // Its output went to a file of its own beside the ledger, private.
    let outs: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
        .collect();
    assert_eq!(outs.len(), 1, "{outs:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = outs[0].metadata().unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
