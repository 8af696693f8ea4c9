//! Engine test doubles: a scripted in-memory service ([`Fake`]) that keeps groups like the
//! service does (ascending times, sequence numbers) but never de-duplicates, so a doubled
//! message shows; a work source built from lists ([`MemorySource`]); and a harness that runs the
//! engine over them with a temporary ledger and collects the events.

#![allow(dead_code)] // each test binary uses a part of this module

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use timport::api::ApiError;
use timport::api::catalogue::LocalFailure;
use timport::api::types::{
    Command, GroupInfo, GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse,
    ImportGroupMsgResponse, ImportMsg, ImportMsgResult, MsgElement, RspMsg,
};
use timport::engine::ledger::Ledger;
use timport::engine::memory::{MemoryEntry, MemoryWork, source_in_list};
use timport::engine::open::{OpenedRun, open_run};
use timport::engine::run::{RunOutcome, run};
use timport::engine::service::ImportService;
use timport::engine::work::WorkSource;
use timport::engine::{Control, Decision, Event, PauseReason, RunOptions, SourceRef, Target};

/// What the fake does with the next import request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Apply and answer.
    Answer,
    /// Refuse the whole request with this code (nothing applied).
    Refuse(i64),
    /// Apply, then lose the answer (a timeout).
    LostAfterCommit,
    /// Lose the request (the connection broke before the service read it).
    LostBeforeCommit,
    /// Fail to connect (nothing sent).
    ConnectFail,
    /// Apply the first n messages, then lose the answer.
    Partial(usize),
    /// Apply all, answer with one result too few.
    Short,
    /// HTTP 502 from a gateway (nothing applied).
    Gateway,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub seq: u64,
    pub from: String,
    pub time: i64,
    pub random: u32,
    pub body: Value,
}

impl Stored {
    pub fn text(&self) -> String {
        self.body[0]["MsgContent"]["Text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Default)]
struct State {
    groups: HashMap<String, Vec<Stored>>,
    imports: VecDeque<Act>,
    reads: VecDeque<Option<i64>>,
    refuse_text: HashMap<String, i64>,
    bodies: Vec<(tokio::time::Instant, Bytes)>,
    read_times: Vec<tokio::time::Instant>,
    read_calls: u32,
    /// The service's frequency limit, if modelled: requests admitted in the trailing second.
    rate_limit: Option<(usize, VecDeque<tokio::time::Instant>)>,
    /// Requests refused by that limit.
    rate_refusals: u32,
    renewals: u32,
    in_flight: u32,
    max_in_flight: u32,
    /// Answer a message whose Random the group already holds as the service does: success with
    /// the earlier message's MsgSeq, nothing stored.
    dedup: bool,
    /// Answer `get_group_info` (off: the trait's default, which tells nothing).
    group_info: bool,
    /// `get_group_info` calls, with the groups asked.
    info_calls: Vec<Vec<String>>,
    /// Refuse every `get_group_info` call with this code.
    refuse_info: Option<i64>,
}

/// The scripted service.
pub struct Fake {
    state: Mutex<State>,
    latency: Duration,
    /// How many import calls have started.
    entered: tokio::sync::watch::Sender<usize>,
    /// Called as each import call arrives, before anything is applied (to look at the ledger
    /// at that moment).
    on_import: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            state: Mutex::default(),
            latency: Duration::ZERO,
            entered: tokio::sync::watch::Sender::new(0),
            on_import: Mutex::new(None),
        }
    }
}

fn key(group: &str, topic: Option<&str>) -> String {
    format!("{group}|{}", topic.unwrap_or(""))
}

fn service_err(command: Command, code: i64) -> ApiError {
    ApiError::Service {
        command,
        code,
        info: format!("scripted {code}"),
    }
}

fn transport(failure: LocalFailure) -> ApiError {
    ApiError::Transport {
        command: Command::ImportGroupMsg,
        failure,
        detail: "scripted".into(),
    }
}

impl Fake {
    pub fn new() -> Arc<Fake> {
        Arc::new(Fake::default())
    }

    pub fn with_latency(latency: Duration) -> Arc<Fake> {
        Arc::new(Fake {
            latency,
            ..Fake::default()
        })
    }

    /// Scripts the next import requests (then answers normally).
    pub fn script(&self, acts: &[Act]) {
        self.state
            .lock()
            .unwrap()
            .imports
            .extend(acts.iter().copied());
    }

    /// Scripts the next read-backs: `Some(code)` refuses, `None` answers.
    pub fn script_reads(&self, codes: &[Option<i64>]) {
        self.state
            .lock()
            .unwrap()
            .reads
            .extend(codes.iter().copied());
    }

    /// Refuses (60007, nothing applied) a request when `n` were admitted in the trailing second of
    /// the tokio clock, as the service does past its frequency limit.
    pub fn limit_rate(&self, n: usize) {
        self.state.lock().unwrap().rate_limit = Some((n, VecDeque::new()));
    }

    /// Requests refused by [`Fake::limit_rate`].
    pub fn rate_refusals(&self) -> u32 {
        self.state.lock().unwrap().rate_refusals
    }

    /// Treats a known Random as a repeat, as the service does within five minutes.
    pub fn dedup(&self) {
        self.state.lock().unwrap().dedup = true;
    }

    /// Refuses (per message) every message whose text is `text`, with `code`.
    pub fn refuse_text(&self, text: &str, code: i64) {
        self.state
            .lock()
            .unwrap()
            .refuse_text
            .insert(text.into(), code);
    }

    pub fn accept_text(&self, text: &str) {
        self.state.lock().unwrap().refuse_text.remove(text);
    }

    /// Puts a message into a group directly (as if it landed earlier).
    pub fn seed(&self, group: &str, msg: &ImportMsg) {
        let mut s = self.state.lock().unwrap();
        let list = s.groups.entry(key(group, None)).or_default();
        let seq = list.len() as u64 + 1;
        list.push(Stored {
            seq,
            from: msg.from_account.clone(),
            time: msg.send_time,
            random: msg.random.unwrap_or(0),
            body: serde_json::to_value(&msg.msg_body).unwrap(),
        });
    }

    pub fn stored(&self, group: &str) -> Vec<Stored> {
        self.state
            .lock()
            .unwrap()
            .groups
            .get(&key(group, None))
            .cloned()
            .unwrap_or_default()
    }

    pub fn texts(&self, group: &str) -> Vec<String> {
        self.stored(group).iter().map(Stored::text).collect()
    }

    pub fn bodies(&self) -> Vec<(tokio::time::Instant, Bytes)> {
        self.state.lock().unwrap().bodies.clone()
    }

    pub fn imports(&self) -> usize {
        self.state.lock().unwrap().bodies.len()
    }

    /// When each request (import or read-back) reached the service, in order.
    pub fn request_times(&self) -> Vec<tokio::time::Instant> {
        let s = self.state.lock().unwrap();
        let mut times: Vec<_> = s.bodies.iter().map(|(t, _)| *t).collect();
        times.extend(&s.read_times);
        times.sort();
        times
    }

    pub fn read_calls(&self) -> u32 {
        self.state.lock().unwrap().read_calls
    }

    /// Answers `get_group_info` as the service does (`NextMsgSeq`: one after the newest).
    pub fn answer_group_info(&self) {
        self.state.lock().unwrap().group_info = true;
    }

    /// Refuses every `get_group_info` call with `code`.
    pub fn refuse_group_info(&self, code: i64) {
        self.state.lock().unwrap().refuse_info = Some(code);
    }

    /// The `get_group_info` calls so far, with the groups each asked about.
    pub fn info_calls(&self) -> Vec<Vec<String>> {
        self.state.lock().unwrap().info_calls.clone()
    }

    pub fn renewals(&self) -> u32 {
        self.state.lock().unwrap().renewals
    }

    pub fn max_in_flight(&self) -> u32 {
        self.state.lock().unwrap().max_in_flight
    }

    /// Calls `f` as each import call arrives, before anything is applied.
    pub fn on_import(&self, f: impl Fn() + Send + Sync + 'static) {
        *self.on_import.lock().unwrap() = Some(Box::new(f));
    }

    /// Waits until at least `n` import calls have started (so one is surely in flight).
    pub async fn entered(&self, n: usize) {
        let mut rx = self.entered.subscribe();
        let _ = rx.wait_for(|&k| k >= n).await;
    }

    /// Applies the first `limit` messages of a body; returns one result per applied message.
    fn apply(s: &mut State, body: &Value, limit: usize) -> Vec<ImportMsgResult> {
        let group = body["GroupId"].as_str().unwrap().to_owned();
        let topic = body["TopicId"].as_str();
        let k = key(&group, topic);
        let mut out = Vec::new();
        for m in body["MsgList"].as_array().unwrap().iter().take(limit) {
            let msg: ImportMsg = serde_json::from_value(m.clone()).unwrap();
            let text = msg
                .msg_body
                .first()
                .map(MsgElement::summary)
                .unwrap_or_default();
            let list = s.groups.entry(k.clone()).or_default();
            let newest = list.last().map(|x| x.time).unwrap_or(i64::MIN);
            let code = s.refuse_text.get(&text).copied();
            let dedup = s.dedup;
            let list = s.groups.entry(k.clone()).or_default();
            if let Some(earlier) = list.iter().find(|x| dedup && Some(x.random) == msg.random) {
                out.push(ImportMsgResult {
                    result: 0,
                    msg_time: earlier.time,
                    msg_seq: earlier.seq,
                });
                continue;
            }
            let result = match code {
                Some(code) => code,
                None if msg.send_time < newest => 10004,
                None => 0,
            };
            if result == 0 {
                let seq = list.len() as u64 + 1;
                list.push(Stored {
                    seq,
                    from: msg.from_account.clone(),
                    time: msg.send_time,
                    random: msg.random.unwrap_or(0),
                    body: m["MsgBody"].clone(),
                });
                out.push(ImportMsgResult {
                    result: 0,
                    msg_time: msg.send_time,
                    msg_seq: seq,
                });
            } else {
                out.push(ImportMsgResult {
                    result,
                    msg_time: msg.send_time,
                    msg_seq: 0,
                });
            }
        }
        out
    }
}

impl State {
    /// Whether the frequency limit lets a request in at `now` (it then counts).
    fn admit(&mut self, now: tokio::time::Instant) -> bool {
        let Some((limit, admitted)) = &mut self.rate_limit else {
            return true;
        };
        while admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            admitted.pop_front();
        }
        if admitted.len() >= *limit {
            self.rate_refusals += 1;
            return false;
        }
        admitted.push_back(now);
        true
    }
}

impl ImportService for Fake {
    async fn import(&self, body: Bytes) -> Result<ImportGroupMsgResponse, ApiError> {
        if let Some(f) = self.on_import.lock().unwrap().as_ref() {
            f();
        }
        let act = {
            let mut s = self.state.lock().unwrap();
            let now = tokio::time::Instant::now();
            s.bodies.push((now, body.clone()));
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            if s.admit(now) {
                s.imports.pop_front().unwrap_or(Act::Answer)
            } else {
                Act::Refuse(60007)
            }
        };
        self.entered.send_modify(|k| *k += 1);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let mut s = self.state.lock().unwrap();
        s.in_flight -= 1;
        let value: Value = serde_json::from_slice(&body).expect("bodies are JSON");
        let n = value["MsgList"].as_array().map_or(0, Vec::len);
        let answer = |r| {
            Ok(ImportGroupMsgResponse {
                import_msg_result: r,
            })
        };
        match act {
            Act::Answer => answer(Fake::apply(&mut s, &value, n)),
            Act::Refuse(code) => Err(service_err(Command::ImportGroupMsg, code)),
            Act::LostAfterCommit => {
                Fake::apply(&mut s, &value, n);
                Err(transport(LocalFailure::Timeout))
            }
            Act::LostBeforeCommit => Err(transport(LocalFailure::Dropped)),
            Act::ConnectFail => Err(transport(LocalFailure::Connect)),
            Act::Partial(k) => {
                Fake::apply(&mut s, &value, k);
                Err(transport(LocalFailure::Dropped))
            }
            Act::Short => {
                let mut r = Fake::apply(&mut s, &value, n);
                r.pop();
                answer(r)
            }
            Act::Gateway => Err(ApiError::Http {
                command: Command::ImportGroupMsg,
                status: 502,
                detail: String::new(),
            }),
        }
    }

    async fn read_back(
        &self,
        req: GroupMsgGetSimpleRequest,
    ) -> Result<GroupMsgGetSimpleResponse, ApiError> {
        let mut s = self.state.lock().unwrap();
        let now = tokio::time::Instant::now();
        s.read_calls += 1;
        s.read_times.push(now);
        if !s.admit(now) {
            return Err(service_err(Command::GroupMsgGetSimple, 60007));
        }
        if let Some(Some(code)) = s.reads.pop_front() {
            return Err(service_err(Command::GroupMsgGetSimple, code));
        }
        let list = s
            .groups
            .get(&key(&req.group_id, req.topic_id.as_deref()))
            .cloned()
            .unwrap_or_default();
        let rsp: Vec<RspMsg> = list
            .iter()
            .rev()
            .filter(|m| req.req_msg_seq.is_none_or(|max| m.seq <= max))
            .take(req.req_msg_number.min(20) as usize)
            .map(|m| RspMsg {
                from_account: m.from.clone(),
                is_place_msg: 0,
                is_system_msg: 0,
                msg_random: m.random,
                msg_seq: m.seq,
                msg_time_stamp: m.time,
                msg_body: serde_json::from_value(m.body.clone()).unwrap(),
            })
            .collect();
        Ok(GroupMsgGetSimpleResponse {
            group_id: req.group_id,
            is_finished: 1,
            rsp_msg_list: rsp,
        })
    }

    fn renew_auth(&self) {
        self.state.lock().unwrap().renewals += 1;
    }

    async fn group_info(&self, ids: Vec<String>) -> Result<Vec<GroupInfo>, ApiError> {
        let mut s = self.state.lock().unwrap();
        if !s.group_info {
            return Ok(Vec::new());
        }
        s.info_calls.push(ids.clone());
        if let Some(code) = s.refuse_info {
            return Err(service_err(Command::GetGroupInfo, code));
        }
        Ok(ids
            .into_iter()
            .map(|id| {
                let next = s.groups.get(&key(&id, None)).map_or(0, Vec::len) as u64 + 1;
                GroupInfo {
                    group_id: id,
                    next_msg_seq: Some(next),
                    ..GroupInfo::default()
                }
            })
            .collect())
    }
}

/// One staged entry.
pub type Entry = MemoryEntry;

/// A text message; its Random is derived from the text.
pub fn m(from: &str, time: i64, text: &str) -> Entry {
    MemoryEntry::Msg(msg(from, time, text))
}

pub fn msg(from: &str, time: i64, text: &str) -> ImportMsg {
    ImportMsg {
        from_account: from.into(),
        send_time: time,
        random: Some(random_for(text)),
        msg_body: vec![MsgElement::text(text)],
    }
}

fn random_for(text: &str) -> u32 {
    text.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    })
}

pub fn invalid(time: i64, problem: &str) -> Entry {
    MemoryEntry::Invalid {
        problem: problem.into(),
        raw: format!("{{\"SendTime\":{time},\"MsgBody\":[]}}"),
        send_time: time,
    }
}

/// `n` messages `prefix0..` from alice, one second apart from `t0`.
pub fn series(prefix: &str, t0: i64, n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| m("alice", t0 + i as i64, &format!("{prefix}{i}")))
        .collect()
}

/// The work source over lists.
pub type MemorySource = MemoryWork;

/// Builds the work source (shared, as the engine takes it), read in parts of two batches so
/// that every test also crosses parts.
pub fn memory(targets: Vec<(Target, Vec<Entry>)>) -> Arc<MemoryWork> {
    Arc::new(MemoryWork::new(targets).in_parts_of(2))
}

/// Where message `i` of `group`'s list is staged.
pub fn source_of(group: &str, i: usize) -> SourceRef {
    source_in_list(&Target::new(group, None), i)
}

/// A run under test: the service, the ledger and the events it produced.
pub struct Outcome {
    pub outcome: RunOutcome,
    pub events: Vec<Event>,
}

impl Outcome {
    pub fn exit(&self) -> u8 {
        self.outcome.exit_code()
    }

    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }

    /// Why the first lane that paused did.
    pub fn paused(&self) -> PauseReason {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::LanePaused { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .expect("a lane paused")
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
}

/// Headless options with small retry delays.
/// A plain group's lane.
pub fn g(name: &str) -> Target {
    Target::new(name, None)
}

/// Options of a run the console drives: lanes wait for decisions.
pub fn interactive() -> RunOptions {
    RunOptions {
        wait_for_decisions: true,
        ..headless()
    }
}

pub fn headless() -> RunOptions {
    RunOptions {
        settle_delay: Duration::from_millis(10),
        shutdown_grace: Duration::from_secs(2),
        ..RunOptions::default()
    }
}

/// A ledger in a temporary directory.
pub struct TempLedger {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempLedger {
    pub fn new() -> TempLedger {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        TempLedger { dir, path }
    }

    pub fn open(&self) -> Ledger {
        Ledger::open(&self.path).unwrap()
    }

    /// Waits until the run's writer has closed the file (its WAL folded in and removed), so the
    /// file alone holds everything; fails the test after a minute of real time (on a paused
    /// clock too) saying what it waited for.
    pub async fn wait_closed(&self) {
        let wal = self.path.with_file_name("ledger.sqlite3-wal");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while wal.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the ledger writer did not close {} within a minute: {} is still there",
                self.path.display(),
                wal.display()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Copies the closed ledger to `to` (waits for the writer to close it first: a copy of the
    /// main file without its WAL would miss the latest transactions).
    pub async fn copy_closed(&self, to: &std::path::Path) {
        self.wait_closed().await;
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::copy(&self.path, to).unwrap();
    }

    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }

    /// The single integer a query returns.
    pub fn count(&self, query: &str) -> i64 {
        self.sql().query_row(query, [], |r| r.get(0)).unwrap()
    }

    /// The first column of every row a query returns.
    pub fn column<T: rusqlite::types::FromSql>(&self, query: &str) -> Vec<T> {
        self.sql()
            .prepare(query)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

/// Drives an interactive run: gets the control sender and the event receiver, returns the
/// events it saw.
pub type Driver = Box<
    dyn FnOnce(mpsc::Sender<Control>, mpsc::Receiver<Event>) -> tokio::task::JoinHandle<Vec<Event>>
        + Send,
>;

/// A driver that sends `control` once, after the first event `when` accepts and once at least
/// `entered` import calls have started (the events come before the calls they announce).
pub fn control_on(
    fake: &Arc<Fake>,
    when: impl Fn(&Event) -> bool + Send + 'static,
    entered: usize,
    control: Control,
) -> Driver {
    let fake = Arc::clone(fake);
    Box::new(move |controls, mut events| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut control = Some(control);
            while let Some(e) = events.recv().await {
                if control.is_some() && when(&e) {
                    fake.entered(entered).await;
                    if let Some(c) = control.take() {
                        controls.send(c).await.unwrap();
                    }
                }
                seen.push(e);
            }
            seen
        })
    })
}

/// A driver that answers each pause with the next decision from `answers` (and runs `on_pause`
/// first), collecting every event.
pub fn decide_with(answers: Vec<Decision>, on_pause: impl Fn(usize) + Send + 'static) -> Driver {
    Box::new(
        move |controls: mpsc::Sender<Control>, mut events: mpsc::Receiver<Event>| {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut answers = answers.into_iter();
                let mut pauses = 0;
                while let Some(e) = events.recv().await {
                    if let Event::LanePaused { target, reason } = &e {
                        on_pause(pauses);
                        pauses += 1;
                        if let Some(decision) = answers.next() {
                            controls
                                .send(Control::Decide {
                                    target: target.clone(),
                                    source: reason.source.clone(),
                                    decision,
                                    operator: String::new(),
                                })
                                .await
                                .unwrap();
                        }
                    }
                    seen.push(e);
                }
                seen
            })
        },
    )
}

/// Opens (or resumes) the run of "/staging" and runs it; `control` gets the control sender and
/// the event receiver to drive an interactive run (or `None` for headless).
pub async fn run_with(
    fake: &Arc<Fake>,
    source: &Arc<MemorySource>,
    ledger: &TempLedger,
    opts: RunOptions,
    driver: Option<Driver>,
) -> Outcome {
    let l = ledger.open();
    let opened: OpenedRun = open_run(&l, "/staging".into(), "{}".into(), vec![], false)
        .await
        .unwrap();
    let (etx, erx) = mpsc::channel(64);
    let (ctx, crx) = mpsc::channel(16);
    let collector = match driver {
        Some(drive) => drive(ctx.clone(), erx),
        None => tokio::spawn(collect(erx)),
    };
    let src: Arc<dyn WorkSource> = source.clone();
    let outcome = run(Arc::clone(fake), src, l, &opened, opts, etx, crx)
        .await
        .unwrap();
    drop(ctx);
    let events = collector.await.unwrap();
    Outcome { outcome, events }
}

/// Runs headless.
pub async fn run_headless(
    fake: &Arc<Fake>,
    source: &Arc<MemorySource>,
    ledger: &TempLedger,
    opts: RunOptions,
) -> Outcome {
    run_with(fake, source, ledger, opts, None).await
}

pub async fn collect(mut rx: mpsc::Receiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = rx.recv().await {
        out.push(e);
    }
    out
}

/// The message texts of a list of entries (valid ones), in order.
pub fn texts_of(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match e {
            MemoryEntry::Msg(m) => Some(m.msg_body[0].summary()),
            MemoryEntry::Invalid { .. } => None,
        })
        .collect()
}
