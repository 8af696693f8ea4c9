//! Load on the sandbox through the real client: can it serve what the engine's throughput target
//! needs (200 requests/s of 7-message imports across 32 groups, 50 ms of added latency) without
//! becoming the bottleneck or refusing evenly paced traffic?
//!
//! `cargo run --release --example sandbox_load [SECONDS]` (default 10 s per scenario). Prints one
//! line per scenario; BENCHMARKS.md records the numbers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::json;
use timport::api::types::ImportGroupRequest;
use timport::api::{ApiError, Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::sandbox::{SandboxConfig, SandboxHandle, start};
use tokio::sync::Semaphore;

const LANES: usize = 32;
const BATCH: usize = 7;

struct Scenario {
    name: &'static str,
    latency: Duration,
    rate_limit: u32,
    /// Requests per second the lanes are paced at together; `None` = as fast as they can.
    pace: Option<f64>,
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    refused_60007: AtomicU64,
    other_errors: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let run_for = Duration::from_secs(seconds);
    let scenarios = [
        Scenario {
            name: "capacity: no latency, no limit, unpaced",
            latency: Duration::ZERO,
            rate_limit: u32::MAX,
            pace: None,
        },
        Scenario {
            name: "engine target: 50 ms latency, limit 200/s, paced at 190/s",
            latency: Duration::from_millis(50),
            rate_limit: 200,
            pace: Some(190.0),
        },
        Scenario {
            name: "over the limit: 50 ms latency, limit 200/s, unpaced",
            latency: Duration::from_millis(50),
            rate_limit: 200,
            pace: None,
        },
    ];
    println!("{LANES} groups, {BATCH} messages per request, {seconds} s each");
    for scenario in scenarios {
        run(&scenario, run_for).await?;
    }
    Ok(())
}

async fn run(scenario: &Scenario, run_for: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let key = SecretKey::new("bench-key");
    let mut config = SandboxConfig::new(key.clone());
    config.latency = scenario.latency;
    config.rate_limit = scenario.rate_limit;
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
    let created = sandbox.now() - 30 * 86_400;
    for lane in 0..LANES {
        client
            .import_group(&ImportGroupRequest {
                group_type: "Public".into(),
                name: format!("lane {lane}"),
                group_id: Some(format!("lane-{lane}")),
                create_time: Some(created),
                ..ImportGroupRequest::default()
            })
            .await?;
    }
    // Let the group creations leave the frequency window.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let tokens = Arc::new(Semaphore::new(0));
    let pacer = scenario.pace.map(|rate| {
        let tokens = Arc::clone(&tokens);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                tokens.add_permits(1);
            }
        })
    });
    let tally = Arc::new(Tally::default());
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    let deadline = started + run_for;
    let mut lanes = Vec::new();
    for lane in 0..LANES {
        let (client, tally, latencies, tokens) = (
            client.clone(),
            Arc::clone(&tally),
            Arc::clone(&latencies),
            Arc::clone(&tokens),
        );
        let paced = scenario.pace.is_some();
        lanes.push(tokio::spawn(async move {
            let mut next_time = created + 1;
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                if paced {
                    match tokens.acquire().await {
                        Ok(permit) => permit.forget(),
                        Err(_) => break,
                    }
                }
                let list: Vec<_> = (0..BATCH as i64)
                    .map(|i| {
                        json!({"From_Account": "bench", "SendTime": next_time + i,
                        "Random": (lane as i64) * 10_000_000 + next_time + i,
                        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "load test message"}}]})
                    })
                    .collect();
                let body = json!({"GroupId": format!("lane-{lane}"), "MsgList": list});
                let sent = Instant::now();
                match client.import_group_msg(Bytes::from(body.to_string())).await {
                    Ok(_) => {
                        mine.push(sent.elapsed());
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        next_time += BATCH as i64;
                    }
                    Err(ApiError::Service { code: 60007, .. }) => {
                        tally.refused_60007.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        tally.other_errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            if let Ok(mut all) = latencies.lock() {
                all.extend(mine);
            }
        }));
    }
    for lane in lanes {
        lane.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(pacer) = pacer {
        pacer.abort();
    }
    report(scenario, &sandbox, &tally, &latencies, elapsed);
    sandbox.shutdown().await;
    Ok(())
}

fn report(
    scenario: &Scenario,
    sandbox: &SandboxHandle,
    tally: &Tally,
    latencies: &std::sync::Mutex<Vec<Duration>>,
    elapsed: f64,
) {
    let ok = tally.ok.load(Ordering::Relaxed);
    let mut all = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let stored: usize = (0..LANES)
        .map(|lane| sandbox.messages(&format!("lane-{lane}")).len())
        .sum();
    let stats = sandbox.stats();
    println!(
        "{}: {:.1} accepted requests/s ({:.0} messages/s), {} refused 60007, {} other errors, \
         latency p50 {:.1} ms p99 {:.1} ms, busiest second {} requests, stored {} of {} messages",
        scenario.name,
        ok as f64 / elapsed,
        ok as f64 * BATCH as f64 / elapsed,
        tally.refused_60007.load(Ordering::Relaxed),
        tally.other_errors.load(Ordering::Relaxed),
        pct(0.5),
        pct(0.99),
        stats.max_requests_per_second,
        stored,
        ok as usize * BATCH,
    );
}
