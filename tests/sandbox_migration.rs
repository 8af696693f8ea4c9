//! The sandbox's migration calls through the real client: accounts (`account_import`,
//! `multiaccount_import`), members and unread counts (`import_group_member` with `UnreadMsgNum`,
//! `set_unread_msg_num`, `get_group_member_info`), the unread-count rules (imported messages reset
//! them, a set value is clamped, ChatRoom keeps none), accounts required for owners and members,
//! and the per-command frequency limits.

mod common;

use common::{assert_refused, client, config, import, make_group, msg, start};
use futures::future::join_all;
use timport::api::ApiError;
use timport::api::types::{
    AccountImportRequest, Command, ImportGroupMemberRequest, ImportGroupRequest, MemberItem,
    MultiAccountImportRequest, SetUnreadMsgNumRequest,
};

fn account(id: &str, nick: Option<&str>) -> AccountImportRequest {
    AccountImportRequest {
        user_id: id.to_owned(),
        nick: nick.map(str::to_owned),
        face_url: None,
    }
}

fn member(id: &str, join_time: i64, unread: Option<u64>) -> MemberItem {
    MemberItem {
        member_account: id.to_owned(),
        role: None,
        join_time: Some(join_time),
        unread_msg_num: unread,
    }
}

fn unread(sandbox: &timport::sandbox::SandboxHandle, group: &str, id: &str) -> u64 {
    sandbox
        .members(group)
        .into_iter()
        .find(|m| m.account == id)
        .unwrap_or_else(|| panic!("{id} is not a member of {group}"))
        .unread
}

#[tokio::test]
async fn accounts_are_imported_one_or_a_hundred_at_a_time_and_checked_back() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    client
        .account_import(&account("ann", Some("Ann")))
        .await
        .unwrap();
    let many: Vec<AccountImportRequest> = (0..100)
        .map(|i| account(&format!("u{i}"), None))
        .chain(std::iter::once(account(&"x".repeat(33), None)))
        .collect();
    let too_many = client
        .multiaccount_import(&MultiAccountImportRequest {
            account_list: many.clone(),
        })
        .await;
    assert_refused(&too_many, 70206);
    let mut list = many[..99].to_vec();
    list.push(account(&"x".repeat(33), None));
    let answer = client
        .multiaccount_import(&MultiAccountImportRequest { account_list: list })
        .await
        .unwrap();
    assert_eq!(answer.fail_accounts, ["x".repeat(33)]);
    let ids: Vec<String> = ["ann", "u0", "u98", "u99"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let check = client.account_check(&ids).await.unwrap();
    let imported: Vec<bool> = check.iter().map(|r| r.is_imported()).collect();
    assert_eq!(imported, [true, true, true, false]);
    assert_eq!(sandbox.account("ann").unwrap().nick.as_deref(), Some("Ann"));
}

#[tokio::test]
async fn unread_counts_are_set_clamped_reset_by_imports_and_not_kept_by_chat_rooms() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 1000;
    make_group(&client, "Public", "g", created).await;
    make_group(&client, "ChatRoom", "room", created).await;
    let list: Vec<_> = (0..3)
        .map(|i| msg("ann", created + 10 + i, Some(i as u32 + 1), "hi"))
        .collect();
    import(&client, "g", list.clone()).await.unwrap();
    import(&client, "room", list).await.unwrap();
    for (group, unread_asked) in [("g", 2), ("room", 2)] {
        let answer = client
            .import_group_member(&ImportGroupMemberRequest {
                group_id: group.into(),
                member_list: vec![
                    member("bob", created + 5, Some(unread_asked)),
                    member("cy", created + 5, Some(99)),
                    member("dee", created + 5, None),
                ],
            })
            .await
            .unwrap();
        assert!(answer.member_list.iter().all(|m| m.result == 1));
    }
    assert_eq!(unread(&sandbox, "g", "bob"), 2);
    assert_eq!(unread(&sandbox, "g", "cy"), 3, "clamped to the 3 messages");
    assert_eq!(unread(&sandbox, "g", "dee"), 0);
    assert_eq!(unread(&sandbox, "room", "bob"), 0, "a ChatRoom keeps none");

    let set = |group: &str, id: &str, n: u64| SetUnreadMsgNumRequest {
        group_id: group.into(),
        member_account: id.into(),
        unread_msg_num: n,
    };
    client
        .set_unread_msg_num(&set("g", "dee", 1))
        .await
        .unwrap();
    client
        .set_unread_msg_num(&set("room", "dee", 1))
        .await
        .unwrap();
    assert_eq!(unread(&sandbox, "g", "dee"), 1);
    assert_eq!(unread(&sandbox, "room", "dee"), 0);
    assert_refused(&client.set_unread_msg_num(&set("g", "zed", 1)).await, 10004);
    assert_refused(
        &client.set_unread_msg_num(&set("gone", "dee", 1)).await,
        10010,
    );

    // One more imported message: every member's count is 0 again.
    import(
        &client,
        "g",
        vec![msg("ann", created + 20, Some(9), "again")],
    )
    .await
    .unwrap();
    for id in ["bob", "cy", "dee"] {
        assert_eq!(unread(&sandbox, "g", id), 0, "{id}");
    }
}

#[tokio::test]
async fn members_read_back_in_pages_by_offset_and_by_next() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 1000;
    make_group(&client, "Public", "g", created).await;
    make_group(&client, "Community", "@TGS#_c", created).await;
    for group in ["g", "@TGS#_c"] {
        for chunk in 0..12 {
            let list = (0..20)
                .map(|i| member(&format!("m{:03}", chunk * 20 + i), created + 1, None))
                .collect();
            client
                .import_group_member(&ImportGroupMemberRequest {
                    group_id: group.into(),
                    member_list: list,
                })
                .await
                .unwrap();
        }
        let members = client.group_members(group).await.unwrap();
        assert_eq!(members.len(), 240, "{group}: three pages of 100");
        assert_eq!(members[0].member_account, "m000");
        assert_eq!(members[239].member_account, "m239");
        assert_eq!(members[5].join_time, Some(created + 1));
    }
    let requests = sandbox.stats().requests["get_group_member_info"];
    assert_eq!(requests, 6, "three pages per group");
}

#[tokio::test]
async fn owners_and_members_must_be_accounts_when_the_sandbox_requires_them() {
    let mut strict = config();
    strict.require_accounts = true;
    let sandbox = start(strict).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 1000;
    let group = |owner: &str| ImportGroupRequest {
        group_type: "Public".into(),
        name: "G".into(),
        group_id: Some("g".into()),
        create_time: Some(created),
        owner_account: Some(owner.into()),
        ..ImportGroupRequest::default()
    };
    assert_refused(&client.import_group(&group("olga")).await, 10019);
    client.account_import(&account("olga", None)).await.unwrap();
    client.import_group(&group("olga")).await.unwrap();
    client.account_import(&account("ann", None)).await.unwrap();
    let answer = client
        .import_group_member(&ImportGroupMemberRequest {
            group_id: "g".into(),
            member_list: vec![
                member("ann", created + 1, None),
                member("zed", created + 1, None),
            ],
        })
        .await
        .unwrap();
    let results: Vec<u8> = answer.member_list.iter().map(|m| m.result).collect();
    assert_eq!(results, [1, 0]);
}

#[tokio::test]
async fn a_command_with_its_own_limit_is_refused_past_it_and_others_are_not() {
    assert_eq!(
        timport::sandbox::command_limit(Command::MultiaccountImport),
        Some(100)
    );
    assert_eq!(
        timport::sandbox::command_limit(Command::AccountCheck),
        Some(100)
    );
    let mut cfg = config();
    // One a second, so that three calls at once surely meet it (the documented 100/s works
    // the same way; traffic.rs tests the window itself).
    cfg.command_limits = vec![(Command::MultiaccountImport, 1)];
    let sandbox = start(cfg).await;
    let client = client(&sandbox);
    let calls = (0..3).map(|i| {
        let client = client.clone();
        async move {
            client
                .multiaccount_import(&MultiAccountImportRequest {
                    account_list: vec![account(&format!("u{i}"), None)],
                })
                .await
        }
    });
    let answers = join_all(calls).await;
    let refused: Vec<&ApiError> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(!refused.is_empty(), "{answers:?}");
    for e in &refused {
        assert_eq!(e.code(), Some(60007), "{e}");
        assert!(e.to_string().contains("multiaccount_import"), "{e}");
    }
    client.account_check(&["u0".to_owned()]).await.unwrap();
}
