//! Engine throughput against the in-process sandbox, through the real client and ledger: how
//! close does a run get to its rate with many groups, and to one request per round trip with
//! a single group?
//!
//! `cargo run --release --example engine_throughput [SECONDS]` (default 10: the length of the
//! 32-group scenario at full rate). Scenarios (50 ms added latency, sandbox limit 200/s):
//! - 32 groups, `--rate 200`, 7 messages per request: requests/s sustained, 60007 refusals;
//! - 1 group, `--rate 200`: requests/s against 1/latency (the ordering rule allows one request
//!   in flight per group);
//! - the whole run against its bound, `max(import requests / rate, largest group's requests x
//!   round trip)` (issue 10): one big group staged last among many small ones, a Zipf spread over
//!   500 groups (staged in a shuffled order), and 500 equal groups. The makespan is from the start
//!   of `run` to its end.
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
use timport::engine::open::open_run;
use timport::engine::run::run;
use timport::engine::work::WorkSource;
use timport::engine::{Event, RunOptions, Target};
use timport::sandbox::{SandboxConfig, Seed, start};
use tokio::sync::mpsc;

const LATENCY: Duration = Duration::from_millis(50);

struct Scenario {
    name: &'static str,
    /// Requests (of 7 messages) per group, in the staged order.
    sizes: Vec<usize>,
    rate: u32,
}

impl Scenario {
    fn even(name: &'static str, groups: usize, batches_per_group: usize) -> Scenario {
        Scenario {
            name,
            sizes: vec![batches_per_group; groups],
            rate: 200,
        }
    }

    /// `max(import requests / rate, largest group's requests x round trip)`.
    fn bound(&self) -> Duration {
        let requests: usize = self.sizes.iter().sum();
        let largest = self.sizes.iter().copied().max().unwrap_or(0);
        let by_rate = Duration::from_secs_f64(requests as f64 / f64::from(self.rate));
        by_rate.max(LATENCY * largest as u32)
    }
}

/// Sizes proportional to 1/k over `groups` groups, `total` requests in all (each at least 1),
/// in a fixed shuffled order (the largest is not first).
fn zipf(groups: usize, total: usize) -> Vec<usize> {
    let h: f64 = (1..=groups).map(|k| 1.0 / k as f64).sum();
    let mut sizes: Vec<usize> = (1..=groups)
        .map(|k| ((total as f64 / h / k as f64).round() as usize).max(1))
        .collect();
    // A fixed permutation (multiplicative step coprime with 500).
    let mut shuffled = vec![0; groups];
    for (i, size) in sizes.drain(..).enumerate() {
        shuffled[(i * 263 + 101) % groups] = size;
    }
    shuffled
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let only = std::env::args().nth(2);
    let mut skewed = vec![seconds; 160];
    // The big group (staged last): as long as the rest at the rate, plus one tenth.
    skewed.push(22 * seconds);
    let scenarios = [
        // 200 requests/s for `seconds`, shared by 32 groups.
        Scenario::even("32 groups, rate 200", 32, (200 * seconds).div_ceil(32)),
        // 20 round trips per second at 50 ms.
        Scenario::even("1 group, rate 200", 1, 20 * seconds),
        Scenario {
            name: "makespan: 160 small groups, one big staged last",
            sizes: skewed,
            rate: 200,
        },
        Scenario {
            name: "makespan: Zipf over 500 groups",
            sizes: zipf(500, 200 * seconds),
            rate: 200,
        },
        Scenario::even(
            "makespan: 500 equal groups",
            500,
            (200 * seconds).div_ceil(500),
        ),
    ];
    println!("50 ms added latency, sandbox limit 200/s, 7 messages per request, 32 lanes");
    for scenario in scenarios {
        if only.as_deref().is_none_or(|o| scenario.name.contains(o)) {
            measure(&scenario).await?;
        }
    }
    Ok(())
}

async fn measure(s: &Scenario) -> Result<(), Box<dyn std::error::Error>> {
    let now = unix_now();
    let groups: Vec<_> = (0..s.sizes.len())
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
    let targets: Vec<(Target, Vec<MemoryEntry>)> = (s.sizes.iter().enumerate())
        .map(|(g, &batches)| {
            let entries = (0..batches * 7)
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
    let reads = stats
        .requests
        .get("group_msg_get_simple")
        .copied()
        .unwrap_or(0);
    let bound = s.bound();
    println!(
        "{}: {} requests, {:.1} requests/s sustained ({:.1}% of {}/s; 1/latency = {:.1}/s), {:.0} messages/s, {} of {} messages imported, {} 60007 refusals, busiest second {}, exit {}, {:.1} s in all; bound {:.1} s (makespan = {:.2} x bound), {} read-backs",
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
        bound.as_secs_f64(),
        elapsed.as_secs_f64() / bound.as_secs_f64(),
        reads,
    );
    sandbox.shutdown().await;
    Ok(())
}
