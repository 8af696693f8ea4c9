//! Driving a run that `open` opened: one lane per target with at most `--lanes` working at once
//! (`drive`), routing controls to lanes (`controls`), stopping cleanly (no new requests; answers
//! in flight awaited for a bounded time), and the summary with the run's end status (`summary`;
//! `RunStatus::exit` gives the exit code).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::control::Control;
use super::events::{Counts, Event, Failure, LaneState, RunSummary, TargetStart};
use super::lane::LaneSetup;
use super::ledger::runs::{self, RunStatus};
use super::ledger::{Ledger, LedgerError, read, targets};
use super::limiter::Limiter;
use super::options::RunOptions;
use super::service::ImportService;
use super::work::{TargetInfo, WorkSource};

// Opening moved to `open`; these names stay here for callers written against them.
pub use super::open::{OpenRunError, OpenedRun, open_run};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// Where everything stands.
    pub summary: RunSummary,
    /// How it ended (never [`RunStatus::Running`]); [`RunStatus::exit`] gives the exit code.
    pub status: RunStatus,
}

impl RunOutcome {
    /// The process exit code this ending means.
    pub fn exit_code(&self) -> u8 {
        self.status.exit().code()
    }
}

/// Why the whole run stopped early.
#[derive(Debug, Clone, PartialEq)]
enum StopCause {
    Interrupted,
    Service(Failure),
    Ledger(String),
}

impl StopCause {
    fn words(&self) -> String {
        match self {
            StopCause::Interrupted => "interrupted by the operator".into(),
            StopCause::Service(f) => f.line(),
            StopCause::Ledger(e) => e.clone(),
        }
    }
}

type Cause = Arc<Mutex<Option<StopCause>>>;

fn set_cause(cause: &Cause, c: StopCause) {
    let mut slot = cause.lock().unwrap_or_else(PoisonError::into_inner);
    slot.get_or_insert(c);
}

mod controls;
mod drive;
mod summary;

use controls::{Route, Routes, route_controls};
use drive::drive_lanes;
use summary::summarize;

/// Runs every target of `source` in run `run_id` to its end (or until stopped), emitting events
/// as it goes and [`Event::RunFinished`] last.
pub async fn run<S: ImportService>(
    service: Arc<S>,
    source: Arc<dyn WorkSource>,
    ledger: Ledger,
    opened: &OpenedRun,
    opts: RunOptions,
    events: mpsc::Sender<Event>,
    controls: mpsc::Receiver<Control>,
) -> Result<RunOutcome, LedgerError> {
    let started = Instant::now();
    let run_id = opened.run.id;
    let infos = source.targets();
    let recorded = record_targets(&ledger, run_id, infos).await?;
    let _ = events
        .send(Event::RunStarted {
            run_id,
            resumed: opened.resumed,
            targets: recorded
                .iter()
                .map(|(info, _, counts)| TargetStart {
                    target: info.target.clone(),
                    messages: info.messages,
                    batches: info.batches,
                    already_done: counts.done + counts.skipped,
                })
                .collect(),
            rate_budget: opts.rate,
            lanes: opts.lanes,
            on_message_error: opts.on_message_error,
        })
        .await;
    // Resumed after the staged files changed: say what changed (each message planned again is
    // named by its lane as it reads it).
    for change in &opened.changes {
        let _ = events
            .send(Event::Warning {
                target: None,
                message: format!(
                    "{change} since run {run_id} was last worked on: messages already imported or decided are checked as their lanes reach them; the others go as staged now"
                ),
            })
            .await;
    }
    if opened.forgotten > 0 {
        let _ = events
            .send(Event::Warning {
                target: None,
                message: format!(
                    "{} unsent message(s) are no longer in the staged files: forgotten",
                    opened.forgotten
                ),
            })
            .await;
    }

    let (pause_tx, pause_rx) = watch::channel(false);
    let shutdown = CancellationToken::new();
    let abort = CancellationToken::new();
    let cause: Cause = Arc::new(Mutex::new(None));
    let ctx = Arc::new(RunContext {
        service,
        source,
        ledger: ledger.clone(),
        limiter: match &opts.budget {
            Some(shared) => Arc::clone(&shared.0),
            None => Arc::new(Limiter::new(opts.rate)),
        },
        events: events.clone(),
        slots: Arc::new(Semaphore::new(opts.lanes.max(1))),
        loads: Semaphore::new(super::context::LOADS_AT_ONCE),
        opts,
        paused: pause_rx,
        shutdown: shutdown.clone(),
        abort: abort.clone(),
        requests: Default::default(),
    });

    let mut routes = HashMap::new();
    let mut setups = Vec::new();
    for (info, target_id, _) in &recorded {
        let stop = CancellationToken::new();
        routes.insert(
            info.target.clone(),
            Route {
                target_id: *target_id,
                decisions: None,
                stop: stop.clone(),
            },
        );
        setups.push(LaneSetup {
            target: info.target.clone(),
            target_id: *target_id,
            messages: info.messages,
            stop,
        });
    }
    let routes: Routes = Arc::new(Mutex::new(routes));
    let router = tokio::spawn(route_controls(
        controls,
        Arc::clone(&routes),
        pause_tx,
        (shutdown.clone(), abort),
        Arc::clone(&cause),
        ledger.clone(),
        events.clone(),
    ));

    let ends = drive_lanes(&ctx, setups, &routes, &cause).await;
    router.abort();

    let finished = summarize(&ctx, run_id, &recorded, &ends, &cause, started).await;
    let status = finished.status;
    let _ = ledger
        .call(move |c| runs::finish_run(c, run_id, status))
        .await;
    let _ = events
        .send(Event::RunFinished {
            summary: finished.summary.clone(),
            exit_code: finished.exit_code(),
        })
        .await;
    Ok(finished)
}

/// Records every target (refreshing its counts) and reads what is already done.
async fn record_targets(
    ledger: &Ledger,
    run_id: i64,
    infos: Vec<TargetInfo>,
) -> Result<Vec<(TargetInfo, i64, Counts)>, LedgerError> {
    ledger
        .call(move |c| {
            infos
                .into_iter()
                .map(|info| {
                    let id = targets::ensure_target(
                        c,
                        run_id,
                        &info.target,
                        info.messages,
                        info.batches,
                    )?;
                    targets::set_state(c, id, LaneState::Waiting, None)?;
                    let counts = read::counts(c, id, info.messages)?;
                    Ok((info, id, counts))
                })
                .collect()
        })
        .await
}
