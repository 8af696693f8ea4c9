//! Performing effects: each on its own task, reporting back on the console's one channel. Tasks
//! never touch the state; a task that ends abnormally (a panic, which is a bug) is reported as
//! [`Msg::TaskFailed`] and never takes the console down. File and config work runs in
//! `spawn_blocking`; nothing here blocks the shell.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};

use crate::api::types::GetAppidGroupListRequest;
use crate::api::{Client, ClientOptions};
use crate::cli::ConnectArgs;
use crate::clock::unix_now;
use crate::config::{ConfigFile, Paths, list_profiles, save_profile};
use crate::engine::{Control, SourceRef};
use crate::plan::PlanOptions;
use crate::staging::{ScanOptions, Staging, Target, scan};

use super::effect::{Effect, Launch};
use super::msg::{Connected, ErrorView, GroupIdPage, Msg};
use super::settings::{self, LoadedSecret};
use super::state::files::Scanned;
use super::state::preview::Previewed;

/// Ids per `get_appid_group_list` page (the service's maximum).
const GROUP_PAGE: u32 = 10_000;
/// The service allows one `get_appid_group_list` call per second.
const GROUP_PAGE_GAP: Duration = Duration::from_millis(1_100);
/// Pause between `get_group_info` calls: the app's 200 requests/s are shared with imports and
/// production traffic, so browsing stays well below (about 20 calls, 1,000 groups, a second).
const GROUP_INFO_GAP: Duration = Duration::from_millis(50);
/// Most bytes of a staged message shown in a pop-up.
const SHOWN_BYTES: usize = 64 * 1024;
/// Controls waiting for the engine (the operator types far slower than it reads).
const CONTROLS: usize = 256;
/// How long quitting waits for the engine to record the answers in flight.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);

/// A run the executor started.
struct RunHandle {
    controls: mpsc::Sender<Control>,
    task: JoinHandle<()>,
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
}

impl Executor {
    /// An executor reporting on `tx`.
    pub fn new(tx: mpsc::Sender<Msg>, opts: ExecOptions) -> Executor {
        Executor {
            tx,
            opts,
            listing: None,
            run: None,
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
                    let args = ConnectArgs {
                        profile: Some(name.clone()),
                        ..ConnectArgs::default()
                    };
                    let result = ConfigFile::load(&paths.config_file())
                        .map_err(|e| e.to_string())
                        .map(|file| Box::new(settings::prefill(&args, &file, &paths, env_key)));
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
            } => {
                self.blocking("planning", move || {
                    let result =
                        Previewed::build(&staging, &group, &PlanOptions::default()).map(Box::new);
                    Msg::PlanBuilt { generation, result }
                });
            }
            Effect::ReadStaged {
                title,
                path,
                offset,
            } => {
                self.blocking("reading a staged message", move || Msg::StagedText {
                    title,
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
            Effect::ReadLedger { ledger } => {
                self.blocking("reading the ledger", move || {
                    let result = crate::engine::ledger::schema::open_for_reading(&ledger)
                        .map_err(|e| e.to_string())
                        .and_then(|conn| {
                            crate::engine::report::load(&conn, None).map_err(|e| e.to_string())
                        })
                        .map(Box::new);
                    Msg::LedgerRun(result)
                });
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

    /// Starts the engine on the launch's groups; its events come back as [`Msg::Engine`].
    fn start_run(&mut self, launch: Launch) {
        let (controls, control_rx) = mpsc::channel(CONTROLS);
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            let result = super::run::run(launch, tx.clone(), control_rx).await;
            if let Err(e) = result {
                let _ = tx.send(Msg::RunFailed(e)).await;
            }
        });
        self.run = Some(RunHandle { controls, task });
    }
}

/// A staged message's text from `offset`: one line of a `.jsonl` file, or up to
/// [`SHOWN_BYTES`] of a `.json` file; pretty-printed when it is JSON.
fn read_staged(path: &Path, offset: u64) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // Only what the scan listed, opened as the scan opens it: a regular file, not through a
    // link, never blocking (a FIFO or device swapped in since is refused, not shown).
    let mut file = crate::files::open_regular(path, false).map_err(|e| fail(e.into()))?;
    file.seek(SeekFrom::Start(offset)).map_err(fail)?;
    let mut bytes = Vec::with_capacity(4096);
    file.take(SHOWN_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    let cut = bytes.len() > SHOWN_BYTES;
    bytes.truncate(SHOWN_BYTES);
    if path.extension().is_some_and(|e| e == "jsonl")
        && let Some(end) = bytes.iter().position(|b| *b == b'\n')
    {
        bytes.truncate(end);
        return Ok(pretty_or_raw(&bytes, false));
    }
    Ok(pretty_or_raw(&bytes, cut))
}

fn pretty_or_raw(bytes: &[u8], cut: bool) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(e) => {
            let mut text = String::from_utf8_lossy(bytes).into_owned();
            if cut {
                text.push_str(&format!("\n… (cut at {} KB)", SHOWN_BYTES / 1024));
            }
            format!("{text}\n\n(not valid JSON: {e})")
        }
    }
}

/// The JSON of the message a lane stopped at, as staged (invalid ones as their raw text).
fn message_text(staging: &Staging, target: &Target, source: &SourceRef) -> Result<String, String> {
    let loaded = staging.load(target).map_err(|e| e.to_string())?;
    if let Some(m) = loaded.messages.iter().find(|m| m.source == *source) {
        return serde_json::to_string_pretty(&m.msg).map_err(|e| e.to_string());
    }
    match loaded.invalid.iter().find(|m| m.source == *source) {
        Some(m) => m
            .raw
            .clone()
            .ok_or_else(|| "the staged text is too long to show".to_owned()),
        None => Err(format!(
            "{} line {} is no longer in the staged files; rescan the staging directory",
            source.file, source.line
        )),
    }
}

async fn test_connection(
    endpoint: crate::api::Endpoint,
    creds: crate::api::Credentials,
    opts: ClientOptions,
) -> Result<Connected, ErrorView> {
    let client = Client::new(endpoint, creds, opts)
        .map_err(|e| ErrorView::local("Cannot make a client", &e.to_string()))?;
    let req = GetAppidGroupListRequest {
        limit: Some(1),
        ..GetAppidGroupListRequest::default()
    };
    let answer = client
        .get_appid_group_list(&req)
        .await
        .map_err(|e| ErrorView::from_api(&e))?;
    Ok(Connected {
        client,
        total_groups: answer.total_count,
    })
}

/// Pages the app's group ids in (one page a second at most, as the service allows), each page
/// followed by its groups' details, paced to leave the app's request budget to imports.
async fn list_groups(generation: u64, client: Client, tx: mpsc::Sender<Msg>) {
    let mut next = None;
    loop {
        let started = tokio::time::Instant::now();
        let req = GetAppidGroupListRequest {
            limit: Some(GROUP_PAGE),
            next,
            group_type: None,
        };
        let page = match client.get_appid_group_list(&req).await {
            Ok(page) => page,
            Err(e) => {
                let result = Err(ErrorView::from_api(&e));
                let _ = tx.send(Msg::GroupIds { generation, result }).await;
                return;
            }
        };
        let ids: Vec<String> = page.group_id_list.into_iter().map(|g| g.group_id).collect();
        let last = page.next == 0 || ids.is_empty();
        let result = Ok(GroupIdPage {
            ids: ids.clone(),
            total: page.total_count,
            last,
        });
        if tx.send(Msg::GroupIds { generation, result }).await.is_err() {
            return;
        }
        for chunk in ids.chunks(crate::api::client::GROUP_INFO_CHUNK) {
            let result = client
                .get_group_info(chunk)
                .await
                .map_err(|e| ErrorView::from_api(&e));
            let failed = result.is_err();
            if tx
                .send(Msg::GroupInfos { generation, result })
                .await
                .is_err()
                || failed
            {
                return;
            }
            tokio::time::sleep(GROUP_INFO_GAP).await;
        }
        if last {
            return;
        }
        next = Some(page.next);
        tokio::time::sleep_until(started + GROUP_PAGE_GAP).await;
    }
}
