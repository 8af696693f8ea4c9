//! A whole migration through the engine with the real client against the sandbox, from an empty
//! app that requires accounts: accounts, groups with their history's creation time, messages,
//! members and unread counts land as staged; a second run changes nothing and exits 0; a run
//! killed (its task aborted) with a call committed but unanswered in each phase resumes exactly;
//! injected faults in each phase settle without a call being doubled. `timport verify` of a
//! migration finds every message as sent (it reads messages only), and the sign-off report
//! counts each phase and names what failed.

mod common;
mod migration_support;

use std::sync::Arc;
use std::time::Duration;

use migration_support::*;
use timport::api::types::Command;
use timport::engine::Event;
use timport::engine::events::Phase;
use timport::sandbox::{Fault, FaultKind};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The sign-off report of `run_id` as Markdown.
fn sign_off(m: &Migrating, run_id: i64) -> String {
    let conn = timport::engine::ledger::schema::open_for_reading(&m.ledger()).unwrap();
    timport::engine::signoff::SignOff::load(&conn, Some(run_id), 0)
        .unwrap()
        .markdown()
}

#[tokio::test]
async fn a_migration_verifies_clean_and_its_sign_off_counts_each_phase() {
    use timport::engine::verify::{ReadPace, VerifyOptions, VerifyRequest, verify};
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let ran = m.run(&sandbox).await;
    assert_eq!(ran.exit, 0, "{:#?}", ran.lines());
    let summary = ran.summary();
    let (tx, mut rx) = mpsc::channel(1024);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let verified = verify(
        Arc::new(common::client(&sandbox)),
        VerifyRequest {
            ledger: timport::engine::ledger::Ledger::open(&m.ledger()).unwrap(),
            run_id: summary.run_id,
            only: Vec::new(),
            staging: Arc::new(m.scan()),
            restart: false,
            options: VerifyOptions::default(),
        },
        ReadPace::own(200),
        tx,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    drain.await.unwrap();
    // Groups created by the run, members imported after the last message: nothing extra.
    let t = &verified.totals;
    assert_eq!(t.expected, summary.totals.done, "{t:?}");
    assert_eq!((t.verified, t.differences()), (t.expected, 0), "{t:?}");

    let report = sign_off(&m, summary.run_id);
    assert!(report.contains("> **✓** Verified"), "{report}");
    assert!(
        report.contains("## Accounts, groups, members and unread counts"),
        "{report}"
    );
    assert!(
        report.contains("| Step | Items | Done | Existed | Failed | Skipped | Pending |"),
        "{report}"
    );
    for step in &summary.steps {
        let c = &step.counts;
        let row = format!(
            "| {} | {} | {} | {} | 0 | {} | 0 |",
            step.step.word(),
            c.total,
            c.done,
            c.existed,
            c.skipped
        );
        assert!(report.contains(&row), "{row} in {report}");
    }
}

#[tokio::test]
async fn a_whole_migration_lands_as_staged_and_a_second_run_changes_nothing() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let first = m.run(&sandbox).await;
    assert_eq!(first.exit, 0, "{:#?}", first.lines());
    m.assert_landed(&sandbox);
    let phases = first.events.iter().find_map(|e| match e {
        Event::Phases { phases } => Some(phases.clone()),
        _ => None,
    });
    assert_eq!(phases, Some(Phase::ALL.to_vec()));
    // Groups exist before their messages, members come after the last one.
    let order = first.call_order();
    let last_message = order.iter().rposition(|c| c == "import_group_msg").unwrap();
    let first_message = order.iter().position(|c| c == "import_group_msg").unwrap();
    let last_group = order.iter().rposition(|c| c == "import_group").unwrap();
    let first_member = order
        .iter()
        .position(|c| c == "import_group_member")
        .unwrap();
    let last_account = order
        .iter()
        .rposition(|c| c == "multiaccount_import")
        .unwrap();
    assert!(last_account < first_message.min(last_group), "{order:?}");
    assert!(last_group < first_message, "{order:?}");
    assert!(first_member > last_message, "{order:?}");

    let before = writes(&sandbox);
    let second = m.run(&sandbox).await;
    assert_eq!(second.exit, 0, "{:#?}", second.lines());
    assert_eq!(
        writes(&sandbox),
        before,
        "a finished migration sends nothing more"
    );
    m.assert_landed(&sandbox);
    let summary = second.summary();
    assert!(
        summary
            .steps
            .iter()
            .all(|s| s.counts.pending() == 0 && s.counts.failed == 0),
        "{:?}",
        summary.steps
    );
}

#[tokio::test]
async fn a_finished_migration_run_again_with_its_ledger_lost_doubles_nothing() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let first = m.run(&sandbox).await;
    assert_eq!(first.exit, 0, "{:#?}", first.lines());
    for suffix in ["", "-wal", "-shm"] {
        let mut path = m.ledger().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let again = m.run(&sandbox).await;
    assert_eq!(again.exit, 0, "{:#?}", again.lines());
    m.assert_landed(&sandbox);
    m.assert_each_write_once(&sandbox, Command::ImportGroup);
    let writes_now = writes(&sandbox);
    let third = m.run(&sandbox).await;
    assert_eq!(third.exit, 0, "{:#?}", third.lines());
    assert_eq!(
        writes(&sandbox),
        writes_now,
        "settled: nothing more is sent"
    );
}

#[tokio::test]
async fn a_member_refused_then_taken_out_of_groups_jsonl_lets_the_run_finish() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    let path = m.staging_dir().join("groups.jsonl");
    let staged = std::fs::read_to_string(&path).unwrap();
    // quiet gains a member who is no account: the strict sandbox refuses it (Result 0).
    let with_ghost: Vec<String> = staged
        .lines()
        .map(|line| {
            let mut g: serde_json::Value = serde_json::from_str(line).unwrap();
            if g["GroupId"] == "quiet" {
                let list = g["MemberList"].as_array_mut().unwrap();
                list.push(serde_json::json!({"Member_Account": "ghost", "JoinTime": m.t0 + 5}));
            }
            g.to_string()
        })
        .collect();
    std::fs::write(&path, with_ghost.join("\n") + "\n").unwrap();
    let first = m.run(&sandbox).await;
    assert_eq!(first.exit, 1, "{:#?}", first.lines());
    // The sign-off report counts the refused member and names it in its group.
    let summary = first.summary();
    let report = sign_off(&m, summary.run_id);
    let members = summary
        .steps
        .iter()
        .find(|s| s.step.word() == "members")
        .expect("the members step");
    assert_eq!(members.counts.failed, 1, "{:?}", summary.steps);
    let c = &members.counts;
    let row = format!(
        "| members | {} | {} | {} | 1 | {} | {} |",
        c.total,
        c.done,
        c.existed,
        c.skipped,
        c.pending()
    );
    assert!(report.contains(&row), "{row} in {report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("| members | quiet | ghost |")),
        "{report}"
    );

    std::fs::write(&path, &staged).unwrap();
    let fixed = m.run(&sandbox).await;
    assert_eq!(fixed.exit, 0, "{:#?}", fixed.lines());
    assert!(
        fixed
            .lines()
            .iter()
            .any(|l| l.contains("no longer staged: forgotten")),
        "{:#?}",
        fixed.lines()
    );
    m.assert_landed(&sandbox);
    let summary = fixed.summary();
    assert!(
        summary.steps.iter().all(|s| s.counts.failed == 0),
        "{:?}",
        summary.steps
    );
}

#[tokio::test]
async fn a_run_killed_in_each_phase_with_a_call_committed_resumes_exactly() {
    for command in [
        Command::MultiaccountImport,
        Command::ImportGroup,
        Command::ImportGroupMsg,
        Command::ImportGroupMember,
        Command::SetUnreadMsgNum,
    ] {
        let sandbox = strict_sandbox().await;
        let m = Migrating::new(&sandbox);
        sandbox
            .inject(Fault::new(FaultKind::StallAfterCommit(Duration::from_secs(60))).only(command));
        let before = writes(&sandbox);
        m.run_until_killed(&sandbox, command).await;
        assert!(
            writes(&sandbox)
                .iter()
                .zip(&before)
                .any(|(after, before)| after > before),
            "{command:?}: the call went out before the kill"
        );
        let resumed = m.run(&sandbox).await;
        assert_eq!(resumed.exit, 0, "{command:?}: {:#?}", resumed.lines());
        m.assert_landed(&sandbox);
        m.assert_each_write_once(&sandbox, command);
    }
}

#[tokio::test]
async fn an_interrupt_during_a_phase_before_the_lanes_stops_the_run_there_and_it_resumes() {
    for command in [Command::MultiaccountImport, Command::ImportGroup] {
        let sandbox = strict_sandbox().await;
        let m = Migrating::new(&sandbox);
        sandbox.inject(
            Fault::new(FaultKind::StallAfterCommit(Duration::from_millis(300))).only(command),
        );
        let ran = m.run_interrupted_at(&sandbox, command).await;
        assert_eq!(ran.exit, 130, "{command:?}: {:#?}", ran.lines());
        let stats = sandbox.stats();
        let sent = |c: Command| stats.requests.get(c.name()).copied().unwrap_or(0);
        assert_eq!(
            sent(Command::ImportGroupMsg),
            0,
            "{command:?}: no lane started after the interrupt"
        );
        if command == Command::MultiaccountImport {
            assert_eq!(
                sent(Command::ImportGroup),
                0,
                "the groups phase did not start"
            );
        }
        let resumed = m.run(&sandbox).await;
        assert_eq!(resumed.exit, 0, "{command:?}: {:#?}", resumed.lines());
        m.assert_landed(&sandbox);
        m.assert_each_write_once(&sandbox, command);
    }
}

#[tokio::test]
async fn faults_in_each_phase_settle_without_doubling_anything() {
    let kinds = [
        FaultKind::DropAfterCommit,
        FaultKind::Http5xxAfterCommit,
        FaultKind::DropBeforeCommit,
        FaultKind::ErrorCode(10002),
        FaultKind::Http5xx(502),
        FaultKind::ErrorCode(60007),
    ];
    for command in [
        Command::MultiaccountImport,
        Command::AccountCheck,
        Command::ImportGroup,
        Command::GetGroupInfo,
        Command::ImportGroupMember,
        Command::GetGroupMemberInfo,
        Command::SetUnreadMsgNum,
    ] {
        let sandbox = strict_sandbox().await;
        let m = Migrating::new(&sandbox);
        for kind in &kinds {
            sandbox.inject(Fault::new(*kind).only(command));
        }
        let ran = m.run(&sandbox).await;
        assert_eq!(ran.exit, 0, "{command:?}: {:#?}", ran.lines());
        m.assert_landed(&sandbox);
        m.assert_each_write_once(&sandbox, command);
    }
}

#[tokio::test]
async fn missing_senders_go_in_by_user_id_when_chosen() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::with_stray_sender(&sandbox, "stray");
    let missing = m.missing(&sandbox).await;
    assert_eq!(missing, ["stray"]);
    let ran = m.run_with_missing(&sandbox, &missing).await;
    assert_eq!(ran.exit, 0, "{:#?}", ran.lines());
    assert!(sandbox.account("stray").is_some());
    assert_eq!(sandbox.account("stray").unwrap().nick, None);
    m.assert_landed(&sandbox);
}

#[tokio::test]
async fn an_existing_group_is_used_when_it_fits_and_refused_with_the_reason_otherwise() {
    let now = timport::clock::unix_now();
    let t0 = now - 100_000;
    // "pub" exists as a Private group (staged Public): refused; "room" exists as a ChatRoom
    // created a little earlier than staged: used as it is.
    let seed = serde_json::json!({"groups": [
        {"id": "pub", "type": "Private", "name": "Pub", "create_time": t0 - 10, "owner": "olga"},
        {"id": "room", "type": "ChatRoom", "name": "Room", "create_time": t0 - 10, "owner": "olga"},
    ]});
    let seed = timport::sandbox::Seed::parse(&seed.to_string(), now).unwrap();
    let sandbox = common::start(strict_config().with_seed(seed)).await;
    let m = Migrating::new(&sandbox);
    let ran = m.run(&sandbox).await;
    assert_eq!(ran.exit, 1, "{:#?}", ran.lines());
    let lines = ran.lines().join("\n");
    assert!(
        lines.contains(
            "group \"pub\" already exists as a Private group, but groups.jsonl stages it as Public"
        ),
        "{lines}"
    );
    assert!(
        lines.contains("pub: stopped: "),
        "its lane does not start: {lines}"
    );
    assert!(
        lines.contains("groups room: used as it is: group \"room\" already exists"),
        "{lines}"
    );
    assert!(sandbox.messages("pub").is_empty());
    assert_eq!(
        sandbox.members("pub").len(),
        1,
        "no members sent to a refused group"
    );
    assert_eq!(sandbox.messages("room").len(), 3);
    assert_eq!(sandbox.members("room").len(), 3);
    assert_eq!(sandbox.group("room").unwrap().create_time, t0 - 10);
    assert_eq!(sandbox.members("quiet").len(), 2, "the other groups go on");
    let summary = ran.summary();
    let groups = summary
        .steps
        .iter()
        .find(|s| s.step == timport::engine::events::Step::Groups)
        .unwrap();
    assert_eq!(
        (
            groups.counts.done,
            groups.counts.existed,
            groups.counts.failed
        ),
        (1, 1, 1)
    );
    // Refused stays refused on a rerun (no silent retry), and nothing more is sent to it.
    let before = writes(&sandbox);
    let again = m.run(&sandbox).await;
    assert_eq!(again.exit, 1);
    assert_eq!(writes(&sandbox), before);
}

#[tokio::test]
async fn members_wait_for_their_groups_last_message() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    // An invalid message in pub: headless, its lane pauses there and the members of pub wait
    // (unread counts set now would be reset by the messages still to come).
    let pub_file = m.staging_dir().join("pub.jsonl");
    let mut text = std::fs::read_to_string(&pub_file).unwrap();
    text.push_str(&message("ann", m.t0 + 150, "").replace(r#""Text":"""#, r#""Text":7"#));
    text.push('\n');
    std::fs::write(&pub_file, text).unwrap();
    let ran = m.run(&sandbox).await;
    assert_eq!(ran.exit, 1, "{:#?}", ran.lines());
    assert!(
        ran.lines().iter().any(|l| l.contains(
            "pub: members not imported: the group's members and unread counts wait for its messages"
        )),
        "{:#?}",
        ran.lines()
    );
    assert_eq!(sandbox.members("pub").len(), 1, "only its owner");
    assert_eq!(sandbox.members("room").len(), 3, "the other groups go on");
    // Skipping the invalid message finishes pub's messages: its members follow.
    let mut opts = Migrating::options();
    opts.on_message_error = timport::engine::OnMessageError::Skip;
    let ran = m.run_with(&sandbox, &[], opts).await;
    assert_eq!(ran.exit, 1, "a skipped message leaves the run incomplete");
    assert_eq!(sandbox.members("pub").len(), 25);
    let ann = sandbox
        .members("pub")
        .into_iter()
        .find(|m| m.account == "ann")
        .unwrap();
    assert_eq!(ann.unread, 2);
}

#[tokio::test]
async fn unread_counts_are_set_again_when_messages_landed_after_them() {
    let sandbox = strict_sandbox().await;
    let m = Migrating::new(&sandbox);
    assert_eq!(m.run(&sandbox).await.exit, 0);
    // Something reset pub's counts after they were set (an import does), and the ledger knows a
    // message of pub landed after them.
    common::import(
        &common::client(&sandbox),
        "pub",
        vec![common::msg("ann", sandbox.now() - 10, Some(77), "later")],
    )
    .await
    .unwrap();
    let unread = |who: &str| {
        sandbox
            .members("pub")
            .into_iter()
            .find(|m| m.account == who)
            .unwrap()
            .unread
    };
    assert_eq!(unread("ann"), 0);
    let ledger = rusqlite::Connection::open(m.ledger()).unwrap();
    ledger
        .execute(
            "UPDATE messages SET updated_at = updated_at + 3600000 WHERE id = (SELECT max(m.id) FROM messages m JOIN targets t ON m.target_id = t.id WHERE t.group_id = 'pub')",
            [],
        )
        .unwrap();
    drop(ledger);
    let ran = m.run(&sandbox).await;
    assert_eq!(ran.exit, 0, "{:#?}", ran.lines());
    assert!(
        ran.lines().iter().any(|l| l.contains(
            "pub: messages were imported into the group after its unread counts were set"
        )),
        "{:#?}",
        ran.lines()
    );
    assert_eq!((unread("ann"), unread("bob"), unread("olga")), (2, 1, 3));
}
