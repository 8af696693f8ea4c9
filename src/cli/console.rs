//! `timport` without a command: the interactive console on the saved profile (flags and
//! `TIMPORT_*` variables fill or override the form). Needs a terminal; scripts use `timport run`.

use std::io::IsTerminal;

use crate::api::ClientOptions;
use crate::cli::{Cli, Exit};
use crate::config::{Paths, SECRET_KEY_ENV};
use crate::console::app::{App, terminal_input};
use crate::console::exec::ExecOptions;
use crate::console::settings::{self, Prefill};
use crate::console::state::{AppState, Locations, Startup};
use crate::console::terminal::{StdoutHost, TerminalGuard};
use crate::console::theme::Theme;
use crate::console::{logging, settings::key_from_env};

/// Runs the console.
pub fn run(cli: &Cli) -> Exit {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "timport: the console needs a terminal; for scripts use `timport run STAGING` (see --help)"
        );
        return Exit::BadInput;
    }
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("timport: {e}");
            return Exit::BadInput;
        }
    };
    let prefill = settings::read_prefill(&cli.connect);
    let env_key = key_from_env(std::env::var(SECRET_KEY_ENV).ok()).ok();
    match run_console(paths, prefill, env_key) {
        Ok(()) => Exit::Done,
        Err(e) => {
            eprintln!("timport: the console stopped: {e}");
            Exit::Stopped
        }
    }
}

/// Sets up logging, the runtime and the terminal, and runs the console until it quits.
pub fn run_console(
    paths: Paths,
    prefill: Prefill,
    env_key: Option<settings::LoadedSecret>,
) -> std::io::Result<()> {
    let log_file = paths.log_file();
    // The log is best effort: without it the console still runs (and says so).
    let (_log_guard, log_problem) = match logging::to_file(&log_file) {
        Ok(guard) => (guard, None),
        Err(e) => (None, Some(e)),
    };
    let locations = Locations {
        config_file: paths.config_file(),
        data_dir: paths.data_dir.clone(),
        ledger: paths.default_ledger(),
        log_file,
    };
    let mut state = AppState::new(Startup {
        prefill,
        locations,
        mouse: true,
    });
    if let Some(problem) = log_problem {
        state.connect.notes.push(format!("no log file: {problem}"));
    }
    let opts = ExecOptions {
        paths,
        env_key,
        client: ClientOptions::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (terminal, _guard) = TerminalGuard::enter(state.mouse)?;
        let app = App::new(
            terminal,
            state,
            Theme::from_env(),
            Box::new(StdoutHost),
            opts,
        );
        app.run(terminal_input()).await.map(|_| ())
    })
}
