//! Taking the engine's events into the Run screen's state: lanes, results, errors, the meter.

use crate::engine::attach::Catchup;
use crate::engine::events::ItemOutcome;
use crate::engine::{Event, Failure, MessageOutcome};

use super::*;

/// Whether `event` changes which lanes there are or where one stands.
pub fn moves_lanes(event: &Event) -> bool {
    matches!(
        event,
        Event::RunStarted { .. }
            | Event::LaneState { .. }
            | Event::LanePaused { .. }
            | Event::LaneResumed { .. }
            | Event::LaneStopped { .. }
            | Event::LaneDone { .. }
            | Event::RunFinished { .. }
    )
}

impl RunState {
    /// A console attached to a run going in another process: where the run stands (its
    /// standing events, then each lane's counts, open messages and state), as if this console
    /// had followed it from the start; results and errors show from now on.
    pub fn catch_up(&mut self, catchup: Catchup, now_ms: i64) {
        self.launched(now_ms);
        if catchup.started_ms > 0 {
            self.started_ms = catchup.started_ms;
        }
        for event in catchup.standing {
            self.apply_event(event, now_ms);
        }
        for lane in catchup.lanes {
            let Some(i) = self.lane_of(&lane.target) else {
                continue;
            };
            if let Some(l) = self.lanes.get_mut(i) {
                l.counts = lane.counts;
                l.state = lane.state;
            }
            for open in lane.open {
                let outcome = if open.invalid {
                    RowOutcome::Invalid
                } else {
                    RowOutcome::Failed(open.code)
                };
                self.open.insert((i as u32, open.source), outcome);
            }
            if let Some(why) = lane.why {
                self.apply_event(why, now_ms);
            }
        }
        self.requests = catchup.requests;
        if catchup.paused {
            self.set_paused(true, now_ms);
        }
        self.order_lanes();
    }

    /// Applies one engine event.
    pub fn apply(&mut self, event: Event, now_ms: i64) {
        // The lanes that need the operator are listed first: their order follows their states.
        let reorder = moves_lanes(&event);
        self.apply_event(event, now_ms);
        if reorder {
            self.order_lanes();
        }
    }

    fn apply_event(&mut self, event: Event, now_ms: i64) {
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
                        phase: None,
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
                self.meter.refusal(now_ms);
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
            Event::Phases { phases } => self.phases = phases,
            Event::PhaseStarted { phase, .. } => self.phase = Some(phase),
            Event::PhaseCall { .. } => {
                self.requests += 1;
                self.meter.request(now_ms);
            }
            Event::PhaseItem {
                step,
                group,
                item,
                outcome: ItemOutcome::Failed(failure),
            } => {
                // Which account, group or member comes first: the row has no lane to name it.
                let mut failure = failure;
                let about = match group {
                    Some(g) if g != item => format!("{} {g}: {item}", step.word()),
                    _ => format!("{} {item}", step.word()),
                };
                failure.meaning = format!("{about}: {}", failure.meaning);
                self.error(now_ms, None, ErrorKind::Phase, &failure, None);
            }
            Event::PhaseItem { .. } => {}
            Event::PhaseDone { phase, steps } => {
                // The next phase of the run is at work now (the lanes after the groups).
                self.phase = self
                    .phases
                    .iter()
                    .copied()
                    .find(|p| *p > phase)
                    .or(Some(phase));
                for s in steps {
                    match self.steps.iter_mut().find(|k| k.step == s.step) {
                        Some(known) => *known = s,
                        None => self.steps.push(s),
                    }
                }
            }
            Event::GroupPhase { group, phase } => {
                for lane in self.lanes.iter_mut().filter(|l| l.target.group() == group) {
                    lane.phase = Some(phase);
                }
                self.group_phases.insert(group, phase);
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
                if !summary.steps.is_empty() {
                    self.steps = summary.steps.clone();
                }
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
        if matches!(row_outcome, RowOutcome::Failed(_)) {
            self.meter.refusal(now_ms);
        }
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

    pub(super) fn error(
        &mut self,
        now_ms: i64,
        target: Option<&Target>,
        kind: ErrorKind,
        failure: &Failure,
        source: Option<SourceRef>,
    ) {
        let lane = target.and_then(|t| self.lane_index.get(t).copied());
        self.push_error(ErrorRow {
            at_ms: now_ms,
            lane,
            kind,
            code: failure.code,
            meaning: failure.meaning.clone(),
            remedy: failure.remedy.clone(),
            detail: failure.detail.clone(),
            source,
            finding: None,
        });
    }

    /// Adds a row to the errors pane (the oldest goes past [`MAX_ERRORS`]).
    pub(super) fn push_error(&mut self, row: ErrorRow) {
        self.errors.push_back(row);
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
}
