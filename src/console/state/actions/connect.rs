//! Screen 1's actions: moving through the form, editing fields, choosing the endpoint and the
//! profile, loading the key, testing, saving a profile (never the key).

use super::super::super::effect::Effect;
use super::super::super::keymap::{Action, Place};
use super::super::super::settings::{SecretOrigin, profile_of};
use super::super::AppState;
use super::super::connect::{Field, TestState};
use super::super::input::begin_typing;
use super::super::overlay::{Level, TypeTarget};
use super::super::text::TextField;

/// Carries out `action` on the Connect screen.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
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
                    let save = state.keymap.name(Place::Connect, Action::SaveProfile);
                    state.say(
                        Level::Info,
                        format!(
                            "No saved profiles yet: fill the form and press {save} to save one"
                        ),
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
            if let TestState::Failed(e) = &c.test {
                return vec![Effect::Copy(e.one_line())];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A field's text was accepted.
pub fn accept_field(state: &mut AppState, field: Field, text: &TextField) -> Vec<Effect> {
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

fn save_profile(state: &mut AppState) -> Vec<Effect> {
    let c = &state.connect;
    let name = c.profile.trim().to_owned();
    if name.is_empty() {
        state.connect.focus = Field::Profile;
        let key = |action| state.keymap.name(Place::Connect, action);
        let words = format!(
            "Name the profile first ({} on the Profile line), then press {}",
            key(Action::Select),
            key(Action::SaveProfile)
        );
        state.say(Level::Warn, words);
        return Vec::new();
    }
    let sdkappid = c.sdkappid.trim().parse::<u64>().ok();
    // The key file is saved only when the key came from it: a typed key is never saved, and
    // neither is a hint at it.
    let key_file = match &c.secret {
        Some(s) => match &s.origin {
            SecretOrigin::KeyFile(p) => Some(p.clone()),
            _ => None,
        },
        None => Some(c.key_file.trim())
            .filter(|k| !k.is_empty())
            .map(Into::into),
    };
    match profile_of(c.choice, &c.url, sdkappid, &c.admin, key_file.as_deref()) {
        Ok(profile) => vec![Effect::SaveProfile { name, profile }],
        Err(e) => {
            state.say(Level::Error, format!("Cannot save the profile: {e}"));
            Vec::new()
        }
    }
}
