//! The end of a run: its summary (counts from the ledger, which holds every invocation's work)
//! and its end status.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use super::{Cause, RunOutcome, StopCause};
use crate::engine::context::RunContext;
use crate::engine::events::{Counts, LaneState, RunSummary, StepSummary, TargetSummary};
use crate::engine::lane::{LaneEnd, end_state};
use crate::engine::ledger::runs::RunStatus;
use crate::engine::ledger::{phases, read};
use crate::engine::service::ImportService;
use crate::engine::work::TargetInfo;

/// The run's summary (counts from the ledger, which holds every invocation's work) and exit
/// code.
pub(super) async fn summarize<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    run_id: i64,
    recorded: &[(TargetInfo, i64, Counts)],
    ends: &[Option<(LaneEnd, Counts)>],
    cause: &Cause,
    started: Instant,
    phase_blocked: bool,
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
    let mut changed = false;
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
                    changed |= matches!(end, LaneEnd::StagedChanged(_));
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
    let steps: Vec<StepSummary> = ctx
        .ledger
        .call(move |c| phases::counts(c, run_id))
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(step, counts)| StepSummary { step, counts })
        .collect();
    let cause = cause.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let steps_open = steps
        .iter()
        .any(|s| s.counts.failed > 0 || s.counts.pending() > 0);
    let status = match end_status(cause.as_ref(), blocked || phase_blocked, changed, &totals) {
        RunStatus::Done if steps_open => RunStatus::Incomplete,
        status => status,
    };
    RunOutcome {
        summary: RunSummary {
            run_id,
            targets,
            totals,
            requests: ctx.requests.load(std::sync::atomic::Ordering::Relaxed),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            stopped: cause.as_ref().map(StopCause::words),
            steps,
        },
        status,
    }
}

/// How the run ended: stopped when an unrecoverable service, connection or ledger error stopped
/// the run or a lane (or a phase's calls kept failing); interrupted when the operator stopped it;
/// done when every message is done (and, for a migration, every account, group, member and
/// unread count settled without failure: the caller checks the steps); incomplete otherwise
/// (failed, skipped, invalid or not yet sent, or a lane refused to go on because a message
/// changed in the staged files after it landed).
fn end_status(
    cause: Option<&StopCause>,
    blocked: bool,
    changed: bool,
    totals: &Counts,
) -> RunStatus {
    match cause {
        Some(StopCause::Service(_) | StopCause::Ledger(_)) => RunStatus::Stopped,
        _ if blocked => RunStatus::Stopped,
        Some(StopCause::Interrupted) => RunStatus::Interrupted,
        None if totals.done == totals.total && !changed => RunStatus::Done,
        None => RunStatus::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::Failure;

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
            end_status(cause, blocked, false, totals).exit().code()
        };
        assert_eq!(end_status(None, false, false, &all), RunStatus::Done);
        assert_eq!(code(None, false, &all), 0);
        assert_eq!(
            end_status(None, false, false, &skipped),
            RunStatus::Incomplete
        );
        assert_eq!(code(None, false, &skipped), 1);
        assert_eq!(code(None, true, &all), 3, "a lane blocked on the network");
        assert_eq!(code(Some(&StopCause::Service(f)), false, &all), 3);
        assert_eq!(code(Some(&StopCause::Ledger("x".into())), false, &all), 3);
        assert_eq!(
            end_status(Some(&StopCause::Interrupted), false, false, &skipped),
            RunStatus::Interrupted
        );
        assert_eq!(code(Some(&StopCause::Interrupted), false, &skipped), 130);
        assert_eq!(code(None, false, &Counts::default()), 0, "nothing to do");
        assert_eq!(
            end_status(None, false, true, &all),
            RunStatus::Incomplete,
            "a lane refused a changed landed message"
        );
        assert_eq!(RunStatus::Running.exit(), crate::exit::Exit::Stopped);
    }
}
