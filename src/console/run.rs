//! Running an import for the console: the launch's groups worked from the console's own scan
//! (`engine::staged::StagedWork`), the run opened (or resumed) by `engine::open`, as
//! `timport run` opens it, the engine's events forwarded to the console's channel as
//! [`Msg::Engine`], and the operator's controls passed on. The engine waits for decisions
//! (`wait_for_decisions`): a paused lane stays paused until the operator decides.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::open::{Destination, OpenRequest, open};
use crate::engine::run::RunOutcome;
use crate::engine::staged::StagedWork;
use crate::engine::{Control, Event, LedgerError, RunOptions};
use crate::plan::PlanOptions;

use super::effect::Launch;
use super::msg::Msg;

/// Events waiting between the engine and the console; the engine waits when it is full (so a
/// slow screen slows the import rather than losing events).
const EVENTS: usize = 1024;

/// How the console runs: the engine's defaults, waiting for the operator's decisions.
pub fn options() -> RunOptions {
    RunOptions {
        wait_for_decisions: true,
        ..RunOptions::default()
    }
}

/// A run at work: its events, and the engine's task (its outcome).
pub struct Started {
    /// What the engine reports, in order; [`Event::RunFinished`] last.
    pub events: mpsc::Receiver<Event>,
    /// The engine; it ends after the last event.
    pub engine: JoinHandle<Result<RunOutcome, LedgerError>>,
}

/// Opens (or resumes) the launch's run in the ledger through the engine's one opener (so
/// `timport run` and the console resume each other's runs), and starts the engine on it. An error
/// is why the run could not start.
pub async fn start(
    launch: Launch,
    opts: RunOptions,
    controls: mpsc::Receiver<Control>,
) -> Result<Started, String> {
    opts.check()?;
    let plan = PlanOptions {
        same_second: opts.same_second,
        ..PlanOptions::default()
    };
    let work = StagedWork::shared(launch.staging, &launch.groups, plan)?;
    let destination = Destination {
        endpoint: launch.client.endpoint().base().to_owned(),
        sdkappid: launch.client.sdkappid(),
        admin: launch.client.admin().to_owned(),
    };
    let active = open(OpenRequest {
        ledger: launch.ledger,
        work,
        destination,
        options: opts,
        new_run: false,
        migration: launch.migration,
        command: "timport console".into(),
    })
    .await
    .map_err(|e| e.to_string())?;
    let (events_tx, events) = mpsc::channel(EVENTS);
    let client = Arc::new(launch.client);
    let engine = tokio::spawn(async move { active.run(client, events_tx, controls).await });
    Ok(Started { events, engine })
}

/// Runs the launch for the console to its end, its events forwarded as [`Msg::Engine`]. An
/// error is why the run could not start or stopped abnormally (the engine's own outcome
/// arrives as [`Event::RunFinished`]).
pub async fn run(
    launch: Launch,
    tx: mpsc::Sender<Msg>,
    controls: mpsc::Receiver<Control>,
) -> Result<(), String> {
    let mut opts = launch.options.clone();
    // Someone is there to decide: paused lanes wait for the operator.
    opts.wait_for_decisions = true;
    let Started { mut events, engine } = start(launch, opts, controls).await?;
    while let Some(event) = events.recv().await {
        if tx.send(Msg::Engine(event)).await.is_err() {
            // The console is gone; the engine carries on to its end and records everything.
            break;
        }
    }
    match engine.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("the ledger failed: {e}")),
        Err(e) => Err(format!("the run ended abnormally: {e}")),
    }
}
