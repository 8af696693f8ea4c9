//! Screen 5, Run: what the engine reports, kept for the panes. Lanes with their counts and
//! state; the per-message results (`result_log`: packed, about 85 bytes a row, the newest
//! 100,000 by default, and only the visible window is ever drawn); the errors (code, meaning,
//! remedy), capped; and the meter for throughput, rate against the budget, and ETA. Everything
//! here comes from engine [`Event`]s; nothing is inferred that the engine did not say.

mod meter;
mod result_log;
mod rows;

use std::collections::{HashMap, VecDeque};

use crate::engine::{
    Counts, Event, Failure, LaneState, MessageOutcome, RunSummary, SourceRef, Target,
};

use super::list::{ListView, contains_folded};
pub use meter::{METER_SECONDS, Meter};
pub use result_log::{MAX_RESULTS, NewResult, ResultLog, ResultRow};
pub use rows::{ErrorKind, ErrorRow, Lane, RowOutcome, SUMMARY_CHARS};
use rows::{cut, error_matches, row_matches};

/// Most error rows kept (the oldest go first).
pub const MAX_ERRORS: usize = 10_000;

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunFocus {
    /// The lanes.
    #[default]
    Lanes,
    /// The per-message results.
    Results,
    /// The errors.
    Errors,
}

/// The Run screen.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// The ledger's run id, once the run started.
    pub run_id: Option<i64>,
    /// True when the run continues an earlier one.
    pub resumed: bool,
    /// True while the engine works (from the launch until it finished).
    pub active: bool,
    /// The operator paused the whole run.
    pub paused: bool,
    /// When the run started (unix ms).
    pub started_ms: i64,
    /// The configured rate.
    pub budget: u32,
    /// The limiter's current rate.
    pub rate_now: u32,
    /// Frequency refusals seen.
    pub refusals: u64,
    /// Requests sent.
    pub requests: u64,
    /// Lanes, in the order the run listed them.
    pub lanes: Vec<Lane>,
    lane_index: HashMap<Target, u32>,
    /// Messages now failed or invalid, by lane and source (a later result replaces them).
    open: HashMap<(u32, SourceRef), RowOutcome>,
    /// The lanes table.
    pub lane_view: ListView,
    /// Per-message results, oldest first (at most [`ResultLog::max_rows`]).
    pub results: ResultLog,
    /// Results dropped to stay under the maximum (the ledger keeps them all: `timport report`).
    pub dropped: u64,
    /// Senders, interned (rows keep an index).
    pub senders: Vec<Box<str>>,
    sender_index: HashMap<Box<str>, u32>,
    /// The results pane.
    pub result_view: ListView,
    /// Keep the newest result selected (off when the operator scrolls up).
    pub follow: bool,
    /// Errors and warnings, oldest first.
    pub errors: VecDeque<ErrorRow>,
    /// The errors pane.
    pub error_view: ListView,
    /// The meter.
    pub meter: Meter,
    /// Which pane has the keys.
    pub focus: RunFocus,
    /// How the run ended.
    pub finished: Option<(RunSummary, u8)>,
    /// Why the run could not start or stopped abnormally.
    pub failure: Option<String>,
}

impl RunState {
    /// A run was launched: clears the last one.
    pub fn launched(&mut self, now_ms: i64) {
        *self = RunState {
            active: true,
            follow: true,
            started_ms: now_ms,
            ..RunState::default()
        };
    }

    /// The lane of `target`.
    pub fn lane_of(&self, target: &Target) -> Option<usize> {
        self.lane_index.get(target).map(|i| *i as usize)
    }

    /// The selected lane.
    pub fn selected_lane(&self) -> Option<&Lane> {
        self.lane_view.selected().and_then(|i| self.lanes.get(i))
    }

    /// Messages staged over every lane.
    pub fn total(&self) -> u64 {
        self.lanes.iter().map(|l| l.total).sum()
    }

    /// Messages settled over every lane.
    pub fn settled(&self) -> u64 {
        self.lanes.iter().map(Lane::settled).sum()
    }

    /// Totals over every lane.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for lane in &self.lanes {
            c.add(&lane.counts);
        }
        c
    }

    /// Seconds left at the current pace for the lanes that can still move, when some lane is
    /// moving (lanes waiting for a decision or stopped do not count: their time is the
    /// operator's).
    pub fn eta_secs(&self, now_ms: i64) -> Option<u64> {
        let moving = |s: LaneState| {
            matches!(
                s,
                LaneState::Running | LaneState::Settling | LaneState::Waiting
            )
        };
        if self.paused || !self.lanes.iter().any(|l| moving(l.state)) {
            return None;
        }
        let (per_sec, _) = self.meter.rates(now_ms);
        let left: u64 = self
            .lanes
            .iter()
            .filter(|l| moving(l.state))
            .map(|l| l.total.saturating_sub(l.settled()))
            .sum();
        (per_sec > 0.0 && left > 0).then(|| (left as f64 / per_sec).ceil() as u64)
    }

    /// Applies one engine event.
    pub fn apply(&mut self, event: Event, now_ms: i64) {
        match event {
            Event::RunStarted {
                run_id,
                resumed,
                targets,
                rate_budget,
                ..
            } => {
                self.run_id = Some(run_id);
                self.resumed = resumed;
                self.budget = rate_budget;
                self.rate_now = rate_budget;
                self.lanes.clear();
                self.lane_index.clear();
                for t in targets {
                    let index = self.lanes.len() as u32;
                    self.lane_index.insert(t.target.clone(), index);
                    self.lanes.push(Lane {
                        target: t.target,
                        state: LaneState::Waiting,
                        total: t.messages,
                        batches: t.batches,
                        counts: Counts {
                            total: t.messages,
                            done: t.already_done,
                            ..Counts::default()
                        },
                        pause: None,
                        note: None,
                    });
                }
                self.lane_view = ListView::new(self.lanes.len());
            }
            Event::LaneState { target, state } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.state = state;
                    if state != LaneState::Paused {
                        lane.pause = None;
                    }
                }
            }
            Event::BatchSent { .. } => {
                self.requests += 1;
                self.meter.request(now_ms);
            }
            Event::MessageResult {
                target,
                source,
                from_account,
                send_time,
                summary,
                outcome,
                ..
            } => self.message_result(
                target,
                source,
                from_account,
                send_time,
                summary,
                outcome,
                now_ms,
            ),
            Event::OutcomeUnknown {
                target, failure, ..
            } => self.error(now_ms, Some(&target), ErrorKind::Unknown, &failure, None),
            Event::Settled {
                target,
                landed,
                missing,
                ..
            } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.note = Some(format!(
                        "read back: {landed} landed, {missing} to send again"
                    ));
                }
            }
            Event::Retrying {
                target,
                attempt,
                delay_ms,
                reason,
                ..
            } => {
                let mut reason = reason;
                let extra = format!("try {attempt} in {:.1} s", delay_ms as f64 / 1000.0);
                reason.detail = if reason.detail.is_empty() {
                    extra
                } else {
                    format!("{}; {extra}", reason.detail)
                };
                self.error(now_ms, Some(&target), ErrorKind::Retry, &reason, None);
            }
            Event::LanePaused { target, reason } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.state = LaneState::Paused;
                    lane.note = Some(reason.failure.line());
                    lane.pause = Some(reason);
                }
            }
            Event::LaneResumed { target } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.state = LaneState::Running;
                    lane.pause = None;
                    lane.note = None;
                }
            }
            Event::LaneStopped { target, reason } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.state = LaneState::Stopped;
                    lane.pause = None;
                    lane.note = Some(reason.clone());
                }
                let failure = Failure {
                    code: None,
                    meaning: format!("the lane stopped: {reason}"),
                    remedy: String::new(),
                    detail: String::new(),
                };
                self.error(now_ms, Some(&target), ErrorKind::Stopped, &failure, None);
            }
            Event::LaneDone { target, counts } => {
                if let Some(lane) = self.lane_mut(&target) {
                    lane.state = LaneState::Done;
                    lane.counts = counts;
                    lane.pause = None;
                    lane.note = None;
                }
            }
            Event::RateChanged {
                current,
                budget,
                refusals,
            } => {
                self.rate_now = current;
                self.budget = budget;
                self.refusals = refusals;
            }
            Event::Warning { target, message } => {
                let failure = Failure {
                    code: None,
                    meaning: message,
                    remedy: String::new(),
                    detail: String::new(),
                };
                self.error(now_ms, target.as_ref(), ErrorKind::Warning, &failure, None);
            }
            Event::RunFinished { summary, exit_code } => {
                for t in &summary.targets {
                    if let Some(lane) = self.lane_mut(&t.target) {
                        lane.state = t.state;
                        lane.counts = t.counts;
                        if lane.note.is_none() {
                            lane.note = t.reason.clone();
                        }
                    }
                }
                // Nothing runs or waits for a decision once the run is over: a lane the summary
                // left unfinished (or did not name) is stopped where it stands, and says why.
                for lane in &mut self.lanes {
                    if !matches!(lane.state, LaneState::Done | LaneState::Stopped) {
                        lane.state = LaneState::Stopped;
                        lane.pause = None;
                        lane.note.get_or_insert_with(|| {
                            "the run ended before this lane finished".into()
                        });
                    }
                }
                self.requests = summary.requests;
                self.active = false;
                self.paused = false;
                self.finished = Some((summary, exit_code));
            }
        }
    }

    fn lane_mut(&mut self, target: &Target) -> Option<&mut Lane> {
        let i = *self.lane_index.get(target)? as usize;
        self.lanes.get_mut(i)
    }

    #[allow(clippy::too_many_arguments)] // the fields of one event, passed on as they are
    fn message_result(
        &mut self,
        target: Target,
        source: SourceRef,
        from_account: String,
        send_time: i64,
        summary: String,
        outcome: MessageOutcome,
        now_ms: i64,
    ) {
        let Some(lane) = self.lane_index.get(&target).copied() else {
            return;
        };
        let row_outcome = match &outcome {
            MessageOutcome::Done { msg_seq, .. } => RowOutcome::Done(*msg_seq),
            MessageOutcome::Failed(f) => RowOutcome::Failed(f.code),
            MessageOutcome::Skipped { .. } => RowOutcome::Skipped,
            MessageOutcome::Invalid { .. } => RowOutcome::Invalid,
        };
        // A message reported failed or invalid may be reported again after a decision (retried,
        // skipped): its earlier state stops counting.
        let key = (lane, source.clone());
        let earlier = self.open.remove(&key);
        if let Some(l) = self.lanes.get_mut(lane as usize) {
            match earlier {
                Some(RowOutcome::Failed(_)) => l.counts.failed = l.counts.failed.saturating_sub(1),
                Some(RowOutcome::Invalid) => l.counts.invalid = l.counts.invalid.saturating_sub(1),
                _ => {}
            }
            match row_outcome {
                RowOutcome::Done(_) => l.counts.done += 1,
                RowOutcome::Failed(_) => l.counts.failed += 1,
                RowOutcome::Skipped => l.counts.skipped += 1,
                RowOutcome::Invalid => l.counts.invalid += 1,
            }
        }
        if matches!(row_outcome, RowOutcome::Failed(_) | RowOutcome::Invalid) {
            self.open.insert(key, row_outcome);
        }
        self.meter.message(now_ms);
        match outcome {
            MessageOutcome::Failed(f) => {
                self.error(
                    now_ms,
                    Some(&target),
                    ErrorKind::Message,
                    &f,
                    Some(source.clone()),
                );
            }
            MessageOutcome::Invalid { problem } => {
                let f = Failure {
                    code: None,
                    meaning: "the staged message cannot be sent as written".into(),
                    remedy: "Fix it in the inspector and retry it edited, or skip it".into(),
                    detail: problem,
                };
                self.error(
                    now_ms,
                    Some(&target),
                    ErrorKind::Message,
                    &f,
                    Some(source.clone()),
                );
            }
            _ => {}
        }
        let sender = self.intern(from_account);
        let keep_source = !matches!(row_outcome, RowOutcome::Done(_));
        let dropped = self.results.push(NewResult {
            at_ms: now_ms,
            lane,
            sender,
            send_time,
            outcome: row_outcome,
            summary: cut(&summary, SUMMARY_CHARS),
            source: keep_source.then_some(source),
        });
        if dropped > 0 {
            self.dropped += dropped as u64;
            self.refilter_results();
        } else {
            let needle = self.result_view.filter().to_lowercase();
            let (results, lanes, senders) = (&self.results, &self.lanes, &self.senders);
            self.result_view.grow(results.len(), |i| {
                results
                    .get(i)
                    .is_some_and(|r| row_matches(&r, lanes, senders, &needle))
            });
        }
        if self.follow {
            self.result_view.bottom();
        }
    }

    fn intern(&mut self, sender: String) -> u32 {
        if let Some(i) = self.sender_index.get(sender.as_str()) {
            return *i;
        }
        let i = self.senders.len() as u32;
        let boxed: Box<str> = sender.into_boxed_str();
        self.sender_index.insert(boxed.clone(), i);
        self.senders.push(boxed);
        i
    }

    fn error(
        &mut self,
        now_ms: i64,
        target: Option<&Target>,
        kind: ErrorKind,
        failure: &Failure,
        source: Option<SourceRef>,
    ) {
        let lane = target.and_then(|t| self.lane_index.get(t).copied());
        self.errors.push_back(ErrorRow {
            at_ms: now_ms,
            lane,
            kind,
            code: failure.code,
            meaning: failure.meaning.clone(),
            remedy: failure.remedy.clone(),
            detail: failure.detail.clone(),
            source,
        });
        if self.errors.len() > MAX_ERRORS {
            self.errors.pop_front();
            let was = self.error_view.selected_pos();
            self.refilter_errors();
            self.error_view.select_pos(was.saturating_sub(1));
        } else {
            let needle = self.error_view.filter().to_lowercase();
            let (errors, lanes) = (&self.errors, &self.lanes);
            let at_bottom = self.error_view.at_bottom();
            self.error_view
                .grow(errors.len(), |i| error_matches(&errors[i], lanes, &needle));
            if at_bottom {
                self.error_view.bottom();
            }
        }
    }

    /// Filters the results.
    pub fn set_result_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let (results, lanes, senders) = (&self.results, &self.lanes, &self.senders);
        self.result_view.set_filter(text, |i| {
            results
                .get(i)
                .is_some_and(|r| row_matches(&r, lanes, senders, &needle))
        });
    }

    fn refilter_results(&mut self) {
        let text = self.result_view.filter().to_owned();
        let needle = text.to_lowercase();
        let (results, lanes, senders) = (&self.results, &self.lanes, &self.senders);
        self.result_view.reset(results.len(), |i| {
            results
                .get(i)
                .is_some_and(|r| row_matches(&r, lanes, senders, &needle))
        });
    }

    /// Filters the errors.
    pub fn set_error_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let (errors, lanes) = (&self.errors, &self.lanes);
        self.error_view
            .set_filter(text, |i| error_matches(&errors[i], lanes, &needle));
    }

    fn refilter_errors(&mut self) {
        let needle = self.error_view.filter().to_lowercase();
        let (errors, lanes) = (&self.errors, &self.lanes);
        self.error_view
            .reset(errors.len(), |i| error_matches(&errors[i], lanes, &needle));
    }

    /// Filters the lanes.
    pub fn set_lane_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let lanes = &self.lanes;
        self.lane_view.set_filter(text, |i| {
            contains_folded(&lanes[i].target.to_string(), &needle)
                || contains_folded(lanes[i].state.word(), &needle)
        });
    }

    /// The sender of a row.
    pub fn sender(&self, row: &ResultRow<'_>) -> &str {
        self.senders.get(row.sender as usize).map_or("", |s| s)
    }

    /// The lane name of a row.
    pub fn lane_name(&self, lane: u32) -> String {
        self.lanes
            .get(lane as usize)
            .map(|l| l.target.to_string())
            .unwrap_or_default()
    }
}
