//! The console's whole state and the one function that changes it:
//! `update(&mut AppState, Msg) -> Vec<Effect>`. Pure: no terminal, no tokio, no clock (the shell
//! sets [`AppState::now_ms`] before each message), so every behaviour is tested by feeding
//! messages and reading the state and the effects.
//!
//! Map: `connect`, `groups` (one file per screen), `list` (selection, scroll, filter of any
//! list), `text` (one-line fields), `overlay` (help, questions, pop-ups, prompts, status),
//! `input` (keys and mouse to actions).

pub mod connect;
pub mod groups;
mod input;
pub mod list;
pub mod overlay;
pub mod text;

use std::path::PathBuf;

use ratatui::layout::Rect;

use super::effect::Effect;
use super::keymap::{Keymap, Place, Screen};
use super::msg::Msg;
use super::settings::Prefill;
use connect::{ConnectState, TestState};
use groups::GroupsState;
use overlay::{HitTarget, Level, Overlay, Status, Typing};

/// Where timport keeps its files, for the help overlay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    /// The config file.
    pub config_file: PathBuf,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The ledger.
    pub ledger: PathBuf,
    /// The log file.
    pub log_file: PathBuf,
}

/// How the console starts.
#[derive(Debug, Clone)]
pub struct Startup {
    /// The connection form's values.
    pub prefill: Prefill,
    /// Where files live.
    pub locations: Locations,
    /// Whether mouse capture starts on.
    pub mouse: bool,
}

/// Everything the console knows.
#[derive(Debug)]
pub struct AppState {
    /// The screen shown.
    pub screen: Screen,
    /// Screen 1.
    pub connect: ConnectState,
    /// Screen 2.
    pub groups: GroupsState,
    /// What is on top of the screen.
    pub overlay: Option<Overlay>,
    /// A prompt being typed.
    pub typing: Option<Typing>,
    /// The latest thing worth saying.
    pub status: Option<Status>,
    /// Whether mouse capture is on.
    pub mouse: bool,
    /// Set when the console should end.
    pub quit: bool,
    /// The key map (the footer and the help are generated from it).
    pub keymap: Keymap,
    /// Where files live.
    pub locations: Locations,
    /// "Now" in unix milliseconds, set by the shell (tests fix it).
    pub now_ms: i64,
    /// Where the mouse can point, recorded at the last draw.
    pub hits: Vec<(Rect, HitTarget)>,
}

impl AppState {
    /// The state at startup.
    pub fn new(startup: Startup) -> AppState {
        AppState {
            screen: Screen::Connect,
            connect: ConnectState::new(startup.prefill),
            groups: GroupsState::default(),
            overlay: None,
            typing: None,
            status: None,
            mouse: startup.mouse,
            quit: false,
            keymap: Keymap::standard(),
            locations: startup.locations,
            now_ms: 0,
            hits: Vec::new(),
        }
    }

    /// What the console does first: test the connection when the settings are complete.
    pub fn start(&mut self) -> Vec<Effect> {
        self.test_connection(true)
    }

    /// Where the keyboard is.
    pub fn place(&self) -> Place {
        if self.typing.is_some() {
            return Place::Typing;
        }
        match &self.overlay {
            Some(Overlay::Help { .. }) => return Place::Help,
            Some(Overlay::Confirm(_)) => return Place::Confirm,
            Some(Overlay::Popup(_)) => return Place::Popup,
            None => {}
        }
        match self.screen {
            Screen::Connect => Place::Connect,
            Screen::Groups => Place::Groups,
            Screen::Files => Place::Files,
            Screen::Preview => Place::Preview,
            Screen::Run => Place::Run,
        }
    }

    /// Says something on the status line.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(Status {
            level,
            text: text.into(),
        });
    }

    /// Starts a connection test (the form says what is missing when it cannot).
    fn test_connection(&mut self, auto: bool) -> Vec<Effect> {
        if auto && !self.connect.settings().is_ok() {
            return Vec::new();
        }
        match self.connect.begin_test(auto) {
            Some((attempt, endpoint, creds)) => vec![Effect::TestConnection {
                attempt,
                endpoint,
                creds,
            }],
            None => Vec::new(),
        }
    }

    /// Starts (or restarts) paging in the groups with the tested client.
    fn list_groups(&mut self) -> Vec<Effect> {
        match &self.connect.live {
            Some(live) => {
                let client = live.client.clone();
                let generation = self.groups.begin_listing();
                vec![Effect::ListGroups { generation, client }]
            }
            None => {
                self.say(
                    Level::Warn,
                    "Not connected: test the connection on screen 1 first",
                );
                Vec::new()
            }
        }
    }
}

/// Applies one message; returns what the shell must do.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Input(input) => input::on_input(state, input),
        Msg::Shutdown => {
            state.quit = true;
            Vec::new()
        }
        Msg::ProfileLoaded { name, result } => {
            match result {
                Ok(prefill) => {
                    state.connect.apply(*prefill);
                    state.say(Level::Info, format!("Loaded profile '{name}'"));
                }
                Err(e) => state.say(Level::Error, format!("Cannot load profile '{name}': {e}")),
            }
            Vec::new()
        }
        Msg::KeyLoaded(result) => {
            match result {
                Ok(secret) => {
                    let origin = secret.origin.describe();
                    state.connect.notes = secret.warnings.clone();
                    state.connect.secret = Some(secret);
                    state.connect.changed();
                    state.say(Level::Info, format!("Secret key loaded {origin}"));
                }
                Err(e) => state.say(Level::Error, e),
            }
            Vec::new()
        }
        Msg::ConnectionTested { attempt, result } => {
            if !state.connect.is_current(attempt) {
                return Vec::new();
            }
            match result {
                Ok(connected) => {
                    let live = connect::Live {
                        client: connected.client,
                        total_groups: connected.total_groups,
                    };
                    let words = format!(
                        "Connected as {}: the service answered and the app has {} group{}.",
                        live.describe(),
                        live.total_groups,
                        if live.total_groups == 1 { "" } else { "s" }
                    );
                    state.connect.test = TestState::Passed(words.clone());
                    state.connect.live = Some(live);
                    state.say(Level::Info, words);
                    if state.connect.is_auto() && state.screen == Screen::Connect {
                        state.screen = Screen::Groups;
                    }
                    state.list_groups()
                }
                Err(error) => {
                    state.say(Level::Error, error.one_line());
                    state.connect.test = TestState::Failed(error);
                    Vec::new()
                }
            }
        }
        Msg::ProfileSaved { name, result } => {
            match result {
                Ok(profiles) => {
                    state.connect.profiles = profiles;
                    state.connect.profile = name.clone();
                    state.say(
                        Level::Info,
                        format!(
                            "Saved profile '{name}' in {} (without the secret key)",
                            state.locations.config_file.display()
                        ),
                    );
                }
                Err(e) => state.say(Level::Error, format!("Cannot save profile '{name}': {e}")),
            }
            Vec::new()
        }
        Msg::GroupIds { generation, result } => {
            if generation != state.groups.generation {
                return Vec::new();
            }
            match result {
                Ok(page) => {
                    let last = page.last;
                    state.groups.ids_page(page);
                    if last {
                        state.groups.finish_listing();
                    }
                }
                Err(e) => {
                    state.say(Level::Error, e.one_line());
                    state.groups.failed(e);
                }
            }
            Vec::new()
        }
        Msg::GroupInfos { generation, result } => {
            if generation != state.groups.generation {
                return Vec::new();
            }
            match result {
                Ok(infos) => state.groups.infos(infos),
                Err(e) => {
                    state.say(Level::Error, e.one_line());
                    state.groups.failed(e);
                }
            }
            Vec::new()
        }
        Msg::Copied(result) => {
            match result {
                Ok(chars) => state.say(
                    Level::Info,
                    format!("Copied {chars} characters to the clipboard"),
                ),
                Err(e) => state.say(Level::Error, format!("Cannot copy: {e}")),
            }
            Vec::new()
        }
        Msg::TaskFailed { what } => {
            state.say(
                Level::Error,
                format!(
                    "{what} stopped unexpectedly (a timport bug); details are in {}",
                    state.locations.log_file.display()
                ),
            );
            Vec::new()
        }
    }
}
