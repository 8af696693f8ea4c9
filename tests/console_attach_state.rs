//! The console attached to a run in another process, through `update` alone: the catch-up
//! becomes the Run screen (snapshots at 80×24 and 120×40), the helm decides which console's
//! keys reach the run, detaching and quitting leave the run going, and a launch on a ledger a
//! live run holds offers to attach.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::api::types::ImportMsg;
use timport::console::effect::Effect;
use timport::console::keymap::Screen;
use timport::console::msg::Msg;
use timport::console::state::{AppState, update};
use timport::console::theme::Theme;
use timport::engine::attach::{Hello, Helm, Note, Tracker};
use timport::engine::events::TargetStart;
use timport::engine::{Control, Event, LaneState, MessageOutcome, OnMessageError, Target};

fn t(group: &str) -> Target {
    Target::new(group, None)
}

/// Where a run stands after hours: three lanes, thousands of results, sales-emea paused.
fn tracker() -> Tracker {
    let mut tr = Tracker::default();
    let start = NOW_MS - 3 * 3_600_000;
    tr.update(
        &Event::RunStarted {
            run_id: 4,
            resumed: true,
            targets: [
                ("support-desk", 1400),
                ("eng-core", 903),
                ("sales-emea", 500),
            ]
            .into_iter()
            .map(|(g, n)| TargetStart {
                target: t(g),
                messages: n,
                batches: n / 100 + 1,
                already_done: 100,
            })
            .collect(),
            rate_budget: 180,
            lanes: 32,
            on_message_error: OnMessageError::Pause,
        },
        start,
    );
    for (g, n) in [
        ("support-desk", 1300u32),
        ("eng-core", 250),
        ("sales-emea", 3),
    ] {
        for line in 0..n {
            tr.update(
                &Event::MessageResult {
                    target: t(g),
                    source: source(&format!("{g}.jsonl"), 101 + line, 0),
                    from_account: "cust".into(),
                    send_time: 1_672_712_653,
                    random: 1,
                    summary: "hello".into(),
                    outcome: MessageOutcome::Done {
                        msg_seq: u64::from(line),
                        msg_time: 1,
                    },
                },
                start,
            );
        }
    }
    let pause = sales_pause();
    tr.update(
        &Event::MessageResult {
            target: t("sales-emea"),
            source: pause.source.clone(),
            from_account: "crm".into(),
            send_time: 1_672_712_653,
            random: 1,
            summary: pause.summary.clone(),
            outcome: MessageOutcome::Failed(pause.failure.clone()),
        },
        start,
    );
    for (g, state) in [
        ("support-desk", LaneState::Done),
        ("eng-core", LaneState::Running),
        ("sales-emea", LaneState::Paused),
    ] {
        tr.update(
            &Event::LaneState {
                target: t(g),
                state,
            },
            start,
        );
    }
    tr.update(
        &Event::LanePaused {
            target: t("sales-emea"),
            reason: pause,
        },
        start,
    );
    tr
}

/// A console that attached as reader 2.
fn attached(helm: Option<Helm>) -> AppState {
    let mut s = state("http://127.0.0.1:1");
    let hello = Hello {
        protocol: 2,
        run_id: 4,
        resumed: true,
        reader: 2,
        staging: Some("/srv/staging".into()),
        helm,
        ..Hello::default()
    };
    let effects = update(
        &mut s,
        Msg::Attached(Ok(Box::new((hello, tracker().catchup())))),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::ScanStaging { root, .. }] if root.ends_with("staging")),
        "the run's staging is scanned for the inspector: {effects:?}"
    );
    s
}

fn night() -> Option<Helm> {
    Some(Helm {
        by: "night@box".into(),
        reader: 1,
    })
}

#[test]
fn the_catch_up_is_the_run_screen_with_its_counts_and_pauses() {
    let s = attached(None);
    assert_eq!(s.screen, Screen::Run);
    assert!(s.running() && s.attached());
    assert_eq!(s.run.run_id, Some(4));
    let lane = |g: &str| &s.run.lanes[s.run.lane_of(&t(g)).unwrap()];
    assert_eq!(lane("support-desk").counts.done, 1400);
    assert_eq!(lane("eng-core").counts.done, 350);
    assert_eq!(lane("eng-core").state, LaneState::Running);
    let sales = lane("sales-emea");
    assert_eq!((sales.counts.done, sales.counts.failed), (103, 1));
    assert_eq!(sales.state, LaneState::Paused);
    assert_eq!(sales.pause.as_ref().unwrap().source.line, 1);
    // The paused lane is listed first; no results are replayed.
    assert_eq!(s.run.selected_lane().unwrap().target, t("sales-emea"));
    assert_eq!(s.run.results.len(), 0);
    assert_eq!(s.run.started_ms, NOW_MS - 3 * 3_600_000);
}

#[test]
fn snapshots_of_the_attached_run_screen() {
    for (name, helm) in [("free", None), ("watching", night())] {
        let mut s = attached(helm);
        for (w, h) in [(80, 24), (120, 40)] {
            let terminal = render(&mut s, &Theme::default(), w, h);
            insta::assert_snapshot!(format!("attached_{name}_{w}x{h}"), terminal.backend());
        }
    }
}

#[test]
fn while_another_console_holds_the_helm_this_one_watches() {
    let mut s = attached(night());
    for key in [KeyCode::Char(' '), KeyCode::Char('x'), KeyCode::Char('S')] {
        let effects = press(&mut s, key);
        assert!(effects.is_empty(), "{key:?}: {effects:?}");
        let said = status_text(&s);
        assert!(
            said.contains("night@box (console 1) holds the helm: this console watches"),
            "{said}"
        );
    }
    assert!(!s.run.paused, "nothing changed here either");
    // The inspector opens (to look), but its decisions say why they go nowhere.
    press(&mut s, KeyCode::Enter);
    assert!(s.inspector.is_some());
    assert!(press(&mut s, KeyCode::Char('r')).is_empty());
    assert!(status_text(&s).contains("holds the helm"));
    // H cannot take a held helm.
    press(&mut s, KeyCode::Esc);
    assert!(press(&mut s, KeyCode::Char('H')).is_empty());

    // The holder goes: the next decision goes out (and takes the helm at the run).
    update(&mut s, Msg::RunNote(Note::Helm(None)));
    press(&mut s, KeyCode::Enter);
    let effects = press(&mut s, KeyCode::Char('r'));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Control(Control::Decide { target, .. })] if *target == t("sales-emea")
        ),
        "{effects:?}"
    );
}

#[test]
fn the_helm_key_takes_and_gives_back_and_notes_move_it() {
    let mut s = attached(None);
    assert!(matches!(
        press(&mut s, KeyCode::Char('H')).as_slice(),
        [Effect::Helm(true)]
    ));
    update(
        &mut s,
        Msg::RunNote(Note::Helm(Some(Helm {
            by: "day@box".into(),
            reader: 2,
        }))),
    );
    assert!(status_text(&s).contains("This console holds the helm"));
    assert!(
        s.attach
            .as_ref()
            .unwrap()
            .line()
            .ends_with("helm: this console")
    );
    assert!(matches!(
        press(&mut s, KeyCode::Char(' ')).as_slice(),
        [Effect::Control(Control::PauseRun)]
    ));
    assert!(matches!(
        press(&mut s, KeyCode::Char('H')).as_slice(),
        [Effect::Helm(false)]
    ));
    // Another console's pause shows here too; a refusal is said.
    update(&mut s, Msg::RunNote(Note::Paused(false)));
    assert!(!s.run.paused);
    update(
        &mut s,
        Msg::RunNote(Note::Answer(timport::engine::attach::Answer {
            ok: false,
            said: "the run is ending; it takes no more requests".into(),
        })),
    );
    assert!(status_text(&s).contains("The run is ending"));
}

#[test]
fn detaching_and_quitting_leave_the_run_going() {
    let mut s = attached(None);
    assert!(matches!(
        press(&mut s, KeyCode::Char('D')).as_slice(),
        [Effect::Detach]
    ));
    assert!(!s.attached() && !s.run.active);
    assert!(status_text(&s).contains("Detached from run 4: it goes on"));
    // The footer no longer offers the attached keys.
    let hints: Vec<_> = s.footer_hints().into_iter().map(|(k, _)| k).collect();
    assert!(!hints.contains(&"H".to_owned()), "{hints:?}");

    // Quitting an attached console asks nothing (no "stop the run?"), and sends nothing.
    let mut s = attached(None);
    let effects = press(&mut s, KeyCode::Char('q'));
    assert!(effects.is_empty() && s.quit && s.overlay.is_none());

    // The run ends: the console says how, and is detached.
    let mut s = attached(None);
    update(
        &mut s,
        Msg::Detached("the run closed the connection".into()),
    );
    assert!(!s.attached());
    assert!(status_text(&s).contains("Detached from run 4: the run closed"));
}

#[test]
fn a_launch_on_a_ledger_a_live_run_holds_offers_to_attach() {
    let mut s = preview();
    let effects = launch_key(&mut s, KeyCode::Char('L'), &[]);
    assert!(effects.is_empty());
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::StartRun(_)]));
    update(&mut s, Msg::RunLive);
    assert!(!s.run.active);
    let screen = screen_text(&render(&mut s, &Theme::default(), 100, 30));
    assert!(
        screen.contains("A run is going on this ledger in another process"),
        "{screen}"
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Attach { ledger }] if *ledger == s.locations.ledger),
        "{effects:?}"
    );
}

#[test]
fn an_edit_decided_here_goes_to_the_run_as_the_edited_message() {
    // The request a console's edit becomes carries the edited body (the run checks it).
    let edited = ImportMsg {
        from_account: "crm".into(),
        send_time: 1_672_712_653,
        random: None,
        msg_body: vec![],
    };
    let control = Control::Decide {
        target: t("sales-emea"),
        source: sales_pause().source,
        decision: timport::engine::Decision::RetryEdited(edited.clone()),
        operator: String::new(),
    };
    let request = timport::engine::attach::Request::from_control(control, "day@box").unwrap();
    let m = request.message.unwrap();
    assert_eq!(m.edited, Some(edited));
    assert_eq!(request.operator, "day@box");
}

#[test]
fn the_start_question_chooses_whether_the_run_outlives_the_console() {
    let mut s = preview();
    launch_key(&mut s, KeyCode::Char('L'), &[]);
    let screen = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(
        screen.contains("After this console closes: the run stops, cleanly (b: keep it going"),
        "{screen}"
    );
    press(&mut s, KeyCode::Char('b'));
    assert!(s.outlive);
    let screen = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(
        screen.contains("the run keeps going, a process of its own"),
        "{screen}"
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::SpawnRun { launch, key }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(key.expose(), KEY);
    // What the run of its own is told: all but the key, which goes in its environment.
    let args = timport::console::exec::run_arguments(launch);
    let line = args.join(" ");
    assert!(line.starts_with("run "), "{line}");
    for part in [
        "--yes",
        "--wait-for-decisions",
        "--ledger",
        "--group",
        "--endpoint",
        "--admin",
    ] {
        assert!(line.contains(part), "{part}: {line}");
    }
    assert!(!line.contains(KEY), "{line}");
    // Back to a run that stops with the console.
    let mut s = preview();
    launch_key(&mut s, KeyCode::Char('L'), &[]);
    press(&mut s, KeyCode::Char('b'));
    press(&mut s, KeyCode::Char('b'));
    assert!(matches!(
        press(&mut s, KeyCode::Char('y')).as_slice(),
        [Effect::StartRun(_)]
    ));
}

#[test]
fn an_attached_console_at_the_helm_can_stop_the_run_after_asking() {
    let mut s = attached(None);
    assert!(
        press(&mut s, KeyCode::Char('X')).is_empty(),
        "it asks first"
    );
    let screen = screen_text(&render(&mut s, &Theme::default(), 100, 30));
    assert!(screen.contains("Stop run 4?"), "{screen}");
    assert!(matches!(
        press(&mut s, KeyCode::Char('y')).as_slice(),
        [Effect::Control(Control::Shutdown)]
    ));
    // Not while another console holds the helm.
    let mut s = attached(night());
    assert!(press(&mut s, KeyCode::Char('X')).is_empty());
    assert!(s.overlay.is_none());
    assert!(status_text(&s).contains("holds the helm"));
}

#[test]
fn in_the_demo_a_run_cannot_outlive_the_console() {
    let mut s = preview();
    // The demo's sandbox and files end with its console.
    s.can_outlive = false;
    launch_key(&mut s, KeyCode::Char('L'), &[]);
    press(&mut s, KeyCode::Char('b'));
    assert!(!s.outlive);
    let screen = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(
        screen.contains("the run stops, cleanly (the demo's service and files"),
        "{screen}"
    );
    let said = s
        .status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default();
    assert!(said.contains("a run cannot outlive it"), "{said}");
    assert!(matches!(
        press(&mut s, KeyCode::Char('y')).as_slice(),
        [Effect::StartRun(_)]
    ));
}
