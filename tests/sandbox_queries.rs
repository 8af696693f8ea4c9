//! The sandbox's other commands: reading messages back, listing and describing groups, checking
//! accounts, importing groups and members; and the example seed file.

mod common;

use common::{Raw, config, msg, start, start_seeded};
use serde_json::{Value, json};
use timport::api::types::{Command, GetAppidGroupListResponse, GroupMsgGetSimpleResponse};
use timport::clock::unix_now;
use timport::sandbox::{CURSOR_BASE, Seed};

fn read(answer: &Value) -> GroupMsgGetSimpleResponse {
    serde_json::from_value(answer.clone()).expect("group_msg_get_simple answer")
}

#[tokio::test]
async fn group_msg_get_simple_reads_back_newest_first_twenty_at_most_and_pages_backwards() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let created = sandbox.now() - 3600;
    raw.group("Public", "g", created).await;
    for batch in 0..4 {
        let list = (0..7)
            .map(|i| {
                msg(
                    "ann",
                    created + 1 + batch * 7 + i,
                    Some((batch * 7 + i + 100) as u32),
                    &format!("m{}", batch * 7 + i),
                )
            })
            .collect();
        raw.import("g", list).await.expect_code(0);
    }
    let first = raw
        .call(
            Command::GroupMsgGetSimple,
            json!({"GroupId": "g", "ReqMsgNumber": 25}),
        )
        .await;
    let page = read(first.expect_code(0));
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
    assert_eq!(newest.is_place_msg, 0);
    assert_eq!(
        serde_json::to_value(&newest.msg_body).unwrap(),
        common::text("m27")
    );
    // Page backwards from the smallest seq minus one.
    let rest = raw
        .call(
            Command::GroupMsgGetSimple,
            json!({"GroupId": "g", "ReqMsgNumber": 20, "ReqMsgSeq": 8}),
        )
        .await;
    let rest = read(rest.expect_code(0));
    assert_eq!(
        rest.rsp_msg_list
            .iter()
            .map(|m| m.msg_seq)
            .collect::<Vec<_>>(),
        (1..=8).rev().collect::<Vec<_>>()
    );
    assert_eq!(rest.is_finished, 1);
    // The raw JSON has the service's field names.
    let item = &first.json["RspMsgList"][0];
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
async fn group_msg_get_simple_refuses_avchatroom_and_unknown_groups() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "live", "type": "AVChatRoom", "name": "Live", "create_time": 1600000000}]}"#,
    )
    .await;
    let raw = Raw::new(&sandbox);
    raw.call(
        Command::GroupMsgGetSimple,
        json!({"GroupId": "live", "ReqMsgNumber": 1}),
    )
    .await
    .expect_code(10007);
    raw.call(
        Command::GroupMsgGetSimple,
        json!({"GroupId": "gone", "ReqMsgNumber": 1}),
    )
    .await
    .expect_code(10010);
    raw.call(
        Command::GroupMsgGetSimple,
        json!({"GroupId": "", "ReqMsgNumber": 1}),
    )
    .await
    .expect_code(10015);
}

#[tokio::test]
async fn get_appid_group_list_pages_with_a_cursor_beyond_32_bits_and_filters_by_type() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
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
        raw.group(t, &id, created).await;
    }
    let list = |body: Value| async {
        let answer = raw.call(Command::GetAppidGroupList, body).await;
        let page: GetAppidGroupListResponse =
            serde_json::from_value(answer.expect_code(0).clone()).expect("list answer");
        (
            page.group_id_list
                .into_iter()
                .map(|g| g.group_id)
                .collect::<Vec<_>>(),
            page.next,
            page.total_count,
        )
    };
    let (ids, next, total) = list(json!({"Limit": 2})).await;
    assert_eq!((ids, total), (vec!["g0".to_owned(), "g1".to_owned()], 5));
    assert!(
        next > u64::from(u32::MAX),
        "cursor {next} must need 64 bits"
    );
    let (ids, next, _) = list(json!({"Limit": 2, "Next": next})).await;
    assert_eq!(ids, ["@TGS#_g2", "g3"]);
    let (ids, next, _) = list(json!({"Limit": 2, "Next": next})).await;
    assert_eq!((ids, next), (vec!["g4".to_owned()], 0));
    let (ids, next, total) = list(json!({"GroupType": "Public"})).await;
    assert_eq!(
        (ids, next, total),
        (vec!["g0".to_owned(), "g3".to_owned()], 0, 2)
    );
    let (ids, _, _) = list(json!({})).await;
    assert_eq!(ids.len(), 5);
    for bad in [
        json!({"Limit": 10_001}),
        json!({"GroupType": "Square"}),
        json!({"Next": 42}),
    ] {
        raw.call(Command::GetAppidGroupList, bad)
            .await
            .expect_code(10004);
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
    let raw = Raw::new(&sandbox);
    let answer = raw
        .call(
            Command::GetGroupInfo,
            json!({"GroupIdList": ["g", "missing", "bad\u{7}id"]}),
        )
        .await;
    let info = &answer.expect_code(0)["GroupInfo"];
    let g = &info[0];
    assert_eq!(g["ErrorCode"], 0);
    assert_eq!(g["GroupId"], "g");
    assert_eq!(g["Type"], "Private");
    assert_eq!(g["Name"], "Team");
    assert_eq!(g["CreateTime"], 1_600_000_000);
    assert_eq!(g["LastMsgTime"], 1_600_000_200);
    assert_eq!(g["NextMsgSeq"], 3);
    assert_eq!(g["MemberNum"], 2);
    assert_eq!(g["MaxMemberNum"], 50);
    assert_eq!(g["Owner_Account"], "olga");
    assert_eq!(
        (info[1]["GroupId"].as_str(), info[1]["ErrorCode"].as_i64()),
        (Some("missing"), Some(10010))
    );
    assert_eq!(info[2]["ErrorCode"], 10015);
    assert!(!info[1]["ErrorInfo"].as_str().unwrap().is_empty());

    let filtered = raw
        .call(
            Command::GetGroupInfo,
            json!({"GroupIdList": ["g"], "ResponseFilter": {"GroupBaseInfoFilter": ["CreateTime", "LastMsgTime"]}}),
        )
        .await;
    let g = filtered.expect_code(0)["GroupInfo"][0]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(
        g.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "ErrorCode",
            "ErrorInfo",
            "GroupId",
            "CreateTime",
            "LastMsgTime"
        ]
    );

    let fifty_one: Vec<String> = (0..51).map(|i| format!("g{i}")).collect();
    raw.call(Command::GetGroupInfo, json!({"GroupIdList": fifty_one}))
        .await
        .expect_code(10004);
    let fifty: Vec<String> = (0..50).map(|i| format!("g{i}")).collect();
    raw.call(Command::GetGroupInfo, json!({"GroupIdList": fifty}))
        .await
        .expect_code(0);
}

#[tokio::test]
async fn account_check_knows_seeded_accounts_owners_and_members() {
    let sandbox = start_seeded(
        r#"{"accounts": ["alice"], "groups": [{"id": "g", "type": "Public", "name": "G",
            "create_time": 1600000000, "owner": "olga", "members": ["mike"]}]}"#,
    )
    .await;
    let raw = Raw::new(&sandbox);
    let answer = raw
        .call(
            Command::AccountCheck,
            json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "olga"}, {"UserID": "mike"}, {"UserID": "zoe"}]}),
        )
        .await;
    let items = answer.expect_code(0)["ResultItem"]
        .as_array()
        .unwrap()
        .clone();
    let status: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["UserID"].as_str().unwrap(),
                i["AccountStatus"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("alice", "Imported"),
            ("olga", "Imported"),
            ("mike", "Imported"),
            ("zoe", "NotImported")
        ]
    );
    assert!(items.iter().all(|i| i["ResultCode"] == 0));
    let hundred_one: Vec<Value> = (0..101)
        .map(|i| json!({"UserID": format!("u{i}")}))
        .collect();
    raw.call(Command::AccountCheck, json!({"CheckItem": hundred_one}))
        .await
        .expect_code(70206);
}

#[tokio::test]
async fn import_group_creates_groups_with_given_or_assigned_ids() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let before = sandbox.now();
    let assigned = raw
        .call(
            Command::ImportGroup,
            json!({"Type": "Public", "Name": "Auto", "Owner_Account": "ann"}),
        )
        .await;
    let id = assigned.expect_code(0)["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("@TGS#"), "{id}");
    let group = sandbox.group(&id).unwrap();
    assert!(group.create_time >= before, "CreateTime defaults to now");
    assert_eq!(group.members, ["ann"]);
    let community = raw
        .call(
            Command::ImportGroup,
            json!({"Type": "Community", "Name": "Club", "SupportTopic": 1}),
        )
        .await;
    let cid = community.expect_code(0)["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(cid.starts_with("@TGS#_"), "{cid}");
    assert!(sandbox.group(&cid).unwrap().support_topic);
    raw.call(
        Command::ImportGroup,
        json!({"Type": "Public", "Name": "Mine", "GroupId": "mine", "CreateTime": 1_600_000_000}),
    )
    .await
    .expect_code(0);
    assert_eq!(sandbox.group("mine").unwrap().create_time, 1_600_000_000);
}

#[tokio::test]
async fn import_group_refuses_taken_ids_with_10021_and_avchatroom_with_10007() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    raw.group("Public", "taken", 1_600_000_000).await;
    raw.call(
        Command::ImportGroup,
        json!({"Type": "Public", "Name": "x", "GroupId": "taken"}),
    )
    .await
    .expect_code(10021);
    raw.call(
        Command::ImportGroup,
        json!({"Type": "AVChatRoom", "Name": "x"}),
    )
    .await
    .expect_code(10007);
    raw.call(
        Command::ImportGroup,
        json!({"Type": "Public", "Name": "x", "GroupId": "g".repeat(49)}),
    )
    .await
    .expect_code(10015);
    raw.call(
        Command::ImportGroup,
        json!({"Type": "Public", "Name": "x", "SupportTopic": 1}),
    )
    .await
    .expect_code(10004);
}

#[tokio::test]
async fn import_group_member_reports_imported_already_member_and_failed() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let created = sandbox.now() - 1000;
    raw.call(Command::ImportGroup, json!({"Type": "Public", "Name": "G", "GroupId": "g", "CreateTime": created, "Owner_Account": "olga"}))
        .await
        .expect_code(0);
    let answer = raw
        .call(
            Command::ImportGroupMember,
            json!({"GroupId": "g", "MemberList": [
                {"Member_Account": "ann", "JoinTime": created + 10},
                {"Member_Account": "olga"},
                {"Member_Account": "early", "JoinTime": created},
                {"Member_Account": "late", "JoinTime": sandbox.now() + 100},
                {"Member_Account": "bob", "Role": "Admin"}
            ]}),
        )
        .await;
    let results: Vec<(String, u64)> = answer.expect_code(0)["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["Member_Account"].as_str().unwrap().to_owned(),
                m["Result"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("ann", 1),
        ("olga", 2),
        ("early", 0),
        ("late", 0),
        ("bob", 1),
    ];
    assert_eq!(results, expected.map(|(a, r)| (a.to_owned(), r)));
    assert_eq!(sandbox.group("g").unwrap().members, ["ann", "bob", "olga"]);
    let check = raw
        .call(
            Command::AccountCheck,
            json!({"CheckItem": [{"UserID": "ann"}]}),
        )
        .await;
    assert_eq!(check.json["ResultItem"][0]["AccountStatus"], "Imported");
}

#[tokio::test]
async fn the_example_seed_file_starts_a_sandbox_with_its_groups_and_messages() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/sandbox-seed.example.json"
    );
    let seed = Seed::load(std::path::Path::new(path), unix_now()).expect("example seed");
    let sandbox = common::start(config().with_seed(seed)).await;
    let raw = Raw::new(&sandbox);
    let list = raw.call(Command::GetAppidGroupList, json!({})).await;
    assert_eq!(list.expect_code(0)["TotalCount"], 4);
    let read = raw
        .call(
            Command::GroupMsgGetSimple,
            json!({"GroupId": "@TGS#2C5SZEAEF", "ReqMsgNumber": 1}),
        )
        .await;
    let newest = &read.expect_code(0)["RspMsgList"][0];
    assert_eq!(newest["From_Account"], "bob");
    assert_eq!(newest["MsgSeq"], 2);
    let topic = sandbox.topic_messages("@TGS#_club", "@TGS#_club@TOPIC#_news");
    assert_eq!(topic.len(), 1);
}
