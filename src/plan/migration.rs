//! The exact request bodies of the phases around the messages, from what `accounts.jsonl` and
//! `groups.jsonl` stage: what `timport plan` and the console show, the ledger stores and the
//! client sends.
//!
//! - accounts: `multiaccount_import` with `AccountList`, at most 100 accounts a request, in
//!   staged order (accounts the app lacks; missing senders by `UserID` alone);
//! - groups: `import_group` with the staged line's body (without `MemberList`), as staged;
//! - members: `import_group_member`, at most 20 members a request, in staged order, with
//!   `UnreadMsgNum` left out for groups that keep no unread counts (ChatRoom);
//! - unread counts of members that are already in the group (its owner, or members of a group
//!   that existed): `set_unread_msg_num`, one member a request.
//!
//! [`plan_migration`] plans the whole migration as if every staged group were created by the run
//! (so members other than the owner are imported); a run routes each group's members by what the
//! group holds when its members phase starts ([`route_members`]).

use bytes::Bytes;
use serde::Serialize;

use crate::api::client::{IMPORT_MEMBER_CHUNK, MULTIACCOUNT_IMPORT_CHUNK};
use crate::api::types::{
    AccountImportRequest, Command, ImportGroupMemberRequest, MemberItem, MultiAccountImportRequest,
    SetUnreadMsgNumRequest,
};
use crate::staging::{Migration, StagedGroup};

/// One request of a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseRequest {
    /// The command.
    pub command: Command,
    /// The group it is about (none for accounts).
    pub group: Option<String>,
    /// The accounts, group or members it carries.
    pub items: Vec<String>,
    /// The exact bytes.
    pub body: Bytes,
}

/// One staged group's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPlan {
    /// The group.
    pub group_id: String,
    /// `import_group`.
    pub create: PhaseRequest,
    /// `import_group_member`, in order.
    pub members: Vec<PhaseRequest>,
    /// `set_unread_msg_num` for members already in the group (its owner).
    pub unread: Vec<PhaseRequest>,
    /// Members' unread counts left out because the group keeps none (ChatRoom).
    pub unread_not_kept: usize,
}

/// Every request of the phases around the messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationPlan {
    /// `multiaccount_import`, in order.
    pub accounts: Vec<PhaseRequest>,
    /// Each staged group, in staged order.
    pub groups: Vec<GroupPlan>,
}

fn bytes_of<T: Serialize>(value: &T) -> Bytes {
    // The request types hold strings and numbers only: serialising them cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// `multiaccount_import`'s body for these accounts.
pub fn accounts_body(accounts: &[AccountImportRequest]) -> Bytes {
    bytes_of(&MultiAccountImportRequest {
        account_list: accounts.to_vec(),
    })
}

/// The accounts in requests of at most 100.
pub fn account_requests(accounts: &[AccountImportRequest]) -> Vec<PhaseRequest> {
    accounts
        .chunks(MULTIACCOUNT_IMPORT_CHUNK)
        .map(|chunk| PhaseRequest {
            command: Command::MultiaccountImport,
            group: None,
            items: chunk.iter().map(|a| a.user_id.clone()).collect(),
            body: accounts_body(chunk),
        })
        .collect()
}

/// `import_group` for a staged group: its staged body.
pub fn group_request(group: &StagedGroup) -> PhaseRequest {
    PhaseRequest {
        command: Command::ImportGroup,
        group: Some(group.group_id.clone()),
        items: vec![group.group_id.clone()],
        body: Bytes::from(group.body.as_bytes().to_vec()),
    }
}

/// A member as sent: its `UnreadMsgNum` left out when the group keeps no unread counts.
fn as_sent(member: &MemberItem, keeps_unread: bool) -> MemberItem {
    let mut m = member.clone();
    if !keeps_unread {
        m.unread_msg_num = None;
    }
    m
}

/// `import_group_member`'s body for these members.
pub fn members_body(group_id: &str, members: &[MemberItem], keeps_unread: bool) -> Bytes {
    bytes_of(&ImportGroupMemberRequest {
        group_id: group_id.to_owned(),
        member_list: members.iter().map(|m| as_sent(m, keeps_unread)).collect(),
    })
}

/// The members in requests of at most 20.
pub fn member_requests(
    group_id: &str,
    members: &[MemberItem],
    keeps_unread: bool,
) -> Vec<PhaseRequest> {
    members
        .chunks(IMPORT_MEMBER_CHUNK)
        .map(|chunk| PhaseRequest {
            command: Command::ImportGroupMember,
            group: Some(group_id.to_owned()),
            items: chunk.iter().map(|m| m.member_account.clone()).collect(),
            body: members_body(group_id, chunk, keeps_unread),
        })
        .collect()
}

/// `set_unread_msg_num` for one member.
pub fn unread_request(group_id: &str, member: &str, unread: u64) -> PhaseRequest {
    PhaseRequest {
        command: Command::SetUnreadMsgNum,
        group: Some(group_id.to_owned()),
        items: vec![member.to_owned()],
        body: bytes_of(&SetUnreadMsgNumRequest {
            group_id: group_id.to_owned(),
            member_account: member.to_owned(),
            unread_msg_num: unread,
        }),
    }
}

/// Sorts a group's staged members by whether the group holds them already: those it does not are
/// imported (`import_group_member`); those it does keep their place and only get their unread
/// count set (when they have one).
pub fn route_members<'m>(
    members: impl IntoIterator<Item = &'m MemberItem>,
    present: impl Fn(&str) -> bool,
) -> (Vec<&'m MemberItem>, Vec<&'m MemberItem>) {
    members
        .into_iter()
        .partition(|m| !present(&m.member_account))
}

/// Plans a staged group as created by the run: its owner is in it from the start.
pub fn plan_group(group: &StagedGroup) -> GroupPlan {
    let keeps = group.group_type.keeps_unread_counts();
    let owner = group.owner.as_deref();
    let (import, present) =
        route_members(group.members.iter().map(|m| &m.item), |m| Some(m) == owner);
    let import: Vec<MemberItem> = import.into_iter().cloned().collect();
    let unread = if keeps {
        present
            .iter()
            .filter_map(|m| {
                m.unread_msg_num
                    .map(|n| unread_request(&group.group_id, &m.member_account, n))
            })
            .collect()
    } else {
        Vec::new()
    };
    GroupPlan {
        group_id: group.group_id.clone(),
        create: group_request(group),
        members: member_requests(&group.group_id, &import, keeps),
        unread,
        unread_not_kept: if keeps {
            0
        } else {
            group
                .members
                .iter()
                .filter(|m| m.item.unread_msg_num.is_some())
                .count()
        },
    }
}

/// Plans every phase around the messages: the staged accounts and the `missing` ones (by
/// `UserID` alone), and each staged group of `groups` (all when empty).
pub fn plan_migration(
    migration: &Migration,
    missing: &[String],
    groups: &[String],
) -> MigrationPlan {
    MigrationPlan {
        accounts: account_requests(&migration.accounts_with(missing)),
        groups: migration
            .groups()
            .iter()
            .filter(|g| groups.is_empty() || groups.contains(&g.group_id))
            .map(plan_group)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::GroupType;
    use crate::staging::StagedMember;
    use crate::staging::problem::Place;

    fn member(id: &str, unread: Option<u64>) -> StagedMember {
        StagedMember {
            item: MemberItem {
                member_account: id.into(),
                role: None,
                join_time: Some(10),
                unread_msg_num: unread,
            },
            index: 0,
        }
    }

    fn group(kind: GroupType, members: Vec<StagedMember>) -> StagedGroup {
        StagedGroup {
            group_id: "g".into(),
            group_type: kind,
            name: "G".into(),
            owner: Some("olga".into()),
            create_time: Some(5),
            body: r#"{"GroupId":"g","Type":"Public","Name":"G","CreateTime":5,"Owner_Account":"olga"}"#
                .into(),
            members,
            place: Place {
                file: "groups.jsonl".into(),
                line: 1,
                offset: 0,
            },
        }
    }

    #[test]
    fn accounts_go_a_hundred_at_a_time_in_the_new_body_shape() {
        let accounts: Vec<AccountImportRequest> = (0..230)
            .map(|i| AccountImportRequest {
                user_id: format!("u{i}"),
                nick: (i == 0).then(|| "Zero".to_owned()),
                face_url: None,
            })
            .collect();
        let requests = account_requests(&accounts);
        let sizes: Vec<usize> = requests.iter().map(|r| r.items.len()).collect();
        assert_eq!(sizes, [100, 100, 30]);
        assert!(
            requests[0]
                .body
                .starts_with(br#"{"AccountList":[{"UserID":"u0","Nick":"Zero"},{"UserID":"u1"}"#)
        );
        assert_eq!(requests[2].command, Command::MultiaccountImport);
    }

    #[test]
    fn a_new_group_imports_its_members_twenty_at_a_time_and_sets_its_owners_unread_count() {
        let mut members: Vec<StagedMember> = (0..45)
            .map(|i| member(&format!("m{i:02}"), Some(i)))
            .collect();
        members.push(member("olga", Some(3)));
        let plan = plan_group(&group(GroupType::Public, members));
        assert_eq!(
            plan.create.body.as_ref(),
            br#"{"GroupId":"g","Type":"Public","Name":"G","CreateTime":5,"Owner_Account":"olga"}"#
        );
        let sizes: Vec<usize> = plan.members.iter().map(|r| r.items.len()).collect();
        assert_eq!(sizes, [20, 20, 5], "the owner is in the group already");
        assert_eq!(
            std::str::from_utf8(&plan.members[0].body).unwrap(),
            r#"{"GroupId":"g","MemberList":[{"Member_Account":"m00","JoinTime":10,"UnreadMsgNum":0},{"Member_Account":"m01","JoinTime":10,"UnreadMsgNum":1},{"Member_Account":"m02","JoinTime":10,"UnreadMsgNum":2},{"Member_Account":"m03","JoinTime":10,"UnreadMsgNum":3},{"Member_Account":"m04","JoinTime":10,"UnreadMsgNum":4},{"Member_Account":"m05","JoinTime":10,"UnreadMsgNum":5},{"Member_Account":"m06","JoinTime":10,"UnreadMsgNum":6},{"Member_Account":"m07","JoinTime":10,"UnreadMsgNum":7},{"Member_Account":"m08","JoinTime":10,"UnreadMsgNum":8},{"Member_Account":"m09","JoinTime":10,"UnreadMsgNum":9},{"Member_Account":"m10","JoinTime":10,"UnreadMsgNum":10},{"Member_Account":"m11","JoinTime":10,"UnreadMsgNum":11},{"Member_Account":"m12","JoinTime":10,"UnreadMsgNum":12},{"Member_Account":"m13","JoinTime":10,"UnreadMsgNum":13},{"Member_Account":"m14","JoinTime":10,"UnreadMsgNum":14},{"Member_Account":"m15","JoinTime":10,"UnreadMsgNum":15},{"Member_Account":"m16","JoinTime":10,"UnreadMsgNum":16},{"Member_Account":"m17","JoinTime":10,"UnreadMsgNum":17},{"Member_Account":"m18","JoinTime":10,"UnreadMsgNum":18},{"Member_Account":"m19","JoinTime":10,"UnreadMsgNum":19}]}"#
        );
        assert_eq!(plan.unread.len(), 1);
        assert_eq!(
            plan.unread[0].body.as_ref(),
            br#"{"GroupId":"g","Member_Account":"olga","UnreadMsgNum":3}"#
        );
    }

    #[test]
    fn a_chat_room_sends_no_unread_counts() {
        let plan = plan_group(&group(
            GroupType::ChatRoom,
            vec![member("ann", Some(2)), member("olga", Some(1))],
        ));
        assert_eq!(
            plan.members[0].body.as_ref(),
            br#"{"GroupId":"g","MemberList":[{"Member_Account":"ann","JoinTime":10}]}"#
        );
        assert!(plan.unread.is_empty());
        assert_eq!(plan.unread_not_kept, 2);
    }

    #[test]
    fn members_already_in_a_group_only_get_their_unread_count() {
        let items = [member("a", None).item, member("b", Some(1)).item];
        let (import, present) = route_members(items.iter(), |m| m == "b");
        assert_eq!(import.len(), 1);
        assert_eq!(present[0].member_account, "b");
    }
}
