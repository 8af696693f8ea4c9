//! The engine with the real client against the in-process sandbox: injected faults of every
//! kind, frequency refusals, UserSig renewal, and secrets kept out of the ledger.
//!
//! No assertion here depends on how fast the machine is: the pace the engine keeps (at most the
//! rate in any second, slowing down for a stricter service, climbing back) is what the engine
//! decides, proven on the paused tokio clock with the scripted service (`engine_lanes.rs`); the
//! UserSig's lifetime is measured on the sandbox's own clock, stopped and moved by the test.

mod common;
mod engine_fakes;

use std::sync::Arc;
use std::time::Duration;

use engine_fakes::{Entry, TempLedger, collect, m, memory, texts_of};
use serde_json::json;
use tokio::sync::mpsc;

use bytes::Bytes;
use timport::api::types::{
    GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, ImportGroupMsgResponse,
};
use timport::api::usersig;
use timport::api::{ApiError, Client, ClientOptions, Clock};
use timport::clock::unix_now;
use timport::engine::open::open_run;
use timport::engine::run::run;
use timport::engine::service::ImportService;
use timport::engine::work::WorkSource;
use timport::engine::{Event, RetryPolicy, RunOptions, Target};
use timport::sandbox::{Fault, FaultConfig, FaultKind, SandboxHandle, Seed};

/// `n` groups `g0..` created long ago, as a sandbox seed.
fn seed(groups: usize) -> Seed {
    let now = unix_now();
    let groups: Vec<_> = (0..groups)
        .map(|i| json!({"id": format!("g{i}"), "type": "Public", "name": format!("G{i}"), "create_time": now - 1_000_000}))
        .collect();
    Seed::parse(&json!({"groups": groups}).to_string(), now).unwrap()
}

/// `per_group` messages per group, a second apart, ending well before now.
fn work(groups: usize, per_group: usize) -> Vec<(Target, Vec<Entry>)> {
    let t0 = unix_now() - 500_000;
    (0..groups)
        .map(|g| {
            let entries = (0..per_group)
                .map(|i| m("alice", t0 + i as i64, &format!("g{g} message {i}")))
                .collect();
            (Target::new(&format!("g{g}"), None), entries)
        })
        .collect()
}

fn fast_retries() -> RunOptions {
    RunOptions {
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(500),
            ..RetryPolicy::default()
        },
        settle_delay: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        ..RunOptions::default()
    }
}

struct Ran {
    exit: u8,
    events: Vec<Event>,
}

async fn run_against<S: ImportService>(
    client: S,
    targets: Vec<(Target, Vec<Entry>)>,
    ledger: &TempLedger,
    opts: RunOptions,
) -> Ran {
    let l = ledger.open();
    let opened = open_run(&l, "/staging".into(), "{}".into(), vec![], false)
        .await
        .unwrap();
    let (etx, erx) = mpsc::channel(256);
    let (_ctl, crx) = mpsc::channel(4);
    let events = tokio::spawn(collect(erx));
    let source: Arc<dyn WorkSource> = memory(targets);
    let outcome = run(Arc::new(client), source, l, &opened, opts, etx, crx)
        .await
        .unwrap();
    Ran {
        exit: outcome.exit_code(),
        events: events.await.unwrap(),
    }
}

/// Every valid staged message is in its group exactly once, in order, and the ledger has each
/// as done with the sequence number the group gave it.
fn assert_exactly_once(
    sandbox: &SandboxHandle,
    targets: &[(Target, Vec<Entry>)],
    ledger: &TempLedger,
    seed: u64,
) {
    for (target, entries) in targets {
        let stored: Vec<String> = sandbox
            .messages(target.group())
            .iter()
            .map(|s| s.body[0].summary())
            .collect();
        assert_eq!(stored, texts_of(entries), "seed {seed}: group {target}");
        let seqs: Vec<i64> = ledger
            .sql()
            .prepare(
                "SELECT m.msg_seq FROM messages m JOIN targets t ON t.id = m.target_id
                 WHERE t.group_id = ?1 AND m.state = 'done' ORDER BY m.send_time",
            )
            .unwrap()
            .query_map([target.group()], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected: Vec<i64> = sandbox
            .messages(target.group())
            .iter()
            .map(|s| s.seq as i64)
            .collect();
        assert_eq!(
            seqs, expected,
            "seed {seed}: the ledger agrees for {target}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_faults_of_every_kind_lose_and_double_nothing() {
    let mut kinds_struck = std::collections::BTreeSet::new();
    for seed_value in [7_u64, 1234, 99_991] {
        let mut config = common::config().with_seed(seed(4));
        config.faults = FaultConfig {
            rate: 0.10,
            kinds: vec![
                FaultKind::ErrorCode(10002),
                FaultKind::ErrorCode(60008),
                FaultKind::Http5xx(502),
                FaultKind::Http5xxAfterCommit,
                FaultKind::DropBeforeCommit,
                FaultKind::DropAfterCommit,
                FaultKind::StallAfterCommit(Duration::from_secs(3)),
            ],
            command: None,
            seed: Some(seed_value),
        };
        let sandbox = common::start(config).await;
        let client = common::client_with(
            &sandbox,
            // Long enough that only a stall (3 s) times out, even on a loaded machine.
            ClientOptions {
                request_timeout: Duration::from_secs(1),
                ..ClientOptions::default()
            },
        );
        let targets = work(4, 120);
        let ledger = TempLedger::new();
        let ran = run_against(client, targets.clone(), &ledger, fast_retries()).await;
        assert_eq!(ran.exit, 0, "seed {seed_value}: {:#?}", ran.events.last());
        assert_exactly_once(&sandbox, &targets, &ledger, seed_value);
        let stats = sandbox.stats();
        assert_eq!(
            stats.duplicates_dropped, 0,
            "seed {seed_value}: a landed message was sent again"
        );
        kinds_struck.extend(stats.faults.keys().cloned());
        assert!(
            ran.events
                .iter()
                .any(|e| matches!(e, Event::OutcomeUnknown { .. })),
            "seed {seed_value}: unknown outcomes were settled"
        );
    }
    assert_eq!(
        kinds_struck.len(),
        6,
        "every kind of fault struck: {kinds_struck:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_run_through_the_real_client_lands_everything_once() {
    let sandbox = common::start(common::config().with_seed(seed(6))).await;
    let client = common::client(&sandbox);
    let targets = work(6, 70);
    let ledger = TempLedger::new();
    let opts = RunOptions {
        rate: 40,
        ..fast_retries()
    };
    let ran = run_against(client, targets.clone(), &ledger, opts).await;
    assert_eq!(ran.exit, 0);
    assert_exactly_once(&sandbox, &targets, &ledger, 0);
    let stats = sandbox.stats();
    // 60 imports, and one read per group (fresh groups: the first part's check shows nothing
    // there, so the other parts need none).
    assert_eq!(stats.requests["import_group_msg"], 60);
    assert_eq!(stats.requests["group_msg_get_simple"], 6);
    assert_eq!(stats.refusals.get(&60007), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequency_refusals_slow_the_run_down_and_it_lands_everything_once() {
    let mut config = common::config().with_seed(seed(3));
    config.rate_limit = 200;
    let sandbox = common::start(config).await;
    for _ in 0..3 {
        sandbox.inject(Fault::new(FaultKind::ErrorCode(60007)));
    }
    let client = common::client(&sandbox);
    let targets = work(3, 210);
    let ledger = TempLedger::new();
    let opts = RunOptions {
        rate: 40,
        ..fast_retries()
    };
    let ran = run_against(client, targets.clone(), &ledger, opts).await;
    assert_eq!(ran.exit, 0);
    assert_exactly_once(&sandbox, &targets, &ledger, 0);
    // The first refusal cuts the pace at once (climbing back is a matter of time: see
    // engine_lanes.rs, on the paused clock).
    let lowest = ran
        .events
        .iter()
        .filter_map(|e| match e {
            Event::RateChanged {
                current,
                budget: 40,
                ..
            } => Some(*current),
            _ => None,
        })
        .min()
        .expect("the rate changed");
    assert!(lowest < 40, "{lowest}");
    assert_eq!(sandbox.stats().refusals.get(&60007), Some(&3));
}

/// The real client, with the sandbox's clock moved one second before every import: a run of
/// twenty imports then lasts twenty seconds of the sandbox's (stopped) time, however fast or
/// slow the machine is.
struct SecondPerImport {
    client: Client,
    sandbox: Arc<SandboxHandle>,
}

impl ImportService for SecondPerImport {
    async fn import(&self, body: Bytes) -> Result<ImportGroupMsgResponse, ApiError> {
        self.sandbox.advance_clock(1);
        self.client.import(body).await
    }

    async fn read_back(
        &self,
        req: GroupMsgGetSimpleRequest,
    ) -> Result<GroupMsgGetSimpleResponse, ApiError> {
        self.client.read_back(req).await
    }

    fn renew_auth(&self) {
        self.client.renew_auth();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_longer_than_the_usersig_lifetime_renews_it() {
    let sandbox = Arc::new(common::start(common::config().with_seed(seed(2))).await);
    sandbox.freeze_clock();
    let started = sandbox.now();
    let sandbox_clock = Arc::clone(&sandbox);
    // A 2 s UserSig renewed when less than 1 s is left, on the sandbox's own clock: the client
    // and the service agree on "now", and no time passes between signing and checking.
    let client = common::client_with(
        &sandbox,
        ClientOptions {
            usersig_lifetime: 2,
            usersig_renew_margin: 1,
            clock: Clock::from_fn(move || sandbox_clock.now()),
            ..ClientOptions::default()
        },
    );
    let targets = work(2, 70);
    let ledger = TempLedger::new();
    let service = SecondPerImport {
        client,
        sandbox: Arc::clone(&sandbox),
    };
    // One lane: no other import can move the clock between signing a request and its check.
    let opts = RunOptions {
        lanes: 1,
        ..fast_retries()
    };
    let ran = run_against(service, targets.clone(), &ledger, opts).await;
    assert_eq!(ran.exit, 0, "{:#?}", ran.events.last());
    assert_exactly_once(&sandbox, &targets, &ledger, 0);
    assert_eq!(
        sandbox.now() - started,
        20,
        "twenty imports, ten lifetimes of the UserSig"
    );
    assert_eq!(
        sandbox.stats().refusals.get(&70001),
        None,
        "renewed before expiry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_usersig_is_renewed_once_and_a_second_refusal_stops_the_run() {
    // A clock an hour behind: every UserSig minted is already expired at the sandbox.
    let sandbox = common::start(common::config().with_seed(seed(1))).await;
    let client = common::client_with(
        &sandbox,
        ClientOptions {
            usersig_lifetime: 60,
            clock: Clock::from_fn(|| unix_now() - 3_600),
            ..ClientOptions::default()
        },
    );
    let targets = work(1, 5);
    let ran = run_against(client, targets, &TempLedger::new(), fast_retries()).await;
    assert_eq!(ran.exit, 3);
    let Some(Event::RunFinished { summary, .. }) = ran.events.last() else {
        panic!()
    };
    assert!(
        summary.stopped.as_deref().unwrap().starts_with("70001: "),
        "{summary:?}"
    );
    assert_eq!(
        sandbox.stats().refusals.get(&70001),
        Some(&2),
        "tried once more after renewing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_and_the_events_never_hold_the_secret_or_a_usersig() {
    let sandbox = common::start(common::config().with_seed(seed(2))).await;
    // A fixed clock makes the UserSig predictable, so the test can look for it.
    let minted_at = unix_now();
    let client = common::client_with(
        &sandbox,
        ClientOptions {
            clock: Clock::from_fn(move || minted_at),
            ..ClientOptions::default()
        },
    );
    let sig = usersig::generate(
        &common::key(),
        common::APP,
        common::ADMIN,
        86_400,
        minted_at,
    );
    sandbox.inject(Fault::new(FaultKind::ErrorCode(70001)));
    sandbox.inject(Fault::new(FaultKind::DropAfterCommit));
    let targets = work(2, 20);
    let ledger = TempLedger::new();
    let ran = run_against(client, targets, &ledger, fast_retries()).await;
    assert_eq!(ran.exit, 0);
    let events = serde_json::to_string(&ran.events).unwrap();
    // The writer closes the file (folding the WAL into it) once the run has dropped it.
    ledger.wait_closed().await;
    let files: Vec<Vec<u8>> = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            std::fs::read(
                ledger
                    .path
                    .with_file_name(format!("ledger.sqlite3{suffix}")),
            )
            .ok()
        })
        .collect();
    let contains = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        files.iter().any(|b| contains(b, b"g1 message 19")),
        "the scan sees what the ledger holds (request bodies)"
    );
    let needles = [common::DEMO_KEY.as_bytes(), sig.expose().as_bytes()];
    for needle in needles {
        for bytes in &files {
            assert!(!contains(bytes, needle), "the ledger holds a secret");
        }
        assert!(
            !contains(events.as_bytes(), needle),
            "an event holds a secret"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_topic_is_its_own_lane_and_is_read_back_by_topic() {
    let now = unix_now();
    let seed = Seed::parse(
        &json!({"groups": [{"id": "@TGS#_club", "type": "Community", "name": "Club",
            "create_time": now - 1_000_000, "topics": ["@TGS#_club@TOPIC#_news"]}]})
        .to_string(),
        now,
    )
    .unwrap();
    let sandbox = common::start(common::config().with_seed(seed)).await;
    sandbox.inject(
        Fault::new(FaultKind::DropAfterCommit).only(timport::api::types::Command::ImportGroupMsg),
    );
    let client = common::client(&sandbox);
    let t0 = now - 500_000;
    let entries: Vec<Entry> = (0..10)
        .map(|i| m("alice", t0 + i, &format!("news {i}")))
        .collect();
    let topic = Target::new("@TGS#_club", Some("@TGS#_club@TOPIC#_news"));
    let ledger = TempLedger::new();
    let ran = run_against(
        client,
        vec![(topic, entries.clone())],
        &ledger,
        fast_retries(),
    )
    .await;
    assert_eq!(ran.exit, 0, "{:#?}", ran.events.last());
    let stored: Vec<String> = sandbox
        .topic_messages("@TGS#_club", "@TGS#_club@TOPIC#_news")
        .iter()
        .map(|s| s.body[0].summary())
        .collect();
    assert_eq!(stored, texts_of(&entries));
    assert!(
        sandbox.messages("@TGS#_club").is_empty(),
        "nothing went to the group itself"
    );
    assert!(
        ran.events
            .iter()
            .any(|e| matches!(e, Event::Settled { landed: 7, .. }))
    );
    assert_eq!(sandbox.stats().duplicates_dropped, 0);
}

/// Issue 10: a run cannot end before its largest group has had one round trip per request, so
/// lanes start longest first, whatever the staged order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lanes_start_longest_first_so_the_largest_group_is_not_left_for_last() {
    let sandbox = common::start(common::config().with_seed(seed(4))).await;
    let client = common::client(&sandbox);
    // Staged order g0..g3; sizes 7, 14, 70, 21 messages (1, 2, 10, 3 requests).
    let targets: Vec<(Target, Vec<Entry>)> = work(4, 70)
        .into_iter()
        .zip([7, 14, 70, 21])
        .map(|((t, mut entries), n)| {
            entries.truncate(n);
            (t, entries)
        })
        .collect();
    let ledger = TempLedger::new();
    let opts = RunOptions {
        lanes: 1,
        ..fast_retries()
    };
    let ran = run_against(client, targets.clone(), &ledger, opts).await;
    assert_eq!(ran.exit, 0);
    assert_exactly_once(&sandbox, &targets, &ledger, 0);
    let mut started: Vec<String> = Vec::new();
    for e in &ran.events {
        if let Event::BatchSent { target, .. } = e
            && !started.contains(&target.to_string())
        {
            started.push(target.to_string());
        }
    }
    assert_eq!(started, ["g2", "g3", "g1", "g0"]);
}
