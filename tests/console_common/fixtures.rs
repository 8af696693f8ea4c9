//! Fixed states for snapshots and render tests: every screen with deterministic data, built
//! only through `update` (as the real app builds them) and a fixed clock.

use std::collections::HashMap;

use timport::api::types::GroupInfo;
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::console::keymap::Screen;
use timport::console::msg::{Connected, GroupIdPage, Msg};
use timport::console::state::groups::StagedCounts;
use timport::console::state::{AppState, update};

use super::{ADMIN, APP, KEY, state};

pub const URL: &str = "http://127.0.0.1:8080";

pub fn client() -> Client {
    Client::new(
        Endpoint::parse(URL).expect("url"),
        Credentials {
            sdkappid: APP,
            admin: ADMIN.into(),
            secret: SecretKey::new(KEY),
        },
        ClientOptions::default(),
    )
    .expect("client")
}

/// The form as `timport demo` fills it, not tested yet.
pub fn connect_form() -> AppState {
    state(URL)
}

/// Connected: the test passed.
pub fn connected() -> AppState {
    let mut s = state(URL);
    let effects = s.start();
    assert_eq!(effects.len(), 1, "a complete form is tested at start");
    update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 1,
            result: Ok(Connected {
                client: client(),
                total_groups: 7,
                round_trip: std::time::Duration::from_millis(70),
            }),
        },
    );
    s
}

fn info(id: &str, kind: &str, name: &str, last: i64, members: u64) -> GroupInfo {
    GroupInfo {
        group_id: id.into(),
        group_type: Some(kind.into()),
        name: Some(name.into()),
        create_time: Some(1_669_852_800),
        last_msg_time: Some(last),
        member_num: Some(members),
        ..GroupInfo::default()
    }
}

/// The service's answers to the listing in progress: the demo's groups, with details;
/// `newest` is the newest message time of the groups that had none.
pub fn list_groups(s: &mut AppState, newest: i64) {
    let generation = s.groups.generation;
    let ids = [
        "support-desk",
        "eng-core",
        "@TGS#_bookclub",
        "town-hall",
        "live-launch",
        "sales-emea",
        "gone-group",
    ];
    update(
        s,
        Msg::GroupIds {
            generation,
            result: Ok(GroupIdPage {
                ids: ids.iter().map(|s| s.to_string()).collect(),
                total: 7,
                last: true,
            }),
        },
    );
    let mut gone = GroupInfo {
        group_id: "gone-group".into(),
        error_code: 10010,
        ..GroupInfo::default()
    };
    gone.error_info = "group not found".into();
    update(
        s,
        Msg::GroupInfos {
            generation,
            result: Ok(vec![
                info("support-desk", "Public", "Support desk", newest, 9),
                info("eng-core", "Private", "Engineering", newest, 6),
                info("@TGS#_bookclub", "Community", "Book club", 0, 1),
                info("town-hall", "ChatRoom", "Town hall", 0, 1),
                info("live-launch", "AVChatRoom", "Launch livestream", 0, 1),
                info("sales-emea", "Public", "Sales EMEA", 1_672_729_377, 4),
                gone,
            ]),
        },
    );
}

/// The Groups screen with the demo's groups, details in.
pub fn groups() -> AppState {
    let mut s = connected();
    list_groups(&mut s, 0);
    let staged = |messages, invalid, first: i64| StagedCounts {
        messages,
        invalid,
        first,
        last: first + 3_500_000,
        ..StagedCounts::default()
    };
    s.groups.set_staged(HashMap::from([
        ("support-desk".to_string(), staged(1400, 0, 1_672_704_100)),
        ("eng-core".to_string(), staged(903, 3, 1_672_704_200)),
        ("@TGS#_bookclub".to_string(), staged(350, 0, 1_672_704_300)),
        ("town-hall".to_string(), staged(300, 2, 1_672_704_400)),
        ("live-launch".to_string(), staged(120, 0, 1_672_704_500)),
        ("sales-emea".to_string(), staged(500, 0, 1_672_712_653)),
        ("archive-2019".to_string(), staged(50, 0, 1_632_704_000)),
    ]));
    s.screen = Screen::Groups;
    s
}

use std::path::PathBuf;
use std::sync::Arc;

use timport::console::state::files::Scanned;
use timport::console::state::preview::Previewed;
use timport::engine::{
    Counts, Event, Failure, Landed, LaneState, MessageOutcome, PauseReason, RunSummary, SourceRef,
    Target as Lane, TargetStart, TargetSummary,
};
use timport::plan::PlanOptions;
use timport::staging::{ScanOptions, scan};

/// The demo's staging directory in the repository.
pub fn demo_staging() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/staging"))
}

/// The demo staging directory, scanned at the fixed "now".
pub fn scanned() -> Scanned {
    let staging = scan(&demo_staging(), &ScanOptions::new(super::NOW_MS / 1000)).expect("scan");
    Scanned::from_staging(Arc::new(staging))
}

/// Groups plus the scan (as if it came from /srv/migration/staging).
pub fn files() -> AppState {
    let mut s = groups();
    let generation = s.files.begin_scan("/srv/migration/staging".into());
    update(
        &mut s,
        Msg::StagingScanned {
            generation,
            result: Ok(Box::new(scanned())),
        },
    );
    s.status = None;
    s.screen = Screen::Files;
    s
}

/// The plan of sales-emea.
pub fn preview() -> AppState {
    preview_of("sales-emea")
}

/// The plan of `group`, built as the executor builds it.
pub fn preview_of(group: &str) -> AppState {
    let mut s = files();
    plan_group(&mut s, group);
    s
}

/// Plans `group` of the scan, as the Preview screen gets it, and shows the screen.
pub fn plan_group(s: &mut AppState, group: &str) {
    let generation = s.preview.begin(group);
    let staging = s.files.scanned.as_ref().expect("scanned").staging.clone();
    let previewed = Previewed::build(&staging, group, &PlanOptions::default()).expect("plan");
    update(
        s,
        Msg::PlanBuilt {
            generation,
            result: Ok(Box::new(previewed)),
        },
    );
    s.screen = Screen::Preview;
}

/// `s` with bursts in the scan of `sales-emea`: 20 messages in one second.
pub fn with_bursts(mut s: AppState) -> AppState {
    let scanned = s.files.scanned.as_mut().expect("scanned");
    let counts = scanned
        .groups
        .get_mut("sales-emea")
        .expect("sales-emea is staged");
    counts.bursts = timport::plan::Bursts::of([Some(1_672_712_653); 20], 7);
    s
}

pub fn lane(group: &str) -> Lane {
    Lane::new(group, None)
}

pub fn source(file: &str, line: u32, offset: u64) -> SourceRef {
    SourceRef {
        file: file.into(),
        line,
        offset,
        item: 0,
    }
}

pub fn event(s: &mut AppState, e: Event) {
    update(s, Msg::Engine(e));
}

/// The sales-emea pause: its first message refused with 10004.
pub fn sales_pause() -> PauseReason {
    let x = timport::api::explain_message_result(10004);
    PauseReason {
        source: source("sales-emea.jsonl", 1, 0),
        summary: "CRM sync finished: 12352 records".into(),
        failure: Failure::from_explanation(x, ""),
        landed_after: vec![Landed {
            source: source("sales-emea.jsonl", 4, 462),
            msg_seq: 2,
        }],
        newest: None,
    }
}

/// A run in progress: lanes in every state, results, errors, a paused lane.
pub fn running() -> AppState {
    let mut s = preview();
    let launch = super::launch_key(&mut s, crossterm::event::KeyCode::Char('A'), &[]);
    assert!(launch.is_empty(), "A asks first");
    let effects = super::press(&mut s, crossterm::event::KeyCode::Char('y'));
    assert_eq!(effects.len(), 1, "yes launches");
    let start = s.now_ms;
    let groups = [
        ("support-desk", 1400u64),
        ("eng-core", 903),
        ("@TGS#_bookclub", 350),
        ("town-hall", 300),
        ("live-launch", 120),
        ("sales-emea", 500),
        ("archive-2019", 50),
    ];
    event(
        &mut s,
        Event::RunStarted {
            run_id: 1,
            resumed: false,
            targets: groups
                .iter()
                .map(|(g, n)| TargetStart {
                    target: lane(g),
                    messages: *n,
                    batches: n.div_ceil(7),
                    already_done: 0,
                })
                .collect(),
            rate_budget: 180,
            lanes: 32,
            on_message_error: timport::engine::OnMessageError::Pause,
        },
    );
    for (g, _) in &groups {
        event(
            &mut s,
            Event::LaneState {
                target: lane(g),
                state: LaneState::Running,
            },
        );
    }
    // Ten seconds of results, a second apart.
    let senders = ["agent.lin", "cust.0192", "agent.maya"];
    for i in 0..70u64 {
        s.now_ms = start + (i as i64) * 150;
        if i % 7 == 0 {
            event(
                &mut s,
                Event::BatchSent {
                    target: lane("support-desk"),
                    batch: (i / 7) as u32,
                    request: i as i64,
                    messages: 7,
                    attempt: 1,
                    bytes: 1_100,
                },
            );
        }
        event(
            &mut s,
            Event::MessageResult {
                target: lane("support-desk"),
                source: source("support-desk.jsonl", i as u32 + 1, i * 150),
                from_account: senders[(i % 3) as usize].into(),
                send_time: 1_672_707_079 + (i as i64) * 1_700,
                random: 1,
                summary: format!("Ticket {} closed", 1000 + i),
                outcome: MessageOutcome::Done {
                    msg_seq: i + 1,
                    msg_time: 1_672_707_079 + (i as i64) * 1_700,
                },
            },
        );
    }
    let x = timport::api::explain(10007);
    event(
        &mut s,
        Event::Retrying {
            target: lane("eng-core"),
            batch: 3,
            attempt: 2,
            delay_ms: 400,
            reason: Failure::from_explanation(timport::api::explain(10002), "service said: busy"),
        },
    );
    event(
        &mut s,
        Event::OutcomeUnknown {
            target: lane("town-hall"),
            batch: 1,
            request: 99,
            failure: Failure::from_local(timport::api::LocalFailure::Dropped, "connection closed"),
        },
    );
    event(
        &mut s,
        Event::Settled {
            target: lane("town-hall"),
            batch: 1,
            landed: 7,
            missing: 0,
        },
    );
    event(
        &mut s,
        Event::LaneStopped {
            target: lane("live-launch"),
            reason: format!("10007: {}", x.meaning),
        },
    );
    let pause = sales_pause();
    event(
        &mut s,
        Event::MessageResult {
            target: lane("sales-emea"),
            source: pause.source.clone(),
            from_account: "sales.ines".into(),
            send_time: 1_672_712_653,
            random: 7,
            summary: pause.summary.clone(),
            outcome: MessageOutcome::Failed(pause.failure.clone()),
        },
    );
    event(
        &mut s,
        Event::LanePaused {
            target: lane("sales-emea"),
            reason: pause,
        },
    );
    event(
        &mut s,
        Event::LaneDone {
            target: lane("archive-2019"),
            counts: Counts {
                total: 50,
                done: 50,
                ..Counts::default()
            },
        },
    );
    event(
        &mut s,
        Event::RateChanged {
            current: 150,
            budget: 180,
            refusals: 2,
        },
    );
    s.now_ms = start + 11_000;
    s
}

/// The run of [`running`] at its end, as the engine reports it: the moving lanes done,
/// sales-emea stopped by the operator at its refused message, then the summary naming every
/// lane as it ended (counts as the ledger holds them).
pub fn finished() -> AppState {
    let mut s = running();
    s.now_ms = s.run.started_ms + 25_000;
    let all_done = |total| Counts {
        total,
        done: total,
        ..Counts::default()
    };
    for (g, n) in [
        ("support-desk", 1400),
        ("eng-core", 903),
        ("@TGS#_bookclub", 350),
        ("town-hall", 300),
    ] {
        event(
            &mut s,
            Event::LaneDone {
                target: lane(g),
                counts: all_done(n),
            },
        );
    }
    let stopped_at = "stopped by the operator at sales-emea.jsonl line 1";
    event(
        &mut s,
        Event::LaneStopped {
            target: lane("sales-emea"),
            reason: stopped_at.into(),
        },
    );
    let x = timport::api::explain(10007);
    let ended = [
        ("support-desk", LaneState::Done, all_done(1400), None),
        ("eng-core", LaneState::Done, all_done(903), None),
        ("@TGS#_bookclub", LaneState::Done, all_done(350), None),
        ("town-hall", LaneState::Done, all_done(300), None),
        (
            "live-launch",
            LaneState::Stopped,
            Counts {
                total: 120,
                ..Counts::default()
            },
            Some(format!("10007: {}", x.meaning)),
        ),
        (
            "sales-emea",
            LaneState::Stopped,
            Counts {
                total: 500,
                failed: 1,
                ..Counts::default()
            },
            Some(stopped_at.to_owned()),
        ),
        ("archive-2019", LaneState::Done, all_done(50), None),
    ];
    let mut totals = Counts::default();
    let targets = ended
        .into_iter()
        .map(|(g, state, counts, reason)| {
            totals.add(&counts);
            TargetSummary {
                target: lane(g),
                state,
                counts,
                reason,
            }
        })
        .collect();
    event(
        &mut s,
        Event::RunFinished {
            summary: RunSummary {
                run_id: 1,
                targets,
                totals,
                requests: 431,
                elapsed_ms: 25_000,
                stopped: None,
                steps: Vec::new(),
            },
            exit_code: 1,
        },
    );
    // The end of the run lists the groups again: the imported ones now hold newer messages.
    list_groups(&mut s, 1_676_000_000);
    s
}

/// The inspector open on sales-emea's refused message, its text loaded.
pub fn inspecting() -> AppState {
    let mut s = running();
    s.run.focus = timport::console::state::run::RunFocus::Lanes;
    let lane_index = s.run.lane_of(&lane("sales-emea")).expect("lane");
    s.run.lane_view.select_row(lane_index);
    let effects = super::press(&mut s, crossterm::event::KeyCode::Enter);
    assert_eq!(
        effects.len(),
        1,
        "the inspector asks for the message's text"
    );
    let text = "{\n  \"From_Account\": \"sales.ines\",\n  \"SendTime\": 1672712653,\n  \"MsgBody\": [\n    {\n      \"MsgType\": \"TIMTextElem\",\n      \"MsgContent\": {\n        \"Text\": \"CRM sync finished: 12352 records\"\n      }\n    }\n  ]\n}";
    update(
        &mut s,
        Msg::InspectorText {
            target: lane("sales-emea"),
            source: sales_pause().source,
            result: Ok(text.into()),
        },
    );
    s
}

/// The Groups screen with the scan in: archive-2019 is not in the app, and groups.jsonl stages
/// it, so it can be created; selected.
pub fn groups_to_create() -> AppState {
    let mut s = files();
    s.screen = Screen::Groups;
    let row = s
        .groups
        .rows
        .iter()
        .position(|r| r.id == "archive-2019")
        .expect("archive-2019 is listed");
    s.groups.view.select_row(row);
    s
}

/// The plan of archive-2019: its import_group, its messages, its members and unread counts.
pub fn preview_phases() -> AppState {
    preview_of("archive-2019")
}

/// A migration at work: accounts and groups done, archive-2019 created, lanes going, members of
/// support-desk being set.
pub fn running_phases() -> AppState {
    use timport::engine::events::{GroupPhase, ItemOutcome, Phase, PhaseCounts, Step, StepSummary};
    let mut s = running();
    event(
        &mut s,
        Event::Phases {
            phases: Phase::ALL.to_vec(),
        },
    );
    let step = |step, total, done, existed| StepSummary {
        step,
        counts: PhaseCounts {
            total,
            done,
            existed,
            ..PhaseCounts::default()
        },
    };
    event(
        &mut s,
        Event::PhaseDone {
            phase: Phase::Accounts,
            steps: vec![step(Step::Accounts, 3, 3, 0)],
        },
    );
    event(
        &mut s,
        Event::PhaseDone {
            phase: Phase::Groups,
            steps: vec![step(Step::Groups, 2, 1, 1)],
        },
    );
    for (group, phase) in [
        ("archive-2019", GroupPhase::Done),
        ("live-launch", GroupPhase::Messages),
        ("support-desk", GroupPhase::Members),
    ] {
        event(
            &mut s,
            Event::GroupPhase {
                group: group.into(),
                phase,
            },
        );
    }
    event(
        &mut s,
        Event::PhaseStarted {
            phase: Phase::Members,
            items: 4,
        },
    );
    event(
        &mut s,
        Event::PhaseItem {
            step: Step::Members,
            group: Some("support-desk".into()),
            item: "agent.zoe".into(),
            outcome: ItemOutcome::Failed(Failure::from_explanation(
                timport::api::explain(10019),
                "",
            )),
        },
    );
    s
}

/// A message as a verification shows it (staged or found).
pub fn view(
    from: &str,
    time: i64,
    random: u32,
    seq: u64,
    text: &str,
) -> timport::engine::verify::MessageView {
    timport::engine::verify::MessageView {
        from_account: from.into(),
        send_time: time,
        random: Some(random),
        msg_seq: Some(seq),
        body: serde_json::json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]),
    }
}

/// The finished run being verified (`V`): half compared, three findings in the errors pane.
pub fn verifying() -> AppState {
    use timport::engine::verify::{Finding, FindingKind, VerifyEvent};
    let mut s = finished();
    let effects = super::press(&mut s, crossterm::event::KeyCode::Char('V'));
    assert!(
        matches!(effects.as_slice(), [timport::console::effect::Effect::Verify(v)] if v.only.is_empty()),
        "V verifies the whole run"
    );
    let verify = |s: &mut AppState, e| update(s, Msg::Verify(e));
    verify(
        &mut s,
        VerifyEvent::VerifyStarted {
            verification_id: 1,
            run_id: 1,
            resumed: false,
            targets: vec![lane("support-desk"), lane("eng-core")],
            expected: 3_103,
            checked: 0,
        },
    );
    s.now_ms += 4_000;
    let findings = [
        Finding {
            kind: FindingKind::Missing,
            target: lane("support-desk"),
            source: Some(source("support-desk.jsonl", 12, 1_300)),
            msg_seq: Some(12),
            differs: Vec::new(),
            staged: Some(view(
                "agent.li",
                1_672_531_300,
                12,
                12,
                "Ticket 4411 closed",
            )),
            found: None,
            note: "deleted: MsgSeq 12 is a hole".into(),
        },
        Finding {
            kind: FindingKind::Changed,
            target: lane("support-desk"),
            source: Some(source("support-desk.jsonl", 40, 4_400)),
            msg_seq: Some(40),
            differs: vec!["MsgBody".into()],
            staged: Some(view("agent.li", 1_672_533_000, 40, 40, "Refund approved")),
            found: Some(view("agent.li", 1_672_533_000, 40, 40, "Refund denied")),
            note: "found at MsgSeq 40 with another MsgBody".into(),
        },
        Finding {
            kind: FindingKind::Extra,
            target: lane("eng-core"),
            source: None,
            msg_seq: Some(904),
            differs: Vec::new(),
            staged: None,
            found: Some(view("ops.bot", 1_700_000_000, 77, 904, "deploy finished")),
            note: "not from this run: sent by ops.bot at 2023-11-14 22:13:20 UTC (SendTime 1700000000)".into(),
        },
    ];
    for f in findings {
        verify(&mut s, VerifyEvent::Finding(Box::new(f)));
    }
    verify(
        &mut s,
        VerifyEvent::Progress {
            target: lane("support-desk"),
            checked: 1_600,
            differences: 3,
        },
    );
    s
}

/// The changed finding opened from the errors pane: staged against found.
pub fn verify_finding() -> AppState {
    let mut s = verifying();
    s.run.focus = timport::console::state::run::RunFocus::Errors;
    let row = s
        .run
        .errors
        .iter()
        .position(|e| e.meaning.starts_with("changed"))
        .expect("the changed finding's row");
    s.run.error_view.select_row(row);
    let effects = super::press(&mut s, crossterm::event::KeyCode::Enter);
    assert!(effects.is_empty(), "the finding is in memory");
    s
}
