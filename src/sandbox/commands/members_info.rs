//! `get_group_member_info`: a group's members, sorted by account. `Limit` 1 to 200 (default 100;
//! else 10004) and `Offset` page groups other than Community; Community groups page with `Next`
//! (the sandbox's cursor: the last account of the page; empty when done), ignoring `Offset`.
//! `MemberNum` is the whole group's. GroupId malformed 10015, unknown 10010, AVChatRoom 10007.
//! Each member comes with `Member_Account`, `Role` and `JoinTime` (`MemberInfoFilter` narrows
//! them); unread counts are not part of the answer, as with the service.

use serde_json::Value;

use crate::api::types::{
    GetGroupMemberInfoRequest, GetGroupMemberInfoResponse, GroupMember, GroupType,
};

use super::{Outcome, Refusal, Tally, find_group, outcome, parse_request, refuse_av_chat_room};
use crate::sandbox::model::State;

/// Most members per page.
pub const MAX_MEMBER_PAGE: u32 = 200;
/// Members per page when `Limit` is not given.
const DEFAULT_MEMBER_PAGE: u32 = 100;

pub(super) fn get_group_member_info(state: &State, body: &Value) -> Result<Outcome, Refusal> {
    let req: GetGroupMemberInfoRequest = parse_request(body, 10004)?;
    let group = find_group(state, &req.group_id)?;
    refuse_av_chat_room(group)?;
    let limit = req.limit.unwrap_or(DEFAULT_MEMBER_PAGE);
    if limit == 0 || limit > MAX_MEMBER_PAGE {
        return Err(Refusal::new(
            10004,
            format!("Limit {limit}: 1 to {MAX_MEMBER_PAGE}"),
        ));
    }
    let wants = |field: &str| {
        req.member_info_filter.is_empty() || req.member_info_filter.iter().any(|f| f == field)
    };
    let community = group.group_type == GroupType::Community;
    let (skipped, after) = if community {
        let after = req.next.unwrap_or_default();
        let skipped = group
            .members
            .keys()
            .take_while(|account| !after.is_empty() && account.as_str() <= after.as_str())
            .count();
        (skipped, true)
    } else {
        let offset = usize::try_from(req.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        (offset, false)
    };
    let page: Vec<(&String, _)> = group
        .members
        .iter()
        .skip(skipped)
        .take(limit as usize)
        .collect();
    let more = skipped.saturating_add(page.len()) < group.members.len();
    let next = after.then(|| match page.last() {
        Some((last, _)) if more => (*last).clone(),
        _ => String::new(),
    });
    let member_list = page
        .into_iter()
        .map(|(account, m)| GroupMember {
            member_account: account.clone(),
            role: wants("Role").then(|| m.role.to_owned()),
            join_time: wants("JoinTime").then_some(m.join_time),
        })
        .collect();
    outcome(
        &GetGroupMemberInfoResponse {
            member_num: group.members.len() as u64,
            member_list,
            next,
        },
        Tally::default(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, state};

    fn accounts(answer: &Value) -> Vec<String> {
        answer["MemberList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Member_Account"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn pages_by_offset_or_by_next_for_community_groups() {
        let mut s = state();
        for group in ["pub", "plain"] {
            let list: Vec<Value> = ["b", "c", "a"]
                .iter()
                .map(|m| json!({"Member_Account": m, "JoinTime": NOW - 10}))
                .collect();
            call(
                &mut s,
                Command::ImportGroupMember,
                json!({"GroupId": group, "MemberList": list}),
            )
            .unwrap();
        }
        // "pub" has its owner olga too.
        let first = call(
            &mut s,
            Command::GetGroupMemberInfo,
            json!({"GroupId": "pub", "Limit": 3}),
        )
        .unwrap();
        assert_eq!(accounts(&first), ["a", "b", "c"]);
        assert_eq!(first["MemberNum"], 4);
        assert!(first.get("Next").is_none());
        assert_eq!(first["MemberList"][0]["Role"], "Member");
        let rest = call(
            &mut s,
            Command::GetGroupMemberInfo,
            json!({"GroupId": "pub", "Limit": 3, "Offset": 3, "MemberInfoFilter": ["Member_Account"]}),
        )
        .unwrap();
        assert_eq!(accounts(&rest), ["olga"]);
        assert!(rest["MemberList"][0].get("Role").is_none());

        let page = call(
            &mut s,
            Command::GetGroupMemberInfo,
            json!({"GroupId": "plain", "Limit": 2}),
        )
        .unwrap();
        assert_eq!(accounts(&page), ["a", "b"]);
        assert_eq!(page["Next"], "b");
        let page = call(
            &mut s,
            Command::GetGroupMemberInfo,
            json!({"GroupId": "plain", "Limit": 2, "Next": "b"}),
        )
        .unwrap();
        assert_eq!(accounts(&page), ["c"]);
        assert_eq!(page["Next"], "");
    }

    #[test]
    fn refusals() {
        let mut s = state();
        let code = |s: &mut State, body| call(s, Command::GetGroupMemberInfo, body).unwrap_err();
        assert_eq!(code(&mut s, json!({"GroupId": "av"})), 10007);
        assert_eq!(code(&mut s, json!({"GroupId": "gone"})), 10010);
        assert_eq!(code(&mut s, json!({"GroupId": "pub", "Limit": 201})), 10004);
        assert_eq!(code(&mut s, json!({})), 10004);
    }
}
