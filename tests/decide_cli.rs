//! `timport decide` through the real binary: with no run going, one decision about every
//! message of a run refused with a code is recorded per message (operator and reason) and the
//! next `timport run` resumes with it; while a holder that serves no control socket (a
//! console's run) holds the ledger, it refuses (exit 3). A live `timport run`: tests/attach_cli.rs.

mod run_support;
mod support;

use std::path::Path;
use std::process::Stdio;

use run_support::*;
use timport::sandbox::SandboxHandle;

async fn output(mut cmd: std::process::Command) -> (Option<i32>, String) {
    cmd.stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    (out.status.code(), text(&out).1)
}

async fn run(home: &Path, sandbox: &SandboxHandle, staging: &Path) -> (Option<i32>, String) {
    let mut cmd = timport(home, sandbox);
    cmd.arg("run")
        .arg(staging)
        .args(["--yes", "--on-message-error", "pause"]);
    output(cmd).await
}

fn decide(home: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = support::binary::timport_command(home);
    cmd.arg("decide").args(args).env("USER", "night-shift");
    cmd
}

async fn stopped_at_line_5() -> (
    SandboxHandle,
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<String>,
) {
    let (sandbox, home, staging, texts) = long_group_refused().await;
    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("g0.jsonl line 5"), "{err}");
    (sandbox, home, staging, texts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_skip_with_no_run_going_is_recorded_per_message_and_the_next_run_resumes_with_it() {
    let (sandbox, home, staging, texts) = stopped_at_line_5().await;
    let (code, err) = output(decide(
        home.path(),
        &[
            "1",
            "--code",
            "80002",
            "--skip",
            "--reason",
            "too long, agreed with the owner",
        ],
    ))
    .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("run 1: 3 message(s) refused with code 80002 in every group skipped"),
        "{err}"
    );
    assert_skipped_lines_5_to_7(&ledger_of(home.path()), "too long, agreed with the owner");

    // Deciding again finds nothing left refused with that code.
    let (code, err) = output(decide(
        home.path(),
        &["1", "--code", "80002", "--skip", "--reason", "again"],
    ))
    .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("nothing decided"), "{err}");

    // The next run resumes with the decisions: everything else lands, the three stay skipped.
    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(1), "finished with skipped messages: {err}");
    assert_all_but_lines_5_to_7_landed(&sandbox, &texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_retry_makes_the_messages_pending_and_a_group_filter_narrows_it() {
    let (_sandbox, home, _staging, _) = stopped_at_line_5().await;
    let (code, err) = output(decide(
        home.path(),
        &["1", "--code", "80002", "--group", "other", "--retry"],
    ))
    .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("in group other"), "{err}");
    assert!(err.contains("nothing decided"), "{err}");
    let (code, err) = output(decide(
        home.path(),
        &["1", "--code", "80002", "--group", "g0", "--retry"],
    ))
    .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("3 message(s)"), "{err}");
    let conn = rusqlite::Connection::open(ledger_of(home.path())).unwrap();
    let pending: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages WHERE state = 'pending' AND line BETWEEN 5 AND 7",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decide_refuses_while_a_run_holds_the_ledger_and_asks_for_a_clear_decision() {
    let (_sandbox, home, _staging, _) = stopped_at_line_5().await;
    let ledger = ledger_of(home.path());
    let lock = timport::engine::ledger::lock::LedgerLock::acquire(&ledger, "timport run").unwrap();
    let (code, err) = output(decide(home.path(), &["1", "--code", "80002", "--retry"])).await;
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("in use by another timport"), "{err}");
    assert!(
        err.contains("takes its decisions from its console"),
        "{err}"
    );
    drop(lock);
    for (args, words) in [
        (
            &["1", "--code", "80002", "--skip"][..],
            "--skip needs --reason",
        ),
        (&["1", "--code", "80002"][..], "say what to do"),
        (
            &["1", "--code", "80002", "--retry", "--reason", "x"][..],
            "--reason goes with --skip",
        ),
        (&["7", "--code", "80002", "--retry"][..], "has no run 7"),
    ] {
        let (code, err) = output(decide(home.path(), args)).await;
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    let decided: i64 = conn
        .query_row("SELECT count(*) FROM decisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decided, 0, "nothing was decided");
}
