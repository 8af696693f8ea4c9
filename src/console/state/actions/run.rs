//! Screen 5's actions: moving in the lanes, results and errors, filtering, following the newest
//! result, pausing and resuming the run, stopping a lane, opening the inspector on a paused
//! lane's message, copying what is selected.

use crate::engine::{Control, LaneState};

use super::super::super::effect::{Effect, VerifyLaunch};
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::input::{move_in, set_filter, start_filter};
use super::super::inspector::InspectorState;
use super::super::overlay::{Compare, Level, ListId, Overlay, Popup};
use super::super::run::{Lane, RunFocus};
use crate::engine::verify::{Finding, MessageView};
use crate::escape;

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
        Action::ByCode => return super::bulk::choose_code(state),
        Action::SkipCode | Action::RetryCode => return super::bulk::begin(state, action),
        Action::Reopen => {
            if state.run.active {
                state.say(Level::Info, "A run is going: it is the one on this screen");
                return Vec::new();
            }
            return vec![Effect::ReadLedger {
                ledger: state.locations.ledger.clone(),
            }];
        }
        Action::Helm => return helm(state),
        Action::Detach => return detach(state),
        Action::StopRun => {
            let Some(a) = state.attach.as_ref().filter(|a| a.connected) else {
                state.say(
                    Level::Info,
                    format!(
                        "Not attached: a run of this console stops when it quits ({})",
                        state.keymap.name(Place::Global, Action::Quit)
                    ),
                );
                return Vec::new();
            };
            state.overlay = Some(Overlay::Confirm(super::super::overlay::Confirm {
                title: format!("Stop run {}?", a.run_id),
                lines: vec![
                    "The run stops cleanly, as on Ctrl-C in its own terminal: no new requests, the answers in flight awaited and recorded, the run recorded interrupted.".into(),
                    "The same `timport run` (or a launch of the same groups) resumes it where it stopped.".into(),
                ],
                on_yes: super::super::overlay::Pending::StopRun,
                scroll: 0,
            }));
        }
        Action::Verify => return verify(state, true),
        Action::VerifyRun => return verify(state, false),
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

/// `H`: take the attached run's helm, or give it back.
fn helm(state: &mut AppState) -> Vec<Effect> {
    let Some(a) = state.attach.as_ref().filter(|a| a.connected) else {
        state.say(
            Level::Info,
            "Not attached: the helm is about a run going in another process (timport --attach)",
        );
        return Vec::new();
    };
    if a.at_helm() {
        state.say(
            Level::Info,
            "Giving the helm back: another console may decide",
        );
        return vec![Effect::Helm(false)];
    }
    if let Some(why) = a.refusal(&state.keymap) {
        state.say(Level::Warn, why);
        return Vec::new();
    }
    state.say(Level::Info, "Taking the helm…");
    vec![Effect::Helm(true)]
}

/// `D`: detach from the attached run; it goes on in its own process.
fn detach(state: &mut AppState) -> Vec<Effect> {
    let Some(a) = state.attach.as_mut().filter(|a| a.connected) else {
        state.say(Level::Info, "Not attached to a run in another process");
        return Vec::new();
    };
    a.connected = false;
    let run_id = a.run_id;
    state.run.active = false;
    state.say(
        Level::Info,
        format!(
            "Detached from run {run_id}: it goes on in its own process (timport --attach attaches again; timport watch follows it)"
        ),
    );
    vec![Effect::Detach]
}

/// `v` (the selected lane, when the lanes pane has the keys) or `V` (the whole run): verify
/// against the service; either again while verifying stops it.
fn verify(state: &mut AppState, lane: bool) -> Vec<Effect> {
    if state.run.verify.active {
        state.say(
            Level::Info,
            "Stopping the verification after the window at work (verifying again goes on from there)",
        );
        return vec![Effect::StopVerify];
    }
    let Some(run_id) = state.run.run_id else {
        state.say(
            Level::Info,
            format!(
                "No run to verify: import one, or reopen one with {}",
                state.keymap.name(Place::Run, Action::Reopen)
            ),
        );
        return Vec::new();
    };
    let Some(live) = &state.connect.live else {
        state.say(
            Level::Warn,
            format!(
                "Not connected: test the connection on screen 1 ({}) to verify",
                state.keymap.name(Place::Connect, Action::TestConnection)
            ),
        );
        return Vec::new();
    };
    let Some(scanned) = &state.files.scanned else {
        state.say(
            Level::Warn,
            "The run's staging directory is not scanned: scan it on screen 3 to verify",
        );
        return Vec::new();
    };
    let scope = if lane && state.run.focus == RunFocus::Lanes {
        state.run.selected_lane().map(|l| l.target.clone())
    } else {
        None
    };
    // A lane still importing would read as differences: while the run goes, only the lanes
    // that are over are verified (sharing the run's budget).
    let importing = |l: &Lane| {
        state.run.active
            && matches!(
                l.state,
                LaneState::Running | LaneState::Settling | LaneState::Waiting
            )
    };
    let only: Vec<_> = match &scope {
        Some(target) => {
            if let Some(l) = state
                .run
                .lane_of(target)
                .and_then(|i| state.run.lanes.get(i))
                && importing(l)
            {
                state.say(
                    Level::Info,
                    format!("{target} is still importing: verify it once it is over"),
                );
                return Vec::new();
            }
            vec![target.clone()]
        }
        None if state.run.active => {
            let over: Vec<_> = state
                .run
                .lanes
                .iter()
                .filter(|l| !importing(l))
                .map(|l| l.target.clone())
                .collect();
            if over.is_empty() {
                state.say(
                    Level::Info,
                    "Every lane is still importing: verify once one is over",
                );
                return Vec::new();
            }
            over
        }
        None => Vec::new(),
    };
    let what = match &scope {
        Some(t) => t.to_string(),
        None if !only.is_empty() => {
            format!("the {} lanes of run {run_id} that are over", only.len())
        }
        None => format!("run {run_id}"),
    };
    let launch = VerifyLaunch {
        run_id,
        only,
        client: live.client.clone(),
        staging: scanned.staging.clone(),
        ledger: state.locations.ledger.clone(),
        rate: state.run_options.rate,
    };
    state.run.verify_started(scope, state.now_ms);
    state.say(
        Level::Info,
        format!(
            "Verifying {what}: reading it back from the service; differences go to the errors pane"
        ),
    );
    vec![Effect::Verify(Box::new(launch))]
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
    // This console's operator: the run's process records it (in process), or the attachment
    // names it in its request.
    vec![Effect::Control(Control::StopLane(target, String::new()))]
}

/// Enter: a verification's finding staged against found; the inspector for a paused lane's
/// message; else the selected thing in full.
fn select(state: &mut AppState) -> Vec<Effect> {
    if state.run.focus == RunFocus::Errors
        && let Some(f) = state
            .run
            .error_view
            .selected()
            .and_then(|i| state.run.errors.get(i))
            .and_then(|e| e.finding)
            .and_then(|id| state.run.finding(id))
    {
        state.overlay = Some(Overlay::Popup(finding_popup(f)));
        return Vec::new();
    }
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

/// A verification's finding opened: what is wrong, then the message as staged (as the run sent
/// it) beside the message the group holds, the differing fields marked.
fn finding_popup(f: &Finding) -> Popup {
    let pretty = |m: &Option<MessageView>| -> Vec<String> {
        m.as_ref()
            .and_then(|m| serde_json::to_string_pretty(m).ok())
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut lines = vec![escape::controls(&f.line()).into_owned()];
    if !f.differs.is_empty() {
        lines.push(format!("Differs: {}", f.differs.join(", ")));
    }
    let left_title = match &f.source {
        Some(s) => format!("Staged · {} line {}", escape::controls(&s.file), s.line),
        None => "Staged · not from this run".to_owned(),
    };
    let right_title = match (&f.found, f.msg_seq) {
        (Some(_), Some(seq)) => format!("Found · MsgSeq {seq}"),
        (None, Some(seq)) => format!("Found · nothing at MsgSeq {seq}"),
        _ => "Found · nothing".to_owned(),
    };
    let mut popup = Popup::of_text(
        format!("Verify: {} · staged against found", f.kind.label()),
        lines.join("\n"),
    );
    popup.copy = serde_json::to_string_pretty(f).ok();
    popup.compare = Some(Compare {
        left_title,
        left: pretty(&f.staged),
        right_title,
        right: pretty(&f.found),
        differs: f.differs.clone(),
    });
    popup
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
