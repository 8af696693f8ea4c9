//! Groups: `get_appid_group_list`, `get_group_info` (and what a group's type allows),
//! `import_group`, `import_group_member`, `set_unread_msg_num` and `get_group_member_info`.

use serde::{Deserialize, Serialize};

/// Longest group `Name` `import_group` takes, in bytes.
pub const MAX_GROUP_NAME_BYTES: usize = 30;
/// Longest `Introduction`, in bytes.
pub const MAX_INTRODUCTION_BYTES: usize = 240;
/// Longest `Notification`, in bytes.
pub const MAX_NOTIFICATION_BYTES: usize = 300;
/// Longest group `FaceUrl`, in bytes.
pub const MAX_GROUP_FACE_URL_BYTES: usize = 100;
/// The values `ApplyJoinOption` takes.
pub const APPLY_JOIN_OPTIONS: [&str; 3] = ["FreeAccess", "NeedPermission", "DisableApply"];

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
    /// At most 240 bytes.
    #[serde(
        rename = "Introduction",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub introduction: Option<String>,
    /// At most 300 bytes.
    #[serde(
        rename = "Notification",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub notification: Option<String>,
    /// At most 100 bytes.
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
    /// Member limit.
    #[serde(
        rename = "MaxMemberCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_member_count: Option<u64>,
    /// `FreeAccess`, `NeedPermission` or `DisableApply`.
    #[serde(
        rename = "ApplyJoinOption",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub apply_join_option: Option<String>,
    /// `[{"Key": .., "Value": ..}]`, passed on as given.
    #[serde(
        rename = "AppDefinedData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub app_defined_data: Option<serde_json::Value>,
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

/// The body of `set_unread_msg_num`: one member's unread count (the service clamps it to the
/// group's message count).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetUnreadMsgNumRequest {
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// The member.
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// The unread count.
    #[serde(rename = "UnreadMsgNum")]
    pub unread_msg_num: u64,
}

/// The answer of `set_unread_msg_num` (the envelope only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetUnreadMsgNumResponse {}

/// The body of `get_group_member_info`: one page of a group's members. Groups other than
/// Community page with `Limit` and `Offset`; Community groups with `Next`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetGroupMemberInfoRequest {
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// Members per page (at most 200; 100 recommended).
    #[serde(rename = "Limit", default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Members to pass over.
    #[serde(rename = "Offset", default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Community groups: the previous page's `Next` (empty for the first page).
    #[serde(rename = "Next", default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Member fields to return.
    #[serde(
        rename = "MemberInfoFilter",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub member_info_filter: Vec<String>,
}

impl GetGroupMemberInfoRequest {
    /// The first page of `group_id`'s members, `limit` at a time, with timport's fields
    /// ([`MEMBER_INFO_FIELDS`]).
    pub fn first_page(group_id: &str, limit: u32) -> Self {
        GetGroupMemberInfoRequest {
            group_id: group_id.to_owned(),
            limit: Some(limit),
            offset: Some(0),
            next: None,
            member_info_filter: MEMBER_INFO_FIELDS.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Moves on to the page after `page`, `collected` members having been read so far: by `Next`
    /// once the service answers with one (Community groups), else by `Offset`. False when `page`
    /// was the last.
    pub fn advance(&mut self, page: &GetGroupMemberInfoResponse, collected: usize) -> bool {
        match page.next.as_deref().filter(|n| !n.is_empty()) {
            Some(next) => {
                self.offset = None;
                self.next = Some(next.to_owned());
                true
            }
            None if self.next.is_some() => false,
            None => {
                if page.member_list.is_empty() || collected as u64 >= page.member_num {
                    return false;
                }
                self.offset = Some(collected as u64);
                true
            }
        }
    }
}

/// The member fields timport asks `get_group_member_info` for.
pub const MEMBER_INFO_FIELDS: [&str; 3] = ["Member_Account", "Role", "JoinTime"];

/// One member of `get_group_member_info`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The account.
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// `Owner`, `Admin` or `Member`.
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Unix seconds.
    #[serde(rename = "JoinTime", default, skip_serializing_if = "Option::is_none")]
    pub join_time: Option<i64>,
}

/// The answer of `get_group_member_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetGroupMemberInfoResponse {
    /// Members in the group.
    #[serde(rename = "MemberNum", default)]
    pub member_num: u64,
    /// This page.
    #[serde(rename = "MemberList", default)]
    pub member_list: Vec<GroupMember>,
    /// Community groups: the cursor for the next page; empty when done.
    #[serde(rename = "Next", default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl GroupType {
    /// Whether the group keeps members' unread counts (ChatRoom and AVChatRoom do not: the
    /// service takes `set_unread_msg_num` for them and keeps nothing).
    pub fn keeps_unread_counts(&self) -> bool {
        matches!(
            self,
            GroupType::Private | GroupType::Public | GroupType::Community
        )
    }

    /// Whether `import_group` can create a group of this type.
    pub fn can_create(&self) -> bool {
        self.can_import()
    }
}
