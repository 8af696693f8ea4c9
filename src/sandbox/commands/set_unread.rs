//! `set_unread_msg_num`: one member's unread count, clamped to the group's own message count.
//! `GroupId` malformed 10015, unknown 10010; `Member_Account` or `UnreadMsgNum` missing or of the
//! wrong type 10004; an account that is not a member 10004 (the sandbox's choice: the pages list
//! 10004 among the codes without saying which case gives it). ChatRoom and AVChatRoom groups keep
//! no unread counts: the call succeeds and nothing is kept, as the service does.

use serde_json::Value;

use crate::api::types::{SetUnreadMsgNumRequest, SetUnreadMsgNumResponse};

use super::{Outcome, Refusal, Tally, find_group, outcome, parse_request};
use crate::sandbox::model::State;

pub(super) fn set_unread_msg_num(state: &mut State, body: &Value) -> Result<Outcome, Refusal> {
    let req: SetUnreadMsgNumRequest = parse_request(body, 10004)?;
    let group = find_group(state, &req.group_id)?;
    if !group.members.contains_key(&req.member_account) {
        return Err(Refusal::new(
            10004,
            format!(
                "{:?} is not a member of group '{}'",
                req.member_account, req.group_id
            ),
        ));
    }
    if let Some((group, _)) = state.group_mut(&req.group_id) {
        group.set_unread(&req.member_account, req.unread_msg_num);
    }
    outcome(&SetUnreadMsgNumResponse {}, Tally::default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, state};

    fn unread(s: &State, group: &str, account: &str) -> u64 {
        s.group(group)
            .unwrap()
            .member_snapshots()
            .into_iter()
            .find(|m| m.account == account)
            .unwrap()
            .unread
    }

    #[test]
    fn sets_clamps_and_is_reset_by_imported_messages() {
        let mut s = state();
        let set = |s: &mut State, n: u64| {
            call(
                s,
                Command::SetUnreadMsgNum,
                json!({"GroupId": "pub", "Member_Account": "olga", "UnreadMsgNum": n}),
            )
        };
        set(&mut s, 0).unwrap();
        set(&mut s, 9).unwrap();
        assert_eq!(unread(&s, "pub", "olga"), 1, "clamped to the 1 message");
        call(
            &mut s,
            Command::ImportGroupMsg,
            json!({"GroupId": "pub", "MsgList": [{"From_Account": "alice", "SendTime": NOW - 800,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}]}),
        )
        .unwrap();
        assert_eq!(unread(&s, "pub", "olga"), 0, "an import resets it");
        set(&mut s, 2).unwrap();
        assert_eq!(unread(&s, "pub", "olga"), 2);
    }

    #[test]
    fn refusals_and_groups_without_unread_counts() {
        let mut s = state();
        let code = |s: &mut State, body| call(s, Command::SetUnreadMsgNum, body).unwrap_err();
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "gone", "Member_Account": "a", "UnreadMsgNum": 1})
            ),
            10010
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "pub", "Member_Account": "zed", "UnreadMsgNum": 1})
            ),
            10004
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "Member_Account": "olga"})),
            10004
        );
        call(
            &mut s,
            Command::ImportGroup,
            json!({"Type": "ChatRoom", "Name": "Room", "GroupId": "room", "Owner_Account": "rae", "CreateTime": NOW - 100}),
        )
        .unwrap();
        call(
            &mut s,
            Command::SetUnreadMsgNum,
            json!({"GroupId": "room", "Member_Account": "rae", "UnreadMsgNum": 0}),
        )
        .unwrap();
        assert_eq!(unread(&s, "room", "rae"), 0, "a ChatRoom keeps none");
    }
}
