//! Issue 15 item 6: a lost ledger with a long history already in the group. 1,200 messages of
//! a group were imported by a run whose ledger is then lost; a new run of the staging (now 1,400
//! messages) reads the group back as far as its unsent messages reach before judging any: it
//! imports nothing twice, marks nothing failed, and sends the 200 others.

mod run_support;
mod support;

use std::process::Stdio;

use run_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_run_after_a_lost_ledger_finds_1200_messages_and_sends_only_the_rest() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 1_200);
    let run = |home: &std::path::Path| {
        let mut cmd = timport(home, &sandbox);
        cmd.arg("run")
            .arg(&staging)
            .args(["--yes", "--json", "--rate", "200"])
            .stdin(Stdio::null());
        cmd
    };
    let mut first = run(home.path());
    let out = tokio::task::spawn_blocking(move || first.output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out).1);
    assert_eq!(sandbox.messages("g0").len(), 1_200);

    // The ledger is lost; the staging grows by 200 later messages.
    std::fs::remove_dir_all(home.path().join("data")).unwrap();
    let texts = write_staging(&staging, 1, 1_400);
    let sent_before = sandbox.stats().messages_imported;
    let mut second = run(home.path());
    let out = tokio::task::spawn_blocking(move || second.output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let totals = &last["summary"]["totals"];
    assert_eq!(totals["failed"], 0, "nothing marked failed: {last}");
    assert_eq!(totals["done"], 1_400, "{last}");
    assert_eq!(
        sandbox.stats().messages_imported - sent_before,
        200,
        "only the 200 new ones were sent"
    );
    assert!(
        sandbox.stats().message_refusals.is_empty(),
        "nothing refused"
    );
    assert_eq!(sandbox.stats().duplicates_dropped, 0);
    assert_exactly_once(
        &sandbox,
        &texts,
        &ledger_of(home.path()),
        "after a lost ledger",
    );
}
