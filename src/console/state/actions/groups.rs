//! Screen 2's actions: moving, filtering, sorting, marking, reloading, copying an id, opening a
//! group (its files and its plan), and creating a missing group as `groups.jsonl` stages it (its
//! exact `import_group` body shown first, then sent once the operator says yes).

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::AppState;
use super::super::groups::Details;
use super::super::input::{move_in, set_filter, start_filter};
use super::super::overlay::{Confirm, Level, ListId, Overlay, Pending};
use crate::clock::format_unix;
use crate::plan::migration::group_request;

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
        Action::CreateGroup => ask_create(state),
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

/// Asks before creating the selected group: what `groups.jsonl` stages for it, byte for byte.
fn ask_create(state: &mut AppState) {
    let Some(row) = state.groups.selected() else {
        return;
    };
    let id = row.id.clone();
    let missing = matches!(row.details, Details::NotListed | Details::Refused(10010));
    if !missing {
        state.say(
            Level::Warn,
            format!("{id} exists already: nothing to create"),
        );
        return;
    }
    let staged = state
        .files
        .scanned
        .as_ref()
        .and_then(|s| s.staging.migration().group(&id).cloned());
    let Some(staged) = staged else {
        let words = format!(
            "groups.jsonl does not stage {id}: add its line (Type, Name, CreateTime before its first message) and rescan (screen 3, {})",
            state.keymap.name(Place::Files, Action::Refresh)
        );
        state.say(Level::Warn, words);
        return;
    };
    if state.connect.live.is_none() {
        state.say(
            Level::Warn,
            "Not connected: test the connection on screen 1 first",
        );
        return;
    }
    let request = group_request(&staged);
    let mut lines = vec![
        format!(
            "import_group creates {id} as groups.jsonl stages it ({}, {} bytes, sent exactly as shown):",
            staged.group_type.as_str(),
            request.body.len()
        ),
        String::new(),
    ];
    lines.extend(
        crate::plan::pretty(&request.body)
            .lines()
            .map(str::to_owned),
    );
    lines.push(String::new());
    lines.push(match staged.create_time {
        Some(t) => format!(
            "Its creation time {} comes before its history, so its messages can go in; a run would create it too (its groups phase).",
            format_unix(t)
        ),
        None => "It has no CreateTime: it is created now, so only messages from now on could go in.".into(),
    });
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: format!("Create group {id}?"),
        lines,
        on_yes: Pending::CreateGroup(id),
        scroll: 0,
    }));
}

/// The operator said yes: the group is created with its staged body.
pub fn create(state: &mut AppState, group: &str) -> Vec<Effect> {
    let (Some(live), Some(scanned)) = (&state.connect.live, &state.files.scanned) else {
        return Vec::new();
    };
    let Some(staged) = scanned.staging.migration().group(group) else {
        return Vec::new();
    };
    let effect = Effect::CreateGroup {
        client: live.client.clone(),
        group: group.to_owned(),
        body: group_request(staged).body,
    };
    state.say(Level::Info, format!("Creating group {group}…"));
    vec![effect]
}
