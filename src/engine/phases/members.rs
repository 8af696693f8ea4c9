//! The members phase of one group, after its last message: members the group does not hold are
//! imported with `import_group_member` (at most 20 a call, with `JoinTime`, `Role` and
//! `UnreadMsgNum`); members it holds already (its owner, members of a group that existed) and
//! those `import_group_member` answers "already a member" get `set_unread_msg_num` when they have
//! an unread count. A group that keeps no unread counts (ChatRoom) gets none (its unread items
//! are recorded skipped when the run starts).
//!
//! Unknown outcomes are settled by reading the members back (`get_group_member_info`) before
//! anything is sent again; a member found there after such a call counts as imported, and its
//! unread count is set again with `set_unread_msg_num` (setting a count twice is harmless, so an
//! unknown `set_unread_msg_num` is simply sent again). Messages that land after the counts were
//! set (a later invocation's retried messages) reset them: the counts are then set again.

use std::collections::{HashMap, HashSet};

use super::call::{Caller, Sent, Settled, Stop};
use super::work::GroupWork;
use crate::api::catalogue::ItemFailure;
use crate::api::client::{IMPORT_MEMBER_CHUNK, MEMBER_PAGE};
use crate::api::types::{
    Command, GetGroupMemberInfoRequest, ImportGroupMemberResponse, MemberItem,
};
use crate::engine::events::{Event, Failure, Step};
use crate::engine::ledger::phases::{self, ItemState, call_state};
use crate::engine::outcome::EngineReason;
use crate::engine::service::ImportService;
use crate::plan::migration::{members_body, route_members, unread_request};

/// Most times a call's unknown outcome is read back and the call sent again.
const UNKNOWN_ROUNDS: u32 = 5;

/// Runs the members phase of one group.
pub(super) async fn run_group<S: ImportService>(
    caller: &Caller<'_, S>,
    g: &GroupWork,
) -> Result<(), Stop> {
    let id = g.id().to_owned();
    let run_id = caller.run_id;
    let keeps = g.keeps_unread();
    let gid = id.clone();
    let (members, unread, landed_after) = caller
        .ctx
        .ledger
        .call(move |c| {
            let members = phases::items(c, run_id, Step::Members, Some(&gid))?;
            let unread = phases::items(c, run_id, Step::Unread, Some(&gid))?;
            let landed = match phases::members_settled_at(c, run_id, &gid)? {
                Some(at) => phases::messages_landed_after(c, run_id, &gid, at)?,
                None => 0,
            };
            Ok((members, unread, landed))
        })
        .await?;
    let retry_failed = caller.ctx.opts.retry_failed;
    let wants = |s: Option<&ItemState>| match s {
        Some(ItemState::Failed) => retry_failed,
        Some(s) => !s.is_settled(),
        None => true,
    };
    let member_state: HashMap<String, ItemState> =
        members.into_iter().map(|r| (r.item, r.state)).collect();
    let mut unread_state: HashMap<String, ItemState> =
        unread.into_iter().map(|r| (r.item, r.state)).collect();
    if landed_after > 0 && keeps {
        let again: Vec<Settled> = unread_state
            .iter()
            .filter(|(_, s)| **s == ItemState::Done)
            .map(|(m, _)| Settled::pending(m))
            .collect();
        if !again.is_empty() {
            caller
                .ctx
                .emit(Event::Warning {
                    target: None,
                    message: format!(
                        "{id}: {} {landed_after} message(s) landed after them; {} unread count(s) are set again",
                        EngineReason::UnreadReset.explain().0,
                        again.len()
                    ),
                })
                .await;
            for s in &again {
                unread_state.insert(s.mark.item.clone(), ItemState::Pending);
            }
            caller.settle(Step::Unread, &id, again, false).await?;
        }
    }
    let staged: Vec<&MemberItem> = g.staged.members.iter().map(|m| &m.item).collect();
    let to_add: Vec<&MemberItem> = staged
        .iter()
        .copied()
        .filter(|m| wants(member_state.get(&m.member_account)))
        .collect();
    let with_unread: Vec<&MemberItem> = staged
        .iter()
        .copied()
        .filter(|m| keeps && m.unread_msg_num.is_some())
        .filter(|m| wants(unread_state.get(&m.member_account)))
        .collect();
    if to_add.is_empty() && with_unread.is_empty() {
        return Ok(());
    }
    let mut present = match read_members(caller, &id).await? {
        Ok(present) => present,
        Err(failure) => {
            // The group cannot be read (gone, or not a group that has members to read).
            let settled = to_add
                .iter()
                .map(|m| Settled::failed(&m.member_account, &failure))
                .collect();
            caller.settle(Step::Members, &id, settled, true).await?;
            return Ok(());
        }
    };
    // Members an earlier invocation's calls may have added.
    let mut settled = Vec::new();
    let mut carried_unread = HashSet::new();
    for m in &to_add {
        let account = m.member_account.as_str();
        let open = member_state.get(account).is_some_and(|s| s.is_open());
        match (present.contains(account), open) {
            (true, true) => settled.push(Settled::done(account)),
            (true, false) => settled.push(Settled::existed(account, None)),
            (false, true) => settled.push(Settled::pending(account)),
            (false, false) => {}
        }
    }
    caller.settle(Step::Members, &id, settled, true).await?;
    let (import, _) = route_members(to_add.iter().copied(), |m| present.contains(m));
    let import: Vec<MemberItem> = import.into_iter().cloned().collect();
    for chunk in import.chunks(IMPORT_MEMBER_CHUNK) {
        import_members(caller, g, chunk.to_vec(), &mut present, &mut carried_unread).await?;
    }
    // Unread counts of members in the group that did not get theirs with their import.
    for m in with_unread {
        let account = m.member_account.as_str();
        if carried_unread.contains(account) || !present.contains(account) {
            continue;
        }
        if let Some(unread) = m.unread_msg_num {
            set_unread(caller, &id, account, unread).await?;
        }
    }
    Ok(())
}

/// The group's members, every page; `Err` when the service refuses to read the group.
async fn read_members<S: ImportService>(
    caller: &Caller<'_, S>,
    group: &str,
) -> Result<Result<HashSet<String>, Failure>, Stop> {
    let svc = caller.svc;
    let mut present = HashSet::new();
    let mut req = GetGroupMemberInfoRequest::first_page(group, MEMBER_PAGE);
    loop {
        let page = match caller.read(|| svc.member_page(req.clone())).await? {
            Ok(page) => page,
            Err(f) => return Ok(Err(f)),
        };
        let more = req.advance(&page, present.len() + page.member_list.len());
        present.extend(page.member_list.into_iter().map(|m| m.member_account));
        if !more {
            return Ok(Ok(present));
        }
    }
}

/// Imports one chunk of members, settling an unknown outcome by reading the members back.
async fn import_members<S: ImportService>(
    caller: &Caller<'_, S>,
    g: &GroupWork,
    mut members: Vec<MemberItem>,
    present: &mut HashSet<String>,
    carried_unread: &mut HashSet<String>,
) -> Result<(), Stop> {
    let id = g.id();
    let keeps = g.keeps_unread();
    for _ in 0..UNKNOWN_ROUNDS {
        let accounts: Vec<String> = members.iter().map(|m| m.member_account.clone()).collect();
        let body = members_body(id, &members, keeps);
        match caller
            .write(
                Step::Members,
                id,
                Command::ImportGroupMember,
                body,
                &accounts,
            )
            .await?
        {
            Sent::Answered(call, value) => {
                let results: HashMap<String, u8> =
                    serde_json::from_value::<ImportGroupMemberResponse>(value)
                        .map(|r| {
                            r.member_list
                                .into_iter()
                                .map(|m| (m.member_account, m.result))
                                .collect()
                        })
                        .unwrap_or_default();
                let (meaning, remedy) = ItemFailure::MemberNotImported.explain();
                let refused = Failure {
                    code: None,
                    meaning: meaning.to_owned(),
                    remedy: remedy.to_owned(),
                    detail: String::new(),
                };
                let mut settled = Vec::new();
                let mut unread_done = Vec::new();
                let mut unanswered = Vec::new();
                for m in &members {
                    let account = m.member_account.as_str();
                    match results.get(account) {
                        Some(1) => {
                            settled.push(Settled::done(account));
                            present.insert(account.to_owned());
                            if keeps && m.unread_msg_num.is_some() {
                                carried_unread.insert(account.to_owned());
                                unread_done.push(Settled::done(account));
                            }
                        }
                        Some(2) => {
                            settled.push(Settled::existed(account, None));
                            present.insert(account.to_owned());
                        }
                        Some(_) => settled.push(Settled::failed(account, &refused)),
                        None => {
                            settled.push(Settled {
                                mark: crate::engine::ledger::phases::ItemMark::new(
                                    account,
                                    ItemState::Unknown,
                                ),
                                outcome: None,
                            });
                            unanswered.push(m.clone());
                        }
                    }
                }
                caller.finish(call, call_state::DONE, None, settled).await?;
                caller.settle(Step::Unread, id, unread_done, false).await?;
                if unanswered.is_empty() {
                    return Ok(());
                }
                // An answer without a result for a member: read back, as for no answer.
                members = unanswered;
            }
            Sent::Refused(call, failure) => {
                let settled = accounts
                    .iter()
                    .map(|a| Settled::failed(a, &failure))
                    .collect();
                return caller
                    .finish(call, call_state::FAILED, Some(&failure.line()), settled)
                    .await;
            }
            Sent::Unknown => {}
        }
        caller.before_reading_back().await?;
        let now = match read_members(caller, id).await? {
            Ok(now) => now,
            Err(failure) => return Err(Stop::GaveUp(failure)),
        };
        let settled = members
            .iter()
            .map(|m| {
                if now.contains(&m.member_account) {
                    Settled::done(&m.member_account)
                } else {
                    Settled::pending(&m.member_account)
                }
            })
            .collect();
        caller.settle(Step::Members, id, settled, true).await?;
        members.retain(|m| !now.contains(&m.member_account));
        *present = now;
        if members.is_empty() {
            return Ok(());
        }
    }
    Err(Stop::GaveUp(super::call::no_answer(UNKNOWN_ROUNDS)))
}

/// Sets one member's unread count (sent again while the outcome is unknown: a set is the same
/// however often it lands).
async fn set_unread<S: ImportService>(
    caller: &Caller<'_, S>,
    group: &str,
    member: &str,
    unread: u64,
) -> Result<(), Stop> {
    for _ in 0..UNKNOWN_ROUNDS {
        let request = unread_request(group, member, unread);
        match caller
            .write(
                Step::Unread,
                group,
                Command::SetUnreadMsgNum,
                request.body,
                &request.items,
            )
            .await?
        {
            Sent::Answered(call, _) => {
                return caller
                    .finish(call, call_state::DONE, None, vec![Settled::done(member)])
                    .await;
            }
            Sent::Refused(call, failure) => {
                return caller
                    .finish(
                        call,
                        call_state::FAILED,
                        Some(&failure.line()),
                        vec![Settled::failed(member, &failure)],
                    )
                    .await;
            }
            Sent::Unknown => caller.before_reading_back().await?,
        }
    }
    Err(Stop::GaveUp(super::call::no_answer(UNKNOWN_ROUNDS)))
}
