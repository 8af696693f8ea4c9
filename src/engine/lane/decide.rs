//! Pauses and decisions: the message policy for a refused or invalid message, pausing a lane at
//! a message (giving its slot back while it waits), carrying out the operator's decision, and
//! the run's bulk decisions (which come before the policy, and end a wait when one covers the
//! message), each recorded in the ledger before the lane acts on it.

use std::sync::Arc;

use super::items::ItemState;
use super::{Lane, LaneEnd, LaneState, STOPPED_BY_OPERATOR, Step};
use crate::clock::format_unix;
use crate::engine::control::{BulkAction, BulkDecision, Decision};
use crate::engine::events::{Event, Failure, PauseReason};
use crate::engine::ledger::decisions::{self, DecidedBy, DecisionRecord};
use crate::engine::ledger::messages::Mark;
use crate::engine::options::OnMessageError;
use crate::engine::outcome::EngineReason;
use crate::engine::service::ImportService;
use crate::engine::work::{MessageWork, WorkItem};

/// What a pause is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PauseKind {
    /// A refused or invalid message.
    Message,
    /// A request (or read-back) that kept failing at this message.
    Request,
}

/// A decision's ledger word, who made it, and the operator when it is not this process's.
type Who = (&'static str, DecidedBy, Option<String>);

/// A decision that was carried out.
enum Applied {
    GoOn,
    StopGroup,
}

impl<S: ImportService> Lane<S> {
    /// The message policy for the refused or invalid message at `at`.
    pub(super) async fn on_problem(&mut self, at: usize) -> Step {
        let (failure, auto_reason) = match &self.items.list[at].state {
            ItemState::Failed(f) => {
                let code = f.code.map(|c| format!("{c} ")).unwrap_or_default();
                (f.clone(), format!("auto-skipped: {code}{}", f.meaning))
            }
            ItemState::Invalid(problem) => (
                EngineReason::Invalid.failure(problem.clone()),
                format!("auto-skipped: invalid: {problem}"),
            ),
            _ => return Ok(()),
        };
        if self.by_rule(at).await? {
            return Ok(());
        }
        // An invalid message gets no answer from the service: the lane reaching it is its result,
        // so watchers count it now rather than only after a decision.
        if matches!(self.items.list[at].state, ItemState::Invalid(_)) {
            self.emit_result(at).await;
        }
        match self.ctx.opts.on_message_error {
            OnMessageError::Skip => {
                self.skip(at, auto_reason, ("auto_skip", DecidedBy::Policy, None))
                    .await
            }
            OnMessageError::Pause => self.pause(at, failure, PauseKind::Message).await,
        }
    }

    /// Pauses at `at` because its request kept failing.
    pub(super) async fn pause_request(&mut self, at: usize, failure: Failure) -> Step {
        self.pause(at, failure, PauseKind::Request).await
    }

    /// Sends again, once, every message an earlier invocation left failed (`--retry-failed`).
    pub(super) async fn retry_failed(&mut self) -> Step {
        let failed: Vec<usize> = (0..self.items.list.len())
            .filter(|&i| matches!(self.items.list[i].state, ItemState::Failed(_)))
            .collect();
        for i in failed {
            self.decide(
                i,
                ("retry_failed", DecidedBy::Flag, None),
                None,
                None,
                Some(Mark::Pending),
            )
            .await?;
            self.items.list[i].state = ItemState::Pending;
        }
        Ok(())
    }

    async fn pause(&mut self, at: usize, failure: Failure, kind: PauseKind) -> Step {
        let reason = PauseReason {
            source: self.items.source(at).clone(),
            summary: self.items.list[at].summary(),
            failure: failure.clone(),
            landed_after: self.items.landed_after(at),
            newest: self.newest.clone(),
        };
        self.set_state(LaneState::Paused, Some(failure.line()))
            .await?;
        self.ctx
            .emit(Event::LanePaused {
                target: self.target.clone(),
                reason,
            })
            .await;
        if !self.ctx.opts.wait_for_decisions {
            return Err(match kind {
                PauseKind::Message => LaneEnd::Paused(failure),
                PauseKind::Request => LaneEnd::Blocked(failure),
            });
        }
        // Waiting must not hold a lane slot.
        self.permit = None;
        loop {
            let (source, decision, operator) = tokio::select! {
                d = self.decisions.recv() => d.ok_or(LaneEnd::Shutdown)?,
                r = self.rules.changed() => {
                    r.map_err(|_| LaneEnd::Shutdown)?;
                    if self.by_rule(at).await? {
                        break;
                    }
                    continue;
                }
                () = self.ctx.shutdown.cancelled() => return Err(LaneEnd::Shutdown),
                () = self.stop.cancelled() => return Err(LaneEnd::Stopped(STOPPED_BY_OPERATOR.into())),
            };
            if &source != self.items.source(at) {
                let here = self.items.source(at);
                self.warn(format!(
                    "decision about {} line {} ignored: the lane is paused at {} line {}",
                    source.file, source.line, here.file, here.line
                ))
                .await;
                continue;
            }
            let operator = Some(operator).filter(|o| !o.is_empty());
            match self.apply(at, decision, operator).await? {
                Ok(Applied::GoOn) => break,
                Ok(Applied::StopGroup) => {
                    return Err(LaneEnd::Stopped(format!(
                        "{STOPPED_BY_OPERATOR} at {} line {}",
                        source.file, source.line
                    )));
                }
                Err(refusal) => self.warn(refusal).await,
            }
        }
        let slots = Arc::clone(&self.ctx.slots);
        let permit = tokio::select! {
            p = slots.acquire(self.left) => p,
            () = self.ctx.shutdown.cancelled() => return Err(LaneEnd::Shutdown),
            () = self.stop.cancelled() => return Err(LaneEnd::Stopped(STOPPED_BY_OPERATOR.into())),
        };
        self.permit = Some(permit);
        self.ctx
            .emit(Event::LaneResumed {
                target: self.target.clone(),
            })
            .await;
        self.set_state(LaneState::Running, None).await
    }

    /// Carries out a decision about the message at `at`; `Ok(Err(why))` when it cannot be.
    async fn apply(
        &mut self,
        at: usize,
        decision: Decision,
        operator: Option<String>,
    ) -> Result<Result<Applied, String>, LaneEnd> {
        let state = self.items.list[at].state.clone();
        let unknown = "its outcome is unknown until the group is read back: choose retry (which reads it back) or stop the group";
        match decision {
            Decision::Retry => {
                let mark = match state {
                    ItemState::Invalid(_) => {
                        return Ok(Err("an invalid message cannot be sent as written: retry it edited, or skip it".into()));
                    }
                    ItemState::Failed(_) => Some(Mark::Pending),
                    _ => None,
                };
                self.decide(
                    at,
                    ("retry", DecidedBy::Operator, operator),
                    None,
                    None,
                    mark,
                )
                .await?;
                if matches!(state, ItemState::Failed(_)) {
                    self.items.list[at].state = ItemState::Pending;
                }
                Ok(Ok(Applied::GoOn))
            }
            Decision::RetryEdited(mut msg) => {
                if state == ItemState::Unknown {
                    return Ok(Err(unknown.into()));
                }
                if msg.random.is_none() {
                    msg.random = self.items.list[at].valid().map(|m| m.random);
                }
                let source = Arc::clone(&self.ctx.source);
                let (target, at_source) = (self.target.clone(), self.items.source(at).clone());
                let prepared = tokio::task::spawn_blocking(move || {
                    source.prepare_edit(&target, &at_source, msg)
                })
                .await
                .map_err(|e| format!("checking the edit failed: {e}"))
                .and_then(|r| r);
                let msg = match prepared {
                    Ok(msg) => msg,
                    Err(problems) => {
                        return Ok(Err(EngineReason::EditRefused.failure(problems).line()));
                    }
                };
                let json = match serde_json::to_string(&msg) {
                    Ok(json) => json,
                    Err(e) => return Ok(Err(format!("the edited message cannot be written: {e}"))),
                };
                let batch = self.items.batch_of(at);
                let Some(work) =
                    MessageWork::from_json(self.items.source(at).clone(), batch, &json)
                else {
                    return Ok(Err("the edited message has no Random".into()));
                };
                // The point of no return: an edit older than the newest landing would be
                // refused for ever.
                if let Some(newest) = &self.newest
                    && work.send_time < newest.send_time
                {
                    let why = EngineReason::EditBehind.failure(format!(
                        "edited SendTime {} ({}); newest landed: {}",
                        format_unix(work.send_time),
                        work.send_time,
                        newest.describe()
                    ));
                    return Ok(Err(why.line()));
                }
                let item = &mut self.items.list[at];
                item.work = WorkItem::Valid(work);
                item.edited = true;
                item.state = ItemState::Pending;
                self.decide(
                    at,
                    ("retry_edited", DecidedBy::Operator, operator),
                    None,
                    Some(json.clone()),
                    Some(Mark::Edited { body: json }),
                )
                .await?;
                self.replace_edited(at);
                Ok(Ok(Applied::GoOn))
            }
            Decision::Skip { reason } => {
                if state == ItemState::Unknown {
                    return Ok(Err(unknown.into()));
                }
                self.skip(at, reason, ("skip", DecidedBy::Operator, operator))
                    .await?;
                Ok(Ok(Applied::GoOn))
            }
            Decision::StopGroup => {
                self.decide(
                    at,
                    ("stop_group", DecidedBy::Operator, operator),
                    None,
                    None,
                    None,
                )
                .await?;
                Ok(Ok(Applied::StopGroup))
            }
        }
    }

    /// Puts the edited message at `at` at its place by its edited SendTime; past the end of
    /// this part (when more parts may follow) it is carried to the part it belongs in.
    fn replace_edited(&mut self, at: usize) {
        let to = self.items.replace(at);
        if to + 1 == self.items.list.len() && self.reader.is_some() {
            self.carried.extend(self.items.take_trailing_edited());
        }
    }

    async fn skip(&mut self, at: usize, reason: String, who: Who) -> Step {
        let mark = Mark::Skipped {
            reason: reason.clone(),
        };
        self.decide(at, who, Some(reason.clone()), None, Some(mark))
            .await?;
        self.items.list[at].state = ItemState::Skipped(reason);
        self.emit_result(at).await;
        Ok(())
    }

    /// The newest bulk decision that covers the message at `at` (a refused one), with its
    /// index; a retry that already reached this message does not cover it again.
    fn rule_for(&self, at: usize) -> Option<(usize, BulkDecision)> {
        let ItemState::Failed(failure) = &self.items.list[at].state else {
            return None;
        };
        let source = self.items.source(at);
        let rules = self.ctx.rules.borrow();
        rules
            .iter()
            .enumerate()
            .rev()
            .find(|(i, r)| {
                r.covers(&self.target, failure.code)
                    && !(r.action == BulkAction::Retry
                        && self.retried_by_rule.contains(&(*i, source.clone())))
            })
            .map(|(i, r)| (i, r.clone()))
    }

    /// Applies the bulk decision that covers the message at `at`, if one does (true then).
    async fn by_rule(&mut self, at: usize) -> Result<bool, LaneEnd> {
        let Some((i, rule)) = self.rule_for(at) else {
            return Ok(false);
        };
        let operator = Some(rule.operator).filter(|o| !o.is_empty());
        let who = (rule.action.word(), DecidedBy::Operator, operator);
        match rule.action {
            BulkAction::Skip { reason } => self.skip(at, reason, who).await?,
            BulkAction::Retry => {
                self.retried_by_rule
                    .insert((i, self.items.source(at).clone()));
                self.decide(at, who, None, None, Some(Mark::Pending))
                    .await?;
                self.items.list[at].state = ItemState::Pending;
            }
        }
        Ok(true)
    }

    /// Records a decision about the message at `at` (and its effect on the row). An operator's
    /// decision without a named operator is this process's operator's.
    async fn decide(
        &self,
        at: usize,
        (decision, by, operator): Who,
        reason: Option<String>,
        edited_body: Option<String>,
        mark: Option<Mark>,
    ) -> Step {
        let operator =
            operator.or_else(|| (by == DecidedBy::Operator).then(|| self.ctx.operator.clone()));
        let record = DecisionRecord {
            message: Some(self.items.list[at].meta()),
            decision,
            by,
            reason,
            edited_body,
            mark,
            operator,
        };
        let id = self.target_id;
        self.call(move |c| decisions::record(c, id, &record))
            .await?;
        Ok(())
    }
}
