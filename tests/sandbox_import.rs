//! `import_group_msg` through the real client against the sandbox: one test per rule.

mod common;

use common::{
    assert_refused, client, config, import, make_group, msg, results, send, seqs, start,
    start_seeded, text,
};
use serde_json::{Value, json};
use timport::api::Client;
use timport::api::types::Command;
use timport::sandbox::{DEDUP_WINDOW_SECS, SandboxHandle};

/// A sandbox with a Public group `g` created an hour ago and no messages.
async fn with_group() -> (SandboxHandle, Client, i64) {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 3600;
    make_group(&client, "Public", "g", created).await;
    (sandbox, client, created)
}

#[tokio::test]
async fn successful_messages_get_seqs_from_one_and_are_stored_as_sent() {
    let (sandbox, client, created) = with_group().await;
    let body = json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Zeta": 1, "Data": "d", "Desc": "x"}},
                      {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "\u{0}"}}]);
    let first =
        json!({"From_Account": "ann", "SendTime": created + 1, "Random": 5, "MsgBody": body});
    let answer = import(
        &client,
        "g",
        vec![first, msg("bob", created + 2, None, "b")],
    )
    .await
    .unwrap();
    assert_eq!(results(&answer), [0, 0]);
    assert_eq!(seqs(&answer), [1, 2]);
    assert_eq!(answer.import_msg_result[1].msg_time, created + 2);
    let stored = sandbox.messages("g");
    assert_eq!(stored.len(), 2);
    let s = &stored[0];
    assert_eq!(
        (s.from.as_str(), s.time, s.random, s.seq),
        ("ann", created + 1, 5, 1)
    );
    assert_eq!(
        serde_json::to_value(&s.body).unwrap(),
        body,
        "body kept exactly"
    );
    assert_eq!(stored[1].seq, 2);
    let answer = import(&client, "g", vec![msg("c", created + 3, None, "c")])
        .await
        .unwrap();
    assert_eq!(seqs(&answer), [3]);
}

#[tokio::test]
async fn more_than_seven_messages_is_10004_and_nothing_lands() {
    let (sandbox, client, created) = with_group().await;
    let eight: Vec<Value> = (1..=8).map(|i| msg("a", created + i, None, "x")).collect();
    assert_refused(&import(&client, "g", eight).await, 10004);
    assert!(sandbox.messages("g").is_empty());
    let seven: Vec<Value> = (1..=7).map(|i| msg("a", created + i, None, "x")).collect();
    assert_eq!(results(&import(&client, "g", seven).await.unwrap()), [0; 7]);
}

#[tokio::test]
async fn unknown_group_is_10010() {
    let (_sandbox, client, created) = with_group().await;
    let answer = import(&client, "nope", vec![msg("a", created + 1, None, "x")]).await;
    assert_refused(&answer, 10010);
}

#[tokio::test]
async fn malformed_group_id_is_10015() {
    let (_sandbox, client, created) = with_group().await;
    for bad in [
        String::new(),
        "g".repeat(49),
        "tab\there".to_owned(),
        "grüße".to_owned(),
    ] {
        let answer = import(&client, &bad, vec![msg("a", created + 1, None, "x")]).await;
        assert_refused(&answer, 10015);
    }
}

#[tokio::test]
async fn avchatroom_is_10007() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "live", "type": "AVChatRoom", "name": "Live", "create_time": 1600000000}]}"#,
    )
    .await;
    let answer = import(
        &client(&sandbox),
        "live",
        vec![msg("a", 1_600_000_001, None, "x")],
    )
    .await;
    assert_refused(&answer, 10007);
}

#[tokio::test]
async fn send_time_not_after_creation_is_10004_for_that_message() {
    let (sandbox, client, created) = with_group().await;
    let list = vec![
        msg("a", created - 5, None, "x"),
        msg("a", created, None, "y"),
        msg("a", created + 1, None, "z"),
    ];
    let answer = import(&client, "g", list).await.unwrap();
    assert_eq!(results(&answer), [10004, 10004, 0]);
    assert_eq!(seqs(&answer), [0, 0, 1]);
    assert_eq!(sandbox.messages("g").len(), 1);
}

#[tokio::test]
async fn send_time_not_before_now_is_10004() {
    let (sandbox, client, _) = with_group().await;
    let now = sandbox.now();
    let list = vec![
        msg("a", now - 10, None, "past"),
        msg("a", now + 60, None, "future"),
    ];
    let answer = import(&client, "g", list).await.unwrap();
    assert_eq!(results(&answer), [0, 10004]);
}

#[tokio::test]
async fn send_time_before_the_newest_message_is_10004() {
    let sandbox = start_seeded(
        r#"{"groups": [{"id": "g", "type": "Private", "name": "G", "create_time": 1600000000,
            "messages": [{"from": "a", "time": 1600000500, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "old"}}]}]}]}"#,
    )
    .await;
    let list = vec![
        msg("a", 1_600_000_499, None, "x"),
        msg("a", 1_600_000_501, None, "y"),
    ];
    let answer = import(&client(&sandbox), "g", list).await.unwrap();
    assert_eq!(results(&answer), [10004, 0]);
    assert_eq!(seqs(&answer), [0, 2], "the seeded message holds seq 1");
}

#[tokio::test]
async fn messages_apply_in_order_and_each_moves_the_newest_time() {
    let (sandbox, client, created) = with_group().await;
    let list = vec![
        msg("a", created + 10, None, "1"),
        msg("a", created + 20, None, "2"),
        msg("a", created + 15, None, "out of order"),
        msg("a", created + 30, None, "3"),
    ];
    let answer = import(&client, "g", list).await.unwrap();
    assert_eq!(results(&answer), [0, 0, 10004, 0]);
    assert_eq!(seqs(&answer), [1, 2, 0, 3]);
    assert_eq!(sandbox.group("g").unwrap().last_msg_time, created + 30);
    // The next request continues from there.
    let late = import(&client, "g", vec![msg("a", created + 25, None, "late")]).await;
    assert_eq!(results(&late.unwrap()), [10004]);
}

#[tokio::test]
async fn a_send_time_equal_to_the_newest_is_allowed_by_default() {
    let (_sandbox, client, created) = with_group().await;
    let list = vec![
        msg("a", created + 10, None, "1"),
        msg("a", created + 10, None, "2"),
    ];
    assert_eq!(results(&import(&client, "g", list).await.unwrap()), [0, 0]);
    let again = import(&client, "g", vec![msg("a", created + 10, None, "3")]).await;
    assert_eq!(results(&again.unwrap()), [0]);
}

/// The results of importing, reading time as `strict`, a request of two messages sharing a
/// second then one a second later (`10, 10, 11`), then one of `11, 12, 12`.
async fn two_requests(strict: timport::sandbox::StrictTime) -> [Vec<i64>; 2] {
    let mut config = config();
    config.strict_time = strict;
    let sandbox = start(config).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 3600;
    make_group(&client, "Public", "g", created).await;
    let mut out = [Vec::new(), Vec::new()];
    for (i, times) in [[10, 10, 11], [11, 12, 12]].into_iter().enumerate() {
        let list = times
            .iter()
            .enumerate()
            .map(|(k, t)| msg("a", created + t, None, &format!("{i}{k}")))
            .collect();
        out[i] = results(&import(&client, "g", list).await.unwrap());
    }
    out
}

#[tokio::test]
async fn strict_time_refuses_a_send_time_equal_to_the_newest_of_an_earlier_request() {
    // One request may hold a second's messages; the next may not add to that second.
    assert_eq!(
        two_requests(timport::sandbox::StrictTime::AcrossRequests).await,
        [vec![0, 0, 0], vec![10004, 0, 0]]
    );
}

#[tokio::test]
async fn strict_time_per_message_refuses_a_send_time_equal_to_the_newest_even_in_one_request() {
    assert_eq!(
        two_requests(timport::sandbox::StrictTime::PerMessage).await,
        [vec![0, 10004, 0], vec![10004, 0, 10004]]
    );
}

#[tokio::test]
async fn the_default_reading_takes_equal_times() {
    assert_eq!(
        two_requests(timport::sandbox::StrictTime::Off).await,
        [vec![0, 0, 0], vec![0, 0, 0]]
    );
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_80002() {
    let (sandbox, client, created) = with_group().await;
    let mut big = msg("a", created + 1, None, "");
    let padding = 12_000 - big.to_string().len();
    big["MsgBody"][0]["MsgContent"]["Text"] = json!("x".repeat(padding));
    assert_eq!(big.to_string().len(), 12_000, "exactly at the limit");
    let mut over = msg("a", created + 2, None, "");
    over["MsgBody"][0]["MsgContent"]["Text"] = json!("x".repeat(padding + 1));
    let answer = import(&client, "g", vec![big, over]).await.unwrap();
    assert_eq!(results(&answer), [0, 80002]);
    assert_eq!(sandbox.messages("g").len(), 1);
    assert_eq!(sandbox.stats().message_refusals[&80002], 1);
}

#[tokio::test]
async fn missing_or_invalid_fields_are_10004_for_the_request() {
    let (sandbox, client, created) = with_group().await;
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
        assert_refused(&send(&client, Command::ImportGroupMsg, body).await, 10004);
    }
    assert!(
        sandbox.messages("g").is_empty(),
        "nothing of a refused request lands"
    );
}

#[tokio::test]
async fn the_same_random_within_five_minutes_is_dropped_as_a_repeat() {
    let (sandbox, client, created) = with_group().await;
    // A stopped clock: the window's edges are exact, however long the test takes.
    sandbox.freeze_clock();
    let first = import(
        &client,
        "g",
        vec![msg("a", created + 10, Some(4242), "first")],
    )
    .await;
    assert_eq!(seqs(&first.unwrap()), [1]);
    // A resend of the same message (even a different one with the same Random) within the
    // window: success with the first landing's seq and time, nothing stored.
    sandbox.advance_clock(DEDUP_WINDOW_SECS - 1);
    let again = import(
        &client,
        "g",
        vec![msg("b", created + 5, Some(4242), "second")],
    )
    .await
    .unwrap();
    assert_eq!((results(&again), seqs(&again)), (vec![0], vec![1]));
    assert_eq!(again.import_msg_result[0].msg_time, created + 10);
    assert_eq!(sandbox.messages("g").len(), 1);
    assert_eq!(sandbox.stats().duplicates_dropped, 1);
    // Five minutes after the first landing the Random is free again.
    sandbox.advance_clock(1);
    let later = import(
        &client,
        "g",
        vec![msg("a", created + 20, Some(4242), "third")],
    )
    .await;
    assert_eq!(seqs(&later.unwrap()), [2]);
}

#[tokio::test]
async fn randoms_are_remembered_per_group() {
    let (_sandbox, client, created) = with_group().await;
    make_group(&client, "Public", "h", created).await;
    import(&client, "g", vec![msg("a", created + 10, Some(9), "x")])
        .await
        .unwrap();
    let other = import(&client, "h", vec![msg("a", created + 10, Some(9), "x")]).await;
    assert_eq!(seqs(&other.unwrap()), [1]);
}

#[tokio::test]
async fn messages_without_random_get_one() {
    let (sandbox, client, created) = with_group().await;
    let list = (1..=7).map(|i| msg("a", created + i, None, "x")).collect();
    import(&client, "g", list).await.unwrap();
    let drawn: Vec<u32> = sandbox.messages("g").iter().map(|m| m.random).collect();
    assert_eq!(drawn.len(), 7);
    let mut distinct = drawn.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 6, "drawn, not constant: {drawn:?}");
}

#[tokio::test]
async fn recent_contact_flag_on_a_community_group_is_10004() {
    let (_sandbox, client, created) = with_group().await;
    make_group(&client, "Community", "@TGS#_c", created).await;
    let m = msg("a", created + 1, None, "x");
    let body = |group: &str, flag: bool| {
        let mut b = json!({"GroupId": group, "MsgList": [m.clone()]});
        if flag {
            b["RecentContactFlag"] = json!(1);
        }
        b
    };
    let community = send(&client, Command::ImportGroupMsg, body("@TGS#_c", true)).await;
    assert_refused(&community, 10004);
    send(&client, Command::ImportGroupMsg, body("g", true))
        .await
        .unwrap();
    send(&client, Command::ImportGroupMsg, body("@TGS#_c", false))
        .await
        .unwrap();
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
    let client = client(&sandbox);
    let to = |group: &str, topic: &str| json!({"GroupId": group, "TopicId": topic, "MsgList": [msg("a", 1_600_000_100, None, "x")]});
    let no_topics = send(&client, Command::ImportGroupMsg, to("g", "g@TOPIC#_x")).await;
    assert_refused(&no_topics, 10004);
    let unknown = send(
        &client,
        Command::ImportGroupMsg,
        to("@TGS#_c", "@TGS#_c@TOPIC#_other"),
    )
    .await;
    assert_refused(&unknown, 10004);
    let answer = send(
        &client,
        Command::ImportGroupMsg,
        to("@TGS#_c", "@TGS#_c@TOPIC#_news"),
    )
    .await
    .unwrap();
    assert_eq!(answer["ImportMsgResult"][0]["MsgSeq"], 1);
    assert_eq!(
        sandbox
            .topic_messages("@TGS#_c", "@TGS#_c@TOPIC#_news")
            .len(),
        1
    );
    assert!(sandbox.messages("@TGS#_c").is_empty());
}
