//! Opening a run: the one way `timport run` and the console start or resume an import of a
//! staging directory, so that either can resume the other's run.
//!
//! [`open`] takes the ledger's lock (one writer per ledger: `ledger::lock`), opens the ledger,
//! names the run by the staging root's canonical path, and either resumes the latest run of that
//! root or starts a new one recording the run's options and the files' fingerprints. A resume
//! after the staged files changed ties the rows of the changed files to their messages' places
//! now (`ledger::restage`; refused, [`OpenRunError::SettledGone`], when a message that landed or
//! was decided is gone from its place); lanes then check each recorded message's fingerprint as
//! they read it (`lane::changes`). It returns an [`ActiveRun`]: the lock, the ledger, the run and
//! its work (the lanes' targets and the migration's phases around them), kept together for as
//! long as the run goes ([`ActiveRun::run`] consumes it).
//! Whatever must hold for the run's whole life belongs in it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use super::attach::{self, Feed, Hello, Served};
use super::control::Control;
use super::events::Event;
use super::ledger::lock::{LedgerLock, LockError};
use super::ledger::restage::{self, Gone, Restaged};
use super::ledger::runs::{self, FileChange, FileRecord, RunRecord, compare_files};
use super::ledger::{Ledger, LedgerError};
use super::options::{OnMessageError, RunOptions};
use super::phases::{Migration, MigrationWork, PhaseService};
use super::run::{RunOutcome, run_phased};
use super::service::ImportService;
use super::staged::{StagedWork, places_in};
use super::work::WorkSource;
use crate::exit::Exit;
use crate::plan::SameSecond;
use crate::staging::Staging;

/// Why a run could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenRunError {
    /// The ledger file could not be opened (or created).
    #[error(transparent)]
    Open(LedgerError),
    /// The ledger failed while the run was being opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The run was begun with another `--same-second`: its messages' sent times would differ,
    /// and read-backs of earlier requests would not find them.
    #[error(
        "run {run_id} was begun with --same-second {recorded}; resuming it with {requested} would send its remaining messages at other times than its earlier requests assumed. Resume with --same-second {recorded}, or start a new run with --new-run"
    )]
    SameSecondChanged {
        /// The run.
        run_id: i64,
        /// The policy it recorded.
        recorded: SameSecond,
        /// The policy asked for now.
        requested: SameSecond,
    },
    /// Staged files changed since the run began.
    #[error("the staged files changed since run {run_id} began ({}); resuming would mix two versions of the same history. Restore the files, or start a new run with --new-run", .changes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    FilesChanged {
        /// The run.
        run_id: i64,
        /// What changed.
        changes: Vec<FileChange>,
    },
    /// Staged files changed and messages that landed, were skipped or may have landed are no
    /// longer at their places.
    #[error("the staged files changed since run {run_id} began ({}), and {total} message(s) already imported or decided are no longer at their places: {}{}. Restore the files as they were, or start a new run with --new-run", .changes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "), .gone.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "), if *.total > .gone.len() as u64 { ", ..." } else { "" })]
    SettledGone {
        /// The run.
        run_id: i64,
        /// What changed.
        changes: Vec<FileChange>,
        /// The first few.
        gone: Vec<Gone>,
        /// How many.
        total: u64,
    },
    /// Another process is writing to the ledger (one writer per ledger).
    #[error(transparent)]
    Locked(LockError),
    /// The task opening the ledger ended abnormally.
    #[error("opening the ledger failed: {0}")]
    Aborted(String),
}

impl OpenRunError {
    /// The exit code of a command that could not open its run: the operator's to fix (a ledger
    /// path that cannot be used, changed files) is bad input; the rest stopped it.
    pub fn exit(&self) -> Exit {
        match self {
            OpenRunError::Open(_)
            | OpenRunError::FilesChanged { .. }
            | OpenRunError::SettledGone { .. }
            | OpenRunError::SameSecondChanged { .. } => Exit::BadInput,
            OpenRunError::Ledger(_) | OpenRunError::Locked(_) | OpenRunError::Aborted(_) => {
                Exit::Stopped
            }
        }
    }
}

/// A run ready to work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedRun {
    /// As recorded.
    pub run: RunRecord,
    /// True when it continues an earlier invocation.
    pub resumed: bool,
    /// How the staged files changed since the invocation before (resumed after a fix).
    pub changes: Vec<FileChange>,
    /// Rows of unsent messages forgotten because their place holds no message any more.
    pub forgotten: u64,
}

/// Where the messages go, as a run records it (never a secret: the endpoint, the app and the
/// admin account name the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The endpoint's base URL.
    pub endpoint: String,
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account that signs.
    pub admin: String,
}

/// The options a run records, in this order.
#[derive(Serialize)]
struct RecordedOptions<'a> {
    endpoint: &'a str,
    sdkappid: u64,
    admin: &'a str,
    rate: u32,
    lanes: usize,
    on_message_error: OnMessageError,
    retry_failed: bool,
    #[serde(skip_serializing_if = "is_keep")]
    same_second: SameSecond,
}

/// `keep` is not recorded: a run recorded before `--same-second` existed kept every time.
fn is_keep(policy: &SameSecond) -> bool {
    *policy == SameSecond::Keep
}

/// The `--same-second` a run's recorded options name (`keep` when they name none).
fn recorded_same_second(options_json: &str) -> SameSecond {
    #[derive(serde::Deserialize)]
    struct Recorded {
        #[serde(default)]
        same_second: SameSecond,
    }
    serde_json::from_str::<Recorded>(options_json).map_or(SameSecond::Keep, |r| r.same_second)
}

fn options_json(to: &Destination, opts: &RunOptions) -> String {
    serde_json::to_string(&RecordedOptions {
        endpoint: &to.endpoint,
        sdkappid: to.sdkappid,
        admin: &to.admin,
        rate: opts.rate,
        lanes: opts.lanes,
        on_message_error: opts.on_message_error,
        retry_failed: opts.retry_failed,
        same_second: opts.same_second,
    })
    .unwrap_or_default()
}

/// What opening a run needs.
pub struct OpenRequest {
    /// The ledger file (created when missing).
    pub ledger: PathBuf,
    /// The staged work, already scanned and narrowed to the run's groups.
    pub work: StagedWork,
    /// Where the messages go.
    pub destination: Destination,
    /// How the run goes (recorded with it).
    pub options: RunOptions,
    /// Start a new run even when one of this staging exists.
    pub new_run: bool,
    /// The phases around the messages (`MigrationWork::messages_only()` for none).
    pub migration: MigrationWork,
    /// What is opening it (`timport run`, `timport console`): written into the ledger's lock
    /// for a second writer to read.
    pub command: String,
}

/// A run opened in its ledger, with its work and options: alive for as long as the run goes.
pub struct ActiveRun {
    /// One writer per ledger: held until the run ends (the kernel drops it if the process dies).
    lock: LedgerLock,
    ledger: Ledger,
    ledger_path: PathBuf,
    opened: OpenedRun,
    work: Arc<StagedWork>,
    options: RunOptions,
    migration: MigrationWork,
    /// The control socket, when served: removed before the lock is let go.
    socket: Option<Served>,
}

impl ActiveRun {
    /// The run as recorded, and whether it resumes an earlier invocation.
    pub fn opened(&self) -> &OpenedRun {
        &self.opened
    }

    /// Serves the control socket `<ledger>.sock` (`attach`) for as long as the run goes:
    /// readers' requests go to `controls`; the returned [`Feed`] takes the run's events.
    pub async fn serve(&mut self, controls: mpsc::Sender<Control>) -> std::io::Result<Feed> {
        let hello = Hello {
            run_id: self.opened.run.id,
            resumed: self.opened.resumed,
            staging: Some(self.work.staging().root().to_string_lossy().into_owned()),
            ..Hello::default()
        };
        let (served, feed) = attach::serve(&self.ledger_path, hello, controls).await?;
        self.socket = Some(served);
        Ok(feed)
    }

    /// The phases around the messages this run carries out.
    pub fn migration(&self) -> &MigrationWork {
        &self.migration
    }

    /// Runs every phase (accounts, groups, the targets' lanes, members) to its end (or until
    /// stopped): the events go to `events` (the last is [`Event::RunFinished`]), the controls
    /// come from `controls`.
    pub async fn run<S: ImportService + PhaseService>(
        self,
        service: Arc<S>,
        events: mpsc::Sender<Event>,
        controls: mpsc::Receiver<Control>,
    ) -> Result<RunOutcome, LedgerError> {
        let source: Arc<dyn WorkSource> = self.work;
        let _lock = self.lock;
        // Declared after the lock, so dropped (the socket file removed) before it.
        let _socket = self.socket;
        let phases: Arc<dyn PhaseService> = service.clone();
        let migration = Migration {
            work: self.migration,
            service: phases,
        };
        run_phased(
            service,
            source,
            self.ledger,
            &self.opened,
            self.options,
            Some(migration),
            events,
            controls,
        )
        .await
    }
}

/// Opens (or resumes) the run of the request's staging in its ledger.
pub async fn open(request: OpenRequest) -> Result<ActiveRun, OpenRunError> {
    let OpenRequest {
        ledger,
        work,
        destination,
        mut options,
        new_run,
        migration,
        command,
    } = request;
    // The plan decides the times sent: the run records and the lanes read what it uses.
    options.same_second = work.plan_options().same_second;
    let ledger_path = ledger.clone();
    let (lock, ledger) = tokio::task::spawn_blocking(move || {
        // The lock first: a second writer is turned away before it touches the file.
        let lock = LedgerLock::acquire(&ledger, &command).map_err(OpenRunError::Locked)?;
        let ledger = Ledger::open(&ledger).map_err(OpenRunError::Open)?;
        Ok::<_, OpenRunError>((lock, ledger))
    })
    .await
    .map_err(|e| OpenRunError::Aborted(e.to_string()))??;
    let opened = open_run_with(
        &ledger,
        staging_root(&work),
        options_json(&destination, &options),
        work.fingerprints(),
        new_run,
        Some(work.staging_shared()),
    )
    .await?;
    Ok(ActiveRun {
        lock,
        ledger,
        ledger_path,
        opened,
        work: Arc::new(work),
        options,
        migration,
        socket: None,
    })
}

/// The name a run of this staging has in the ledger: its root's canonical path (as given when it
/// cannot be resolved), so that the same directory reached another way is the same run.
pub fn staging_root(work: &StagedWork) -> String {
    root_name(work.staging().root())
}

/// The name a run of the staging at `root` has: its canonical path (as given when it cannot be
/// resolved).
pub fn root_name(root: &std::path::Path) -> String {
    std::fs::canonicalize(root)
        .unwrap_or_else(|_| root.to_owned())
        .display()
        .to_string()
}

/// Opens the run of `staging_root` in an open ledger: the latest one, resumed, when its files are
/// unchanged (an error listing the changes otherwise) and `options_json` names the same
/// `--same-second` it recorded, or a new one when there is none or `new_run` is set. [`open`] is
/// the way in for commands (it also resumes after the files changed); this is its ledger step
/// for work that has no staging index (lists in tests).
pub async fn open_run(
    ledger: &Ledger,
    staging_root: String,
    options_json: String,
    files: Vec<FileRecord>,
    new_run: bool,
) -> Result<OpenedRun, OpenRunError> {
    open_run_with(ledger, staging_root, options_json, files, new_run, None).await
}

/// [`open_run`]; with `staging`, a run whose files changed is resumed: the rows of the changed
/// files are tied to their messages' places now (`ledger::restage`), refused when a message that
/// landed or was decided is no longer at its place.
async fn open_run_with(
    ledger: &Ledger,
    staging_root: String,
    options_json: String,
    files: Vec<FileRecord>,
    new_run: bool,
    staging: Option<Arc<Staging>>,
) -> Result<OpenedRun, OpenRunError> {
    let root = staging_root.clone();
    let existing = ledger.call(move |c| runs::latest_run_for(c, &root)).await?;
    match existing {
        Some(run) if !new_run => {
            let id = run.id;
            // Before anything is written: the policy decides the times its messages are sent at.
            let (recorded, requested) = (
                recorded_same_second(&run.options),
                recorded_same_second(&options_json),
            );
            if recorded != requested {
                return Err(OpenRunError::SameSecondChanged {
                    run_id: id,
                    recorded,
                    requested,
                });
            }
            let recorded = ledger.call(move |c| runs::files_of(c, id)).await?;
            let changes = compare_files(&recorded, &files);
            let mut forgotten = 0;
            if !changes.is_empty() {
                let Some(staging) = staging else {
                    return Err(OpenRunError::FilesChanged {
                        run_id: id,
                        changes,
                    });
                };
                let touched: Vec<String> = changes
                    .iter()
                    .filter_map(|c| match c {
                        FileChange::Changed(p) | FileChange::Removed(p) => Some(p.clone()),
                        FileChange::Added(_) => None,
                    })
                    .collect();
                let restaged = ledger
                    .call(move |c| {
                        let places = places_in(&staging, &touched);
                        restage::restage(c, id, &touched, places, &files)
                    })
                    .await?;
                match restaged {
                    Restaged::Done { forgotten: n } => forgotten = n,
                    Restaged::Refused { gone, total } => {
                        return Err(OpenRunError::SettledGone {
                            run_id: id,
                            changes,
                            gone,
                            total,
                        });
                    }
                }
            }
            ledger.call(move |c| runs::resume_run(c, id)).await?;
            let run = ledger
                .call(move |c| runs::run_by_id(c, id))
                .await?
                .ok_or_else(|| LedgerError::Corrupt(format!("run {id} vanished")))?;
            Ok(OpenedRun {
                run,
                resumed: true,
                changes,
                forgotten,
            })
        }
        _ => {
            let run = ledger
                .call(move |c| runs::create_run(c, &staging_root, &options_json, &files))
                .await?;
            Ok(OpenedRun {
                run,
                resumed: false,
                changes: Vec::new(),
                forgotten: 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_options_keep_their_names_and_order() {
        let to = Destination {
            endpoint: "http://127.0.0.1:9".into(),
            sdkappid: 7,
            admin: "boss".into(),
        };
        let opts = RunOptions {
            rate: 20,
            lanes: 2,
            on_message_error: OnMessageError::Skip,
            ..RunOptions::default()
        };
        assert_eq!(
            options_json(&to, &opts),
            r#"{"endpoint":"http://127.0.0.1:9","sdkappid":7,"admin":"boss","rate":20,"lanes":2,"on_message_error":"skip","retry_failed":false}"#
        );
        let spread = RunOptions {
            same_second: SameSecond::Spread,
            ..opts
        };
        let json = options_json(&to, &spread);
        assert!(json.ends_with(r#","same_second":"spread"}"#), "{json}");
        assert_eq!(recorded_same_second(&json), SameSecond::Spread);
        assert_eq!(recorded_same_second("{}"), SameSecond::Keep);
        assert_eq!(recorded_same_second("not json"), SameSecond::Keep);
    }

    #[tokio::test]
    async fn a_run_resumes_only_with_the_same_second_policy_it_began_with() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
        let keep = r#"{"rate":1}"#.to_owned();
        let spread = r#"{"rate":1,"same_second":"spread"}"#.to_owned();
        let first = open_run(&ledger, "/s".into(), keep.clone(), vec![], false)
            .await
            .unwrap();
        let err = open_run(&ledger, "/s".into(), spread.clone(), vec![], false)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            OpenRunError::SameSecondChanged {
                run_id: first.run.id,
                recorded: SameSecond::Keep,
                requested: SameSecond::Spread,
            }
        );
        assert_eq!(err.exit(), Exit::BadInput);
        assert!(
            err.to_string().contains("Resume with --same-second keep"),
            "{err}"
        );
        let resumed = open_run(&ledger, "/s".into(), keep, vec![], false)
            .await
            .unwrap();
        assert!(resumed.resumed);
        let fresh = open_run(&ledger, "/s".into(), spread.clone(), vec![], true)
            .await
            .unwrap();
        assert!(!fresh.resumed);
        let again = open_run(&ledger, "/s".into(), spread, vec![], false)
            .await
            .unwrap();
        assert_eq!((again.run.id, again.resumed), (fresh.run.id, true));
    }

    fn staged(root: &std::path::Path) -> StagedWork {
        let now = crate::clock::unix_now();
        let staging = crate::staging::scan(root, &crate::staging::ScanOptions::new(now))
            .expect("the staging scans");
        StagedWork::new(staging, &[], crate::plan::PlanOptions::default()).expect("staged work")
    }

    fn request(ledger: &std::path::Path, staging: &std::path::Path, new_run: bool) -> OpenRequest {
        OpenRequest {
            ledger: ledger.to_owned(),
            work: staged(staging),
            destination: Destination {
                endpoint: "http://127.0.0.1:9".into(),
                sdkappid: 1,
                admin: "a".into(),
            },
            options: RunOptions::default(),
            new_run,
            migration: MigrationWork::messages_only(),
            command: "timport test".into(),
        }
    }

    #[tokio::test]
    async fn one_opener_starts_resumes_and_resumes_after_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let line = r#"{"From_Account":"u1","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;
        std::fs::write(staging.join("g.jsonl"), format!("{line}\n")).unwrap();
        let ledger = dir.path().join("ledger.sqlite3");

        let first = open(request(&ledger, &staging, false)).await.unwrap();
        assert!(!first.opened().resumed);
        let id = first.opened().run.id;
        assert_eq!(
            first.opened().run.staging_root,
            std::fs::canonicalize(&staging)
                .unwrap()
                .display()
                .to_string()
        );
        assert!(first.opened().run.options.contains(r#""sdkappid":1"#));
        // One writer per ledger: a second opener is turned away while the first lives.
        let err = open(request(&ledger, &staging, false))
            .await
            .err()
            .expect("a second writer is refused");
        assert!(matches!(err, OpenRunError::Locked(_)), "{err}");
        assert_eq!(err.exit(), Exit::Stopped);
        assert!(err.to_string().contains("timport test"), "{err}");
        drop(first);

        // The same directory reached another way is the same run.
        let other_way = dir.path().join("staging/../staging");
        let again = open(request(&ledger, &other_way, false)).await.unwrap();
        assert!(again.opened().resumed);
        assert_eq!(again.opened().run.id, id);
        drop(again);

        let fresh = open(request(&ledger, &staging, true)).await.unwrap();
        assert!(!fresh.opened().resumed);
        assert_ne!(fresh.opened().run.id, id);
        drop(fresh);

        // A changed file resumes the run (nothing was imported: nothing can be gone).
        std::fs::write(staging.join("g.jsonl"), format!("{line}\n{line}\n")).unwrap();
        let changed = open(request(&ledger, &staging, false)).await.unwrap();
        assert!(changed.opened().resumed);
        assert_eq!(
            changed.opened().changes,
            [FileChange::Changed("g.jsonl".into())]
        );
        drop(changed);
        let again = open(request(&ledger, &staging, false)).await.unwrap();
        assert!(
            again.opened().changes.is_empty(),
            "the new files are recorded"
        );
        drop(again);

        // A ledger path that cannot be a database is the operator's to fix.
        let err = open(request(dir.path(), &staging, true))
            .await
            .err()
            .expect("a directory is no ledger");
        assert!(matches!(err, OpenRunError::Open(_)), "{err}");
        assert_eq!(err.exit(), Exit::BadInput);
    }

    #[test]
    fn open_failures_map_to_exit_codes() {
        let files = OpenRunError::FilesChanged {
            run_id: 1,
            changes: vec![FileChange::Changed("g.jsonl".into())],
        };
        assert_eq!(files.exit(), Exit::BadInput);
        assert_eq!(
            OpenRunError::Open(LedgerError::Corrupt("x".into())).exit(),
            Exit::BadInput
        );
        assert_eq!(
            OpenRunError::Ledger(LedgerError::Corrupt("x".into())).exit(),
            Exit::Stopped
        );
        assert_eq!(OpenRunError::Aborted("x".into()).exit(), Exit::Stopped);
    }
}
