//! Screen 2's actions: moving, filtering, sorting, marking, reloading, copying an id, and opening
//! a group (its files and its plan).

use super::super::super::effect::Effect;
use super::super::super::keymap::Action;
use super::super::AppState;
use super::super::input::{move_in, set_filter, start_filter};
use super::super::overlay::ListId;

/// Carries out `action` on the Groups screen.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    if move_in(state, ListId::Groups, action) {
        return Vec::new();
    }
    match action {
        Action::Filter => start_filter(state, ListId::Groups),
        Action::Back => set_filter(state, ListId::Groups, ""),
        Action::Mark => state.groups.toggle_mark(),
        Action::Sort => state.groups.cycle_sort(),
        Action::Refresh => return state.list_groups(),
        Action::Copy => {
            if let Some(row) = state.groups.selected() {
                return vec![Effect::Copy(row.id.clone())];
            }
        }
        Action::Select => {
            if let Some(row) = state.groups.selected() {
                let id = row.id.clone();
                return super::preview::open_group(state, &id);
            }
        }
        _ => {}
    }
    Vec::new()
}
