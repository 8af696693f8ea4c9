//! The console's verification, through `update`: `v` verifies the selected lane, `V` the whole
//! run, either again stops it; findings land in the errors pane and Enter opens one staged
//! against found; the end is said plainly; what is missing (a run, a connection) is said with
//! the key that helps.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::console::effect::Effect;
use timport::console::keymap::Screen;
use timport::console::msg::Msg;
use timport::console::state::overlay::{Level, Overlay};
use timport::console::state::run::{ErrorKind, RunFocus};
use timport::console::state::update;
use timport::console::theme::Theme;
use timport::engine::verify::{
    TargetVerified, TargetVerifyState, VerifyCounts, VerifyEvent, VerifyStatus, VerifySummary,
};

#[test]
fn v_verifies_the_selected_lane_and_capital_v_the_whole_run() {
    let mut s = finished();
    s.run.focus = RunFocus::Lanes;
    let row = s.run.lane_of(&lane("eng-core")).expect("lane");
    s.run.lane_view.select_row(row);
    let effects = press(&mut s, KeyCode::Char('v'));
    let [Effect::Verify(v)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!((v.run_id, v.only.as_slice()), (1, &[lane("eng-core")][..]));
    assert_eq!(v.ledger, s.locations.ledger);
    assert!(s.run.verify.active);
    assert_eq!(s.run.verify.scope, Some(lane("eng-core")));

    // Again while it reads: stop it.
    let effects = press(&mut s, KeyCode::Char('v'));
    assert!(
        matches!(effects.as_slice(), [Effect::StopVerify]),
        "{effects:?}"
    );
    update(
        &mut s,
        Msg::Verify(VerifyEvent::VerifyFinished(summary(
            VerifyStatus::Interrupted,
            0,
        ))),
    );
    assert!(!s.run.verify.active);

    // From the results pane `v` is the whole run, as `V` is anywhere.
    s.run.focus = RunFocus::Results;
    let effects = press(&mut s, KeyCode::Char('v'));
    assert!(matches!(effects.as_slice(), [Effect::Verify(v)] if v.only.is_empty()));
    press(&mut s, KeyCode::Char('v'));
    s.run.focus = RunFocus::Lanes;
    update(
        &mut s,
        Msg::Verify(VerifyEvent::VerifyFinished(summary(
            VerifyStatus::Interrupted,
            0,
        ))),
    );
    let effects = press(&mut s, KeyCode::Char('V'));
    assert!(matches!(effects.as_slice(), [Effect::Verify(v)] if v.only.is_empty()));
}

#[test]
fn without_a_run_or_a_connection_it_says_what_to_do() {
    let mut s = preview();
    s.screen = Screen::Run;
    let effects = press(&mut s, KeyCode::Char('V'));
    assert!(effects.is_empty());
    let status = s.status.clone().expect("said");
    assert!(
        status.text.contains("No run to verify") && status.text.contains(" o"),
        "{}",
        status.text
    );

    let mut s = finished();
    s.connect.live = None;
    let effects = press(&mut s, KeyCode::Char('V'));
    assert!(effects.is_empty());
    let status = s.status.clone().expect("said");
    assert_eq!(status.level, Level::Warn);
    assert!(status.text.contains("screen 1 (t)"), "{}", status.text);
    assert!(!s.run.verify.active);
}

#[test]
fn findings_fill_the_errors_pane_and_open_staged_against_found() {
    let mut s = verifying();
    let rows: Vec<_> = s
        .run
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Finding)
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].meaning.starts_with("missing: deleted"));
    assert_eq!(
        rows[0].source,
        Some(source("support-desk.jsonl", 12, 1_300))
    );
    assert_eq!(
        rows[2].lane,
        s.run.lane_of(&lane("eng-core")).map(|l| l as u32)
    );
    assert_eq!((s.run.verify.checked, s.run.verify.differences), (1_600, 3));
    let text = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(
        text.contains("Verify run: 1,600/3,103 compared (51%)"),
        "{text}"
    );

    let mut s = verify_finding();
    let Some(Overlay::Popup(p)) = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    let c = p.compare.as_ref().expect("side by side");
    assert!(
        c.left_title.contains("support-desk.jsonl line 40"),
        "{}",
        c.left_title
    );
    assert_eq!(c.right_title, "Found · MsgSeq 40");
    assert!(c.left.iter().any(|l| l.contains("Refund approved")));
    assert!(c.right.iter().any(|l| l.contains("Refund denied")));
    assert_eq!(c.differs, ["MsgBody"]);
    assert!(
        p.copy
            .as_deref()
            .is_some_and(|t| t.contains("\"kind\": \"changed\""))
    );
    press(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
}

#[test]
fn the_end_of_a_verification_is_said_plainly() {
    let mut s = verifying();
    update(
        &mut s,
        Msg::Verify(VerifyEvent::TargetVerified(TargetVerified {
            target: lane("eng-core"),
            state: TargetVerifyState::Done,
            counts: VerifyCounts {
                expected: 903,
                verified: 903,
                extra: 1,
                ..VerifyCounts::default()
            },
            first_seq: Some(1),
            end_seq: Some(904),
            error: None,
        })),
    );
    let eng = &s.run.lanes[s.run.lane_of(&lane("eng-core")).expect("lane")];
    assert_eq!(
        eng.note.as_deref(),
        Some("verify: 903 of 903 as sent; 1 extra")
    );
    update(
        &mut s,
        Msg::Verify(VerifyEvent::VerifyFinished(summary(VerifyStatus::Done, 3))),
    );
    assert!(!s.run.verify.active);
    let status = s.status.clone().expect("said");
    assert_eq!(status.level, Level::Warn, "differences are worth a look");
    assert_eq!(
        status.text,
        "Verified: 3100 of 3103 as sent; 1 missing, 1 changed, 1 extra"
    );

    let mut clean = verifying();
    update(
        &mut clean,
        Msg::Verify(VerifyEvent::VerifyFinished(summary(VerifyStatus::Done, 0))),
    );
    assert_eq!(clean.status.clone().expect("said").level, Level::Info);

    let mut failed = verifying();
    update(
        &mut failed,
        Msg::VerifyFailed("the staged files changed since run 1 began".into()),
    );
    let status = failed.status.clone().expect("said");
    assert_eq!(status.level, Level::Error);
    assert!(
        failed
            .run
            .verify
            .outcome
            .as_deref()
            .is_some_and(|o| o.contains("files changed"))
    );
}

fn summary(status: VerifyStatus, differences: u64) -> VerifySummary {
    let totals = VerifyCounts {
        expected: 3_103,
        verified: 3_103 - differences,
        missing: differences.min(1),
        changed: differences.saturating_sub(1).min(1),
        extra: differences.saturating_sub(2),
        ..VerifyCounts::default()
    };
    VerifySummary {
        verification_id: 1,
        run_id: 1,
        status,
        targets: Vec::new(),
        totals,
    }
}

#[test]
fn while_the_run_goes_only_lanes_that_are_over_are_verified() {
    use timport::engine::LaneState;
    let mut s = running();
    assert!(s.run.active);
    s.run.focus = RunFocus::Lanes;
    let moving = s
        .run
        .lanes
        .iter()
        .position(|l| l.state == LaneState::Running)
        .expect("a lane importing");
    s.run.lane_view.select_row(moving);
    let effects = press(&mut s, KeyCode::Char('v'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        s.status
            .clone()
            .expect("said")
            .text
            .contains("still importing"),
        "{:?}",
        s.status
    );
    let effects = press(&mut s, KeyCode::Char('V'));
    let [Effect::Verify(v)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let over: Vec<_> = s
        .run
        .lanes
        .iter()
        .filter(|l| {
            !matches!(
                l.state,
                LaneState::Running | LaneState::Settling | LaneState::Waiting
            )
        })
        .map(|l| l.target.clone())
        .collect();
    assert!(!over.is_empty() && over.len() < s.run.lanes.len());
    assert_eq!(v.only, over);
}

#[test]
fn an_import_is_not_started_while_a_verification_holds_the_ledger() {
    let mut s = preview();
    s.run.verify.active = true;
    launch_key(&mut s, KeyCode::Char('A'), &[]);
    assert!(matches!(s.overlay, Some(Overlay::Confirm(_))));
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!s.run.active);
    let status = s.status.clone().expect("said");
    assert_eq!(status.level, Level::Warn);
    assert!(
        status.text.contains("A verification is going") && status.text.contains("(V)"),
        "{}",
        status.text
    );
    // Once it ended, the import starts.
    s.run.verify.active = false;
    launch_key(&mut s, KeyCode::Char('A'), &[]);
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::StartRun(_)]),
        "{effects:?}"
    );
}
