//! Helpers for the tests of the guard (the point of no return): a staged group written line by
//! line (valid, unreadable, invalid with a readable time, too long for the service), the engine
//! run over it the way the console runs it (decisions answered by a script), killed when asked
//! (the run's task aborted, as `kill -9` would leave it), and the checks that nothing was lost,
//! doubled or refused because of timport's own order.

#![allow(dead_code)] // each test binary uses a part of this module

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use timport::api::types::{ImportMsg, MsgElement};
use timport::clock::unix_now;
use timport::engine::ledger::Ledger;
use timport::engine::open::open_run;
use timport::engine::run::run;
use timport::engine::service::ImportService;
use timport::engine::staged::StagedWork;
use timport::engine::work::WorkSource;
use timport::engine::{
    Control, Decision, Event, MessageOutcome, PauseReason, RetryPolicy, RunOptions, SourceRef,
};
use timport::plan::PlanOptions;
use timport::staging::{ScanOptions, scan};

/// The group every test here imports.
pub const GROUP: &str = "g";

/// One staged line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A message (text `m<line>`).
    Valid(i64),
    /// Broken JSON: cut off inside `MsgBody`, so its `SendTime` cannot be read.
    Broken(i64),
    /// An empty `MsgBody`: invalid, with a readable `SendTime`.
    EmptyBody(i64),
    /// A message longer than the sandbox takes ([`MAX_BYTES`]): refused with 80002.
    Long(i64),
}

impl Line {
    /// Its `SendTime` as written.
    pub fn time(&self) -> i64 {
        match self {
            Line::Valid(t) | Line::Broken(t) | Line::EmptyBody(t) | Line::Long(t) => *t,
        }
    }

    /// Its text in the file (line numbers are 1-based).
    pub fn text(&self, line: usize) -> String {
        let msg = |time: i64, text: String| {
            json!({"From_Account": "alice", "SendTime": time,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]})
            .to_string()
        };
        match *self {
            Line::Valid(t) => msg(t, format!("m{line}")),
            Line::Broken(t) => {
                format!(r#"{{"From_Account": "alice", "SendTime": {t}, "MsgBody": ["#)
            }
            Line::EmptyBody(t) => {
                json!({"From_Account": "alice", "SendTime": t, "MsgBody": []}).to_string()
            }
            Line::Long(t) => msg(t, format!("L{line} {}", "x".repeat(MAX_BYTES))),
        }
    }
}

/// The largest message the test sandboxes take (compact JSON bytes).
pub const MAX_BYTES: usize = 600;

/// `base` with group `g` (created long ago), taking messages up to [`MAX_BYTES`], reading
/// "later than the newest" as `strict` says.
pub fn group_config(
    base: timport::sandbox::SandboxConfig,
    strict: timport::sandbox::StrictTime,
) -> timport::sandbox::SandboxConfig {
    let now = unix_now();
    let seed = json!({"groups": [{"id": GROUP, "type": "Public", "name": "G", "create_time": now - 2_000_000}]});
    let mut config = base
        .with_seed(timport::sandbox::Seed::parse(&seed.to_string(), now).expect("the seed parses"));
    config.strict_time = strict;
    config.max_message_bytes = MAX_BYTES;
    config
}

/// Writes `g.jsonl` with `lines` into `dir`.
pub fn stage(dir: &Path, lines: &[Line]) {
    std::fs::create_dir_all(dir).unwrap();
    let text: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| l.text(i + 1))
        .collect();
    std::fs::write(dir.join(format!("{GROUP}.jsonl")), text.join("\n") + "\n").unwrap();
}

/// An edited message for `line`: its text names the line and the edit (`e<line>-<n>`).
pub fn edited(line: u32, n: usize, time: i64) -> ImportMsg {
    ImportMsg {
        from_account: "alice".into(),
        send_time: time,
        random: None,
        msg_body: vec![MsgElement::text(&format!("e{line}-{n}"))],
    }
}

/// What a scripted operator decides at a pause.
#[derive(Debug, Clone, PartialEq)]
pub enum Dec {
    /// Retry as staged.
    Retry,
    /// Retry edited with this `SendTime`.
    Edit(i64),
    /// Skip with a reason.
    Skip,
}

/// Answers pauses with a script of decisions (in turn); a message that has had `patience`
/// decisions is skipped, so every run ends.
pub struct Decider {
    pub script: Vec<Dec>,
    pub next: usize,
    pub patience: u32,
    /// Give every edit a `SendTime` of its own that no staged line has (staged times are
    /// multiples of ten) and no other edit.
    pub distinct: bool,
    /// With `distinct`, also keep edits out of the first five seconds after each staged time
    /// (where `--same-second spread` sends a burst's overflow).
    pub clear_of_spread: bool,
    used: std::collections::HashSet<i64>,
    tries: HashMap<SourceRef, u32>,
    edits: usize,
    /// Every decision sent, with the message it was about.
    pub sent: Vec<(SourceRef, Dec)>,
}

impl Decider {
    /// The lines decided about.
    pub fn lines(&self) -> Vec<u32> {
        self.sent.iter().map(|(s, _)| s.line).collect()
    }
}

impl Decider {
    pub fn new(script: Vec<Dec>) -> Decider {
        Decider {
            script,
            next: 0,
            patience: 4,
            distinct: false,
            clear_of_spread: false,
            used: std::collections::HashSet::new(),
            tries: HashMap::new(),
            edits: 0,
            sent: Vec::new(),
        }
    }

    fn decide(&mut self, reason: &PauseReason) -> Decision {
        let tries = self.tries.entry(reason.source.clone()).or_default();
        *tries += 1;
        let dec = if *tries > self.patience || self.script.is_empty() {
            // Out of patience: skip; a message whose outcome is unknown cannot be skipped
            // before it is read back, which a retry does.
            if *tries % 2 == 1 {
                Dec::Skip
            } else {
                Dec::Retry
            }
        } else {
            let d = self.script[self.next % self.script.len()].clone();
            self.next += 1;
            d
        };
        self.sent.push((reason.source.clone(), dec.clone()));
        match dec {
            Dec::Retry => Decision::Retry,
            Dec::Edit(mut time) => {
                while self.distinct
                    && (time % 10 == 0
                        || self.used.contains(&time)
                        || (self.clear_of_spread && time.rem_euclid(10) < 5))
                {
                    time += 1;
                }
                self.used.insert(time);
                self.edits += 1;
                Decision::RetryEdited(edited(reason.source.line, self.edits, time))
            }
            Dec::Skip => Decision::Skip {
                reason: format!("scripted skip of line {}", reason.source.line),
            },
        }
    }
}

/// How one invocation ended.
pub struct Invocation {
    /// The exit code (`None` when killed).
    pub exit: Option<u8>,
    pub events: Vec<Event>,
}

impl Invocation {
    /// Every pause, in order.
    pub fn pauses(&self) -> Vec<PauseReason> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::LanePaused { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every warning's text.
    pub fn warnings(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Warning { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// Messages reported failed with `code`.
    pub fn failed_with(&self, code: i64) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(e, Event::MessageResult { outcome: MessageOutcome::Failed(f), .. } if f.code == Some(code))
            })
            .count()
    }
}

/// Options for a run the tests drive: fast retries and settling.
pub fn options(interactive: bool) -> RunOptions {
    RunOptions {
        rate: 200,
        lanes: 1,
        wait_for_decisions: interactive,
        retry: RetryPolicy {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        settle_delay: Duration::from_millis(20),
        shutdown_grace: Duration::from_secs(2),
        ..RunOptions::default()
    }
}

/// Runs (or resumes) the import of `staging` into `service` with the ledger at `ledger`, read in
/// parts of about `part` messages. Pauses are answered by `decider` (when the options wait for
/// decisions); after `kill_after` requests were announced the run's task is aborted.
pub async fn invoke<S: ImportService>(
    service: Arc<S>,
    staging: &Path,
    ledger: &Path,
    opts: RunOptions,
    part: usize,
    decider: &mut Decider,
    kill_after: Option<usize>,
) -> Invocation {
    let now = unix_now();
    let plan = PlanOptions {
        same_second: opts.same_second,
        ..PlanOptions::default()
    };
    let work = StagedWork::new(
        scan(staging, &ScanOptions::new(now)).expect("the staging scans"),
        &[],
        plan,
    )
    .expect("the staging can be imported")
    .in_parts_of(part);
    let l = Ledger::open(ledger).expect("the ledger opens");
    let opened = open_run(
        &l,
        staging.display().to_string(),
        format!(r#"{{"same_second":"{}"}}"#, opts.same_second),
        work.fingerprints(),
        false,
    )
    .await
    .expect("the run opens");
    let (etx, mut erx) = mpsc::channel(256);
    let (ctx, crx) = mpsc::channel(16);
    let source: Arc<dyn WorkSource> = Arc::new(work);
    let task = tokio::spawn(async move { run(service, source, l, &opened, opts, etx, crx).await });
    let mut events = Vec::new();
    let mut sent = 0;
    let mut killed = false;
    // The lane waiting for a decision, and where.
    let mut waiting: Option<(timport::engine::Target, PauseReason)> = None;
    while let Some(e) = erx.recv().await {
        let ask = match &e {
            Event::LanePaused { target, reason } => {
                waiting = Some((target.clone(), reason.clone()));
                waiting.clone()
            }
            Event::LaneResumed { .. } | Event::LaneStopped { .. } | Event::LaneDone { .. } => {
                waiting = None;
                None
            }
            // While a lane waits, a warning about it is a decision it could not carry out: it
            // still waits at the same message.
            Event::Warning {
                target: Some(_), ..
            } => waiting.clone(),
            _ => None,
        };
        if matches!(e, Event::BatchSent { .. }) {
            sent += 1;
        }
        events.push(e);
        if kill_after.is_some_and(|k| sent >= k) {
            task.abort();
            killed = true;
            break;
        }
        if let Some((target, reason)) = ask {
            let decision = decider.decide(&reason);
            let _ = ctx
                .send(Control::Decide {
                    target,
                    source: reason.source.clone(),
                    decision,
                    operator: String::new(),
                })
                .await;
        }
    }
    drop(ctx);
    let outcome = task.await;
    // Wait until the aborted run's ledger writer has let go of the file.
    drop(erx);
    let exit = if killed {
        None
    } else {
        Some(outcome.expect("the run task").expect("the run").exit_code())
    };
    wait_closed(ledger).await;
    Invocation { exit, events }
}

/// Waits until the ledger's writer has closed the file (its WAL folded in and removed).
pub async fn wait_closed(ledger: &Path) {
    let wal = ledger.with_file_name(format!(
        "{}-wal",
        ledger.file_name().unwrap_or_default().to_string_lossy()
    ));
    for _ in 0..500 {
        if !wal.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One stored message of the group, as the checks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub seq: u64,
    pub time: i64,
    pub text: String,
}

/// What group `g` of `sandbox` holds, in sequence order.
pub fn stored(sandbox: &timport::sandbox::SandboxHandle) -> Vec<Stored> {
    sandbox
        .messages(GROUP)
        .iter()
        .map(|m| Stored {
            seq: m.seq,
            time: m.time,
            text: m.body[0].summary(),
        })
        .collect()
}

/// The staged line a stored text belongs to (`m3`, `L3 xxx`, `e3-1` all belong to line 3).
pub fn line_of(text: &str) -> Option<u32> {
    let rest = text.strip_prefix(['m', 'L', 'e'])?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Two columns of every message row of the ledger, by line.
fn by_line<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
    ledger: &Path,
    columns: &str,
) -> BTreeMap<u32, (A, B)> {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT line, {columns} FROM messages"))
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every message row of the ledger: line -> (state, msg_seq).
pub fn ledger_rows(ledger: &Path) -> BTreeMap<u32, (String, Option<i64>)> {
    by_line(ledger, "state, msg_seq")
}

/// Every message row's staged and sent `SendTime`: line -> (send_time, sent_time).
pub fn ledger_times(ledger: &Path) -> BTreeMap<u32, (Option<i64>, Option<i64>)> {
    by_line(ledger, "send_time, sent_time")
}

/// Lines with a recorded skip decision.
pub fn skip_decisions(ledger: &Path) -> Vec<u32> {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT m.line FROM decisions d JOIN messages m ON m.id = d.message_id
             WHERE d.decision IN ('skip', 'auto_skip')",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The checks of the promise, over what the group holds and what the ledger says:
/// - nothing stored twice (each staged line at most once, by its text);
/// - the group's order is the staged order: by `SendTime` (as edited), then staged line. One
///   exception: a message the operator retried after later messages of its second landed (the
///   default reading takes an equal time) goes in after them, by the operator's decision;
///   `decided` are the lines the operator decided about;
/// - every staged line is done (with the group's sequence number for it) or skipped with a
///   recorded decision.
pub fn assert_promise(
    stored: &[Stored],
    lines: usize,
    ledger: &Path,
    decided: &[u32],
    context: &str,
) {
    let mut seen: BTreeMap<u32, &Stored> = BTreeMap::new();
    for s in stored {
        let line = line_of(&s.text).unwrap_or_else(|| panic!("{context}: a stranger {s:?}"));
        if let Some(first) = seen.insert(line, s) {
            panic!("{context}: line {line} is in the group twice: {first:?} and {s:?}");
        }
    }
    let keys: Vec<(i64, u32)> = stored
        .iter()
        .map(|s| (s.time, line_of(&s.text).unwrap_or(0)))
        .collect();
    for pair in keys.windows(2) {
        let retried_in_its_second = pair[0].0 == pair[1].0 && decided.contains(&pair[1].1);
        assert!(
            pair[0] < pair[1] || retried_in_its_second,
            "{context}: out of order in the group: {:?} then {:?}\n{stored:#?}",
            pair[0],
            pair[1]
        );
    }
    let rows = ledger_rows(ledger);
    let skips = skip_decisions(ledger);
    for line in 1..=lines as u32 {
        let Some((state, seq)) = rows.get(&line) else {
            panic!("{context}: line {line} has no ledger row: {rows:?}");
        };
        match state.as_str() {
            "done" => {
                let s = seen
                    .get(&line)
                    .unwrap_or_else(|| panic!("{context}: line {line} done but not in the group"));
                assert_eq!(
                    *seq,
                    Some(s.seq as i64),
                    "{context}: line {line}'s sequence number"
                );
            }
            "skipped" => {
                assert!(
                    skips.contains(&line),
                    "{context}: line {line} skipped without a recorded decision"
                );
                assert!(
                    !seen.contains_key(&line),
                    "{context}: line {line} skipped but in the group"
                );
            }
            other => panic!("{context}: line {line} ended {other}"),
        }
    }
}
