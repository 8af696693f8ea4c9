//! One target's lane: its messages go out strictly in order, one request at a time.
//!
//! The state machine, per step, looks at the first message that is not done or skipped:
//! - pending: send it with the pending messages right after it in its planned batch
//!   ([`send`]): answered -> each message done or failed; unknown -> settle by reading back
//!   ([`readback`]) before anything else is sent; refused before applying -> retry, renew the
//!   UserSig, stop the lane or the run, as `outcome` classifies it;
//! - unknown: settle by reading back;
//! - failed or invalid: the message policy ([`decide`]): skip it with a recorded reason, or
//!   pause and wait for the operator's decision (headless: the lane ends there).
//!
//! Every request passes [`guard`] right before it is sent: nothing goes while a message that
//! orders before it (`SendTime`, then staged position) is open, and nothing older than the
//! newest message the lane landed. An edited message is re-placed by its edited `SendTime`
//! (into a later part when it orders after this one's messages), and an edit older than that
//! newest landing is refused. A refusal of a message the order cannot explain makes the lane
//! read the group's newest message: when another writer put it there, the lane pauses (someone
//! else is writing to this group) instead of sending messages that will be refused.
//!
//! Before its first send a lane checks the group: it reads the newest messages back and
//! matches every message the ledger does not have as done, so a resume is safe even when the
//! ledger lost its last commits or an earlier process was killed with a request in flight.
//!
//! A lane holds a slot (`--lanes`) while it works and gives it back while it waits for a
//! decision.
//!
//! An answer where every message landed is not committed on its own: it goes to the ledger in
//! the lane's next job, first in the transaction that records the next request in flight (or
//! before whatever the lane records or reads next, before a pause, and before the lane ends),
//! and its results are announced once it is committed. A kill before that leaves the request in flight, which
//! the resume check settles by reading back (docs/duration.md).

mod changes;
mod decide;
pub(crate) mod guard;
pub(crate) mod items;
mod parts;
mod readback;
mod send;
mod seqs;

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use self::items::{Item, ItemState, Items};
use self::seqs::RecentSeqs;
use super::context::RunContext;
use super::control::Decided;
use super::empty::EmptyGroups;
use super::events::{Counts, Event, Failure, LaneState, Newest, SourceRef};
use super::ledger::{LedgerError, messages, read, requests, targets};
use super::limiter::LaneLoad;
use super::service::ImportService;
use super::slots::LaneSlot;
use super::target::Target;
use super::work::WorkReader;

/// How a lane ended in this invocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LaneEnd {
    /// Every message is done or skipped.
    Done,
    /// Stopped at a refused or invalid message, with nobody to decide (headless).
    Paused(Failure),
    /// Stopped at a request that kept failing (network, unknown code, read-back), headless.
    Blocked(Failure),
    /// Stopped by the operator (stop lane, stop group).
    Stopped(String),
    /// The service refused the group (missing, wrong type, ...).
    GroupRefused(Failure),
    /// An error that stops the whole run (auth after renewal, region, configuration).
    StopRun(Failure),
    /// The ledger could not record something: the run stops.
    Ledger(LedgerError),
    /// The run is shutting down.
    Shutdown,
    /// The target's messages could not be loaded.
    LoadFailed(String),
    /// A message that landed, was skipped or may have landed changed in the staged files.
    StagedChanged(String),
}

/// Continue (`Ok`) or end the lane.
type Step = Result<(), LaneEnd>;

/// What a lane is given by the run.
pub(crate) struct LaneSetup {
    pub target: Target,
    pub target_id: i64,
    /// Its staged messages (for its counts at the end).
    pub messages: u64,
    /// Its requests still to send, as estimated at the start (`bound::requests_left`): its
    /// priority for lane and rate slots.
    pub requests: u64,
    pub stop: CancellationToken,
}

pub(crate) struct Lane<S> {
    ctx: Arc<RunContext<S>>,
    target: Target,
    target_id: i64,
    decisions: mpsc::Receiver<Decided>,
    /// The run's bulk decisions (to wake a wait when one is added).
    rules: watch::Receiver<super::context::Rules>,
    /// Messages a bulk retry reached already (by the rule's index): it reaches each once.
    retried_by_rule: HashSet<(usize, SourceRef)>,
    stop: CancellationToken,
    paused: watch::Receiver<bool>,
    permit: Option<LaneSlot>,
    /// Requests still to send, as estimated (counted down as requests go): the lane's priority
    /// when it waits for a rate slot or a lane slot, so that the longest lanes go first.
    left: u64,
    /// Reads the target a part at a time (`None` while a part is being read).
    reader: Option<Box<dyn WorkReader>>,
    /// The part at work.
    items: Items,
    /// Edited messages that order after the part at work: they join the part they belong in.
    carried: Vec<Item>,
    /// The newest message landed in the target (this invocation or earlier ones): the guard
    /// sends nothing older.
    newest: Option<Newest>,
    /// The newest `SendTime` the lane knows the group holds, whoever wrote it (its own
    /// landings and what it read back): a refusal older than this is explained by it.
    group_newest: Option<i64>,
    /// The message the guard said must go first (the loop goes there next).
    detour: Option<usize>,
    /// Sequence numbers seen lately, to tell a repeat.
    seqs: RecentSeqs,
    /// A check found nothing in the group at or after the first message it had to check: no
    /// later part can have messages there either, so later parts need no check.
    group_behind: bool,
    /// Requests whose outcome is unknown (or left in flight): settled together.
    open_requests: Vec<i64>,
    /// The UserSig was renewed after an auth refusal and nothing succeeded since.
    renewed: bool,
    /// Unknown outcomes in a row that landed nothing.
    unknown_streak: u32,
    /// A change of pace to announce after the call in progress.
    rate_note: Option<super::limiter::RateChange>,
    /// Not before this is an unknown outcome read back: the request was sent `settle_delay`
    /// earlier, so the service is done with it (a broken connection can leave it still working).
    settle_after: Option<tokio::time::Instant>,
    /// Answers known here but not committed yet, with the events that announce them: they go
    /// to the ledger with the lane's next ledger job, before it ([`Lane::call`]), so that an
    /// answer costs the lane no commit of its own on its way to the next request.
    unrecorded: std::sync::Mutex<Unrecorded>,
    /// Which groups hold no message (`engine::empty`), until the lane's first check used it.
    empty: Option<EmptyGroups>,
}

/// Answers not recorded yet, and their announcements (sent once they are committed).
#[derive(Default)]
struct Unrecorded {
    outcomes: Vec<requests::Outcome>,
    events: Vec<Event>,
}

impl From<LedgerError> for LaneEnd {
    fn from(e: LedgerError) -> Self {
        LaneEnd::Ledger(e)
    }
}

/// Runs one lane to its end; returns how it ended and its message counts.
pub(crate) async fn run_lane<S: ImportService>(
    ctx: Arc<RunContext<S>>,
    setup: LaneSetup,
    decisions: mpsc::Receiver<Decided>,
    permit: LaneSlot,
    empty: EmptyGroups,
) -> (LaneEnd, Counts) {
    let LaneSetup {
        target,
        target_id,
        messages,
        requests,
        stop,
    } = setup;
    let opened = open(&ctx, &target, target_id).await;
    let (reader, open, newest) = match opened {
        Ok(x) => x,
        Err(end) => {
            let counts = counts(&ctx, target_id, messages).await;
            finish(&ctx, &target, target_id, &end, counts).await;
            return (end, counts);
        }
    };
    let paused = ctx.paused.clone();
    let rules = ctx.rules.clone();
    let mut lane = Lane {
        ctx,
        target,
        target_id,
        decisions,
        rules,
        retried_by_rule: HashSet::new(),
        stop,
        paused,
        permit: Some(permit),
        left: requests,
        reader: Some(reader),
        items: Items::empty(),
        carried: Vec::new(),
        group_newest: newest.as_ref().map(|n| n.send_time),
        newest,
        detour: None,
        seqs: RecentSeqs::default(),
        group_behind: false,
        open_requests: open.iter().map(|(id, _)| *id).collect(),
        renewed: false,
        unknown_streak: 0,
        rate_note: None,
        settle_after: None,
        unrecorded: Default::default(),
        empty: Some(empty),
    };
    let end = match lane.drive(open).await {
        Ok(()) => LaneEnd::Done,
        Err(end) => end,
    };
    // The last answers are recorded before the lane's counts are read and its end recorded.
    let end = match lane.call(|_| Ok(())).await {
        Err(LaneEnd::Ledger(e)) if !matches!(end, LaneEnd::Ledger(_)) => LaneEnd::Ledger(e),
        _ => end,
    };
    let counts = counts(&lane.ctx, target_id, messages).await;
    finish(&lane.ctx, &lane.target, lane.target_id, &end, counts).await;
    (end, counts)
}

/// What a lane starts from: its reader, the requests an earlier invocation left open, and the
/// newest message landed so far.
type Opened = (Box<dyn WorkReader>, Vec<(i64, i64)>, Option<Newest>);

/// Starts reading the target, and finds the requests an earlier invocation left open and the
/// newest message it landed.
async fn open<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    target: &Target,
    target_id: i64,
) -> Result<Opened, LaneEnd> {
    let source = Arc::clone(&ctx.source);
    let t = target.clone();
    let reader = tokio::task::spawn_blocking(move || source.open(&t))
        .await
        .map_err(|e| LaneEnd::LoadFailed(format!("reading the messages failed: {e}")))?
        .map_err(LaneEnd::LoadFailed)?;
    let (open, newest) = ctx
        .ledger
        .call(move |c| {
            Ok((
                requests::open_requests(c, target_id)?,
                messages::newest_done(c, target_id)?,
            ))
        })
        .await?;
    Ok((reader, open, newest))
}

/// The target's messages per state, from the ledger (which holds every part and invocation).
async fn counts<S: ImportService>(ctx: &Arc<RunContext<S>>, target_id: i64, total: u64) -> Counts {
    ctx.ledger
        .call(move |c| read::counts(c, target_id, total))
        .await
        .unwrap_or(Counts {
            total,
            ..Counts::default()
        })
}

/// Records the lane's end in the ledger and tells the world.
async fn finish<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    target: &Target,
    target_id: i64,
    end: &LaneEnd,
    counts: Counts,
) {
    let (state, reason) = end_state(end);
    let why = reason.clone();
    // A failure to record the end is not fatal: the resume check re-reads the group anyway.
    let _ = ctx
        .ledger
        .call(move |c| targets::set_state(c, target_id, state, why.as_deref()))
        .await;
    let event = match end {
        LaneEnd::Done => Event::LaneDone {
            target: target.clone(),
            counts,
        },
        // The pause was announced when it happened.
        LaneEnd::Paused(_) | LaneEnd::Blocked(_) => return,
        _ => Event::LaneStopped {
            target: target.clone(),
            reason: reason.unwrap_or_default(),
        },
    };
    ctx.emit(event).await;
}

/// The lane state and reason an end is recorded with.
pub(crate) fn end_state(end: &LaneEnd) -> (LaneState, Option<String>) {
    match end {
        LaneEnd::Done => (LaneState::Done, None),
        LaneEnd::Paused(f) | LaneEnd::Blocked(f) => (LaneState::Paused, Some(f.line())),
        LaneEnd::Stopped(r) | LaneEnd::LoadFailed(r) | LaneEnd::StagedChanged(r) => {
            (LaneState::Stopped, Some(r.clone()))
        }
        LaneEnd::GroupRefused(f) | LaneEnd::StopRun(f) => (LaneState::Stopped, Some(f.line())),
        LaneEnd::Ledger(e) => (LaneState::Stopped, Some(e.to_string())),
        LaneEnd::Shutdown => (
            LaneState::Stopped,
            Some("interrupted: the run was stopped".into()),
        ),
    }
}

/// The words for a lane stopped by the operator.
const STOPPED_BY_OPERATOR: &str = "stopped by the operator";

impl<S: ImportService> Lane<S> {
    async fn drive(&mut self, open: Vec<(i64, i64)>) -> Step {
        self.set_state(LaneState::Running, None).await?;
        let mut open = Some(open);
        while self.next_part().await? {
            // A part is checked against the group before its first send, until a check shows
            // the group holds nothing from there on (a fresh group: at once); the requests an
            // earlier invocation left in flight belong to the first part with work left.
            if !self.group_behind {
                self.check_on_start(open.take().unwrap_or_default()).await?;
            }
            if self.ctx.opts.retry_failed {
                self.retry_failed().await?;
            }
            loop {
                // The first open message, unless the guard named the one that must go first.
                let cursor = match self.detour.take() {
                    Some(at) if at < self.items.list.len() => at,
                    _ => self.items.next_open(0),
                };
                if cursor == self.items.list.len() {
                    break;
                }
                self.gate()?;
                match self.items.list[cursor].state {
                    ItemState::Pending => self.send_group(cursor).await?,
                    ItemState::Unknown => self.settle_unknown(cursor).await?,
                    ItemState::Failed(_) | ItemState::Invalid(_) => {
                        self.on_problem(cursor).await?;
                    }
                    ItemState::Done { .. } | ItemState::Skipped(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Ends the lane when the run shuts down or the lane is stopped.
    fn gate(&self) -> Step {
        if self.ctx.shutdown.is_cancelled() {
            return Err(LaneEnd::Shutdown);
        }
        if self.stop.is_cancelled() {
            return Err(LaneEnd::Stopped(STOPPED_BY_OPERATOR.into()));
        }
        Ok(())
    }

    /// Waits until the run is not paused (or the lane must end).
    async fn unpaused(&mut self) -> Step {
        loop {
            self.gate()?;
            if !*self.paused.borrow() {
                break;
            }
            // A pause may last: the answers the lane holds are recorded (and shown) first.
            self.call(|_| Ok(())).await?;
            tokio::select! {
                _ = self.paused.changed() => {}
                () = self.ctx.shutdown.cancelled() => {}
                () = self.stop.cancelled() => {}
            }
        }
        Ok(())
    }

    /// Waits for a rate slot, before lanes with fewer requests left (at once from the reserved
    /// share if this lane sets how long the run takes: `limiter`). Nothing may come between
    /// this and the call it paces (each await in between would shift the call past its slot): a
    /// change of pace it brings is announced after the call, by [`Lane::announce_rate`].
    async fn slot(&mut self) -> Step {
        let ctx = Arc::clone(&self.ctx);
        let load = LaneLoad {
            lane: u64::try_from(self.target_id).unwrap_or_default(),
            left: self.left,
            run_left: ctx.left.load(std::sync::atomic::Ordering::Relaxed),
        };
        let change = tokio::select! {
            change = ctx.limiter.take_lane(load) => change,
            () = self.ctx.shutdown.cancelled() => return Err(LaneEnd::Shutdown),
            () = self.stop.cancelled() => return Err(LaneEnd::Stopped(STOPPED_BY_OPERATOR.into())),
        };
        self.rate_note = self.rate_note.or(change);
        Ok(())
    }

    /// Announces a change of pace noted while taking a slot.
    async fn announce_rate(&mut self) {
        let change = self.rate_note.take();
        self.ctx.rate_changed(change).await;
    }

    /// Sleeps, ending early (and the lane) on shutdown or stop.
    async fn sleep_until(&self, at: tokio::time::Instant) -> Step {
        tokio::select! {
            () = tokio::time::sleep_until(at) => Ok(()),
            () = self.ctx.shutdown.cancelled() => Err(LaneEnd::Shutdown),
            () = self.stop.cancelled() => Err(LaneEnd::Stopped(STOPPED_BY_OPERATOR.into())),
        }
    }

    /// Runs `f` on the ledger's writer, after the answers not recorded yet (in their own
    /// transaction, before `f`'s), then announces those answers. Every ledger job of a lane
    /// goes through here (or [`Lane::begin`]), so nothing the lane reads or writes in the ledger
    /// can overtake an answer it holds.
    async fn call<R, F>(&self, f: F) -> Result<R, LaneEnd>
    where
        R: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<R, LedgerError> + Send + 'static,
    {
        let Unrecorded { outcomes, events } = self.take_unrecorded();
        let id = self.target_id;
        let r = self
            .ctx
            .ledger
            .call(move |c| {
                if !outcomes.is_empty() {
                    requests::record_all(c, id, &outcomes)?;
                }
                f(c)
            })
            .await?;
        self.announce(events).await;
        Ok(r)
    }

    /// Takes the answers not recorded yet (to be recorded by the job being sent).
    fn take_unrecorded(&self) -> Unrecorded {
        std::mem::take(
            &mut *self
                .unrecorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Holds an answer to be recorded with the lane's next ledger job (see [`Lane::call`]);
    /// `events` are sent once it is committed.
    fn defer(&self, outcome: requests::Outcome, events: Vec<Event>) {
        let mut held = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.outcomes.push(outcome);
        held.events.extend(events);
    }

    /// Sends events about answers that are now committed.
    async fn announce(&self, events: Vec<Event>) {
        for event in events {
            self.ctx.emit(event).await;
        }
    }

    /// Records and announces the lane's state.
    async fn set_state(&self, state: LaneState, reason: Option<String>) -> Step {
        let id = self.target_id;
        self.call(move |c| targets::set_state(c, id, state, reason.as_deref()))
            .await?;
        if matches!(
            state,
            LaneState::Running | LaneState::Settling | LaneState::Waiting
        ) {
            self.ctx
                .emit(Event::LaneState {
                    target: self.target.clone(),
                    state,
                })
                .await;
        }
        Ok(())
    }

    /// Announces what became of the message at `at`.
    async fn emit_result(&self, at: usize) {
        if let Some(event) = self.result_event(at) {
            self.ctx.emit(event).await;
        }
    }

    /// The event that says what became of the message at `at` (none while it is open).
    fn result_event(&self, at: usize) -> Option<Event> {
        let item = &self.items.list[at];
        let outcome = item.outcome()?;
        let meta = item.meta();
        Some(Event::MessageResult {
            target: self.target.clone(),
            source: meta.source,
            from_account: meta.from_account.unwrap_or_default(),
            send_time: meta.send_time.unwrap_or_default(),
            random: meta.random.unwrap_or_default(),
            summary: item.summary(),
            outcome,
        })
    }

    async fn warn(&self, message: String) {
        self.ctx
            .emit(Event::Warning {
                target: Some(self.target.clone()),
                message,
            })
            .await;
    }
}
