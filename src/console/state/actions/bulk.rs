//! The Run screen's bulk decisions: choosing a refused code (it filters the errors and the
//! results), and one decision about every message refused with it (skip with one reason, or
//! retry), in the lane in focus (the Lanes pane) or in every lane, after a confirmation naming
//! how many messages it reaches now. The engine holds the decision for the rest of the run and
//! records each message it reaches with the operator and the reason.

use crate::engine::{BulkAction, BulkDecision, Control, Target};

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::input::{begin_typing, set_filter};
use super::super::overlay::{Confirm, Level, ListId, Overlay, Pending, TypeTarget};
use super::super::run::RunFocus;
use super::super::text::TextField;

/// `c`: the next code messages are refused with (after the last: none), filtering the errors
/// and the results by it.
pub fn choose_code(state: &mut AppState) -> Vec<Effect> {
    let next = state.run.next_code();
    state.run.code = next;
    let text = next.map(|c| c.to_string()).unwrap_or_default();
    set_filter(state, ListId::Errors, &text);
    set_filter(state, ListId::Results, &text);
    match next {
        Some(code) => {
            let n = state.run.refused_with(code, None);
            state.say(
                Level::Info,
                format!(
                    "Code {code}: {n} message(s) refused now. {} skips them all, {} retries them all",
                    state.keymap.name(Place::Run, Action::SkipCode),
                    state.keymap.name(Place::Run, Action::RetryCode)
                ),
            );
        }
        None => state.say(Level::Info, "Every code shown"),
    }
    Vec::new()
}

/// The code a bulk key is about (the chosen one, else the selected error's when the Errors
/// pane has the keys) and its lane (the selected lane when the Lanes pane has the keys, else
/// every lane).
fn scope(state: &AppState) -> Option<(i64, Option<(u32, Target)>)> {
    let r = &state.run;
    let code = r.code.or_else(|| {
        (r.focus == RunFocus::Errors)
            .then(|| r.error_view.selected().and_then(|i| r.errors.get(i)))
            .flatten()
            .and_then(|e| e.code)
    })?;
    let lane = (r.focus == RunFocus::Lanes)
        .then(|| r.lane_view.selected())
        .flatten()
        .and_then(|i| r.lanes.get(i).map(|l| (i as u32, l.target.clone())));
    Some((code, lane))
}

/// `S` or `R`: a bulk skip (asks for the reason first) or retry (asks to confirm).
pub fn begin(state: &mut AppState, action: Action) -> Vec<Effect> {
    if !state.run.active {
        state.say(Level::Info, "No run is going");
        return Vec::new();
    }
    let Some((code, lane)) = scope(state) else {
        state.say(
            Level::Info,
            format!(
                "No code chosen: {} chooses one of the codes messages are refused with",
                state.keymap.name(Place::Run, Action::ByCode)
            ),
        );
        return Vec::new();
    };
    let target = lane.map(|(_, t)| t);
    if action == Action::SkipCode {
        state.run.bulk_draft = Some((code, target));
        begin_typing(state, TypeTarget::BulkSkipReason, TextField::new(""));
        return Vec::new();
    }
    confirm(state, code, target, BulkAction::Retry);
    Vec::new()
}

/// The reason of a bulk skip was typed.
pub fn skip_reason(state: &mut AppState, reason: &str) -> Vec<Effect> {
    let Some((code, target)) = state.run.bulk_draft.take() else {
        return Vec::new();
    };
    if reason.is_empty() {
        state.say(
            Level::Warn,
            "A skip needs a reason (it is recorded with each message)",
        );
        state.run.bulk_draft = Some((code, target));
        begin_typing(state, TypeTarget::BulkSkipReason, TextField::new(""));
        return Vec::new();
    }
    let action = BulkAction::Skip {
        reason: reason.to_owned(),
    };
    confirm(state, code, target, action);
    Vec::new()
}

fn confirm(state: &mut AppState, code: i64, target: Option<Target>, action: BulkAction) {
    let lane = target.as_ref().and_then(|t| state.run.lane_of(t));
    let n = state.run.refused_with(code, lane.map(|l| l as u32));
    let (verb, word) = match &action {
        BulkAction::Skip { .. } => ("Skip", "skipped"),
        BulkAction::Retry => ("Retry", "sent once more"),
    };
    let place = match &target {
        Some(t) => format!("in {t}"),
        None => "in every lane".to_owned(),
    };
    let mut lines = vec![
        format!("{n} message(s) {place} are refused with {code} now: each is {word}."),
        match &action {
            BulkAction::Skip { .. } => {
                "Messages refused with it later in this run are skipped too.".to_owned()
            }
            BulkAction::Retry => {
                "A message refused again waits for a decision (a retry goes once).".to_owned()
            }
        },
    ];
    if let BulkAction::Skip { reason } = &action {
        lines.push(format!("Reason: {reason}"));
    }
    lines.push("Each message is recorded in the ledger with you (user@host).".into());
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: format!("{verb} every message refused with {code} {place}?"),
        lines,
        on_yes: Pending::Bulk(BulkDecision {
            code,
            target,
            action,
            // The engine names this process's operator.
            operator: String::new(),
        }),
        scroll: 0,
    }));
}

/// The operator confirmed a bulk decision.
pub fn confirmed(state: &mut AppState, bulk: BulkDecision) -> Vec<Effect> {
    let place = match &bulk.target {
        Some(t) => format!("in {t}"),
        None => "in every lane".to_owned(),
    };
    state.say(
        Level::Info,
        format!(
            "Decision sent: {} every message refused with {} {place}",
            match bulk.action {
                BulkAction::Skip { .. } => "skip",
                BulkAction::Retry => "retry",
            },
            bulk.code
        ),
    );
    vec![Effect::Control(Control::DecideCode(bulk))]
}
