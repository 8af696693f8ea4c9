//! Driving a run that `open` opened: one lane per target with at most `--lanes` working at once,
//! routing controls to lanes, stopping cleanly (no new requests; answers in flight awaited for a
//! bounded time), and the summary with the run's end status (`RunStatus`, whose `exit` gives
//! the exit code).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::control::{Control, Decision};
use super::events::{
    Counts, Event, Failure, LaneState, RunSummary, SourceRef, TargetStart, TargetSummary,
};
use super::lane::{LaneEnd, LaneSetup, end_state, run_lane};
use super::ledger::decisions::{self, DecisionRecord};
use super::ledger::runs::{self, RunStatus};
use super::ledger::{Ledger, LedgerError, read, targets};
use super::limiter::Limiter;
use super::options::RunOptions;
use super::service::ImportService;
use super::target::Target;
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

/// Where a lane's controls go. The decisions channel exists only while the lane runs (made
/// when it starts, dropped when it ends), so a run of many thousands of targets does not hold
/// a channel for each.
struct Route {
    target_id: i64,
    decisions: Option<mpsc::Sender<(SourceRef, Decision)>>,
    stop: CancellationToken,
}

/// Every target's route, shared by the lanes (which open and close their channel) and the
/// router. Locked briefly, never across an await.
type Routes = Arc<Mutex<HashMap<Target, Route>>>;

fn lock(routes: &Routes) -> std::sync::MutexGuard<'_, HashMap<Target, Route>> {
    routes.lock().unwrap_or_else(PoisonError::into_inner)
}

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

    let (pause_tx, pause_rx) = watch::channel(false);
    let shutdown = CancellationToken::new();
    let cause: Cause = Arc::new(Mutex::new(None));
    let ctx = Arc::new(RunContext {
        service,
        source,
        ledger: ledger.clone(),
        limiter: Limiter::new(opts.rate),
        events: events.clone(),
        slots: Arc::new(Semaphore::new(opts.lanes.max(1))),
        loads: Semaphore::new(super::context::LOADS_AT_ONCE),
        opts,
        paused: pause_rx,
        shutdown: shutdown.clone(),
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
        shutdown.clone(),
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

/// Starts lanes in order as slots free up, collects how each ended, and bounds the wait for
/// answers in flight once the run is stopping. `None` for a lane that never started (or was
/// aborted at the end of the grace period).
async fn drive_lanes<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    setups: Vec<LaneSetup>,
    routes: &Routes,
    cause: &Cause,
) -> Vec<Option<(LaneEnd, Counts)>> {
    let mut ends: Vec<Option<(LaneEnd, Counts)>> = vec![None; setups.len()];
    let mut waiting = setups.into_iter().enumerate();
    let mut next = waiting.next();
    let mut lanes = JoinSet::new();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        if ctx.shutdown.is_cancelled() && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + ctx.opts.shutdown_grace);
        }
        let may_start = next.is_some() && deadline.is_none();
        if !may_start && lanes.is_empty() {
            break;
        }
        let slots = Arc::clone(&ctx.slots);
        tokio::select! {
            biased;
            Some(joined) = lanes.join_next() => {
                if let Ok((i, (end, counts))) = joined {
                    match &end {
                        LaneEnd::StopRun(f) => {
                            set_cause(cause, StopCause::Service(f.clone()));
                            ctx.shutdown.cancel();
                        }
                        LaneEnd::Ledger(e) => {
                            set_cause(cause, StopCause::Ledger(e.to_string()));
                            ctx.shutdown.cancel();
                        }
                        _ => {}
                    }
                    ends[i] = Some((end, counts));
                }
            }
            permit = slots.acquire_owned(), if may_start => {
                if let (Ok(permit), Some((i, setup))) = (permit, next.take()) {
                    let ctx = Arc::clone(ctx);
                    let (tx, decisions) = mpsc::channel(16);
                    let target = setup.target.clone();
                    if let Some(route) = lock(routes).get_mut(&target) {
                        route.decisions = Some(tx);
                    }
                    let routes = Arc::clone(routes);
                    lanes.spawn(async move {
                        let end = run_lane(ctx, setup, decisions, permit).await;
                        if let Some(route) = lock(&routes).get_mut(&target) {
                            route.decisions = None;
                        }
                        (i, end)
                    });
                    next = waiting.next();
                }
            }
            () = ctx.shutdown.cancelled(), if deadline.is_none() => {}
            () = sleep_until_opt(deadline), if deadline.is_some() => {
                // Answers still not in after the grace period: their requests stay in flight in
                // the ledger and are settled by reading back on resume.
                lanes.abort_all();
                while lanes.join_next().await.is_some() {}
                break;
            }
        }
    }
    ends
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Routes controls until the run ends.
async fn route_controls(
    mut controls: mpsc::Receiver<Control>,
    routes: Routes,
    pause: watch::Sender<bool>,
    shutdown: CancellationToken,
    cause: Cause,
    ledger: Ledger,
    events: mpsc::Sender<Event>,
) {
    while let Some(control) = controls.recv().await {
        match control {
            Control::PauseRun => {
                pause.send_replace(true);
            }
            Control::ResumeRun => {
                pause.send_replace(false);
            }
            Control::Shutdown => {
                set_cause(&cause, StopCause::Interrupted);
                shutdown.cancel();
            }
            Control::StopLane(target) => {
                let route = lock(&routes)
                    .get(&target)
                    .map(|r| (r.stop.clone(), r.target_id));
                match route {
                    Some((stop, id)) => {
                        // Stop first, record second: the lane must not start another request
                        // while the decision is being written.
                        stop.cancel();
                        let record = DecisionRecord::lane_stopped_by_operator();
                        let _ = ledger
                            .call(move |c| decisions::record(c, id, &record))
                            .await;
                        stop.cancel();
                    }
                    None => unknown_target(&events, &target).await,
                }
            }
            Control::Decide {
                target,
                source,
                decision,
            } => {
                let lane = lock(&routes).get(&target).map(|r| r.decisions.clone());
                match lane {
                    Some(Some(lane)) => {
                        let _ = lane.send((source, decision)).await;
                    }
                    // A lane that has not started or has ended does not listen; the decision has
                    // nothing to apply to, and the operator is told so.
                    Some(None) => {
                        let _ = events
                            .send(Event::Warning {
                                target: Some(target.clone()),
                                message: format!(
                                    "decision for {target} ignored: its lane is not running"
                                ),
                            })
                            .await;
                    }
                    None => unknown_target(&events, &target).await,
                }
            }
        }
    }
}

async fn unknown_target(events: &mpsc::Sender<Event>, target: &Target) {
    let _ = events
        .send(Event::Warning {
            target: None,
            message: format!("control for {target} ignored: it is not a target of this run"),
        })
        .await;
}

/// The run's summary (counts from the ledger, which holds every invocation's work) and exit
/// code.
async fn summarize<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    run_id: i64,
    recorded: &[(TargetInfo, i64, Counts)],
    ends: &[Option<(LaneEnd, Counts)>],
    cause: &Cause,
    started: Instant,
) -> RunOutcome {
    let ids: Vec<(i64, u64)> = recorded
        .iter()
        .map(|(i, id, _)| (*id, i.messages))
        .collect();
    let from_ledger = ctx
        .ledger
        .call(move |c| {
            ids.iter()
                .map(|&(id, total)| read::counts(c, id, total))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .ok();
    let mut totals = Counts::default();
    let mut blocked = false;
    let targets: Vec<TargetSummary> = recorded
        .iter()
        .enumerate()
        .map(|(i, (info, _, start_counts))| {
            let counts = match (&from_ledger, &ends[i]) {
                (Some(all), _) => all[i],
                (None, Some((_, c))) => *c,
                (None, None) => *start_counts,
            };
            totals.add(&counts);
            let (state, reason) = match &ends[i] {
                Some((end, _)) => {
                    blocked |= matches!(end, LaneEnd::Blocked(_));
                    end_state(end)
                }
                None => (LaneState::Waiting, Some("not started".into())),
            };
            TargetSummary {
                target: info.target.clone(),
                state,
                counts,
                reason,
            }
        })
        .collect();
    let cause = cause.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let status = end_status(cause.as_ref(), blocked, &totals);
    RunOutcome {
        summary: RunSummary {
            run_id,
            targets,
            totals,
            requests: ctx.requests.load(std::sync::atomic::Ordering::Relaxed),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            stopped: cause.as_ref().map(StopCause::words),
        },
        status,
    }
}

/// How the run ended: stopped when an unrecoverable service, connection or ledger error stopped
/// the run or a lane; interrupted when the operator stopped it; done when every message is done;
/// incomplete otherwise (failed, skipped, invalid or not yet sent).
fn end_status(cause: Option<&StopCause>, blocked: bool, totals: &Counts) -> RunStatus {
    match cause {
        Some(StopCause::Service(_) | StopCause::Ledger(_)) => RunStatus::Stopped,
        _ if blocked => RunStatus::Stopped,
        Some(StopCause::Interrupted) => RunStatus::Interrupted,
        None if totals.done == totals.total => RunStatus::Done,
        None => RunStatus::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_statuses_and_their_exit_codes_follow_the_design() {
        let all = Counts {
            total: 3,
            done: 3,
            ..Counts::default()
        };
        let skipped = Counts {
            total: 3,
            done: 2,
            skipped: 1,
            ..Counts::default()
        };
        let f = Failure {
            code: Some(70020),
            meaning: "m".into(),
            remedy: "r".into(),
            detail: String::new(),
        };
        let code = |cause: Option<&StopCause>, blocked, totals| {
            end_status(cause, blocked, totals).exit().code()
        };
        assert_eq!(end_status(None, false, &all), RunStatus::Done);
        assert_eq!(code(None, false, &all), 0);
        assert_eq!(end_status(None, false, &skipped), RunStatus::Incomplete);
        assert_eq!(code(None, false, &skipped), 1);
        assert_eq!(code(None, true, &all), 3, "a lane blocked on the network");
        assert_eq!(code(Some(&StopCause::Service(f)), false, &all), 3);
        assert_eq!(code(Some(&StopCause::Ledger("x".into())), false, &all), 3);
        assert_eq!(
            end_status(Some(&StopCause::Interrupted), false, &skipped),
            RunStatus::Interrupted
        );
        assert_eq!(code(Some(&StopCause::Interrupted), false, &skipped), 130);
        assert_eq!(code(None, false, &Counts::default()), 0, "nothing to do");
        assert_eq!(RunStatus::Running.exit(), crate::exit::Exit::Stopped);
    }
}
