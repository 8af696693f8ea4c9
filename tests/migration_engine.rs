//! A whole migration through the engine with the real client against the sandbox, from an empty
//! app that requires accounts: accounts, groups with their history's creation time, messages,
//! members and unread counts land as staged; a second run changes nothing and exits 0; a run
//! killed (its task aborted) with a call committed but unanswered in each phase resumes exactly;
//! injected faults in each phase settle without a call being doubled.

mod common;
mod migration_support;

use std::time::Duration;

use migration_support::*;
use timport::api::types::Command;
use timport::engine::Event;
use timport::engine::events::Phase;
use timport::sandbox::{Fault, FaultKind};

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
            sandbox.inject(Fault::new(kind.clone()).only(command));
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
