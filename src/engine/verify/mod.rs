//! Verifying a finished migration (`timport verify`, the console's verify key): reading every
//! target of a run back from the service and comparing each message with the ledger and the
//! staged file (sender, time sent, body, `Random`, order).
//!
//! Owns: the walk through each group, the comparison (`compare`), the verification's records in
//! the ledger (`ledger::verify`), its pacing (`pace`), its events ([`VerifyEvent`], `finding`)
//! and their headless lines (`printer`). Must not touch: the terminal (it emits
//! events; `cli::verify` and the console show them).
//!
//! # How a target is read
//! The ledger records the `MsgSeq` of every message that landed, so the group is read by
//! sequence, oldest first, from the run's first landing to the group's newest message, in
//! windows of 20 (`group_msg_get_simple` with `ReqMsgSeq` at the window's top: at most 20 a
//! call). Each window is compared with the messages the ledger records in it (`compare`), and
//! recorded in one transaction with the cursor, so a verification that is stopped goes on
//! where it stopped and never reads a finished window again. Memory holds a few windows per
//! target (reads go ahead of the comparison, [`VerifyOptions::depth`]), never a whole group.
//!
//! Messages below the run's first landing were in the group before the run: they are counted
//! (by sequence, without reading them) as preexisting, not as extra. Messages after the run's
//! last landing are read: anything the run did not import is extra.
//!
//! # Pacing
//! Every read takes its turn from a [`ReadPace`] (the read call's own limit, or the budget an
//! import in the same process shares), and a frequency refusal slows it down, as lanes do.
//!
//! # Decisions where the docs are silent
//! - Expected are the messages the ledger records as done; skipped, failed, invalid and
//!   pending messages are not expected in the group (the report lists them with their reasons).
//! - The time compared is the one sent (`sent_time` when the ledger records one apart from the
//!   staged time), the body the staged one, or the operator's edit when the message was edited.
//! - A group that cannot be read (gone, refused) fails its target; the verification ends
//!   stopped (exit 3), since it cannot say the group holds the messages.

mod compare;
mod finding;
mod pace;
pub mod printer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use compare::{Expected, WindowOutcome, compare_window, differences, found_view};
pub use finding::{
    Finding, FindingKind, MessageView, TargetVerified, TargetVerifyState, VerificationLine,
    VerifyCounts, VerifyEvent, VerifyStatus, VerifySummary,
};
pub use pace::ReadPace;

use super::backoff::random_delay;
use super::events::Failure;
use super::ledger::lock::{LedgerLock, LockError};
use super::ledger::runs::{self, compare_files};
use super::ledger::targets::{self, TargetRecord};
use super::ledger::verify::{self as records, LandedRow, TargetProgress};
use super::ledger::{Ledger, LedgerError};
use super::open::root_name;
use super::options::RetryPolicy;
use super::outcome::{RetryKind, Verdict, classify_read, failure_of};
use super::service::ImportService;
use super::settle::PAGE;
use super::staged::fingerprints;
use super::target::Target;
use crate::api::types::{GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse};
use crate::exit::Exit;
use crate::staging::Staging;

/// How a verification goes.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// Reads in flight ahead of the comparison, per target (enough to keep the budget busy
    /// over a long round trip).
    pub depth: usize,
    /// Targets read at once.
    pub targets_at_once: usize,
    /// Retry bounds for reads.
    pub retry: RetryPolicy,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            depth: 16,
            targets_at_once: 4,
            retry: RetryPolicy::default(),
        }
    }
}

/// What to verify.
pub struct VerifyRequest {
    /// The ledger holding the run.
    pub ledger: Ledger,
    /// The run.
    pub run_id: i64,
    /// Only these targets; empty: every target of the run.
    pub only: Vec<Target>,
    /// The run's staged files, scanned (the bodies are compared with them).
    pub staging: Arc<Staging>,
    /// Start a new verification even when an earlier one of the same scope is unfinished.
    pub restart: bool,
    /// How it goes.
    pub options: VerifyOptions,
}

/// Why a verification could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Another timport is writing to the ledger (one writer per ledger).
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The run, a target or the staged files are not what the verification needs.
    #[error("{0}")]
    Input(String),
}

impl VerifyError {
    /// The exit code: the operator's to fix (another run, changed files) is bad input; a ledger
    /// that fails or another writer stopped it (as `timport run`).
    pub fn exit(&self) -> Exit {
        match self {
            VerifyError::Ledger(_) | VerifyError::Locked(_) => Exit::Stopped,
            VerifyError::Input(_) => Exit::BadInput,
        }
    }
}

/// What every target's walk shares.
struct Walk<S> {
    service: Arc<S>,
    pace: ReadPace,
    ledger: Ledger,
    staging: Arc<Staging>,
    events: mpsc::Sender<VerifyEvent>,
    stop: CancellationToken,
    options: VerifyOptions,
    verification_id: i64,
    checked: AtomicU64,
    differences: AtomicU64,
}

impl<S> Walk<S> {
    async fn emit(&self, event: VerifyEvent) {
        let _ = self.events.send(event).await;
    }
}

/// The ledger a verification records its progress in, and the ledger's lock while it writes.
pub struct VerifyLedger {
    /// The ledger.
    pub ledger: Ledger,
    /// One writer per ledger: held for as long as this is kept; `None` when the caller's own
    /// run already holds it (the console verifying beside its run).
    pub lock: Option<LedgerLock>,
}

/// Opens the ledger at `path` for a verification (it records its progress there): first its
/// lock, recording `holder` as the writer (`None`: the caller's run holds it), so that another
/// timport writing to it turns the verification away naming who writes. A file that does not
/// exist is bad input (no run has used it), not a new ledger. Blocking: from async code, use
/// [`open_ledger`].
pub fn open_ledger_blocking(
    path: &std::path::Path,
    holder: Option<&str>,
) -> Result<VerifyLedger, VerifyError> {
    if !path.exists() {
        return Err(VerifyError::Input(format!(
            "no ledger at {} (no run has used it yet): give the run's --ledger",
            crate::escape::path(path)
        )));
    }
    let lock = holder
        .map(|command| LedgerLock::acquire(path, command))
        .transpose()?;
    let ledger = Ledger::open(path)?;
    Ok(VerifyLedger { ledger, lock })
}

/// [`open_ledger_blocking`] on a blocking thread.
pub async fn open_ledger(
    path: &std::path::Path,
    holder: Option<String>,
) -> Result<VerifyLedger, VerifyError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || open_ledger_blocking(&path, holder.as_deref()))
        .await
        .map_err(|e| VerifyError::Input(format!("opening the ledger failed: {e}")))?
}

/// Takes the ledger's lock as `holder` (on a blocking thread): for a verification that went
/// under its run's lock and goes on after that run ended.
pub async fn take_lock(path: &std::path::Path, holder: &str) -> Result<LedgerLock, VerifyError> {
    let (path, holder) = (path.to_owned(), holder.to_owned());
    tokio::task::spawn_blocking(move || LedgerLock::acquire(&path, &holder))
        .await
        .map_err(|e| VerifyError::Input(format!("taking the ledger's lock failed: {e}")))?
        .map_err(VerifyError::from)
}

/// The latest verification of run `run_id` (whose targets are `targets`), as reports show it;
/// `None` when the run was never verified.
pub fn latest(
    conn: &rusqlite::Connection,
    run_id: i64,
    targets: &[TargetRecord],
) -> Result<Option<VerificationLine>, LedgerError> {
    let Some(v) = records::latest_of_run(conn, run_id)? else {
        return Ok(None);
    };
    let mut lines = Vec::new();
    let mut totals = VerifyCounts::default();
    for (target_id, p) in records::progress_of(conn, v.id)? {
        let Some(t) = targets.iter().find(|t| t.id == target_id) else {
            continue;
        };
        totals.add(&p.counts);
        lines.push(verified(&t.target, &p));
    }
    Ok(Some(VerificationLine {
        verification_id: v.id,
        status: v.status,
        started_at: v.started_at,
        finished_at: v.finished_at,
        targets: lines,
        totals,
    }))
}

/// Checks that `staging` is the run's staging directory, unchanged since the run began.
pub async fn check_staging(
    ledger: &Ledger,
    run_id: i64,
    staging: &Staging,
) -> Result<(), VerifyError> {
    let run = ledger
        .call(move |c| runs::run_by_id(c, run_id))
        .await?
        .ok_or_else(|| VerifyError::Input(format!("the ledger has no run {run_id}")))?;
    let root = root_name(staging.root());
    if root != run.staging_root {
        return Err(VerifyError::Input(format!(
            "run {run_id} imported {}, not {}: verify it against its own staged files",
            crate::escape::controls(&run.staging_root),
            crate::escape::controls(&root)
        )));
    }
    let recorded = ledger.call(move |c| runs::files_of(c, run_id)).await?;
    let changes = compare_files(&recorded, &fingerprints(staging));
    if !changes.is_empty() {
        return Err(VerifyError::Input(format!(
            "the staged files changed since run {run_id} began ({}); the messages can only be compared with the files the run imported",
            changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// Verifies the run: every target in scope read back and compared, the findings emitted as
/// they are found and recorded; [`VerifyEvent::VerifyFinished`] is the last event. Cancelling
/// `stop` ends it interrupted after the window at work (a later call goes on from there).
pub async fn verify<S: ImportService>(
    service: Arc<S>,
    request: VerifyRequest,
    pace: ReadPace,
    events: mpsc::Sender<VerifyEvent>,
    stop: CancellationToken,
) -> Result<VerifySummary, VerifyError> {
    let VerifyRequest {
        ledger,
        run_id,
        only,
        staging,
        restart,
        options,
    } = request;
    check_staging(&ledger, run_id, &staging).await?;
    let all = ledger.call(move |c| targets::targets_of(c, run_id)).await?;
    let mut scope: Vec<TargetRecord> = Vec::new();
    for t in &only {
        match all.iter().find(|r| &r.target == t) {
            Some(r) => scope.push(r.clone()),
            None => {
                return Err(VerifyError::Input(format!(
                    "run {run_id} has no target {t}"
                )));
            }
        }
    }
    if only.is_empty() {
        scope = all;
    }
    let scope_word = serde_json::to_string(&only).unwrap_or_default();
    let (record, resumed) = ledger
        .call(move |c| records::start(c, run_id, &scope_word, restart))
        .await?;
    let verification_id = record.id;
    let ids: Vec<i64> = scope.iter().map(|t| t.id).collect();
    let (expected, checked) = ledger
        .call(move |c| {
            let mut expected = 0;
            let mut checked = 0;
            for id in ids {
                expected += records::landed_span(c, id)?.0;
                if let Some(p) = records::progress(c, verification_id, id)? {
                    checked += p.counts.checked();
                }
            }
            Ok((expected, checked))
        })
        .await?;
    let walk = Arc::new(Walk {
        service,
        pace,
        ledger: ledger.clone(),
        staging,
        events,
        stop,
        options,
        verification_id,
        checked: AtomicU64::new(checked),
        differences: AtomicU64::new(0),
    });
    walk.emit(VerifyEvent::VerifyStarted {
        verification_id,
        run_id,
        resumed,
        targets: scope.iter().map(|t| t.target.clone()).collect(),
        expected,
        checked,
    })
    .await;
    let at_once = walk.options.targets_at_once.max(1);
    let results: Vec<Result<TargetVerified, VerifyError>> =
        futures::stream::iter(scope.into_iter().map(|t| {
            let walk = Arc::clone(&walk);
            async move { verify_target(&walk, t).await }
        }))
        .buffered(at_once)
        .collect()
        .await;
    let mut targets = Vec::new();
    for r in results {
        targets.push(r?);
    }
    let mut totals = VerifyCounts::default();
    for t in &targets {
        totals.add(&t.counts);
    }
    let status = if targets.iter().any(|t| t.state == TargetVerifyState::Failed) {
        VerifyStatus::Stopped
    } else if targets.iter().all(|t| t.state == TargetVerifyState::Done) {
        VerifyStatus::Done
    } else {
        VerifyStatus::Interrupted
    };
    let summary = VerifySummary {
        verification_id,
        run_id,
        status,
        targets,
        totals,
    };
    let code = summary.exit().code();
    ledger
        .call(move |c| records::finish(c, verification_id, status, code))
        .await?;
    walk.emit(VerifyEvent::VerifyFinished(summary.clone()))
        .await;
    Ok(summary)
}

/// Reads one target to the group's newest message (or until stopped or failed).
async fn verify_target<S: ImportService>(
    walk: &Walk<S>,
    t: TargetRecord,
) -> Result<TargetVerified, VerifyError> {
    let (v, id) = (walk.verification_id, t.id);
    let stored = walk
        .ledger
        .call(move |c| records::progress(c, v, id))
        .await?;
    if let Some(p) = stored
        .as_ref()
        .filter(|p| p.state == TargetVerifyState::Done)
    {
        let done = verified(&t.target, p);
        walk.emit(VerifyEvent::TargetVerified(done.clone())).await;
        return Ok(done);
    }
    if walk.stop.is_cancelled() {
        let p = stored.unwrap_or_else(|| progress_at(0, None, None, 0));
        return Ok(verified(&t.target, &p));
    }
    let (landed, first, last) = walk
        .ledger
        .call(move |c| records::landed_span(c, id))
        .await?;
    let newest = read(walk, &t.target, None, 1).await;
    let mut p = stored.unwrap_or_else(|| progress_at(landed, first, last, 0));
    p.counts.reads += 1;
    p.error = None;
    p.state = TargetVerifyState::Reading;
    match newest {
        Ok(page) => {
            let newest_seq = page
                .rsp_msg_list
                .iter()
                .map(|m| m.msg_seq)
                .max()
                .unwrap_or(0);
            p.end_seq = p.end_seq.max(newest_seq).max(last.unwrap_or(0));
            if first.is_none() {
                // Nothing of the run landed here: whatever the group holds was there before.
                p.counts.preexisting = newest_seq;
                p.next_seq = p.end_seq + 1;
            }
            if p.next_seq > p.end_seq {
                p.state = TargetVerifyState::Done;
            }
        }
        // Nothing of the run landed here, so there is nothing to compare: a group that cannot
        // be read (an AVChatRoom, a group not in the app: the reasons its lane stopped) does
        // not leave the verification incomplete.
        Err(ReadEnd::Failed(failure)) if first.is_none() => {
            tracing::info!(target = %t.target, "nothing landed; the group could not be read: {}", failure.line());
            p.state = TargetVerifyState::Done;
        }
        Err(ReadEnd::Failed(failure)) => {
            p.state = TargetVerifyState::Failed;
            p.error = Some(failure.line());
        }
        Err(ReadEnd::Stopped) => return Ok(verified(&t.target, &p)),
    }
    let begun = p.clone();
    walk.ledger
        .call(move |c| records::begin_target(c, v, id, &begun))
        .await?;
    if p.state == TargetVerifyState::Reading {
        walk_windows(walk, &t.target, id, &mut p).await?;
    }
    let done = verified(&t.target, &p);
    if done.state != TargetVerifyState::Reading {
        walk.emit(VerifyEvent::TargetVerified(done.clone())).await;
    }
    Ok(done)
}

/// A target's progress before its walk: from the run's first landing to its last.
fn progress_at(landed: u64, first: Option<u64>, last: Option<u64>, reads: u64) -> TargetProgress {
    TargetProgress {
        state: TargetVerifyState::Reading,
        first_seq: first,
        next_seq: first.unwrap_or(1),
        end_seq: last.unwrap_or(0),
        last_time: None,
        counts: VerifyCounts {
            expected: landed,
            preexisting: first.map_or(0, |f| f.saturating_sub(1)),
            reads,
            ..VerifyCounts::default()
        },
        error: None,
    }
}

fn verified(target: &Target, p: &TargetProgress) -> TargetVerified {
    TargetVerified {
        target: target.clone(),
        state: p.state,
        counts: p.counts,
        first_seq: p.first_seq,
        end_seq: Some(p.end_seq).filter(|&e| e > 0),
        error: p.error.clone(),
    }
}

/// Reads the windows from `p.next_seq` to `p.end_seq`, `depth` reads ahead, comparing and
/// recording each in order.
async fn walk_windows<S: ImportService>(
    walk: &Walk<S>,
    target: &Target,
    target_id: i64,
    p: &mut TargetProgress,
) -> Result<(), VerifyError> {
    let mut issued = p.next_seq;
    let mut reads = FuturesOrdered::new();
    loop {
        while reads.len() < walk.options.depth.max(1)
            && issued <= p.end_seq
            && !walk.stop.is_cancelled()
        {
            let lo = issued;
            let hi = lo.saturating_add(u64::from(PAGE) - 1).min(p.end_seq);
            issued = hi + 1;
            reads.push_back(async move { (lo, hi, read(walk, target, Some(hi), PAGE).await) });
        }
        let next = tokio::select! {
            biased;
            () = walk.stop.cancelled() => None,
            next = reads.next() => next,
        };
        let Some((lo, hi, page)) = next else {
            break;
        };
        p.counts.reads += 1;
        let page = match page {
            Ok(page) => page,
            Err(ReadEnd::Stopped) => break,
            Err(ReadEnd::Failed(failure)) => {
                p.state = TargetVerifyState::Failed;
                p.error = Some(failure.line());
                let failed = p.clone();
                let v = walk.verification_id;
                walk.ledger
                    .call(move |c| records::record_window(c, v, target_id, &failed, &[]))
                    .await?;
                return Ok(());
            }
        };
        let expected = expected_in(walk, target_id, lo, hi).await?;
        let out = compare_window(target, lo, hi, &expected, &page.rsp_msg_list, p.last_time);
        p.next_seq = hi + 1;
        p.last_time = out.last_time;
        p.counts.verified += out.verified;
        p.counts.ignored += out.ignored;
        for f in &out.findings {
            p.counts.count(f.kind);
        }
        if p.next_seq > p.end_seq {
            p.state = TargetVerifyState::Done;
        }
        let recorded = p.clone();
        let v = walk.verification_id;
        let findings = out.findings.clone();
        walk.ledger
            .call(move |c| records::record_window(c, v, target_id, &recorded, &findings))
            .await?;
        let checked = out.verified
            + out
                .findings
                .iter()
                .filter(|f| f.kind != FindingKind::Extra)
                .count() as u64;
        let checked = walk.checked.fetch_add(checked, Ordering::Relaxed) + checked;
        let new = out.findings.len() as u64;
        let differences = walk.differences.fetch_add(new, Ordering::Relaxed) + new;
        for f in out.findings {
            walk.emit(VerifyEvent::Finding(Box::new(f))).await;
        }
        walk.emit(VerifyEvent::Progress {
            target: target.clone(),
            checked,
            differences,
        })
        .await;
    }
    Ok(())
}

/// The messages the ledger records landed in `lo..=hi`, as sent: the staged (or edited) body
/// read back from the staged file.
async fn expected_in<S>(
    walk: &Walk<S>,
    target_id: i64,
    lo: u64,
    hi: u64,
) -> Result<Vec<Expected>, VerifyError> {
    let rows = walk
        .ledger
        .call(move |c| records::landed_in(c, target_id, lo, hi))
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let staging = Arc::clone(&walk.staging);
    tokio::task::spawn_blocking(move || expected_rows(&staging, rows))
        .await
        .map_err(|e| VerifyError::Input(format!("reading the staged messages failed: {e}")))?
}

fn expected_rows(staging: &Staging, rows: Vec<LandedRow>) -> Result<Vec<Expected>, VerifyError> {
    let unedited: Vec<_> = rows
        .iter()
        .filter(|r| r.edited.is_none())
        .map(|r| r.source.clone())
        .collect();
    let mut staged = staging
        .read_messages(&unedited)
        .map_err(|e| VerifyError::Input(e.to_string()))?
        .into_iter();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text = match &row.edited {
            Some(edited) => edited.as_bytes().to_vec(),
            None => staged.next().unwrap_or_default(),
        };
        let msg: Option<Value> = serde_json::from_slice(&text).ok();
        let field = |name: &str| msg.as_ref().and_then(|m| m.get(name)).cloned();
        let body = field("MsgBody").filter(Value::is_array);
        out.push(Expected {
            staged: MessageView {
                from_account: row
                    .from_account
                    .clone()
                    .or_else(|| field("From_Account").and_then(|v| v.as_str().map(str::to_owned)))
                    .unwrap_or_default(),
                send_time: row
                    .sent_time
                    .or_else(|| field("SendTime").and_then(|v| v.as_i64()))
                    .unwrap_or(0),
                random: row.random,
                msg_seq: Some(row.msg_seq),
                body: body.clone().unwrap_or(Value::Null),
            },
            body_known: body.is_some(),
            source: row.source,
        });
    }
    Ok(out)
}

/// Why a read gave up.
enum ReadEnd {
    /// The service kept refusing (or refused for good): the failure that ended it.
    Failed(Failure),
    /// The verification was stopped while the read waited to try again.
    Stopped,
}

/// One `group_msg_get_simple` call (`count` messages with `MsgSeq` at most `upto`; the newest
/// when `None`), taking its turn and retried as a lane retries a read.
async fn read<S: ImportService>(
    walk: &Walk<S>,
    target: &Target,
    upto: Option<u64>,
    count: u32,
) -> Result<GroupMsgGetSimpleResponse, ReadEnd> {
    let req = GroupMsgGetSimpleRequest {
        group_id: target.group().to_owned(),
        req_msg_number: count,
        req_msg_seq: upto,
        with_recalled_msg: Some(1),
        topic_id: target.topic().map(str::to_owned),
    };
    let retry = &walk.options.retry;
    let (mut transient, mut rate, mut renewed) = (0u32, 0u32, false);
    loop {
        walk.pace.turn().await;
        let e = match walk.service.read_back(req.clone()).await {
            Ok(page) => return Ok(page),
            Err(e) => e,
        };
        let (failure, wait) = match classify_read(&e) {
            Verdict::Retry(RetryKind::Transient, f) if transient + 1 < retry.transient_tries => {
                transient += 1;
                (f, random_delay(retry, transient))
            }
            Verdict::Retry(RetryKind::RateLimit, f) if rate + 1 < retry.rate_tries => {
                rate += 1;
                walk.pace.refused();
                (f, random_delay(retry, rate))
            }
            Verdict::RenewAuth(f) if !renewed => {
                renewed = true;
                walk.service.renew_auth();
                (f, std::time::Duration::ZERO)
            }
            _ => {
                let f = failure_of(&e);
                walk.emit(VerifyEvent::Trouble {
                    target: target.clone(),
                    failure: f.clone(),
                    retrying: false,
                })
                .await;
                return Err(ReadEnd::Failed(f));
            }
        };
        walk.emit(VerifyEvent::Trouble {
            target: target.clone(),
            failure,
            retrying: true,
        })
        .await;
        tokio::select! {
            () = walk.stop.cancelled() => return Err(ReadEnd::Stopped),
            () = tokio::time::sleep(wait) => {}
        }
    }
}
