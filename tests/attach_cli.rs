//! A run reached from other processes through its control socket (`engine::attach`), through
//! the real binaries: `timport decide` reaches a live `timport run` paused on a refused code,
//! `timport watch` follows a run to its end, and detaching leaves the run going.

mod run_support;
mod support;

use std::io::BufReader;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use run_support::*;

fn socket_of(home: &Path) -> PathBuf {
    timport::engine::attach::socket_path(&ledger_of(home))
}

async fn output(mut cmd: std::process::Command) -> (Option<i32>, String, String) {
    cmd.stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decide_reaches_a_live_run_paused_on_a_refused_code_and_the_run_finishes_with_them_skipped()
{
    let (sandbox, home, staging, texts) = long_group_refused().await;
    let mut run = Running::spawn(run_command(home.path(), &sandbox, &staging));
    run.wait_for("\"lane_paused\"").await;

    // The socket is there while the run goes, and private.
    let socket = socket_of(home.path());
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // A decision about another run is refused; the run goes on waiting.
    let mut decide = support::binary::timport_command(home.path());
    decide
        .args(["decide", "2", "--code", "80002", "--retry"])
        .env("USER", "night-shift");
    let (code, _, err) = output(decide).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is run 1, not run 2"), "{err}");
    assert!(run.still_going());

    let mut decide = support::binary::timport_command(home.path());
    decide
        .args([
            "decide",
            "1",
            "--code",
            "80002",
            "--skip",
            "--reason",
            "too long, agreed with the owner",
        ])
        .env("USER", "night-shift");
    let (code, _, err) = output(decide).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("run 1 (going): the run took it"), "{err}");
    assert!(err.contains("operator night-shift@"), "{err}");

    let (code, stdout, err) = run.end().await;
    assert_eq!(code, Some(1), "finished with skipped messages: {err}");
    assert!(stdout.contains("\"run_finished\""), "{stdout}");
    assert!(!socket.exists(), "the socket goes with the run");

    assert_all_but_lines_5_to_7_landed(&sandbox, &texts);
    assert_skipped_lines_5_to_7(&ledger_of(home.path()), "too long, agreed with the owner");
}

fn watch_command(home: &Path) -> std::process::Command {
    let mut cmd = support::binary::timport_command(home);
    cmd.arg("watch");
    cmd
}

fn skip_80002(home: &Path) -> std::process::Command {
    let mut cmd = support::binary::timport_command(home);
    cmd.args([
        "decide", "1", "--code", "80002", "--skip", "--reason", "too long",
    ])
    .env("USER", "night-shift");
    cmd
}

/// Everything the socket says to a raw reader until the run closes it.
fn read_socket(path: &Path) -> std::thread::JoinHandle<String> {
    let stream = std::os::unix::net::UnixStream::connect(path).unwrap();
    std::thread::spawn(move || {
        let mut all = String::new();
        use std::io::Read;
        let _ = BufReader::new(stream).read_to_string(&mut all);
        all
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_a_run_to_its_end_detaching_leaves_it_going_and_no_secret_crosses() {
    let mut config = sandbox_config(1);
    config.max_message_bytes = 1000;
    // Each request takes a while: the run is still going when the readers attach.
    config.latency = Duration::from_millis(50);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_long_group(&staging);
    let mut run = Running::spawn(run_command(home.path(), &sandbox, &staging));
    run.wait_for("\"lane_paused\"").await;
    let socket = socket_of(home.path());
    let raw = read_socket(&socket);

    // A watch that goes away (Ctrl-C) leaves the run going.
    let mut early = Running::spawn(watch_command(home.path()));
    early.wait_for("watching run 1").await;
    // SAFETY: signalling a child process of ours by its pid.
    let rc = unsafe { libc::kill(early.child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let (code, _, _) = early.end().await;
    assert_ne!(code, Some(0), "the view ended by Ctrl-C");
    assert!(run.still_going(), "the run goes on without its watcher");
    assert!(socket.exists());

    // A watch attached now sees the rest of the run and ends with its exit code.
    let mut watch = Running::spawn(watch_command(home.path()));
    watch.wait_for("watching run 1").await;
    let (code, _, err) = output(skip_80002(home.path())).await;
    assert_eq!(code, Some(0), "{err}");
    let (watch_code, watched, watch_err) = watch.end().await;
    let (run_code, run_stdout, run_err) = run.end().await;
    assert_eq!(run_code, Some(1), "skipped messages: {run_err}");
    assert_eq!(watch_code, run_code, "{watched}\n{watch_err}");
    assert!(
        watched.contains("g0.jsonl line 5") && watched.contains("skipped: too long"),
        "{watched}"
    );
    assert!(watched.contains("g0: done"), "{watched}");

    // The raw stream: the hello, the catch-up, then the events as --json prints them, then
    // the end.
    let raw = raw.join().unwrap();
    let first = raw.lines().next().unwrap();
    assert!(
        first.starts_with(r#"{"hello":{"protocol":2,"run_id":1"#),
        "{first}"
    );
    let second = raw.lines().nth(1).unwrap();
    assert!(second.starts_with(r#"{"catchup":{"#), "{second}");
    let events: Vec<&str> = raw
        .lines()
        .filter(|l| l.starts_with(r#"{"event""#))
        .collect();
    assert!(
        events.last().unwrap().contains(r#""event":"run_finished""#),
        "{raw}"
    );
    for event in &events {
        assert!(
            run_stdout.contains(event),
            "not as --json prints it: {event}"
        );
    }
    for text in [&raw, &watched, &run_stdout] {
        assert!(!text.contains(KEY), "the secret key crossed");
        assert!(
            !text.to_lowercase().contains("usersig"),
            "a UserSig crossed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_no_run_going_says_so() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, err) = output(watch_command(home.path())).await;
    assert_eq!(code, Some(3), "{stdout}{err}");
    assert!(
        err.contains("no `timport run` is going on this ledger"),
        "{err}"
    );
}
