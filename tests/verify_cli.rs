//! `timport verify` through the real binary against the in-process sandbox: exit codes (0 all
//! match, 1 differences, 2 bad input, 3 a group that cannot be read), the `--json` findings,
//! a verification killed midway (`kill -9`) that goes on where it stopped, and the ledger's lock
//! (one writer: a verification and a run turn each other away); SIGTERM stops it like Ctrl-C.

mod run_support;
mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use run_support::*;
use serde_json::Value;
use timport::api::types::{Command as Call, MsgElement};
use timport::sandbox::{Fault, FaultKind, SandboxHandle};

/// How long a wait may take before the test says what it waited for (only a bug reaches it).
const PATIENCE: Duration = Duration::from_secs(120);

async fn output(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A sandbox with `groups` groups and a home where `timport run` imported `per_group` messages
/// into each.
async fn imported(groups: usize, per_group: usize) -> (SandboxHandle, tempfile::TempDir) {
    let sandbox = start(sandbox_config(groups)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, groups, per_group);
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    (sandbox, home)
}

fn verify(home: &std::path::Path, sandbox: &SandboxHandle, args: &[&str]) -> Command {
    let mut cmd = timport(home, sandbox);
    cmd.arg("verify").args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run_exits_0_and_differences_exit_1_with_one_json_object_each() {
    let (sandbox, home) = imported(2, 25).await;
    let out = output(verify(home.path(), &sandbox, &["--json"])).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let json = lines(&out);
    assert_eq!(json[0]["event"], "verify_started");
    assert_eq!(json[0]["expected"], 50);
    let last = json.last().unwrap();
    assert_eq!(last["event"], "verify_finished");
    assert_eq!(last["status"], "done");
    assert_eq!(last["totals"]["verified"], 50);
    assert!(!json.iter().any(|l| l["event"] == "finding"));
    // Every line carries its time, as timport run's lines do (RFC 3339, UTC).
    for line in &json {
        let time = line["time"]
            .as_str()
            .unwrap_or_else(|| panic!("no time: {line}"));
        assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    }
    let (_, err) = text(&out);
    assert!(err.contains("50 of 50 as sent, no difference"), "{err}");
    assert!(
        !err.contains(&KEY[..16]) && !String::from_utf8_lossy(&out.stdout).contains(&KEY[..16])
    );

    sandbox.delete_message("g0", None, 3);
    sandbox.alter_message("g1", None, 4, |m| {
        m.body = vec![MsgElement::text("<b>edited</b>")]
    });
    sandbox.append_message(
        "g1",
        None,
        "intruder",
        BASE_TIME + 500,
        7,
        vec![MsgElement::text("hi")],
    );
    let out = output(verify(home.path(), &sandbox, &["--json"])).await;
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let json = lines(&out);
    let mut found: Vec<String> = json
        .iter()
        .filter(|l| l["event"] == "finding")
        .map(|l| {
            format!(
                "{} {} {} {} {}",
                l["kind"].as_str().unwrap(),
                l["target"]["group"].as_str().unwrap(),
                l["source"]["file"].as_str().unwrap_or("-"),
                l["source"]["line"].as_u64().unwrap_or(0),
                l["msg_seq"]
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "changed g1 g1.jsonl 4 4",
            "extra g1 - 0 26",
            "missing g0 g0.jsonl 3 3",
        ]
    );
    let changed = json.iter().find(|l| l["kind"] == "changed").unwrap();
    assert_eq!(changed["differs"], serde_json::json!(["MsgBody"]));
    assert_eq!(
        changed["found"]["MsgBody"][0]["MsgContent"]["Text"],
        "<b>edited</b>"
    );
    assert_eq!(
        changed["staged"]["MsgBody"][0]["MsgContent"]["Text"],
        "g1 line 3"
    );
    let targets: Vec<&Value> = json
        .iter()
        .filter(|l| l["event"] == "target_verified")
        .collect();
    assert_eq!(targets.len(), 2);
    let last = json.last().unwrap();
    assert_eq!(
        (
            last["totals"]["missing"].as_u64(),
            last["totals"]["changed"].as_u64(),
            last["totals"]["extra"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_and_an_unreadable_group_exits_3() {
    let (sandbox, home) = imported(2, 5).await;
    let out = output(verify(home.path(), &sandbox, &["7"])).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(text(&out).1.contains("no run 7"), "{:?}", text(&out));

    let out = output(verify(home.path(), &sandbox, &["--group", "nope"])).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));

    // Above the read call's documented limit.
    let out = output(verify(home.path(), &sandbox, &["--rate", "201"])).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("give 1 to 200 reads per second"),
        "{:?}",
        text(&out)
    );

    let mut other_app = verify(home.path(), &sandbox, &[]);
    other_app.env("TIMPORT_SDKAPPID", "1400000999");
    let out = output(other_app).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(text(&out).1.contains("app 1400000999"), "{:?}", text(&out));

    let empty = tempfile::tempdir().unwrap();
    let out = output(verify(empty.path(), &sandbox, &[])).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(text(&out).1.contains("no ledger"), "{:?}", text(&out));

    // The group is gone at the service: its target cannot be verified.
    sandbox.inject(Fault::new(FaultKind::ErrorCode(10010)).only(Call::GroupMsgGetSimple));
    let out = output(verify(home.path(), &sandbox, &["--json", "--group", "g0"])).await;
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    let json = lines(&out);
    let target = json
        .iter()
        .find(|l| l["event"] == "target_verified")
        .unwrap();
    assert_eq!(target["state"], "failed");
    assert!(
        target["error"].as_str().unwrap().starts_with("10010"),
        "{target}"
    );
    assert_eq!(json.last().unwrap()["status"], "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_on_the_ledger_turns_a_verification_away_naming_it() {
    let (sandbox, home) = imported(1, 5).await;
    let ledger = ledger_of(home.path());
    let held = timport::engine::ledger::lock::LedgerLock::acquire(&ledger, "timport run").unwrap();
    let reads = |s: &SandboxHandle| s.stats().requests.get("group_msg_get_simple").copied();
    let before = reads(&sandbox);
    let out = output(verify(home.path(), &sandbox, &["--json"])).await;
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    let (stdout, err) = text(&out);
    assert!(
        err.contains(&format!(
            "in use by another timport: pid {} (timport run)",
            std::process::id()
        )),
        "{err}"
    );
    assert!(stdout.is_empty(), "nothing verified: {stdout}");
    assert_eq!(reads(&sandbox), before, "nothing read");
    drop(held);
    let out = output(verify(home.path(), &sandbox, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

/// The cursor of the latest verification of `ledger`, once it has moved past `past`.
fn wait_for_cursor(ledger: &std::path::Path, past: i64) -> i64 {
    let started = Instant::now();
    loop {
        let seen = rusqlite::Connection::open_with_flags(
            ledger,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .ok()
        .and_then(|c| {
            c.query_row(
                "SELECT next_seq FROM verify_targets ORDER BY verification_id DESC LIMIT 1",
                [],
                |r| r.get::<_, i64>(0),
            )
            .ok()
        });
        if let Some(next) = seen.filter(|&n| n > past) {
            return next;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the verification never got past MsgSeq {past} (saw {seen:?})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_killed_midway_goes_on_where_it_stopped() {
    let (sandbox, home) = imported(1, 200).await;
    sandbox.delete_message("g0", None, 180);
    let ledger = ledger_of(home.path());
    // Slow on purpose (a read a second: 11 reads) so that it is surely killed before the end.
    let mut slow = verify(home.path(), &sandbox, &["--rate", "1"]);
    slow.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = slow.spawn().unwrap();
    let reached = tokio::task::spawn_blocking({
        let ledger = ledger.clone();
        move || wait_for_cursor(&ledger, 21)
    })
    .await
    .unwrap();
    // A verification writes to the ledger: a run on it is turned away while it goes.
    let mut run = timport(home.path(), &sandbox);
    run.arg("run").arg(home.path().join("staging")).arg("--yes");
    let out = output(run).await;
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    assert!(
        text(&out).1.contains(&format!(
            "in use by another timport: pid {} (timport verify)",
            child.id()
        )),
        "{:?}",
        text(&out)
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let conn =
        rusqlite::Connection::open_with_flags(&ledger, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let (next, status): (i64, String) = conn
        .query_row(
            "SELECT t.next_seq, v.status FROM verify_targets t JOIN verifications v ON v.id = t.verification_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(next >= reached && next <= 200, "killed midway: {next}");
    assert_eq!(status, "running", "killed, it never recorded an end");
    drop(conn);

    let reads_before = sandbox.stats().requests["group_msg_get_simple"];
    let out = output(verify(home.path(), &sandbox, &["--json"])).await;
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let json = lines(&out);
    assert_eq!(json[0]["resumed"], true);
    assert_eq!(json[0]["checked"].as_i64(), Some(next - 1));
    let findings: Vec<&Value> = json.iter().filter(|l| l["event"] == "finding").collect();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (
            findings[0]["kind"].as_str(),
            findings[0]["source"]["line"].as_u64()
        ),
        (Some("missing"), Some(180))
    );
    let last = json.last().unwrap();
    assert_eq!(
        last["totals"]["verified"], 199,
        "each message compared once"
    );
    // The newest message again, then only the windows left.
    let left = (200 - (next as u64 - 1)).div_ceil(20);
    let reads = sandbox.stats().requests["group_msg_get_simple"] - reads_before;
    assert_eq!(reads, 1 + left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_verification_like_ctrl_c_and_the_next_goes_on() {
    let (sandbox, home) = imported(1, 200).await;
    let ledger = ledger_of(home.path());
    let mut slow = verify(home.path(), &sandbox, &["--rate", "1", "--json"]);
    slow.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = slow.spawn().unwrap();
    tokio::task::spawn_blocking({
        let ledger = ledger.clone();
        move || wait_for_cursor(&ledger, 21)
    })
    .await
    .unwrap();
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{:?}", text(&out));
    assert!(
        text(&out)
            .1
            .contains("SIGTERM: stopping after the window at work"),
        "{:?}",
        text(&out)
    );
    assert_eq!(lines(&out).last().unwrap()["status"], "interrupted");
    let conn =
        rusqlite::Connection::open_with_flags(&ledger, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let status: String = conn
        .query_row("SELECT status FROM verifications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "interrupted");
    drop(conn);

    let out = output(verify(home.path(), &sandbox, &["--json"])).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let json = lines(&out);
    assert_eq!(json[0]["resumed"], true);
    assert_eq!(json.last().unwrap()["totals"]["verified"], 200);
}
