//! Performing effects: each on its own task, reporting back on the console's one channel. Tasks
//! never touch the state; a task that ends abnormally (a panic, which is a bug) is reported as
//! [`Msg::TaskFailed`] and never takes the console down. File and config work runs in
//! `spawn_blocking`; nothing here blocks the shell.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::api::ClientOptions;
use crate::clock::unix_now;
use crate::config::{ConfigFile, Paths, list_profiles, save_profile};
use crate::engine::Control;
use crate::engine::limiter::SharedLimiter;
use crate::engine::verify::ReadPace;
use crate::plan::PlanOptions;
use crate::staging::{ScanOptions, scan};

mod attach;
mod outlive;
mod service;
mod staged;
mod verify;

use service::{create_group, list_groups, missing_accounts, test_connection};
use staged::{message_text, read_staged};

use super::effect::{Effect, Launch};
use super::msg::Msg;
use super::settings::{self, LoadedSecret};
use super::state::files::Scanned;
use super::state::preview::Previewed;

pub use outlive::arguments as run_arguments;

/// Controls waiting for the engine (the operator types far slower than it reads).
const CONTROLS: usize = 256;
/// How long quitting waits for the engine to record the answers in flight.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);

/// A run the executor started.
struct RunHandle {
    controls: mpsc::Sender<Control>,
    task: JoinHandle<()>,
    /// Cancelled when the run's task ends (and the ledger's lock with it).
    ended: CancellationToken,
}

/// A run in another process this console is attached to: dropping `requests` detaches.
struct AttachHandle {
    requests: mpsc::Sender<crate::engine::attach::Request>,
    /// Who this console's decisions name (`user@host`).
    operator: String,
}

/// What the executor needs besides the effects.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Where the config file is.
    pub paths: Paths,
    /// The value of `TIMPORT_SECRET_KEY` when the console started (read once, so tests and the
    /// real terminal behave the same).
    pub env_key: Option<LoadedSecret>,
    /// Timeouts and UserSig lifetime for clients.
    pub client: ClientOptions,
}

/// Performs effects on tasks.
pub struct Executor {
    tx: mpsc::Sender<Msg>,
    opts: ExecOptions,
    listing: Option<AbortHandle>,
    run: Option<RunHandle>,
    /// The app's budget the latest run takes its slots from; a verification shares it while
    /// the run goes.
    budget: Option<SharedLimiter>,
    /// Stops the verification going.
    verifying: Option<CancellationToken>,
    /// The run in another process this console is attached to.
    attached: Option<AttachHandle>,
}

impl Executor {
    /// An executor reporting on `tx`.
    pub fn new(tx: mpsc::Sender<Msg>, opts: ExecOptions) -> Executor {
        Executor {
            tx,
            opts,
            listing: None,
            run: None,
            budget: None,
            verifying: None,
            attached: None,
        }
    }

    /// Whether a run's task is still going.
    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.task.is_finished())
    }

    /// Stops a run cleanly (no new requests; the answers in flight awaited and recorded) and
    /// waits for it, at most [`SHUTDOWN_WAIT`]. The ledger is consistent either way: every
    /// request was recorded in flight before it was sent.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.verifying.take() {
            stop.cancel();
        }
        // Quitting an attached console detaches: the run is another process and goes on.
        self.attached = None;
        if let Some(run) = self.run.take() {
            let _ = run.controls.send(Control::Shutdown).await;
            if tokio::time::timeout(SHUTDOWN_WAIT, run.task).await.is_err() {
                tracing::warn!("the run did not stop within {SHUTDOWN_WAIT:?}; leaving it");
            }
        }
    }

    /// Starts performing `effect`. `Copy` and `SetMouse` belong to the shell, not here.
    pub fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::LoadProfile { name } => {
                let paths = self.opts.paths.clone();
                let env_key = self
                    .opts
                    .env_key
                    .as_ref()
                    .map(|k| k.key.expose().to_owned());
                self.blocking("loading a profile", move || {
                    let result = settings::load_profile(&paths, &name, env_key).map(Box::new);
                    Msg::ProfileLoaded { name, result }
                });
            }
            Effect::KeyFromFile { path } => {
                self.blocking("reading the key file", move || {
                    Msg::KeyLoaded(settings::key_from_file(&path))
                });
            }
            Effect::KeyFromEnv => {
                let result = match &self.opts.env_key {
                    Some(k) => Ok(k.clone()),
                    None => settings::key_from_env(None),
                };
                self.send_now(Msg::KeyLoaded(result));
            }
            Effect::TestConnection {
                attempt,
                endpoint,
                creds,
            } => {
                tracing::info!(
                    endpoint = endpoint.base(),
                    sdkappid = creds.sdkappid,
                    admin = %creds.admin,
                    "testing the connection"
                );
                let opts = self.opts.client.clone();
                self.task("the connection test", move |_| async move {
                    let result = test_connection(endpoint, creds, opts).await;
                    Some(Msg::ConnectionTested { attempt, result })
                });
            }
            Effect::SaveProfile { name, profile } => {
                let paths = self.opts.paths.clone();
                self.blocking("saving a profile", move || {
                    let first = ConfigFile::load(&paths.config_file())
                        .map(|f| f.default_profile.is_none())
                        .unwrap_or(false);
                    let result = save_profile(&paths, &name, &profile, first)
                        .and_then(|()| list_profiles(&paths))
                        .map_err(|e| e.to_string());
                    Msg::ProfileSaved { name, result }
                });
            }
            Effect::ListGroups { generation, client } => {
                if let Some(old) = self.listing.take() {
                    old.abort();
                }
                let handle = self.task("the group listing", move |tx| async move {
                    list_groups(generation, client, tx).await;
                    None
                });
                self.listing = Some(handle);
            }
            Effect::ScanStaging { generation, root } => {
                self.blocking("the staging scan", move || {
                    let result = scan(&root, &ScanOptions::new(unix_now()))
                        .map(|staging| Box::new(Scanned::from_staging(Arc::new(staging))))
                        .map_err(|e| e.to_string());
                    crate::heap::release_free_memory();
                    Msg::StagingScanned { generation, result }
                });
            }
            Effect::BuildPlan {
                generation,
                staging,
                group,
                same_second,
            } => {
                self.blocking("planning", move || {
                    let opts = PlanOptions {
                        same_second,
                        ..PlanOptions::default()
                    };
                    let result = Previewed::build(&staging, &group, &opts).map(Box::new);
                    Msg::PlanBuilt { generation, result }
                });
            }
            Effect::ReadStaged {
                title,
                heading,
                path,
                offset,
            } => {
                self.blocking("reading a staged message", move || Msg::StagedText {
                    title,
                    heading,
                    result: read_staged(&path, offset),
                });
            }
            Effect::LoadMessage {
                staging,
                target,
                source,
            } => {
                self.blocking("reading the inspected message", move || {
                    let result = message_text(&staging, &target, &source);
                    Msg::InspectorText {
                        target,
                        source,
                        result,
                    }
                });
            }
            Effect::StartRun(launch) => {
                tracing::info!(
                    groups = launch.groups.len(),
                    ledger = %launch.ledger.display(),
                    endpoint = launch.client.endpoint().base(),
                    "starting a run"
                );
                self.start_run(*launch);
            }
            Effect::SpawnRun { launch, key } => {
                tracing::info!(
                    groups = launch.groups.len(),
                    ledger = %launch.ledger.display(),
                    "starting a run of its own"
                );
                self.spawn_run(*launch, key);
            }
            Effect::CheckAccounts {
                client,
                staging,
                groups,
                scope,
            } => {
                self.task("the account check", move |_| async move {
                    let result = missing_accounts(&staging, &client).await;
                    Some(Msg::AccountsChecked {
                        groups,
                        scope,
                        result,
                    })
                });
            }
            Effect::CreateGroup {
                client,
                group,
                body,
            } => {
                tracing::info!(group = %group, "creating a group");
                self.task("creating a group", move |_| async move {
                    let result = create_group(&client, &group, body).await;
                    Some(Msg::GroupCreated { group, result })
                });
            }
            Effect::ReadLedger { ledger } => {
                self.blocking("reading the ledger", move || {
                    let result = crate::engine::report::read(&ledger, None)
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    Msg::LedgerRun(result)
                });
            }
            Effect::ReadImported { ledger, root } => {
                self.blocking("reading the ledger", move || {
                    let result = crate::engine::report::read_latest_of(&ledger, &root)
                        .map(|r| r.map(Box::new))
                        .map_err(|e| e.to_string());
                    Msg::LedgerImported(result)
                });
            }
            Effect::Control(control) if self.attached.is_some() => self.send_to_attached(control),
            Effect::Attach { ledger } => self.attach(ledger),
            Effect::Helm(take) => {
                if let Some(a) = &self.attached {
                    let request = crate::engine::attach::Request {
                        helm: Some(take),
                        operator: a.operator.clone(),
                        ..Default::default()
                    };
                    self.send_request(request);
                }
            }
            Effect::Detach => {
                if self.attached.take().is_some() {
                    tracing::info!("detached from the run; it goes on");
                }
            }
            Effect::Control(control) => match &self.run {
                Some(run) => {
                    tracing::info!(?control, "the operator's control");
                    if let Err(e) = run.controls.try_send(control) {
                        tracing::warn!("a control did not reach the engine: {e}");
                        self.send_now(Msg::RunFailed(
                            "the engine did not take the command (it has finished or is busy); try again".into(),
                        ));
                    }
                }
                None => tracing::warn!("a control without a run; ignored"),
            },
            Effect::Verify(launch) => {
                if let Some(old) = self.verifying.take() {
                    old.cancel();
                }
                let pace = match (&self.budget, self.running()) {
                    (Some(budget), true) => ReadPace::shared(budget),
                    _ => ReadPace::own(launch.rate),
                };
                tracing::info!(
                    run = launch.run_id,
                    lanes = launch.only.len(),
                    shared = self.running(),
                    "starting a verification"
                );
                // A run going in the console holds the ledger's lock; otherwise the
                // verification takes it (another timport writing to the ledger refuses it).
                // A verification going when that run ends takes the lock then.
                let (holder, run_ended) = match &self.run {
                    Some(run) if self.running() => (None, Some(run.ended.clone())),
                    _ => (Some(verify::HOLDER.to_owned()), None),
                };
                let stop = CancellationToken::new();
                self.verifying = Some(stop.clone());
                self.task("the verification", move |tx| async move {
                    verify::run(*launch, holder, run_ended, pace, stop, tx)
                        .await
                        .err()
                        .map(Msg::VerifyFailed)
                });
            }
            Effect::StopVerify => {
                if let Some(stop) = self.verifying.take() {
                    stop.cancel();
                }
            }
            Effect::Copy(_) | Effect::SetMouse(_) => {
                tracing::warn!("a terminal effect reached the executor; ignored");
            }
        }
    }

    fn send_now(&self, msg: Msg) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(msg).await;
        });
    }

    /// Runs `work` on a task; its final message (if any) goes to the console. A panic becomes
    /// [`Msg::TaskFailed`]. Returns a handle to cancel it.
    fn task<F, Fut>(&self, what: &'static str, work: F) -> AbortHandle
    where
        F: FnOnce(mpsc::Sender<Msg>) -> Fut,
        Fut: Future<Output = Option<Msg>> + Send + 'static,
    {
        let inner = tokio::spawn(work(self.tx.clone()));
        let abort = inner.abort_handle();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            match inner.await {
                Ok(Some(msg)) => {
                    let _ = tx.send(msg).await;
                }
                Ok(None) => {}
                Err(e) if e.is_panic() => {
                    tracing::error!("{what} panicked");
                    let _ = tx
                        .send(Msg::TaskFailed {
                            what: what.to_owned(),
                        })
                        .await;
                }
                Err(_) => {} // cancelled on purpose
            }
        });
        abort
    }

    /// Runs blocking `work` (files, config) off the async threads.
    fn blocking<F>(&self, what: &'static str, work: F)
    where
        F: FnOnce() -> Msg + Send + 'static,
    {
        self.task(what, move |_| async move {
            match tokio::task::spawn_blocking(work).await {
                Ok(msg) => Some(msg),
                Err(_) => Some(Msg::TaskFailed {
                    what: what.to_owned(),
                }),
            }
        });
    }

    /// Attaches to the run going on `ledger` in another process (replacing an attachment).
    fn attach(&mut self, ledger: std::path::PathBuf) {
        let (requests, rx) = mpsc::channel(attach::REQUESTS);
        self.attached = Some(AttachHandle {
            requests,
            operator: crate::engine::operator::current(),
        });
        tracing::info!(ledger = %ledger.display(), "attaching to a run");
        self.task("the attached run", move |tx| async move {
            attach::follow(&ledger, tx, rx).await;
            None
        });
    }

    /// Starts `timport run` as a process of its own for `launch` (it outlives the console),
    /// waits for its socket, and attaches to it.
    fn spawn_run(&mut self, launch: Launch, key: crate::api::SecretKey) {
        let (requests, rx) = mpsc::channel(attach::REQUESTS);
        self.attached = Some(AttachHandle {
            requests,
            operator: crate::engine::operator::current(),
        });
        let args = outlive::arguments(&launch);
        let output = outlive::output_file(&self.opts.paths.data_dir, unix_now());
        let ledger = launch.ledger;
        self.task("the run of its own", move |tx| async move {
            if attach::live(&ledger).await {
                return Some(Msg::RunLive);
            }
            let out = output.clone();
            let spawned =
                tokio::task::spawn_blocking(move || outlive::spawn(&args, &key, &out)).await;
            let mut child = match spawned {
                Ok(Ok(child)) => child,
                Ok(Err(e)) => return Some(Msg::RunFailed(format!("cannot start `timport run`: {e}"))),
                Err(e) => return Some(Msg::RunFailed(format!("cannot start `timport run`: {e}"))),
            };
            tracing::info!(pid = child.id(), output = %output.display(), "started a run of its own");
            let deadline = tokio::time::Instant::now() + outlive::STARTUP_PATIENCE;
            while !attach::live(&ledger).await {
                let ended = child.try_wait().ok().flatten();
                if ended.is_some() || tokio::time::Instant::now() > deadline {
                    let why = match ended {
                        Some(status) => format!("it ended at once ({status})"),
                        None => "it did not open its control socket in time".to_owned(),
                    };
                    outlive::reap(child);
                    return Some(Msg::RunFailed(format!(
                        "the run of its own did not start: {why}; its output is in {}",
                        output.display()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            outlive::reap(child);
            attach::follow(&ledger, tx, rx).await;
            None
        });
    }

    /// A control for the attached run, as a request naming this console's operator.
    fn send_to_attached(&mut self, control: Control) {
        let Some(a) = &self.attached else { return };
        tracing::info!(?control, "the operator's control, to the attached run");
        match crate::engine::attach::Request::from_control(control, &a.operator) {
            Some(request) => self.send_request(request),
            None => tracing::warn!("a control an attached console cannot send; ignored"),
        }
    }

    fn send_request(&self, request: crate::engine::attach::Request) {
        let Some(a) = &self.attached else { return };
        if a.requests.try_send(request).is_err() {
            self.send_now(Msg::RunNote(crate::engine::attach::Note::Answer(
                crate::engine::attach::Answer {
                    ok: false,
                    said: "the request did not reach the run (the connection is gone or busy); try again".into(),
                },
            )));
        }
    }

    /// Starts the engine on the launch's groups; its events come back as [`Msg::Engine`]. The
    /// run takes its slots from a budget a verification can share. A run already going on the
    /// ledger in another process is reported instead ([`Msg::RunLive`]: the console offers to
    /// attach).
    fn start_run(&mut self, mut launch: Launch) {
        let budget = SharedLimiter::new(launch.options.rate);
        launch.options.budget = Some(budget.clone());
        self.budget = Some(budget);
        let (controls, control_rx) = mpsc::channel(CONTROLS);
        let tx = self.tx.clone();
        let ended = CancellationToken::new();
        let on_end = ended.clone().drop_guard();
        let task = tokio::spawn(async move {
            let _on_end = on_end;
            if attach::live(&launch.ledger).await {
                let _ = tx.send(Msg::RunLive).await;
                return;
            }
            let result = super::run::run(launch, tx.clone(), control_rx).await;
            if let Err(e) = result {
                let _ = tx.send(Msg::RunFailed(e)).await;
            }
        });
        self.run = Some(RunHandle {
            controls,
            task,
            ended,
        });
    }
}
