//! One line of `groups.jsonl`: an `import_group` body (with `GroupId`, required here so that a
//! run can find the group again and a resent request cannot make a second one) and an optional
//! `MemberList` of `import_group_member` items.
//!
//! Group fields (docs/service.md#neighbouring-calls): `Type` Private/Work, Public,
//! ChatRoom/Meeting or Community (AVChatRoom keeps no history); `Name` 1 to 30 bytes;
//! `Owner_Account` a UserID; `CreateTime` unix seconds, not in the future; `Introduction` at
//! most 240 bytes, `Notification` 300, `FaceUrl` 100; `MaxMemberCount` a positive integer;
//! `ApplyJoinOption` FreeAccess, NeedPermission or DisableApply; `SupportTopic` 0 or 1 (1 for
//! Community only); `AppDefinedData` an array. Other fields are sent as given, with a warning.
//!
//! Member fields: `Member_Account` (required), `Role` (only `Admin`), `JoinTime` (after the
//! group's `CreateTime` and before now, else the service does not add the member), `UnreadMsgNum`
//! (a count; ChatRoom groups keep none, so it is not sent for them: the plan leaves it out).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::account_line::{object, string, user_id};
use crate::api::types::{
    APPLY_JOIN_OPTIONS, GroupType, MAX_GROUP_FACE_URL_BYTES, MAX_GROUP_NAME_BYTES,
    MAX_INTRODUCTION_BYTES, MAX_NOTIFICATION_BYTES, MemberItem,
};
use crate::clock::format_unix;
use crate::staging::problem::{Finding, ProblemKind};
use crate::staging::rules::{missing, wrong_type};
use crate::staging::target::Target;

use super::StagedMember;

/// The fields of `import_group` timport knows (others are sent as given, with a warning).
pub const GROUP_FIELDS: [&str; 13] = [
    "GroupId",
    "Type",
    "Name",
    "Owner_Account",
    "CreateTime",
    "Introduction",
    "Notification",
    "FaceUrl",
    "MaxMemberCount",
    "ApplyJoinOption",
    "SupportTopic",
    "AppDefinedData",
    "MemberList",
];

/// The fields of a `MemberList` item.
pub const MEMBER_FIELDS: [&str; 4] = ["Member_Account", "Role", "JoinTime", "UnreadMsgNum"];

/// A group line, checked: what it stages (when its group fields are usable) and every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedGroup {
    /// `GroupId`.
    pub group_id: String,
    /// `Type`.
    pub group_type: GroupType,
    /// `Name`.
    pub name: String,
    /// `Owner_Account`.
    pub owner: Option<String>,
    /// `CreateTime`.
    pub create_time: Option<i64>,
    /// The `import_group` body: the line without `MemberList`, compact.
    pub body: String,
    /// The members whose item is usable.
    pub members: Vec<StagedMember>,
}

/// An integer field: `Ok(None)` when absent.
fn integer(obj: &Map<String, Value>, field: &str, path: &str) -> Result<Option<i64>, Finding> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
            Finding::error(
                ProblemKind::WrongType,
                Some(path),
                format!("{path} must be a whole number, not {n}"),
            )
        }),
        Some(other) => Err(wrong_type(path, "a whole number", other)),
    }
}

fn group_field(path: &str, message: String) -> Finding {
    Finding::error(ProblemKind::GroupField, Some(path), message)
}

/// Checks a group line at `now`; `None` when its group fields are not usable.
pub fn check_group_line(bytes: &[u8], now: i64) -> (Option<CheckedGroup>, Vec<Finding>) {
    let mut obj = match object(bytes) {
        Ok(obj) => obj,
        Err(f) => return (None, vec![f]),
    };
    let mut findings = Vec::new();
    let mut ok = true;
    let mut check = |r: Result<(), Finding>| {
        if let Err(f) = r {
            ok &= !f.is_error();
            findings.push(f);
        }
    };

    let group_id = match obj.get("GroupId") {
        None => Err(missing(
            "GroupId",
            "the group's id (a string; timport needs it to find the group again)",
        )),
        Some(Value::String(id)) => Ok(id.clone()),
        Some(other) => Err(wrong_type("GroupId", "a string", other)),
    };
    let group_id = match group_id {
        Ok(id) => {
            for f in Target::new(&id, None).check() {
                check(Err(f));
            }
            Some(id)
        }
        Err(f) => {
            check(Err(f));
            None
        }
    };

    let group_type = match obj.get("Type") {
        None => Err(missing(
            "Type",
            "Private (Work), Public, ChatRoom (Meeting) or Community",
        )),
        Some(Value::String(t)) => match GroupType::parse(t) {
            GroupType::AVChatRoom => Err(group_field(
                "Type",
                "AVChatRoom groups keep no history: import_group refuses them (10007) and so does import_group_msg".into(),
            )),
            GroupType::Other(t) => Err(group_field(
                "Type",
                format!("Type {t:?} is not Private (Work), Public, ChatRoom (Meeting) or Community"),
            )),
            known => Ok(known),
        },
        Some(other) => Err(wrong_type("Type", "a string", other)),
    };
    let group_type = group_type.map_err(|f| check(Err(f))).ok();

    let name = match string(
        &obj,
        "Name",
        "Name",
        MAX_GROUP_NAME_BYTES,
        ProblemKind::GroupField,
    ) {
        Ok(None) => Err(missing("Name", "the group's name (1 to 30 bytes)")),
        Ok(Some(n)) if n.is_empty() => Err(group_field("Name", "Name is empty".into())),
        Ok(Some(n)) => Ok(n),
        Err(f) => Err(f),
    };
    let name = name.map_err(|f| check(Err(f))).ok();

    let owner = user_id(&obj, "Owner_Account", "Owner_Account", false)
        .map_err(|f| check(Err(f)))
        .ok()
        .flatten();

    let create_time = match integer(&obj, "CreateTime", "CreateTime") {
        Ok(Some(t)) if t <= 0 || t > now => Err(Finding::error(
            ProblemKind::CreateTime,
            Some("CreateTime"),
            format!(
                "CreateTime {t} is not between 1970 and now ({}); the service refuses it",
                format_unix(now)
            ),
        )),
        other => other,
    };
    let create_time = create_time.map_err(|f| check(Err(f))).ok().flatten();

    for (field, max) in [
        ("Introduction", MAX_INTRODUCTION_BYTES),
        ("Notification", MAX_NOTIFICATION_BYTES),
        ("FaceUrl", MAX_GROUP_FACE_URL_BYTES),
    ] {
        check(string(&obj, field, field, max, ProblemKind::GroupField).map(|_| ()));
    }
    check(match integer(&obj, "MaxMemberCount", "MaxMemberCount") {
        Ok(Some(n)) if n <= 0 => Err(group_field(
            "MaxMemberCount",
            format!("MaxMemberCount {n} must be positive"),
        )),
        other => other.map(|_| ()),
    });
    check(match obj.get("ApplyJoinOption") {
        None => Ok(()),
        Some(Value::String(o)) if APPLY_JOIN_OPTIONS.contains(&o.as_str()) => Ok(()),
        Some(Value::String(o)) => Err(group_field(
            "ApplyJoinOption",
            format!(
                "ApplyJoinOption {o:?} is not one of {}",
                APPLY_JOIN_OPTIONS.join(", ")
            ),
        )),
        Some(other) => Err(wrong_type("ApplyJoinOption", "a string", other)),
    });
    check(match integer(&obj, "SupportTopic", "SupportTopic") {
        Ok(None | Some(0)) => Ok(()),
        Ok(Some(1)) if group_type.as_ref() == Some(&GroupType::Community) => Ok(()),
        Ok(Some(1)) => Err(group_field(
            "SupportTopic",
            "SupportTopic is for Community groups only".into(),
        )),
        Ok(Some(n)) => Err(group_field(
            "SupportTopic",
            format!("SupportTopic {n} must be 0 or 1"),
        )),
        Err(f) => Err(f),
    });
    check(match obj.get("AppDefinedData") {
        None | Some(Value::Array(_)) => Ok(()),
        Some(other) => Err(wrong_type(
            "AppDefinedData",
            "an array of {Key, Value}",
            other,
        )),
    });
    for name in obj.keys().filter(|k| !GROUP_FIELDS.contains(&k.as_str())) {
        check(Err(Finding::warning(
            ProblemKind::UnknownField,
            Some(name),
            format!("{name} is not a field timport knows in import_group; it is sent as given"),
        )));
    }

    let member_list = obj.shift_remove("MemberList");
    let members = match member_list {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let (members, member_findings) =
                check_members(&items, create_time, now, group_type.as_ref());
            for f in member_findings {
                // A member's problem costs that member, not the group.
                findings.push(f);
            }
            members
        }
        Some(other) => {
            findings.push(wrong_type("MemberList", "an array of members", &other));
            Vec::new()
        }
    };
    let staged = match (ok, group_id, group_type, name) {
        (true, Some(group_id), Some(group_type), Some(name)) => Some(CheckedGroup {
            body: Value::Object(obj).to_string(),
            group_id,
            group_type,
            name,
            owner,
            create_time,
            members,
        }),
        _ => None,
    };
    (staged, findings)
}

/// The usable members and every problem of `MemberList`.
fn check_members(
    items: &[Value],
    create_time: Option<i64>,
    now: i64,
    group_type: Option<&GroupType>,
) -> (Vec<StagedMember>, Vec<Finding>) {
    let mut members = Vec::new();
    let mut findings = Vec::new();
    let mut seen = HashSet::new();
    let keeps_unread = group_type.is_none_or(GroupType::keeps_unread_counts);
    for (index, item) in items.iter().enumerate() {
        let at = |field: &str| format!("MemberList[{index}].{field}");
        let Value::Object(obj) = item else {
            findings.push(wrong_type(
                &format!("MemberList[{index}]"),
                "an object",
                item,
            ));
            continue;
        };
        let mut errors = Vec::new();
        let account = user_id(obj, "Member_Account", &at("Member_Account"), true);
        let role = match string(obj, "Role", &at("Role"), 32, ProblemKind::MemberRole) {
            Ok(Some(r)) if r != "Admin" => Err(Finding::error(
                ProblemKind::MemberRole,
                Some(&at("Role")),
                format!(
                    "Role {r:?}: import_group_member takes only Admin (leave Role out for a plain member)"
                ),
            )),
            other => other,
        };
        let join_time = match integer(obj, "JoinTime", &at("JoinTime")) {
            Ok(Some(t)) if t >= now => Err(Finding::error(
                ProblemKind::JoinTime,
                Some(&at("JoinTime")),
                format!(
                    "JoinTime {t} ({}) is not earlier than now: the service does not add the member",
                    format_unix(t)
                ),
            )),
            Ok(Some(t)) if create_time.is_some_and(|c| t <= c) => Err(Finding::error(
                ProblemKind::JoinTime,
                Some(&at("JoinTime")),
                format!(
                    "JoinTime {t} ({}) is not later than the group's CreateTime {} ({}): the service does not add the member",
                    format_unix(t),
                    create_time.unwrap_or_default(),
                    format_unix(create_time.unwrap_or_default())
                ),
            )),
            other => other,
        };
        let unread = match integer(obj, "UnreadMsgNum", &at("UnreadMsgNum")) {
            Ok(Some(n)) if n < 0 => Err(Finding::error(
                ProblemKind::WrongType,
                Some(&at("UnreadMsgNum")),
                format!("UnreadMsgNum {n} must not be negative"),
            )),
            Ok(Some(n)) if !keeps_unread => {
                findings.push(Finding::warning(
                    ProblemKind::GroupField,
                    Some(&at("UnreadMsgNum")),
                    format!("ChatRoom groups keep no unread counts: UnreadMsgNum {n} is not sent"),
                ));
                // Kept as staged: the plan leaves it out of the request, the run records it
                // skipped.
                Ok(Some(n as u64))
            }
            Ok(n) => Ok(n.map(|n| n as u64)),
            Err(f) => Err(f),
        };
        for name in obj.keys().filter(|k| !MEMBER_FIELDS.contains(&k.as_str())) {
            findings.push(Finding::warning(
                ProblemKind::UnknownField,
                Some(&at(name)),
                format!("{name} is not a field of import_group_member and is not sent"),
            ));
        }
        let account = account.map_err(|f| errors.push(f)).ok().flatten();
        let role = role.map_err(|f| errors.push(f)).ok().flatten();
        let join_time = join_time.map_err(|f| errors.push(f)).ok().flatten();
        let unread = unread.map_err(|f| errors.push(f)).ok().flatten();
        if let Some(account) = &account {
            if !seen.insert(account.clone()) {
                errors.push(Finding::error(
                    ProblemKind::DuplicateId,
                    Some(&at("Member_Account")),
                    format!("{account:?} is listed twice in this group's MemberList"),
                ));
            }
        }
        let usable = errors.is_empty();
        findings.extend(errors);
        if let (true, Some(member_account)) = (usable, account) {
            members.push(StagedMember {
                item: MemberItem {
                    member_account,
                    role,
                    join_time,
                    unread_msg_num: unread,
                },
                index,
            });
        }
    }
    (members, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn check(line: &str) -> (Option<CheckedGroup>, Vec<(ProblemKind, Option<String>)>) {
        let (g, f) = check_group_line(line.as_bytes(), NOW);
        (g, f.into_iter().map(|f| (f.kind, f.field)).collect())
    }

    fn field(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn a_group_line_gives_its_body_without_the_members_in_its_own_order() {
        let line = r#"{"Name":"Ops","GroupId":"ops","Type":"Work","CreateTime":1600000000,"Owner_Account":"olga","MemberList":[{"Member_Account":"ann","JoinTime":1600000100,"UnreadMsgNum":3,"Role":"Admin"},{"Member_Account":"bob"}],"ApplyJoinOption":"FreeAccess"}"#;
        let (g, problems) = check(line);
        assert!(problems.is_empty(), "{problems:?}");
        let g = g.unwrap();
        assert_eq!(
            g.body,
            r#"{"Name":"Ops","GroupId":"ops","Type":"Work","CreateTime":1600000000,"Owner_Account":"olga","ApplyJoinOption":"FreeAccess"}"#
        );
        assert_eq!(
            (g.group_type, g.owner.as_deref(), g.create_time),
            (GroupType::Private, Some("olga"), Some(1_600_000_000))
        );
        assert_eq!(g.members.len(), 2);
        assert_eq!(
            serde_json::to_string(&g.members[0].item).unwrap(),
            r#"{"Member_Account":"ann","Role":"Admin","JoinTime":1600000100,"UnreadMsgNum":3}"#
        );
        assert_eq!(g.members[1].index, 1);
    }

    #[test]
    fn group_fields_follow_the_documented_types_and_sizes() {
        let base = |extra: &str| {
            format!(
                r#"{{"GroupId":"g","Type":"Public","Name":"N","CreateTime":1600000000{extra}}}"#
            )
        };
        let cases: Vec<(String, ProblemKind, &str)> = vec![
            (
                r#"{"Type":"Public","Name":"N"}"#.into(),
                ProblemKind::MissingField,
                "GroupId",
            ),
            (
                r#"{"GroupId":"g","Name":"N"}"#.into(),
                ProblemKind::MissingField,
                "Type",
            ),
            (
                r#"{"GroupId":"g","Type":"AVChatRoom","Name":"N"}"#.into(),
                ProblemKind::GroupField,
                "Type",
            ),
            (
                r#"{"GroupId":"g","Type":"Square","Name":"N"}"#.into(),
                ProblemKind::GroupField,
                "Type",
            ),
            (
                r#"{"GroupId":"g","Type":"Public"}"#.into(),
                ProblemKind::MissingField,
                "Name",
            ),
            (
                format!(
                    r#"{{"GroupId":"g","Type":"Public","Name":"{}"}}"#,
                    "n".repeat(31)
                ),
                ProblemKind::GroupField,
                "Name",
            ),
            (
                format!(
                    r#"{{"GroupId":"{}","Type":"Public","Name":"N"}}"#,
                    "g".repeat(49)
                ),
                ProblemKind::GroupId,
                "GroupId",
            ),
            (
                base(r#","Owner_Account":"""#),
                ProblemKind::AccountId,
                "Owner_Account",
            ),
            (
                r#"{"GroupId":"g","Type":"Public","Name":"N","CreateTime":1800000000}"#.into(),
                ProblemKind::CreateTime,
                "CreateTime",
            ),
            (
                r#"{"GroupId":"g","Type":"Public","Name":"N","CreateTime":"x"}"#.into(),
                ProblemKind::WrongType,
                "CreateTime",
            ),
            (
                base(&format!(r#","Introduction":"{}""#, "i".repeat(241))),
                ProblemKind::GroupField,
                "Introduction",
            ),
            (
                base(&format!(r#","Notification":"{}""#, "i".repeat(301))),
                ProblemKind::GroupField,
                "Notification",
            ),
            (
                base(&format!(r#","FaceUrl":"{}""#, "i".repeat(101))),
                ProblemKind::GroupField,
                "FaceUrl",
            ),
            (
                base(r#","MaxMemberCount":0"#),
                ProblemKind::GroupField,
                "MaxMemberCount",
            ),
            (
                base(r#","ApplyJoinOption":"Maybe""#),
                ProblemKind::GroupField,
                "ApplyJoinOption",
            ),
            (
                base(r#","SupportTopic":1"#),
                ProblemKind::GroupField,
                "SupportTopic",
            ),
            (
                base(r#","AppDefinedData":{}"#),
                ProblemKind::WrongType,
                "AppDefinedData",
            ),
            (
                base(r#","MemberList":{}"#),
                ProblemKind::WrongType,
                "MemberList",
            ),
        ];
        for (line, kind, f) in cases {
            let (_, problems) = check(&line);
            assert!(problems.contains(&(kind, field(f))), "{line}: {problems:?}");
        }
        let (g, problems) = check(&base(r#","Colour":"red""#));
        assert_eq!(problems, [(ProblemKind::UnknownField, field("Colour"))]);
        assert!(g.unwrap().body.contains("Colour"), "sent as given");
        let (g, problems) =
            check(r#"{"GroupId":"@TGS#_c","Type":"Community","Name":"C","SupportTopic":1}"#);
        assert!(problems.is_empty() && g.is_some());
    }

    #[test]
    fn members_are_checked_one_by_one() {
        let line =
            r#"{"GroupId":"g","Type":"Public","Name":"N","CreateTime":1600000000,"MemberList":[
            {"Member_Account":"a","JoinTime":1600000000},
            {"Member_Account":"b","JoinTime":1800000000},
            {"Member_Account":"c","Role":"Owner"},
            {"Member_Account":"d","UnreadMsgNum":-1},
            {"Member_Account":"e","Nick":"x"},
            {"Member_Account":"e"},
            {"JoinTime":1600000001},
            7
        ]}"#
            .replace('\n', "");
        let (g, problems) = check(&line);
        assert_eq!(
            problems,
            [
                (ProblemKind::JoinTime, field("MemberList[0].JoinTime")),
                (ProblemKind::JoinTime, field("MemberList[1].JoinTime")),
                (ProblemKind::MemberRole, field("MemberList[2].Role")),
                (ProblemKind::WrongType, field("MemberList[3].UnreadMsgNum")),
                (ProblemKind::UnknownField, field("MemberList[4].Nick")),
                (
                    ProblemKind::DuplicateId,
                    field("MemberList[5].Member_Account")
                ),
                (
                    ProblemKind::MissingField,
                    field("MemberList[6].Member_Account")
                ),
                (ProblemKind::WrongType, field("MemberList[7]")),
            ]
        );
        let g = g.expect("the group itself is fine");
        let kept: Vec<&str> = g
            .members
            .iter()
            .map(|m| m.item.member_account.as_str())
            .collect();
        assert_eq!(kept, ["e"], "a member's problem costs that member");
    }

    #[test]
    fn chat_rooms_send_no_unread_counts() {
        let (g, problems) = check(
            r#"{"GroupId":"r","Type":"Meeting","Name":"R","MemberList":[{"Member_Account":"a","UnreadMsgNum":2}]}"#,
        );
        assert_eq!(
            problems,
            [(ProblemKind::GroupField, field("MemberList[0].UnreadMsgNum"))]
        );
        assert_eq!(
            g.unwrap().members[0].item.unread_msg_num,
            Some(2),
            "kept as staged; the plan leaves it out"
        );
    }
}
