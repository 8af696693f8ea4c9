//! Sending: one request for the pending messages at the front of the lane, recorded in flight
//! before it goes, its answer recorded with its messages' fates; and the one place that handles
//! trouble (retry with backoff, slow down, renew the UserSig, stop) for requests and read-backs.

use std::time::Duration;

use super::guard::{self, Hold};
use super::items::ItemState;
use super::{Lane, LaneEnd, Step, Unrecorded};
use crate::clock::format_unix;
use crate::engine::backoff::random_delay;
use crate::engine::events::{Event, Failure, Newest};
use crate::engine::ledger::messages::{Mark, MessageMeta};
use crate::engine::ledger::requests::{self, state};
use crate::engine::outcome::{
    EngineReason, MessageVerdict, RetryKind, Verdict, classify_import, community_flag,
};
use crate::engine::service::ImportService;
use crate::plan::SameSecond;

/// Tries used so far, per budget.
#[derive(Debug, Default)]
pub(super) struct Tries {
    transient: u32,
    rate: u32,
}

/// After trouble: send the same thing again now, or go back to the lane's loop (a decision
/// may have changed what is next).
pub(super) enum Next {
    RetryNow,
    Replan,
}

/// The per-message result of a message refused for its `SendTime` (10004).
const TIME_REFUSED: i64 = 10004;

/// How long a frequency refusal holds a lane back at most before its next try (the limiter
/// spaces everyone out; this only keeps a refused lane from being first in line again).
const RATE_BACKOFF_CAP: u32 = 4;

impl<S: ImportService> Lane<S> {
    /// Sends the message at `at` with the pending messages after it in its planned batch, as
    /// far as the guard lets them go.
    pub(super) async fn send_group(&mut self, at: usize) -> Step {
        let mut group = self.items.group_at(at);
        if group.is_empty() {
            return Ok(());
        }
        let batch = self.items.batch_of(at);
        let mut tries = Tries::default();
        loop {
            self.unpaused().await?;
            // The last step before the request is recorded and sent: nothing below awaits
            // anything that could change the lane's messages.
            match guard::admit(&self.items, &group, self.newest.as_ref()) {
                Ok(n) => group.truncate(n.max(1)),
                Err(hold) => return self.hold(hold, group[0]).await,
            }
            let body = self.items.body_for(&group);
            let metas: Vec<_> = group.iter().map(|&i| self.items.list[i].meta()).collect();
            let attempt = 1 + group
                .iter()
                .map(|&i| self.items.list[i].attempts)
                .max()
                .unwrap_or(0);
            let request = self
                .begin(batch, attempt, body.clone(), metas.clone())
                .await?;
            self.ctx
                .emit(Event::BatchSent {
                    target: self.target.clone(),
                    batch,
                    request,
                    messages: group.len() as u32,
                    attempt,
                    bytes: body.len() as u64,
                })
                .await;
            // The slot comes last, right before the call, so that the call keeps to the pace.
            if let Err(end) = self.slot().await {
                let marks = metas.iter().map(|m| (m.clone(), Mark::Pending)).collect();
                self.record(vec![request], state::NOT_APPLIED, None, marks)
                    .await?;
                return Err(end);
            }
            // Not cancelled by a shutdown: the answer of a request in flight is always awaited
            // (the run bounds the wait), so that it is recorded.
            let sent_at = tokio::time::Instant::now();
            let answer = self.ctx.service.import(body.clone()).await;
            for &i in &group {
                self.items.list[i].attempts += 1;
            }
            self.ctx.count_request();
            self.left = self.left.saturating_sub(1);
            self.announce_rate().await;
            let carried_flag = self.items.head().has("RecentContactFlag");
            let verdict = classify_import(&answer, group.len());
            match community_flag(verdict, carried_flag, self.target.group()) {
                Verdict::Answered(verdicts) => {
                    self.renewed = false;
                    self.unknown_streak = 0;
                    let known = self.known_newest();
                    let own = self.newest.as_ref().map(|n| n.send_time);
                    for (&i, v) in group.iter().zip(verdicts) {
                        match v {
                            MessageVerdict::Done { msg_seq, msg_time } => {
                                self.land(i, msg_seq, msg_time);
                            }
                            MessageVerdict::Failed(f) => {
                                let f = if self.burst_overflow(i, &f, own) {
                                    EngineReason::BurstOverflow.explains(f)
                                } else {
                                    f
                                };
                                self.items.list[i].state = ItemState::Failed(f);
                            }
                        }
                    }
                    self.record_answer(&group, request, state::DONE, None)
                        .await?;
                    return self.check_refusals(&group, known).await;
                }
                Verdict::BatchFailed(f) => {
                    for &i in &group {
                        self.items.list[i].state = ItemState::Failed(f.clone());
                    }
                    let error = Some(f.line());
                    return self
                        .record_answer(&group, request, state::FAILED, error)
                        .await;
                }
                Verdict::Unknown(f) => {
                    for &i in &group {
                        self.items.list[i].state = ItemState::Unknown;
                    }
                    let marks = metas.iter().map(|m| (m.clone(), Mark::Unknown)).collect();
                    self.record(vec![request], state::UNKNOWN, Some(f.line()), marks)
                        .await?;
                    self.open_requests.push(request);
                    self.settle_after = Some(sent_at + self.ctx.opts.settle_delay);
                    self.ctx
                        .emit(Event::OutcomeUnknown {
                            target: self.target.clone(),
                            batch,
                            request,
                            failure: f,
                        })
                        .await;
                    return self.settle_unknown(at).await;
                }
                trouble => {
                    let error = trouble_failure(&trouble).map(Failure::line);
                    let marks = metas.iter().map(|m| (m.clone(), Mark::Pending)).collect();
                    self.record(vec![request], state::NOT_APPLIED, error, marks)
                        .await?;
                    match self
                        .trouble(trouble, &mut tries, batch, attempt + 1, at)
                        .await?
                    {
                        Next::RetryNow => {}
                        Next::Replan => return Ok(()),
                    }
                }
            }
        }
    }

    /// Carries out the guard's hold on the request whose first message is `first`: go to the
    /// message that must go first, or fail `first` (never sent) because it is older than the
    /// newest landing; the message policy then decides about it.
    async fn hold(&mut self, hold: Hold, first: usize) -> Step {
        match hold {
            Hold::Earlier(at) => {
                self.detour = Some(at);
                Ok(())
            }
            Hold::Behind(newest) => {
                let item = &self.items.list[first];
                let failure = EngineReason::Behind.failure(format!(
                    "its SendTime {} ({}); newest landed: {}",
                    format_unix(item.order_time()),
                    item.order_time(),
                    newest.describe()
                ));
                let mark = Mark::Failed {
                    failure: failure.clone(),
                    body: item.text().to_owned(),
                };
                let meta = item.meta();
                self.items.list[first].state = ItemState::Failed(failure);
                self.record(Vec::new(), state::DONE, None, vec![(meta, mark)])
                    .await?;
                self.emit_result(first).await;
                Ok(())
            }
        }
    }

    /// Whether `refused`, the service's refusal of message `i`, is a burst's overflow refused by
    /// a service strict about equal times: under `--same-second keep`, a 10004 on the first
    /// sending of a staged (not edited) message whose time is that of the lane's newest landing
    /// (`own`, from an earlier request).
    fn burst_overflow(&self, i: usize, refused: &Failure, own: Option<i64>) -> bool {
        let item = &self.items.list[i];
        self.ctx.opts.same_second == SameSecond::Keep
            && refused.code == Some(TIME_REFUSED)
            && !item.edited
            && item.attempts == 1
            && own == Some(item.order_time())
    }

    /// The newest `SendTime` the lane knows the group holds (its landings, what it read back).
    fn known_newest(&self) -> Option<i64> {
        self.newest
            .as_ref()
            .map(|n| n.send_time)
            .max(self.group_newest)
    }

    /// After an answer: a message refused for its time (10004) that the order explains (older
    /// than, or as old as, what the group was known to hold, counting the messages of the
    /// request that landed before it) is the data's problem. One the order does not explain may
    /// mean someone else wrote a newer message into the group: the lane reads the group's
    /// newest message to find out.
    async fn check_refusals(&mut self, group: &[usize], known: Option<i64>) -> Step {
        let mut floor = known;
        let mut unexplained = Vec::new();
        for &i in group {
            let item = &self.items.list[i];
            match &item.state {
                ItemState::Done { msg_time, .. } => floor = floor.max(Some(*msg_time)),
                ItemState::Failed(f)
                    if f.code == Some(TIME_REFUSED)
                        && floor.is_none_or(|t| item.order_time() > t) =>
                {
                    unexplained.push(i);
                }
                _ => {}
            }
        }
        if unexplained.is_empty() {
            return Ok(());
        }
        self.check_writer(unexplained).await
    }

    /// Reads the group's newest message; when it is newer than the first of `refused` and not
    /// the lane's own, another writer is at work: the refused messages go back to pending (they
    /// were not applied) and the lane pauses.
    async fn check_writer(&mut self, refused: Vec<usize>) -> Step {
        let first = refused[0];
        let time = self.items.list[first].order_time();
        let batch = self.items.batch_of(first);
        let Some((found, _)) = self.read_back(time, 1, batch, first).await? else {
            // The read kept failing and the operator decided: go on from the decision.
            return Ok(());
        };
        let Some(top) = found.iter().max_by_key(|m| (m.msg_time_stamp, m.msg_seq)) else {
            return Ok(());
        };
        self.group_newest = self.group_newest.max(Some(top.msg_time_stamp));
        let ours = self
            .newest
            .as_ref()
            .is_some_and(|n| n.msg_seq == top.msg_seq);
        if ours || top.msg_time_stamp < time {
            return Ok(());
        }
        let why = EngineReason::OtherWriter.failure(format!(
            "the group's newest message is MsgSeq {} from {} at {}; this one's SendTime is {}",
            top.msg_seq,
            top.from_account,
            format_unix(top.msg_time_stamp),
            format_unix(time)
        ));
        let mut marks = Vec::new();
        for &i in &refused {
            self.items.list[i].state = ItemState::Pending;
            marks.push((self.items.list[i].meta(), Mark::Pending));
        }
        self.record(Vec::new(), state::DONE, None, marks).await?;
        self.pause_request(first, why).await
    }

    /// Marks message `i` done with `msg_seq`, or failed as a repeat when another message already
    /// holds that sequence number (the service stored nothing for it).
    pub(super) fn land(&mut self, i: usize, msg_seq: u64, msg_time: i64) {
        let source = self.items.source(i).clone();
        self.items.list[i].state = match self.seqs.claim(msg_seq, &source) {
            Ok(()) => {
                if self.newest.as_ref().is_none_or(|n| msg_time >= n.send_time) {
                    self.newest = Some(Newest {
                        send_time: msg_time,
                        msg_seq,
                        source,
                    });
                }
                self.group_newest = self.group_newest.max(Some(msg_time));
                ItemState::Done { msg_seq, msg_time }
            }
            Err((file, line)) => ItemState::Failed(EngineReason::Repeat.failure(format!(
                "the answer gave it MsgSeq {msg_seq}, which belongs to {file} line {line}"
            ))),
        };
    }

    /// Records an answered request with its messages' states and announces each result.
    async fn record_answer(
        &mut self,
        group: &[usize],
        request: i64,
        request_state: &'static str,
        error: Option<String>,
    ) -> Step {
        let marks = group
            .iter()
            .map(|&i| {
                let item = &self.items.list[i];
                let mark = match &item.state {
                    ItemState::Done { msg_seq, msg_time } => Mark::Done {
                        msg_seq: *msg_seq,
                        msg_time: *msg_time,
                    },
                    ItemState::Failed(f) => Mark::Failed {
                        failure: f.clone(),
                        body: item.text().to_owned(),
                    },
                    _ => Mark::Pending,
                };
                (item.meta(), mark)
            })
            .collect();
        let landed = group
            .iter()
            .all(|&i| matches!(self.items.list[i].state, ItemState::Done { .. }));
        if !landed {
            // A refusal: recorded now, and announced before the lane acts on it.
            self.record(vec![request], request_state, error, marks)
                .await?;
            for &i in group {
                self.emit_result(i).await;
            }
            return Ok(());
        }
        // Every message landed: recorded with the lane's next ledger job (the next request's,
        // usually), and announced once committed, so that the answer costs no commit of its
        // own before the next request.
        let events = group.iter().filter_map(|&i| self.result_event(i)).collect();
        self.defer(
            requests::Outcome {
                requests: vec![request],
                state: request_state,
                error,
                marks,
            },
            events,
        );
        Ok(())
    }

    /// Records a request in flight (committed before it is sent), in one transaction after the
    /// answers not recorded yet; then announces those answers. Returns the request's id.
    async fn begin(
        &self,
        batch: u32,
        attempt: u32,
        body: bytes::Bytes,
        metas: Vec<MessageMeta>,
    ) -> Result<i64, LaneEnd> {
        let Unrecorded { outcomes, events } = self.take_unrecorded();
        let id = self.target_id;
        let request = self
            .ctx
            .ledger
            .call(move |c| requests::begin_after(c, id, &outcomes, batch, attempt, &body, &metas))
            .await?;
        self.announce(events).await;
        Ok(request)
    }

    /// One ledger transaction: requests take `state`, messages their marks (after the answers
    /// not recorded yet, in one transaction with them).
    pub(super) async fn record(
        &self,
        request_ids: Vec<i64>,
        request_state: &'static str,
        error: Option<String>,
        marks: Vec<(MessageMeta, Mark)>,
    ) -> Step {
        let Unrecorded {
            mut outcomes,
            events,
        } = self.take_unrecorded();
        outcomes.push(requests::Outcome {
            requests: request_ids,
            state: request_state,
            error,
            marks,
        });
        let id = self.target_id;
        self.ctx
            .ledger
            .call(move |c| requests::record_all(c, id, &outcomes))
            .await?;
        self.announce(events).await;
        Ok(())
    }

    /// Handles a verdict that applied nothing: wait and retry, renew the UserSig, pause the lane
    /// at `at`, or end the lane (or the run). Used for imports and read-backs alike.
    pub(super) async fn trouble(
        &mut self,
        verdict: Verdict,
        tries: &mut Tries,
        batch: u32,
        next_attempt: u32,
        at: usize,
    ) -> Result<Next, LaneEnd> {
        let retry = self.ctx.opts.retry.clone();
        match verdict {
            Verdict::Retry(kind, f) => {
                let (used, budget, delay) = match kind {
                    RetryKind::Transient => {
                        tries.transient += 1;
                        let d = random_delay(&retry, tries.transient);
                        (tries.transient, retry.transient_tries, d)
                    }
                    RetryKind::RateLimit => {
                        let change = self.ctx.limiter.refused(tokio::time::Instant::now());
                        self.ctx.rate_changed(change).await;
                        tries.rate += 1;
                        let d = random_delay(&retry, tries.rate.min(RATE_BACKOFF_CAP));
                        (tries.rate, retry.rate_tries, d)
                    }
                };
                if used >= budget {
                    let why =
                        EngineReason::GaveUp.failure(format!("{used} tries; last: {}", f.line()));
                    self.pause_request(at, why).await?;
                    return Ok(Next::Replan);
                }
                self.announce_retry(batch, next_attempt, delay, f).await;
                self.sleep_until(tokio::time::Instant::now() + delay)
                    .await?;
                Ok(Next::RetryNow)
            }
            Verdict::RenewAuth(f) => {
                if self.renewed {
                    return Err(LaneEnd::StopRun(f));
                }
                self.renewed = true;
                self.ctx.service.renew_auth();
                self.announce_retry(batch, next_attempt, Duration::ZERO, f)
                    .await;
                Ok(Next::RetryNow)
            }
            Verdict::StopRun(f) => Err(LaneEnd::StopRun(f)),
            Verdict::StopLane(f) => Err(LaneEnd::GroupRefused(f)),
            Verdict::PauseLane(f) => {
                self.pause_request(at, f).await?;
                Ok(Next::Replan)
            }
            Verdict::Answered(_) | Verdict::Unknown(_) | Verdict::BatchFailed(_) => {
                Ok(Next::Replan)
            }
        }
    }

    async fn announce_retry(&self, batch: u32, attempt: u32, delay: Duration, reason: Failure) {
        self.ctx
            .emit(Event::Retrying {
                target: self.target.clone(),
                batch,
                attempt,
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                reason,
            })
            .await;
    }
}

/// The failure a trouble verdict carries.
fn trouble_failure(v: &Verdict) -> Option<&Failure> {
    match v {
        Verdict::Retry(_, f)
        | Verdict::RenewAuth(f)
        | Verdict::StopRun(f)
        | Verdict::StopLane(f)
        | Verdict::PauseLane(f)
        | Verdict::Unknown(f)
        | Verdict::BatchFailed(f) => Some(f),
        Verdict::Answered(_) => None,
    }
}
