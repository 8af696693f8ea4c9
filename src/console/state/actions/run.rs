//! Screen 5's actions: moving in the lanes, results and errors, filtering, following the newest
//! result, pausing and resuming the run, stopping a lane, opening the inspector on a paused
//! lane's message, copying what is selected.

use crate::engine::{Control, LaneState};

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::input::{move_in, set_filter, start_filter};
use super::super::inspector::InspectorState;
use super::super::overlay::{Level, ListId, Overlay, Popup};
use super::super::run::{Lane, RunFocus};

fn focused(state: &AppState) -> ListId {
    match state.run.focus {
        RunFocus::Lanes => ListId::Lanes,
        RunFocus::Results => ListId::Results,
        RunFocus::Errors => ListId::Errors,
    }
}

/// Carries out `action` on the Run screen.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let list = focused(state);
    if move_in(state, list, action) {
        return Vec::new();
    }
    match action {
        Action::FocusNext => {
            state.run.focus = match state.run.focus {
                RunFocus::Lanes => RunFocus::Results,
                RunFocus::Results => RunFocus::Errors,
                RunFocus::Errors => RunFocus::Lanes,
            };
        }
        Action::FocusPrev => {
            state.run.focus = match state.run.focus {
                RunFocus::Lanes => RunFocus::Errors,
                RunFocus::Results => RunFocus::Lanes,
                RunFocus::Errors => RunFocus::Results,
            };
        }
        Action::Filter => start_filter(state, list),
        Action::Back => set_filter(state, list, ""),
        Action::Follow => {
            state.run.follow = true;
            state.run.result_view.bottom();
        }
        Action::PauseResume => {
            if !state.run.active {
                state.say(Level::Info, "No run is going");
                return Vec::new();
            }
            let paused = !state.run.paused;
            state.run.set_paused(paused, state.now_ms);
            let (control, words) = if state.run.paused {
                (
                    Control::PauseRun,
                    format!(
                        "Paused: no new requests; answers on the way are still recorded ({} resumes)",
                        state.keymap.name(Place::Run, Action::PauseResume)
                    ),
                )
            } else {
                (Control::ResumeRun, "Resumed".to_owned())
            };
            state.say(Level::Info, words);
            return vec![Effect::Control(control)];
        }
        Action::StopLane => return stop_lane(state),
        Action::Reopen => {
            if state.run.active {
                state.say(Level::Info, "A run is going: it is the one on this screen");
                return Vec::new();
            }
            return vec![Effect::ReadLedger {
                ledger: state.locations.ledger.clone(),
            }];
        }
        Action::Select => return select(state),
        Action::Copy => {
            if let Some(text) = selected_text(state) {
                return vec![Effect::Copy(text)];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The lane a key is about: the selected lane, or the lane of the selected result or error.
fn lane_in_focus(state: &AppState) -> Option<usize> {
    let r = &state.run;
    match r.focus {
        RunFocus::Lanes => r.lane_view.selected(),
        RunFocus::Results => r
            .result_view
            .selected()
            .and_then(|i| r.results.get(i))
            .map(|row| row.lane as usize),
        RunFocus::Errors => r
            .error_view
            .selected()
            .and_then(|i| r.errors.get(i))
            .and_then(|e| e.lane)
            .map(|l| l as usize),
    }
}

fn stop_lane(state: &mut AppState) -> Vec<Effect> {
    let Some(lane) = lane_in_focus(state).and_then(|i| state.run.lanes.get(i)) else {
        return Vec::new();
    };
    if !state.run.active || matches!(lane.state, LaneState::Done | LaneState::Stopped) {
        state.say(Level::Info, format!("{} is not running", lane.target));
        return Vec::new();
    }
    let target = lane.target.clone();
    state.say(
        Level::Info,
        format!("Stopping {target} after its request in flight is answered"),
    );
    vec![Effect::Control(Control::StopLane(target))]
}

/// Enter: the inspector for a paused lane's message, else the selected thing in full.
fn select(state: &mut AppState) -> Vec<Effect> {
    if let Some(lane) = lane_in_focus(state)
        && let Some(l) = state.run.lanes.get(lane)
        && let Some(reason) = &l.pause
    {
        let source_selected = match state.run.focus {
            RunFocus::Lanes => None,
            RunFocus::Results => state
                .run
                .result_view
                .selected()
                .and_then(|i| state.run.results.get(i))
                .and_then(|row| row.source.cloned()),
            RunFocus::Errors => state
                .run
                .error_view
                .selected()
                .and_then(|i| state.run.errors.get(i))
                .and_then(|e| e.source.clone()),
        };
        // From a result or an error, only the message the lane stopped at opens the inspector.
        if source_selected.is_none_or(|s| s == reason.source) {
            return open_inspector(state, lane);
        }
    }
    if let Some(text) = selected_text(state) {
        let mut popup = Popup::of_text("Details", text);
        if state.run.focus == RunFocus::Lanes {
            popup.lane = state.run.lane_view.selected();
        }
        state.overlay = Some(Overlay::Popup(popup));
    }
    Vec::new()
}

/// Keeps an open lane Details pop-up current (its counts move while the run goes).
pub fn refresh_lane_popup(state: &mut AppState) {
    let Some(Overlay::Popup(popup)) = &state.overlay else {
        return;
    };
    let Some(text) = popup
        .lane
        .and_then(|i| state.run.lanes.get(i))
        .map(lane_text)
    else {
        return;
    };
    if let Some(Overlay::Popup(popup)) = &mut state.overlay {
        popup.replace_text(text);
    }
}

/// A lane in words: its state, its counts and its note.
fn lane_text(l: &Lane) -> String {
    format!(
        "{}: {} · {} of {} settled ({} done, {} failed, {} skipped, {} invalid){}",
        l.target,
        l.state.word(),
        l.settled(),
        l.total,
        l.counts.done,
        l.counts.failed,
        l.counts.skipped,
        l.counts.invalid,
        l.note
            .as_ref()
            .map(|n| format!("\n{n}"))
            .unwrap_or_default()
    )
}

/// Opens the inspector on the message lane `lane` is paused at, and asks for its text.
pub fn open_inspector(state: &mut AppState, lane: usize) -> Vec<Effect> {
    let Some(l) = state.run.lanes.get(lane) else {
        return Vec::new();
    };
    let Some(reason) = l.pause.clone() else {
        return Vec::new();
    };
    let target = l.target.clone();
    let source = reason.source.clone();
    state.inspector = Some(InspectorState::new(target.clone(), reason));
    let Some(scanned) = &state.files.scanned else {
        if let Some(i) = &mut state.inspector {
            i.loading = super::super::inspector::Loading::Failed(
                "the staging directory is not scanned in this console".into(),
            );
        }
        return Vec::new();
    };
    vec![Effect::LoadMessage {
        staging: scanned.staging.clone(),
        target,
        source,
    }]
}

/// The selected thing as text, for a pop-up or the clipboard.
fn selected_text(state: &AppState) -> Option<String> {
    let r = &state.run;
    match r.focus {
        RunFocus::Lanes => r.selected_lane().map(lane_text),
        RunFocus::Results => r
            .result_view
            .selected()
            .and_then(|i| r.results.get(i))
            .map(|row| {
                let source = row
                    .source
                    .as_ref()
                    .map(|s| format!(" ({} line {})", s.file, s.line))
                    .unwrap_or_default();
                format!(
                    "{} {} {} {} {:?}: {}{source}",
                    r.lane_name(row.lane),
                    state.zone.format(row.send_time),
                    state.zone.label(row.send_time),
                    r.sender(&row),
                    row.outcome,
                    row.summary
                )
            }),
        RunFocus::Errors => r
            .error_view
            .selected()
            .and_then(|i| r.errors.get(i))
            .map(|e| {
                let lane = e
                    .lane
                    .map(|l| format!("{}: ", r.lane_name(l)))
                    .unwrap_or_default();
                let source = e
                    .source
                    .as_ref()
                    .map(|s| format!("\n{} line {}", s.file, s.line))
                    .unwrap_or_default();
                format!("{lane}{}{source}", e.line())
            }),
    }
}
