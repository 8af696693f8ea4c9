//! `timport plan` run as a binary: the bodies it prints are the bodies the planner makes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use timport::api::types::ImportGroupMsgRequest;
use timport::plan::{PlanOptions, plan_target};
use timport::staging::{ScanOptions, scan};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/staging")
        .join(name)
}

/// The isolated binary (private directories, no inherited settings) with `args`.
fn timport(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    support::binary::timport_command(home.path())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn json_lines_are_byte_identical_to_the_planned_bodies() {
    let dir = fixtures("clean");
    let out = timport(&["plan", dir.to_str().unwrap(), "--group", "g1", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = scan(&dir, &ScanOptions::new(1_700_000_000)).unwrap();
    let mut expected = Vec::new();
    for t in s.group_targets("g1") {
        let loaded = s.load(t.target()).unwrap();
        for batch in plan_target(t.target(), &loaded.messages, &PlanOptions::default()).batches {
            expected.extend_from_slice(&batch.body);
            expected.push(b'\n');
        }
    }
    assert_eq!(out.stdout, expected);
    let bodies: Vec<ImportGroupMsgRequest> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies.iter().map(|b| b.msg_list.len()).sum::<usize>(), 10);
}

#[test]
fn people_get_indented_bodies_with_what_is_in_each() {
    let out = timport(&["plan", fixtures("clean").to_str().unwrap(), "--group", "g1"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Issue 10: the expected duration, offline (no round trip to measure), on stderr.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "timport: Expected duration: under a second or more (2 requests at 180/s); the largest group, g1, 10 messages, needs 2 round trips one after another (the round trip is unknown offline).\n"
    );
    assert!(
        stdout.starts_with("g1: 10 messages in 2 requests\n"),
        "{stdout}"
    );
    assert!(stdout.contains("--- request 1 of 2: 6 messages,"));
    assert!(
        stdout.contains("# g1.jsonl:9 2020-09-13 12:26:40 dave Random 77 (staged)"),
        "{stdout}"
    );
    assert!(stdout.contains("\n  \"GroupId\": \"g1\",\n  \"MsgList\": [\n"));
}

#[test]
fn a_group_plans_with_its_topics_and_batch_size_is_honoured() {
    let out = timport(&[
        "plan",
        fixtures("clean").to_str().unwrap(),
        "--group",
        "@TGS#_c1",
        "--json",
        "--batch-size",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l.contains(r#""TopicId":"@TGS#_c1@TOPIC#_news""#))
    );
    let bad = timport(&[
        "plan",
        fixtures("clean").to_str().unwrap(),
        "--group",
        "g1",
        "--batch-size",
        "8",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn invalid_messages_are_named_and_exit_2() {
    let out = timport(&[
        "plan",
        fixtures("broken").to_str().unwrap(),
        "--group",
        "broken",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.jsonl:2: not planned:"), "{stderr}");
    assert!(stderr.contains("error [invalid_json]"));
    // The valid ones are still planned.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains("valid first line"));
}

#[test]
fn an_unknown_group_lists_the_staged_ones() {
    let out = timport(&[
        "plan",
        fixtures("clean").to_str().unwrap(),
        "--group",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            r#"no staged messages for group "nope"; staged groups: @TGS#_c1, g1, g2, g3"#
        ),
        "{stderr}"
    );
}

#[test]
fn warnings_go_to_stderr() {
    let out = timport(&[
        "plan",
        fixtures("broken").to_str().unwrap(),
        "--group",
        "dupes",
        "--json",
    ]);
    // Every message of the group is planned, but another file's broken structure hides
    // messages and `run` refuses such a staging: the plan says so, with the JSON error.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dupes.jsonl:5: warning: staged Random 555 is already used"),
        "{stderr}"
    );
    assert!(
        stderr.contains("structure.json:8: error [invalid_json]: broken JSON structure"),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty(), "the bodies are still shown");
}
