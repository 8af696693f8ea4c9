//! A whole migration through the real binary against a strict sandbox (owners and members must
//! be accounts): `validate` reports the migration files, `plan` prints every request of every
//! phase, `run` lists the accounts that are neither in the app nor staged before sending
//! anything (exit 2, or imported with `--import-missing-senders`), `--phases` chooses, a second
//! run sends nothing and exits 0, `report` counts each phase, and `kill -9` in each phase resumes
//! exactly.

mod common;
mod migration_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use migration_support::*;
use serde_json::Value;
use timport::api::types::Command as Api;
use timport::sandbox::{Fault, FaultKind, SandboxHandle};

/// The binary with a clean `TIMPORT_*` environment, private directories, and the connection to
/// `sandbox` (the key in the environment, never on the command line).
fn timport(home: &Path, sandbox: &SandboxHandle) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_timport"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TIMPORT_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("TIMPORT_CONFIG_DIR", home.join("config"))
        .env("TIMPORT_DATA_DIR", home.join("data"))
        .env("TIMPORT_SECRET_KEY", common::DEMO_KEY)
        .env("TIMPORT_ENDPOINT", sandbox.url())
        .env("TIMPORT_SDKAPPID", sandbox.sdkappid().to_string())
        .env("TIMPORT_ADMIN", sandbox.admin())
        .stdin(Stdio::null());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_args(m: &Migrating) -> Vec<String> {
    vec![
        "run".into(),
        m.staging_dir().display().to_string(),
        "--yes".into(),
        "--settle-delay".into(),
        "0.05".into(),
    ]
}

#[tokio::test]
async fn validate_reports_the_migration_files_offline_and_online() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::with_stray_sender(&sandbox, "stray");
    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("validate").arg(m.staging_dir()).arg("--offline");
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "migration: 27 accounts (accounts.jsonl), 3 groups with 29 members (groups.jsonl)"
        ),
        "{stdout}"
    );

    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("validate").arg(m.staging_dir());
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout
            .contains("pub.jsonl:11: error [account_not_imported] From_Account: sender \"stray\""),
        "{stdout}"
    );
    assert!(
        !stdout.contains("\"ann\"") && !stdout.contains("\"olga\""),
        "staged accounts are no problem: {stdout}"
    );

    // A broken line names file, line and field, and the run refuses before sending anything.
    let groups = m.staging_dir().join("groups.jsonl");
    let mut lines = std::fs::read_to_string(&groups).unwrap();
    lines.push_str(r#"{"GroupId":"late","Type":"Public","Name":"Late","CreateTime":9999999999}"#);
    lines.push('\n');
    std::fs::write(&groups, lines).unwrap();
    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("validate").arg(m.staging_dir()).arg("--offline");
    let out = output(cmd).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains("groups.jsonl:4: error [create_time] CreateTime: CreateTime 9999999999"),
        "{stdout}"
    );
    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m)).arg("--import-missing-senders");
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("accounts.jsonl or groups.jsonl"),
        "{stderr}"
    );
    assert!(writes(&sandbox).iter().all(|n| *n == 0));
}

#[tokio::test]
async fn plan_prints_every_request_of_every_phase_in_the_runs_order() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("plan").arg(m.staging_dir()).arg("--json");
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let kinds: Vec<&str> = stdout
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            if v.get("AccountList").is_some() {
                "accounts"
            } else if v.get("Type").is_some() {
                "group"
            } else if v.get("MsgList").is_some() {
                "messages"
            } else if v.get("MemberList").is_some() {
                "members"
            } else if v.get("UnreadMsgNum").is_some() {
                "unread"
            } else {
                panic!("{line}")
            }
        })
        .collect();
    // 27 accounts; 3 groups; pub 10 messages (2 requests), room 3 (1); pub: 24 members besides
    // its owner (2 requests) and the owner's unread count; room: 2 members; quiet: 2.
    assert_eq!(
        kinds,
        [
            "accounts", "group", "group", "group", "messages", "messages", "messages", "members",
            "members", "unread", "members", "members"
        ],
        "{stdout}"
    );
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["AccountList"][0],
        serde_json::json!({"UserID": "olga", "Nick": "Olga"})
    );
    let room_members = stdout.lines().nth(10).unwrap();
    assert!(
        room_members
            .starts_with(r#"{"GroupId":"room","MemberList":[{"Member_Account":"ann","JoinTime":"#)
            && !room_members.contains("UnreadMsgNum"),
        "a ChatRoom's members go without unread counts: {room_members}"
    );

    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("plan")
        .arg(m.staging_dir())
        .args(["--group", "room", "--phases", "groups,members"]);
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with("groups: 1 request\n--- request 1 of 1: import_group room, 1 item, "),
        "{stdout}"
    );
    assert!(
        stdout.contains("members of room: 1 import_group_member request and 0 set_unread_msg_num requests (after its last message); 1 unread count not sent: a ChatRoom keeps no unread counts"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("AccountList") && !stdout.contains("MsgList"),
        "{stdout}"
    );
}

#[tokio::test]
async fn run_lists_missing_accounts_before_sending_then_carries_every_phase_and_reports() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::with_stray_sender(&sandbox, "stray");
    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m));
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("1 account(s) the staging names (as senders, owners or members) are neither in the app nor in accounts.jsonl: stray. Nothing was sent."),
        "{stderr}"
    );
    assert!(writes(&sandbox).iter().all(|n| *n == 0), "nothing sent");

    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m)).arg("--import-missing-senders");
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in [
        "phases: accounts,groups,messages,members",
        "accounts: 27 staged and 1 missing by UserID alone: multiaccount_import for those the app lacks",
        "groups: 3: import_group (with its CreateTime) for those the app lacks",
        "import 14 message(s) into 2 target(s)",
        "members: 29 in 3 group(s), after each group's last message",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(stderr.contains("migration: accounts 28/28"), "{stderr}");
    m.assert_landed(&sandbox);
    assert!(sandbox.account("stray").is_some());

    let before = writes(&sandbox);
    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m));
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "a finished migration: {stderr}");
    assert_eq!(writes(&sandbox), before, "sends nothing");

    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(["report", "--json"]);
    let out = output(cmd).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let steps = report["steps"].as_array().unwrap();
    let counts = |step: &str| {
        let s = steps.iter().find(|s| s["step"] == step).unwrap();
        let n = |k: &str| s["counts"][k].as_u64().unwrap();
        (n("total"), n("done"), n("existed"), n("skipped"))
    };
    assert_eq!(counts("accounts"), (28, 28, 0, 0));
    assert_eq!(counts("groups"), (3, 3, 0, 0));
    // pub's owner olga is in it from its creation.
    assert_eq!(counts("members"), (29, 28, 1, 0));
    // ann 2, bob 1, olga 3 in pub (olga's by set_unread_msg_num), dee 0 in quiet; room's ann is
    // skipped (a ChatRoom keeps none).
    assert_eq!(counts("unread"), (5, 4, 0, 1));
    let mut cmd = timport(m.path(), &sandbox);
    cmd.arg("report");
    let out = output(cmd).await;
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("Step         Items      Done   Existed"),
        "{stdout}"
    );
    assert!(stdout.contains("unread           5         4"), "{stdout}");
}

#[tokio::test]
async fn phases_choose_what_an_invocation_carries_out() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m)).args(["--phases", "groups,accounts"]);
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(sandbox.group("pub").is_some() && sandbox.account("ann").is_some());
    assert!(sandbox.messages("pub").is_empty());
    assert_eq!(sandbox.members("pub").len(), 1, "only the owner so far");

    // Members before their group's messages would lose the unread counts: they wait.
    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m)).args(["--phases", "members"]);
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "pub: members not imported: the group's members and unread counts wait for its messages"
        ),
        "{stderr}"
    );
    assert_eq!(sandbox.members("pub").len(), 1);
    assert_eq!(
        sandbox.members("quiet").len(),
        2,
        "a group without messages takes its members at once"
    );

    let mut cmd = timport(m.path(), &sandbox);
    cmd.args(run_args(&m))
        .args(["--phases", "messages,members"]);
    let out = output(cmd).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    m.assert_landed(&sandbox);
    m.assert_each_write_once(&sandbox, Api::ImportGroupMember);
    assert!(
        timport::engine::events::Phase::from_word("unread").is_none(),
        "unread counts belong to the members phase"
    );
}

#[tokio::test]
async fn kill_9_in_each_phase_resumes_exactly() {
    for command in [
        Api::MultiaccountImport,
        Api::ImportGroup,
        Api::ImportGroupMember,
        Api::SetUnreadMsgNum,
    ] {
        let sandbox = strict_sandbox().await;
        let m = Migrating::new(&sandbox);
        sandbox
            .inject(Fault::new(FaultKind::StallAfterCommit(Duration::from_secs(60))).only(command));
        let mut cmd = timport(m.path(), &sandbox);
        cmd.args(run_args(&m))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        until_stalled(&sandbox, command, || child.try_wait().unwrap().is_none()).await;
        child.kill().unwrap();
        let _ = child.wait();
        let mut cmd = timport(m.path(), &sandbox);
        cmd.args(run_args(&m));
        let out = output(cmd).await;
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {stderr}");
        m.assert_landed(&sandbox);
        m.assert_each_write_once(&sandbox, command);
    }
}
