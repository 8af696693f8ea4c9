//! The service's request and answer shapes, with the service's own field names: the commands
//! and the envelope here, one file per command family (`messages`, `groups`, `accounts`), and
//! message elements (`element`).
//!
//! Message elements are stored exactly as given (a JSON value, key order kept) so that no content
//! is ever lost or reshaped on its way from a staged file to the request bytes; the four element
//! types the import page documents have typed views on top ([`MsgElement::typed`]).

use serde::{Deserialize, Serialize};

mod accounts;
mod element;
mod groups;
mod messages;

pub use accounts::*;
pub use element::*;
pub use groups::*;
pub use messages::*;

/// A REST command timport can call, with its path under `/v4/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
    /// `group_open_http_svc/set_unread_msg_num`
    SetUnreadMsgNum,
    /// `group_open_http_svc/get_group_member_info`
    GetGroupMemberInfo,
    /// `im_open_login_svc/account_import`
    AccountImport,
    /// `im_open_login_svc/multiaccount_import`
    MultiaccountImport,
}

impl Command {
    /// Every command, for tables and the sandbox's router.
    pub const ALL: [Command; 11] = [
        Command::ImportGroupMsg,
        Command::GetAppidGroupList,
        Command::GetGroupInfo,
        Command::GroupMsgGetSimple,
        Command::AccountCheck,
        Command::ImportGroup,
        Command::ImportGroupMember,
        Command::SetUnreadMsgNum,
        Command::GetGroupMemberInfo,
        Command::AccountImport,
        Command::MultiaccountImport,
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
            Command::SetUnreadMsgNum => "group_open_http_svc/set_unread_msg_num",
            Command::GetGroupMemberInfo => "group_open_http_svc/get_group_member_info",
            Command::AccountImport => "im_open_login_svc/account_import",
            Command::MultiaccountImport => "im_open_login_svc/multiaccount_import",
        }
    }

    /// The command's own frequency limit, calls per second, as the official pages give it
    /// (docs/service.md#neighbouring-calls); every call also counts against the app's 200/s.
    pub fn documented_rate(self) -> u32 {
        match self {
            Command::GetAppidGroupList => 1,
            Command::AccountCheck | Command::MultiaccountImport => 100,
            Command::ImportGroupMsg
            | Command::GetGroupInfo
            | Command::GroupMsgGetSimple
            | Command::ImportGroup
            | Command::ImportGroupMember
            | Command::SetUnreadMsgNum
            | Command::GetGroupMemberInfo
            | Command::AccountImport => 200,
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
        assert_eq!(
            Command::MultiaccountImport.path(),
            "im_open_login_svc/multiaccount_import"
        );
        assert_eq!(Command::SetUnreadMsgNum.name(), "set_unread_msg_num");
        assert!(!GroupType::ChatRoom.keeps_unread_counts());
        assert!(GroupType::parse("Work").keeps_unread_counts());
        assert!(!GroupType::parse("AVChatRoom").can_import());
        assert!(GroupType::parse("Work").can_import());
        assert!(!GroupType::Community.allows_recent_contact_flag());
    }
}
