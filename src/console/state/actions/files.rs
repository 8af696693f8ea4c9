//! Screen 3's actions: moving in the files and their problems, filtering, choosing and
//! rescanning the staging directory, opening a file's group, showing a problem's message.

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::files::FilesFocus;
use super::super::input::{begin_typing, move_in, set_filter, start_filter};
use super::super::overlay::{Level, ListId, TypeTarget};
use super::super::text::TextField;

/// Carries out `action` on the Files screen.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let list = match state.files.focus {
        FilesFocus::Files => ListId::Files,
        FilesFocus::Problems => ListId::Problems,
    };
    if move_in(state, list, action) {
        return Vec::new();
    }
    match action {
        Action::FocusNext | Action::FocusPrev => {
            state.files.focus = match state.files.focus {
                FilesFocus::Files => FilesFocus::Problems,
                FilesFocus::Problems => FilesFocus::Files,
            };
        }
        Action::Filter => start_filter(state, list),
        Action::Back => set_filter(state, list, ""),
        Action::ChangeDir => {
            let current = state
                .files
                .root
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            begin_typing(state, TypeTarget::StagingDir, TextField::new(&current));
        }
        Action::Refresh => match state.files.root.clone() {
            Some(root) => return vec![state.scan(root)],
            None => {
                let words = format!(
                    "No staging directory yet: press {} to choose one",
                    state.keymap.name(Place::Files, Action::ChangeDir)
                );
                state.say(Level::Warn, words);
            }
        },
        Action::Select => match state.files.focus {
            FilesFocus::Files => {
                if let Some(group) = state.files.selected().map(|f| {
                    f.target
                        .split(" topic ")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                }) {
                    return super::preview::open_group(state, &group);
                }
            }
            FilesFocus::Problems => return show_problem(state),
        },
        Action::Copy => {
            if let Some(p) = state.files.selected_problem() {
                return vec![Effect::Copy(p.to_string())];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Shows the selected problem in full and, below it, its staged text (read off the UI thread).
fn show_problem(state: &mut AppState) -> Vec<Effect> {
    let (Some(problem), Some(scanned)) = (state.files.selected_problem(), &state.files.scanned)
    else {
        return Vec::new();
    };
    let Some(file) = scanned
        .staging
        .files()
        .iter()
        .find(|f| f.path == problem.file)
    else {
        return Vec::new();
    };
    // The problem in full above the message (the table cuts it to its column).
    let title = format!("{} line {}", problem.file, problem.line);
    let field = problem
        .field
        .as_ref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    let severity = if problem.is_error() {
        "error"
    } else {
        "warning"
    };
    vec![Effect::ReadStaged {
        title,
        heading: format!("The {severity}{field}: {}", problem.message),
        path: file.full_path.clone(),
        offset: problem.offset,
    }]
}
