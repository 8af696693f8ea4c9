//! `update` for Files, Preview, Run and the inspector: messages in, state and effects out.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::console::effect::Effect;
use timport::console::keymap::Screen;
use timport::console::msg::{Input, Msg};
use timport::console::state::AppState;
use timport::console::state::files::FilesFocus;
use timport::console::state::inspector::Notice;
use timport::console::state::overlay::{Overlay, Pending};
use timport::console::state::run::{RowOutcome, RunFocus};
use timport::console::state::update;
use timport::console::theme::Theme;
use timport::engine::{
    Control, Decision, Event, Failure, LaneState, MessageOutcome, RunSummary, TargetSummary,
};

#[test]
fn the_scan_feeds_files_and_groups() {
    let s = files();
    let scanned = s.files.scanned.as_ref().expect("scanned");
    assert_eq!(
        scanned.files.len(),
        9,
        "seven message files, accounts.jsonl, groups.jsonl"
    );
    assert_eq!(scanned.errors, 5);
    let eng = scanned
        .files
        .iter()
        .find(|f| f.path.as_ref() == "eng-core.jsonl")
        .expect("eng-core");
    assert_eq!((eng.messages, eng.errors), (903, 3));
    let counts = s
        .groups
        .get("eng-core")
        .and_then(|g| g.staged)
        .expect("staged");
    assert_eq!((counts.messages, counts.invalid), (903, 3));
    assert_eq!(
        counts.messages, eng.messages,
        "one count of staged messages"
    );
    // archive-2019 is staged but not in the app.
    assert!(s.groups.get("archive-2019").is_some());
}

#[test]
fn a_problem_opens_its_message_and_a_file_opens_its_group() {
    let mut s = files();
    let row = s
        .files
        .rows()
        .iter()
        .position(|f| f.path.as_ref() == "eng-core.jsonl")
        .expect("eng-core");
    s.files.view.select_row(row);
    s.files.sync_problems();
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.files.focus, FilesFocus::Problems);
    press(&mut s, KeyCode::Down);
    let effects = press(&mut s, KeyCode::Enter);
    let [Effect::ReadStaged { title, offset, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(title.starts_with("eng-core.jsonl line 401"), "{title}");
    assert!(*offset > 0);
    let [Effect::ReadStaged { heading, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let problem = s
        .files
        .selected_problem()
        .expect("selected")
        .message
        .clone();
    assert!(
        heading.ends_with(&problem),
        "the problem in full: {heading}"
    );
    update(
        &mut s,
        Msg::StagedText {
            title: title.clone(),
            heading: heading.clone(),
            result: Ok("{\n  \"SendTime\": 1\n}".into()),
        },
    );
    let Some(Overlay::Popup(p)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    assert_eq!(p.lines.first(), Some(heading));
    assert_eq!(
        p.copy.as_deref(),
        Some("{\n  \"SendTime\": 1\n}"),
        "y copies the message"
    );
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Tab);
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::BuildPlan { group, .. }] if group == "eng-core"),
        "{effects:?}"
    );
    assert_eq!(s.screen, Screen::Preview);
}

#[test]
fn d_asks_for_another_staging_directory_and_scans_it() {
    let mut s = files();
    press(&mut s, KeyCode::Char('d'));
    assert!(s.typing.is_some());
    update(&mut s, Msg::Input(Input::Key(ctrl('u'))));
    type_text(&mut s, "/data/other");
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::ScanStaging { root, .. }] if root.to_str() == Some("/data/other"))
    );
}

#[test]
fn opening_a_group_without_a_scan_says_what_to_do() {
    let mut s = groups();
    let effects = press(&mut s, KeyCode::Enter);
    assert!(effects.is_empty());
    let text = s
        .status
        .as_ref()
        .map(|x| x.text.clone())
        .unwrap_or_default();
    assert!(text.contains("No staging directory"), "{text}");
}

#[test]
fn the_preview_selects_and_copies_exact_bodies() {
    let mut s = preview();
    let p = s.preview.previewed.as_ref().expect("plan");
    assert_eq!(p.messages(), 500);
    let first = s.preview.selected_body().expect("a body");
    assert!(first.starts_with("{\"GroupId\":\"sales-emea\""), "{first}");
    assert!(s.preview.body.contains("\n  \"MsgList\": ["), "pretty");
    press(&mut s, KeyCode::Down);
    let second = s.preview.selected_body().expect("a body");
    assert_ne!(first, second);
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Copy(text)] if *text == second));
}

#[test]
fn launching_asks_first_and_says_what_and_where() {
    let mut s = preview();
    assert!(launch_key(&mut s, KeyCode::Char('L'), &[]).is_empty());
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    let text = c.lines.join("\n");
    assert!(text.contains("Import 500 staged messages"), "{text}");
    assert!(text.contains("SDKAppID 1400000000"), "{text}");
    assert!(text.contains("http://127.0.0.1:8080"), "{text}");
    assert!(text.contains("ledger.sqlite3"), "{text}");
    assert!(text.contains("unread count"), "{text}");
    assert!(
        text.contains("sales-emea (newer)"),
        "the group's verdict is repeated: {text}"
    );
    assert!(press(&mut s, KeyCode::Char('n')).is_empty());
    assert!(s.overlay.is_none());

    launch_key(&mut s, KeyCode::Char('A'), &[]);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!()
    };
    assert_eq!(
        c.on_yes,
        Pending::Launch(
            [
                "@TGS#_bookclub",
                "archive-2019",
                "eng-core",
                "live-launch",
                "sales-emea",
                "support-desk",
                "town-hall"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    let text = c.lines.join("\n");
    // archive-2019 is not in the app, but groups.jsonl stages it: the run creates it.
    assert!(
        text.contains("live-launch (no)") && !text.contains("archive-2019 ("),
        "{text}"
    );
    assert!(text.contains("groups: 2: import_group"), "{text}");
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::StartRun(launch)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(launch.groups.len(), 7);
    assert_eq!(s.screen, Screen::Run);
    assert!(s.run.active);
}

#[test]
fn a_launch_of_groups_with_bursts_offers_to_spread_them() {
    use timport::plan::SameSecond;
    // Without bursts, no word about them and the key does nothing.
    let mut plain = preview();
    launch_key(&mut plain, KeyCode::Char('L'), &[]);
    let Some(Overlay::Confirm(c)) = &plain.overlay else {
        panic!()
    };
    assert!(!c.lines.iter().any(|l| l.starts_with("Same second")));
    press(&mut plain, KeyCode::Char('s'));
    assert_eq!(plain.run_options.same_second, SameSecond::Keep);
    assert!(matches!(plain.overlay, Some(Overlay::Confirm(_))));

    // With accounts to import by UserID alone too, the key switches the same way.
    let mut missing = with_bursts(preview());
    launch_key(&mut missing, KeyCode::Char('L'), &["old.guest"]);
    press(&mut missing, KeyCode::Char('s'));
    assert_eq!(missing.run_options.same_second, SameSecond::Spread);
    let effects = press(&mut missing, KeyCode::Char('y'));
    let [Effect::StartRun(launch)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(launch.options.same_second, SameSecond::Spread);

    let mut s = with_bursts(preview());
    launch_key(&mut s, KeyCode::Char('L'), &[]);
    let line = |s: &timport::console::state::AppState| {
        let Some(Overlay::Confirm(c)) = &s.overlay else {
            panic!("{:?}", s.overlay)
        };
        c.lines
            .iter()
            .find(|l| l.starts_with("Same second: "))
            .cloned()
            .expect("a line about bursts")
    };
    assert_eq!(
        line(&s),
        "Same second: keep. 20 messages sit in seconds holding more than 7: they go at their SendTime, split across requests, and a service strict about equal times refuses 13 of them. s spreads them instead."
    );
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(s.run_options.same_second, SameSecond::Spread);
    assert_eq!(
        line(&s),
        "Same second: spread. 20 messages sit in seconds holding more than 7: 13 go up to 2 s later than staged, each move recorded. s keeps every SendTime instead."
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::StartRun(launch)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(launch.options.same_second, SameSecond::Spread);
    // The preview plans as the next launch will send.
    s.screen = Screen::Groups;
    let effects = press(&mut s, KeyCode::Enter);
    let [Effect::BuildPlan { same_second, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*same_second, SameSecond::Spread);
}

#[test]
fn a_run_counts_every_message_once_whatever_is_decided() {
    let mut s = running();
    let sales = s.run.lane_of(&lane("sales-emea")).expect("lane");
    assert_eq!(s.run.lanes[sales].counts.failed, 1);
    assert_eq!(s.run.lanes[sales].state, LaneState::Paused);
    // Skipped after the decision: failed goes down, skipped up.
    update(
        &mut s,
        Msg::Engine(Event::MessageResult {
            target: lane("sales-emea"),
            source: sales_pause().source,
            from_account: "sales.ines".into(),
            send_time: 1,
            random: 7,
            summary: "x".into(),
            outcome: MessageOutcome::Skipped {
                reason: "older than the group".into(),
            },
        }),
    );
    let c = s.run.lanes[sales].counts;
    assert_eq!((c.failed, c.skipped), (0, 1));
    // A retried message that then lands is done, not failed and done.
    let src = source("sales-emea.jsonl", 2, 150);
    for outcome in [
        MessageOutcome::Failed(Failure::from_explanation(timport::api::explain(80001), "")),
        MessageOutcome::Done {
            msg_seq: 9,
            msg_time: 2,
        },
    ] {
        update(
            &mut s,
            Msg::Engine(Event::MessageResult {
                target: lane("sales-emea"),
                source: src.clone(),
                from_account: "sales.paul".into(),
                send_time: 2,
                random: 8,
                summary: "y".into(),
                outcome,
            }),
        );
    }
    let c = s.run.lanes[sales].counts;
    assert_eq!((c.failed, c.done, c.skipped), (0, 1, 1));
    assert_eq!(s.run.settled(), 122, "121 before, one more landed");
}

#[test]
fn results_follow_the_newest_until_scrolled() {
    let mut s = running();
    s.run.focus = RunFocus::Results;
    assert!(s.run.follow);
    let last = s.run.results.len() - 1;
    assert_eq!(s.run.result_view.selected(), Some(last));
    press(&mut s, KeyCode::Up);
    assert!(!s.run.follow, "scrolling up stops following");
    let add = |s: &mut timport::console::state::AppState, n: u64| {
        update(
            s,
            Msg::Engine(Event::MessageResult {
                target: lane("support-desk"),
                source: source("support-desk.jsonl", 500 + n as u32, 90_000 + n),
                from_account: "agent.lin".into(),
                send_time: 1_700_000_000,
                random: 1,
                summary: "new".into(),
                outcome: MessageOutcome::Done {
                    msg_seq: 500 + n,
                    msg_time: 1,
                },
            }),
        );
    };
    add(&mut s, 1);
    assert_eq!(
        s.run.result_view.selected(),
        Some(last - 1),
        "stays where the operator is"
    );
    press(&mut s, KeyCode::Char('f'));
    assert!(s.run.follow);
    add(&mut s, 2);
    assert_eq!(s.run.result_view.selected(), Some(s.run.results.len() - 1));
    // The filter applies to new rows as they arrive.
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "10004");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.run.result_view.shown(), 1);
    let row = s
        .run
        .results
        .get(s.run.result_view.row_at(0).expect("row"))
        .expect("row");
    assert_eq!(row.outcome, RowOutcome::Failed(Some(10004)));
}

#[test]
fn space_pauses_and_resumes_x_stops_a_lane() {
    let mut s = running();
    let effects = press(&mut s, KeyCode::Char(' '));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Control(Control::PauseRun)]
    ));
    assert!(s.run.paused);
    let effects = press(&mut s, KeyCode::Char(' '));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Control(Control::ResumeRun)]
    ));
    s.run.focus = RunFocus::Lanes;
    s.run.lane_view.select_row(0);
    let effects = press(&mut s, KeyCode::Char('x'));
    assert!(
        matches!(effects.as_slice(), [Effect::Control(Control::StopLane(t, _))] if *t == lane("support-desk"))
    );
    // A lane that already stopped is not stopped again.
    let live = s.run.lane_of(&lane("live-launch")).expect("lane");
    s.run.lane_view.select_row(live);
    assert!(press(&mut s, KeyCode::Char('x')).is_empty());
}

#[test]
fn q_asks_first_while_a_run_is_going() {
    let mut s = running();
    press(&mut s, KeyCode::Char('q'));
    assert!(!s.quit);
    assert!(matches!(&s.overlay, Some(Overlay::Confirm(c)) if c.on_yes == Pending::Quit));
    press(&mut s, KeyCode::Char('y'));
    assert!(s.quit);
}

#[test]
fn the_inspector_opens_on_the_paused_message_only() {
    let mut s = running();
    s.run.focus = RunFocus::Results;
    // The newest result is sales-emea's refused message: Enter opens the inspector on it.
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadMessage { target: l, .. }] if *l == lane("sales-emea"))
    );
    assert!(s.inspector.is_some());
    press(&mut s, KeyCode::Esc);
    assert!(
        s.inspector.is_none(),
        "Esc goes back; the lane keeps waiting"
    );
    // A done result opens its details, not the inspector.
    press(&mut s, KeyCode::Up);
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::Popup(_))));
}

#[test]
fn decisions_go_to_the_engine_and_the_inspector_waits_for_the_lane() {
    let mut s = inspecting();
    let effects = press(&mut s, KeyCode::Char('r'));
    let [
        Effect::Control(Control::Decide {
            target,
            source: src,
            decision,
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (target, src, decision),
        (&lane("sales-emea"), &sales_pause().source, &Decision::Retry)
    );
    assert!(matches!(
        s.inspector.as_ref().and_then(|i| i.notice.clone()),
        Some(Notice::Sent(_))
    ));
    // The engine refuses: the inspector says why and stays.
    update(
        &mut s,
        Msg::Engine(Event::Warning {
            target: Some(lane("sales-emea")),
            message: "cannot".into(),
        }),
    );
    assert!(
        matches!(s.inspector.as_ref().and_then(|i| i.notice.clone()), Some(Notice::Refused(m)) if m == "cannot")
    );
    // The lane goes on: the inspector closes.
    update(
        &mut s,
        Msg::Engine(Event::LaneResumed {
            target: lane("sales-emea"),
        }),
    );
    assert!(s.inspector.is_none());
}

#[test]
fn an_edit_is_checked_before_it_is_sent() {
    let mut s = inspecting();
    press(&mut s, KeyCode::Char('e'));
    assert_eq!(s.place(), timport::console::keymap::Place::Editor);
    // Break it: remove the closing brace.
    for _ in 0..3 {
        update(&mut s, Msg::Input(Input::Key(ctrl('n'))));
    }
    press(&mut s, KeyCode::End);
    type_text(&mut s, "x");
    press(&mut s, KeyCode::Esc);
    assert!(s.inspector.as_ref().is_some_and(|i| i.edited()));
    // r refuses to retry the staged text while edits are pending.
    assert!(press(&mut s, KeyCode::Char('r')).is_empty());
    let effects = press(&mut s, KeyCode::Char('R'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        matches!(s.inspector.as_ref().and_then(|i| i.notice.clone()), Some(Notice::Invalid(p)) if !p.is_empty())
    );
    // Undo, then fix the time properly.
    press(&mut s, KeyCode::Char('u'));
    let i = s.inspector.as_mut().expect("inspector");
    let fixed = i.text().replace("1672712653", "1672729400");
    i.loaded(i.original.clone());
    i.editor = tui_textarea::TextArea::from(fixed.lines().map(str::to_owned));
    let effects = press(&mut s, KeyCode::Char('R'));
    let [
        Effect::Control(Control::Decide {
            decision: Decision::RetryEdited(msg),
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(msg.send_time, 1_672_729_400);
    assert_eq!(msg.from_account, "sales.ines");
}

#[test]
fn skip_needs_a_reason_and_stop_group_asks_first() {
    let mut s = inspecting();
    press(&mut s, KeyCode::Char('s'));
    assert!(s.typing.is_some());
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "no reason, no skip"
    );
    assert!(s.typing.is_some(), "asked again");
    type_text(&mut s, "older than the new system's first message");
    let effects = press(&mut s, KeyCode::Enter);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Control(Control::Decide { decision: Decision::Skip { reason }, .. })]
            if reason == "older than the new system's first message"
    ));

    let mut s = inspecting();
    assert!(press(&mut s, KeyCode::Char('x')).is_empty());
    assert!(matches!(&s.overlay, Some(Overlay::Confirm(c)) if c.on_yes == Pending::StopGroup));
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Control(Control::Decide {
            decision: Decision::StopGroup,
            ..
        })]
    ));
}

#[test]
fn the_end_of_the_run_is_said_plainly() {
    let mut s = running();
    let totals = s.run.counts();
    update(
        &mut s,
        Msg::Engine(Event::RunFinished {
            summary: timport::engine::RunSummary {
                run_id: 1,
                targets: Vec::new(),
                totals,
                requests: 10,
                elapsed_ms: 1,
                stopped: None,
                steps: Vec::new(),
            },
            exit_code: 1,
        }),
    );
    assert!(!s.run.active);
    let text = s
        .status
        .as_ref()
        .map(|x| x.text.clone())
        .unwrap_or_default();
    assert!(
        text.contains("Run 1 finished: 120 done, 1 failed"),
        "{text}"
    );
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit, "no question once the run is over");
}

/// What a finished run's screen offers: no lane running or waiting for a decision, no key
/// that pauses or stops.
fn assert_over(s: &mut AppState) {
    for lane in &s.run.lanes {
        assert!(
            matches!(lane.state, LaneState::Done | LaneState::Stopped),
            "{} is {:?} after the run finished",
            lane.target,
            lane.state
        );
        assert!(lane.pause.is_none(), "{} waits for a decision", lane.target);
    }
    let hints: Vec<&str> = s.footer_hints().iter().map(|(_, label)| *label).collect();
    assert!(
        !hints.contains(&"pause/resume") && !hints.contains(&"stop lane"),
        "{hints:?}"
    );
    assert!(hints.contains(&"quit"), "{hints:?}");
    let screen = screen_text(&render(s, &Theme::default(), 120, 40));
    for word in ["▶ running", "‖ paused", "pause", "stops one"] {
        assert!(
            !screen.contains(word),
            "{word:?} on a finished run:\n{screen}"
        );
    }
    // The keys say so too.
    press(s, KeyCode::Char(' '));
    assert_eq!(
        s.status.as_ref().map(|x| x.text.as_str()),
        Some("No run is going")
    );
}

#[test]
fn a_finished_run_shows_no_lane_going_and_offers_no_pause_or_stop() {
    // As the engine reports it: every lane with its end state.
    let mut s = finished();
    assert_over(&mut s);

    // A summary that names no lane (or leaves lanes running, paused, waiting or settling)
    // cannot leave one going on the screen: each is stopped where it stands, saying why.
    for left in [
        LaneState::Running,
        LaneState::Paused,
        LaneState::Waiting,
        LaneState::Settling,
    ] {
        let mut s = running();
        let totals = s.run.counts();
        let targets = s
            .run
            .lanes
            .iter()
            .filter(|l| l.target.group() != "archive-2019")
            .map(|l| TargetSummary {
                target: l.target.clone(),
                state: left,
                counts: l.counts,
                reason: None,
            })
            .collect();
        update(
            &mut s,
            Msg::Engine(Event::RunFinished {
                summary: RunSummary {
                    run_id: 1,
                    targets,
                    totals,
                    requests: 10,
                    elapsed_ms: 11_000,
                    stopped: Some("interrupted".into()),
                    steps: Vec::new(),
                },
                exit_code: 3,
            }),
        );
        assert_over(&mut s);
        let lane = |g: &str| {
            s.run
                .lanes
                .iter()
                .find(|l| l.target.group() == g)
                .expect("lane")
                .clone()
        };
        assert_eq!(lane("archive-2019").state, LaneState::Done);
        assert_eq!(
            lane("support-desk").note.as_deref(),
            Some("the run ended before this lane finished"),
            "{left:?}"
        );
        assert!(
            lane("sales-emea")
                .note
                .is_some_and(|n| n.starts_with("10004: ")),
            "a paused lane keeps why it stopped"
        );
    }
}

#[test]
fn a_lane_s_details_follow_the_lane() {
    let mut s = running();
    s.run.focus = RunFocus::Lanes;
    let desk = s.run.lane_of(&lane("support-desk")).expect("lane");
    s.run.lane_view.select_row(desk);
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    let done_before = s.run.lanes[desk].counts.done;
    let shown = |s: &timport::console::state::AppState| match &s.overlay {
        Some(Overlay::Popup(p)) => p.lines.join("\n"),
        other => panic!("{other:?}"),
    };
    assert!(
        shown(&s).contains(&format!("{done_before} done")),
        "{}",
        shown(&s)
    );
    update(
        &mut s,
        Msg::Engine(Event::MessageResult {
            target: lane("support-desk"),
            source: source("support-desk.jsonl", 900, 90_000),
            from_account: "desk.ana".into(),
            send_time: 5,
            random: 11,
            summary: "z".into(),
            outcome: MessageOutcome::Done {
                msg_seq: 77,
                msg_time: 5,
            },
        }),
    );
    assert_eq!(s.run.lanes[desk].counts.done, done_before + 1);
    assert!(
        shown(&s).contains(&format!("{} done", done_before + 1)),
        "the open pop-up shows the new count: {}",
        shown(&s)
    );
}

#[test]
fn past_the_result_cap_the_oldest_go_and_the_title_says_how_many() {
    let mut s = running();
    s.run.focus = RunFocus::Results;
    let had = s.run.results.len() as u64;
    let cap = had as usize + 10;
    s.run.results.max_rows = cap;
    for n in 0..40u64 {
        update(
            &mut s,
            Msg::Engine(Event::MessageResult {
                target: lane("support-desk"),
                source: source("support-desk.jsonl", 600 + n as u32, 95_000 + n),
                from_account: "agent.lin".into(),
                send_time: 1_700_000_000,
                random: 1,
                summary: format!("capped {n}"),
                outcome: MessageOutcome::Done {
                    msg_seq: 600 + n,
                    msg_time: 1,
                },
            }),
        );
    }
    let kept = s.run.results.len() as u64;
    assert!(kept <= cap as u64, "{kept} rows kept");
    assert!(s.run.dropped > 0);
    assert_eq!(
        s.run.dropped + kept,
        had + 40,
        "every result kept or counted"
    );
    let newest = s.run.results.get(s.run.results.len() - 1).expect("row");
    assert_eq!(newest.summary, "capped 39");
    assert_eq!(
        s.run.result_view.selected(),
        Some(s.run.results.len() - 1),
        "still following the newest"
    );
    s.screen = Screen::Run;
    let screen = screen_text(&render(
        &mut s,
        &timport::console::theme::Theme::default(),
        120,
        40,
    ));
    assert!(
        screen.contains(&format!("(+{} older in the ledger)", s.run.dropped)),
        "{screen}"
    );
}

#[test]
fn after_a_run_the_groups_say_what_was_imported_and_ask_again() {
    let s = running();
    let verdict = |s: &AppState, id: &str| s.groups.get(id).map(|g| g.verdict().word);
    assert_eq!(
        verdict(&s, "support-desk"),
        Some("importing"),
        "while it goes"
    );
    // A lane stopped at a message waits for the operator: the group says so, not "importing".
    let sales = s.run.lane_of(&lane("sales-emea")).expect("lane");
    assert_eq!(s.run.lanes[sales].state, LaneState::Paused);
    assert_eq!(verdict(&s, "sales-emea"), Some("waits"));
    let why = s
        .groups
        .get("sales-emea")
        .expect("sales-emea")
        .verdict()
        .why;
    assert!(why.contains("waits for your decision"), "{why}");
    let mut s = finished();
    assert_eq!(
        verdict(&s, "sales-emea"),
        Some("newer"),
        "nothing of it landed"
    );
    assert_eq!(verdict(&s, "support-desk"), Some("imported"));
    assert_eq!(verdict(&s, "eng-core"), Some("imported"));
    let row = s.groups.get("eng-core").expect("eng-core");
    assert_eq!(row.imported.map(|i| i.counts.done), Some(903));
    assert!(
        row.verdict().why.contains("903 of 903"),
        "{}",
        row.verdict().why
    );
    assert_eq!(
        verdict(&s, "live-launch"),
        Some("no"),
        "AVChatRoom stays refused"
    );
    // The screen shows imported of staged, not "ready".
    s.screen = timport::console::keymap::Screen::Groups;
    let text = screen_text(&render(&mut s, &Theme::default(), 80, 24));
    let line = text
        .lines()
        .find(|l| l.contains("support-desk"))
        .expect("support-desk on screen");
    assert!(
        line.contains("1,400/1,400") && line.contains("✓ imported"),
        "{text}"
    );
    assert!(!text.contains("✓ ready"), "{text}");

    // The end of a run asks the ledger and the service again (newest messages changed).
    let mut s = running();
    let effects = update(
        &mut s,
        Msg::Engine(Event::RunFinished {
            summary: RunSummary {
                run_id: 1,
                targets: Vec::new(),
                totals: Default::default(),
                requests: 0,
                elapsed_ms: 0,
                stopped: None,
                steps: Vec::new(),
            },
            exit_code: 1,
        }),
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ReadImported { .. })),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListGroups { .. })),
        "{effects:?}"
    );
    // A ledger without a run of this staging does not erase what this console's run did.
    update(&mut s, Msg::LedgerImported(Ok(None)));
    assert!(
        s.groups
            .get("support-desk")
            .and_then(|g| g.imported)
            .is_some()
    );
}

#[test]
fn groups_sort_by_verdict_and_filter_by_its_word() {
    let mut s = groups();
    let order = |s: &AppState| -> Vec<String> {
        (0..s.groups.view.shown())
            .filter_map(|p| s.groups.view.row_at(p))
            .map(|i| s.groups.rows[i].id.clone())
            .collect()
    };
    assert_eq!(order(&s)[0], "support-desk", "as the service lists them");
    press(&mut s, KeyCode::Char('s'));
    let sorted = order(&s);
    let words: Vec<&str> = sorted
        .iter()
        .map(|id| s.groups.get(id).expect("row").verdict().word)
        .collect();
    assert_eq!(&words[..3], ["missing", "missing", "no"], "{sorted:?}");
    assert_eq!(words.last().copied(), Some("ready"), "{words:?}");
    let text = screen_text(&render(&mut s, &Theme::default(), 80, 24));
    assert!(text.contains("sorted by verdict"), "{text}");
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "missing");
    assert_eq!(order(&s), ["gone-group", "archive-2019"]);
}

#[test]
fn a_copy_says_what_was_sent_not_what_the_terminal_did() {
    let mut s = groups();
    update(&mut s, Msg::Copied(Ok(1234)));
    let said = status_text(&s);
    assert!(
        said.starts_with("Sent 1,234 characters to the terminal's clipboard (OSC 52)"),
        "{said}"
    );
    assert!(!said.contains("Copied"), "{said}");
}

#[test]
fn the_eta_counts_minutes_of_pace_and_leaves_paused_lanes_apart() {
    use timport::console::state::run::{ETA_MIN_SECONDS, Eta};
    let mut s = running();
    let start = s.run.started_ms;
    // Ten seconds measured: too short a time to say.
    let eta = s.run.eta(s.now_ms);
    assert!(eta.measuring && eta.secs.is_none(), "{eta:?}");
    let paused_left = s
        .run
        .lanes
        .iter()
        .filter(|l| l.state == LaneState::Paused)
        .map(|l| l.total - l.settled())
        .sum::<u64>();
    assert_eq!(
        eta.waiting, paused_left,
        "sales-emea's messages wait for a decision"
    );
    // Two minutes at 10 messages a second on support-desk (events on an injected clock).
    let lane = timport::engine::Target::new("support-desk", None);
    for i in 0..1_200u32 {
        s.now_ms = start + 11_000 + i64::from(i) * 100;
        update(
            &mut s,
            Msg::Engine(Event::MessageResult {
                target: lane.clone(),
                source: timport::engine::SourceRef {
                    file: "support-desk.jsonl".into(),
                    line: 100 + i,
                    offset: 0,
                    item: 0,
                },
                from_account: "agent.lin".into(),
                send_time: 1_672_707_079,
                random: 1,
                summary: "x".into(),
                outcome: MessageOutcome::Done {
                    msg_seq: 100 + u64::from(i),
                    msg_time: 1_672_707_079,
                },
            }),
        );
    }
    let now = start + 131_000;
    let Eta { secs, waiting, .. } = s.run.eta(now);
    assert_eq!(waiting, paused_left);
    let moving: u64 = s
        .run
        .lanes
        .iter()
        .filter(|l| matches!(l.state, LaneState::Running | LaneState::Waiting))
        .map(|l| l.total - l.settled())
        .sum();
    // 1,270 messages over the 131 s since the first one: the pace of minutes, not of 5 s.
    let pace = 1_270.0 / 131.0;
    let expected = (moving as f64 / pace).ceil() as u64;
    assert_eq!(secs, Some(expected), "moving {moving}");
    const { assert!(ETA_MIN_SECONDS < 131) };
    // Paused by the operator: no ETA, and the paused minute does not count afterwards.
    press(&mut s, KeyCode::Char(' '));
    assert!(s.run.eta(now).secs.is_none());
}

#[test]
fn lanes_that_need_the_operator_come_first_and_hidden_ones_are_signed() {
    let mut s = running();
    let order: Vec<String> = (0..s.run.lane_view.shown())
        .filter_map(|p| s.run.lane_view.row_at(p))
        .map(|i| s.run.lanes[i].target.to_string())
        .collect();
    assert_eq!(
        &order[..2],
        ["sales-emea", "live-launch"],
        "paused, then stopped"
    );
    assert_eq!(
        order.last().map(String::as_str),
        Some("archive-2019"),
        "done last"
    );
    let text = screen_text(&render(&mut s, &Theme::default(), 80, 24));
    assert!(text.contains("↓ 3 more: 2 running"), "{text}");
    // Moving down the lanes scrolls them; the sign moves to the top.
    for _ in 0..6 {
        press(&mut s, KeyCode::Down);
    }
    let text = screen_text(&render(&mut s, &Theme::default(), 80, 24));
    assert!(
        text.contains("↑ 3 more: 1 paused, 1 stopped, 1 running"),
        "{text}"
    );
    assert!(text.contains("archive-2019"), "{text}");
}

#[test]
fn the_header_keeps_every_count_at_80_columns() {
    let mut s = running();
    s.run.resumed = true;
    if let Some(l) = s.run.lanes.get_mut(0) {
        l.total = 9_000_000;
        l.counts.total = 9_000_000;
        l.counts.done = 1_234_567;
        l.counts.invalid = 2;
        l.counts.skipped = 12_345;
    }
    let text = screen_text(&render(&mut s, &Theme::default(), 80, 24));
    let header = text.lines().nth(1).unwrap_or_default();
    for part in ["1,234,617", "✗ 1", "» 12,345", "! 2 invalid"] {
        assert!(header.contains(part), "{part} in {header:?}");
    }
    assert!(!header.contains('…'), "{header:?}");
}
