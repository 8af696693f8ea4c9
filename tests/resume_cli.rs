//! Reproduction 3 of issue 9 through the real binary: fix the staged file, run again. A run that
//! stopped at a truncated line (`--on-message-error pause`) resumes after the line is fixed in
//! the file: every message lands in order and nothing is refused, and `run` says what changed.
//! A message that landed and then changed in the file, or is gone from it, is refused with its
//! file and line.

mod run_support;
mod support;

use std::path::Path;
use std::process::Stdio;

use run_support::*;
use timport::sandbox::SandboxHandle;

fn lines_of(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(file: &Path, lines: &[String]) {
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

async fn run(home: &Path, sandbox: &SandboxHandle, staging: &Path) -> (Option<i32>, String) {
    let mut cmd = timport(home, sandbox);
    cmd.arg("run")
        .arg(staging)
        .args(["--yes", "--on-message-error", "pause"])
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    (out.status.code(), text(&out).1)
}

fn stored(sandbox: &SandboxHandle) -> Vec<String> {
    stored_texts(sandbox, "g0")
}

/// A strict-time sandbox and a 40-line group whose line 21 is cut short; the first run imports
/// lines 1-20 and stops at line 21. Returns the texts, the file and line 21 as it should be.
async fn stopped_at_line_21() -> (
    SandboxHandle,
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<String>,
    String,
) {
    let mut config = sandbox_config(1);
    config.strict_time = timport::sandbox::StrictTime::AcrossRequests;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 1, 40).remove(0);
    let file = staging.join("g0.jsonl");
    let mut lines = lines_of(&file);
    let whole = lines[20].clone();
    let cut = lines[20].find("\"MsgBody\"").expect("a MsgBody") + 12;
    lines[20].truncate(cut);
    write_lines(&file, &lines);
    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("g0: stopped at g0.jsonl line 21"), "{err}");
    assert_eq!(stored(&sandbox), texts[..20]);
    (sandbox, home, staging, texts, whole)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixing_the_line_in_the_file_and_running_again_lands_everything_in_order() {
    let (sandbox, home, staging, texts, whole) = stopped_at_line_21().await;
    let file = staging.join("g0.jsonl");
    let mut lines = lines_of(&file);
    lines[20] = whole;
    write_lines(&file, &lines);

    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("g0.jsonl changed since run 1"), "{err}");
    assert!(
        err.contains("g0.jsonl:21 changed in the staged files (it was invalid): planned again"),
        "{err}"
    );
    assert_eq!(stored(&sandbox), texts, "every line once, in order");
    assert!(
        sandbox.stats().message_refusals.is_empty(),
        "nothing refused"
    );
    assert_exactly_once(
        &sandbox,
        std::slice::from_ref(&texts),
        &ledger_of(home.path()),
        "after the fix",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_landed_message_changed_in_the_file_is_refused_with_its_file_and_line() {
    let (sandbox, home, staging, texts, whole) = stopped_at_line_21().await;
    let file = staging.join("g0.jsonl");
    let mut lines = lines_of(&file);
    lines[20] = whole;
    lines[4] = lines[4].replace("g0 line 4", "g0 line 4, reworded");
    write_lines(&file, &lines);

    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("g0.jsonl:5 changed in the staged files after it landed"),
        "{err}"
    );
    assert!(err.contains("--new-run"), "{err}");
    assert_eq!(stored(&sandbox), texts[..20], "nothing more was sent");
    assert!(sandbox.stats().message_refusals.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_messages_gone_from_the_file_are_refused_with_their_file_and_line() {
    let (sandbox, home, staging, texts, _) = stopped_at_line_21().await;
    let file = staging.join("g0.jsonl");
    let lines = lines_of(&file);
    write_lines(&file, &lines[..15]);

    let (code, err) = run(home.path(), &sandbox, &staging).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("5 message(s) already imported or decided are no longer at their places: g0.jsonl:16 (landed)"),
        "{err}"
    );
    assert_eq!(stored(&sandbox), texts[..20], "nothing more was sent");
}
