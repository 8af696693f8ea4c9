//! Bulk decisions at the console: the refused codes with their counts, choosing one (it filters
//! the errors and the results), and skipping or retrying every message of a code, confirmed
//! with how many messages it reaches, in the selected lane or in every lane.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::console::effect::Effect;
use timport::console::state::AppState;
use timport::console::state::overlay::{Overlay, Pending};
use timport::console::state::run::RunFocus;
use timport::engine::{BulkAction, BulkDecision, Control};

fn confirm(s: &AppState) -> (String, Vec<String>, Pending) {
    match &s.overlay {
        Some(Overlay::Confirm(c)) => (c.title.clone(), c.lines.clone(), c.on_yes.clone()),
        other => panic!("no confirmation: {other:?}"),
    }
}

#[test]
fn choosing_a_code_filters_errors_and_results_and_goes_round() {
    let mut s = running();
    assert_eq!(s.run.codes(), [(10004, 1)]);
    press(&mut s, KeyCode::Char('c'));
    assert_eq!(s.run.code, Some(10004));
    assert_eq!(s.run.error_view.filter(), "10004");
    assert_eq!(s.run.result_view.filter(), "10004");
    let status = s.status.as_ref().map(|st| st.text.clone()).unwrap();
    assert!(status.contains("1 message(s) refused now"), "{status}");
    assert!(
        status.contains("S skips them all, R retries them all"),
        "{status}"
    );
    press(&mut s, KeyCode::Char('c'));
    assert_eq!(s.run.code, None, "after the last code: all shown");
    assert_eq!(s.run.error_view.filter(), "");
    assert_eq!(s.run.result_view.filter(), "");
}

#[test]
fn a_bulk_skip_asks_a_reason_then_confirms_with_the_count_and_sends_one_decision() {
    let mut s = running();
    s.run.focus = RunFocus::Errors;
    press(&mut s, KeyCode::Char('c'));
    assert!(press(&mut s, KeyCode::Char('S')).is_empty());
    assert!(s.typing.is_some(), "asks for the reason");
    // An empty reason is not taken.
    press(&mut s, KeyCode::Enter);
    assert!(s.typing.is_some() && s.overlay.is_none());
    type_text(&mut s, "duplicates of the CRM feed");
    press(&mut s, KeyCode::Enter);
    let (title, lines, _) = confirm(&s);
    assert_eq!(
        title,
        "Skip every message refused with 10004 in every lane?"
    );
    assert_eq!(
        lines[0],
        "1 message(s) in every lane are refused with 10004 now: each is skipped."
    );
    assert!(
        lines.contains(&"Reason: duplicates of the CRM feed".to_owned()),
        "{lines:?}"
    );
    let effects = press(&mut s, KeyCode::Char('y'));
    let [Effect::Control(Control::DecideCode(bulk))] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        bulk,
        &BulkDecision {
            code: 10004,
            target: None,
            action: BulkAction::Skip {
                reason: "duplicates of the CRM feed".into()
            },
            operator: String::new(),
        }
    );
}

#[test]
fn from_the_lanes_pane_a_bulk_retry_is_about_the_selected_lane_and_no_undoes_it() {
    let mut s = running();
    s.run.focus = RunFocus::Lanes;
    let sales = s.run.lane_of(&lane("sales-emea")).unwrap();
    s.run.lane_view.select_row(sales);
    // No code chosen and none selected: nothing to decide about yet.
    assert!(press(&mut s, KeyCode::Char('R')).is_empty());
    assert!(s.overlay.is_none());
    let status = s.status.as_ref().map(|st| st.text.clone()).unwrap();
    assert!(status.contains("c chooses one"), "{status}");
    press(&mut s, KeyCode::Char('c'));
    s.run.focus = RunFocus::Lanes;
    press(&mut s, KeyCode::Char('R'));
    let (title, lines, on_yes) = confirm(&s);
    assert_eq!(
        title,
        "Retry every message refused with 10004 in sales-emea?"
    );
    assert!(
        lines[0].starts_with("1 message(s) in sales-emea"),
        "{lines:?}"
    );
    let Pending::Bulk(bulk) = on_yes else {
        panic!("{on_yes:?}")
    };
    assert_eq!(bulk.target, Some(lane("sales-emea")));
    assert_eq!(bulk.action, BulkAction::Retry);
    assert!(press(&mut s, KeyCode::Char('n')).is_empty());
    assert!(s.overlay.is_none());
}

#[test]
fn the_bulk_keys_are_in_the_key_map_and_offered_only_while_messages_are_refused() {
    let mut s = running();
    let hints: Vec<&str> = s.footer_hints().iter().map(|(_, l)| *l).collect();
    assert!(
        !hints.contains(&"by code"),
        "offered in the Errors pane: {hints:?}"
    );
    s.run.focus = RunFocus::Errors;
    let hints: Vec<&str> = s.footer_hints().iter().map(|(_, l)| *l).collect();
    for label in ["by code", "skip code", "retry code"] {
        assert!(hints.contains(&label), "{hints:?}");
    }
    let help: Vec<String> = s
        .keymap
        .of(timport::console::keymap::Place::Run)
        .map(|b| format!("{} {}", b.keys_text(), b.label))
        .collect();
    for line in ["c by code", "S skip code", "R retry code"] {
        assert!(help.contains(&line.to_owned()), "{help:?}");
    }
    let done = finished();
    let hints: Vec<&str> = done.footer_hints().iter().map(|(_, l)| *l).collect();
    assert!(!hints.contains(&"skip code"), "no run going: {hints:?}");
}
