//! Helpers for the tests of `timport verify` and the sign-off report: a staging directory
//! imported into an in-process sandbox by the engine (as `timport run` imports it), and a
//! verification of that run in process, stopped after a number of windows when asked. A test
//! file using it declares `mod run_support;` and `mod support;` too.

#![allow(dead_code)] // each test binary uses a part of this module

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::run_support::{KEY, sandbox_config, start, write_staging};
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::clock::unix_now;
use timport::engine::open::{Destination, OpenRequest, open};
use timport::engine::staged::StagedWork;
use timport::engine::verify::{
    ReadPace, VerifyError, VerifyEvent, VerifyOptions, VerifyRequest, VerifySummary, verify,
};
use timport::engine::{Event, RunOptions, Target};
use timport::plan::PlanOptions;
use timport::sandbox::SandboxHandle;
use timport::staging::{ScanOptions, Staging, scan};

/// A run imported into a sandbox: the staging directory, the ledger and the run's id.
pub struct Imported {
    pub dir: tempfile::TempDir,
    pub staging: PathBuf,
    pub ledger: PathBuf,
    pub sandbox: SandboxHandle,
    pub run_id: i64,
    /// The staged texts per group (`g0`, `g1`, ...).
    pub texts: Vec<Vec<String>>,
}

/// The sandbox's client (the key the sandbox checks).
pub fn client(sandbox: &SandboxHandle) -> Client {
    Client::new(
        Endpoint::parse(&sandbox.url()).expect("endpoint"),
        Credentials {
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
            secret: SecretKey::new(KEY),
        },
        ClientOptions::default(),
    )
    .expect("client")
}

/// A sandbox with groups `g0..`, given `before` to run on it first (messages already in the
/// groups), then `groups` x `per_group` messages staged and imported by the engine.
pub async fn imported_after(
    groups: usize,
    per_group: usize,
    before: impl FnOnce(&SandboxHandle),
) -> Imported {
    imported_into(groups, groups, per_group, 0, before).await
}

/// `staged` groups of `per_group` messages imported into a sandbox that has the first
/// `in_sandbox` of them (a group it lacks is refused, 10010: its lane stops with nothing
/// landed), the run ending with `exit`.
pub async fn imported_into(
    in_sandbox: usize,
    staged: usize,
    per_group: usize,
    exit: u8,
    before: impl FnOnce(&SandboxHandle),
) -> Imported {
    let dir = tempfile::tempdir().expect("temp dir");
    let staging = dir.path().join("staging");
    let texts = write_staging(&staging, staged, per_group);
    let ledger = dir.path().join("ledger.sqlite3");
    let sandbox = start(sandbox_config(in_sandbox)).await;
    before(&sandbox);
    let run_id = import_ending(&sandbox, &staging, &ledger, exit).await;
    Imported {
        dir,
        staging,
        ledger,
        sandbox,
        run_id,
        texts,
    }
}

/// [`imported_after`] into empty groups.
pub async fn imported(groups: usize, per_group: usize) -> Imported {
    imported_after(groups, per_group, |_| {}).await
}

/// Imports `staging` into `sandbox` with the engine, recording in `ledger`; the run's id.
pub async fn import(
    sandbox: &SandboxHandle,
    staging: &std::path::Path,
    ledger: &std::path::Path,
) -> i64 {
    import_ending(sandbox, staging, ledger, 0).await
}

/// [`import`], the run ending with `exit`.
pub async fn import_ending(
    sandbox: &SandboxHandle,
    staging: &std::path::Path,
    ledger: &std::path::Path,
    exit: u8,
) -> i64 {
    let scanned = scan(staging, &ScanOptions::new(unix_now())).expect("scan");
    let work = StagedWork::new(scanned, &[], PlanOptions::default()).expect("work");
    let client = client(sandbox);
    let active = open(OpenRequest {
        ledger: ledger.to_owned(),
        work,
        destination: Destination {
            endpoint: sandbox.url(),
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
        },
        options: RunOptions::default(),
        new_run: false,
        migration: timport::engine::phases::MigrationWork::messages_only(),
        command: "timport test".into(),
    })
    .await
    .expect("the run opens");
    let run_id = active.opened().run.id;
    let (etx, mut erx) = mpsc::channel::<Event>(1024);
    let (_ctl, crx) = mpsc::channel(4);
    let drain = tokio::spawn(async move { while erx.recv().await.is_some() {} });
    let outcome = active
        .run(Arc::new(client), etx, crx)
        .await
        .expect("the run ends");
    drain.await.expect("events drained");
    assert_eq!(outcome.exit_code(), exit, "the import ends as expected");
    run_id
}

/// The run's staging, scanned as a verification needs it.
pub fn scanned(imp: &Imported) -> Arc<Staging> {
    Arc::new(scan(&imp.staging, &ScanOptions::new(unix_now())).expect("scan"))
}

/// `group_msg_get_simple` calls the sandbox has answered so far.
pub fn reads(sandbox: &SandboxHandle) -> u64 {
    sandbox
        .stats()
        .requests
        .get("group_msg_get_simple")
        .copied()
        .unwrap_or(0)
}

/// How a test verifies.
#[derive(Default)]
pub struct How {
    pub only: Vec<Target>,
    pub restart: bool,
    pub options: VerifyOptions,
    /// Stop after this many windows were compared (a `Progress` event each).
    pub stop_after: Option<usize>,
}

/// Verifies the run in process; the summary (or why not) and every event.
pub async fn verify_run(
    imp: &Imported,
    how: How,
) -> (Result<VerifySummary, VerifyError>, Vec<VerifyEvent>) {
    let ledger = timport::engine::ledger::Ledger::open(&imp.ledger).expect("ledger");
    let stop = CancellationToken::new();
    // Room for one event: the verification waits for the test to take each, so a stop asked
    // after a window lands right after it.
    let (tx, mut rx) = mpsc::channel(1);
    let stop_after = how.stop_after;
    let cancel = stop.clone();
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        let mut windows = 0;
        while let Some(e) = rx.recv().await {
            if matches!(e, VerifyEvent::Progress { .. }) {
                windows += 1;
                if stop_after.is_some_and(|n| windows >= n) {
                    cancel.cancel();
                }
            }
            events.push(e);
        }
        events
    });
    let result = verify(
        Arc::new(client(&imp.sandbox)),
        VerifyRequest {
            ledger,
            run_id: imp.run_id,
            only: how.only,
            staging: scanned(imp),
            restart: how.restart,
            options: how.options,
        },
        ReadPace::own(200),
        tx,
        stop,
    )
    .await;
    let events = collect.await.expect("events collected");
    (result, events)
}

/// The findings among `events`, as `(kind, file line or MsgSeq)` words for assertions.
pub fn findings(events: &[VerifyEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            VerifyEvent::Finding(f) => Some(match &f.source {
                Some(s) => format!(
                    "{} {} {}:{} seq {}",
                    f.kind.word(),
                    f.target,
                    s.file,
                    s.line,
                    f.msg_seq.unwrap_or(0)
                ),
                None => format!(
                    "{} {} seq {}",
                    f.kind.word(),
                    f.target,
                    f.msg_seq.unwrap_or(0)
                ),
            }),
            _ => None,
        })
        .collect()
}
