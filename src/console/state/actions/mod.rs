//! Each screen's actions: what a key means there, carried out on the state, with the effects it
//! asks for. One file per screen; `input.rs` decides which one a key goes to.

pub mod bulk;
pub mod connect;
pub mod files;
pub mod groups;
pub mod inspector;
pub mod preview;
pub mod run;

use super::super::keymap::{Action, Keymap, Place};
use super::AppState;
use super::files::FilesFocus;
use super::overlay::{Confirm, ListId, Overlay, Pending};
use super::preview::PreviewFocus;
use super::run::RunFocus;

/// Gives the keys to the pane that shows `list` (a click, or Tab).
pub(super) fn focus(state: &mut AppState, list: ListId) {
    match list {
        ListId::Groups => {}
        ListId::Files => state.files.focus = FilesFocus::Files,
        ListId::Problems => state.files.focus = FilesFocus::Problems,
        ListId::Batches => state.preview.focus = PreviewFocus::Batches,
        ListId::Lanes => state.run.focus = RunFocus::Lanes,
        ListId::Results => state.run.focus = RunFocus::Results,
        ListId::Errors => state.run.focus = RunFocus::Errors,
    }
}

/// The question asked before quitting while a run is going.
pub(super) fn quit_question(keys: &Keymap) -> Overlay {
    Overlay::Confirm(Confirm {
        title: "Quit while a run is going?".into(),
        lines: vec![
            "Sending stops; the answers on the way are awaited and recorded.".into(),
            format!(
                "The ledger stays consistent: later, {} on screen 5 shows this run and resumes it",
                keys.name(Place::Run, Action::Reopen)
            ),
            "where it stopped (from the same staging directory).".into(),
        ],
        on_yes: Pending::Quit,
        scroll: 0,
    })
}
