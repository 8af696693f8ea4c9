//! The service's request and answer shapes, with the service's own field names.
//!
//! Message elements are stored exactly as given (a JSON value, key order kept) so that no content
//! is ever lost or reshaped on its way from a staged file to the request bytes; the four element
//! types the import page documents have typed views on top ([`MsgElement::typed`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A REST command timport can call, with its path under `/v4/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// `group_open_http_svc/import_group_msg`
    ImportGroupMsg,
    /// `group_open_http_svc/get_appid_group_list`
    GetAppidGroupList,
    /// `group_open_http_svc/get_group_info`
    GetGroupInfo,
    /// `group_open_http_svc/group_msg_get_simple`
    GroupMsgGetSimple,
    /// `im_open_login_svc/account_check`
    AccountCheck,
    /// `group_open_http_svc/import_group`
    ImportGroup,
    /// `group_open_http_svc/import_group_member`
    ImportGroupMember,
}

impl Command {
    /// Every command, for tables and the sandbox's router.
    pub const ALL: [Command; 7] = [
        Command::ImportGroupMsg,
        Command::GetAppidGroupList,
        Command::GetGroupInfo,
        Command::GroupMsgGetSimple,
        Command::AccountCheck,
        Command::ImportGroup,
        Command::ImportGroupMember,
    ];

    /// The path after `/v4/`.
    pub fn path(self) -> &'static str {
        match self {
            Command::ImportGroupMsg => "group_open_http_svc/import_group_msg",
            Command::GetAppidGroupList => "group_open_http_svc/get_appid_group_list",
            Command::GetGroupInfo => "group_open_http_svc/get_group_info",
            Command::GroupMsgGetSimple => "group_open_http_svc/group_msg_get_simple",
            Command::AccountCheck => "im_open_login_svc/account_check",
            Command::ImportGroup => "group_open_http_svc/import_group",
            Command::ImportGroupMember => "group_open_http_svc/import_group_member",
        }
    }

    /// The last path segment, e.g. `import_group_msg`.
    pub fn name(self) -> &'static str {
        self.path().rsplit('/').next().unwrap_or_default()
    }

    /// The command whose path is `path` (after `/v4/`).
    pub fn from_path(path: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.path() == path)
    }
}

/// The envelope every answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// `OK` or `FAIL`.
    #[serde(rename = "ActionStatus")]
    pub action_status: String,
    /// 0 on success.
    #[serde(rename = "ErrorCode")]
    pub error_code: i64,
    /// The service's own words; often empty.
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
}

impl Envelope {
    /// A successful envelope.
    pub fn ok() -> Self {
        Envelope {
            action_status: "OK".into(),
            error_code: 0,
            error_info: String::new(),
        }
    }

    /// A failed envelope with the code and text.
    pub fn fail(code: i64, info: impl Into<String>) -> Self {
        Envelope {
            action_status: "FAIL".into(),
            error_code: code,
            error_info: info.into(),
        }
    }

    /// True when the call succeeded (both fields agree it did).
    pub fn is_ok(&self) -> bool {
        self.error_code == 0 && self.action_status == "OK"
    }
}

/// The element types the import page documents.
pub const TEXT: &str = "TIMTextElem";
/// Emoji element.
pub const FACE: &str = "TIMFaceElem";
/// Location element.
pub const LOCATION: &str = "TIMLocationElem";
/// Custom element (at most one per message).
pub const CUSTOM: &str = "TIMCustomElem";
/// The four element types `import_group_msg` documents.
pub const DOCUMENTED_ELEMENT_TYPES: [&str; 4] = [TEXT, FACE, LOCATION, CUSTOM];

/// One element of `MsgBody`: `{"MsgType": ..., "MsgContent": {...}}`, kept exactly as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgElement(pub Value);

/// A typed view of an element of one of the four documented types.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedElement<'a> {
    /// `TIMTextElem`
    Text {
        /// `Text`
        text: &'a str,
    },
    /// `TIMFaceElem`
    Face {
        /// `Index`
        index: i64,
        /// `Data`
        data: Option<&'a str>,
    },
    /// `TIMLocationElem`
    Location {
        /// `Desc`
        desc: Option<&'a str>,
        /// `Latitude`
        latitude: f64,
        /// `Longitude`
        longitude: f64,
    },
    /// `TIMCustomElem`
    Custom {
        /// `Data`
        data: Option<&'a str>,
        /// `Desc`
        desc: Option<&'a str>,
        /// `Ext`
        ext: Option<&'a str>,
        /// `Sound`
        sound: Option<&'a str>,
    },
    /// Any other type, or a documented type whose required fields are missing.
    Other {
        /// `MsgType`, when it is a string.
        msg_type: Option<&'a str>,
        /// `MsgContent`, when present.
        content: Option<&'a Value>,
    },
}

impl MsgElement {
    /// A text element.
    pub fn text(text: &str) -> Self {
        MsgElement(serde_json::json!({"MsgType": TEXT, "MsgContent": {"Text": text}}))
    }

    /// An emoji element.
    pub fn face(index: i64, data: &str) -> Self {
        MsgElement(
            serde_json::json!({"MsgType": FACE, "MsgContent": {"Index": index, "Data": data}}),
        )
    }

    /// A location element.
    pub fn location(desc: &str, latitude: f64, longitude: f64) -> Self {
        MsgElement(serde_json::json!({"MsgType": LOCATION, "MsgContent": {
            "Desc": desc, "Latitude": latitude, "Longitude": longitude}}))
    }

    /// A custom element.
    pub fn custom(data: &str, desc: &str, ext: &str, sound: &str) -> Self {
        MsgElement(serde_json::json!({"MsgType": CUSTOM, "MsgContent": {
            "Data": data, "Desc": desc, "Ext": ext, "Sound": sound}}))
    }

    /// `MsgType`, when it is a string.
    pub fn msg_type(&self) -> Option<&str> {
        self.0.get("MsgType").and_then(Value::as_str)
    }

    /// `MsgContent`, when present.
    pub fn content(&self) -> Option<&Value> {
        self.0.get("MsgContent")
    }

    /// The typed view; documented types missing a required field come back as `Other`.
    pub fn typed(&self) -> TypedElement<'_> {
        let content = self.content();
        let s = |name: &str| content.and_then(|c| c.get(name)).and_then(Value::as_str);
        let n = |name: &str| content.and_then(|c| c.get(name)).and_then(Value::as_f64);
        let typed = match self.msg_type() {
            Some(TEXT) => s("Text").map(|text| TypedElement::Text { text }),
            Some(FACE) => content
                .and_then(|c| c.get("Index"))
                .and_then(Value::as_i64)
                .map(|index| TypedElement::Face {
                    index,
                    data: s("Data"),
                }),
            Some(LOCATION) => match (n("Latitude"), n("Longitude")) {
                (Some(latitude), Some(longitude)) => Some(TypedElement::Location {
                    desc: s("Desc"),
                    latitude,
                    longitude,
                }),
                _ => None,
            },
            Some(CUSTOM) if content.is_some_and(Value::is_object) => Some(TypedElement::Custom {
                data: s("Data"),
                desc: s("Desc"),
                ext: s("Ext"),
                sound: s("Sound"),
            }),
            _ => None,
        };
        typed.unwrap_or(TypedElement::Other {
            msg_type: self.msg_type(),
            content,
        })
    }

    /// A short human summary: the text, or `[TIMFaceElem]`-style tags for other types.
    pub fn summary(&self) -> String {
        match self.typed() {
            TypedElement::Text { text } => text.to_owned(),
            TypedElement::Face { index, .. } => format!("[face {index}]"),
            TypedElement::Location { desc, .. } => {
                format!("[location {}]", desc.unwrap_or_default())
            }
            TypedElement::Custom { desc, .. } => format!("[custom {}]", desc.unwrap_or_default()),
            TypedElement::Other { msg_type, .. } => format!("[{}]", msg_type.unwrap_or("?")),
        }
    }
}

/// One message of `import_group_msg`'s `MsgList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportMsg {
    /// The sender's UserID.
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// Unix seconds.
    #[serde(rename = "SendTime")]
    pub send_time: i64,
    /// De-duplication key: the same Random within 5 minutes drops the later message.
    #[serde(rename = "Random", default, skip_serializing_if = "Option::is_none")]
    pub random: Option<u32>,
    /// The elements.
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
}

impl ImportMsg {
    /// The first words of the message, for result lists.
    pub fn summary(&self) -> String {
        self.msg_body
            .iter()
            .map(MsgElement::summary)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The body of `import_group_msg`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportGroupMsgRequest {
    /// The target group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// 1 = update members' conversation lists; not for Community or AVChatRoom groups.
    #[serde(
        rename = "RecentContactFlag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recent_contact_flag: Option<u8>,
    /// Topic of a topic-enabled Community group.
    #[serde(rename = "TopicId", default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    /// At most 7 messages, ascending by `SendTime`.
    #[serde(rename = "MsgList")]
    pub msg_list: Vec<ImportMsg>,
}

/// One entry of `ImportMsgResult`, in request order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMsgResult {
    /// 0 imported; 10004 bad send time; 80001 content filter; 80002 too long.
    #[serde(rename = "Result")]
    pub result: i64,
    /// The message's time as stored.
    #[serde(rename = "MsgTime", default)]
    pub msg_time: i64,
    /// The group sequence number assigned (meaningful when `result` is 0).
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
}

/// The answer of `import_group_msg` (after the envelope).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupMsgResponse {
    /// One result per message, in request order.
    #[serde(rename = "ImportMsgResult", default)]
    pub import_msg_result: Vec<ImportMsgResult>,
}

/// The body of `get_appid_group_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAppidGroupListRequest {
    /// At most 10000 per page.
    #[serde(rename = "Limit", default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The previous answer's `Next`; a 64-bit value.
    #[serde(rename = "Next", default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
    /// Only this type.
    #[serde(rename = "GroupType", default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
}

/// One entry of `GroupIdList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupIdItem {
    /// The group id.
    #[serde(rename = "GroupId")]
    pub group_id: String,
}

/// The answer of `get_appid_group_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAppidGroupListResponse {
    /// Groups in the app (of the type asked), regardless of paging.
    #[serde(rename = "TotalCount", default)]
    pub total_count: u64,
    /// This page.
    #[serde(rename = "GroupIdList", default)]
    pub group_id_list: Vec<GroupIdItem>,
    /// 0 when finished, else the cursor for the next page (64-bit).
    #[serde(rename = "Next", default)]
    pub next: u64,
}

/// `ResponseFilter` of `get_group_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFilter {
    /// Base fields to return, e.g. `Type`, `CreateTime`, `LastMsgTime`.
    #[serde(
        rename = "GroupBaseInfoFilter",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_base_info_filter: Vec<String>,
}

/// The body of `get_group_info` (at most 50 ids).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetGroupInfoRequest {
    /// At most 50 group ids.
    #[serde(rename = "GroupIdList")]
    pub group_id_list: Vec<String>,
    /// Which fields to return.
    #[serde(
        rename = "ResponseFilter",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub response_filter: Option<ResponseFilter>,
}

/// The base fields timport asks `get_group_info` for.
pub const GROUP_INFO_FIELDS: [&str; 9] = [
    "Type",
    "Name",
    "Owner_Account",
    "CreateTime",
    "LastMsgTime",
    "NextMsgSeq",
    "MemberNum",
    "MaxMemberNum",
    "AppDefinedData",
];

/// One group of `get_group_info`'s answer; each has its own error code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// 0, or why this group could not be read (10010, 10015, ...).
    #[serde(rename = "ErrorCode", default)]
    pub error_code: i64,
    /// The service's words.
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
    /// The group id.
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
    /// `Private`, `Public`, `ChatRoom`, `AVChatRoom`, `Community`, ...
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    /// Display name.
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Owner.
    #[serde(
        rename = "Owner_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_account: Option<String>,
    /// Unix seconds.
    #[serde(
        rename = "CreateTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<i64>,
    /// Unix seconds of the newest message; 0 when none.
    #[serde(
        rename = "LastMsgTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_msg_time: Option<i64>,
    /// The sequence the next message will get.
    #[serde(
        rename = "NextMsgSeq",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_msg_seq: Option<u64>,
    /// Members now.
    #[serde(rename = "MemberNum", default, skip_serializing_if = "Option::is_none")]
    pub member_num: Option<u64>,
    /// Member limit.
    #[serde(
        rename = "MaxMemberNum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_member_num: Option<u64>,
}

/// The answer of `get_group_info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetGroupInfoResponse {
    /// One entry per requested id.
    #[serde(rename = "GroupInfo", default)]
    pub group_info: Vec<GroupInfo>,
}

/// A group's type, as far as importing is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupType {
    /// Private, also called Work.
    Private,
    /// Public.
    Public,
    /// ChatRoom, also called Meeting.
    ChatRoom,
    /// AVChatRoom: cannot be imported into (10007).
    AVChatRoom,
    /// Community (topics possible; no `RecentContactFlag`).
    Community,
    /// Anything else the service answers.
    Other(String),
}

impl GroupType {
    /// Parses the service's `Type` (accepting the new names Work and Meeting).
    pub fn parse(s: &str) -> GroupType {
        match s {
            "Private" | "Work" => GroupType::Private,
            "Public" => GroupType::Public,
            "ChatRoom" | "Meeting" => GroupType::ChatRoom,
            "AVChatRoom" => GroupType::AVChatRoom,
            "Community" => GroupType::Community,
            other => GroupType::Other(other.to_owned()),
        }
    }

    /// The service's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            GroupType::Private => "Private",
            GroupType::Public => "Public",
            GroupType::ChatRoom => "ChatRoom",
            GroupType::AVChatRoom => "AVChatRoom",
            GroupType::Community => "Community",
            GroupType::Other(s) => s,
        }
    }

    /// Whether `import_group_msg` accepts this type.
    pub fn can_import(&self) -> bool {
        matches!(
            self,
            GroupType::Private | GroupType::Public | GroupType::ChatRoom | GroupType::Community
        )
    }

    /// Whether `RecentContactFlag` may be sent.
    pub fn allows_recent_contact_flag(&self) -> bool {
        matches!(
            self,
            GroupType::Private | GroupType::Public | GroupType::ChatRoom
        )
    }
}

/// The body of `group_msg_get_simple`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleRequest {
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// How many (at most 20 come back).
    #[serde(rename = "ReqMsgNumber")]
    pub req_msg_number: u32,
    /// Only messages with seq at most this; absent = newest.
    #[serde(rename = "ReqMsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub req_msg_seq: Option<u64>,
    /// 1 = include recalled messages.
    #[serde(
        rename = "WithRecalledMsg",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub with_recalled_msg: Option<u8>,
    /// Topic of a Community group.
    #[serde(rename = "TopicId", default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
}

/// One message read back by `group_msg_get_simple`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RspMsg {
    /// Sender.
    #[serde(rename = "From_Account", default)]
    pub from_account: String,
    /// 1 = deleted/expired hole, 2 = recalled.
    #[serde(rename = "IsPlaceMsg", default)]
    pub is_place_msg: u8,
    /// 1 = a system message (join/leave notices).
    #[serde(rename = "IsSystemMsg", default)]
    pub is_system_msg: u8,
    /// The message's Random.
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: u32,
    /// Group sequence.
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
    /// Unix seconds.
    #[serde(rename = "MsgTimeStamp", default)]
    pub msg_time_stamp: i64,
    /// Elements.
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Vec<MsgElement>,
}

/// The answer of `group_msg_get_simple`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleResponse {
    /// The group.
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
    /// 1 = everything asked came back.
    #[serde(rename = "IsFinished", default)]
    pub is_finished: u8,
    /// Newest first.
    #[serde(rename = "RspMsgList", default)]
    pub rsp_msg_list: Vec<RspMsg>,
}

/// One account to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// The account.
    #[serde(rename = "UserID")]
    pub user_id: String,
}

/// The body of `account_check` (at most 100 accounts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckRequest {
    /// Accounts to check.
    #[serde(rename = "CheckItem")]
    pub check_item: Vec<CheckItem>,
}

/// One answer of `account_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckResult {
    /// The account.
    #[serde(rename = "UserID")]
    pub user_id: String,
    /// 0 = checked.
    #[serde(rename = "ResultCode", default)]
    pub result_code: i64,
    /// Words.
    #[serde(rename = "ResultInfo", default)]
    pub result_info: String,
    /// `Imported` or `NotImported`.
    #[serde(rename = "AccountStatus", default)]
    pub account_status: String,
}

impl AccountCheckResult {
    /// True when the account exists.
    pub fn is_imported(&self) -> bool {
        self.result_code == 0 && self.account_status == "Imported"
    }
}

/// The answer of `account_check`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckResponse {
    /// One per account asked.
    #[serde(rename = "ResultItem", default)]
    pub result_item: Vec<AccountCheckResult>,
}

/// The body of `import_group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupRequest {
    /// `Private`, `Public`, `ChatRoom` or `Community`.
    #[serde(rename = "Type")]
    pub group_type: String,
    /// At most 30 bytes.
    #[serde(rename = "Name")]
    pub name: String,
    /// Owner (an imported account).
    #[serde(
        rename = "Owner_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_account: Option<String>,
    /// A custom id; else the service assigns one.
    #[serde(rename = "GroupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Unix seconds; must be at or before the earliest message to import.
    #[serde(
        rename = "CreateTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<i64>,
    /// Community only: 1 = topics enabled.
    #[serde(
        rename = "SupportTopic",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub support_topic: Option<u8>,
}

/// The answer of `import_group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupResponse {
    /// The group's id.
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
}

/// One member to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberItem {
    /// The account.
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// Only `Admin` is supported; absent = member.
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Unix seconds, after the group's creation and before now.
    #[serde(rename = "JoinTime", default, skip_serializing_if = "Option::is_none")]
    pub join_time: Option<i64>,
    /// Unread count to set.
    #[serde(
        rename = "UnreadMsgNum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub unread_msg_num: Option<u64>,
}

/// The body of `import_group_member` (at most 20 members to be safe).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupMemberRequest {
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// The members.
    #[serde(rename = "MemberList")]
    pub member_list: Vec<MemberItem>,
}

/// One member's result: 0 failed, 1 imported, 2 already a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberResult {
    /// The account.
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// 0 failed, 1 imported, 2 already a member.
    #[serde(rename = "Result")]
    pub result: u8,
}

/// The answer of `import_group_member`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupMemberResponse {
    /// One per member.
    #[serde(rename = "MemberList", default)]
    pub member_list: Vec<MemberResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_round_trip_unchanged_in_key_order_and_unknown_types() {
        let line = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Zeta":1,"Text":"hi"}},{"MsgType":"TIMImageElem","MsgContent":{"UUID":"u","ImageFormat":1}},{"MsgContent":{"Index":6,"Data":"abc\u0000"},"MsgType":"TIMFaceElem"}]"#;
        let body: Vec<MsgElement> = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), line);
        assert_eq!(body[0].typed(), TypedElement::Text { text: "hi" });
        assert!(matches!(
            body[1].typed(),
            TypedElement::Other {
                msg_type: Some("TIMImageElem"),
                ..
            }
        ));
        assert_eq!(
            body[2].typed(),
            TypedElement::Face {
                index: 6,
                data: Some("abc\0")
            }
        );
    }

    #[test]
    fn typed_views_and_summaries() {
        assert_eq!(MsgElement::text("red packet").summary(), "red packet");
        assert_eq!(MsgElement::face(6, "x").summary(), "[face 6]");
        assert!(matches!(
            MsgElement::location("Shenzhen", 22.5, 114.1).typed(),
            TypedElement::Location { latitude, .. } if latitude == 22.5
        ));
        assert!(matches!(
            MsgElement::custom("d", "", "", "").typed(),
            TypedElement::Custom {
                data: Some("d"),
                ..
            }
        ));
        let broken = MsgElement(serde_json::json!({"MsgType": "TIMTextElem", "MsgContent": {}}));
        assert!(matches!(broken.typed(), TypedElement::Other { .. }));
    }

    #[test]
    fn request_uses_the_services_field_names() {
        let req = ImportGroupMsgRequest {
            group_id: "@TGS#2C5SZEAEF".into(),
            recent_contact_flag: Some(1),
            topic_id: None,
            msg_list: vec![ImportMsg {
                from_account: "leckie".into(),
                send_time: 1_620_808_101,
                random: Some(8_912_345),
                msg_body: vec![MsgElement::text("red packet")],
            }],
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"GroupId":"@TGS#2C5SZEAEF","RecentContactFlag":1,"MsgList":[{"From_Account":"leckie","SendTime":1620808101,"Random":8912345,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}}]}]}"#
        );
    }

    #[test]
    fn next_cursor_is_64_bit() {
        let answer: GetAppidGroupListResponse = serde_json::from_str(
            r#"{"TotalCount":2,"GroupIdList":[{"GroupId":"a"}],"Next":9040992949}"#,
        )
        .unwrap();
        assert_eq!(answer.next, 9_040_992_949);
    }

    #[test]
    fn commands_have_their_paths() {
        for c in Command::ALL {
            assert_eq!(Command::from_path(c.path()), Some(c));
        }
        assert_eq!(
            Command::AccountCheck.path(),
            "im_open_login_svc/account_check"
        );
        assert_eq!(Command::ImportGroupMsg.name(), "import_group_msg");
        assert!(!GroupType::parse("AVChatRoom").can_import());
        assert!(GroupType::parse("Work").can_import());
        assert!(!GroupType::Community.allows_recent_contact_flag());
    }
}
