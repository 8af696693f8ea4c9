//! `get_group_info`: details of at most 50 groups, each with its own `ErrorCode` (10015 malformed
//! id, 10010 unknown). With `ResponseFilter.GroupBaseInfoFilter` only the named fields come back.

use serde_json::Value;

use crate::api::types::{GetGroupInfoRequest, GetGroupInfoResponse, GroupInfo};

use super::{Outcome, Refusal, Tally, find_group, outcome, parse_request};
use crate::sandbox::answer::error_info;
use crate::sandbox::model::{Group, State};

/// Most groups per request.
pub const MAX_GROUPS: usize = 50;

pub(super) fn get_group_info(state: &State, body: &Value) -> Result<Outcome, Refusal> {
    let req: GetGroupInfoRequest = parse_request(body, 10004)?;
    if req.group_id_list.is_empty() {
        return Err(Refusal::new(10004, "GroupIdList is empty"));
    }
    if req.group_id_list.len() > MAX_GROUPS {
        return Err(Refusal::new(
            10004,
            format!(
                "GroupIdList holds {} ids; at most {MAX_GROUPS}",
                req.group_id_list.len()
            ),
        ));
    }
    let filter: Option<&[String]> = req
        .response_filter
        .as_ref()
        .map(|f| f.group_base_info_filter.as_slice())
        .filter(|f| !f.is_empty());
    let group_info = req
        .group_id_list
        .iter()
        .map(|id| match find_group(state, id) {
            Ok(group) => describe(group, filter),
            Err(refusal) => GroupInfo {
                error_code: refusal.code,
                error_info: error_info(refusal.code, &refusal.detail),
                group_id: id.clone(),
                ..GroupInfo::default()
            },
        })
        .collect();
    outcome(&GetGroupInfoResponse { group_info }, Tally::default())
}

fn describe(group: &Group, filter: Option<&[String]>) -> GroupInfo {
    let wants = |field: &str| filter.is_none_or(|f| f.iter().any(|x| x == field));
    let pick = |field: &str, value| wants(field).then_some(value);
    GroupInfo {
        error_code: 0,
        error_info: String::new(),
        group_id: group.id.clone(),
        group_type: pick("Type", group.group_type.as_str().to_owned()),
        name: pick("Name", group.name.clone()),
        owner_account: pick("Owner_Account", group.owner.clone().unwrap_or_default()),
        create_time: wants("CreateTime").then_some(group.create_time),
        last_msg_time: wants("LastMsgTime").then_some(group.last_msg_time()),
        next_msg_seq: wants("NextMsgSeq").then_some(group.main.next_seq()),
        member_num: wants("MemberNum").then_some(group.members.len() as u64),
        max_member_num: wants("MaxMemberNum").then_some(group.max_members),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, state};

    #[test]
    fn per_group_codes_fields_and_filter() {
        let mut s = state();
        let a = call(
            &mut s,
            Command::GetGroupInfo,
            json!({"GroupIdList": ["pub", "gone", ""]}),
        )
        .unwrap();
        let info = &a["GroupInfo"];
        assert_eq!(info[0]["ErrorCode"], 0);
        assert_eq!(info[0]["Type"], "Public");
        assert_eq!(info[0]["CreateTime"], NOW - 1000);
        assert_eq!(info[0]["LastMsgTime"], NOW - 900);
        assert_eq!(info[0]["NextMsgSeq"], 2);
        assert_eq!(info[0]["MemberNum"], 1);
        assert_eq!(info[0]["Owner_Account"], "olga");
        assert_eq!(
            (info[1]["ErrorCode"].as_i64(), info[1]["GroupId"].as_str()),
            (Some(10010), Some("gone"))
        );
        assert_eq!(info[2]["ErrorCode"], 10015);
        let filtered = call(
            &mut s,
            Command::GetGroupInfo,
            json!({"GroupIdList": ["pub"], "ResponseFilter": {"GroupBaseInfoFilter": ["CreateTime"]}}),
        )
        .unwrap();
        let keys: Vec<&str> = filtered["GroupInfo"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["ErrorCode", "ErrorInfo", "GroupId", "CreateTime"]);
        let many: Vec<String> = (0..51).map(|i| format!("g{i}")).collect();
        assert_eq!(
            call(&mut s, Command::GetGroupInfo, json!({"GroupIdList": many})),
            Err(10004)
        );
        assert_eq!(
            call(&mut s, Command::GetGroupInfo, json!({"GroupIdList": []})),
            Err(10004)
        );
    }
}
