//! `import_group`: creates a group, backdated if asked. `Type` Private/Public/ChatRoom/Community
//! (Work and Meeting accepted; AVChatRoom 10007, anything else 10004), `Name` 1-30 bytes,
//! optional `GroupId` (malformed 10015, taken 10021; else an assigned `@TGS#...` id, `@TGS#_...`
//! for Community), `CreateTime` (default now; in the future 10004), `SupportTopic` (Community
//! only). The owner becomes a member (role `Owner`) and an account; when the sandbox requires
//! accounts, an owner that is not one is refused (10019).

use serde_json::Value;

use crate::api::types::{GroupType, ImportGroupRequest, ImportGroupResponse};

use super::{Ctx, Outcome, Refusal, Tally, outcome, parse_request};
use crate::sandbox::model::{Group, State};
use crate::sandbox::rules::{check_group_id, check_group_name};

pub(super) fn import_group(state: &mut State, body: &Value, ctx: &Ctx) -> Result<Outcome, Refusal> {
    let req: ImportGroupRequest = parse_request(body, 10004)?;
    let group_type = GroupType::parse(&req.group_type);
    match group_type {
        GroupType::AVChatRoom => {
            return Err(Refusal::new(10007, "AVChatRoom groups cannot be imported"));
        }
        GroupType::Other(ref name) => {
            return Err(Refusal::new(
                10004,
                format!("Type '{name}' is not Private, Public, ChatRoom or Community"),
            ));
        }
        _ => {}
    }
    check_group_name(&req.name).map_err(|why| Refusal::new(10004, why))?;
    let community = group_type == GroupType::Community;
    let support_topic = match req.support_topic {
        None | Some(0) => false,
        Some(1) if community => true,
        Some(1) => {
            return Err(Refusal::new(
                10004,
                "SupportTopic is for Community groups only",
            ));
        }
        Some(_) => return Err(Refusal::new(10004, "SupportTopic must be 0 or 1")),
    };
    let create_time = req.create_time.unwrap_or(ctx.now);
    if create_time <= 0 || create_time > ctx.now {
        return Err(Refusal::new(
            10004,
            format!(
                "CreateTime {create_time} is not between 1970 and now ({})",
                ctx.now
            ),
        ));
    }
    if req.owner_account.as_deref() == Some("") {
        return Err(Refusal::new(10004, "Owner_Account is empty"));
    }
    if let Some(owner) = req
        .owner_account
        .as_deref()
        .filter(|o| ctx.require_accounts && !state.is_account(o))
    {
        return Err(Refusal::new(
            10019,
            format!("Owner_Account {owner:?} is not an imported account"),
        ));
    }
    let id = match req.group_id {
        Some(id) => {
            check_group_id(&id).map_err(|why| Refusal::new(10015, why))?;
            if state.group(&id).is_some() {
                return Err(Refusal::new(10021, format!("'{id}' is taken")));
            }
            id
        }
        None => state.new_group_id(community),
    };
    let mut group = Group::new(
        id.clone(),
        group_type,
        req.name,
        req.owner_account,
        create_time,
    );
    group.support_topic = support_topic;
    state.add_group(group);
    outcome(&ImportGroupResponse { group_id: id }, Tally::default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, state};

    #[test]
    fn creates_backdated_groups_with_given_or_assigned_ids() {
        let mut s = state();
        let a = call(
            &mut s,
            Command::ImportGroup,
            json!({"Type": "Work", "Name": "Ops", "GroupId": "ops", "CreateTime": NOW - 50, "Owner_Account": "ann"}),
        )
        .unwrap();
        assert_eq!(a["GroupId"], "ops");
        let ops = s.group("ops").unwrap().snapshot();
        assert_eq!(
            (ops.group_type, ops.create_time),
            (GroupType::Private, NOW - 50)
        );
        assert_eq!(ops.members, ["ann"]);
        assert!(s.is_account("ann"));
        let a = call(
            &mut s,
            Command::ImportGroup,
            json!({"Type": "Community", "Name": "C", "SupportTopic": 1}),
        )
        .unwrap();
        let id = a["GroupId"].as_str().unwrap();
        assert!(id.starts_with("@TGS#_"), "{id}");
        let c = s.group(id).unwrap().snapshot();
        assert!(c.support_topic);
        assert_eq!(c.create_time, NOW);
    }

    #[test]
    fn refusals() {
        let mut s = state();
        let code = |s: &mut State, body| call(s, Command::ImportGroup, body).unwrap_err();
        assert_eq!(
            code(&mut s, json!({"Type": "AVChatRoom", "Name": "a"})),
            10007
        );
        assert_eq!(code(&mut s, json!({"Type": "Square", "Name": "a"})), 10004);
        assert_eq!(code(&mut s, json!({"Type": "Public"})), 10004);
        assert_eq!(
            code(&mut s, json!({"Type": "Public", "Name": "x".repeat(31)})),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"Type": "Public", "Name": "a", "GroupId": "pub"})
            ),
            10021
        );
        assert_eq!(
            code(
                &mut s,
                json!({"Type": "Public", "Name": "a", "GroupId": "a\u{1}"})
            ),
            10015
        );
        assert_eq!(
            code(
                &mut s,
                json!({"Type": "Public", "Name": "a", "SupportTopic": 1})
            ),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"Type": "Public", "Name": "a", "CreateTime": NOW + 1})
            ),
            10004
        );
    }
}
