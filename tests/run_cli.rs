//! `timport run` through the real binary against the in-process sandbox: the JSON event stream
//! and exit codes, confirmation, option checks, resume and changed files, and secrets kept out
//! of every output.

mod run_support;
mod support;

use std::process::{Output, Stdio};

use run_support::*;
use serde_json::Value;

async fn output(mut cmd: std::process::Command) -> Output {
    cmd.stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_no_secret(out: &Output) {
    let (o, e) = text(out);
    for shown in [o, e] {
        assert!(!shown.contains(&KEY[..16]), "the key leaked: {shown}");
        assert!(
            !shown.contains("usersig="),
            "a UserSig may have leaked: {shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_prints_one_json_event_per_line_and_exits_0() {
    let sandbox = start(sandbox_config(2)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 2, 20);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).args(["--yes", "--json"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_no_secret(&out);
    let events = events(&out);
    assert_eq!(events[0]["event"], "run_started");
    assert_eq!(events[0]["targets"].as_array().unwrap().len(), 2);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["exit_code"], 0);
    assert_eq!(last["summary"]["totals"]["done"], 40);
    let done = events
        .iter()
        .filter(|e| e["event"] == "message_result" && e["outcome"]["state"] == "done")
        .count();
    assert_eq!(done, 40);
    assert_exactly_once(&sandbox, &texts, &ledger_of(home.path()), "json run");
    // The ledger (with its WAL, if still there) never holds the key.
    for suffix in ["", "-wal"] {
        let path = ledger_of(home.path()).with_file_name(format!("ledger.sqlite3{suffix}"));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if suffix == "-wal" && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{}",
            path.display()
        );
    }
    let (_, err) = text(&out);
    assert!(err.contains("starting run 1"), "{err}");
    assert!(err.contains("40 of 40 message(s) imported"), "{err}");

    // Again: the same run, nothing left to send.
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).args(["--yes", "--json"]);
    let again = output(cmd).await;
    assert_eq!(again.status.code(), Some(0));
    let events = self::events(&again);
    assert_eq!(events[0]["resumed"], true);
    assert!(!events.iter().any(|e| e["event"] == "batch_sent"));
    assert_eq!(sandbox.stats().requests["import_group_msg"], 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_and_missing_confirmation_exit_2_before_anything_is_sent() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 3);
    // A .json file whose structure breaks off hides messages: refused until fixed.
    let broken = home.path().join("broken");
    write_staging(&broken, 1, 3);
    std::fs::write(
        broken.join("g0-more.json"),
        r#"[{"GroupId": "g0", "From_Account": "a","#,
    )
    .unwrap();
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&broken).arg("--yes");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("not about one message"),
        "{:?}",
        text(&out)
    );
    assert!(text(&out).1.contains("g0-more.json"), "{:?}", text(&out));

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--yes", "--rate", "201"], "--rate 201 is out of range"),
        (vec!["--yes", "--lanes", "0"], "--lanes must be at least 1"),
        (
            vec!["--yes", "--group", "nope"],
            "no staged messages for group nope",
        ),
        (vec![], "Add --yes"),
    ];
    for (args, expected) in cases {
        let mut cmd = timport(home.path(), &sandbox);
        cmd.arg("run").arg(&staging).args(&args);
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", text(&out));
        assert!(
            text(&out).1.contains(expected),
            "{args:?}: {:?}",
            text(&out)
        );
    }
    // Nothing was written: the one call made is the round trip measured for the expected
    // duration (a read of one group id), and only where the options were good.
    let requests = sandbox.stats().requests;
    assert!(
        requests.keys().all(|k| k == "get_appid_group_list"),
        "nothing was sent: {requests:?}"
    );
}

/// Issue 10: the confirmation says how long the run must take at the least, naming the group
/// that sets it, with the round trip measured just now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_shows_the_expected_duration_with_the_measured_round_trip() {
    let sandbox = start(sandbox_config(3)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 3, 10);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    let stderr = text(&out).1;
    assert!(
        stderr.contains("Expected duration: under a second (6 requests at 180/s); the largest group, g0, 10 messages, needs "),
        "{stderr}"
    );
    assert!(
        stderr.contains(" round trip measured now.\nRefusing to write"),
        "{stderr}"
    );
    assert_eq!(
        sandbox.stats().requests.get("get_appid_group_list"),
        Some(&1)
    );
    assert_eq!(sandbox.stats().requests.get("import_group_msg"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_staged_file_resumes_while_what_landed_is_unchanged() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 10);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--group", "g0"]);
    assert_eq!(output(cmd).await.status.code(), Some(0));
    // More history appears in the file afterwards: the run resumes and sends it.
    write_staging(&staging, 1, 12);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let resumed = output(cmd).await;
    assert_eq!(resumed.status.code(), Some(0), "{:?}", text(&resumed));
    assert!(
        text(&resumed).1.contains("g0.jsonl changed since run 1"),
        "{:?}",
        text(&resumed)
    );
    assert_eq!(sandbox.messages("g0").len(), 12);
    // A landed message rewritten in the file stops its lane, naming it.
    let file = staging.join("g0.jsonl");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replacen("g0 line 0", "g0 line zero", 1)).unwrap();
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let refused = output(cmd).await;
    assert_eq!(refused.status.code(), Some(1), "{:?}", text(&refused));
    assert!(
        text(&refused)
            .1
            .contains("g0.jsonl:1 changed in the staged files after it landed"),
        "{:?}",
        text(&refused)
    );
    std::fs::write(&file, original).unwrap();
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--new-run", "--json"]);
    let fresh = output(cmd).await;
    assert_eq!(fresh.status.code(), Some(0), "{:?}", text(&fresh));
    let events = events(&fresh);
    assert_eq!(events[0]["run_id"], 2);
    assert_eq!(
        sandbox.messages("g0").len(),
        12,
        "the new run found the twelve in the group"
    );
    assert_eq!(sandbox.stats().duplicates_dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_exits_1_and_an_unrecoverable_error_exits_3() {
    let mut config = sandbox_config(1);
    config.max_message_bytes = 150;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 5);
    let long = serde_json::json!({"From_Account": "user0", "SendTime": BASE_TIME + 1_000,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x".repeat(200)}}]});
    let mut file = std::fs::read_to_string(staging.join("g0.jsonl")).unwrap();
    file.push_str(&format!("{long}\n"));
    std::fs::write(staging.join("g0.jsonl"), file).unwrap();
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--on-message-error", "skip"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let (_, err) = text(&out);
    assert!(err.contains("skipped: auto-skipped: 80002"), "{err}");
    assert_eq!(sandbox.messages("g0").len(), 5);

    // A wrong SDKAppID: the sandbox does not know it (70020, a region problem): exit 3.
    let mut cmd = timport(home.path(), &sandbox);
    cmd.env("TIMPORT_SDKAPPID", "1400000999")
        .arg("run")
        .arg(&staging)
        .args(["--yes", "--new-run"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    assert!(text(&out).1.contains("70020"), "{:?}", text(&out));
    assert_no_secret(&out);
}
