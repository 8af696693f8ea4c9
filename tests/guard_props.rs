//! The guard's promise, property-tested: the engine imports a staged group (read in small parts)
//! into the in-process sandbox, under every reading of the docs (the default, strict time across
//! requests, strict time per message) and with `--same-second spread` against strict time on
//! data full of bursts (more than 7 messages in one second), through random sequences of
//! unreadable lines, invalid lines, messages the service refuses, the operator's edits with
//! random `SendTime`s, retries and skips, lost answers, and kills (the run's task aborted)
//! followed by resumes. Whatever happens:
//! - no message is ever refused for its time (10004): timport never sends one out of order;
//! - nothing is stored twice;
//! - every staged line ends done, in the group in order (`SendTime` as sent or edited, then
//!   staged line), or skipped with a recorded decision;
//! - with `spread`, every line that went in later than staged is recorded in the ledger with
//!   both times.
//!
//! When the file is in time order, a headless invocation comes first: it imports every line
//! before the first one it cannot send as staged and stops there.
//!
//! Cases are few and small (`GUARD_CASES`, default 12 per reading) so the test takes seconds.
//! Under strict time the staged lines never share a second unless `spread` is on (then the
//! lines come in bursts, broken and invalid ones among them, but a line the service refuses
//! for its size keeps a second of its own: retried, it would go after the rest of its second
//! in a request of its own, which strict time refuses whatever the client does).

mod common;
mod guard_support;

use std::sync::Arc;
use std::time::Duration;

use guard_support::{Dec, Decider, Line, assert_promise, invoke, options, stage, stored};
use proptest::prelude::*;
use timport::clock::unix_now;
use timport::engine::outcome::EngineReason;
use timport::engine::{Event, LaneState};
use timport::plan::SameSecond;
use timport::sandbox::{FaultConfig, FaultKind, StrictTime};

/// How the sandbox reads "later than the newest", and the plan's `--same-second`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reading {
    /// Equal times taken; three lines share a second.
    Default,
    /// Strict, one line a second.
    Strict(StrictTime),
    /// Strict across requests, valid lines in bursts, `--same-second spread`.
    SpreadStrict,
}

impl Reading {
    fn strict_time(self) -> StrictTime {
        match self {
            Reading::Default => StrictTime::Off,
            Reading::Strict(s) => s,
            Reading::SpreadStrict => StrictTime::AcrossRequests,
        }
    }

    fn same_second(self) -> SameSecond {
        match self {
            Reading::SpreadStrict => SameSecond::Spread,
            _ => SameSecond::Keep,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Valid,
    Broken,
    EmptyBody,
    Long,
}

#[derive(Debug, Clone)]
enum Step {
    Retry,
    /// An edit to a time just before staged slot `n` (slot `n` is line `n`'s place in time).
    Edit(usize),
    Skip,
}

#[derive(Debug, Clone)]
struct Case {
    kinds: Vec<Kind>,
    /// Adjacent lines whose times are swapped (the file is then not in time order there).
    swaps: Vec<usize>,
    /// With `spread`: whether a valid line shares the second of the valid line before it.
    joins: Vec<bool>,
    script: Vec<Step>,
    /// Per invocation, the requests after which it is killed (the last invocation runs to its end).
    kills: Vec<usize>,
    /// A seed for lost answers (`None`: none).
    faults: Option<u64>,
    part: usize,
}

fn case() -> impl Strategy<Value = Case> {
    let kind = prop_oneof![
        12 => Just(Kind::Valid),
        2 => Just(Kind::Broken),
        1 => Just(Kind::EmptyBody),
        2 => Just(Kind::Long),
    ];
    let step = prop_oneof![
        2 => Just(Step::Retry),
        4 => (0usize..40).prop_map(Step::Edit),
        1 => Just(Step::Skip),
    ];
    (
        prop::collection::vec(kind, 4..30),
        prop::collection::vec(0usize..30, 0..3),
        prop::collection::vec(prop::bool::weighted(0.9), 30),
        prop::collection::vec(step, 1..8),
        prop::collection::vec(1usize..12, 0..3),
        prop::option::weighted(0.4, any::<u64>()),
        3usize..12,
    )
        .prop_map(|(kinds, swaps, joins, script, kills, faults, part)| Case {
            kinds,
            swaps,
            joins,
            script,
            kills,
            faults,
            part,
        })
}

/// The staged lines: ten seconds a slot (strict: one line a slot; default: three lines share
/// a second, which the default reading takes; spread: bursts of lines share a slot, at most 30
/// so that spreading keeps within five seconds, broken and invalid lines among them, and a line
/// too long for the service has a slot of its own), with the swaps applied (not with spread:
/// bursts stay whole in the file).
fn lines(case: &Case, t0: i64, reading: Reading) -> Vec<Line> {
    let mut slot = 0;
    let mut times: Vec<i64> = Vec::with_capacity(case.kinds.len());
    for (i, kind) in case.kinds.iter().enumerate() {
        slot = match reading {
            Reading::Default => i / 3 + 1,
            Reading::Strict(_) => i + 1,
            Reading::SpreadStrict => {
                let joins = i > 0
                    && case.joins[i]
                    && !matches!(kind, Kind::Long)
                    && !matches!(case.kinds[i - 1], Kind::Long);
                if joins { slot } else { slot + 1 }
            }
        };
        times.push(t0 + 10 * slot as i64);
    }
    if reading != Reading::SpreadStrict {
        for &s in &case.swaps {
            if s + 1 < times.len() {
                times.swap(s, s + 1);
            }
        }
    }
    case.kinds
        .iter()
        .zip(times)
        .map(|(k, t)| match k {
            Kind::Valid => Line::Valid(t),
            Kind::Broken => Line::Broken(t),
            Kind::EmptyBody => Line::EmptyBody(t),
            Kind::Long => Line::Long(t),
        })
        .collect()
}

fn check(case: Case, reading: Reading) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let now = unix_now();
        let mut config = guard_support::group_config(common::config(), reading.strict_time());
        if let Some(seed) = case.faults {
            config.faults = FaultConfig {
                rate: 0.15,
                kinds: vec![
                    FaultKind::DropAfterCommit,
                    FaultKind::DropBeforeCommit,
                    FaultKind::Http5xxAfterCommit,
                ],
                command: None,
                seed: Some(seed),
            };
        }
        let sandbox = common::start(config).await;
        let client = Arc::new(common::client_with(
            &sandbox,
            timport::api::ClientOptions {
                request_timeout: Duration::from_secs(5),
                ..timport::api::ClientOptions::default()
            },
        ));
        let dir = tempfile::tempdir().expect("a temp dir");
        let t0 = (now - 500_000) / 10 * 10;
        let staged = lines(&case, t0, reading);
        let spread = reading == Reading::SpreadStrict;
        stage(dir.path(), &staged);
        let ledger = dir.path().join("ledger.sqlite3");
        let script = case
            .script
            .iter()
            .map(|s| match *s {
                Step::Retry => Dec::Retry,
                Step::Skip => Dec::Skip,
                Step::Edit(slot) => Dec::Edit(t0 + 10 * slot as i64 - if spread { 5 } else { 9 }),
            })
            .collect();
        let mut decider = Decider::new(script);
        // Edits never share a second with a staged line or another edit: with strict time the
        // service refuses equal times (the data's doing), and an edit to the second of a landed
        // message goes after it whatever its staged place (the operator's choice).
        decider.distinct = true;
        decider.clear_of_spread = spread;
        let opts = |interactive| timport::engine::RunOptions {
            same_second: reading.same_second(),
            ..options(interactive)
        };
        let context = format!("{reading:?}, {case:?}");
        // Headless first, when the file is in time order: the lane imports every line before
        // the first one it cannot send as staged, and stops there.
        let in_order = spread || case.swaps.iter().all(|&s| s + 1 >= staged.len());
        let first_bad = case.kinds.iter().position(|k| !matches!(k, Kind::Valid));
        if in_order && let Some(bad) = first_bad {
            let ran = invoke(
                Arc::clone(&client),
                dir.path(),
                &ledger,
                opts(false),
                case.part,
                &mut decider,
                None,
            )
            .await;
            prop_assert_eq!(ran.exit, Some(1), "{}", context);
            // It stopped at a line it cannot send as staged (an unreadable line sits right after
            // the valid line before it, so it may come before an invalid line with a time).
            let stopped = ran.pauses().first().map(|p| p.source.line as usize);
            prop_assert!(
                stopped.is_some_and(|l| l > bad && !matches!(case.kinds[l - 1], Kind::Valid)),
                "{}: headless, stopped at {:?}",
                context,
                stopped
            );
            let rows = guard_support::ledger_rows(&ledger);
            for line in 1..=bad as u32 {
                prop_assert_eq!(
                    rows.get(&line).map(|r| r.0.as_str()),
                    Some("done"),
                    "{}: headless, line {} before the first bad line",
                    context,
                    line
                );
            }
        }
        let mut last = None;
        for invocation in 0..=case.kills.len() {
            let kill = case.kills.get(invocation).copied();
            let ran = tokio::time::timeout(
                Duration::from_secs(60),
                invoke(
                    Arc::clone(&client),
                    dir.path(),
                    &ledger,
                    opts(true),
                    case.part,
                    &mut decider,
                    kill,
                ),
            )
            .await
            .unwrap_or_else(|_| panic!("{context}: invocation {invocation} hung"));
            let refused = ran.failed_with(10004);
            prop_assert_eq!(refused, 0, "{}: a message refused for its time", context);
            // The guard holds back only a message the service refused before (a line too long
            // whose request's later messages landed while its answer was lost): never one that
            // timport itself put out of order. And nobody else writes to this group.
            for pause in ran.pauses() {
                let meaning = &pause.failure.meaning;
                let line = pause.source.line as usize;
                if meaning == EngineReason::Behind.explain().0 {
                    prop_assert!(
                        matches!(case.kinds[line - 1], Kind::Long),
                        "{}: line {} held back as older than {:?}",
                        context,
                        line,
                        pause.newest
                    );
                }
                prop_assert!(
                    meaning != EngineReason::OtherWriter.explain().0,
                    "{}: another writer at line {}",
                    context,
                    line
                );
            }
            if ran.exit.is_some() {
                last = Some(ran);
                break;
            }
        }
        let ran = last.expect("the last invocation runs to its end");
        let finished = ran.events.iter().rev().find_map(|e| match e {
            Event::RunFinished { summary, .. } => Some(summary.clone()),
            _ => None,
        });
        let summary = finished.expect("the run finished");
        prop_assert_eq!(summary.targets[0].state, LaneState::Done, "{}", context);
        let stats = sandbox.stats();
        prop_assert!(
            !stats.message_refusals.contains_key(&10004) && !stats.refusals.contains_key(&10004),
            "{}: the service refused for time: {:?}",
            context,
            stats
        );
        prop_assert_eq!(stats.duplicates_dropped, 0, "{}", context);
        let decided = decider.lines();
        let group = stored(&sandbox);
        assert_promise(&group, staged.len(), &ledger, &decided, &context);
        // Every line that went in later than staged was moved by spread (never an unedited line
        // under keep), and the ledger holds both its times.
        let edited: Vec<u32> = decider
            .sent
            .iter()
            .filter(|(_, d)| matches!(d, guard_support::Dec::Edit(_)))
            .map(|(s, _)| s.line)
            .collect();
        let times = guard_support::ledger_times(&ledger);
        for s in &group {
            let line = guard_support::line_of(&s.text).expect("a staged line");
            if edited.contains(&line) {
                continue;
            }
            let staged_time = staged[line as usize - 1].time();
            let recorded = times.get(&line).copied();
            if s.time == staged_time {
                prop_assert_eq!(
                    recorded,
                    Some((Some(staged_time), None)),
                    "{}: line {}",
                    context,
                    line
                );
            } else {
                prop_assert!(
                    spread && s.time > staged_time,
                    "{}: line {} moved to {}",
                    context,
                    line,
                    s.time
                );
                prop_assert_eq!(
                    recorded,
                    Some((Some(staged_time), Some(s.time))),
                    "{}: line {}",
                    context,
                    line
                );
            }
        }
        Ok(())
    })
}

/// Cases per reading of the docs.
fn cases() -> u32 {
    std::env::var("GUARD_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn with_strict_time_nothing_is_lost_doubled_or_refused_for_its_time(case in case()) {
        check(case, Reading::Strict(StrictTime::AcrossRequests))?;
    }

    #[test]
    fn with_strict_time_per_message_nothing_is_lost_doubled_or_refused_for_its_time(case in case()) {
        check(case, Reading::Strict(StrictTime::PerMessage))?;
    }

    #[test]
    fn with_the_default_reading_nothing_is_lost_doubled_or_refused_for_its_time(case in case()) {
        check(case, Reading::Default)?;
    }

    #[test]
    fn with_spread_against_strict_time_bursts_go_in_whole_and_nothing_is_lost(case in case()) {
        check(case, Reading::SpreadStrict)?;
    }
}
