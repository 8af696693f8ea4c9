//! Verification throughput against the in-process sandbox, through the real client, ledger and
//! staged files: how close does `timport verify` get to the read call's limit (20 messages a
//! call x 200 calls/s = 4,000 messages/s)?
//!
//! `cargo run --release --example verify_throughput [GROUPS] [PER_GROUP]` (default 10 x
//! 10,000 = 100,000 messages). It stages the messages, imports them with the engine (rate 200,
//! 32 lanes: about 85 s for 100,000), then verifies the run twice: at `--rate 200` (the read
//! call's limit) and at the default 180. The sandbox adds 50 ms to every answer and refuses
//! more than 200 calls in any second (60007), as the engine's benchmark has it.
//!
//! Prints one line per verification; BENCHMARKS.md ("## Verification") records the numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::clock::unix_now;
use timport::engine::ledger::Ledger;
use timport::engine::open::{Destination, OpenRequest, open};
use timport::engine::staged::StagedWork;
use timport::engine::verify::{
    ReadPace, VerifyEvent, VerifyOptions, VerifyRequest, VerifySummary, verify,
};
use timport::engine::{Event, RunOptions};
use timport::plan::PlanOptions;
use timport::sandbox::{SandboxConfig, SandboxHandle, Seed, start};
use timport::staging::{ScanOptions, Staging, scan};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const LATENCY: Duration = Duration::from_millis(50);
/// Messages a read call returns at most, and calls per second the service allows.
const READ_LIMIT: f64 = 20.0 * 200.0;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let groups: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let per_group: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let now = unix_now();
    let dir = tempfile::tempdir()?;
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging)?;
    let t0 = now - 5_000_000;
    for g in 0..groups {
        let mut text = String::new();
        for i in 0..per_group {
            text.push_str(
                &json!({"From_Account": format!("user{}", i % 13), "SendTime": t0 + i as i64,
                        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent":
                            {"Text": format!("group {g} message {i}: some ordinary chat text of a typical length")}}]})
                .to_string(),
            );
            text.push('\n');
        }
        std::fs::write(staging.join(format!("g{g}.jsonl")), text)?;
    }
    let seeded: Vec<_> = (0..groups)
        .map(|g| json!({"id": format!("g{g}"), "type": "Public", "name": format!("G{g}"), "create_time": now - 10_000_000}))
        .collect();
    let seed = Seed::parse(&json!({ "groups": seeded }).to_string(), now)?;
    let key = SecretKey::new("bench-key");
    let mut config = SandboxConfig::new(key.clone()).with_seed(seed);
    config.latency = LATENCY;
    config.rate_limit = 200;
    let sandbox = start(config, "127.0.0.1:0".parse()?).await?;
    let client = Arc::new(Client::new(
        Endpoint::parse(&sandbox.url())?,
        Credentials {
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
            secret: key,
        },
        ClientOptions::default(),
    )?);

    let scanned = Arc::new(scan(&staging, &ScanOptions::new(unix_now()))?);
    let ledger_path = dir.path().join("ledger.sqlite3");
    let started = Instant::now();
    let run_id = import(&sandbox, &client, &scanned, &ledger_path).await?;
    println!(
        "imported {} messages into {groups} groups in {:.0} s; 50 ms added latency, sandbox limit 200 calls/s",
        sandbox.stats().messages_imported,
        started.elapsed().as_secs_f64()
    );
    for (rate, restart) in [(200, false), (180, true)] {
        measure(
            &sandbox,
            &client,
            &scanned,
            &ledger_path,
            run_id,
            rate,
            restart,
        )
        .await?;
    }
    sandbox.shutdown().await;
    Ok(())
}

async fn import(
    sandbox: &SandboxHandle,
    client: &Arc<Client>,
    scanned: &Arc<Staging>,
    ledger: &std::path::Path,
) -> Result<i64, Box<dyn std::error::Error>> {
    let work = StagedWork::shared(Arc::clone(scanned), &[], PlanOptions::default())?;
    let active = open(OpenRequest {
        ledger: ledger.to_owned(),
        work,
        destination: Destination {
            endpoint: sandbox.url(),
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
        },
        options: RunOptions {
            rate: 200,
            lanes: 32,
            ..RunOptions::default()
        },
        new_run: false,
        migration: timport::engine::phases::MigrationWork::messages_only(),
        command: "verify_throughput (example)".into(),
    })
    .await?;
    let run_id = active.opened().run.id;
    let (etx, mut erx) = mpsc::channel::<Event>(1024);
    let (_controls, crx) = mpsc::channel(1);
    let drain = tokio::spawn(async move { while erx.recv().await.is_some() {} });
    let outcome = active.run(Arc::clone(client), etx, crx).await?;
    drain.await?;
    if outcome.exit_code() != 0 {
        return Err(format!("the import ended with exit {}", outcome.exit_code()).into());
    }
    Ok(run_id)
}

async fn measure(
    sandbox: &SandboxHandle,
    client: &Arc<Client>,
    scanned: &Arc<Staging>,
    ledger: &std::path::Path,
    run_id: i64,
    rate: u32,
    restart: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let before = sandbox.stats();
    let reads_before = before
        .requests
        .get("group_msg_get_simple")
        .copied()
        .unwrap_or(0);
    let refusals_before = before.refusals.get(&60007).copied().unwrap_or(0);
    let (tx, mut rx) = mpsc::channel(1024);
    let timing = tokio::spawn(async move {
        let (mut first, mut last) = (None, None);
        while let Some(e) = rx.recv().await {
            if let VerifyEvent::Progress { .. } = e {
                let now = Instant::now();
                first.get_or_insert(now);
                last = Some(now);
            }
        }
        (first, last)
    });
    let started = Instant::now();
    let summary: VerifySummary = verify(
        Arc::clone(client),
        VerifyRequest {
            ledger: Ledger::open(ledger)?,
            run_id,
            only: Vec::new(),
            staging: Arc::clone(scanned),
            restart,
            options: VerifyOptions::default(),
        },
        ReadPace::own(rate),
        tx,
        CancellationToken::new(),
    )
    .await?;
    let elapsed = started.elapsed();
    let (first, last) = timing.await?;
    let stats = sandbox.stats();
    let reads = stats
        .requests
        .get("group_msg_get_simple")
        .copied()
        .unwrap_or(0)
        - reads_before;
    let refusals = stats.refusals.get(&60007).copied().unwrap_or(0) - refusals_before;
    let span = match (first, last) {
        (Some(a), Some(b)) => b.duration_since(a),
        _ => Duration::ZERO,
    }
    .as_secs_f64()
    .max(1e-9);
    let t = &summary.totals;
    // Windows compared between the first and the last: one fewer interval than windows.
    let windows = reads.saturating_sub(summary.targets.len() as u64);
    let calls_per_sec = windows.saturating_sub(1) as f64 / span;
    let messages_per_sec = t.checked() as f64 / elapsed.as_secs_f64();
    println!(
        "--rate {rate}: {} messages compared ({} verified, {} differences) in {:.1} s: {messages_per_sec:.0} messages/s = {:.1}% of the read limit (4,000/s); {reads} reads, {calls_per_sec:.1} reads/s sustained ({:.1}% of {rate}/s), {refusals} 60007 refusals, busiest second {}, exit {}",
        t.checked(),
        t.verified,
        t.differences(),
        elapsed.as_secs_f64(),
        messages_per_sec / READ_LIMIT * 100.0,
        calls_per_sec / f64::from(rate) * 100.0,
        stats.max_requests_per_second,
        summary.exit().code(),
    );
    Ok(())
}
