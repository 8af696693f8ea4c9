//! Reproduction 2 of issue 9 through the real binary: `timport run --on-message-error pause` on a
//! group in time order with one truncated line in the middle imports every line before it and
//! stops at it (before the fix, the unreadable line sorted first and nothing was imported).

mod run_support;
mod support;

use std::process::Stdio;

use run_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_pause_imports_the_lines_before_a_truncated_line_and_stops_at_it() {
    let mut config = sandbox_config(1);
    config.strict_time = timport::sandbox::StrictTime::AcrossRequests;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 1, 40);
    // Line 21 cut short inside its MsgBody, as an export that broke off leaves it.
    let file = staging.join("g0.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let cut = lines[20].find("\"MsgBody\"").expect("a MsgBody") + 12;
    lines[20].truncate(cut);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--on-message-error", "pause"])
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("g0: stopped at g0.jsonl line 21"), "{err}");
    let stored: Vec<String> = sandbox
        .messages("g0")
        .iter()
        .map(|m| m.body[0].summary())
        .collect();
    assert_eq!(stored, texts[0][..20], "lines 1-20 are in, in order");
    assert!(sandbox.stats().message_refusals.is_empty());
}
