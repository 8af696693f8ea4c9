//! `timport demo`: the console connected to a sandbox seeded with the demo's groups, with the
//! demo's staging directory and a ledger of its own (`setup`: the data and the sandbox). When
//! standard output is not a terminal, the same migration runs headless: every group imported as
//! `timport run` would (a refused message stops its lane), with the engine's lines for people, a
//! progress line every two seconds, and the summary.

use crate::engine::phases::{MigrationWork, PhaseSet};
use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;

mod setup;

pub use setup::{DEMO_KEY, DemoDir, prefill, start_sandbox};

use crate::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use crate::cli::console::{finish, has_terminal, prepare, session};
use crate::cli::{DemoArgs, Exit};
use crate::clock::unix_now;
use crate::config::Paths;
use crate::console::effect::Launch;
use crate::console::exec::ExecOptions;
use crate::console::run::{Started, start};
use crate::engine::RunOptions;
use crate::engine::printer::{Progress, human_line};
use crate::sandbox::SandboxHandle;
use crate::staging::{ScanOptions, scan};

/// How often the headless demo prints its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Runs `timport demo`.
pub fn run(args: &DemoArgs) -> Exit {
    let _ = args;
    let dir = match DemoDir::create() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("timport demo: cannot write the demo's staging files: {e}");
            return Exit::Stopped;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("timport demo: cannot start the async runtime: {e}");
            return Exit::Stopped;
        }
    };
    runtime.block_on(async {
        let sandbox = match start_sandbox(true).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("timport demo: {e}");
                return Exit::Stopped;
            }
        };
        let exit = if has_terminal() {
            interactive(&sandbox, &dir).await
        } else {
            headless(&sandbox, &dir).await
        };
        sandbox.shutdown().await;
        exit
    })
}

async fn interactive(sandbox: &SandboxHandle, dir: &DemoDir) -> Exit {
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("timport demo: {e}");
            return Exit::BadInput;
        }
    };
    let prefill = prefill(&sandbox.url(), sandbox.sdkappid(), sandbox.admin());
    let (_log, mut startup) = prepare(&paths, prefill, dir.ledger(), Some(dir.staging()));
    // The demo's sandbox and files end with the console: a run outliving it would lose both.
    startup.ephemeral = true;
    let opts = ExecOptions {
        paths,
        env_key: None,
        client: ClientOptions::default(),
    };
    finish(session(startup, opts).await)
}

/// The same migration without a screen: prints what `timport run` prints, to stdout.
async fn headless(sandbox: &SandboxHandle, dir: &DemoDir) -> Exit {
    let say = |line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    say(&format!(
        "timport demo (headless: standard output is not a terminal): importing {} into the demo sandbox at {}",
        dir.staging().display(),
        sandbox.url()
    ));
    let staging_dir = dir.staging();
    let scanned =
        tokio::task::spawn_blocking(move || scan(&staging_dir, &ScanOptions::new(unix_now())))
            .await;
    let staging = match scanned {
        Ok(Ok(s)) => std::sync::Arc::new(s),
        Ok(Err(e)) => {
            say(&format!("timport demo: {e}"));
            return Exit::BadInput;
        }
        Err(e) => {
            say(&format!("timport demo: the scan ended abnormally: {e}"));
            return Exit::Stopped;
        }
    };
    let client = Endpoint::parse(&sandbox.url())
        .map_err(|e| e.to_string())
        .and_then(|endpoint| {
            Client::new(
                endpoint,
                Credentials {
                    sdkappid: sandbox.sdkappid(),
                    admin: sandbox.admin().to_owned(),
                    secret: SecretKey::new(DEMO_KEY),
                },
                ClientOptions::default(),
            )
            .map_err(|e| e.to_string())
        });
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            say(&format!("timport demo: {e}"));
            return Exit::Stopped;
        }
    };
    let migration = MigrationWork::new(&staging, &[], &[], PhaseSet::held_by(&staging));
    let launch = Launch {
        staging,
        groups: Vec::new(),
        client,
        ledger: dir.ledger(),
        options: RunOptions::default(),
        migration,
    };
    // Nobody is there to decide: a lane stops at a refused message, as `timport run` does.
    let (_controls, controls_rx) = mpsc::channel(1);
    let Started { mut events, engine } =
        match start(launch, RunOptions::default(), controls_rx).await {
            Ok(s) => s,
            Err(e) => {
                say(&format!("timport demo: the run could not start: {e}"));
                return Exit::Stopped;
            }
        };
    let mut progress = Progress::default();
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    progress.update(&event);
                    if let Some(line) = human_line(&event) {
                        say(&line);
                    }
                }
                None => break,
            },
            _ = tick.tick() => say(&format!(
                "progress: {} of {} messages ({}%), {}/{} requests/s allowed",
                progress.settled,
                progress.total,
                (progress.settled * 100).checked_div(progress.total).unwrap_or(100),
                progress.rate.0,
                progress.rate.1
            )),
        }
    }
    say(
        "(the demo's sandbox and ledger live only as long as the demo: in a real migration, `timport report` reads the ledger afterwards)",
    );
    match engine.await {
        Ok(Ok(outcome)) => outcome.status.exit(),
        Ok(Err(e)) => {
            say(&format!("timport demo: the ledger failed: {e}"));
            Exit::Stopped
        }
        Err(e) => {
            say(&format!("timport demo: the run ended abnormally: {e}"));
            Exit::Stopped
        }
    }
}
