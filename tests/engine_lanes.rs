//! The lane state machine against a scripted service, on a paused clock: answers, refusals of
//! every class, unknown outcomes settled by reading back, and the message policy headless.

mod engine_fakes;

use engine_fakes::*;
use timport::engine::OnMessageError;
use timport::engine::{Event, LaneState, MessageOutcome, Target};

const T0: i64 = 1_600_000_000;

fn g(name: &str) -> Target {
    Target::new(name, None)
}

fn is_sent(e: &Event) -> bool {
    matches!(e, Event::BatchSent { .. })
}

#[tokio::test(start_paused = true)]
async fn every_message_lands_once_in_order_and_events_frame_the_run() {
    let fake = Fake::new();
    let a = series("a", T0, 20);
    let b = series("b", T0, 9);
    let source = memory(vec![(g("ga"), a.clone()), (g("gb"), b.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.texts("gb"), texts_of(&b));
    assert!(
        matches!(out.events.first(), Some(Event::RunStarted { targets, .. }) if targets.len() == 2)
    );
    assert!(matches!(
        out.events.last(),
        Some(Event::RunFinished { exit_code: 0, .. })
    ));
    // 20 = 7 + 7 + 6 and 9 = 7 + 2: five requests, each sent once, with the planned bytes.
    assert_eq!(out.count(is_sent), 5);
    assert_eq!(fake.imports(), 5);
    assert_eq!(
        out.count(|e| matches!(
            e,
            Event::MessageResult {
                outcome: MessageOutcome::Done { .. },
                ..
            }
        )),
        29
    );
    assert_eq!(out.count(|e| matches!(e, Event::LaneDone { .. })), 2);
    let s = &out.outcome.summary;
    assert_eq!((s.totals.total, s.totals.done, s.requests), (29, 29, 5));
    assert!(s.targets.iter().all(|t| t.state == LaneState::Done));
    // The ledger agrees.
    let done =
        ledger.count("SELECT count(*) FROM messages WHERE state = 'done' AND msg_seq IS NOT NULL");
    assert_eq!(done, 29);
}

/// A landed answer is committed with the lane's next request (one transaction, before that
/// request goes), the last one before the lane ends, and each is announced once committed: when
/// request k reaches the service, the ledger holds the k requests before it as done and this one
/// in flight with its messages.
#[tokio::test(start_paused = true)]
async fn each_answer_is_committed_before_the_next_request_goes_and_the_last_before_the_end() {
    let fake = Fake::new();
    let a = series("a", T0, 20);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (path, log) = (ledger.path.clone(), std::sync::Arc::clone(&seen));
    fake.on_import(move || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        log.lock().unwrap().push((
            count("SELECT count(*) FROM requests WHERE state = 'done'"),
            count("SELECT count(*) FROM requests WHERE state = 'in_flight'"),
            count("SELECT count(*) FROM messages WHERE state = 'done'"),
            count("SELECT count(*) FROM messages WHERE state = 'in_flight'"),
        ));
    });
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    // 20 = 7 + 7 + 6.
    assert_eq!(
        *seen.lock().unwrap(),
        [(0, 1, 0, 7), (1, 1, 7, 7), (2, 1, 14, 6)],
        "(requests done, in flight; messages done, in flight) as each request arrived"
    );
    // The last answer is in the lane's counts and announced.
    let s = &out.outcome.summary;
    assert_eq!((s.totals.done, s.requests), (20, 3));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LaneDone { counts, .. } if counts.done == 20
    )));
    assert_eq!(
        out.count(|e| matches!(
            e,
            Event::MessageResult {
                outcome: MessageOutcome::Done { .. },
                ..
            }
        )),
        20
    );
    // Each request's results are announced before the next request is.
    let sent: Vec<usize> = (out.events.iter().enumerate())
        .filter(|(_, e)| is_sent(e))
        .map(|(i, _)| i)
        .collect();
    let results: Vec<usize> = (out.events.iter().enumerate())
        .filter(|(_, e)| matches!(e, Event::MessageResult { .. }))
        .map(|(i, _)| i)
        .collect();
    assert!(
        results[6] < sent[1] && results[13] < sent[2],
        "{sent:?} {results:?}"
    );
    let states: Vec<String> = ledger.column("SELECT state FROM requests ORDER BY id");
    assert_eq!(states, ["done", "done", "done"]);
}

/// Groups that never held a message are asked about together (`get_group_info`, longest lane
/// first) and their lanes send without reading back; a group that holds anything is read back
/// before its first send as before.
#[tokio::test(start_paused = true)]
async fn empty_groups_are_asked_about_together_and_not_read_back() {
    let fake = Fake::new();
    fake.answer_group_info();
    fake.seed("gc", &msg("elsewhere", T0 - 100, "there before"));
    let (a, b, c) = (series("a", T0, 3), series("b", T0, 20), series("c", T0, 10));
    let source = memory(vec![
        (g("ga"), a.clone()),
        (g("gb"), b.clone()),
        (g("gc"), c.clone()),
    ]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.texts("gb"), texts_of(&b));
    assert_eq!(fake.texts("gc")[1..], texts_of(&c));
    assert_eq!(
        fake.info_calls(),
        [["gb", "gc", "ga"]],
        "one call, in the order the lanes start"
    );
    assert_eq!(fake.read_calls(), 1, "only the group that holds a message");
}

/// A Community topic is a stream of its own: its lane reads the topic back (the group's
/// `NextMsgSeq` does not speak for it), and the topic is not asked about.
#[tokio::test(start_paused = true)]
async fn a_topic_is_not_asked_about_and_its_lane_reads_back() {
    let fake = Fake::new();
    fake.answer_group_info();
    let (a, t) = (series("a", T0, 7), series("t", T0, 7));
    let topic = Target::new("gc", Some("gc@TOPIC#_t"));
    let source = memory(vec![(g("ga"), a.clone()), (topic, t.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(fake.info_calls(), [["ga"]]);
    assert_eq!(fake.read_calls(), 1, "the topic's lane read it back");
}

/// A refused `get_group_info` (here for its frequency) ends the asking: no group is known to be
/// empty, every lane reads its group back, and the limiter hears of the refusal.
#[tokio::test(start_paused = true)]
async fn a_refused_group_info_call_leaves_every_lane_to_read_back() {
    let fake = Fake::new();
    fake.answer_group_info();
    fake.refuse_group_info(60007);
    let groups: Vec<_> = (0..60)
        .map(|i| (g(&format!("g{i:02}")), series("m", T0, 1)))
        .collect();
    let source = memory(groups);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(
        fake.info_calls().len(),
        1,
        "not asked again after a refusal"
    );
    assert_eq!(fake.read_calls(), 60, "every lane read its group back");
    assert!(
        out.events
            .iter()
            .any(|e| matches!(e, Event::RateChanged { refusals: 1, .. })),
        "the limiter slowed down"
    );
}

/// A lost ledger: the groups hold this run's messages already, so they are not empty and every
/// lane reads back and matches them; nothing is sent again.
#[tokio::test(start_paused = true)]
async fn with_the_ledger_lost_groups_that_hold_messages_are_read_back_and_nothing_is_resent() {
    let fake = Fake::new();
    fake.answer_group_info();
    let (a, b) = (series("a", T0, 10), series("b", T0, 3));
    let source = memory(vec![(g("ga"), a.clone()), (g("gb"), b.clone())]);
    let first = TempLedger::new();
    let out = run_headless(&fake, &source, &first, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.read_calls(), 0, "both groups were empty");
    let imports = fake.imports();
    let lost = TempLedger::new();
    let out = run_headless(&fake, &source, &lost, headless()).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    assert_eq!(fake.imports(), imports, "nothing sent again");
    assert_eq!(fake.read_calls(), 2, "each group read back");
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.texts("gb"), texts_of(&b));
    let done = lost.count("SELECT count(*) FROM messages WHERE state = 'done'");
    assert_eq!(done, 13, "the new ledger has them as done");
}

#[tokio::test(start_paused = true)]
async fn an_answer_lost_after_commit_is_settled_by_reading_back_not_resent() {
    let fake = Fake::new();
    fake.script(&[Act::Answer, Act::LostAfterCommit]);
    let a = series("a", T0, 14);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(
        fake.texts("ga"),
        texts_of(&a),
        "each message once, in order"
    );
    assert_eq!(fake.imports(), 2, "the second batch was not sent again");
    assert_eq!(out.count(|e| matches!(e, Event::OutcomeUnknown { .. })), 1);
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Settled {
            landed: 7,
            missing: 0,
            batch: 1,
            ..
        }
    )));
    // Its messages got their sequence numbers from the read-back.
    let seqs: Vec<i64> = ledger.column("SELECT msg_seq FROM messages ORDER BY send_time");
    assert_eq!(seqs, (1..=14).collect::<Vec<i64>>());
    let states: Vec<String> = ledger.column("SELECT state FROM requests ORDER BY id");
    assert_eq!(states, ["done", "settled"]);
}

#[tokio::test(start_paused = true)]
async fn a_request_lost_before_commit_is_found_missing_and_resent() {
    for act in [Act::LostBeforeCommit, Act::Gateway] {
        let fake = Fake::new();
        fake.script(&[act]);
        let a = series("a", T0, 5);
        let source = memory(vec![(g("ga"), a.clone())]);
        let ledger = TempLedger::new();
        let out = run_headless(&fake, &source, &ledger, headless()).await;
        assert_eq!(out.exit(), 0, "{act:?}");
        assert_eq!(fake.texts("ga"), texts_of(&a), "{act:?}");
        assert_eq!(
            fake.imports(),
            2,
            "{act:?}: sent, settled missing, sent again"
        );
        assert!(out.events.iter().any(|e| matches!(
            e,
            Event::Settled {
                landed: 0,
                missing: 5,
                ..
            }
        )));
        let bodies = fake.bodies();
        assert_eq!(bodies[0].1, bodies[1].1, "the same planned bytes");
    }
}

#[tokio::test(start_paused = true)]
async fn a_partly_applied_request_resends_only_the_unmatched_suffix() {
    let fake = Fake::new();
    fake.script(&[Act::Partial(3)]);
    let a = series("a", T0, 7);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Settled {
            landed: 3,
            missing: 4,
            ..
        }
    )));
    let second: serde_json::Value = serde_json::from_slice(&fake.bodies()[1].1).unwrap();
    let sent: Vec<&str> = second["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["a3", "a4", "a5", "a6"]);
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::BatchSent {
            attempt: 2,
            messages: 4,
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn a_short_answer_is_settled_rather_than_trusted() {
    let fake = Fake::new();
    fake.script(&[Act::Short]);
    let a = series("a", T0, 3);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.imports(), 1);
    let Some(Event::OutcomeUnknown { failure, .. }) = out
        .events
        .iter()
        .find(|e| matches!(e, Event::OutcomeUnknown { .. }))
    else {
        panic!("a short answer is an unknown outcome")
    };
    assert!(
        failure.detail.contains("2 results for 3 messages"),
        "{failure:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_refusals_and_connect_failures_are_retried_with_backoff() {
    let fake = Fake::new();
    fake.script(&[Act::Refuse(10002), Act::ConnectFail, Act::Refuse(70500)]);
    let a = series("a", T0, 3);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let started = tokio::time::Instant::now();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    let delays: Vec<u64> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Retrying {
                delay_ms, attempt, ..
            } => Some((*delay_ms, *attempt)),
            _ => None,
        })
        .map(|(d, _)| d)
        .collect();
    assert_eq!(delays.len(), 3);
    assert!((100..=200).contains(&delays[0]), "{delays:?}");
    assert!((200..=400).contains(&delays[1]), "{delays:?}");
    assert!((400..=800).contains(&delays[2]), "{delays:?}");
    assert!(started.elapsed().as_millis() >= u128::from(delays.iter().sum::<u64>()));
    let Some(Event::Retrying { reason, .. }) = out
        .events
        .iter()
        .find(|e| matches!(e, Event::Retrying { .. }))
    else {
        unreachable!()
    };
    assert_eq!(reason.code, Some(10002));
}

#[tokio::test(start_paused = true)]
async fn a_lasting_transient_failure_blocks_the_lane_with_exit_3_and_others_go_on() {
    let fake = Fake::new();
    // The first lane takes six refusals in a row (its whole budget).
    fake.script(&[Act::Refuse(10002); 6]);
    let a = series("a", T0, 3);
    let b = series("b", T0, 3);
    let mut opts = headless();
    opts.lanes = 1;
    let source = memory(vec![(g("ga"), a), (g("gb"), b.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, opts).await;
    assert_eq!(out.exit(), 3);
    assert!(fake.texts("ga").is_empty());
    assert_eq!(fake.texts("gb"), texts_of(&b));
    let reason = out.paused();
    assert!(reason.failure.detail.contains("6 tries"), "{reason:?}");
    assert!(reason.failure.detail.contains("10002"), "{reason:?}");
    assert_eq!(reason.source, source_of("ga", 0));
    let state: String = ledger
        .sql()
        .query_row(
            "SELECT state FROM messages WHERE file = 'ga.jsonl' AND line = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        state, "pending",
        "a network failure is not a message failure"
    );
}

#[tokio::test(start_paused = true)]
async fn frequency_refusals_slow_the_limiter_and_are_retried() {
    let fake = Fake::new();
    fake.script(&[Act::Refuse(60007), Act::Refuse(10023)]);
    let a = series("a", T0, 3);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    let Some(Event::RateChanged {
        current,
        budget,
        refusals,
    }) = out
        .events
        .iter()
        .find(|e| matches!(e, Event::RateChanged { .. }))
    else {
        panic!("the rate changes")
    };
    assert_eq!((*current, *budget, *refusals), (126, 180, 1));
}

#[tokio::test(start_paused = true)]
async fn an_auth_refusal_renews_the_usersig_once() {
    let fake = Fake::new();
    fake.script(&[Act::Refuse(70001)]);
    let a = series("a", T0, 2);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.renewals(), 1);
    assert_eq!(fake.texts("ga"), texts_of(&a));

    // Refused again after renewing: the run stops with exit 3 and the explanation.
    let fake = Fake::new();
    fake.script(&[Act::Refuse(70001), Act::Refuse(70003)]);
    let source = memory(vec![
        (g("ga"), series("a", T0, 2)),
        (g("gb"), series("b", T0, 2)),
    ]);
    let mut opts = headless();
    opts.lanes = 1;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 3);
    assert_eq!(fake.renewals(), 1);
    assert!(
        fake.texts("gb").is_empty(),
        "the run stopped before the next lane"
    );
    let stopped = out.outcome.summary.stopped.clone().unwrap();
    assert!(stopped.starts_with("70003: "), "{stopped}");
}

#[tokio::test(start_paused = true)]
async fn region_and_configuration_errors_stop_the_run() {
    for code in [70020, 60006] {
        let fake = Fake::new();
        fake.script(&[Act::Refuse(code)]);
        let source = memory(vec![(g("ga"), series("a", T0, 2))]);
        let out = run_headless(&fake, &source, &TempLedger::new(), headless()).await;
        assert_eq!(out.exit(), 3, "{code}");
        assert_eq!(fake.imports(), 1, "{code}: not retried");
        assert!(
            out.outcome
                .summary
                .stopped
                .as_deref()
                .unwrap()
                .starts_with(&code.to_string())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_group_refusal_stops_only_that_lane() {
    let fake = Fake::new();
    fake.script(&[Act::Refuse(10010)]);
    let b = series("b", T0, 3);
    let mut opts = headless();
    opts.lanes = 1;
    let source = memory(vec![(g("gone"), series("a", T0, 3)), (g("gb"), b.clone())]);
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("gb"), texts_of(&b));
    let Some(Event::LaneStopped { target, reason }) = out
        .events
        .iter()
        .find(|e| matches!(e, Event::LaneStopped { .. }))
    else {
        panic!("the lane stops")
    };
    assert_eq!(target.group(), "gone");
    assert!(reason.starts_with("10010: "), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn a_refused_message_pauses_its_lane_headless_and_shows_what_landed_after_it() {
    let fake = Fake::new();
    fake.refuse_text("a2", 80002);
    let a = series("a", T0, 10);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a3", "a4", "a5", "a6"]);
    assert_eq!(fake.imports(), 1, "the next batch waits");
    let reason = out.paused();
    assert_eq!(reason.source, source_of("ga", 2));
    assert_eq!(reason.failure.code, Some(80002));
    assert_eq!(reason.summary, "a2");
    let after: Vec<u64> = reason.landed_after.iter().map(|l| l.msg_seq).collect();
    assert_eq!(after, [3, 4, 5, 6]);
    let s = &out.outcome.summary;
    assert_eq!(
        (s.totals.done, s.totals.failed, s.totals.pending()),
        (6, 1, 3)
    );
    assert_eq!(s.targets[0].state, LaneState::Paused);
    let (state, code, body): (String, i64, String) = ledger
        .sql()
        .query_row(
            "SELECT state, code, body FROM messages WHERE line = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), code), ("failed", 80002));
    assert!(body.contains("\"a2\""), "{body}");
}

#[tokio::test(start_paused = true)]
async fn the_skip_policy_records_and_continues() {
    let fake = Fake::new();
    fake.refuse_text("a2", 80001);
    let a = series("a", T0, 10);
    let source = memory(vec![(g("ga"), a)]);
    let ledger = TempLedger::new();
    let mut opts = headless();
    opts.on_message_error = OnMessageError::Skip;
    let out = run_headless(&fake, &source, &ledger, opts).await;
    assert_eq!(out.exit(), 1, "finished with a skipped message");
    assert_eq!(fake.texts("ga").len(), 9);
    let reason = out
        .events
        .iter()
        .find_map(|e| match e {
            Event::MessageResult {
                outcome: MessageOutcome::Skipped { reason },
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.starts_with("auto-skipped: 80001 "), "{reason}");
    let (decision, by): (String, String) = ledger
        .sql()
        .query_row("SELECT decision, by FROM decisions", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((decision.as_str(), by.as_str()), ("auto_skip", "policy"));
    assert_eq!(out.outcome.summary.totals.skipped, 1);
}

#[tokio::test(start_paused = true)]
async fn a_request_refused_for_its_content_fails_every_message_of_it() {
    let fake = Fake::new();
    fake.script(&[Act::Refuse(10019)]);
    let mut opts = headless();
    opts.on_message_error = OnMessageError::Skip;
    let source = memory(vec![(g("ga"), series("a", T0, 9))]);
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a7", "a8"]);
    assert_eq!(out.outcome.summary.totals.skipped, 7);
}

#[tokio::test(start_paused = true)]
async fn invalid_messages_stop_the_lane_at_their_place_or_are_skipped() {
    let mut entries = series("a", T0, 3);
    entries.insert(2, invalid(T0 + 1, "MsgBody is empty"));
    // Paused: nothing after the invalid message goes in; what came before does.
    let fake = Fake::new();
    let source = memory(vec![(g("ga"), entries.clone())]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a1"]);
    let reason = out.paused();
    assert_eq!(reason.source, source_of("ga", 2));
    assert!(reason.failure.detail.contains("MsgBody is empty"));
    assert_eq!(out.outcome.summary.totals.invalid, 1);
    // Watchers learn of the invalid message when the lane reaches it, before the pause.
    let invalid_at = out.events.iter().position(|e| {
        matches!(e, Event::MessageResult { outcome: MessageOutcome::Invalid { problem }, .. } if problem.contains("MsgBody is empty"))
    });
    let paused_at = out
        .events
        .iter()
        .position(|e| matches!(e, Event::LanePaused { .. }));
    assert!(
        matches!((invalid_at, paused_at), (Some(i), Some(p)) if i < p),
        "{:?}",
        out.events
    );
    let raw: String = ledger
        .sql()
        .query_row(
            "SELECT body FROM messages WHERE state = 'invalid'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(raw.contains("MsgBody"), "{raw}");

    // Skipped: the rest goes in, in order.
    let fake = Fake::new();
    let mut opts = headless();
    opts.on_message_error = OnMessageError::Skip;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a2"]);
    assert!(out.events.iter().any(|e| matches!(e,
        Event::MessageResult { outcome: MessageOutcome::Skipped { reason }, .. } if reason == "auto-skipped: invalid: MsgBody is empty")));
}

#[tokio::test(start_paused = true)]
async fn read_back_failures_are_retried_and_never_lead_to_a_resend() {
    let fake = Fake::new();
    fake.script(&[Act::LostAfterCommit]);
    // The start check reads once; then the settle's reads fail twice before one succeeds.
    fake.script_reads(&[None, Some(10002), Some(60008)]);
    let a = series("a", T0, 4);
    let source = memory(vec![(g("ga"), a.clone())]);
    let out = run_headless(&fake, &source, &TempLedger::new(), headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.imports(), 1);
    assert_eq!(fake.read_calls(), 4);
    assert_eq!(out.count(|e| matches!(e, Event::Retrying { .. })), 2);
}

#[tokio::test(start_paused = true)]
async fn a_gap_inside_a_lost_request_is_overtaken_and_never_resent() {
    let fake = Fake::new();
    fake.refuse_text("a1", 10004);
    fake.script(&[Act::LostAfterCommit]);
    let a = series("a", T0, 3);
    let source = memory(vec![(g("ga"), a)]);
    let out = run_headless(&fake, &source, &TempLedger::new(), headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a2"]);
    assert_eq!(fake.imports(), 1);
    let reason = out.paused();
    assert_eq!(reason.source, source_of("ga", 1));
    assert_eq!(reason.failure.code, None);
    assert!(
        reason
            .failure
            .meaning
            .contains("later messages of the same request"),
        "{:?}",
        reason.failure
    );
}

#[tokio::test(start_paused = true)]
async fn requests_that_keep_getting_lost_stop_after_the_budget() {
    let fake = Fake::new();
    fake.script(&[Act::LostBeforeCommit; 6]);
    let source = memory(vec![(g("ga"), series("a", T0, 2))]);
    let out = run_headless(&fake, &source, &TempLedger::new(), headless()).await;
    assert_eq!(out.exit(), 3);
    assert_eq!(fake.imports(), 6);
    assert!(fake.texts("ga").is_empty());
}

// Real time: on a paused clock, waiting for the ledger's thread lets the clock jump past the
// other lanes' latency, so requests would never overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_lanes_targets_send_at_once() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(50));
    let targets = groups(6, 21);
    let source = memory(targets);
    let mut opts = headless();
    opts.lanes = 2;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.max_in_flight(), 2);
    assert_eq!(fake.imports(), 18);
}

#[tokio::test(start_paused = true)]
async fn many_lanes_share_one_rate() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(10));
    let targets = groups(10, 70);
    // Whole targets in one part: no read-backs between parts share the rate here.
    let source = std::sync::Arc::new(timport::engine::memory::MemoryWork::new(targets));
    let mut opts = headless();
    opts.rate = 30;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0);
    let times: Vec<_> = fake.bodies().iter().map(|(t, _)| *t).collect();
    assert_eq!(times.len(), 100);
    let busiest = busiest_second(&times);
    assert!(busiest <= 30, "{busiest}");
    assert!(busiest >= 25, "the budget is used: {busiest}");
}

#[tokio::test(start_paused = true)]
async fn a_message_the_service_took_for_a_repeat_is_failed_not_done() {
    let fake = Fake::new();
    fake.dedup();
    let mut entries = series("a", T0, 4);
    // The third message carries the first one's Random.
    if let (Entry::Msg(first), Entry::Msg(third)) = (entries[0].clone(), &mut entries[2]) {
        third.random = first.random;
    }
    let source = memory(vec![(g("ga"), entries)]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a3"]);
    let reason = out.paused();
    assert_eq!(reason.source, source_of("ga", 2));
    assert!(
        reason.failure.meaning.contains("repeat"),
        "{:?}",
        reason.failure
    );
    assert!(
        reason
            .failure
            .detail
            .contains("MsgSeq 1, which belongs to ga.jsonl line 1"),
        "{:?}",
        reason.failure
    );
    let done = ledger.count("SELECT count(*) FROM messages WHERE state = 'done'");
    assert_eq!(done, 3, "the ledger never calls it done");
}

/// `n` groups `g0..` of `per` messages each.
fn groups(n: usize, per: usize) -> Vec<(Target, Vec<Entry>)> {
    (0..n)
        .map(|i| (g(&format!("g{i}")), series("m", T0, per)))
        .collect()
}

/// The busiest one-second window of `times` (sorted).
fn busiest_second(times: &[tokio::time::Instant]) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|u| **u - times[i] < std::time::Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The current rate each time it changed against `budget`.
fn rates(out: &Outcome, budget: u32) -> Vec<u32> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::RateChanged {
                current, budget: b, ..
            } if *b == budget => Some(*current),
            _ => None,
        })
        .collect()
}

/// One big group among many small ones, 100 ms round trips, `--rate 40`: the big group's
/// 30 requests (3 s) outlast the run's 90 at the rate (2.25 s), so the limiter reserves slots for
/// its lane (`limiter`: reserved share) while the small lanes keep the rest of the rate busy.
/// Every message lands once, in order, and no second holds more than the rate. (That the lane
/// then goes without waiting is shown on the limiter's own paused clock, `limiter::tests`, and
/// measured in BENCHMARKS.md: here the ledger's thread lets the paused clock jump.)
#[tokio::test(start_paused = true)]
async fn with_a_reserved_share_for_the_longest_lane_every_second_stays_within_the_rate() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(100));
    let mut targets = vec![(g("big"), series("b", T0, 210))];
    targets.extend(groups(30, 14));
    // Whole targets in one part: the imports alone share the rate.
    let source = std::sync::Arc::new(timport::engine::memory::MemoryWork::new(targets.clone()));
    let mut opts = headless();
    opts.rate = 40;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    for (target, entries) in &targets {
        assert_eq!(fake.texts(target.group()), texts_of(entries));
    }
    assert_eq!(fake.imports(), 90);
    // Only the ceiling: how full the busiest second gets depends on how far the paused clock
    // jumps while the ledger's thread works (the machine's load), and the use of the budget is
    // measured in BENCHMARKS.md.
    let busiest = busiest_second(&fake.request_times());
    assert!(busiest <= 40, "{busiest}");
}

#[tokio::test(start_paused = true)]
async fn imports_and_read_backs_share_the_rate() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(10));
    let targets = groups(6, 70);
    let source = memory(targets);
    let mut opts = headless();
    opts.rate = 40;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.imports(), 60);
    assert_eq!(
        fake.read_calls(),
        6,
        "each group is checked before its first send"
    );
    let busiest = busiest_second(&fake.request_times());
    assert!(busiest <= 40, "{busiest}");
    assert!(busiest >= 35, "the budget is used: {busiest}");
}

#[tokio::test(start_paused = true)]
async fn frequency_refusals_cut_the_rate_and_it_climbs_back_once_quiet() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(10));
    fake.script(&[Act::Refuse(60007); 3]);
    let targets = groups(3, 210);
    let source = memory(targets.clone());
    let mut opts = headless();
    opts.rate = 40;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0);
    for (target, entries) in &targets {
        assert_eq!(fake.texts(target.group()), texts_of(entries));
    }
    let rates = rates(&out, 40);
    // One cut for the three refusals (they come within the cooldown), then a climb of a tenth
    // of the budget per quiet period.
    assert_eq!(rates.first(), Some(&28), "{rates:?}");
    assert!(rates[1..].iter().all(|&r| r > 28), "{rates:?}");
    assert!(
        rates.windows(2).all(|w| w[1] == w[0] + 4 || w[1] == 40),
        "{rates:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_service_stricter_than_the_rate_is_met_by_slowing_down() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(10));
    fake.limit_rate(60);
    let targets = groups(8, 98);
    let source = memory(targets.clone());
    let mut opts = headless();
    opts.rate = 200;
    let out = run_headless(&fake, &source, &TempLedger::new(), opts).await;
    assert_eq!(out.exit(), 0, "{:#?}", out.outcome.summary);
    for (target, entries) in &targets {
        assert_eq!(fake.texts(target.group()), texts_of(entries));
    }
    let refused = fake.rate_refusals();
    assert!(refused > 0, "the engine met the service's limit");
    let rates = rates(&out, 200);
    let lowest = *rates.iter().min().expect("the rate changed");
    assert!(lowest < 200, "slowed down: {rates:?}");
    // Slowing down keeps the refusals few: under a quarter of the 112 imports (about ten).
    assert!(refused < 28, "{refused} refusals; rates {rates:?}");
}
