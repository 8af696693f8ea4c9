//! From keys and mouse to what they mean: the key map gives an action for the place the
//! keyboard is in; keys it does not bind go to the prompt being typed. Actions are carried out
//! here, screen by screen.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::super::effect::Effect;
use super::super::keymap::{Action, Key, Place};
use super::super::msg::Input;
use super::AppState;
use super::connect::Field;
use super::overlay::{Confirm, HitTarget, Level, ListId, Overlay, Pending, TypeTarget, Typing};
use super::text::TextField;

pub(super) fn on_input(state: &mut AppState, input: Input) -> Vec<Effect> {
    match input {
        Input::Key(key) => on_key(state, &key),
        Input::Paste(text) => {
            if let Some(typing) = &mut state.typing {
                typing.field.insert_str(&text);
                live_filter(state);
            }
            Vec::new()
        }
        Input::Mouse(mouse) => on_mouse(state, &mouse),
        Input::Resize(..) => Vec::new(),
    }
}

fn on_key(state: &mut AppState, key: &KeyEvent) -> Vec<Effect> {
    let place = state.place();
    match state.keymap.lookup(place, Key::from_event(key)) {
        Some(action) => on_action(state, action),
        None => {
            if place == Place::Typing
                && let Some(typing) = &mut state.typing
                && typing.field.handle(key)
            {
                live_filter(state);
            }
            Vec::new()
        }
    }
}

/// Carries out an action.
pub(super) fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::ForceQuit => {
            state.quit = true;
            return Vec::new();
        }
        Action::Quit => {
            state.quit = true;
            return Vec::new();
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            return Vec::new();
        }
        Action::Go(screen) => {
            state.screen = screen;
            return Vec::new();
        }
        Action::ToggleMouse => {
            state.mouse = !state.mouse;
            let words = if state.mouse {
                "Mouse on: wheel scrolls, click focuses (Shift+drag selects text)"
            } else {
                "Mouse off: the terminal selects text as usual"
            };
            state.say(Level::Info, words);
            return vec![Effect::SetMouse(state.mouse)];
        }
        _ => {}
    }
    match state.place() {
        Place::Typing => on_typing(state, action),
        Place::Help => on_help(state, action),
        Place::Confirm => on_confirm(state, action),
        Place::Popup => on_popup(state, action),
        Place::Connect => on_connect(state, action),
        Place::Groups => on_groups(state, action),
        _ => Vec::new(),
    }
}

fn on_help(state: &mut AppState, action: Action) -> Vec<Effect> {
    if let Some(Overlay::Help { scroll }) = &mut state.overlay {
        match action {
            Action::Back => state.overlay = None,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll += 1,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll += 10,
            Action::Top => *scroll = 0,
            _ => {}
        }
    }
    Vec::new()
}

fn on_popup(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(Overlay::Popup(popup)) = &mut state.overlay else {
        return Vec::new();
    };
    match action {
        Action::Back => state.overlay = None,
        Action::Copy => {
            if let Some(text) = popup.copy.clone() {
                return vec![Effect::Copy(text)];
            }
        }
        Action::Up => popup.scroll = popup.scroll.saturating_sub(1),
        Action::Down => popup.scroll = (popup.scroll + 1).min(popup.lines.len()),
        Action::Top => popup.scroll = 0,
        _ => {}
    }
    Vec::new()
}

fn on_confirm(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = state.overlay.take() else {
        return Vec::new();
    };
    match action {
        Action::Yes => match confirm.on_yes {
            Pending::Quit => {
                state.quit = true;
                Vec::new()
            }
        },
        Action::No => Vec::new(),
        _ => {
            state.overlay = Some(Overlay::Confirm(confirm));
            Vec::new()
        }
    }
}

/// Starts typing into `target`, starting from `text`.
fn begin_typing(state: &mut AppState, target: TypeTarget, field: TextField) {
    state.typing = Some(Typing { target, field });
}

fn on_typing(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(typing) = state.typing.take() else {
        return Vec::new();
    };
    match (action, typing.target) {
        (Action::Accept, TypeTarget::Filter(_)) => Vec::new(),
        (Action::Back, TypeTarget::Filter(list)) => {
            set_filter(state, list, "");
            Vec::new()
        }
        (Action::Accept, TypeTarget::Connect(field)) => accept_field(state, field, &typing.field),
        (Action::Back, TypeTarget::Connect(_)) => Vec::new(),
        _ => {
            state.typing = Some(typing);
            Vec::new()
        }
    }
}

/// Applies a filter as it is typed.
fn live_filter(state: &mut AppState) {
    if let Some(Typing {
        target: TypeTarget::Filter(list),
        field,
    }) = &state.typing
    {
        let (list, text) = (*list, field.text().to_owned());
        set_filter(state, list, &text);
    }
}

fn set_filter(state: &mut AppState, list: ListId, text: &str) {
    match list {
        ListId::Groups => state.groups.set_filter(text),
    }
}

fn start_filter(state: &mut AppState, list: ListId, current: &str) {
    begin_typing(state, TypeTarget::Filter(list), TextField::new(current));
}

fn accept_field(state: &mut AppState, field: Field, text: &TextField) -> Vec<Effect> {
    let value = text.text().trim().to_owned();
    let c = &mut state.connect;
    match field {
        Field::Profile => c.profile = value,
        Field::Url => {
            c.url = value;
            c.changed();
        }
        Field::SdkAppId => {
            c.sdkappid = value;
            c.changed();
        }
        Field::Admin => {
            c.admin = value;
            c.changed();
        }
        Field::SecretKey => {
            c.typed_secret(text.text());
            if c.secret.is_some() {
                state.say(
                    Level::Info,
                    "Secret key set for this session only (it is never saved)",
                );
            }
        }
        Field::KeyFile => {
            c.key_file = value.clone();
            if !value.is_empty() {
                return vec![Effect::KeyFromFile { path: value.into() }];
            }
        }
        Field::Endpoint => {}
    }
    Vec::new()
}

fn on_connect(state: &mut AppState, action: Action) -> Vec<Effect> {
    let c = &mut state.connect;
    match action {
        Action::Up => c.move_focus(false),
        Action::Down => c.move_focus(true),
        Action::Prev | Action::Next => {
            let forward = action == Action::Next;
            match c.focus {
                Field::Endpoint => c.cycle_choice(forward),
                Field::Profile => {
                    if let Some(name) = c.cycle_profile(forward) {
                        return vec![Effect::LoadProfile { name }];
                    }
                    state.say(
                        Level::Info,
                        "No saved profiles yet: fill the form and press s to save one",
                    );
                }
                _ => {}
            }
        }
        Action::Select => match c.focus {
            Field::Endpoint => c.cycle_choice(true),
            Field::SecretKey => begin_typing(
                state,
                TypeTarget::Connect(Field::SecretKey),
                TextField::masked(),
            ),
            field => {
                let text = TextField::new(&c.field_text(field));
                begin_typing(state, TypeTarget::Connect(field), text);
            }
        },
        Action::TestConnection => return state.test_connection(false),
        Action::SaveProfile => return save_profile(state),
        Action::KeyFromEnv => return vec![Effect::KeyFromEnv],
        Action::KeyFromFile => {
            if c.key_file.trim().is_empty() {
                c.focus = Field::KeyFile;
                begin_typing(
                    state,
                    TypeTarget::Connect(Field::KeyFile),
                    TextField::new(""),
                );
            } else {
                return vec![Effect::KeyFromFile {
                    path: c.key_file.trim().into(),
                }];
            }
        }
        Action::Copy => {
            if let super::connect::TestState::Failed(e) = &c.test {
                return vec![Effect::Copy(e.one_line())];
            }
        }
        _ => {}
    }
    Vec::new()
}

fn save_profile(state: &mut AppState) -> Vec<Effect> {
    let c = &state.connect;
    let name = c.profile.trim().to_owned();
    if name.is_empty() {
        state.connect.focus = Field::Profile;
        state.say(
            Level::Warn,
            "Name the profile first (Enter on the Profile line), then press s",
        );
        return Vec::new();
    }
    let sdkappid = c.sdkappid.trim().parse::<u64>().ok();
    // The key file is saved only when the key came from it: a typed key is never saved, and
    // neither is a hint at it.
    let key_file = match &c.secret {
        Some(s) => match &s.origin {
            super::super::settings::SecretOrigin::KeyFile(p) => Some(p.clone()),
            _ => None,
        },
        None => Some(c.key_file.trim())
            .filter(|k| !k.is_empty())
            .map(Into::into),
    };
    match super::super::settings::profile_of(
        c.choice,
        &c.url,
        sdkappid,
        &c.admin,
        key_file.as_deref(),
    ) {
        Ok(profile) => vec![Effect::SaveProfile { name, profile }],
        Err(e) => {
            state.say(Level::Error, format!("Cannot save the profile: {e}"));
            Vec::new()
        }
    }
}

fn on_groups(state: &mut AppState, action: Action) -> Vec<Effect> {
    let g = &mut state.groups;
    match action {
        Action::Up => g.view.up(),
        Action::Down => g.view.down(),
        Action::PageUp => g.view.page_up(),
        Action::PageDown => g.view.page_down(),
        Action::Top => g.view.top(),
        Action::Bottom => g.view.bottom(),
        Action::Filter => {
            let current = g.view.filter().to_owned();
            start_filter(state, ListId::Groups, &current);
        }
        Action::Back => g.set_filter(""),
        Action::Mark => g.toggle_mark(),
        Action::Refresh => return state.list_groups(),
        Action::Copy => {
            if let Some(row) = g.selected() {
                return vec![Effect::Copy(row.id.clone())];
            }
        }
        Action::Select => {
            if let Some(row) = g.selected() {
                let id = row.id.clone();
                state.say(Level::Info, format!("Selected group {id}"));
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_mouse(state: &mut AppState, mouse: &MouseEvent) -> Vec<Effect> {
    if !state.mouse || state.overlay.is_some() || state.typing.is_some() {
        return Vec::new();
    }
    let hit = state
        .hits
        .iter()
        .find(|(area, _)| {
            mouse.column >= area.x
                && mouse.column < area.x.saturating_add(area.width)
                && mouse.row >= area.y
                && mouse.row < area.y.saturating_add(area.height)
        })
        .copied();
    let Some((area, target)) = hit else {
        return Vec::new();
    };
    match (mouse.kind, target) {
        (MouseEventKind::Down(MouseButton::Left), HitTarget::Tab(screen)) => {
            state.screen = screen;
        }
        (MouseEventKind::Down(MouseButton::Left), HitTarget::Field(field)) => {
            if state.connect.focusable(field) {
                state.connect.focus = field;
            }
        }
        (MouseEventKind::Down(MouseButton::Left), HitTarget::List(list)) => {
            let row = usize::from(mouse.row - area.y);
            let view = list_view(state, list);
            let pos = view.offset() + row;
            if pos < view.shown() {
                view.select_pos(pos);
            }
        }
        (MouseEventKind::ScrollDown, HitTarget::List(list)) => list_view(state, list).move_by(3),
        (MouseEventKind::ScrollUp, HitTarget::List(list)) => list_view(state, list).move_by(-3),
        _ => {}
    }
    Vec::new()
}

fn list_view(state: &mut AppState, list: ListId) -> &mut super::list::ListView {
    match list {
        ListId::Groups => &mut state.groups.view,
    }
}

/// The question asked before quitting while a run is going.
#[allow(dead_code)] // used once runs exist
pub(super) fn quit_question() -> Overlay {
    Overlay::Confirm(Confirm {
        title: "Quit while a run is going?".into(),
        lines: vec![
            "Sending stops; answers on the way are awaited and recorded.".into(),
            "The ledger stays consistent: reopen the run later to resume it.".into(),
        ],
        on_yes: Pending::Quit,
    })
}
