//! The online checks against the sandbox: through the library, and through `timport validate`.

mod common;
mod support;

use std::path::Path;

use common::{ADMIN, APP, DEMO_KEY, client, start_seeded};
use timport::staging::online::check_online;
use timport::staging::{ProblemKind, ScanOptions, scan};

const SEED: &str = r#"{
  "accounts": ["alice", "bob"],
  "groups": [
    {"id": "ready", "type": "Public", "name": "Ready", "create_time": 1600000000},
    {"id": "busy", "type": "Private", "name": "Busy", "create_time": 1600000000,
     "messages": [{"from": "alice", "time": 1600000500,
                   "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "already here"}}]}]},
    {"id": "live", "type": "AVChatRoom", "name": "Live", "create_time": 1600000000},
    {"id": "@TGS#_club", "type": "Community", "name": "Club", "create_time": 1600000000,
     "topics": ["@TGS#_club@TOPIC#_news"]}
  ]
}"#;

fn line(from: &str, time: i64) -> String {
    format!(
        r#"{{"From_Account":"{from}","SendTime":{time},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"m"}}}}]}}"#
    )
}

fn staging_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, lines: &[String]| {
        std::fs::write(dir.path().join(name), lines.join("\n")).unwrap();
    };
    write(
        "ready.jsonl",
        &[line("alice", 1_600_000_100), line("bob", 1_600_000_200)],
    );
    write(
        "busy.jsonl",
        &[line("alice", 1_600_000_400), line("alice", 1_600_000_600)],
    );
    write("live.jsonl", &[line("bob", 1_600_000_100)]);
    write("missing.jsonl", &[line("alice", 1_600_000_100)]);
    write(
        "@TGS#_club@TOPIC#_news.jsonl",
        &[line("carol", 1_600_000_100)],
    );
    dir
}

#[tokio::test]
async fn the_service_answers_become_problems_at_staged_messages() {
    let sandbox = start_seeded(SEED).await;
    let dir = staging_dir();
    let staging = scan(dir.path(), &ScanOptions::new(timport::clock::unix_now())).unwrap();
    assert!(
        staging.is_importable(),
        "offline everything is fine: {:?}",
        staging.problems()
    );
    let outcome = check_online(&staging, &client(&sandbox)).await;
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert_eq!((outcome.groups, outcome.senders), (5, 3));
    let mut found: Vec<(String, ProblemKind)> = outcome
        .problems
        .iter()
        .map(|p| (p.target.as_ref().unwrap().group().to_owned(), p.kind))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("@TGS#_club".to_owned(), ProblemKind::AccountNotImported),
            ("busy".to_owned(), ProblemKind::GroupTime),
            ("live".to_owned(), ProblemKind::GroupType),
            ("missing".to_owned(), ProblemKind::GroupNotFound),
        ]
    );
    let busy = outcome
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::GroupTime)
        .unwrap();
    assert_eq!((&*busy.file, busy.line), ("busy.jsonl", 1));
    sandbox.shutdown().await;
}

fn validate(dir: &Path, endpoint: &str, key: &str, home: &Path) -> std::process::Output {
    support::binary::timport_command(home)
        .args(["validate", dir.to_str().unwrap(), "--endpoint", endpoint])
        .args(["--sdkappid", &APP.to_string(), "--admin", ADMIN])
        .env("TIMPORT_SECRET_KEY", key)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_online_with_credentials_and_never_shows_the_key() {
    let sandbox = start_seeded(SEED).await;
    let dir = staging_dir();
    let config = tempfile::tempdir().unwrap();
    let url = sandbox.url();
    let (d, c) = (dir.path().to_owned(), config.path().to_owned());
    let out = tokio::task::spawn_blocking(move || validate(&d, &url, DEMO_KEY, &c))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("error [group_not_found] GroupId: group \"missing\": 10010"),
        "{stdout}"
    );
    assert!(stdout.contains("error [group_type]"));
    assert!(stdout.contains("error [account_not_imported] From_Account: sender \"carol\""));
    assert!(stdout.contains("Online checks: 5 groups and 3 senders checked with the service."));
    assert!(!stdout.contains(DEMO_KEY) && !stderr.contains(DEMO_KEY));

    // A wrong key: the service refuses, the check is incomplete, exit 3, the key never shows.
    let wrong = "wrong-secret-key-that-must-not-leak";
    let (d, c, url) = (
        dir.path().to_owned(),
        config.path().to_owned(),
        sandbox.url(),
    );
    let out = tokio::task::spawn_blocking(move || validate(&d, &url, wrong, &c))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("error [online_check]: the online checks could not be completed"),
        "{stdout}"
    );
    assert!(stdout.contains("70009"), "{stdout}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains(wrong));
        assert!(!text.contains("usersig="), "{text}");
    }
    sandbox.shutdown().await;
}
