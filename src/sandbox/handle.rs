//! Starting a sandbox and steering it while it runs: faults, its clock, and test hooks that
//! change what it stores behind the client's back (delete, alter, append a message) so that
//! `timport verify` can be proven to notice.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::clock::SandboxClock;
use super::config::SandboxConfig;
use super::fault::{Fault, FaultPlan};
use super::model::{AccountSnapshot, GroupSnapshot, MemberSnapshot, State, StoredMsg};
use super::server::{Shared, lock, serve};
use super::traffic::{Stats, Traffic};
use crate::api::types::MsgElement;

/// Mixed into the fault seed to seed the RNG for assigned ids and Randoms, so both are
/// reproducible from one number without drawing the same sequence.
const STATE_SEED_SALT: u64 = 0x5EED_5A4D_B0C5;

/// Starts a sandbox on `listen` (use `127.0.0.1:0` for an ephemeral port) and returns once it
/// accepts connections. Fails when the address cannot be bound or the seed breaks a rule
/// (`InvalidInput`, listing every problem).
pub async fn start(config: SandboxConfig, listen: SocketAddr) -> io::Result<SandboxHandle> {
    let clock = SandboxClock::default();
    let state_seed = config.faults.seed.map(|s| s ^ STATE_SEED_SALT);
    let state = match &config.seed {
        Some(seed) => State::from_seed(seed, clock.now(), state_seed).map_err(|problems| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the seed breaks the service's rules: {}",
                    problems.join("; ")
                ),
            )
        })?,
        None => State::new(state_seed),
    };
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        clock,
        state: Mutex::new(state),
        faults: Mutex::new(FaultPlan::new(config.faults.clone())),
        traffic: Mutex::new(
            Traffic::new(config.rate_limit).with_command_limits(&config.command_limits),
        ),
        config,
    });
    let cancel = CancellationToken::new();
    let task = tokio::spawn(serve(listener, Arc::clone(&shared), cancel.clone()));
    Ok(SandboxHandle {
        addr,
        shared,
        cancel,
        task: Some(task),
    })
}

/// A running sandbox. Dropping it stops the server too; [`SandboxHandle::shutdown`] also waits
/// until every connection is closed. `Debug` shows where it listens and for whom, nothing more.
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .field("sdkappid", &self.shared.config.sdkappid)
            .field("admin", &self.shared.config.admin)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (what `--endpoint` takes).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The SDKAppID it answers for.
    pub fn sdkappid(&self) -> u64 {
        self.shared.config.sdkappid
    }

    /// The admin account it accepts.
    pub fn admin(&self) -> &str {
        &self.shared.config.admin
    }

    /// Queues a fault; queued faults go to the next matching requests, in order.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).inject(fault);
    }

    /// Changes the share of requests that get a random fault (clamped to 0..=1).
    pub fn set_fault_rate(&self, rate: f64) {
        lock(&self.shared.faults).set_rate(rate);
    }

    /// Moves the sandbox's clock by `secs` (negative goes back). It decides "earlier than now",
    /// the five-minute de-duplication window, UserSig expiry and default creation times.
    pub fn advance_clock(&self, secs: i64) {
        self.shared.clock.advance(secs);
    }

    /// Stops the sandbox's clock (for tests): every request is then seen at the same instant,
    /// both for the frequency limit and for the service's rules, until `advance_clock` moves the
    /// unix time (the frequency window stays where it stopped).
    pub fn freeze_clock(&self) {
        self.shared.clock.freeze();
    }

    /// The sandbox's current unix time (the wall clock, or where it was frozen, plus every
    /// `advance_clock`).
    pub fn now(&self) -> i64 {
        self.shared.clock.now()
    }

    /// A group's own messages (not its topics'), ascending by seq; empty for an unknown group.
    pub fn messages(&self, group: &str) -> Vec<StoredMsg> {
        self.stream_messages(group, None)
    }

    /// One topic's messages, ascending by seq; empty for an unknown group or topic.
    pub fn topic_messages(&self, group: &str, topic: &str) -> Vec<StoredMsg> {
        self.stream_messages(group, Some(topic))
    }

    fn stream_messages(&self, group: &str, topic: Option<&str>) -> Vec<StoredMsg> {
        let state = lock(&self.shared.state);
        state
            .group(group)
            .and_then(|g| g.stream(topic))
            .map(|s| s.messages().to_vec())
            .unwrap_or_default()
    }

    /// Test hook: deletes stored message `seq` of `group` (or its `topic`) the way the service
    /// shows a deleted message: the sequence stays and reads back as a hole (`IsPlaceMsg` 1, no
    /// body). False when there is no such message.
    pub fn delete_message(&self, group: &str, topic: Option<&str>, seq: u64) -> bool {
        self.alter_message(group, topic, seq, |m| m.place = 1)
    }

    /// Test hook: changes stored message `seq` of `group` (or its `topic`) in place (its body,
    /// sender, time, `Random`), as if the service held something else than what was imported.
    /// False when there is no such message.
    pub fn alter_message(
        &self,
        group: &str,
        topic: Option<&str>,
        seq: u64,
        change: impl FnOnce(&mut StoredMsg),
    ) -> bool {
        let mut state = lock(&self.shared.state);
        let Some(msg) = state
            .group_mut(group)
            .and_then(|(g, _)| g.stream_mut(topic))
            .and_then(|s| s.message_mut(seq))
        else {
            return false;
        };
        change(msg);
        true
    }

    /// Test hook: stores a message in `group` (or its `topic`) as another writer would, with no
    /// import rule checked; returns its sequence (`None` for an unknown group or topic).
    pub fn append_message(
        &self,
        group: &str,
        topic: Option<&str>,
        from: &str,
        time: i64,
        random: u32,
        body: Vec<MsgElement>,
    ) -> Option<u64> {
        let mut state = lock(&self.shared.state);
        let (g, _) = state.group_mut(group)?;
        let stream = g.stream_mut(topic)?;
        Some(stream.push(from.to_owned(), time, random, body))
    }

    /// A group as it stands.
    pub fn group(&self, group: &str) -> Option<GroupSnapshot> {
        lock(&self.shared.state).group(group).map(|g| g.snapshot())
    }

    /// A group's members with their roles, join times and unread counts, sorted; empty for an
    /// unknown group.
    pub fn members(&self, group: &str) -> Vec<MemberSnapshot> {
        lock(&self.shared.state)
            .group(group)
            .map(|g| g.member_snapshots())
            .unwrap_or_default()
    }

    /// An account with its profile, if it exists.
    pub fn account(&self, user_id: &str) -> Option<AccountSnapshot> {
        lock(&self.shared.state).account(user_id).cloned()
    }

    /// Every account, sorted.
    pub fn accounts(&self) -> Vec<AccountSnapshot> {
        lock(&self.shared.state).accounts().cloned().collect()
    }

    /// Every group, in creation order.
    pub fn groups(&self) -> Vec<GroupSnapshot> {
        let state = lock(&self.shared.state);
        state.groups().iter().map(|g| g.snapshot()).collect()
    }

    /// What it has seen so far.
    pub fn stats(&self) -> Stats {
        lock(&self.shared.traffic).stats.clone()
    }

    /// Stops accepting, closes every connection and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            if let Err(error) = task.await {
                tracing::warn!(%error, "sandbox: server task ended abnormally");
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
