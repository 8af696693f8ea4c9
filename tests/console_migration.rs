//! The console through `update` for a migration: the Groups screen creates a missing group from
//! its exact `import_group` body (shown, confirmed); the Preview shows a group's phases with their
//! exact bodies; the launch lists the accounts neither in the app nor staged and imports them by
//! UserID alone only on yes; the Run screen takes the phases' events.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::api::types::{Command, GroupInfo};
use timport::console::effect::Effect;
use timport::console::msg::{ErrorView, Msg};
use timport::console::state::overlay::{Overlay, Pending};
use timport::console::state::run::ErrorKind;
use timport::console::state::update;
use timport::engine::Event;
use timport::engine::events::{GroupPhase, ItemOutcome, Phase, PhaseCounts, Step, StepSummary};

#[test]
fn a_missing_group_that_groups_jsonl_stages_is_created_from_its_exact_body() {
    let mut s = groups_to_create();
    assert_eq!(s.groups.selected().unwrap().verdict().word, "create");
    assert!(press(&mut s, KeyCode::Char('c')).is_empty(), "asks first");
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    assert_eq!(c.on_yes, Pending::CreateGroup("archive-2019".into()));
    let text = c.lines.join("\n");
    assert!(text.contains("\"CreateTime\": 1632645783"), "{text}");
    assert!(
        text.contains("\"Introduction\": \"Messages from the old system, 2021\""),
        "the body is shown in full: {text}"
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::CreateGroup { group, body, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(group, "archive-2019");
    let staged = s
        .files
        .scanned
        .as_ref()
        .unwrap()
        .staging
        .migration()
        .group("archive-2019")
        .unwrap()
        .body
        .clone();
    assert_eq!(
        body.as_ref(),
        staged.as_bytes(),
        "the bytes shown are the bytes sent"
    );

    update(
        &mut s,
        Msg::GroupCreated {
            group: "archive-2019".into(),
            result: Ok(vec![GroupInfo {
                group_id: "archive-2019".into(),
                group_type: Some("Public".into()),
                name: Some("Archive 2019".into()),
                create_time: Some(1_632_645_783),
                last_msg_time: Some(0),
                member_num: Some(1),
                ..GroupInfo::default()
            }]),
        },
    );
    let row = s.groups.get("archive-2019").unwrap();
    assert_eq!(row.verdict().word, "ready");
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("Created group archive-2019")
    );

    let error = ErrorView::local("import_group refused", "10021");
    update(
        &mut s,
        Msg::GroupCreated {
            group: "archive-2019".into(),
            result: Err(error),
        },
    );
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("Cannot create group archive-2019"),
        "{:?}",
        s.status
    );
}

#[test]
fn only_a_missing_group_that_is_staged_can_be_created() {
    let mut s = groups_to_create();
    let gone = s
        .groups
        .rows
        .iter()
        .position(|r| r.id == "gone-group")
        .unwrap();
    s.groups.view.select_row(gone);
    assert!(press(&mut s, KeyCode::Char('c')).is_empty());
    assert!(s.overlay.is_none());
    let said = s.status.as_ref().unwrap().text.clone();
    assert!(
        said.contains("groups.jsonl does not stage gone-group"),
        "{said}"
    );
    let desk = s
        .groups
        .rows
        .iter()
        .position(|r| r.id == "support-desk")
        .unwrap();
    s.groups.view.select_row(desk);
    press(&mut s, KeyCode::Char('c'));
    assert!(s.overlay.is_none());
    assert!(s.status.as_ref().unwrap().text.contains("exists already"));
}

#[test]
fn the_preview_shows_a_groups_phases_with_their_exact_bodies() {
    let mut s = preview_phases();
    let p = s.preview.previewed.as_ref().unwrap();
    let kinds: Vec<Option<Command>> = p
        .rows
        .iter()
        .map(|r| r.phase.map(|i| p.phases[i].request.command))
        .collect();
    assert_eq!(kinds.first(), Some(&Some(Command::ImportGroup)));
    assert_eq!(
        kinds.iter().filter(|k| k.is_none()).count(),
        8,
        "its 8 requests of messages"
    );
    assert_eq!(
        &kinds[kinds.len() - 2..],
        [
            Some(Command::ImportGroupMember),
            Some(Command::SetUnreadMsgNum)
        ]
    );
    let last = p.rows.len() - 1;
    s.preview.view.select_row(last);
    s.preview.sync_body();
    assert_eq!(
        s.preview.selected_body().unwrap(),
        r#"{"GroupId":"archive-2019","Member_Account":"old.admin","UnreadMsgNum":2}"#
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(text)] if text.contains("old.admin")),
        "{effects:?}"
    );
}

#[test]
fn a_launch_lists_the_missing_accounts_and_imports_them_only_on_yes() {
    let mut s = preview();
    let effects = press(&mut s, KeyCode::Char('A'));
    let [Effect::CheckAccounts { groups, .. }] = effects.as_slice() else {
        panic!("the launch asks the service first: {effects:?}")
    };
    assert_eq!(groups.len(), 7);
    assert!(s.overlay.is_none());

    // The service cannot be asked: nothing starts.
    update(
        &mut s,
        Msg::AccountsChecked {
            groups: groups.clone(),
            scope: "every staged group".into(),
            result: Err(ErrorView::local("account_check refused", "70001")),
        },
    );
    assert!(s.overlay.is_none());
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("nothing was started")
    );

    launch_key(&mut s, KeyCode::Char('A'), &["old.guest"]);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    let text = c.lines.join("\n");
    assert!(
        text.contains(
            "1 account the staging names is neither in the app nor in accounts.jsonl: old.guest"
        ),
        "{text}"
    );
    assert!(
        text.contains("Phases, in order: accounts, groups, messages, members."),
        "{text}"
    );
    assert!(text.contains("members: 4 in 2 group(s)"), "{text}");
    // No stops: nothing is sent.
    assert!(press(&mut s, KeyCode::Char('n')).is_empty());
    launch_key(&mut s, KeyCode::Char('A'), &["old.guest"]);
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::StartRun(launch)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(launch.migration.missing, 1);
    assert!(
        launch
            .migration
            .accounts
            .iter()
            .any(|a| a.user_id == "old.guest" && a.nick.is_none())
    );
    assert_eq!(launch.migration.phases.phases(), Phase::ALL.to_vec());
    assert_eq!(launch.migration.groups.len(), 2);
}

#[test]
fn the_run_screen_takes_the_phases() {
    let mut s = running();
    event(
        &mut s,
        Event::Phases {
            phases: Phase::ALL.to_vec(),
        },
    );
    event(
        &mut s,
        Event::PhaseStarted {
            phase: Phase::Accounts,
            items: 3,
        },
    );
    assert_eq!(s.run.phase, Some(Phase::Accounts));
    event(
        &mut s,
        Event::PhaseDone {
            phase: Phase::Groups,
            steps: vec![StepSummary {
                step: Step::Groups,
                counts: PhaseCounts {
                    total: 2,
                    done: 1,
                    existed: 1,
                    ..PhaseCounts::default()
                },
            }],
        },
    );
    assert_eq!(
        s.run.phase,
        Some(Phase::Messages),
        "the lanes follow the groups"
    );
    assert_eq!(s.run.steps.len(), 1);
    event(
        &mut s,
        Event::GroupPhase {
            group: "support-desk".into(),
            phase: GroupPhase::Members,
        },
    );
    let lane = s.run.lane_of(&lane("support-desk")).unwrap();
    assert_eq!(s.run.lanes[lane].phase, Some(GroupPhase::Members));
    let errors = s.run.errors.len();
    event(
        &mut s,
        Event::PhaseItem {
            step: Step::Members,
            group: Some("support-desk".into()),
            item: "agent.zoe".into(),
            outcome: ItemOutcome::Failed(timport::engine::Failure::from_explanation(
                timport::api::explain(10019),
                "",
            )),
        },
    );
    assert_eq!(s.run.errors.len(), errors + 1);
    let row = s.run.errors.back().unwrap();
    assert_eq!(row.kind, ErrorKind::Phase);
    assert!(
        row.meaning.starts_with("members support-desk: agent.zoe: "),
        "{}",
        row.meaning
    );
    let requests = s.run.requests;
    event(
        &mut s,
        Event::PhaseCall {
            step: Step::Members,
            group: Some("support-desk".into()),
            command: "import_group_member".into(),
            call: 1,
            items: 2,
            bytes: 100,
        },
    );
    assert_eq!(s.run.requests, requests + 1);
}
