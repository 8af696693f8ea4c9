//! `timport` without a command: the interactive console on the saved profile (flags and
//! `TIMPORT_*` variables fill or override the form). Needs a terminal; scripts use `timport run`.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;

use crate::api::ClientOptions;
use crate::cli::logging;
use crate::cli::{Cli, Exit};
use crate::config::{Paths, SECRET_KEY_ENV, Settings};
use crate::console::app::{App, terminal_input};
use crate::console::exec::ExecOptions;
use crate::console::settings::{Prefill, key_from_env};
use crate::console::state::{AppState, Locations, Startup};
use crate::console::terminal::{StdoutHost, TerminalGuard};
use crate::console::theme::Theme;

/// Runs the console.
pub fn run(cli: &Cli) -> Exit {
    if !has_terminal() {
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
    // One resolver for the form, the ledger and the run options, as `timport run` settles them;
    // its problems (a config file that cannot be read, ...) show on the Connect screen.
    let flags = cli
        .run_options
        .flags(cli.same_second.same_second, cli.utc.then_some(true));
    let settings = Settings::load(&cli.connect, &flags, &paths);
    let prefill = Prefill::from_settings(&settings);
    let env_key = key_from_env(std::env::var(SECRET_KEY_ENV).ok()).ok();
    let (_log, mut startup) = prepare(&paths, prefill, settings.run.ledger, cli.staging.clone());
    startup.run_options.rate = settings.run.rate;
    startup.run_options.lanes = settings.run.lanes;
    startup.run_options.on_message_error = settings.run.on_message_error;
    startup.run_options.same_second = settings.run.same_second;
    startup.zone = crate::clock::Zone::chosen(settings.utc);
    startup.attach = cli.attach;
    let opts = ExecOptions {
        paths,
        env_key,
        client: ClientOptions::default(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("timport: cannot start the async runtime: {e}");
            return Exit::Stopped;
        }
    };
    finish(runtime.block_on(session(startup, opts)))
}

/// Whether both stdin and stdout are a terminal.
pub(crate) fn has_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Starts the log file and builds the console's starting state. Keep the guard while the
/// console runs (it flushes the log when dropped).
pub(crate) fn prepare(
    paths: &Paths,
    prefill: Prefill,
    ledger: std::path::PathBuf,
    staging: Option<std::path::PathBuf>,
) -> (Option<WorkerGuard>, Startup) {
    // The log is best effort: without it the console still runs, and says so.
    let (guard, log_file, problem) = match logging::to_dir(&paths.data_dir) {
        Ok(log) => (log.guard, log.file, None),
        Err(e) => (None, paths.log_file(), Some(e)),
    };
    let mut prefill = prefill;
    if let Some(problem) = problem {
        prefill.problems.push(format!("no log file: {problem}"));
    }
    let startup = Startup {
        prefill,
        locations: Locations {
            config_file: paths.config_file(),
            data_dir: paths.data_dir.clone(),
            ledger,
            log_file,
        },
        staging,
        mouse: true,
        run_options: crate::console::run::options(),
        zone: crate::clock::Zone::chosen(false),
        attach: false,
        ephemeral: false,
    };
    (guard, startup)
}

/// Runs the console on the real terminal until the operator quits; the terminal is restored on
/// every path out.
pub(crate) async fn session(startup: Startup, opts: ExecOptions) -> std::io::Result<()> {
    let state = AppState::new(startup);
    let (terminal, _guard) = TerminalGuard::enter(state.mouse)?;
    let app = App::new(
        terminal,
        state,
        Theme::from_env(),
        Box::new(StdoutHost),
        opts,
    );
    let quit = app.sender();
    // SIGTERM and SIGHUP end the console as cleanly as q does.
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = quit.send(crate::console::msg::Msg::Shutdown).await;
    });
    app.run(terminal_input()).await.map(|_| ())
}

/// The exit code of a console session.
pub(crate) fn finish(result: std::io::Result<()>) -> Exit {
    match result {
        Ok(()) => Exit::Done,
        Err(e) => {
            eprintln!("timport: the console stopped: {e}");
            Exit::Stopped
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(mut term), Ok(mut hup)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        // Without signal handlers the console still quits by its keys.
        _ => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    std::future::pending::<()>().await
}
