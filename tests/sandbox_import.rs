//! `import_group_msg` against the sandbox: one test per rule.

mod common;

use common::{Raw, config, msg, start, start_seeded, text};
use serde_json::{Value, json};
use timport::api::types::Command;
use timport::sandbox::{DEDUP_WINDOW_SECS, SandboxHandle};

/// A sandbox with a Public group `g` created an hour ago and no messages.
async fn with_group() -> (SandboxHandle, Raw, i64) {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let created = sandbox.now() - 3600;
    raw.group("Public", "g", created).await;
    (sandbox, raw, created)
}

#[tokio::test]
async fn successful_messages_get_seqs_from_one_and_are_stored_as_sent() {
    let (sandbox, raw, created) = with_group().await;
    let body = json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Zeta": 1, "Data": "d", "Desc": "x"}},
                      {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "\u{0}"}}]);
    let first =
        json!({"From_Account": "ann", "SendTime": created + 1, "Random": 5, "MsgBody": body});
    let answer = raw
        .import("g", vec![first, msg("bob", created + 2, None, "b")])
        .await;
    answer.expect_code(0);
    assert_eq!(answer.results(), [0, 0]);
    assert_eq!(answer.seqs(), [1, 2]);
    assert_eq!(answer.json["ImportMsgResult"][1]["MsgTime"], created + 2);
    let stored = sandbox.messages("g");
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (
            stored[0].from.as_str(),
            stored[0].time,
            stored[0].random,
            stored[0].seq
        ),
        ("ann", created + 1, 5, 1)
    );
    assert_eq!(
        serde_json::to_value(&stored[0].body).unwrap(),
        body,
        "body kept exactly"
    );
    assert_eq!(stored[1].seq, 2);
    let answer = raw
        .import("g", vec![msg("c", created + 3, None, "c")])
        .await;
    assert_eq!(answer.seqs(), [3]);
}

#[tokio::test]
async fn more_than_seven_messages_is_10004_and_nothing_lands() {
    let (sandbox, raw, created) = with_group().await;
    let eight: Vec<Value> = (1..=8).map(|i| msg("a", created + i, None, "x")).collect();
    raw.import("g", eight).await.expect_code(10004);
    assert!(sandbox.messages("g").is_empty());
    let seven: Vec<Value> = (1..=7).map(|i| msg("a", created + i, None, "x")).collect();
    assert_eq!(raw.import("g", seven).await.results(), [0; 7]);
}

#[tokio::test]
async fn unknown_group_is_10010() {
    let (_sandbox, raw, created) = with_group().await;
    raw.import("nope", vec![msg("a", created + 1, None, "x")])
        .await
        .expect_code(10010);
}

#[tokio::test]
async fn malformed_group_id_is_10015() {
    let (_sandbox, raw, created) = with_group().await;
    for bad in [
        String::new(),
        "g".repeat(49),
        "tab\there".to_owned(),
        "grüße".to_owned(),
    ] {
        raw.import(&bad, vec![msg("a", created + 1, None, "x")])
            .await
            .expect_code(10015);
    }
}

#[tokio::test]
async fn avchatroom_is_10007() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "live", "type": "AVChatRoom", "name": "Live", "create_time": 1600000000}]}"#,
    )
    .await;
    let raw = Raw::new(&sandbox);
    raw.import("live", vec![msg("a", 1_600_000_001, None, "x")])
        .await
        .expect_code(10007);
}

#[tokio::test]
async fn send_time_not_after_creation_is_10004_for_that_message() {
    let (sandbox, raw, created) = with_group().await;
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", created - 5, None, "x"),
                msg("a", created, None, "y"),
                msg("a", created + 1, None, "z"),
            ],
        )
        .await;
    answer.expect_code(0);
    assert_eq!(answer.results(), [10004, 10004, 0]);
    assert_eq!(answer.seqs(), [0, 0, 1]);
    assert_eq!(sandbox.messages("g").len(), 1);
}

#[tokio::test]
async fn send_time_not_before_now_is_10004() {
    let (sandbox, raw, _) = with_group().await;
    let now = sandbox.now();
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", now - 10, None, "past"),
                msg("a", now + 60, None, "future"),
            ],
        )
        .await;
    assert_eq!(answer.results(), [0, 10004]);
}

#[tokio::test]
async fn send_time_before_the_newest_message_is_10004() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "g", "type": "Private", "name": "G", "create_time": 1600000000,
            "messages": [{"from": "a", "time": 1600000500, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "old"}}]}]}]}"#,
    )
    .await;
    let raw = Raw::new(&sandbox);
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", 1_600_000_499, None, "x"),
                msg("a", 1_600_000_501, None, "y"),
            ],
        )
        .await;
    assert_eq!(answer.results(), [10004, 0]);
    assert_eq!(answer.seqs(), [0, 2], "the seeded message holds seq 1");
}

#[tokio::test]
async fn messages_apply_in_order_and_each_moves_the_newest_time() {
    let (sandbox, raw, created) = with_group().await;
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", created + 10, None, "1"),
                msg("a", created + 20, None, "2"),
                msg("a", created + 15, None, "out of order"),
                msg("a", created + 30, None, "3"),
            ],
        )
        .await;
    assert_eq!(answer.results(), [0, 0, 10004, 0]);
    assert_eq!(answer.seqs(), [1, 2, 0, 3]);
    assert_eq!(sandbox.group("g").unwrap().last_msg_time, created + 30);
    // The next request continues from there.
    let answer = raw
        .import("g", vec![msg("a", created + 25, None, "late")])
        .await;
    assert_eq!(answer.results(), [10004]);
}

#[tokio::test]
async fn a_send_time_equal_to_the_newest_is_allowed_by_default() {
    let (_sandbox, raw, created) = with_group().await;
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", created + 10, None, "1"),
                msg("a", created + 10, None, "2"),
            ],
        )
        .await;
    assert_eq!(answer.results(), [0, 0]);
    let answer = raw
        .import("g", vec![msg("a", created + 10, None, "3")])
        .await;
    assert_eq!(answer.results(), [0]);
}

#[tokio::test]
async fn strict_time_refuses_a_send_time_equal_to_the_newest() {
    let mut strict = config();
    strict.strict_time = true;
    let sandbox = start(strict).await;
    let raw = Raw::new(&sandbox);
    let created = sandbox.now() - 3600;
    raw.group("Public", "g", created).await;
    let answer = raw
        .import(
            "g",
            vec![
                msg("a", created + 10, None, "1"),
                msg("a", created + 10, None, "2"),
                msg("a", created + 11, None, "3"),
            ],
        )
        .await;
    assert_eq!(answer.results(), [0, 10004, 0]);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_80002() {
    let (sandbox, raw, created) = with_group().await;
    let mut big = msg("a", created + 1, None, "");
    let padding = 12_000 - big.to_string().len();
    big["MsgBody"][0]["MsgContent"]["Text"] = json!("x".repeat(padding));
    assert_eq!(big.to_string().len(), 12_000, "exactly at the limit");
    let mut over = msg("a", created + 2, None, "");
    over["MsgBody"][0]["MsgContent"]["Text"] = json!("x".repeat(padding + 1));
    let answer = raw.import("g", vec![big, over]).await;
    assert_eq!(answer.results(), [0, 80002]);
    assert_eq!(sandbox.messages("g").len(), 1);
    assert_eq!(sandbox.stats().message_refusals[&80002], 1);
}

#[tokio::test]
async fn missing_or_invalid_fields_are_10004_for_the_request() {
    let (sandbox, raw, created) = with_group().await;
    let t = created + 1;
    let bodies = [
        json!({"MsgList": [msg("a", t, None, "x")]}),
        json!({"GroupId": "g"}),
        json!({"GroupId": "g", "MsgList": []}),
        json!({"GroupId": "g", "MsgList": "nope"}),
        json!({"GroupId": "g", "MsgList": [{"SendTime": t, "MsgBody": text("x")}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "MsgBody": text("x")}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": "yesterday", "MsgBody": text("x")}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": t}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": []}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": [{"MsgContent": {}}]}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": t, "Random": -1, "MsgBody": text("x")}]}),
        json!({"GroupId": "g", "MsgList": [{"From_Account": "a", "SendTime": t, "Random": 4_294_967_296_u64, "MsgBody": text("x")}]}),
        json!({"GroupId": "g", "MsgList": [msg("a", t, None, "ok"), {"From_Account": "", "SendTime": t, "MsgBody": text("x")}]}),
    ];
    for body in bodies {
        let answer = raw.call(Command::ImportGroupMsg, body.clone()).await;
        assert_eq!(answer.code(), 10004, "{body}: {answer:?}");
        assert!(!answer.json["ErrorInfo"].as_str().unwrap().is_empty());
    }
    assert!(
        sandbox.messages("g").is_empty(),
        "nothing of a refused request lands"
    );
}

#[tokio::test]
async fn the_same_random_within_five_minutes_is_dropped_as_a_repeat() {
    let (sandbox, raw, created) = with_group().await;
    let first = raw
        .import("g", vec![msg("a", created + 10, Some(4242), "first")])
        .await;
    assert_eq!(first.seqs(), [1]);
    // A resend of the same message (even a different one with the same Random) within the
    // window (with slack for the wall clock ticking during the test): success with the first
    // landing's seq and time, nothing stored.
    sandbox.advance_clock(DEDUP_WINDOW_SECS - 10);
    let again = raw
        .import("g", vec![msg("b", created + 5, Some(4242), "second")])
        .await;
    assert_eq!(again.results(), [0]);
    assert_eq!(again.seqs(), [1]);
    assert_eq!(again.json["ImportMsgResult"][0]["MsgTime"], created + 10);
    assert_eq!(sandbox.messages("g").len(), 1);
    assert_eq!(sandbox.stats().duplicates_dropped, 1);
    // Five minutes after the first landing the Random is free again.
    sandbox.advance_clock(10);
    let later = raw
        .import("g", vec![msg("a", created + 20, Some(4242), "third")])
        .await;
    assert_eq!(later.seqs(), [2]);
}

#[tokio::test]
async fn randoms_are_remembered_per_group() {
    let (_sandbox, raw, created) = with_group().await;
    raw.group("Public", "h", created).await;
    raw.import("g", vec![msg("a", created + 10, Some(9), "x")])
        .await;
    let other = raw
        .import("h", vec![msg("a", created + 10, Some(9), "x")])
        .await;
    assert_eq!(other.seqs(), [1]);
}

#[tokio::test]
async fn messages_without_random_get_one() {
    let (sandbox, raw, created) = with_group().await;
    let stored: Vec<u32> = {
        raw.import(
            "g",
            (1..=7).map(|i| msg("a", created + i, None, "x")).collect(),
        )
        .await;
        sandbox.messages("g").iter().map(|m| m.random).collect()
    };
    assert_eq!(stored.len(), 7);
    let mut distinct = stored.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 6, "drawn, not constant: {stored:?}");
}

#[tokio::test]
async fn recent_contact_flag_on_a_community_group_is_10004() {
    let (_sandbox, raw, created) = with_group().await;
    raw.group("Community", "@TGS#_c", created).await;
    let m = msg("a", created + 1, None, "x");
    raw.call(
        Command::ImportGroupMsg,
        json!({"GroupId": "@TGS#_c", "RecentContactFlag": 1, "MsgList": [m.clone()]}),
    )
    .await
    .expect_code(10004);
    raw.call(
        Command::ImportGroupMsg,
        json!({"GroupId": "g", "RecentContactFlag": 1, "MsgList": [m.clone()]}),
    )
    .await
    .expect_code(0);
    raw.call(
        Command::ImportGroupMsg,
        json!({"GroupId": "@TGS#_c", "MsgList": [m]}),
    )
    .await
    .expect_code(0);
}

#[tokio::test]
async fn topic_id_on_a_group_without_topics_is_10004_and_topics_have_their_own_seqs() {
    let sandbox = start_seeded(
        r#"{"groups": [
            {"id": "g", "type": "Public", "name": "G", "create_time": 1600000000},
            {"id": "@TGS#_c", "type": "Community", "name": "C", "create_time": 1600000000,
             "topics": ["@TGS#_c@TOPIC#_news"]}]}"#,
    )
    .await;
    let raw = Raw::new(&sandbox);
    let m = || vec![msg("a", 1_600_000_100, None, "x")];
    raw.call(
        Command::ImportGroupMsg,
        json!({"GroupId": "g", "TopicId": "g@TOPIC#_x", "MsgList": m()}),
    )
    .await
    .expect_code(10004);
    raw.call(
        Command::ImportGroupMsg,
        json!({"GroupId": "@TGS#_c", "TopicId": "@TGS#_c@TOPIC#_other", "MsgList": m()}),
    )
    .await
    .expect_code(10004);
    let answer = raw
        .call(
            Command::ImportGroupMsg,
            json!({"GroupId": "@TGS#_c", "TopicId": "@TGS#_c@TOPIC#_news", "MsgList": m()}),
        )
        .await;
    assert_eq!(answer.seqs(), [1]);
    assert_eq!(
        sandbox
            .topic_messages("@TGS#_c", "@TGS#_c@TOPIC#_news")
            .len(),
        1
    );
    assert!(sandbox.messages("@TGS#_c").is_empty());
}
