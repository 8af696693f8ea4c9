//! What every lane of a run shares: the service, the work source, the ledger, the limiter, the
//! event channel, the options, and the run-wide signals (pause, shutdown, lane slots).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::control::BulkDecision;
use super::events::Event;
use super::ledger::Ledger;
use super::limiter::{Limiter, RateChange};
use super::options::RunOptions;
use super::service::ImportService;
use super::slots::LaneSlots;
use super::work::WorkSource;

/// Targets loaded at once (the CPU has little more to give, and memory peaks while loading).
pub(crate) const LOADS_AT_ONCE: usize = 2;

/// The run's shared state.
pub(crate) struct RunContext<S> {
    pub service: Arc<S>,
    pub source: Arc<dyn WorkSource>,
    pub ledger: Ledger,
    pub limiter: Arc<Limiter>,
    pub events: mpsc::Sender<Event>,
    pub opts: RunOptions,
    /// True while the operator has paused the run.
    pub paused: watch::Receiver<bool>,
    /// Cancelled when the run must stop sending (Shutdown, Ctrl-C, an unrecoverable error).
    pub shutdown: CancellationToken,
    /// Cancelled when the run must stop without waiting for answers in flight (a second
    /// interrupt); always after `shutdown`.
    pub abort: CancellationToken,
    /// One slot per lane allowed to work at once, given longest lane first.
    pub slots: Arc<LaneSlots>,
    /// Targets being loaded and planned at once ([`LOADS_AT_ONCE`]): a load holds a target's
    /// parsed messages and plan together, the peak of a lane's memory.
    pub loads: Semaphore,
    /// Import requests sent by this invocation.
    pub requests: AtomicU64,
    /// Import requests still to send, all lanes, as estimated at the start and counted down as
    /// they go: whether the lane with the most left sets how long the run takes (the limiter's
    /// reserved share).
    pub left: AtomicU64,
    /// The bulk decisions made so far in this run, oldest first (lanes apply them to what they
    /// meet; a lane waiting for a decision wakes when one is added).
    pub rules: watch::Receiver<Rules>,
    /// Who the operator at this process is (`user@host`), for the decisions made here.
    pub operator: String,
}

/// The run's bulk decisions, oldest first (an index names one for good).
pub(crate) type Rules = Arc<Vec<BulkDecision>>;

impl<S: ImportService> RunContext<S> {
    /// Sends an event, waiting for room (never dropping it); a closed channel is ignored.
    pub async fn emit(&self, event: Event) {
        let _ = self.events.send(event).await;
    }

    /// Reports a change of pace.
    pub async fn rate_changed(&self, change: Option<RateChange>) {
        if let Some(c) = change {
            self.emit(Event::RateChanged {
                current: c.current,
                budget: c.budget,
                refusals: c.refusals,
            })
            .await;
        }
    }

    /// Counts one import request sent.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        // Never below zero: an estimate a lane outruns stays at zero.
        let _ = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
}
