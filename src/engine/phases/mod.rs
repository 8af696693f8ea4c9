//! The phases of a migration around the messages' lanes, in one run: accounts (before anything
//! names them), groups (created with their history's `CreateTime` before their messages), the
//! messages (the lanes, unchanged), then members and unread counts (after each group's last
//! message, since every imported message resets unread counts to 0).
//!
//! Every call goes the way a lane's request goes (`call`): recorded in the ledger with its exact
//! bytes (`ledger::phases`) before it is sent, paced by the run's limiter (and, in the client, by
//! the command's own limit: `api::pacer`), classified with the catalogue; an unknown outcome, or an item an earlier
//! invocation left in flight, is settled by reading the service back (`account_check`,
//! `get_group_info`, `get_group_member_info`) before anything is sent again. A finished
//! migration run again sends nothing.
//!
//! Map: `work` (what the run does: [`PhaseSet`], [`MigrationWork`]), `service` (the seam:
//! [`PhaseService`]), `call` (one call, retries, the ledger), `accounts`, `groups`, `members`
//! (one phase each), this file (registering the items, running the phases before and after the
//! lanes).
//!
//! Owns: the order of the phases and their calls. Must not touch: the lanes (it runs before and
//! after them; a refused group's lanes are not started), staged-file parsing, the terminal.

mod accounts;
pub(crate) mod call;
mod groups;
mod members;
pub mod service;
pub mod work;

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;

pub(crate) use call::Stop;
pub(crate) use groups::GroupState;
pub use service::PhaseService;
pub use work::{GroupWork, MigrationWork, PhaseSet};

use crate::engine::context::RunContext;
use crate::engine::events::{Event, GroupPhase, Phase, Step, StepSummary};
use crate::engine::ledger::LedgerError;
use crate::engine::ledger::phases::{self, ItemState};
use crate::engine::outcome::EngineReason;
use crate::engine::service::ImportService;
use call::Caller;

/// What a run does around its lanes, and the service it does it with.
pub struct Migration {
    /// The work.
    pub work: MigrationWork,
    /// The service.
    pub service: Arc<dyn PhaseService>,
}

/// Registers every item the run handles as pending (kept as they are when recorded already), so
/// the ledger knows the totals; a ChatRoom's unread counts are recorded skipped. Items an
/// earlier invocation registered that are no longer staged and never applied (pending or
/// failed) are forgotten, with a warning, so that a fixed `groups.jsonl` or `accounts.jsonl`
/// can finish the run.
pub(crate) async fn register<S: ImportService>(
    ctx: &RunContext<S>,
    run_id: i64,
    work: &MigrationWork,
) -> Result<(), LedgerError> {
    let mut steps: Vec<(Step, Vec<(String, String)>)> = Vec::new();
    if work.phases.contains(Phase::Accounts) {
        steps.push((
            Step::Accounts,
            work.accounts
                .iter()
                .map(|a| (String::new(), a.user_id.clone()))
                .collect(),
        ));
    }
    if work.phases.contains(Phase::Groups) {
        steps.push((
            Step::Groups,
            work.groups
                .iter()
                .map(|g| (g.id().to_owned(), g.id().to_owned()))
                .collect(),
        ));
    }
    let mut not_kept = Vec::new();
    if work.phases.contains(Phase::Members) {
        let mut members = Vec::new();
        let mut unread = Vec::new();
        for g in &work.groups {
            for m in &g.staged.members {
                let key = (g.id().to_owned(), m.item.member_account.clone());
                if m.item.unread_msg_num.is_some() {
                    unread.push(key.clone());
                    if !g.keeps_unread() {
                        not_kept.push(key.clone());
                    }
                }
                members.push(key);
            }
        }
        steps.push((Step::Members, members));
        steps.push((Step::Unread, unread));
    }
    let scope: Option<Vec<String>> =
        (!work.all_groups).then(|| work.groups.iter().map(|g| g.id().to_owned()).collect());
    let forgotten = ctx
        .ledger
        .call(move |c| {
            let mut forgotten = 0;
            for (step, items) in &steps {
                let groups = match step {
                    Step::Accounts => None,
                    _ => scope.as_deref(),
                };
                forgotten += phases::forget_unstaged(c, run_id, *step, groups, items)?;
                phases::register(c, run_id, *step, items)?;
            }
            let reason = "ChatRoom groups keep no unread counts: nothing is sent";
            for (group, member) in &not_kept {
                phases::mark(
                    c,
                    run_id,
                    Step::Unread,
                    group,
                    &[phases::ItemMark::with(
                        member.clone(),
                        ItemState::Skipped,
                        None,
                        reason,
                    )],
                    false,
                )?;
            }
            Ok(forgotten)
        })
        .await?;
    if forgotten > 0 {
        ctx.emit(Event::Warning {
            target: None,
            message: format!(
                "{forgotten} account(s), group(s), member(s) or unread count(s) an earlier invocation did not write are no longer staged: forgotten"
            ),
        })
        .await;
    }
    Ok(())
}

/// The steps of `phase` as the ledger counts them.
async fn phase_steps<S: ImportService>(
    ctx: &RunContext<S>,
    run_id: i64,
    phase: Phase,
) -> Vec<StepSummary> {
    let counts = ctx
        .ledger
        .call(move |c| phases::counts(c, run_id))
        .await
        .unwrap_or_default();
    counts
        .into_iter()
        .filter(|(s, _)| s.phase() == phase)
        .map(|(step, counts)| StepSummary { step, counts })
        .collect()
}

/// The phases before the lanes: accounts, then groups. Every staged group's state (a group
/// the run does not create or check is absent).
pub(crate) async fn before_lanes<S: ImportService>(
    ctx: &RunContext<S>,
    migration: &Migration,
    run_id: i64,
) -> Result<HashMap<String, GroupState>, Stop> {
    let caller = Caller {
        ctx,
        svc: migration.service.as_ref(),
        run_id,
    };
    let work = &migration.work;
    if work.phases.contains(Phase::Accounts) {
        ctx.emit(Event::PhaseStarted {
            phase: Phase::Accounts,
            items: work.accounts.len() as u64,
        })
        .await;
        accounts::run(&caller, &work.accounts).await?;
        let steps = phase_steps(ctx, run_id, Phase::Accounts).await;
        ctx.emit(Event::PhaseDone {
            phase: Phase::Accounts,
            steps,
        })
        .await;
    }
    let mut states = HashMap::new();
    if work.phases.contains(Phase::Groups) {
        ctx.emit(Event::PhaseStarted {
            phase: Phase::Groups,
            items: work.groups.len() as u64,
        })
        .await;
        states = groups::run(&caller, &work.groups).await?;
        for g in &work.groups {
            let phase = match states.get(g.id()) {
                Some(GroupState::Ready) if g.targets.is_empty() => continue,
                Some(GroupState::Ready) => GroupPhase::Messages,
                Some(GroupState::Refused(_)) => GroupPhase::Refused,
                Some(GroupState::Waiting(_)) | None => GroupPhase::Waiting,
            };
            ctx.emit(Event::GroupPhase {
                group: g.id().to_owned(),
                phase,
            })
            .await;
        }
        let steps = phase_steps(ctx, run_id, Phase::Groups).await;
        ctx.emit(Event::PhaseDone {
            phase: Phase::Groups,
            steps,
        })
        .await;
    }
    Ok(states)
}

/// The members phase, after the lanes: each group whose messages are all settled (done or
/// skipped: `messages_settled`) and that the groups phase did not hold back; the others wait,
/// with a warning. Groups go `--lanes` at a time. `blocked` is set when a group's calls kept
/// failing.
pub(crate) async fn after_lanes<S: ImportService>(
    ctx: &RunContext<S>,
    migration: &Migration,
    run_id: i64,
    states: &HashMap<String, GroupState>,
    messages_settled: &HashMap<String, bool>,
) -> Result<bool, Stop> {
    let work = &migration.work;
    if !work.phases.contains(Phase::Members) {
        return Ok(false);
    }
    let caller = Caller {
        ctx,
        svc: migration.service.as_ref(),
        run_id,
    };
    ctx.emit(Event::PhaseStarted {
        phase: Phase::Members,
        items: work
            .groups
            .iter()
            .map(|g| g.staged.members.len() as u64)
            .sum(),
    })
    .await;
    let mut ready = Vec::new();
    for g in work.groups.iter().filter(|g| !g.staged.members.is_empty()) {
        let held = match states.get(g.id()) {
            Some(GroupState::Refused(f) | GroupState::Waiting(f)) => Some(f.line()),
            _ => None,
        };
        let waiting = !messages_settled.get(g.id()).copied().unwrap_or(true);
        if held.is_some() || waiting {
            let why = match held {
                Some(line) => EngineReason::GroupNotReady.failure(line).line(),
                None => EngineReason::MembersWait.failure(String::new()).line(),
            };
            ctx.emit(Event::Warning {
                target: None,
                message: format!("{}: members not imported: {why}", g.id()),
            })
            .await;
            continue;
        }
        ready.push(g);
    }
    let caller = &caller;
    // Boxed with their lifetime spelled out (see `groups::run`).
    let work: Vec<BoxFuture<'_, (String, Result<(), Stop>)>> = ready
        .into_iter()
        .map(|g| {
            Box::pin(async move {
                caller
                    .ctx
                    .emit(Event::GroupPhase {
                        group: g.id().to_owned(),
                        phase: GroupPhase::Members,
                    })
                    .await;
                let result = members::run_group(caller, g).await;
                if result.is_ok() {
                    caller
                        .ctx
                        .emit(Event::GroupPhase {
                            group: g.id().to_owned(),
                            phase: GroupPhase::Done,
                        })
                        .await;
                }
                (g.id().to_owned(), result)
            }) as BoxFuture<'_, _>
        })
        .collect();
    let mut results = futures::stream::iter(work).buffer_unordered(ctx.opts.lanes.max(1));
    let mut blocked = false;
    let mut stop = None;
    while let Some((group, result)) = results.next().await {
        match result {
            Ok(()) => {}
            Err(Stop::GaveUp(f)) => {
                blocked = true;
                ctx.emit(Event::Warning {
                    target: None,
                    message: format!("{group}: members phase stopped: {}", f.line()),
                })
                .await;
            }
            Err(s) => {
                stop.get_or_insert(s);
            }
        }
    }
    drop(results);
    let steps = phase_steps(ctx, run_id, Phase::Members).await;
    ctx.emit(Event::PhaseDone {
        phase: Phase::Members,
        steps,
    })
    .await;
    match stop {
        Some(s) => Err(s),
        None => Ok(blocked),
    }
}

/// Whether each staged group's messages are all settled (done or skipped) in the ledger: its
/// members may then go. A group with staged messages the run has never recorded is not.
pub(crate) async fn messages_settled<S: ImportService>(
    ctx: &RunContext<S>,
    run_id: i64,
    work: &MigrationWork,
) -> Result<HashMap<String, bool>, LedgerError> {
    let groups: Vec<(String, Vec<(crate::engine::target::Target, u64)>)> = work
        .groups
        .iter()
        .map(|g| (g.id().to_owned(), g.targets.clone()))
        .collect();
    ctx.ledger
        .call(move |c| {
            let recorded = crate::engine::ledger::targets::targets_of(c, run_id)?;
            let mut out = HashMap::new();
            for (group, targets) in groups {
                let mut settled = true;
                for (target, messages) in targets.iter().filter(|(_, n)| *n > 0) {
                    let Some(record) = recorded.iter().find(|r| &r.target == target) else {
                        settled = false;
                        break;
                    };
                    let counts = crate::engine::ledger::read::counts(c, record.id, *messages)?;
                    settled &= counts.done + counts.skipped == counts.total;
                }
                out.insert(group, settled);
            }
            Ok(out)
        })
        .await
}
