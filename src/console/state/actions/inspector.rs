//! The inspector's actions: retry as staged, retry edited (checked with staging's rules first),
//! skip with a reason, stop the group, edit and undo, copy, close. Each decision goes to the
//! engine, which records it in the ledger before the lane acts on it.

use crate::engine::{Control, Decision};

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::input::begin_typing;
use super::super::inspector::{Loading, Notice};
use super::super::overlay::{Confirm, Level, Overlay, Pending, TypeTarget};
use super::super::text::TextField;

/// Carries out `action` in the inspector (and its text area).
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let now = state.now_ms / 1000;
    let Some(i) = &mut state.inspector else {
        return Vec::new();
    };
    match action {
        Action::LeaveEditor => i.editing = false,
        Action::Back => state.inspector = None,
        Action::Up => i.scroll = i.scroll.saturating_sub(1),
        Action::Down => i.scroll += 1,
        Action::Top => i.scroll = 0,
        Action::Edit => {
            if i.loading == Loading::Ready {
                i.editing = true;
            } else {
                state.say(
                    Level::Warn,
                    "The message's text is not loaded: it cannot be edited",
                );
            }
        }
        Action::Revert => i.revert(),
        Action::Copy => return vec![Effect::Copy(i.text())],
        Action::Retry => {
            if i.edited() {
                let key = |action| state.keymap.name(Place::Inspector, action);
                let words = format!(
                    "The JSON is edited: {} retries the edited message, {} undoes the edits",
                    key(Action::RetryEdited),
                    key(Action::Revert)
                );
                state.say(Level::Warn, words);
                return Vec::new();
            }
            return decide(state, Decision::Retry, "retry as staged");
        }
        Action::RetryEdited => {
            if i.loading != Loading::Ready {
                state.say(
                    Level::Warn,
                    "The message's text is not loaded: nothing to send",
                );
                return Vec::new();
            }
            match i.checked_edit(now) {
                Ok(msg) => return decide(state, Decision::RetryEdited(msg), "retry edited"),
                Err(problems) => {
                    i.notice = Some(Notice::Invalid(problems));
                    state.say(
                        Level::Warn,
                        "The edited message breaks rules: nothing was sent",
                    );
                }
            }
        }
        Action::Skip => begin_typing(state, TypeTarget::SkipReason, TextField::new("")),
        Action::StopGroup => {
            let target = i.target.to_string();
            state.overlay = Some(Overlay::Confirm(Confirm {
                title: format!("Stop {target}?"),
                lines: vec![
                    format!(
                        "{target} stops at this message for this run; nothing more is sent to it."
                    ),
                    "The decision is recorded in the ledger; a later run resumes from here.".into(),
                ],
                on_yes: Pending::StopGroup,
                scroll: 0,
            }));
        }
        _ => {}
    }
    Vec::new()
}

/// Sends a decision about the inspected message; the inspector waits for the lane's answer.
fn decide(state: &mut AppState, decision: Decision, words: &str) -> Vec<Effect> {
    let Some(i) = &mut state.inspector else {
        return Vec::new();
    };
    i.editing = false;
    i.notice = Some(Notice::Sent(format!(
        "Decision sent: {words}. Waiting for {} to act on it…",
        i.target
    )));
    let control = Control::Decide {
        target: i.target.clone(),
        source: i.reason.source.clone(),
        decision,
        // This console's operator: the run's process records it (in process), or the
        // attachment names it in its request.
        operator: String::new(),
    };
    vec![Effect::Control(control)]
}

/// The skip reason was typed.
pub fn skip(state: &mut AppState, reason: &str) -> Vec<Effect> {
    if reason.is_empty() {
        state.say(
            Level::Warn,
            "A skip needs a reason (it is recorded in the ledger)",
        );
        begin_typing(state, TypeTarget::SkipReason, TextField::new(""));
        return Vec::new();
    }
    decide(
        state,
        Decision::Skip {
            reason: reason.to_owned(),
        },
        &format!("skip ({reason})"),
    )
}

/// The operator confirmed stopping the group.
pub fn stop_group(state: &mut AppState) -> Vec<Effect> {
    decide(state, Decision::StopGroup, "stop the group")
}
