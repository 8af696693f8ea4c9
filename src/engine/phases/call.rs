//! One call of a phase, the way a lane sends a request: recorded in flight with its exact bytes
//! (and its items) before it is sent, paced (the run's app-wide limiter; the client's
//! `api::pacer` keeps the command's own limit), and its answer classified with the catalogue's
//! classes. Transient trouble and frequency refusals are retried with backoff, an auth refusal
//! renews the UserSig once, region and configuration refusals stop the run; a refusal of the
//! request as written fails its items; no usable answer leaves them `unknown` for the phase to
//! settle by reading back.
//! Reads are retried the same way (a read changes nothing, so an unknown outcome is retried).

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use serde_json::Value;

use super::service::PhaseService;
use crate::api::catalogue::ErrorClass;
use crate::api::error::ApiError;
use crate::api::types::Command;
use crate::engine::backoff;
use crate::engine::context::RunContext;
use crate::engine::events::{Event, Failure, ItemOutcome, Step};
use crate::engine::ledger::LedgerError;
use crate::engine::ledger::phases::{self, ItemMark, ItemState, call_state};
use crate::engine::outcome::{EngineReason, failure_of};
use crate::engine::service::ImportService;

/// Why a phase stops before its end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// The run is shutting down.
    Shutdown,
    /// Nothing can succeed with this setup (region, configuration, auth after renewal).
    Run(Failure),
    /// A call kept failing through every retry (network, service): what it was about waits.
    GaveUp(Failure),
    /// The ledger could not record something.
    Ledger(LedgerError),
}

impl From<LedgerError> for Stop {
    fn from(e: LedgerError) -> Self {
        Stop::Ledger(e)
    }
}

/// What became of a write.
#[derive(Debug)]
pub(super) enum Sent {
    /// Answered: the call's id and the answer's fields.
    Answered(i64, Value),
    /// Refused as written (its items fail): the call's id and why.
    Refused(i64, Failure),
    /// No usable answer: it may or may not have landed (its items are recorded `unknown`).
    Unknown,
}

/// An item settled, as the ledger records it and as the events tell it.
pub(super) struct Settled {
    pub mark: ItemMark,
    pub outcome: Option<ItemOutcome>,
}

impl Settled {
    pub fn done(item: &str) -> Settled {
        Settled {
            mark: ItemMark::new(item, ItemState::Done),
            outcome: Some(ItemOutcome::Done),
        }
    }

    pub fn existed(item: &str, note: Option<String>) -> Settled {
        Settled {
            mark: ItemMark {
                item: item.to_owned(),
                state: ItemState::Existed,
                code: None,
                detail: note.clone(),
            },
            outcome: Some(ItemOutcome::Existed { note }),
        }
    }

    pub fn failed(item: &str, failure: &Failure) -> Settled {
        Settled {
            mark: ItemMark::with(item, ItemState::Failed, failure.code, failure.line()),
            outcome: Some(ItemOutcome::Failed(failure.clone())),
        }
    }

    /// Back to pending: to be sent (again).
    pub fn pending(item: &str) -> Settled {
        Settled {
            mark: ItemMark::new(item, ItemState::Pending),
            outcome: None,
        }
    }
}

/// What the phases of one run share to make calls.
pub(super) struct Caller<'a, S> {
    pub ctx: &'a RunContext<S>,
    pub svc: &'a dyn PhaseService,
    pub run_id: i64,
}

impl<'a, S: ImportService> Caller<'a, S> {
    /// Waits while the run is paused, then for the run's slot (the client keeps each command's
    /// own pace); `Shutdown` when the run stops meanwhile.
    async fn slot(&self) -> Result<(), Stop> {
        let mut paused = self.ctx.paused.clone();
        tokio::select! {
            biased;
            () = self.ctx.shutdown.cancelled() => return Err(Stop::Shutdown),
            _ = paused.wait_for(|p| !*p) => {}
        }
        let change = tokio::select! {
            biased;
            () = self.ctx.shutdown.cancelled() => return Err(Stop::Shutdown),
            change = self.ctx.limiter.acquire() => change,
        };
        self.ctx.rate_changed(change).await;
        Ok(())
    }

    /// How long to wait before retry `retry` of `kind`, or `None` when the budget is spent.
    fn retry_delay(&self, class: ErrorClass, retry: u32) -> Option<Duration> {
        let policy = &self.ctx.opts.retry;
        let budget = if class == ErrorClass::RateLimit {
            policy.rate_tries
        } else {
            policy.transient_tries
        };
        (retry < budget).then(|| backoff::random_delay(policy, retry))
    }

    async fn pause_before_retry(&self, delay: Duration) -> Result<(), Stop> {
        tokio::select! {
            () = self.ctx.shutdown.cancelled() => Err(Stop::Shutdown),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }

    /// Sends `body` for `items`: recorded in flight first, retried while nothing landed.
    pub async fn write(
        &self,
        step: Step,
        group: &str,
        command: Command,
        body: Bytes,
        items: &[String],
    ) -> Result<Sent, Stop> {
        let mut retry = 0;
        let mut renewed = false;
        loop {
            if self.ctx.shutdown.is_cancelled() {
                return Err(Stop::Shutdown);
            }
            let (run_id, g, b, list) =
                (self.run_id, group.to_owned(), body.clone(), items.to_vec());
            let call = self
                .ctx
                .ledger
                .call(move |c| phases::begin_call(c, run_id, step, &g, command.name(), &b, &list))
                .await?;
            if let Err(stop) = self.slot().await {
                // Never sent: its items are pending again.
                self.finish(call, call_state::NOT_APPLIED, None, pending(items))
                    .await?;
                return Err(stop);
            }
            self.ctx
                .emit(Event::PhaseCall {
                    step,
                    group: (!group.is_empty()).then(|| group.to_owned()),
                    command: command.name().to_owned(),
                    call,
                    items: items.len() as u32,
                    bytes: body.len() as u64,
                })
                .await;
            let answer = self.svc.send(command, body.clone()).await;
            let e = match answer {
                Ok(value) => return Ok(Sent::Answered(call, value)),
                Err(e) => e,
            };
            let failure = failure_of(&e);
            if e.outcome_unknown() {
                let marks: Vec<Settled> = items
                    .iter()
                    .map(|i| Settled {
                        mark: ItemMark::new(i.clone(), ItemState::Unknown),
                        outcome: None,
                    })
                    .collect();
                self.finish(call, call_state::UNKNOWN, Some(&failure.line()), marks)
                    .await?;
                self.ctx
                    .emit(Event::Warning {
                        target: None,
                        message: format!(
                            "{}{} got no usable answer ({}); reading back before anything is sent again",
                            if group.is_empty() { String::new() } else { format!("{group}: ") },
                            command.name(),
                            failure.line()
                        ),
                    })
                    .await;
                return Ok(Sent::Unknown);
            }
            let class = e.class();
            if refused_as_written(class) {
                return Ok(Sent::Refused(call, failure));
            }
            // Nothing landed: its items are pending again.
            self.finish(
                call,
                call_state::NOT_APPLIED,
                Some(&failure.line()),
                pending(items),
            )
            .await?;
            self.recover(class, &failure, group, &mut retry, &mut renewed)
                .await?;
        }
    }

    /// A read, retried while it fails for passing reasons; `Ok(Err(_))` when the service refuses
    /// it for what it asks (for example a group that does not exist).
    pub async fn read<T, F>(&self, mut ask: F) -> Result<Result<T, Failure>, Stop>
    where
        F: FnMut() -> BoxFuture<'a, Result<T, ApiError>>,
        T: Send,
    {
        let mut retry = 0;
        let mut renewed = false;
        loop {
            self.slot().await?;
            let e = match ask().await {
                Ok(value) => return Ok(Ok(value)),
                Err(e) => e,
            };
            let failure = failure_of(&e);
            let class = if e.outcome_unknown() {
                ErrorClass::Transient
            } else {
                e.class()
            };
            if refused_as_written(class) {
                return Ok(Err(failure));
            }
            self.recover(class, &failure, "", &mut retry, &mut renewed)
                .await?;
        }
    }

    /// After a call that did not land: waits and lets the caller try again (passing trouble,
    /// a frequency refusal, a first auth refusal after renewing the UserSig), or says why not.
    async fn recover(
        &self,
        class: ErrorClass,
        failure: &Failure,
        group: &str,
        retry: &mut u32,
        renewed: &mut bool,
    ) -> Result<(), Stop> {
        match class {
            ErrorClass::Transient | ErrorClass::RateLimit => {
                if class == ErrorClass::RateLimit {
                    let change = self.ctx.limiter.refused(tokio::time::Instant::now());
                    self.ctx.rate_changed(change).await;
                }
                *retry += 1;
                let Some(delay) = self.retry_delay(class, *retry) else {
                    return Err(Stop::GaveUp(gave_up(failure)));
                };
                self.retrying(group, *retry, delay, failure).await;
                self.pause_before_retry(delay).await
            }
            ErrorClass::Auth if !*renewed => {
                *renewed = true;
                self.svc.renew_auth();
                Ok(())
            }
            _ => Err(Stop::Run(failure.clone())),
        }
    }

    async fn retrying(&self, group: &str, attempt: u32, delay: Duration, failure: &Failure) {
        self.ctx
            .emit(Event::Warning {
                target: None,
                message: format!(
                    "{}retrying (try {}) in {:.1} s: {}",
                    if group.is_empty() {
                        String::new()
                    } else {
                        format!("{group}: ")
                    },
                    attempt + 1,
                    delay.as_secs_f64(),
                    failure.line()
                ),
            })
            .await;
    }

    /// Records a call's fate and its items', then tells what became of them.
    pub async fn finish(
        &self,
        call: i64,
        state: &'static str,
        error: Option<&str>,
        settled: Vec<Settled>,
    ) -> Result<(), Stop> {
        let marks: Vec<ItemMark> = settled.iter().map(|s| s.mark.clone()).collect();
        let error = error.map(str::to_owned);
        self.ctx
            .ledger
            .call(move |c| phases::finish_call(c, call, state, error.as_deref(), &marks))
            .await?;
        let (step, group) = self.call_place(call).await?;
        self.tell(step, &group, settled).await;
        Ok(())
    }

    async fn call_place(&self, call: i64) -> Result<(Step, String), Stop> {
        let place = self
            .ctx
            .ledger
            .call(move |c| {
                c.query_row(
                    "SELECT step, group_id FROM phase_calls WHERE id = ?1",
                    [call],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .map_err(LedgerError::sql("a migration call"))
            })
            .await?;
        let step = Step::from_word(&place.0)
            .ok_or_else(|| LedgerError::Corrupt(format!("migration step {:?}", place.0)))?;
        Ok((step, place.1))
    }

    /// Records items settled without a call (a read-back, a decision), and tells.
    pub async fn settle(
        &self,
        step: Step,
        group: &str,
        settled: Vec<Settled>,
        settle_calls: bool,
    ) -> Result<(), Stop> {
        if settled.is_empty() && !settle_calls {
            return Ok(());
        }
        let marks: Vec<ItemMark> = settled.iter().map(|s| s.mark.clone()).collect();
        let (run_id, g) = (self.run_id, group.to_owned());
        self.ctx
            .ledger
            .call(move |c| phases::mark(c, run_id, step, &g, &marks, settle_calls))
            .await?;
        self.tell(step, group, settled).await;
        Ok(())
    }

    async fn tell(&self, step: Step, group: &str, settled: Vec<Settled>) {
        for s in settled {
            if let Some(outcome) = s.outcome {
                self.ctx
                    .emit(Event::PhaseItem {
                        step,
                        group: (!group.is_empty()).then(|| group.to_owned()),
                        item: s.mark.item,
                        outcome,
                    })
                    .await;
            }
        }
    }

    /// Waits `settle_delay` after an unknown outcome before reading back, so the service is
    /// done with the call.
    pub async fn before_reading_back(&self) -> Result<(), Stop> {
        self.pause_before_retry(self.ctx.opts.settle_delay).await
    }
}

/// Whether a refusal is about what was asked (its items fail, or the read cannot be answered),
/// rather than about the moment, the signature or the app's setup.
fn refused_as_written(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::Group | ErrorClass::Data | ErrorClass::Content | ErrorClass::Unknown
    )
}

fn pending(items: &[String]) -> Vec<Settled> {
    items.iter().map(|i| Settled::pending(i)).collect()
}

/// The words for a call that kept failing.
pub(super) fn gave_up(last: &Failure) -> Failure {
    let mut failure = EngineReason::GaveUp.failure(last.line());
    failure.code = last.code;
    failure
}

/// The words for a call whose outcome stayed unknown through `rounds` read-backs and resends.
pub(super) fn no_answer(rounds: u32) -> Failure {
    EngineReason::GaveUp.failure(format!(
        "no usable answer, {rounds} times; what the read-backs found is recorded"
    ))
}
