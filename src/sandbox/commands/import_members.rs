//! `import_group_member`: adds members with backdated join times and unread counts. Per member
//! `Result` 1 imported, 2 already a member, 0 failed (a `JoinTime` not after the group's creation
//! or not before now; an account that does not exist, when the sandbox requires accounts).
//! Without `JoinTime` the member joins now. `Role` may be `Admin` (else 10004); `UnreadMsgNum` is
//! clamped to the group's message count (groups that keep no unread counts keep none).
//! At most 20 members per request (the newest documented limit; more: 10004). Unless the sandbox
//! requires accounts (`SandboxConfig::require_accounts`), members need not exist first and
//! become accounts.

use serde_json::Value;

use crate::api::types::{ImportGroupMemberRequest, ImportGroupMemberResponse, MemberResult};

use super::{
    Ctx, Outcome, Refusal, Tally, find_group, outcome, parse_request, refuse_av_chat_room,
};
use crate::sandbox::model::{Member, State};

/// Most members per request.
pub const MAX_MEMBERS: usize = 20;

pub(super) fn import_group_member(
    state: &mut State,
    body: &Value,
    ctx: &Ctx,
) -> Result<Outcome, Refusal> {
    let req: ImportGroupMemberRequest = parse_request(body, 10004)?;
    refuse_av_chat_room(find_group(state, &req.group_id)?)?;
    let count = req.member_list.len();
    if count == 0 || count > MAX_MEMBERS {
        return Err(Refusal::new(
            10004,
            format!("MemberList holds {count} members; 1 to {MAX_MEMBERS} per request"),
        ));
    }
    for (i, member) in req.member_list.iter().enumerate() {
        if member.member_account.is_empty() {
            return Err(Refusal::new(
                10004,
                format!("MemberList[{i}].Member_Account is empty"),
            ));
        }
        if let Some(role) = member.role.as_deref().filter(|r| *r != "Admin") {
            return Err(Refusal::new(
                10004,
                format!("MemberList[{i}].Role {role:?}: only Admin can be given"),
            ));
        }
    }
    let missing: Vec<bool> = req
        .member_list
        .iter()
        .map(|m| ctx.require_accounts && !state.is_account(&m.member_account))
        .collect();
    let Some((group, _)) = state.group_mut(&req.group_id) else {
        // find_group just found it and nothing ran in between.
        return Err(Refusal::new(10010, format!("no group '{}'", req.group_id)));
    };
    let mut member_list = Vec::with_capacity(count);
    let mut joined = Vec::new();
    let mut tally = Tally::default();
    for (member, missing) in req.member_list.into_iter().zip(missing) {
        let bad_join = member
            .join_time
            .is_some_and(|t| t <= group.create_time || t >= ctx.now);
        let result = if group.members.contains_key(&member.member_account) {
            tally.members_already += 1;
            2
        } else if bad_join || missing {
            0
        } else {
            let join_time = member.join_time.unwrap_or(ctx.now);
            let role = if member.role.is_some() {
                "Admin"
            } else {
                "Member"
            };
            group
                .members
                .insert(member.member_account.clone(), Member::new(join_time, role));
            if let Some(unread) = member.unread_msg_num {
                group.set_unread(&member.member_account, unread);
            }
            joined.push(member.member_account.clone());
            1
        };
        member_list.push(MemberResult {
            member_account: member.member_account,
            result,
        });
    }
    for account in joined {
        state.add_account(&account);
    }
    outcome(&ImportGroupMemberResponse { member_list }, tally)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, call_with, ctx, state};

    /// Each member's `Result` in an answer, in order.
    fn member_results(answer: &serde_json::Value) -> Vec<u64> {
        answer["MemberList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Result"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn per_member_results() {
        let mut s = state();
        let a = call(
            &mut s,
            Command::ImportGroupMember,
            json!({"GroupId": "pub", "MemberList": [
                {"Member_Account": "new", "JoinTime": NOW - 10},
                {"Member_Account": "olga"},
                {"Member_Account": "early", "JoinTime": NOW - 1000},
                {"Member_Account": "future", "JoinTime": NOW},
                {"Member_Account": "new"},
                {"Member_Account": "nowish"}
            ]}),
        )
        .unwrap();
        let results = member_results(&a);
        // Without JoinTime the member joins now.
        assert_eq!(results, [1, 2, 0, 0, 2, 1]);
        assert!(s.is_account("new"));
        assert!(!s.is_account("early"));
        assert_eq!(s.group("pub").unwrap().members.len(), 3);
    }

    #[test]
    fn refusals() {
        let mut s = state();
        let one = json!([{"Member_Account": "m", "JoinTime": NOW - 10}]);
        let code = |s: &mut State, body| call(s, Command::ImportGroupMember, body).unwrap_err();
        assert_eq!(
            code(&mut s, json!({"GroupId": "av", "MemberList": one})),
            10007
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "gone", "MemberList": one})),
            10010
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MemberList": []})),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "pub", "MemberList": [{"Member_Account": "m", "Role": "Owner"}]})
            ),
            10004
        );
        let many: Vec<Value> = (0..21)
            .map(|i| json!({"Member_Account": format!("m{i}")}))
            .collect();
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MemberList": many})),
            10004
        );
    }

    #[test]
    fn unread_counts_are_clamped_and_accounts_required_when_asked() {
        let mut s = state();
        // "pub" holds one message: an unread count above 1 is clamped to it.
        call(
            &mut s,
            Command::ImportGroupMember,
            json!({"GroupId": "pub", "MemberList": [
                {"Member_Account": "ann", "JoinTime": NOW - 10, "UnreadMsgNum": 5, "Role": "Admin"},
                {"Member_Account": "bob", "JoinTime": NOW - 10}
            ]}),
        )
        .unwrap();
        let members = s.group("pub").unwrap().member_snapshots();
        let ann = members.iter().find(|m| m.account == "ann").unwrap();
        assert_eq!((ann.unread, ann.role.as_str()), (1, "Admin"));
        let bob = members.iter().find(|m| m.account == "bob").unwrap();
        assert_eq!((bob.unread, bob.role.as_str()), (0, "Member"));

        let strict = Ctx {
            require_accounts: true,
            ..ctx()
        };
        let a = call_with(
            &mut s,
            Command::ImportGroupMember,
            json!({"GroupId": "pub", "MemberList": [
                {"Member_Account": "alice", "JoinTime": NOW - 10},
                {"Member_Account": "nobody", "JoinTime": NOW - 10}
            ]}),
            &strict,
        )
        .unwrap();
        let results = member_results(&a);
        assert_eq!(results, [1, 0], "alice is an account, nobody is not");
    }
}
