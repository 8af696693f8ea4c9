//! The sandbox's other commands through the real client: reading messages back, listing and
//! describing groups, checking accounts, importing groups and members; and the example seed.

mod common;

use common::{assert_refused, client, config, import, make_group, msg, send, start, start_seeded};
use serde_json::{Value, json};
use timport::api::types::{
    Command, GetAppidGroupListRequest, GroupMsgGetSimpleRequest, ImportGroupMemberRequest,
    ImportGroupRequest, MemberItem,
};
use timport::clock::unix_now;
use timport::sandbox::{CURSOR_BASE, Seed};

fn read_req(group: &str, number: u32, seq: Option<u64>) -> GroupMsgGetSimpleRequest {
    GroupMsgGetSimpleRequest {
        group_id: group.to_owned(),
        req_msg_number: number,
        req_msg_seq: seq,
        ..GroupMsgGetSimpleRequest::default()
    }
}

#[tokio::test]
async fn group_msg_get_simple_reads_back_newest_first_twenty_at_most_and_pages_backwards() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 3600;
    make_group(&client, "Public", "g", created).await;
    for batch in 0..4_u32 {
        let list = (0..7_u32)
            .map(|i| {
                let n = batch * 7 + i;
                msg(
                    "ann",
                    created + 1 + i64::from(n),
                    Some(n + 100),
                    &format!("m{n}"),
                )
            })
            .collect();
        import(&client, "g", list).await.unwrap();
    }
    let page = client
        .group_msg_get_simple(&read_req("g", 25, None))
        .await
        .unwrap();
    assert_eq!(page.group_id, "g");
    assert_eq!(page.rsp_msg_list.len(), 20);
    assert_eq!(page.is_finished, 0, "more than 20 asked and there");
    let seqs: Vec<u64> = page.rsp_msg_list.iter().map(|m| m.msg_seq).collect();
    assert_eq!(seqs, (9..=28).rev().collect::<Vec<_>>());
    let newest = &page.rsp_msg_list[0];
    assert_eq!(
        (
            newest.from_account.as_str(),
            newest.msg_time_stamp,
            newest.msg_random
        ),
        ("ann", created + 28, 127)
    );
    assert_eq!((newest.is_place_msg, newest.is_system_msg), (0, 0));
    assert_eq!(
        serde_json::to_value(&newest.msg_body).unwrap(),
        common::text("m27")
    );
    // Page backwards from the smallest seq minus one.
    let rest = client
        .group_msg_get_simple(&read_req("g", 20, Some(8)))
        .await
        .unwrap();
    let seqs: Vec<u64> = rest.rsp_msg_list.iter().map(|m| m.msg_seq).collect();
    assert_eq!(seqs, (1..=8).rev().collect::<Vec<_>>());
    assert_eq!(rest.is_finished, 1);
    // The JSON carries the service's field names.
    let raw = send(
        &client,
        Command::GroupMsgGetSimple,
        json!({"GroupId": "g", "ReqMsgNumber": 1}),
    )
    .await
    .unwrap();
    let item = &raw["RspMsgList"][0];
    for field in [
        "From_Account",
        "MsgSeq",
        "MsgRandom",
        "MsgTimeStamp",
        "MsgBody",
        "IsPlaceMsg",
    ] {
        assert!(item.get(field).is_some(), "{field} missing in {item}");
    }
}

#[tokio::test]
async fn group_msg_get_simple_refuses_avchatroom_unknown_and_malformed_groups() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "live", "type": "AVChatRoom", "name": "Live", "create_time": 1600000000}]}"#,
    )
    .await;
    let client = client(&sandbox);
    for (group, code) in [("live", 10007), ("gone", 10010), ("", 10015)] {
        let answer = client.group_msg_get_simple(&read_req(group, 1, None)).await;
        assert_refused(&answer, code);
    }
}

#[tokio::test]
async fn get_appid_group_list_pages_with_a_cursor_beyond_32_bits_and_filters_by_type() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 100;
    for (i, t) in ["Public", "Private", "Community", "Public", "ChatRoom"]
        .iter()
        .enumerate()
    {
        let id = if *t == "Community" {
            format!("@TGS#_g{i}")
        } else {
            format!("g{i}")
        };
        make_group(&client, t, &id, created).await;
    }
    let list = |limit: Option<u32>, next: Option<u64>, group_type: Option<&str>| {
        let req = GetAppidGroupListRequest {
            limit,
            next,
            group_type: group_type.map(str::to_owned),
        };
        let client = client.clone();
        async move {
            let page = client.get_appid_group_list(&req).await.unwrap();
            let ids: Vec<String> = page.group_id_list.into_iter().map(|g| g.group_id).collect();
            (ids, page.next, page.total_count)
        }
    };
    let (ids, next, total) = list(Some(2), None, None).await;
    assert_eq!((ids, total), (vec!["g0".to_owned(), "g1".to_owned()], 5));
    assert!(
        next > u64::from(u32::MAX),
        "cursor {next} must need 64 bits"
    );
    let (ids, next, _) = list(Some(2), Some(next), None).await;
    assert_eq!(ids, ["@TGS#_g2", "g3"]);
    let (ids, next, _) = list(Some(2), Some(next), None).await;
    assert_eq!((ids, next), (vec!["g4".to_owned()], 0));
    let (ids, next, total) = list(None, None, Some("Public")).await;
    assert_eq!(
        (ids, next, total),
        (vec!["g0".to_owned(), "g3".to_owned()], 0, 2)
    );
    let (ids, _, _) = list(None, None, None).await;
    assert_eq!(ids.len(), 5);
    for bad in [
        json!({"Limit": 10_001}),
        json!({"GroupType": "Square"}),
        json!({"Next": 42}),
    ] {
        assert_refused(&send(&client, Command::GetAppidGroupList, bad).await, 10004);
    }
    assert!(CURSOR_BASE > u64::from(u32::MAX));
}

#[tokio::test]
async fn get_group_info_describes_up_to_fifty_groups_each_with_its_code() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "g", "type": "Private", "name": "Team", "create_time": 1600000000,
            "owner": "olga", "members": ["ann"], "max_members": 50,
            "messages": [
              {"from": "ann", "time": 1600000100, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}}]},
              {"from": "ann", "time": 1600000200, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "b"}}]}]}]}"#,
    )
    .await;
    let client = client(&sandbox);
    let ids = ["g", "missing", "bad\u{7}id"].map(str::to_owned);
    let info = client.get_group_info(&ids).await.unwrap();
    let g = &info[0];
    assert_eq!((g.error_code, g.group_id.as_str()), (0, "g"));
    assert_eq!(g.group_type.as_deref(), Some("Private"));
    assert_eq!(g.name.as_deref(), Some("Team"));
    assert_eq!(g.create_time, Some(1_600_000_000));
    assert_eq!(g.last_msg_time, Some(1_600_000_200));
    assert_eq!(g.next_msg_seq, Some(3));
    assert_eq!(g.member_num, Some(2));
    assert_eq!(g.max_member_num, Some(50));
    assert_eq!(g.owner_account.as_deref(), Some("olga"));
    assert_eq!(
        (info[1].group_id.as_str(), info[1].error_code),
        ("missing", 10010)
    );
    assert!(!info[1].error_info.is_empty());
    assert_eq!(info[2].error_code, 10015);

    let filtered = send(
        &client,
        Command::GetGroupInfo,
        json!({"GroupIdList": ["g"], "ResponseFilter": {"GroupBaseInfoFilter": ["CreateTime", "LastMsgTime"]}}),
    )
    .await
    .unwrap();
    let keys: Vec<String> = filtered["GroupInfo"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "ErrorCode",
            "ErrorInfo",
            "GroupId",
            "CreateTime",
            "LastMsgTime"
        ]
    );
    let unfiltered = send(
        &client,
        Command::GetGroupInfo,
        json!({"GroupIdList": ["g"]}),
    )
    .await
    .unwrap();
    assert_eq!(unfiltered["GroupInfo"][0]["MemberNum"], 2);

    let fifty_one: Vec<String> = (0..51).map(|i| format!("g{i}")).collect();
    let over = send(
        &client,
        Command::GetGroupInfo,
        json!({"GroupIdList": fifty_one}),
    )
    .await;
    assert_refused(&over, 10004);
    // The client splits long lists into calls of 50.
    let many: Vec<String> = (0..120).map(|i| format!("g{i}")).collect();
    assert_eq!(client.get_group_info(&many).await.unwrap().len(), 120);
}

#[tokio::test]
async fn account_check_knows_seeded_accounts_owners_and_members() {
    let sandbox = start_seeded(
        r#"{"accounts": ["alice"], "groups": [{"id": "g", "type": "Public", "name": "G",
            "create_time": 1600000000, "owner": "olga", "members": ["mike"]}]}"#,
    )
    .await;
    let client = client(&sandbox);
    let ids = ["alice", "olga", "mike", "zoe"].map(str::to_owned);
    let items = client.account_check(&ids).await.unwrap();
    let status: Vec<(&str, bool)> = items
        .iter()
        .map(|i| (i.user_id.as_str(), i.is_imported()))
        .collect();
    assert_eq!(
        status,
        [
            ("alice", true),
            ("olga", true),
            ("mike", true),
            ("zoe", false)
        ]
    );
    assert_eq!(items[3].account_status, "NotImported");
    let hundred_one: Vec<Value> = (0..101)
        .map(|i| json!({"UserID": format!("u{i}")}))
        .collect();
    let over = send(
        &client,
        Command::AccountCheck,
        json!({"CheckItem": hundred_one}),
    )
    .await;
    assert_refused(&over, 70206);
}

#[tokio::test]
async fn import_group_creates_groups_with_given_or_assigned_ids() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let before = sandbox.now();
    let group = |group_type: &str, name: &str| ImportGroupRequest {
        group_type: group_type.to_owned(),
        name: name.to_owned(),
        ..ImportGroupRequest::default()
    };
    let auto = client
        .import_group(&ImportGroupRequest {
            owner_account: Some("ann".into()),
            ..group("Public", "Auto")
        })
        .await
        .unwrap();
    assert!(auto.group_id.starts_with("@TGS#"), "{}", auto.group_id);
    let snapshot = sandbox.group(&auto.group_id).unwrap();
    assert!(snapshot.create_time >= before, "CreateTime defaults to now");
    assert_eq!(snapshot.members, ["ann"]);
    let club = client
        .import_group(&ImportGroupRequest {
            support_topic: Some(1),
            ..group("Community", "Club")
        })
        .await
        .unwrap();
    assert!(club.group_id.starts_with("@TGS#_"), "{}", club.group_id);
    assert!(sandbox.group(&club.group_id).unwrap().support_topic);
    make_group(&client, "Public", "mine", 1_600_000_000).await;
    assert_eq!(sandbox.group("mine").unwrap().create_time, 1_600_000_000);
}

#[tokio::test]
async fn import_group_refuses_taken_ids_with_10021_and_avchatroom_with_10007() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    make_group(&client, "Public", "taken", 1_600_000_000).await;
    let req =
        |group_type: &str, id: Option<String>, support_topic: Option<u8>| ImportGroupRequest {
            group_type: group_type.to_owned(),
            name: "x".to_owned(),
            group_id: id,
            support_topic,
            ..ImportGroupRequest::default()
        };
    for (request, code) in [
        (req("Public", Some("taken".into()), None), 10021),
        (req("AVChatRoom", None, None), 10007),
        (req("Public", Some("g".repeat(49)), None), 10015),
        (req("Public", None, Some(1)), 10004),
    ] {
        assert_refused(&client.import_group(&request).await, code);
    }
}

#[tokio::test]
async fn import_group_member_reports_imported_already_member_and_failed() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 1000;
    client
        .import_group(&ImportGroupRequest {
            group_type: "Public".into(),
            name: "G".into(),
            group_id: Some("g".into()),
            create_time: Some(created),
            owner_account: Some("olga".into()),
            ..ImportGroupRequest::default()
        })
        .await
        .unwrap();
    let member = |account: &str, join_time: Option<i64>| MemberItem {
        member_account: account.to_owned(),
        role: None,
        join_time,
        unread_msg_num: None,
    };
    let answer = client
        .import_group_member(&ImportGroupMemberRequest {
            group_id: "g".into(),
            member_list: vec![
                member("ann", Some(created + 10)),
                member("olga", None),
                member("early", Some(created)),
                member("late", Some(sandbox.now() + 100)),
                member("bob", None),
            ],
        })
        .await
        .unwrap();
    let results: Vec<(&str, u8)> = answer
        .member_list
        .iter()
        .map(|m| (m.member_account.as_str(), m.result))
        .collect();
    assert_eq!(
        results,
        [
            ("ann", 1),
            ("olga", 2),
            ("early", 0),
            ("late", 0),
            ("bob", 1)
        ]
    );
    assert_eq!(sandbox.group("g").unwrap().members, ["ann", "bob", "olga"]);
    let check = client.account_check(&["ann".to_owned()]).await.unwrap();
    assert!(check[0].is_imported());
}

#[tokio::test]
async fn the_example_seed_file_starts_a_sandbox_with_its_groups_and_messages() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/sandbox-seed.example.json"
    );
    let seed = Seed::load(std::path::Path::new(path), unix_now()).expect("example seed");
    let sandbox = start(config().with_seed(seed)).await;
    let client = client(&sandbox);
    let list = client
        .get_appid_group_list(&GetAppidGroupListRequest::default())
        .await
        .unwrap();
    assert_eq!(list.total_count, 4);
    let newest = client
        .group_msg_get_simple(&read_req("@TGS#2C5SZEAEF", 1, None))
        .await
        .unwrap();
    assert_eq!(newest.rsp_msg_list[0].from_account, "bob");
    assert_eq!(newest.rsp_msg_list[0].msg_seq, 2);
    let topic = sandbox.topic_messages("@TGS#_club", "@TGS#_club@TOPIC#_news");
    assert_eq!(topic.len(), 1);
}

#[tokio::test]
async fn an_admin_name_that_needs_percent_encoding_is_accepted() {
    let mut odd = config();
    odd.admin = "admin one&co".into();
    let sandbox = start(odd).await;
    let client = client(&sandbox);
    let items = client
        .account_check(&["x".to_owned()])
        .await
        .expect("the signature of an admin with a space and an & verifies");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].account_status, "NotImported");
    assert!(sandbox.stats().refusals.is_empty(), "{:?}", sandbox.stats());
}
