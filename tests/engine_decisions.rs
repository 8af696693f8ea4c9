//! Interactive runs (as the console drives them): decisions about a paused lane, pausing the
//! run, stopping a lane, shutting down with a request in flight.

mod engine_fakes;

use std::sync::Arc;
use std::time::Duration;

use engine_fakes::*;
use timport::api::types::{ImportMsg, MsgElement};
use timport::engine::{Control, Decision, Event, LaneState, MessageOutcome, RunOptions, Target};

const T0: i64 = 1_600_000_000;

#[tokio::test(start_paused = true)]
async fn retry_sends_the_refused_message_again() {
    let fake = Fake::new();
    fake.refuse_text("a6", 10016);
    let a = series("a", T0, 10);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let f = Arc::clone(&fake);
    let driver = decide_with(vec![Decision::Retry], move |_| f.accept_text("a6"));
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(out.count(|e| matches!(e, Event::LaneResumed { .. })), 1);
    // The retried message went alone, then the second batch.
    let sizes: Vec<usize> = fake
        .bodies()
        .iter()
        .map(|(_, b)| {
            serde_json::from_slice::<serde_json::Value>(b).unwrap()["MsgList"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [7, 1, 3]);
    let decision: String = ledger
        .sql()
        .query_row("SELECT decision FROM decisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decision, "retry");
}

#[tokio::test(start_paused = true)]
async fn retry_edited_checks_the_edit_then_sends_it() {
    let fake = Fake::new();
    fake.refuse_text("spam", 80001);
    let mut a = series("a", T0, 3);
    a.push(m("bob", T0 + 3, "spam"));
    let source = memory(vec![(g("ga"), a)]);
    let ledger = TempLedger::new();
    let empty = ImportMsg {
        from_account: "bob".into(),
        send_time: T0 + 3,
        random: None,
        msg_body: vec![],
    };
    let fixed = ImportMsg {
        msg_body: vec![MsgElement::text("ham")],
        ..empty.clone()
    };
    // The first edit breaks a rule and is refused (the lane stays paused); the second goes.
    let driver: Driver = Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(e) = events.recv().await {
                if let Event::LanePaused { target, reason } = &e {
                    for edit in [empty.clone(), fixed.clone()] {
                        controls
                            .send(Control::Decide {
                                target: target.clone(),
                                source: reason.source.clone(),
                                decision: Decision::RetryEdited(edit),
                                operator: String::new(),
                            })
                            .await
                            .unwrap();
                    }
                }
                seen.push(e);
            }
            seen
        })
    });
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a2", "ham"]);
    let warning = out.warnings().remove(0);
    assert!(warning.contains("MsgBody is empty"), "{warning}");
    let (decision, body, edited): (String, String, i64) = ledger
        .sql()
        .query_row(
            "SELECT d.decision, d.edited_body, m.edited FROM decisions d JOIN messages m ON m.id = d.message_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(decision, "retry_edited");
    assert!(
        body.contains("ham") && body.contains("\"Random\""),
        "{body}"
    );
    assert_eq!(edited, 1);
    assert_eq!(
        fake.stored("ga")[3].random,
        source_random("spam"),
        "the edit kept the original message's Random"
    );
}

fn source_random(text: &str) -> u32 {
    match m("x", 0, text) {
        Entry::Msg(msg) => msg.random.unwrap(),
        Entry::Invalid { .. } => unreachable!(),
    }
}

#[tokio::test(start_paused = true)]
async fn skip_records_the_reason_and_stop_group_ends_the_lane() {
    let fake = Fake::new();
    fake.refuse_text("a1", 80002);
    fake.refuse_text("b1", 80002);
    let source = memory(vec![
        (g("ga"), series("a", T0, 4)),
        (g("gb"), series("b", T0, 4)),
    ]);
    let ledger = TempLedger::new();
    let mut opts = interactive();
    opts.lanes = 1;
    let driver = decide_with(
        vec![
            Decision::Skip {
                reason: "duplicate of a0".into(),
            },
            Decision::StopGroup,
        ],
        |_| {},
    );
    let out = run_with(&fake, &source, &ledger, opts, Some(driver)).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a2", "a3"]);
    assert_eq!(
        fake.texts("gb"),
        ["b0", "b2", "b3"],
        "b2 and b3 had landed in the same request"
    );
    assert!(out.events.iter().any(|e| matches!(e,
        Event::MessageResult { outcome: MessageOutcome::Skipped { reason }, .. } if reason == "duplicate of a0")));
    let stopped = out
        .events
        .iter()
        .find_map(|e| match e {
            Event::LaneStopped { target, reason } => {
                Some((target.group().to_owned(), reason.clone()))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(stopped.0, "gb");
    assert!(
        stopped
            .1
            .starts_with("stopped by the operator at gb.jsonl line 2"),
        "{}",
        stopped.1
    );
    let rows: Vec<(String, Option<String>)> = ledger
        .sql()
        .prepare("SELECT decision, reason FROM decisions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            ("skip".to_owned(), Some("duplicate of a0".to_owned())),
            ("stop_group".to_owned(), None)
        ]
    );
    let summary = &out.outcome.summary;
    assert_eq!(summary.targets[1].state, LaneState::Stopped);
}

#[tokio::test(start_paused = true)]
async fn a_decision_about_another_message_is_ignored_with_a_warning() {
    let fake = Fake::new();
    fake.refuse_text("a1", 80002);
    let source = memory(vec![(g("ga"), series("a", T0, 2))]);
    let driver: Driver = Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(e) = events.recv().await {
                if let Event::LanePaused { target, reason } = &e {
                    let skip = |source| Control::Decide {
                        target: target.clone(),
                        source,
                        decision: Decision::Skip { reason: "x".into() },
                        operator: String::new(),
                    };
                    controls.send(skip(source_of("ga", 0))).await.unwrap();
                    controls
                        .send(Control::StopLane(g("nope"), String::new()))
                        .await
                        .unwrap();
                    controls.send(skip(reason.source.clone())).await.unwrap();
                }
                seen.push(e);
            }
            seen
        })
    });
    let out = run_with(
        &fake,
        &source,
        &TempLedger::new(),
        interactive(),
        Some(driver),
    )
    .await;
    assert_eq!(out.exit(), 1);
    let warnings = out.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("ga.jsonl line 1 ignored")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("nope")), "{warnings:?}");
    assert_eq!(out.outcome.summary.totals.skipped, 1);
}

#[tokio::test(start_paused = true)]
async fn a_paused_lane_gives_its_slot_to_the_next_target() {
    let fake = Fake::new();
    fake.refuse_text("a0", 80002);
    // ga is the longer (3 requests to gb's 2): it starts first (longest first) and pauses.
    let source = memory(vec![
        (g("ga"), series("a", T0, 15)),
        (g("gb"), series("b", T0, 9)),
    ]);
    let mut opts = interactive();
    opts.lanes = 1;
    // Decide about ga only once gb is done: possible only if ga gave its slot back.
    let driver: Driver = Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut paused = None;
            while let Some(e) = events.recv().await {
                match &e {
                    Event::LanePaused { target, reason } => {
                        paused = Some((target.clone(), reason.source.clone()));
                    }
                    Event::LaneDone { target, .. } if target.group() == "gb" => {
                        let (target, source) = paused.take().expect("ga paused first");
                        controls
                            .send(Control::Decide {
                                target,
                                source,
                                decision: Decision::Skip {
                                    reason: "later".into(),
                                },
                                operator: String::new(),
                            })
                            .await
                            .unwrap();
                    }
                    _ => {}
                }
                seen.push(e);
            }
            seen
        })
    });
    let out = run_with(&fake, &source, &TempLedger::new(), opts, Some(driver)).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("gb").len(), 9);
    assert_eq!(
        fake.texts("ga"),
        (1..15).map(|i| format!("a{i}")).collect::<Vec<_>>()
    );
    let pos = |pred: &dyn Fn(&Event) -> bool| out.events.iter().position(pred).unwrap();
    assert!(
        pos(&|e| matches!(e, Event::LanePaused { .. }))
            < pos(&|e| matches!(e, Event::LaneDone { target, .. } if target.group() == "gb"))
    );
    assert!(
        pos(&|e| matches!(e, Event::LaneDone { target, .. } if target.group() == "gb"))
            < pos(&|e| matches!(e, Event::LaneResumed { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn pausing_the_run_holds_every_new_request_until_resumed() {
    let fake = Fake::with_latency(Duration::from_millis(50));
    let source = memory(vec![(g("ga"), series("a", T0, 21))]);
    let ledger = TempLedger::new();
    let path = ledger.path.clone();
    let done_while_paused = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let seen_done = std::sync::Arc::clone(&done_while_paused);
    let driver: Driver = Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen: Vec<Event> = Vec::new();
            while let Some(e) = events.recv().await {
                let first_batch = matches!(e, Event::BatchSent { batch: 0, .. });
                seen.push(e);
                if first_batch {
                    controls.send(Control::PauseRun).await.unwrap();
                    // Ten (virtual) seconds: only the request in flight is answered.
                    let until = tokio::time::Instant::now() + Duration::from_secs(10);
                    loop {
                        tokio::select! {
                            Some(e) = events.recv() => seen.push(e),
                            () = tokio::time::sleep_until(until) => break,
                        }
                    }
                    let sent = seen
                        .iter()
                        .filter(|e| matches!(e, Event::BatchSent { .. }))
                        .count();
                    assert_eq!(sent, 1, "nothing new was sent while paused");
                    // The answer that came in is recorded while the run is paused (the ledger's
                    // writer is a thread of its own: waited for in real time, a few seconds at
                    // most).
                    let conn = rusqlite::Connection::open(&path).unwrap();
                    let waited = std::time::Instant::now();
                    loop {
                        let done: i64 = conn
                            .query_row(
                                "SELECT count(*) FROM messages WHERE state = 'done'",
                                [],
                                |r| r.get(0),
                            )
                            .unwrap();
                        seen_done.store(done, std::sync::atomic::Ordering::SeqCst);
                        if done == 7 || waited.elapsed() > Duration::from_secs(5) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    controls.send(Control::ResumeRun).await.unwrap();
                }
            }
            seen
        })
    });
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.imports(), 3);
    assert_eq!(
        done_while_paused.load(std::sync::atomic::Ordering::SeqCst),
        7,
        "the answer in flight was recorded while the run was paused"
    );
    let gap = fake.bodies()[1].0 - fake.bodies()[0].0;
    assert!(gap >= Duration::from_millis(9_900), "{gap:?}");
}

#[tokio::test(start_paused = true)]
async fn stop_lane_stops_after_the_answer_in_flight() {
    let fake = Fake::with_latency(Duration::from_millis(200));
    let source = memory(vec![(g("ga"), series("a", T0, 21))]);
    let ledger = TempLedger::new();
    let driver = control_on(
        &fake,
        |e| matches!(e, Event::BatchSent { target, batch: 0, .. } if target.group() == "ga"),
        1,
        Control::StopLane(g("ga"), String::new()),
    );
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(
        fake.texts("ga").len(),
        7,
        "the request in flight was answered and recorded: {:#?}",
        out.events
    );
    let done =
        ledger.count("SELECT count(*) FROM messages WHERE state = 'done' AND file = 'ga.jsonl'");
    assert_eq!(done, 7);
    assert!(out.events.iter().any(|e| matches!(e,
        Event::LaneStopped { target, reason } if target.group() == "ga" && reason == "stopped by the operator")));
    let decision: String = ledger
        .sql()
        .query_row("SELECT decision FROM decisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decision, "stop_lane");
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_answer_in_flight_and_says_where_it_stopped() {
    let fake = Fake::with_latency(Duration::from_secs(1));
    let source = memory(vec![(g("ga"), series("a", T0, 21))]);
    let ledger = TempLedger::new();
    let driver = control_on(
        &fake,
        |e| matches!(e, Event::BatchSent { batch: 1, .. }),
        2,
        Control::Shutdown,
    );
    let out = run_with(&fake, &source, &ledger, headless(), Some(driver)).await;
    assert_eq!(out.exit(), 130);
    assert_eq!(fake.texts("ga").len(), 14);
    let s = &out.outcome.summary;
    assert_eq!(s.stopped.as_deref(), Some("interrupted by the operator"));
    assert_eq!((s.totals.done, s.totals.pending()), (14, 7));
    let (status, code): (String, i64) = ledger
        .sql()
        .query_row("SELECT status, exit_code FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((status.as_str(), code), ("interrupted", 130));
    let open = ledger.count("SELECT count(*) FROM requests WHERE state = 'in_flight'");
    assert_eq!(open, 0);
}

#[tokio::test(start_paused = true)]
async fn an_answer_that_never_comes_is_abandoned_after_the_grace_period_and_stays_in_flight() {
    let fake = Fake::with_latency(Duration::from_secs(3600));
    let source = memory(vec![(g("ga"), series("a", T0, 3))]);
    let ledger = TempLedger::new();
    let driver = control_on(
        &fake,
        |e| matches!(e, Event::BatchSent { .. }),
        1,
        Control::Shutdown,
    );
    let started = tokio::time::Instant::now();
    let out = run_with(&fake, &source, &ledger, headless(), Some(driver)).await;
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(out.exit(), 130);
    let open = ledger.count("SELECT count(*) FROM messages WHERE state = 'in_flight'");
    assert_eq!(open, 3, "resume settles them by reading back");
}

#[tokio::test(start_paused = true)]
async fn a_decision_for_a_lane_that_is_not_running_is_ignored_with_a_warning() {
    let fake = Fake::new();
    fake.refuse_text("b0", 80002);
    // One lane at a time: ga is done before gb starts and pauses.
    let source = memory(vec![
        (g("ga"), series("a", T0, 2)),
        (g("gb"), series("b", T0, 2)),
    ]);
    let driver: Driver = Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(e) = events.recv().await {
                if let Event::LanePaused { target, reason } = &e {
                    let to = |target: Target, source| Control::Decide {
                        target,
                        source,
                        decision: Decision::Skip { reason: "x".into() },
                        operator: String::new(),
                    };
                    controls
                        .send(to(g("ga"), source_of("ga", 0)))
                        .await
                        .unwrap();
                    controls
                        .send(to(target.clone(), reason.source.clone()))
                        .await
                        .unwrap();
                }
                seen.push(e);
            }
            seen
        })
    });
    let opts = RunOptions {
        lanes: 1,
        ..interactive()
    };
    let out = run_with(&fake, &source, &TempLedger::new(), opts, Some(driver)).await;
    let warnings = out.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("decision for ga ignored: its lane is not running")),
        "{warnings:?}"
    );
    assert_eq!(
        out.outcome.summary.totals.skipped, 1,
        "gb's own decision applies"
    );
    assert_eq!(out.outcome.summary.totals.done, 3);
}
