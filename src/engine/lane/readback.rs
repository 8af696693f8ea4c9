//! Reading the group back: to settle requests whose outcome is unknown (never resending before
//! that), and to check the group before a lane's first send.

use std::time::Duration;

use super::items::ItemState;
use super::send::{Next, Tries};
use super::{Lane, LaneEnd, LaneState, Step};
use crate::api::types::RspMsg;
use crate::engine::backoff::random_delay;
use crate::engine::events::Event;
use crate::engine::ledger::messages::Mark;
use crate::engine::ledger::now_ms;
use crate::engine::ledger::requests::state;
use crate::engine::outcome::{EngineReason, classify_read};
use crate::engine::service::ImportService;
use crate::engine::settle::{MAX_PAGES, Pager, Resolution, reconcile};

impl<S: ImportService> Lane<S> {
    /// Before the first send: waits until requests an earlier process left in flight are
    /// surely finished at the service, then matches every message that is not done against the
    /// group's newest messages.
    pub(super) async fn check_on_start(&mut self, open: Vec<(i64, i64)>) -> Step {
        if let Some(latest) = open.iter().map(|&(_, sent_at)| sent_at).max() {
            let delay_ms =
                i64::try_from(self.ctx.opts.settle_delay.as_millis()).unwrap_or(i64::MAX);
            let wait = latest.saturating_add(delay_ms).saturating_sub(now_ms());
            if wait > 0 {
                let until = tokio::time::Instant::now() + Duration::from_millis(wait as u64);
                self.sleep_until(until).await?;
            }
        }
        loop {
            let open: Vec<usize> = self.open_candidates();
            let Some(&first) = open.first() else {
                // Nothing left to check; requests left open are moot.
                if !self.open_requests.is_empty() {
                    let reqs = std::mem::take(&mut self.open_requests);
                    self.record(reqs, state::SETTLED, None, Vec::new()).await?;
                }
                return Ok(());
            };
            // Down to its staged time: an earlier run that kept it may have landed it there.
            let down_to = self.staged_time(first);
            // Nothing newer than the part's newest open message is in question: a long history
            // read back keeps only what could match.
            let up_to = open
                .iter()
                .map(|&i| self.send_time(i))
                .max()
                .unwrap_or(down_to);
            let batch = self.items.batch_of(first);
            // A group that never held a message needs no reading: what the read would find is
            // nothing (`engine::empty`). Asked once, for the lane's first check, when no request
            // of an earlier process is open (one could still land).
            let empty = match self.empty.take() {
                Some(empty) if self.target.topic().is_none() && self.open_requests.is_empty() => {
                    empty.is_empty(self.target.group(), &self.stop).await
                }
                _ => false,
            };
            let read = if empty {
                Some((Vec::new(), true, None, None))
            } else {
                self.set_state(LaneState::Settling, None).await?;
                // As far back as the unsent messages reach (a lost ledger may leave a long
                // history of this run's own messages newer than the first one the ledger knows
                // unsent).
                self.read_back_keeping(down_to, up_to, MAX_PAGES, batch, first)
                    .await?
            };
            let Some(read) = read else {
                continue;
            };
            let (found, complete, newest, oldest) = read;
            self.group_newest = self.group_newest.max(newest);
            self.group_behind = complete && newest.is_none_or(|n| n < down_to);
            // What the read reached can be judged; older messages it could not reach stay
            // unknown (settled later, or decided by the operator), never failed.
            let reached = |t: i64| complete || oldest.is_some_and(|o| t >= o);
            let (in_window, beyond): (Vec<usize>, Vec<usize>) = open
                .into_iter()
                .filter(|&i| newest.is_some_and(|n| self.staged_time(i) <= n))
                .partition(|&i| reached(self.staged_time(i)));
            if !beyond.is_empty() {
                self.warn(format!(
                    "the group holds more messages newer than {} than could be read back ({} pages); the {} message(s) older than what was read are left unknown and settled before anything is sent",
                    self.items.source(first),
                    MAX_PAGES,
                    beyond.len()
                ))
                .await;
                let mut marks = Vec::new();
                for &i in &beyond {
                    self.items.list[i].state = ItemState::Unknown;
                    marks.push((self.items.list[i].meta(), Mark::Unknown));
                }
                self.record(Vec::new(), state::SETTLED, None, marks).await?;
            }
            let cands = self.items.candidates(in_window);
            let resolutions = self.behind_known_landings(reconcile(&cands, &found));
            let nothing_to_record = resolutions.iter().all(|(_, r)| *r == Resolution::Missing)
                && !self
                    .items
                    .list
                    .iter()
                    .any(|i| i.state == ItemState::Unknown);
            if empty && nothing_to_record {
                // Read nothing, found nothing: nothing to record or announce.
                return Ok(());
            }
            self.apply_resolutions(resolutions, EngineReason::Overtaken, batch)
                .await?;
            self.set_state(LaneState::Running, None).await?;
            return Ok(());
        }
    }

    /// Settles every message whose outcome is unknown, before anything else is sent.
    pub(super) async fn settle_unknown(&mut self, at: usize) -> Step {
        if let Some(after) = self.settle_after.take() {
            self.sleep_until(after).await?;
        }
        loop {
            let unknown: Vec<usize> = (0..self.items.list.len())
                .filter(|&i| self.items.list[i].state == ItemState::Unknown)
                .collect();
            let Some(&first) = unknown.first() else {
                return Ok(());
            };
            let batch = self.items.batch_of(first);
            let down_to = unknown
                .iter()
                .map(|&i| self.send_time(i))
                .min()
                .unwrap_or(0);
            self.set_state(LaneState::Settling, None).await?;
            let Some((found, complete)) = self.read_back(down_to, MAX_PAGES, batch, first).await?
            else {
                continue;
            };
            if !complete {
                let why = EngineReason::SettleWindow.failure(format!(
                    "read {} messages back without reaching SendTime {down_to}",
                    found.len()
                ));
                self.pause_request(first, why).await?;
                continue;
            }
            self.group_newest = self
                .group_newest
                .max(found.iter().map(|m| m.msg_time_stamp).max());
            let cands = self.items.candidates(unknown);
            let resolutions = reconcile(&cands, &found);
            let landed = self
                .apply_resolutions(resolutions, EngineReason::OvertakenInRequest, batch)
                .await?;
            self.set_state(LaneState::Running, None).await?;
            if landed > 0 {
                self.unknown_streak = 0;
                return Ok(());
            }
            // Nothing landed: the next send is a retry of the same messages; pace it, and stop
            // trying when the trouble lasts.
            self.unknown_streak += 1;
            let retry = self.ctx.opts.retry.clone();
            if self.unknown_streak >= retry.transient_tries {
                self.unknown_streak = 0;
                let why = EngineReason::GaveUp.failure(format!(
                    "{} requests in a row got no answer and did not land",
                    retry.transient_tries
                ));
                self.pause_request(at.min(first), why).await?;
                return Ok(());
            }
            let delay = random_delay(&retry, self.unknown_streak);
            return self.sleep_until(tokio::time::Instant::now() + delay).await;
        }
    }

    /// Reads the group back to messages older than `down_to`. `None` when the reads kept failing
    /// and the lane paused (a decision came; the caller starts over).
    pub(super) async fn read_back(
        &mut self,
        down_to: i64,
        max_pages: u32,
        batch: u32,
        at: usize,
    ) -> Result<Option<(Vec<RspMsg>, bool)>, LaneEnd> {
        let pager = Pager::new(self.target.group(), self.target.topic(), down_to, max_pages);
        Ok(self.page_back(pager, batch, at).await?.map(|p| {
            let complete = p.is_complete();
            (p.into_found(), complete)
        }))
    }

    /// [`Lane::read_back`] keeping only the messages no newer than `up_to`; also gives the
    /// newest and oldest times read.
    #[allow(clippy::type_complexity)]
    async fn read_back_keeping(
        &mut self,
        down_to: i64,
        up_to: i64,
        max_pages: u32,
        batch: u32,
        at: usize,
    ) -> Result<Option<(Vec<RspMsg>, bool, Option<i64>, Option<i64>)>, LaneEnd> {
        let pager = Pager::new(self.target.group(), self.target.topic(), down_to, max_pages)
            .keeping_until(up_to);
        Ok(self.page_back(pager, batch, at).await?.map(|p| {
            let (complete, newest, oldest) = (p.is_complete(), p.newest(), p.oldest());
            (p.into_found(), complete, newest, oldest)
        }))
    }

    /// Pages `pager` to its end, through the limiter and the lane's retry handling.
    async fn page_back(
        &mut self,
        mut pager: Pager,
        batch: u32,
        at: usize,
    ) -> Result<Option<Pager>, LaneEnd> {
        let mut tries = Tries::default();
        let mut attempt = 1;
        while let Some(req) = pager.request() {
            self.unpaused().await?;
            self.slot().await?;
            let page = self.ctx.service.read_back(req).await;
            self.announce_rate().await;
            match page {
                Ok(page) => {
                    self.renewed = false;
                    pager.take(page);
                }
                Err(e) => {
                    attempt += 1;
                    match self
                        .trouble(classify_read(&e), &mut tries, batch, attempt, at)
                        .await?
                    {
                        Next::RetryNow => {}
                        Next::Replan => return Ok(None),
                    }
                }
            }
        }
        Ok(Some(pager))
    }

    /// Applies what a read-back found; every message still unknown is not in the group and
    /// becomes pending. Records it all (and the open requests as settled) in one transaction.
    /// Returns how many landed.
    async fn apply_resolutions(
        &mut self,
        resolutions: Vec<(usize, Resolution)>,
        overtaken: EngineReason,
        batch: u32,
    ) -> Result<u32, LaneEnd> {
        let mut marks = Vec::new();
        let mut announce = Vec::new();
        let (mut landed, mut missing) = (0u32, 0u32);
        for (i, resolution) in resolutions {
            let item = &mut self.items.list[i];
            match resolution {
                Resolution::Landed {
                    msg_seq,
                    msg_time,
                    body_differs,
                } => {
                    self.land(i, msg_seq, msg_time);
                    let item = &self.items.list[i];
                    let mark = match &item.state {
                        ItemState::Done { .. } => {
                            landed += 1;
                            Mark::Done { msg_seq, msg_time }
                        }
                        ItemState::Failed(failure) => Mark::Failed {
                            failure: failure.clone(),
                            body: item.text().to_owned(),
                        },
                        _ => continue,
                    };
                    marks.push((item.meta(), mark));
                    announce.push(i);
                    if body_differs {
                        let source = item.work.source().clone();
                        self.warn(format!(
                            "{} line {}: found in the group (MsgSeq {msg_seq}) by sender, time and Random, but its body reads back differently",
                            source.file, source.line
                        ))
                        .await;
                    }
                }
                Resolution::Missing => {}
                Resolution::Overtaken => {
                    let failure = overtaken.failure("");
                    item.state = ItemState::Failed(failure.clone());
                    marks.push((
                        item.meta(),
                        Mark::Failed {
                            failure,
                            body: item.text().to_owned(),
                        },
                    ));
                    announce.push(i);
                }
            }
        }
        for item in &mut self.items.list {
            if item.state == ItemState::Unknown {
                item.state = ItemState::Pending;
                marks.push((item.meta(), Mark::Pending));
                missing += 1;
            }
        }
        let reqs = std::mem::take(&mut self.open_requests);
        self.record(reqs, state::SETTLED, None, marks).await?;
        for i in announce {
            self.emit_result(i).await;
        }
        self.ctx
            .emit(Event::Settled {
                target: self.target.clone(),
                batch,
                landed,
                missing,
            })
            .await;
        Ok(landed)
    }

    /// On resume: a message not found in the group that sits before one known to be there
    /// (done in the ledger, or found now) can never go in, unless the ledger shows it was put
    /// back on purpose (a retry decision, an edit: it has a row in state pending). A message the
    /// ledger never heard of, or one left in flight, is then overtaken: the ledger lost what
    /// became of it (a skip, a failure) with its last commits.
    fn behind_known_landings(
        &self,
        mut resolutions: Vec<(usize, Resolution)>,
    ) -> Vec<(usize, Resolution)> {
        let known = self
            .items
            .list
            .iter()
            .rposition(|i| matches!(i.state, ItemState::Done { .. }));
        let found = resolutions
            .iter()
            .filter(|(_, r)| matches!(r, Resolution::Landed { .. }))
            .map(|(i, _)| *i)
            .max();
        let Some(last) = known.max(found) else {
            return resolutions;
        };
        for (i, r) in &mut resolutions {
            let item = &self.items.list[*i];
            let lost = item.state == ItemState::Unknown
                || (item.state == ItemState::Pending && !item.recorded);
            if *i < last && *r == Resolution::Missing && lost {
                *r = Resolution::Overtaken;
            }
        }
        resolutions
    }

    /// Valid messages that are neither settled nor invalid (candidates for the check).
    fn open_candidates(&self) -> Vec<usize> {
        (0..self.items.list.len())
            .filter(|&i| {
                let item = &self.items.list[i];
                item.valid().is_some()
                    && !item.is_settled()
                    && !matches!(item.state, ItemState::Invalid(_))
            })
            .collect()
    }

    fn send_time(&self, i: usize) -> i64 {
        self.items.list[i].valid().map_or(0, |m| m.send_time)
    }

    /// Its `SendTime` as staged (earlier than sent when `--same-second spread` moved it).
    fn staged_time(&self, i: usize) -> i64 {
        self.items.list[i]
            .valid()
            .map_or(0, |m| m.moved_from.unwrap_or(m.send_time))
    }
}
