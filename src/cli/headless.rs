//! What the headless commands that talk to the service share: turning a preparation into an
//! exit code, their async runtime, the interrupts they stop on, the progress bar on a terminal,
//! and where their lines go (JSON lines on stdout, each with its `time`; lines for people on
//! stderr and in the log, when there is one).

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Exit;
use crate::escape;

/// Why a command did not start: what to say, and its exit code.
pub struct Refusal {
    /// Said on stderr.
    pub message: String,
    /// The exit code.
    pub exit: Exit,
}

/// A plain message is bad input (exit 2).
impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal {
            message,
            exit: Exit::BadInput,
        }
    }
}

/// Prepares (a failure is said on stderr: a plain message is bad input), then runs `execute` on
/// the runtime.
pub fn run<P, E, F>(prepare: impl FnOnce() -> Result<P, E>, execute: impl FnOnce(P) -> F) -> Exit
where
    E: Into<Refusal>,
    F: Future<Output = Exit>,
{
    let prepared = match prepare().map_err(Into::into) {
        Ok(p) => p,
        Err(Refusal { message, exit }) => return fail(&message, exit),
    };
    // Few blocking threads: they only read staged files (at most two targets at once), and each
    // thread's allocator arena keeps memory of its own.
    match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(execute(prepared)),
        Err(e) => fail(
            &format!("cannot start the async runtime: {e}"),
            Exit::Stopped,
        ),
    }
}

/// Says `message` on stderr and in the log (escaped) and returns `exit`.
pub fn fail(message: &str, exit: Exit) -> Exit {
    let message = escape::text(message);
    tracing::error!("{message}");
    eprintln!("timport: {message}");
    exit
}

/// A progress bar on stderr with `template`, when stderr is a terminal.
pub fn progress_bar(template: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// A JSON line on stdout, flushed (a script reads it as it comes).
pub fn print_json(line: &str) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The time a JSON line carries (`"time"`): now, RFC 3339 in UTC.
pub fn time_now() -> String {
    crate::clock::rfc3339(SystemTime::now())
}

/// A line for people on stderr, above the bar when there is one, and in the log.
pub fn say(bar: Option<&ProgressBar>, line: &str) {
    tracing::info!("{line}");
    match bar {
        Some(bar) => bar.println(format!("timport: {line}")),
        None => eprintln!("timport: {line}"),
    }
}

/// `RUN` as a run number (`None`: the latest).
pub fn run_number(run: Option<&str>) -> Result<Option<i64>, String> {
    run.map(|r| {
        r.parse::<i64>()
            .map_err(|_| format!("RUN must be a run number (see `timport report`), not '{r}'"))
    })
    .transpose()
}

/// SIGINT, SIGTERM and SIGHUP as one stream of names.
pub struct Interrupts {
    #[cfg(unix)]
    unix: Option<[tokio::signal::unix::Signal; 3]>,
}

impl Interrupts {
    pub fn new() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Streams made once: a signal between two waits is kept for the next.
            let unix = (|| {
                Ok::<_, std::io::Error>([
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::hangup())?,
                ])
            })()
            .ok();
            Interrupts { unix }
        }
        #[cfg(not(unix))]
        Interrupts {}
    }

    /// The next interrupt's name; `None` when none can be waited for.
    pub async fn next(&mut self) -> Option<&'static str> {
        #[cfg(unix)]
        if let Some([int, term, hup]) = &mut self.unix {
            return tokio::select! {
                _ = int.recv() => Some("interrupted"),
                _ = term.recv() => Some("SIGTERM"),
                _ = hup.recv() => Some("SIGHUP"),
            };
        }
        tokio::signal::ctrl_c().await.ok().map(|()| "interrupted")
    }
}
