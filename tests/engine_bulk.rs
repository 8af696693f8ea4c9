//! Bulk decisions in a running engine: one decision about every message refused with a code,
//! in one lane or in all, each message recorded on its own with the operator and the reason.

mod engine_fakes;

use std::sync::Arc;

use engine_fakes::*;
use timport::engine::{BulkAction, BulkDecision, Control, Decision, Event, PauseReason, Target};
use tokio::sync::mpsc;

const T0: i64 = 1_600_000_000;

/// A driver that answers the `n`th pause (counting from 0) with what `answer` gives.
fn on_pauses(
    answer: impl Fn(usize, &Target, &PauseReason) -> Vec<Control> + Send + 'static,
) -> Driver {
    Box::new(
        move |controls: mpsc::Sender<Control>, mut events: mpsc::Receiver<Event>| {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut pauses = 0;
                while let Some(e) = events.recv().await {
                    if let Event::LanePaused { target, reason } = &e {
                        for c in answer(pauses, target, reason) {
                            controls.send(c).await.unwrap();
                        }
                        pauses += 1;
                    }
                    seen.push(e);
                }
                seen
            })
        },
    )
}

fn decisions(ledger: &TempLedger) -> Vec<(String, String, Option<String>, Option<String>)> {
    ledger
        .sql()
        .prepare(
            "SELECT m.file || ':' || m.line, d.decision, d.reason, d.operator
             FROM decisions d JOIN messages m ON m.id = d.message_id ORDER BY d.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_bulk_skip_of_a_code_records_one_decision_per_message_in_every_lane() {
    let fake = Fake::new();
    for text in ["a3", "a7", "b2"] {
        fake.refuse_text(text, 80001);
    }
    fake.refuse_text("a5", 80002);
    let source = memory(vec![
        (g("ga"), series("a", T0, 10)),
        (g("gb"), series("b", T0, 4)),
    ]);
    let ledger = TempLedger::new();
    let mut opts = interactive();
    opts.lanes = 1;
    let driver = on_pauses(|n, target, reason| match reason.failure.code {
        // The first refusal of 80001: one decision for all of them, in every lane.
        Some(80001) if n > 0 => vec![Control::Abort],
        Some(80001) => {
            vec![Control::DecideCode(BulkDecision {
                code: 80001,
                target: None,
                action: BulkAction::Skip {
                    reason: "spam filter, agreed with the owner".into(),
                },
                operator: "ops@desk".into(),
            })]
        }
        // Another code is not covered: the lane waits for its own decision.
        _ => vec![Control::Decide {
            target: target.clone(),
            source: reason.source.clone(),
            decision: Decision::Skip {
                reason: "one of a kind".into(),
            },
            operator: String::new(),
        }],
    });
    let out = run_with(&fake, &source, &ledger, opts, Some(driver)).await;
    assert_eq!(out.exit(), 1, "finished, with skipped messages");
    assert_eq!(
        out.count(|e| matches!(e, Event::LanePaused { .. })),
        2,
        "one pause for 80001, one for 80002"
    );
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a2", "a4", "a6", "a8", "a9"]);
    assert_eq!(fake.texts("gb"), ["b0", "b1", "b3"]);
    let spam = Some("spam filter, agreed with the owner".to_owned());
    let ops = Some("ops@desk".to_owned());
    let rows = decisions(&ledger);
    let by_code: Vec<_> = rows.iter().filter(|r| r.1 == "skip_code").collect();
    assert_eq!(by_code.len(), 3, "{rows:?}");
    for r in &by_code {
        assert_eq!((&r.2, &r.3), (&spam, &ops), "{r:?}");
    }
    let mut places: Vec<&str> = by_code.iter().map(|r| r.0.as_str()).collect();
    places.sort_unstable();
    assert_eq!(places, ["ga.jsonl:4", "ga.jsonl:8", "gb.jsonl:3"]);
    let single: Vec<_> = rows.iter().filter(|r| r.1 == "skip").collect();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].0, "ga.jsonl:6");
    assert!(
        single[0].3.as_deref().is_some_and(|o| o.contains('@')),
        "a console decision names this process's operator: {:?}",
        single[0].3
    );
    assert_eq!(
        ledger.count("SELECT count(*) FROM messages WHERE state = 'skipped'"),
        4
    );
}

#[tokio::test(start_paused = true)]
async fn a_bulk_decision_for_one_lane_leaves_the_others_and_a_retry_goes_once() {
    let fake = Fake::new();
    // The refused messages come last in ga (a message refused before one that landed could
    // never go in: the point of no return).
    for text in ["a3", "a4", "b1"] {
        fake.refuse_text(text, 80001);
    }
    let source = memory(vec![
        (g("ga"), series("a", T0, 5)),
        (g("gb"), series("b", T0, 3)),
    ]);
    let ledger = TempLedger::new();
    let mut opts = interactive();
    opts.lanes = 1;
    let f = Arc::clone(&fake);
    // A lane waiting for a decision gives its slot up, so the order of ga's and gb's pauses is
    // not fixed: each is answered by its group and message.
    let driver = on_pauses(move |_, target, reason| {
        let decide = |decision| {
            vec![Control::Decide {
                target: target.clone(),
                source: reason.source.clone(),
                decision,
                operator: String::new(),
            }]
        };
        match (target.group(), reason.source.line) {
            // ga: retry every 80001 of ga; a3 is accepted now, a4 is refused again.
            ("ga", 4) => {
                f.accept_text("a3");
                vec![Control::DecideCode(BulkDecision {
                    code: 80001,
                    target: Some(target.clone()),
                    action: BulkAction::Retry,
                    operator: "ops@desk".into(),
                })]
            }
            // a4 refused again: the retry reached it once, so the lane waits again.
            ("ga", 5) => decide(Decision::StopGroup),
            // gb's 80001 was not covered by ga's decision.
            ("gb", 2) => decide(Decision::Skip {
                reason: "by hand".into(),
            }),
            // Unexpected: end the run (the count of pauses below fails).
            _ => vec![Control::Abort],
        }
    });
    let out = run_with(&fake, &source, &ledger, opts, Some(driver)).await;
    assert_eq!(out.count(|e| matches!(e, Event::LanePaused { .. })), 3);
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a2", "a3"]);
    assert_eq!(fake.texts("gb"), ["b0", "b2"]);
    let mut words: Vec<(String, String)> =
        decisions(&ledger).into_iter().map(|r| (r.0, r.1)).collect();
    words.sort();
    let pairs: Vec<(&str, &str)> = words
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("ga.jsonl:4", "retry_code"),
            ("ga.jsonl:5", "retry_code"),
            ("ga.jsonl:5", "stop_group"),
            ("gb.jsonl:2", "skip"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_bulk_decision_for_a_lane_that_is_not_in_the_run_is_refused_with_a_warning() {
    let fake = Fake::new();
    fake.refuse_text("a1", 80001);
    let source = memory(vec![(g("ga"), series("a", T0, 3))]);
    let ledger = TempLedger::new();
    let driver = on_pauses(|n, target, reason| {
        if n == 0 {
            vec![
                Control::DecideCode(BulkDecision {
                    code: 80001,
                    target: Some(g("nowhere")),
                    action: BulkAction::Retry,
                    operator: "ops@desk".into(),
                }),
                Control::Decide {
                    target: target.clone(),
                    source: reason.source.clone(),
                    decision: Decision::StopGroup,
                    operator: String::new(),
                },
            ]
        } else {
            vec![]
        }
    });
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    let warnings = out.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("nowhere") && w.contains("not a target")),
        "{warnings:?}"
    );
    assert_eq!(out.count(|e| matches!(e, Event::LanePaused { .. })), 1);
}
