//! Engine throughput against the in-process sandbox, through the real client and ledger: how
//! close does a run get to its rate with many groups, and to one request per round trip with
//! a single group?
//!
//! `cargo run --release --example engine_throughput [SECONDS]` (default 10: the length of the
//! 32-group scenario at full rate). Scenarios (50 ms added latency, sandbox limit 200/s):
//! - 32 groups, `--rate 200`, 7 messages per request: requests/s sustained, 60007 refusals;
//! - 1 group, `--rate 200`: requests/s against 1/latency (the ordering rule allows one request
//!   in flight per group).
//!
//! Prints one line per scenario; BENCHMARKS.md ("## Engine") records the numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use timport::api::types::{ImportMsg, MsgElement};
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::clock::unix_now;
use timport::engine::ledger::Ledger;
use timport::engine::memory::{MemoryEntry, MemoryWork};
use timport::engine::run::{open_run, run};
use timport::engine::work::WorkSource;
use timport::engine::{Event, RunOptions, Target};
use timport::sandbox::{SandboxConfig, Seed, start};
use tokio::sync::mpsc;

const LATENCY: Duration = Duration::from_millis(50);

struct Scenario {
    name: &'static str,
    groups: usize,
    batches_per_group: usize,
    rate: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let scenarios = [
        Scenario {
            name: "32 groups, rate 200",
            groups: 32,
            // 200 requests/s for `seconds`, shared by 32 groups.
            batches_per_group: (200 * seconds).div_ceil(32),
            rate: 200,
        },
        Scenario {
            name: "1 group, rate 200",
            groups: 1,
            // 20 round trips per second at 50 ms.
            batches_per_group: 20 * seconds,
            rate: 200,
        },
    ];
    println!("50 ms added latency, sandbox limit 200/s, 7 messages per request");
    for scenario in scenarios {
        measure(&scenario).await?;
    }
    Ok(())
}

async fn measure(s: &Scenario) -> Result<(), Box<dyn std::error::Error>> {
    let now = unix_now();
    let groups: Vec<_> = (0..s.groups)
        .map(|g| json!({"id": format!("g{g}"), "type": "Public", "name": format!("G{g}"), "create_time": now - 10_000_000}))
        .collect();
    let seed = Seed::parse(&json!({ "groups": groups }).to_string(), now)?;
    let key = SecretKey::new("bench-key");
    let mut config = SandboxConfig::new(key.clone()).with_seed(seed);
    config.latency = LATENCY;
    config.rate_limit = 200;
    let sandbox = start(config, "127.0.0.1:0".parse()?).await?;
    let client = Client::new(
        Endpoint::parse(&sandbox.url())?,
        Credentials {
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
            secret: key,
        },
        ClientOptions::default(),
    )?;

    let t0 = now - 5_000_000;
    let targets: Vec<(Target, Vec<MemoryEntry>)> = (0..s.groups)
        .map(|g| {
            let entries = (0..s.batches_per_group * 7)
                .map(|i| {
                    MemoryEntry::Msg(ImportMsg {
                        from_account: format!("user{}", i % 13),
                        send_time: t0 + i as i64,
                        random: Some((g * 1_000_000 + i) as u32),
                        msg_body: vec![MsgElement::text(&format!(
                            "group {g} message {i}: some ordinary chat text of a typical length"
                        ))],
                    })
                })
                .collect();
            (Target::new(&format!("g{g}"), None), entries)
        })
        .collect();
    let messages: usize = targets.iter().map(|(_, e)| e.len()).sum();
    let source: Arc<dyn WorkSource> = Arc::new(MemoryWork::new(targets));

    let dir = tempfile::tempdir()?;
    let ledger = Ledger::open(&dir.path().join("ledger.sqlite3"))?;
    let opened = open_run(&ledger, "bench".into(), "{}".into(), vec![], false).await?;
    let opts = RunOptions {
        rate: s.rate,
        lanes: 32,
        ..RunOptions::default()
    };
    let (etx, mut erx) = mpsc::channel(1024);
    let (_controls, crx) = mpsc::channel(1);
    let timing = tokio::spawn(async move {
        let (mut first, mut last) = (None, None);
        while let Some(e) = erx.recv().await {
            if let Event::BatchSent { .. } = e {
                let now = Instant::now();
                first.get_or_insert(now);
                last = Some(now);
            }
        }
        (first, last)
    });
    let started = Instant::now();
    let outcome = run(Arc::new(client), source, ledger, &opened, opts, etx, crx).await?;
    let elapsed = started.elapsed();
    let (first, last) = timing.await?;
    let stats = sandbox.stats();
    let imports = stats.requests.get("import_group_msg").copied().unwrap_or(0);
    let sending = match (first, last) {
        (Some(a), Some(b)) => b.duration_since(a),
        _ => Duration::ZERO,
    };
    // n requests started over the span from the first to the last: n - 1 intervals.
    let rate = imports.saturating_sub(1) as f64 / sending.as_secs_f64().max(1e-9);
    let refusals = stats.refusals.get(&60007).copied().unwrap_or(0);
    println!(
        "{}: {} requests, {:.1} requests/s sustained ({:.1}% of {}/s; 1/latency = {:.1}/s), {:.0} messages/s, {} of {} messages imported, {} 60007 refusals, busiest second {}, exit {}, {:.1} s in all",
        s.name,
        imports,
        rate,
        rate / f64::from(s.rate) * 100.0,
        s.rate,
        1.0 / LATENCY.as_secs_f64(),
        stats.messages_imported as f64 / sending.as_secs_f64().max(1e-9),
        stats.messages_imported,
        messages,
        refusals,
        stats.max_requests_per_second,
        outcome.exit_code(),
        elapsed.as_secs_f64(),
    );
    sandbox.shutdown().await;
    Ok(())
}
