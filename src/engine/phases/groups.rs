//! The groups phase: each staged group the app does not have is created with `import_group`
//! (its staged body: the history's `CreateTime`, the owner); one it has is used as it is when its
//! type and creation time allow the history, refused with the reason otherwise
//! (`staging::migration::judge`). The staged `GroupId` makes the call safe to resend: a group
//! created by an earlier call answers 10021 and is found by reading back. An unknown outcome
//! (now, or left by an earlier invocation) is settled with `get_group_info` before anything is
//! sent again.

use std::collections::HashMap;

use futures::StreamExt;
use futures::future::BoxFuture;

use super::call::{Caller, Sent, Settled, Stop};
use super::work::GroupWork;
use crate::api::catalogue::explain;
use crate::api::client::GROUP_INFO_CHUNK;
use crate::api::types::{Command, GroupInfo};
use crate::engine::events::{Event, Failure, GroupPhase, Step};
use crate::engine::ledger::phases::{self, ItemState, call_state};
use crate::engine::outcome::EngineReason;
use crate::engine::service::ImportService;
use crate::plan::migration::group_request;
use crate::staging::migration::{Existing, judge};

/// Most times a call's unknown outcome is read back and the call sent again.
const UNKNOWN_ROUNDS: u32 = 5;

/// Where a staged group stands after the groups phase.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GroupState {
    /// It exists and can take its history.
    Ready,
    /// It cannot (refused, or failed): its messages and members are not sent.
    Refused(Failure),
    /// A call kept failing: its messages and members wait for another invocation.
    Waiting(Failure),
}

/// Runs the phase over `groups`; every group's state.
pub(super) async fn run<S: ImportService>(
    caller: &Caller<'_, S>,
    groups: &[GroupWork],
) -> Result<HashMap<String, GroupState>, Stop> {
    let run_id = caller.run_id;
    let recorded = caller
        .ctx
        .ledger
        .call(move |c| phases::items(c, run_id, Step::Groups, None))
        .await?;
    let recorded: HashMap<String, (ItemState, Option<String>, Option<i64>)> = recorded
        .into_iter()
        .map(|r| (r.item, (r.state, r.detail, r.code)))
        .collect();
    let mut states = HashMap::new();
    let mut todo = Vec::new();
    for g in groups {
        match recorded.get(g.id()) {
            Some((ItemState::Done | ItemState::Existed, _, _)) => {
                states.insert(g.id().to_owned(), GroupState::Ready);
            }
            Some((ItemState::Failed, detail, code)) if !caller.ctx.opts.retry_failed => {
                let mut failure =
                    EngineReason::GroupRefusedBefore.failure(detail.clone().unwrap_or_default());
                failure.code = *code;
                states.insert(g.id().to_owned(), GroupState::Refused(failure));
            }
            other => {
                let open = other.is_some_and(|(s, _, _)| s.is_open());
                todo.push((g, open));
            }
        }
    }
    let ids: Vec<String> = todo.iter().map(|(g, _)| g.id().to_owned()).collect();
    let mut infos: HashMap<String, GroupInfo> = HashMap::new();
    for chunk in ids.chunks(GROUP_INFO_CHUNK) {
        for info in read_infos(caller, chunk.to_vec()).await? {
            infos.insert(info.group_id.clone(), info);
        }
    }
    let lanes = caller.ctx.opts.lanes.max(1);
    // Boxed with their lifetime spelled out: the compiler cannot prove the unboxed ones `Send`
    // for every lifetime when the run is spawned.
    let work: Vec<BoxFuture<'_, (String, Result<GroupState, Stop>)>> = todo
        .into_iter()
        .map(|(g, open)| {
            let info = infos.remove(g.id());
            Box::pin(async move { (g.id().to_owned(), one(caller, g, open, info).await) })
                as BoxFuture<'_, _>
        })
        .collect();
    let mut results = futures::stream::iter(work).buffer_unordered(lanes);
    let mut stop = None;
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(state) => {
                states.insert(id, state);
            }
            Err(Stop::GaveUp(f)) => {
                states.insert(id, GroupState::Waiting(f));
            }
            Err(s) => {
                stop.get_or_insert(s);
            }
        }
    }
    match stop {
        Some(s) => Err(s),
        None => Ok(states),
    }
}

async fn read_infos<S: ImportService>(
    caller: &Caller<'_, S>,
    ids: Vec<String>,
) -> Result<Vec<GroupInfo>, Stop> {
    let svc = caller.svc;
    match caller.read(|| svc.group_info(ids.clone())).await? {
        Ok(infos) => Ok(infos),
        Err(f) => Err(Stop::GaveUp(f)),
    }
}

/// One group: used, refused or created.
async fn one<S: ImportService>(
    caller: &Caller<'_, S>,
    g: &GroupWork,
    open: bool,
    info: Option<GroupInfo>,
) -> Result<GroupState, Stop> {
    let id = g.id();
    let mut info = info;
    for _ in 0..UNKNOWN_ROUNDS {
        let Some(found) = info.take() else {
            return Err(Stop::GaveUp(explained(
                None,
                format!("get_group_info said nothing about {id}"),
            )));
        };
        match found.error_code {
            0 => return existing(caller, g, &found, open).await,
            10010 => {}
            code => {
                let failure = explained(Some(code), found.error_info.clone());
                caller
                    .settle(Step::Groups, id, vec![Settled::failed(id, &failure)], true)
                    .await?;
                return Ok(GroupState::Refused(failure));
            }
        }
        if open {
            // An earlier call did not create it: send it again.
            caller
                .settle(Step::Groups, id, vec![Settled::pending(id)], true)
                .await?;
        }
        caller
            .ctx
            .emit(Event::GroupPhase {
                group: id.to_owned(),
                phase: GroupPhase::Group,
            })
            .await;
        let request = group_request(&g.staged);
        let sent = caller
            .write(
                Step::Groups,
                id,
                Command::ImportGroup,
                request.body,
                &request.items,
            )
            .await?;
        match sent {
            Sent::Answered(call, _) => {
                caller
                    .finish(call, call_state::DONE, None, vec![Settled::done(id)])
                    .await?;
                return Ok(GroupState::Ready);
            }
            Sent::Refused(call, failure) if failure.code == Some(10021) => {
                // Taken: an earlier call of ours (or someone else) created it. Read it back.
                caller
                    .finish(
                        call,
                        call_state::FAILED,
                        Some(&failure.line()),
                        vec![Settled::pending(id)],
                    )
                    .await?;
                info = read_infos(caller, vec![id.to_owned()]).await?.pop();
                if let Some(found) = info.take().filter(|i| i.error_code == 0) {
                    return existing(caller, g, &found, true).await;
                }
            }
            Sent::Refused(call, failure) => {
                caller
                    .finish(
                        call,
                        call_state::FAILED,
                        Some(&failure.line()),
                        vec![Settled::failed(id, &failure)],
                    )
                    .await?;
                return Ok(GroupState::Refused(failure));
            }
            Sent::Unknown => {
                caller.before_reading_back().await?;
                info = read_infos(caller, vec![id.to_owned()]).await?.pop();
                if let Some(found) = info.as_ref().filter(|i| i.error_code == 0) {
                    let found = found.clone();
                    return existing(caller, g, &found, true).await;
                }
            }
        }
    }
    Err(Stop::GaveUp(super::call::no_answer(UNKNOWN_ROUNDS)))
}

/// A group the app has: used as it is, or refused. `ours` when a call of this run may have made
/// it (then, matching the staged line, it is `done`).
async fn existing<S: ImportService>(
    caller: &Caller<'_, S>,
    g: &GroupWork,
    info: &GroupInfo,
    ours: bool,
) -> Result<GroupState, Stop> {
    let id = g.id();
    let (settled, state) = match judge(&g.staged, info, g.first_message) {
        Existing::Use(None) if ours => (Settled::done(id), GroupState::Ready),
        Existing::Use(note) => (Settled::existed(id, note), GroupState::Ready),
        Existing::Refuse(why) => {
            let failure = EngineReason::ExistingGroup.failure(why);
            (Settled::failed(id, &failure), GroupState::Refused(failure))
        }
    };
    caller.settle(Step::Groups, id, vec![settled], true).await?;
    Ok(state)
}

fn explained(code: Option<i64>, detail: String) -> Failure {
    match code {
        Some(code) => Failure::from_explanation(explain(code), detail),
        None => EngineReason::GaveUp.failure(detail),
    }
}
