//! Shared helpers for the console's tests: fixed settings, a state built from messages (no
//! terminal, no network), and a harness that runs the real `App` on a `TestBackend` with a
//! scripted key stream and lets the test wait for text on the screen.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use timport::api::{ClientOptions, SecretKey};
use timport::config::Paths;
use timport::console::app::App;
use timport::console::exec::ExecOptions;
use timport::console::msg::{Input, Msg};
use timport::console::settings::{EndpointChoice, LoadedSecret, Prefill, SecretOrigin};
use timport::console::state::{AppState, Locations, Startup, update};
use timport::console::terminal::RecordingHost;
use timport::console::theme::Theme;

/// The demo key of the official libraries' tests (docs/service.md#usersig-test-vectors).
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const APP: u64 = 1_400_000_000;
pub const ADMIN: &str = "administrator";
/// How long the harness waits for a screen (or for the app to end) before failing the test.
/// Generous: it is reached only when something is wrong, never because the machine is busy
/// (a 1,400-message import through the sandbox takes a second or two unloaded). The tests run
/// on the real clock: the app and the sandbox talk over a socket.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// 2024-05-01 12:00:00 UTC, the fixed "now" of snapshots.
pub const NOW_MS: i64 = 1_714_564_800_000;

pub fn fixed_clock() -> i64 {
    NOW_MS
}

pub fn locations(dir: &Path) -> Locations {
    Locations {
        config_file: dir.join("config/config.toml"),
        data_dir: dir.join("data"),
        ledger: dir.join("data/ledger.sqlite3"),
        log_file: dir.join("data/timport.log"),
    }
}

pub fn fixed_locations() -> Locations {
    locations(Path::new("/home/op/.timport"))
}

/// A complete form for the sandbox at `url`, with the key as the demo's.
pub fn prefill(url: &str) -> Prefill {
    Prefill {
        profiles: vec!["prod".into(), "sandbox".into()],
        profile: Some("sandbox".into()),
        choice: EndpointChoice::Sandbox,
        url: url.into(),
        sdkappid: Some(APP),
        admin: Some(ADMIN.into()),
        key_file: None,
        secret: Some(LoadedSecret {
            key: SecretKey::new(KEY),
            origin: SecretOrigin::Demo,
            warnings: Vec::new(),
        }),
        problems: Vec::new(),
    }
}

pub fn startup(url: &str, locations: Locations) -> Startup {
    Startup {
        prefill: prefill(url),
        locations,
        staging: None,
        mouse: true,
        run_options: timport::console::run::options(),
        // Snapshots and checks read times in UTC, whatever the machine's zone.
        zone: timport::clock::Zone::Utc,
        attach: false,
        ephemeral: false,
    }
}

/// The console as `timport demo` starts it, on the demo sandbox at `url` with the demo's
/// staging directory and ledger in `dir`, its other files under `home`.
pub fn demo_startup(url: &str, dir: &timport::cli::demo::DemoDir, home: &Path) -> Startup {
    Startup {
        prefill: timport::cli::demo::prefill(url, APP, ADMIN),
        locations: Locations {
            ledger: dir.ledger(),
            ..locations(home)
        },
        staging: Some(dir.staging()),
        mouse: true,
        run_options: timport::console::run::options(),
        // Snapshots and checks read times in UTC, whatever the machine's zone.
        zone: timport::clock::Zone::Utc,
        attach: false,
        ephemeral: false,
    }
}

/// A state for snapshots: fixed paths and clock.
pub fn state(url: &str) -> AppState {
    let mut s = AppState::new(startup(url, fixed_locations()));
    s.now_ms = NOW_MS;
    s
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// Feeds a key to `update`.
pub fn press(state: &mut AppState, code: KeyCode) -> Vec<timport::console::effect::Effect> {
    update(state, Msg::Input(Input::Key(key(code))))
}

/// Presses a launch key (`L`, `M`, `A`): a staging with the accounts phase first asks the
/// service which accounts are neither in the app nor staged; this answers with `missing` (as the
/// executor would) so the launch question follows. Returns the effects of the last step.
pub fn launch_key(
    state: &mut AppState,
    code: KeyCode,
    missing: &[&str],
) -> Vec<timport::console::effect::Effect> {
    use timport::console::effect::Effect;
    let effects = press(state, code);
    match effects.as_slice() {
        [Effect::CheckAccounts { groups, scope, .. }] => update(
            state,
            Msg::AccountsChecked {
                groups: groups.clone(),
                scope: scope.clone(),
                result: Ok(missing.iter().map(|m| m.to_string()).collect()),
            },
        ),
        _ => effects,
    }
}

/// Feeds typed text to `update`, one key per character.
pub fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

/// Renders `state` on a `width`×`height` test terminal and returns the terminal.
pub fn render(
    state: &mut AppState,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| timport::console::ui::draw(f, state, theme))
        .expect("draw");
    terminal
}

/// The status line's text (empty without one).
pub fn status_text(state: &AppState) -> String {
    state
        .status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default()
}

/// The text of a rendered terminal.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    timport::console::app::buffer_text(terminal.backend().buffer())
}

/// The real app on a test terminal, driven by scripted keys.
pub struct Harness {
    pub keys: UnboundedSender<Input>,
    pub screen: watch::Receiver<String>,
    pub host: RecordingHost,
    pub task: JoinHandle<std::io::Result<App<TestBackend>>>,
    pub _dir: tempfile::TempDir,
}

impl Harness {
    /// Starts the app with `state_fn` building its state from a temporary directory's paths.
    pub fn start(width: u16, height: u16, make: impl FnOnce(&Path) -> Startup) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let startup = make(dir.path());
        let paths = Paths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
        };
        let opts = ExecOptions {
            paths,
            env_key: None,
            client: ClientOptions::default(),
        };
        let host = RecordingHost::default();
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let mut app = App::new(
            terminal,
            AppState::new(startup),
            Theme::default(),
            Box::new(host.clone()),
            opts,
        );
        let screen = app.watch_screen();
        let (keys, rx) = unbounded();
        let task = tokio::spawn(app.run(rx));
        Harness {
            keys,
            screen,
            host,
            task,
            _dir: dir,
        }
    }

    pub fn press(&self, code: KeyCode) {
        self.keys
            .unbounded_send(Input::Key(key(code)))
            .expect("the app is running");
    }

    pub fn send(&self, input: Input) {
        self.keys.unbounded_send(input).expect("the app is running");
    }

    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Waits until the screen shows `text` (see [`Harness::wait_until`]), returning the screen.
    pub async fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text)).await
    }

    /// Waits until `check` holds for the screen, woken by each new frame; fails after
    /// [`PATIENCE`] saying what it waited for.
    pub async fn wait_until(&mut self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            {
                let screen = self.screen.borrow_and_update();
                if check(&screen) {
                    return screen.clone();
                }
            }
            match tokio::time::timeout_at(deadline, self.screen.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!(
                    "timed out waiting for {what:?}; the screen was:\n{}",
                    *self.screen.borrow()
                ),
            }
        }
    }

    /// From the Groups screen: filters to `group`, opens its plan, launches it and says yes.
    pub async fn import_group(&mut self, group: &str) {
        self.press(KeyCode::Char('2'));
        self.press(KeyCode::Char('/'));
        self.type_text(group);
        self.press(KeyCode::Enter);
        self.press(KeyCode::Enter);
        self.wait_for(&format!("Preview · {group}")).await;
        self.press(KeyCode::Char('L'));
        self.wait_for("Start the import?").await;
        self.press(KeyCode::Char('y'));
    }

    /// Ctrl-C, then the app as it ended.
    pub async fn quit(self) -> App<TestBackend> {
        let _ = self.keys.unbounded_send(Input::Key(ctrl('c')));
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the app ends after Ctrl-C")
            .expect("the app task does not panic")
            .expect("the app ends without an error")
    }
}

pub mod fixtures;
pub mod wide;
