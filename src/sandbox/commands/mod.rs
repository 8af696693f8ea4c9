//! One function per REST command, each a pure step on the sandbox's [`State`]: a parsed body and
//! the time in, an answer payload (or a refusal with the service's code) out.
//!
//! Owns: the service's per-command rules and answers.
//! Must not touch: HTTP, signatures, faults or the clock (the server does those).

mod accounts;
mod group_info;
mod group_list;
mod import_group;
mod import_members;
mod import_msg;
mod members_info;
mod read_msgs;
mod set_unread;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::types::{Command, GroupType};

use super::answer::Refusal;
use super::config::StrictTime;
use super::model::{Group, State};
use super::rules::check_group_id;

pub use group_list::CURSOR_BASE;

/// What a command needs besides the state and the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// The sandbox's unix time.
    pub(crate) now: i64,
    pub(crate) strict_time: StrictTime,
    pub(crate) max_message_bytes: usize,
    /// Owners and members must be accounts already (`import_group` 10019, member `Result` 0).
    pub(crate) require_accounts: bool,
}

/// Counts for the statistics, beside the answer.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) imported: u64,
    pub(crate) duplicates: u64,
    /// Non-zero per-message results.
    pub(crate) message_refusals: Vec<i64>,
    /// Members `import_group_member` answered "already a member" (Result 2).
    pub(crate) members_already: u64,
}

/// A successful answer: the command's fields (after the envelope) and the counts.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) payload: Value,
    pub(crate) tally: Tally,
}

/// Runs `command` on `state` with the request `body` (a JSON object).
pub(crate) fn run(
    command: Command,
    state: &mut State,
    body: &Value,
    ctx: &Ctx,
) -> Result<Outcome, Refusal> {
    match command {
        Command::ImportGroupMsg => import_msg::import_group_msg(state, body, ctx),
        Command::GroupMsgGetSimple => read_msgs::group_msg_get_simple(state, body),
        Command::GetAppidGroupList => group_list::get_appid_group_list(state, body),
        Command::GetGroupInfo => group_info::get_group_info(state, body),
        Command::AccountCheck => accounts::account_check(state, body),
        Command::ImportGroup => import_group::import_group(state, body, ctx),
        Command::ImportGroupMember => import_members::import_group_member(state, body, ctx),
        Command::SetUnreadMsgNum => set_unread::set_unread_msg_num(state, body),
        Command::GetGroupMemberInfo => members_info::get_group_member_info(state, body),
        Command::AccountImport => accounts::account_import(state, body),
        Command::MultiaccountImport => accounts::multiaccount_import(state, body),
    }
}

/// The body as the typed request `T`; when it does not fit, `code` with serde's words (which name
/// the missing field or the expected type).
fn parse_request<'a, T: Deserialize<'a>>(body: &'a Value, code: i64) -> Result<T, Refusal> {
    T::deserialize(body).map_err(|e| Refusal::new(code, e.to_string()))
}

/// An answer type as the payload that follows the envelope.
fn outcome<T: Serialize>(answer: &T, tally: Tally) -> Result<Outcome, Refusal> {
    let payload = serde_json::to_value(answer)
        .map_err(|e| Refusal::new(10002, format!("cannot write the answer: {e}")))?;
    Ok(Outcome { payload, tally })
}

/// The group `id` names: 10015 for a malformed id, 10010 when there is no such group.
fn find_group<'s>(state: &'s State, id: &str) -> Result<&'s Group, Refusal> {
    check_group_id(id).map_err(|why| Refusal::new(10015, why))?;
    state
        .group(id)
        .ok_or_else(|| Refusal::new(10010, format!("no group '{id}'")))
}

/// 10007 for groups that keep no history (AVChatRoom).
fn refuse_av_chat_room(group: &Group) -> Result<(), Refusal> {
    if group.group_type == GroupType::AVChatRoom {
        return Err(Refusal::new(
            10007,
            format!("'{}' is an AVChatRoom", group.id),
        ));
    }
    Ok(())
}

/// A `TopicId` must name a topic of a topic-enabled group (10004 otherwise).
fn check_topic(group: &Group, topic: Option<&str>) -> Result<(), Refusal> {
    match topic {
        None => Ok(()),
        Some(_) if !group.support_topic => Err(Refusal::new(
            10004,
            format!("TopicId given, but group '{}' has no topics", group.id),
        )),
        Some(t) if group.stream(Some(t)).is_none() => Err(Refusal::new(
            10004,
            format!("TopicId '{t}' is not a topic of group '{}'", group.id),
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small fixture for the commands' unit tests.

    use super::*;
    use crate::sandbox::seed::Seed;

    pub(crate) const NOW: i64 = 1_700_000_000;

    pub(crate) fn ctx() -> Ctx {
        Ctx {
            now: NOW,
            strict_time: StrictTime::Off,
            max_message_bytes: 12_000,
            require_accounts: false,
        }
    }

    /// Groups `pub` (Public, created NOW-1000, one message at NOW-900), `av` (AVChatRoom),
    /// `club` (Community with topic `club@TOPIC#_t`), `plain` (Community without topics).
    pub(crate) fn state() -> State {
        let seed = Seed::parse(
            &format!(
                r#"{{"accounts": ["alice"], "groups": [
                {{"id": "pub", "type": "Public", "name": "Pub", "create_time": {c}, "owner": "olga",
                  "messages": [{{"from": "alice", "time": {m}, "random": 1,
                    "body": [{{"MsgType": "TIMTextElem", "MsgContent": {{"Text": "first"}}}}]}}]}},
                {{"id": "av", "type": "AVChatRoom", "name": "Live", "create_time": {c}}},
                {{"id": "club", "type": "Community", "name": "Club", "create_time": {c},
                  "topics": ["club@TOPIC#_t"]}},
                {{"id": "plain", "type": "Community", "name": "Plain", "create_time": {c}}}
            ]}}"#,
                c = NOW - 1000,
                m = NOW - 900
            ),
            NOW,
        )
        .unwrap_or_else(|e| panic!("fixture seed: {e}"));
        State::from_seed(&seed, NOW, Some(9)).unwrap_or_else(|e| panic!("fixture: {e:?}"))
    }

    /// Runs a command and returns its payload or the refusal code.
    pub(crate) fn call(state: &mut State, command: Command, body: Value) -> Result<Value, i64> {
        call_with(state, command, body, &ctx())
    }

    pub(crate) fn call_with(
        state: &mut State,
        command: Command,
        body: Value,
        ctx: &Ctx,
    ) -> Result<Value, i64> {
        run(command, state, &body, ctx)
            .map(|o| o.payload)
            .map_err(|r| r.code)
    }
}
