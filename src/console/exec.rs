//! Performing effects: each on its own task, reporting back on the console's one channel. Tasks
//! never touch the state; a task that ends abnormally (a panic, which is a bug) is reported as
//! [`Msg::TaskFailed`] and never takes the console down. File and config work runs in
//! `spawn_blocking`; nothing here blocks the shell.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::api::types::GetAppidGroupListRequest;
use crate::api::{Client, ClientOptions};
use crate::cli::ConnectArgs;
use crate::config::{ConfigFile, Paths, list_profiles, save_profile};

use super::effect::Effect;
use super::msg::{Connected, ErrorView, GroupIdPage, Msg};
use super::settings::{self, LoadedSecret};

/// Ids per `get_appid_group_list` page (the service's maximum).
const GROUP_PAGE: u32 = 10_000;
/// The service allows one `get_appid_group_list` call per second.
const GROUP_PAGE_GAP: Duration = Duration::from_millis(1_100);
/// Pause between `get_group_info` calls: the app's 200 requests/s are shared with imports and
/// production traffic, so browsing stays well below (about 20 calls, 1,000 groups, a second).
const GROUP_INFO_GAP: Duration = Duration::from_millis(50);

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
}

impl Executor {
    /// An executor reporting on `tx`.
    pub fn new(tx: mpsc::Sender<Msg>, opts: ExecOptions) -> Executor {
        Executor {
            tx,
            opts,
            listing: None,
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
