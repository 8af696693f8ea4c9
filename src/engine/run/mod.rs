//! Driving a run that `open` opened: one lane per target with at most `--lanes` working at once,
//! started longest (most requests left) first (`drive`), routing controls to lanes (`controls`), stopping cleanly (no new requests; answers
//! in flight awaited for a bounded time), and the summary with the run's end status (`summary`;
//! `RunStatus::exit` gives the exit code).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::bound::requests_left;
use super::context::RunContext;
use super::control::Control;
use super::events::{Counts, Event, Failure, LaneState, Phase, RunSummary, TargetStart};
use super::lane::{LaneEnd, LaneSetup};
use super::ledger::runs::{self, RunStatus};
use super::ledger::{Ledger, LedgerError, read, targets};
use super::limiter::Limiter;
use super::options::RunOptions;
use super::phases::{self, GroupState, Migration, Stop};
use super::service::ImportService;
use super::slots::LaneSlots;
use super::work::{TargetInfo, WorkSource};

use super::open::OpenedRun;

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
    run_phased(
        service, source, ledger, opened, opts, None, events, controls,
    )
    .await
}

/// [`run`] with the phases of a migration around the lanes (`engine::phases`): accounts and
/// groups before them (a group the groups phase refused does not get its lanes), members and
/// unread counts after them. Without `migration`, or with the messages phase alone, it is
/// [`run`].
#[allow(clippy::too_many_arguments)]
pub async fn run_phased<S: ImportService>(
    service: Arc<S>,
    source: Arc<dyn WorkSource>,
    ledger: Ledger,
    opened: &OpenedRun,
    opts: RunOptions,
    migration: Option<Migration>,
    events: mpsc::Sender<Event>,
    controls: mpsc::Receiver<Control>,
) -> Result<RunOutcome, LedgerError> {
    let started = Instant::now();
    let run_id = opened.run.id;
    let with_messages = migration
        .as_ref()
        .is_none_or(|m| m.work.phases.contains(Phase::Messages));
    let infos = if with_messages {
        source.targets()
    } else {
        Vec::new()
    };
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
                    already_done: settled(counts),
                })
                .collect(),
            rate_budget: opts.rate,
            lanes: opts.lanes,
            on_message_error: opts.on_message_error,
        })
        .await;
    if let Some(m) = migration.as_ref().filter(|m| m.work.phases.is_migration()) {
        let _ = events
            .send(Event::Phases {
                phases: m.work.phases.phases(),
            })
            .await;
    }
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
    let (rules_tx, rules_rx) = watch::channel(Arc::default());
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
        slots: LaneSlots::new(opts.lanes),
        loads: Semaphore::new(super::context::LOADS_AT_ONCE),
        opts,
        paused: pause_rx,
        shutdown: shutdown.clone(),
        abort: abort.clone(),
        requests: Default::default(),
        left: Default::default(),
        rules: rules_rx,
        operator: super::operator::current(),
    });

    // Controls are routed from the start: an interrupt or a pause reaches the phases before
    // the lanes too (lanes join the routes as they are set up).
    let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
    let router = tokio::spawn(route_controls(
        controls,
        Arc::clone(&routes),
        (pause_tx, rules_tx),
        (shutdown.clone(), abort),
        Arc::clone(&cause),
        ledger.clone(),
        events.clone(),
    ));

    let mut group_states = HashMap::new();
    let mut phase_blocked = false;
    if let Some(m) = &migration {
        phases::register(&ctx, run_id, &m.work).await?;
        match phases::before_lanes(&ctx, m, run_id).await {
            Ok(states) => group_states = states,
            Err(stop) => phase_blocked |= phase_stop(&ctx, &cause, stop),
        }
    }
    let lanes_may_go = !phase_blocked && !ctx.shutdown.is_cancelled();

    let mut setups = Vec::new();
    let mut held: Vec<(usize, LaneEnd)> = Vec::new();
    for (i, (info, target_id, counts)) in recorded.iter().enumerate() {
        let refused = match group_states.get(info.target.group()) {
            Some(GroupState::Refused(f) | GroupState::Waiting(f)) => Some(f.clone()),
            _ => None,
        };
        if let Some(failure) = refused {
            let reason = failure.line();
            let _ = ledger
                .call({
                    let id = *target_id;
                    let reason = reason.clone();
                    move |c| targets::set_state(c, id, LaneState::Stopped, Some(&reason))
                })
                .await;
            ctx.emit(Event::LaneStopped {
                target: info.target.clone(),
                reason,
            })
            .await;
            held.push((i, LaneEnd::GroupRefused(failure)));
            continue;
        }
        if !lanes_may_go {
            continue;
        }
        let stop = CancellationToken::new();
        controls::lock(&routes).insert(
            info.target.clone(),
            Route {
                target_id: *target_id,
                decisions: None,
                stop: stop.clone(),
            },
        );
        setups.push((
            i,
            LaneSetup {
                target: info.target.clone(),
                target_id: *target_id,
                messages: info.messages,
                requests: requests_left(info.batches, info.messages, settled(counts)),
                stop,
            },
        ));
    }
    let (places, setups): (Vec<usize>, Vec<LaneSetup>) = setups.into_iter().unzip();
    let all_left = setups
        .iter()
        .map(|s| s.requests)
        .fold(0u64, u64::saturating_add);
    ctx.left
        .store(all_left, std::sync::atomic::Ordering::Relaxed);
    let driven = drive_lanes(&ctx, setups, &routes, &cause).await;
    let mut ends: Vec<Option<(LaneEnd, Counts)>> = vec![None; recorded.len()];
    for (i, end) in places.into_iter().zip(driven) {
        ends[i] = end;
    }
    for (i, end) in held {
        ends[i] = Some((end, recorded[i].2));
    }

    if let Some(m) = migration.as_ref().filter(|_| !ctx.shutdown.is_cancelled()) {
        let settled = phases::messages_settled(&ctx, run_id, &m.work).await?;
        match phases::after_lanes(&ctx, m, run_id, &group_states, &settled).await {
            Ok(blocked) => phase_blocked |= blocked,
            Err(stop) => phase_blocked |= phase_stop(&ctx, &cause, stop),
        }
    }
    router.abort();

    let finished = summarize(
        &ctx,
        run_id,
        &recorded,
        &ends,
        &cause,
        started,
        phase_blocked,
    )
    .await;
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

/// What a phase's stop means for the run: a run-wide refusal or a ledger failure stops it (as a
/// lane's would); a shutdown is already the run's; calls that kept failing block it (exit 3,
/// like a lane blocked on the network). True when the run is blocked.
fn phase_stop<S: ImportService>(ctx: &RunContext<S>, cause: &Cause, stop: Stop) -> bool {
    match stop {
        Stop::Shutdown => false,
        Stop::Run(f) => {
            set_cause(cause, StopCause::Service(f));
            ctx.shutdown.cancel();
            false
        }
        Stop::Ledger(e) => {
            set_cause(cause, StopCause::Ledger(e.to_string()));
            ctx.shutdown.cancel();
            false
        }
        Stop::GaveUp(f) => {
            tracing::warn!(failure = %f.line(), "a phase gave up");
            true
        }
    }
}

/// Messages that need no more requests: landed or skipped.
fn settled(counts: &Counts) -> u64 {
    counts.done + counts.skipped
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
