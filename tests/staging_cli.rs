//! `timport validate` run as a binary on fixture directories, broken files included.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::binary::{closed_port, timport_command};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/staging")
        .join(name)
}

/// The binary with no connection configured (private directories, no TIMPORT_* values).
fn timport(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    timport_command(home.path()).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_clean_directory_is_importable_and_exits_0() {
    let out = timport(&["validate", fixtures("clean").to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "4 files, 17 messages in 4 targets (17 valid, 0 invalid); 0 errors, 0 warnings"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("g1: 10 messages (10 valid, 0 invalid), 2020-09-13 12:26:40 .. 2020-09-13 12:26:47 UTC, 4 senders"), "{stdout}");
    assert!(stdout.contains("1 out of order (sorted by SendTime)"));
    assert!(stdout.contains("@TGS#_c1 topic @TGS#_c1@TOPIC#_news: 2 messages"));
    assert!(stdout.trim_end().ends_with("Everything is importable."));
}

#[test]
fn broken_files_are_reported_line_by_line_and_exit_2() {
    let out = timport(&["validate", fixtures("broken").to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    for expected in [
        "broken.jsonl:2: error [invalid_json]: invalid JSON: expected `,` or `}` (at column 43)",
        "broken.jsonl:3: error [not_utf8]",
        "broken.jsonl:4: error [missing_field] From_Account:",
        "broken.jsonl:5: error [wrong_type] SendTime:",
        "broken.jsonl:6: error [random] Random:",
        "broken.jsonl:7: error [empty_body] MsgBody:",
        "broken.jsonl:8: error [too_many_custom] MsgBody:",
        "broken.jsonl:9: error [element_type] MsgBody[0].MsgType:",
        "broken.jsonl:10: error [element_content] MsgBody[0].MsgContent.Text:",
        "broken.jsonl:11: error [from_account] From_Account:",
        "broken.jsonl:14: error [shape] MsgList:",
        "broken.jsonl:16: warning [unknown_field] CloudCustomData:",
        "broken.jsonl:17: error [message_too_large]: the message is 13130 bytes as sent",
        "broken.jsonl:18: error [shape]:",
        "dupes.jsonl:2: warning [duplicate]: exact duplicate of dupes.jsonl:1",
        "structure.json:8: error [invalid_json]: broken JSON structure",
        "structure.json:6: error [body_invalid]",
        "notes.txt: warning [ignored_file]",
        "broken: 15 messages (2 valid, 13 invalid)",
        "Not importable: 16 errors.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}

#[test]
fn json_output_is_one_object_per_line_problems_targets_then_summary() {
    let out = timport(&["validate", "--json", fixtures("broken").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    let problems = events.iter().filter(|e| **e == "problem").count();
    assert_eq!(problems, 19);
    assert!(events[..problems].iter().all(|e| *e == "problem"));
    assert!(
        events[problems..events.len() - 1]
            .iter()
            .all(|e| *e == "target")
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["importable"], false);
    assert_eq!(summary["errors"], 16);
    assert_eq!(summary["warnings"], 3);
    assert_eq!(summary["messages"], 27);
    // In path order, then line order.
    let first = &lines[0];
    assert_eq!(
        (first["file"].as_str(), first["line"].as_u64()),
        (Some("broken.jsonl"), Some(2))
    );
    let files: Vec<&str> = lines[..problems]
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(files.windows(2).all(|w| w[0] <= w[1]), "{files:?}");
    assert!(files.contains(&"notes.txt"));
    let bad_json = lines
        .iter()
        .find(|l| l["kind"] == "invalid_json" && l["file"] == "broken.jsonl")
        .unwrap();
    assert_eq!(bad_json["line"], 2);
    assert_eq!(bad_json["group"], "broken");
    assert_eq!(bad_json["topic"], serde_json::Value::Null);
    assert_eq!(bad_json["severity"], "error");
    let broken = lines
        .iter()
        .find(|l| l["event"] == "target" && l["group"] == "broken")
        .unwrap();
    assert_eq!(broken["invalid"], 13);
    assert_eq!(broken["problems"]["not_utf8"]["errors"], 1);
}

#[test]
fn a_huge_line_is_reported_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let valid = r#"{"From_Account":"a","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"ok"}}]}"#;
    let mut content = format!("{valid}\n");
    content.push_str(&"y".repeat(30 << 20));
    content.push('\n');
    content.push_str(&valid.replace("1600000000", "1600000001"));
    std::fs::write(dir.path().join("g.jsonl"), content).unwrap();
    let out = timport(&["validate", dir.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains("g.jsonl:2: error [too_long]: this message is 31457280 bytes long"),
        "{stdout}"
    );
    assert!(
        stdout.contains("g: 3 messages (2 valid, 1 invalid)"),
        "{stdout}"
    );
}

#[test]
fn rule_options_change_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let image = r#"{"From_Account":"a","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"u"}}]}"#;
    std::fs::write(dir.path().join("g.jsonl"), image).unwrap();
    let path = dir.path().to_str().unwrap();
    let strict = timport(&["validate", path]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(text(&strict.stdout).contains("error [element_type]"));
    let allowed = timport(&["validate", "--allow-other-elements", path]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));
    assert!(text(&allowed.stdout).contains("warning [element_type]"));
    let small = timport(&[
        "validate",
        "--allow-other-elements",
        "--max-message-bytes",
        "50",
        path,
    ]);
    assert_eq!(small.status.code(), Some(2));
    assert!(text(&small.stdout).contains("the limit is 50 (--max-message-bytes)"));
    assert_eq!(
        timport(&["validate", "--max-message-bytes", "0", path])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let out = timport(&["validate", "/nonexistent/staging"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read /nonexistent/staging"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn without_a_connection_only_offline_checks_run_and_say_so() {
    let out = timport(&["validate", fixtures("clean").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("offline checks only"));
    assert!(text(&out.stdout).contains("Online checks: not made (offline)."));
    let quiet = timport(&[
        "validate",
        "--offline",
        "--json",
        fixtures("clean").to_str().unwrap(),
    ]);
    assert!(text(&quiet.stderr).is_empty(), "{}", text(&quiet.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(text(&quiet.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(summary["online"], serde_json::Value::Null);
}

#[test]
fn a_secret_key_alone_validates_offline_and_says_why() {
    let secret = "topsecret-validate-key-value";
    let home = tempfile::tempdir().unwrap();
    let out = timport_command(home.path())
        .args(["validate", fixtures("clean").to_str().unwrap()])
        .env("TIMPORT_SECRET_KEY", secret)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("offline checks only"), "{stderr}");
    assert!(
        stderr.contains("TIMPORT_SECRET_KEY is set, but no SDKAppID, admin or region is given"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("Online checks: not made (offline)."));
    assert!(!stderr.contains(secret) && !text(&out.stdout).contains(secret));
}

#[test]
fn an_unreachable_service_stops_with_exit_3_and_never_shows_the_key() {
    let secret = "topsecret-validate-key-value";
    let home = tempfile::tempdir().unwrap();
    let out = timport_command(home.path())
        .args(["validate", "--json", fixtures("clean").to_str().unwrap()])
        .env("TIMPORT_SECRET_KEY", secret)
        .env("TIMPORT_SDKAPPID", "1400000000")
        .env("TIMPORT_ADMIN", "administrator")
        // Nothing listens there: the connection is refused.
        .env("TIMPORT_ENDPOINT", format!("http://{}", closed_port()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\"kind\":\"online_check\""), "{stdout}");
    assert!(stdout.contains("could not connect"), "{stdout}");
    assert!(!stdout.contains(secret));
    assert!(!text(&out.stderr).contains(secret));
}

#[test]
fn half_given_credentials_are_an_error_not_a_silent_offline_run() {
    let home = tempfile::tempdir().unwrap();
    let out = timport_command(home.path())
        .args([
            "validate",
            fixtures("clean").to_str().unwrap(),
            "--region",
            "singapore",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--sdkappid") && stderr.contains("--admin"),
        "{stderr}"
    );
}

#[test]
fn max_problems_caps_the_listing_not_the_counts() {
    let out = timport(&[
        "validate",
        "--max-problems",
        "3",
        fixtures("broken").to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.contains("16 errors, 3 warnings"), "{stdout}");
    let listed = stdout
        .lines()
        .filter(|l| l.contains(": error [") || l.contains(": warning ["))
        .count();
    assert_eq!(listed, 3, "{stdout}");
    assert!(
        stdout.contains("... and 16 more problems not listed"),
        "{stdout}"
    );
    let json = timport(&[
        "validate",
        "--json",
        "--max-problems",
        "3",
        fixtures("broken").to_str().unwrap(),
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(text(&json.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(
        (summary["errors"].as_u64(), summary["unlisted"].as_u64()),
        (Some(16), Some(16))
    );
}

#[test]
fn comments_copied_from_the_api_page_are_named_as_comments_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"From_Account":"a","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;
    std::fs::write(
        dir.path().join("g.jsonl"),
        format!("{line}\n// the second message\n{line}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("h.json"),
        "{\n  \"GroupId\": \"h\",\n  \"MsgList\": [ // messages\n  ]\n}\n",
    )
    .unwrap();
    let out = timport(&["validate", "--offline", dir.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let comment = |file: &str, line: &str| {
        stdout.lines().any(|l| {
            l.contains(file)
                && l.contains(line)
                && l.contains("a comment (// or /* */) is not JSON")
        })
    };
    assert!(comment("g.jsonl", ":2"), "{stdout}");
    assert!(comment("h.json", ":3"), "{stdout}");
}
