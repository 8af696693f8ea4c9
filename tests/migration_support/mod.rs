//! A staged migration and the ways to run it against the sandbox, shared by the migration tests:
//! accounts (some referenced only as members), a Public group with more than 20 members and an
//! owner with an unread count, a ChatRoom (no unread counts), a Work group without messages,
//! each with a historical `CreateTime`; what must land; runs that finish, and runs killed with a
//! call committed but unanswered.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::common;
use timport::api::types::{Command, GroupType};
use timport::clock::unix_now;
use timport::engine::open::{Destination, OpenRequest, open};
use timport::engine::phases::{MigrationWork, PhaseSet};
use timport::engine::staged::StagedWork;
use timport::engine::{Event, RetryPolicy, RunOptions, RunSummary};
use timport::plan::PlanOptions;
use timport::sandbox::{SandboxConfig, SandboxHandle};
use timport::staging::{ScanOptions, Staging, scan};

/// A sandbox of an empty app that requires owners and members to be accounts, as the service
/// does.
pub async fn strict_sandbox() -> SandboxHandle {
    common::start(strict_config()).await
}

/// [`strict_sandbox`]'s configuration.
pub fn strict_config() -> SandboxConfig {
    let mut config = common::config();
    config.require_accounts = true;
    config
}

/// The write calls the sandbox has seen, in a fixed order.
pub fn writes(sandbox: &SandboxHandle) -> Vec<u64> {
    let stats = sandbox.stats();
    [
        Command::MultiaccountImport,
        Command::AccountImport,
        Command::ImportGroup,
        Command::ImportGroupMsg,
        Command::ImportGroupMember,
        Command::SetUnreadMsgNum,
    ]
    .iter()
    .map(|c| stats.requests.get(c.name()).copied().unwrap_or(0))
    .collect()
}

/// Waits until the sandbox has committed a call whose answer a stall fault holds back (the
/// fault struck), failing if `running` turns false or a minute goes by first.
pub async fn until_stalled(
    sandbox: &SandboxHandle,
    command: Command,
    mut running: impl FnMut() -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let stalls = || {
        let stats = sandbox.stats();
        stats.faults.get("stall-after-commit").copied().unwrap_or(0)
    };
    while stalls() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline && running(),
            "{command:?}: the run never reached its call"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// What a run ended with.
pub struct Ran {
    pub exit: u8,
    pub events: Vec<Event>,
}

impl Ran {
    /// The headless lines, for failure messages.
    pub fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(timport::engine::printer::human_line)
            .collect()
    }

    /// The commands of the write calls, in the order they went out.
    pub fn call_order(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::PhaseCall { command, .. } => Some(command.clone()),
                Event::BatchSent { .. } => Some("import_group_msg".to_owned()),
                _ => None,
            })
            .collect()
    }

    /// The run's summary.
    pub fn summary(&self) -> RunSummary {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::RunFinished { summary, .. } => Some(summary.clone()),
                _ => None,
            })
            .expect("the run finished")
    }
}

/// The staged migration, its ledger, and what must land.
pub struct Migrating {
    pub dir: tempfile::TempDir,
    pub t0: i64,
    /// Members of `pub` besides ann, bob and the owner.
    pub crowd: Vec<String>,
}

/// A text message line.
pub fn message(from: &str, time: i64, text: &str) -> String {
    json!({"From_Account": from, "SendTime": time, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]})
        .to_string()
}

impl Migrating {
    /// The standard migration.
    pub fn new(_sandbox: &SandboxHandle) -> Migrating {
        Migrating::write(None)
    }

    /// The standard migration with one more message, in `pub`, from `sender`, who is neither
    /// staged nor in the app.
    pub fn with_stray_sender(_sandbox: &SandboxHandle, sender: &str) -> Migrating {
        Migrating::write(Some(sender))
    }

    fn write(stray: Option<&str>) -> Migrating {
        let dir = tempfile::tempdir().unwrap();
        let t0 = unix_now() - 100_000;
        let staging = dir.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let crowd: Vec<String> = (0..22).map(|i| format!("m{i:02}")).collect();
        let mut accounts = vec![
            json!({"UserID": "olga", "Nick": "Olga"}),
            json!({"UserID": "ann", "Nick": "Ann", "FaceUrl": "https://example.com/ann.png"}),
            json!({"UserID": "bob"}),
            json!({"UserID": "cy"}),
            json!({"UserID": "dee"}),
        ];
        accounts.extend(crowd.iter().map(|m| json!({"UserID": m})));
        let mut pub_members = vec![
            json!({"Member_Account": "ann", "Role": "Admin", "JoinTime": t0 + 1, "UnreadMsgNum": 2}),
            json!({"Member_Account": "bob", "JoinTime": t0 + 2, "UnreadMsgNum": 1}),
            json!({"Member_Account": "olga", "UnreadMsgNum": 3}),
        ];
        pub_members.extend(
            crowd
                .iter()
                .map(|m| json!({"Member_Account": m, "JoinTime": t0 + 3})),
        );
        let groups = [
            json!({"GroupId": "pub", "Type": "Public", "Name": "Pub", "Owner_Account": "olga",
                   "CreateTime": t0, "MemberList": pub_members}),
            json!({"GroupId": "room", "Type": "ChatRoom", "Name": "Room", "Owner_Account": "olga",
                   "CreateTime": t0, "MemberList": [
                       {"Member_Account": "ann", "JoinTime": t0 + 1, "UnreadMsgNum": 3},
                       {"Member_Account": "bob", "JoinTime": t0 + 1}]}),
            json!({"GroupId": "quiet", "Type": "Work", "Name": "Quiet", "CreateTime": t0,
                   "MemberList": [
                       {"Member_Account": "cy", "JoinTime": t0 + 5},
                       {"Member_Account": "dee", "JoinTime": t0 + 5, "UnreadMsgNum": 0}]}),
        ];
        let lines = |v: &[serde_json::Value]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        };
        std::fs::write(staging.join("accounts.jsonl"), lines(&accounts)).unwrap();
        std::fs::write(staging.join("groups.jsonl"), lines(&groups)).unwrap();
        let senders = ["ann", "bob", "olga"];
        let mut pub_lines: Vec<String> = (0..10)
            .map(|i| message(senders[i % 3], t0 + 100 + i as i64, &format!("pub {i}")))
            .collect();
        if let Some(stray) = stray {
            pub_lines.push(message(stray, t0 + 200, "from someone unknown"));
        }
        std::fs::write(staging.join("pub.jsonl"), pub_lines.join("\n") + "\n").unwrap();
        let room_lines: Vec<String> = (0..3)
            .map(|i| message("bob", t0 + 100 + i, &format!("room {i}")))
            .collect();
        std::fs::write(staging.join("room.jsonl"), room_lines.join("\n") + "\n").unwrap();
        Migrating { dir, t0, crowd }
    }

    pub fn staging_dir(&self) -> PathBuf {
        self.dir.path().join("staging")
    }

    pub fn ledger(&self) -> PathBuf {
        self.dir.path().join("ledger.sqlite3")
    }

    pub fn scan(&self) -> Staging {
        scan(&self.staging_dir(), &ScanOptions::new(unix_now())).unwrap()
    }

    /// The options of the test runs: quick retries and settling.
    pub fn options() -> RunOptions {
        RunOptions {
            lanes: 4,
            retry: RetryPolicy {
                base: Duration::from_millis(20),
                cap: Duration::from_millis(300),
                ..RetryPolicy::default()
            },
            settle_delay: Duration::from_millis(50),
            shutdown_grace: Duration::from_secs(5),
            ..RunOptions::default()
        }
    }

    async fn start(
        &self,
        sandbox: &SandboxHandle,
        missing: &[String],
        options: RunOptions,
    ) -> (
        mpsc::Receiver<Event>,
        tokio::task::JoinHandle<
            Result<timport::engine::run::RunOutcome, timport::engine::LedgerError>,
        >,
        mpsc::Sender<timport::engine::Control>,
    ) {
        let staging = self.scan();
        let migration = MigrationWork::new(&staging, &[], missing, PhaseSet::held_by(&staging));
        let work = StagedWork::new(staging, &[], PlanOptions::default()).unwrap();
        let active = open(OpenRequest {
            ledger: self.ledger(),
            work,
            destination: Destination {
                endpoint: sandbox.url(),
                sdkappid: sandbox.sdkappid(),
                admin: sandbox.admin().to_owned(),
            },
            options,
            new_run: false,
            migration,
            command: "timport test".into(),
        })
        .await
        .unwrap();
        let client = Arc::new(common::client(sandbox));
        let (events_tx, events) = mpsc::channel(1 << 16);
        let (controls, controls_rx) = mpsc::channel(8);
        let engine = tokio::spawn(async move { active.run(client, events_tx, controls_rx).await });
        (events, engine, controls)
    }

    /// Runs the migration (resuming the run of this staging) to its end.
    pub async fn run(&self, sandbox: &SandboxHandle) -> Ran {
        self.run_with_missing(sandbox, &[]).await
    }

    /// [`Migrating::run`], importing `missing` accounts by UserID alone.
    pub async fn run_with_missing(&self, sandbox: &SandboxHandle, missing: &[String]) -> Ran {
        self.run_with(sandbox, missing, Migrating::options()).await
    }

    /// [`Migrating::run_with_missing`] with these options.
    pub async fn run_with(
        &self,
        sandbox: &SandboxHandle,
        missing: &[String],
        options: RunOptions,
    ) -> Ran {
        let (mut rx, engine, _controls) = self.start(sandbox, missing, options).await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        let outcome = engine.await.unwrap().unwrap();
        Ran {
            exit: outcome.exit_code(),
            events,
        }
    }

    /// Starts the migration and kills it (aborts its task, as a kill -9 would stop it) as soon as
    /// a `command` call has been committed by the sandbox, whose answer a fault holds back.
    pub async fn run_until_killed(&self, sandbox: &SandboxHandle, command: Command) {
        let (mut rx, engine, _controls) = self.start(sandbox, &[], Migrating::options()).await;
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        until_stalled(sandbox, command, || !engine.is_finished()).await;
        engine.abort();
        let _ = engine.await;
        drain.abort();
    }

    /// Starts the migration and interrupts it (`Control::Shutdown`, as Ctrl-C or SIGTERM does)
    /// while a `command` call's answer is held back by a stall fault; runs it to its end.
    pub async fn run_interrupted_at(&self, sandbox: &SandboxHandle, command: Command) -> Ran {
        let (mut rx, engine, controls) = self.start(sandbox, &[], Migrating::options()).await;
        let collect = tokio::spawn(async move {
            let mut events = Vec::new();
            while let Some(e) = rx.recv().await {
                events.push(e);
            }
            events
        });
        until_stalled(sandbox, command, || !engine.is_finished()).await;
        controls
            .send(timport::engine::Control::Shutdown)
            .await
            .expect("the run listens");
        let outcome = engine.await.unwrap().unwrap();
        Ran {
            exit: outcome.exit_code(),
            events: collect.await.unwrap(),
        }
    }

    /// The accounts the staging names that are neither in the app nor staged.
    pub async fn missing(&self, sandbox: &SandboxHandle) -> Vec<String> {
        let staging = self.scan();
        timport::staging::online::missing_accounts(&staging, &common::client(sandbox))
            .await
            .unwrap()
    }

    /// Everything staged is in the sandbox, as staged.
    pub fn assert_landed(&self, sandbox: &SandboxHandle) {
        let t0 = self.t0;
        let ann = sandbox.account("ann").expect("ann imported");
        assert_eq!(ann.nick.as_deref(), Some("Ann"));
        assert_eq!(ann.face_url.as_deref(), Some("https://example.com/ann.png"));
        assert_eq!(
            sandbox.account("olga").unwrap().nick.as_deref(),
            Some("Olga")
        );
        for m in &self.crowd {
            assert!(sandbox.account(m).is_some(), "{m}");
        }
        let expect_group = |id: &str, kind: GroupType, owner: Option<&str>| {
            let g = sandbox.group(id).unwrap_or_else(|| panic!("{id} created"));
            assert_eq!(g.group_type, kind, "{id}");
            assert_eq!(g.create_time, t0, "{id}: the history's creation time");
            assert_eq!(g.owner.as_deref(), owner, "{id}");
        };
        expect_group("pub", GroupType::Public, Some("olga"));
        expect_group("room", GroupType::ChatRoom, Some("olga"));
        expect_group("quiet", GroupType::Private, None);

        let texts = |id: &str| -> Vec<String> {
            sandbox
                .messages(id)
                .iter()
                .map(|m| m.body[0].summary())
                .collect()
        };
        let pub_texts: Vec<String> = (0..10).map(|i| format!("pub {i}")).collect();
        let got = texts("pub");
        assert_eq!(
            got[..10],
            pub_texts[..],
            "pub: every message once, in order"
        );
        let room_texts: Vec<String> = (0..3).map(|i| format!("room {i}")).collect();
        assert_eq!(texts("room"), room_texts);
        assert!(texts("quiet").is_empty());

        let unread = |group: &str| -> Vec<(String, String, i64, u64)> {
            sandbox
                .members(group)
                .into_iter()
                .map(|m| (m.account, m.role, m.join_time, m.unread))
                .collect()
        };
        let pub_members = unread("pub");
        assert_eq!(pub_members.len(), 3 + self.crowd.len(), "{pub_members:?}");
        let find = |list: &[(String, String, i64, u64)], who: &str| {
            list.iter()
                .find(|m| m.0 == who)
                .cloned()
                .unwrap_or_else(|| panic!("{who} is a member"))
        };
        assert_eq!(
            find(&pub_members, "ann"),
            ("ann".into(), "Admin".into(), t0 + 1, 2)
        );
        assert_eq!(
            find(&pub_members, "bob"),
            ("bob".into(), "Member".into(), t0 + 2, 1)
        );
        assert_eq!(find(&pub_members, "olga").3, 3, "the owner's count, set");
        assert_eq!(find(&pub_members, "olga").1, "Owner");
        assert_eq!(find(&pub_members, "m07").2, t0 + 3);
        assert_eq!(find(&pub_members, "m07").3, 0);
        let room = unread("room");
        assert_eq!(room.len(), 3);
        assert!(room.iter().all(|m| m.3 == 0), "a ChatRoom keeps none");
        let quiet = unread("quiet");
        assert_eq!(
            quiet.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
            ["cy", "dee"]
        );
    }

    /// Nothing that landed was sent again: no group created twice (10021), no message repeated
    /// (dropped as a repeat), no member imported twice ("already a member").
    pub fn assert_each_write_once(&self, sandbox: &SandboxHandle, command: Command) {
        let stats = sandbox.stats();
        assert_eq!(
            stats.refusals.get(&10021),
            None,
            "{command:?}: a group was created twice"
        );
        assert_eq!(
            stats.duplicates_dropped, 0,
            "{command:?}: a message was sent again after it landed"
        );
        assert_eq!(
            stats.members_already, 0,
            "{command:?}: a member was imported again after it landed"
        );
    }

    /// The staging's directory, for the binary's tests.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
