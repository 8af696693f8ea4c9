//! The console's whole state and the one function that changes it:
//! `update(&mut AppState, Msg) -> Vec<Effect>`. Pure: no terminal, no tokio, no clock (the shell
//! sets [`AppState::now_ms`] before each message), so every behaviour is tested by feeding
//! messages and reading the state and the effects.
//!
//! Map: one file per screen (`connect`, `groups`, `files`, `preview`, `run`) and the
//! `inspector`; `list` (selection, scroll, filter of any list), `text` (one-line fields),
//! `overlay` (help, questions, pop-ups, prompts, status); `input` routes keys and the mouse to
//! actions, and `actions/` carries them out screen by screen; `results` applies async results.

mod actions;
pub mod attach;
pub mod connect;
pub mod files;
pub mod groups;
mod input;
pub mod inspector;
pub mod list;
pub mod overlay;
pub mod preview;
mod results;
pub mod run;
pub mod text;

use std::path::PathBuf;

use ratatui::layout::Rect;

use super::effect::Effect;
use super::keymap::{Action, Keymap, Place, Screen};
use super::msg::Msg;
use super::settings::Prefill;
use crate::engine::RunOptions;
use connect::ConnectState;
use files::FilesState;
use groups::GroupsState;
use inspector::InspectorState;
use overlay::{HitTarget, Level, Overlay, Status, Typing};
use preview::PreviewState;
use run::RunState;

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
    /// The staging directory to scan at start.
    pub staging: Option<PathBuf>,
    /// Whether mouse capture starts on.
    pub mouse: bool,
    /// How runs go (rate, lanes, message policy: the profile's, else the engine's defaults).
    pub run_options: RunOptions,
    /// The zone times are shown in (local by default; UTC with `--utc`).
    pub zone: crate::clock::Zone,
    /// Attach to the run going on the ledger at start (`timport --attach`).
    pub attach: bool,
    /// The service and the files live only as long as this console (`timport demo`): a run
    /// cannot outlive it.
    pub ephemeral: bool,
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
    /// Screen 3.
    pub files: FilesState,
    /// Screen 4.
    pub preview: PreviewState,
    /// Screen 5.
    pub run: RunState,
    /// A failed message opened for a decision (over screen 5).
    pub inspector: Option<InspectorState>,
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
    /// The staging directory to scan at start.
    initial_staging: Option<PathBuf>,
    /// Groups to offer for launch once the scan in progress is done (resuming a run).
    resume: Option<Vec<String>>,
    /// How runs go.
    pub run_options: RunOptions,
    /// The zone times are shown in.
    pub zone: crate::clock::Zone,
    /// The run in another process this console is attached to.
    pub attach: Option<attach::Attachment>,
    /// The next launch runs as a process of its own that outlives the console.
    pub outlive: bool,
    /// Whether a run can outlive this console (not in the demo, whose service and files go
    /// with it).
    pub can_outlive: bool,
    /// Attach at start.
    attach_at_start: bool,
}

impl AppState {
    /// The state at startup.
    pub fn new(startup: Startup) -> AppState {
        AppState {
            screen: Screen::Connect,
            connect: ConnectState::new(startup.prefill),
            groups: GroupsState::default(),
            files: FilesState::default(),
            preview: PreviewState::default(),
            run: RunState::default(),
            inspector: None,
            overlay: None,
            typing: None,
            status: None,
            mouse: startup.mouse,
            quit: false,
            keymap: Keymap::standard(),
            locations: startup.locations,
            now_ms: 0,
            hits: Vec::new(),
            initial_staging: startup.staging,
            resume: None,
            run_options: startup.run_options,
            zone: startup.zone,
            attach: None,
            outlive: false,
            can_outlive: !startup.ephemeral,
            attach_at_start: startup.attach,
        }
    }

    /// What the console does first: scan the staging directory, and test the connection when
    /// the settings are complete.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut effects = self.test_connection(true);
        if let Some(root) = self.initial_staging.take() {
            effects.push(self.scan(root));
        }
        if self.attach_at_start {
            self.screen = Screen::Run;
            effects.push(Effect::Attach {
                ledger: self.locations.ledger.clone(),
            });
        }
        effects
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
            Screen::Run => match &self.inspector {
                Some(i) if i.editing => Place::Editor,
                Some(_) => Place::Inspector,
                None => Place::Run,
            },
        }
    }

    /// The footer: the current place's hints, without keys that can do nothing now (pausing
    /// and stopping lanes when no run is going, such as once a run has finished; verifying
    /// before there is a run).
    pub fn footer_hints(&self) -> Vec<(String, &'static str)> {
        let run_going = self.run.active;
        self.keymap
            .hints_where(self.place(), |action| match action {
                Action::PauseResume | Action::StopLane => run_going,
                // Offered once the run is over (a lane can be verified while others import;
                // the help says so, the footer keeps its room for the run's own keys).
                Action::Verify | Action::VerifyRun => self.run.run_id.is_some() && !run_going,
                // Offered in the Errors pane while messages are refused with a code (the keys
                // work from the Lanes pane too; the footer has no room for them everywhere).
                Action::ByCode | Action::SkipCode | Action::RetryCode => {
                    run_going
                        && self.run.focus == run::RunFocus::Errors
                        && !self.run.codes().is_empty()
                }
                // Offered while attached to a run in another process.
                Action::Helm | Action::Detach | Action::StopRun => self.attached(),
                _ => true,
            })
    }

    /// Says something on the status line.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(Status {
            level,
            text: text.into(),
        });
    }

    /// Whether a run is going (here, or in the process this console is attached to).
    pub fn running(&self) -> bool {
        self.run.active
    }

    /// Whether this console is attached to a run in another process, and still reaches it.
    pub fn attached(&self) -> bool {
        self.attach.as_ref().is_some_and(|a| a.connected)
    }

    /// Starts a connection test (the form says what is missing when it cannot).
    fn test_connection(&mut self, auto: bool) -> Vec<Effect> {
        if auto && self.connect.settings(&self.keymap).is_err() {
            return Vec::new();
        }
        match self.connect.begin_test(auto, &self.keymap) {
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

    /// Starts scanning a staging directory.
    fn scan(&mut self, root: PathBuf) -> Effect {
        let generation = self.files.begin_scan(root.clone());
        Effect::ScanStaging { generation, root }
    }
}

/// Applies one message; returns what the shell must do.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Input(input) => input::on_input(state, input),
        other => results::on_result(state, other),
    }
}
