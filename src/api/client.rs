//! The REST client: one pooled HTTP/1.1 keep-alive connection pool (rustls), a cached UserSig,
//! and one method per call timport makes. Cheap to clone (an `Arc` inside), so every lane shares
//! the pool and the signature.
//!
//! Every call: a fresh u32 `random` in the query, a POST with a non-empty JSON body, the answer
//! read up to [`MAX_ANSWER_BYTES`], the envelope before anything else. Failures are kept apart as [`ApiError`] kinds because the engine
//! must treat them differently: a refusal is an answer; a timeout or a broken connection after
//! sending is an unknown outcome to settle before resending. The client never retries on its
//! own (neither does reqwest: its retries are turned off); retrying is the engine's decision.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::catalogue::LocalFailure;
use super::error::{ApiError, scrub};
use super::region::Endpoint;
use super::secret::SecretKey;
use super::sig_cache::{Clock, SigCache, Signer};
use super::types::{
    AccountCheckRequest, AccountCheckResponse, AccountCheckResult, AccountImportRequest,
    AccountImportResponse, CheckItem, Command, GROUP_INFO_FIELDS, GetAppidGroupListRequest,
    GetAppidGroupListResponse, GetGroupInfoRequest, GetGroupInfoResponse,
    GetGroupMemberInfoRequest, GetGroupMemberInfoResponse, GroupInfo, GroupMember,
    GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, ImportGroupMemberRequest,
    ImportGroupMemberResponse, ImportGroupMsgResponse, ImportGroupRequest, ImportGroupResponse,
    MultiAccountImportRequest, MultiAccountImportResponse, ResponseFilter, SetUnreadMsgNumRequest,
    SetUnreadMsgNumResponse,
};
use super::wire::{self, Query};

/// Largest answer read. The service refuses to build one over 1 MB (10018); a bigger body comes
/// from something else in the way (a proxy, a captive portal), and reading it whole could take
/// gigabytes. Reading stops there: the call gets a `BadAnswer`, which for an import is an
/// unknown outcome settled by reading the group back, never a failure.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Most groups `get_group_info` takes in one call.
pub const GROUP_INFO_CHUNK: usize = 50;
/// Most accounts `account_check` takes in one call.
pub const ACCOUNT_CHECK_CHUNK: usize = 100;
/// Most accounts `multiaccount_import` takes in one call.
pub const MULTIACCOUNT_IMPORT_CHUNK: usize = 100;
/// Most members `import_group_member` takes in one call (the newest page says 20; older ones
/// said 100 to 500).
pub const IMPORT_MEMBER_CHUNK: usize = 20;
/// Members asked per `get_group_member_info` page (the service allows up to 200 and
/// recommends 100).
pub const MEMBER_PAGE: u32 = 100;

/// Who the client signs as. `Debug` shows the key as `<redacted>`.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// An app admin account.
    pub admin: String,
    /// The app's secret key.
    pub secret: SecretKey,
}

/// Timeouts and UserSig lifetime.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole request, connect to last byte. Longer than the service's 3 s backend timeout, so a
    /// slow answer arrives instead of becoming an unknown outcome.
    pub request_timeout: Duration,
    /// Opening the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Lifetime of each minted UserSig, seconds.
    pub usersig_lifetime: u64,
    /// Renew the UserSig when less than this many seconds remain.
    pub usersig_renew_margin: u64,
    /// Where "now" comes from for UserSig minting.
    pub clock: Clock,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: Duration::from_secs(6),
            connect_timeout: Duration::from_secs(3),
            usersig_lifetime: 86_400,
            usersig_renew_margin: 3_600,
            clock: Clock::system(),
        }
    }
}

/// Why a client could not be made. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientSetupError {
    /// No admin account.
    #[error("no admin account: give --admin (an app admin UserID)")]
    EmptyAdmin,
    /// No secret key.
    #[error("the secret key is empty")]
    EmptySecret,
    /// The HTTP stack could not start (for example no TLS provider).
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
}

/// The REST client. Clones share one connection pool and one UserSig cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    sigs: SigCache,
    /// Every command's pace, shared by all clones (every caller in the process that uses this
    /// client).
    pacer: super::pacer::Pacer,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signer = self.inner.sigs.signer();
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.base())
            .field("sdkappid", &signer.sdkappid)
            .field("admin", &signer.admin)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `endpoint`, signing as `creds.admin`.
    pub fn new(
        endpoint: Endpoint,
        creds: Credentials,
        opts: ClientOptions,
    ) -> Result<Client, ClientSetupError> {
        if creds.admin.trim().is_empty() {
            return Err(ClientSetupError::EmptyAdmin);
        }
        if creds.secret.is_empty() {
            return Err(ClientSetupError::EmptySecret);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("timport/", env!("CARGO_PKG_VERSION")))
            .timeout(opts.request_timeout)
            .connect_timeout(opts.connect_timeout)
            .http1_only()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            // A redirect would carry the UserSig to another host and turn the POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            // Resending is the engine's decision: it alone knows whether an outcome is settled.
            .retry(reqwest::retry::never())
            .build()
            .map_err(|e| ClientSetupError::Http(error_chain(&e.without_url())))?;
        let signer = Signer {
            sdkappid: creds.sdkappid,
            admin: creds.admin,
            secret: creds.secret,
            lifetime: opts.usersig_lifetime,
            renew_margin: opts.usersig_renew_margin,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                sigs: SigCache::new(signer, opts.clock),
                pacer: super::pacer::Pacer::default(),
            }),
        })
    }

    /// The base URL calls go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The SDKAppID calls are made for.
    pub fn sdkappid(&self) -> u64 {
        self.inner.sigs.signer().sdkappid
    }

    /// The admin account calls are signed as.
    pub fn admin(&self) -> &str {
        &self.inner.sigs.signer().admin
    }

    /// Forgets the cached UserSig so the next call carries a freshly minted one (the engine calls
    /// this once after an auth refusal such as 70001).
    pub fn renew_usersig(&self) {
        self.inner.sigs.renew();
    }

    /// Sends `body` exactly as given (an empty body becomes `{}`, which the service requires) and
    /// reads the answer as `R`.
    pub async fn call_bytes<R: DeserializeOwned>(
        &self,
        command: Command,
        body: Bytes,
    ) -> Result<R, ApiError> {
        let body = if body.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            body
        };
        // Its command's documented pace first (shared by every caller of this client).
        self.inner.pacer.pace(command).await;
        let sig = self.inner.sigs.current();
        let signer = self.inner.sigs.signer();
        let random: u32 = rand::random();
        let url = wire::request_url(
            &self.inner.endpoint,
            command,
            &Query {
                sdkappid: signer.sdkappid,
                identifier: &signer.admin,
                usersig: sig.expose(),
                random,
            },
        );
        let secrets = [sig.expose(), signer.secret.expose()];
        let started = Instant::now();
        let sent = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                match read_body(response, MAX_ANSWER_BYTES).await {
                    Ok(bytes) if status == 200 => wire::parse_answer(command, &bytes, &secrets),
                    Ok(bytes) => Err(ApiError::Http {
                        command,
                        status,
                        detail: scrub(&String::from_utf8_lossy(&bytes), &secrets),
                    }),
                    // The status says what happened even if its body broke off or was too big.
                    Err(_) if status != 200 => Err(ApiError::Http {
                        command,
                        status,
                        detail: String::new(),
                    }),
                    Err(BodyError::TooLarge) => Err(ApiError::BadAnswer {
                        command,
                        detail: scrub(
                            &format!(
                                "the answer from {} is larger than {} MiB (the service's own stay under 1 MB); reading stopped there",
                                self.inner.endpoint.command_url(command.path()),
                                MAX_ANSWER_BYTES >> 20
                            ),
                            &secrets,
                        ),
                    }),
                    Err(BodyError::Broken(e)) => Err(transport_error(command, e, &secrets)),
                }
            }
            Err(e) => Err(transport_error(command, e, &secrets)),
        };
        log_call(command, random, started.elapsed(), &answer);
        answer
    }

    /// Serialises `req` and sends it with [`Client::call_bytes`].
    pub async fn call<Q: Serialize, R: DeserializeOwned>(
        &self,
        command: Command,
        req: &Q,
    ) -> Result<R, ApiError> {
        let body = serde_json::to_vec(req).map_err(|e| ApiError::Encode {
            command,
            detail: e.to_string(),
        })?;
        self.call_bytes(command, Bytes::from(body)).await
    }

    /// `import_group_msg` with the plan's exact request bytes.
    pub async fn import_group_msg(&self, body: Bytes) -> Result<ImportGroupMsgResponse, ApiError> {
        self.call_bytes(Command::ImportGroupMsg, body).await
    }

    /// One page of the app's group ids (`Next` is 64-bit; 0 means finished).
    pub async fn get_appid_group_list(
        &self,
        req: &GetAppidGroupListRequest,
    ) -> Result<GetAppidGroupListResponse, ApiError> {
        self.call(Command::GetAppidGroupList, req).await
    }

    /// Details of the groups, asked [`GROUP_INFO_CHUNK`] at a time with timport's base-info
    /// filter ([`GROUP_INFO_FIELDS`]). Entries come back in the order asked; each carries its
    /// own error code (10010 for a missing group). The first failing call fails the whole.
    pub async fn get_group_info(&self, ids: &[String]) -> Result<Vec<GroupInfo>, ApiError> {
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(GROUP_INFO_CHUNK) {
            let req = GetGroupInfoRequest {
                group_id_list: chunk.to_vec(),
                response_filter: Some(ResponseFilter {
                    group_base_info_filter: GROUP_INFO_FIELDS
                        .iter()
                        .map(|f| f.to_string())
                        .collect(),
                }),
            };
            let answer: GetGroupInfoResponse = self.call(Command::GetGroupInfo, &req).await?;
            all.extend(answer.group_info);
        }
        Ok(all)
    }

    /// Messages of a group, newest first (at most 20 per call; page backwards by seq).
    pub async fn group_msg_get_simple(
        &self,
        req: &GroupMsgGetSimpleRequest,
    ) -> Result<GroupMsgGetSimpleResponse, ApiError> {
        self.call(Command::GroupMsgGetSimple, req).await
    }

    /// Whether the accounts exist, asked [`ACCOUNT_CHECK_CHUNK`] at a time, in the order asked.
    pub async fn account_check(&self, ids: &[String]) -> Result<Vec<AccountCheckResult>, ApiError> {
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ACCOUNT_CHECK_CHUNK) {
            let req = AccountCheckRequest {
                check_item: chunk
                    .iter()
                    .map(|id| CheckItem {
                        user_id: id.clone(),
                    })
                    .collect(),
            };
            let answer: AccountCheckResponse = self.call(Command::AccountCheck, &req).await?;
            all.extend(answer.result_item);
        }
        Ok(all)
    }

    /// Creates a group (with a past `CreateTime` so history can be imported into it).
    pub async fn import_group(
        &self,
        req: &ImportGroupRequest,
    ) -> Result<ImportGroupResponse, ApiError> {
        self.call(Command::ImportGroup, req).await
    }

    /// Adds members to a group ([`IMPORT_MEMBER_CHUNK`] at most), with their join times and
    /// unread counts.
    pub async fn import_group_member(
        &self,
        req: &ImportGroupMemberRequest,
    ) -> Result<ImportGroupMemberResponse, ApiError> {
        self.call(Command::ImportGroupMember, req).await
    }

    /// Imports one account.
    pub async fn account_import(
        &self,
        req: &AccountImportRequest,
    ) -> Result<AccountImportResponse, ApiError> {
        self.call(Command::AccountImport, req).await
    }

    /// Imports accounts ([`MULTIACCOUNT_IMPORT_CHUNK`] at most); the answer names those that
    /// failed.
    pub async fn multiaccount_import(
        &self,
        req: &MultiAccountImportRequest,
    ) -> Result<MultiAccountImportResponse, ApiError> {
        self.call(Command::MultiaccountImport, req).await
    }

    /// Sets one member's unread count (clamped by the service to the group's message count).
    pub async fn set_unread_msg_num(
        &self,
        req: &SetUnreadMsgNumRequest,
    ) -> Result<SetUnreadMsgNumResponse, ApiError> {
        self.call(Command::SetUnreadMsgNum, req).await
    }

    /// One page of a group's members.
    pub async fn get_group_member_info(
        &self,
        req: &GetGroupMemberInfoRequest,
    ) -> Result<GetGroupMemberInfoResponse, ApiError> {
        self.call(Command::GetGroupMemberInfo, req).await
    }

    /// Every member of a group, [`MEMBER_PAGE`] at a time: by `Offset`, or by `Next` once the
    /// service answers with one (Community groups).
    pub async fn group_members(&self, group_id: &str) -> Result<Vec<GroupMember>, ApiError> {
        let mut all = Vec::new();
        let mut req = GetGroupMemberInfoRequest::first_page(group_id, MEMBER_PAGE);
        loop {
            let page = self.get_group_member_info(&req).await?;
            let more = req.advance(&page, all.len() + page.member_list.len());
            all.extend(page.member_list);
            if !more {
                return Ok(all);
            }
        }
    }
}

/// Why an answer's body was not read.
enum BodyError {
    /// Over the cap (by its `Content-Length`, or while streaming).
    TooLarge,
    /// The connection broke while reading.
    Broken(reqwest::Error),
}

/// The body, a chunk at a time, refused as soon as it is known to exceed `cap` bytes (so a
/// broken proxy's endless answer costs `cap` bytes of memory, not all of it).
async fn read_body(mut response: reqwest::Response, cap: usize) -> Result<Bytes, BodyError> {
    let declared = response.content_length().unwrap_or(0);
    if declared > cap as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = bytes::BytesMut::with_capacity(usize::try_from(declared).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Sorts a reqwest failure into Connect (nothing sent), Timeout or Dropped (maybe applied).
fn transport_error(command: Command, err: reqwest::Error, secrets: &[&str]) -> ApiError {
    // reqwest puts the URL (with the UserSig) into its errors; drop it before anything else.
    let err = err.without_url();
    // A connect timeout is both "connect" and "timeout": nothing was sent, so Connect wins.
    let failure = if err.is_connect() || err.is_builder() {
        LocalFailure::Connect
    } else if err.is_timeout() {
        LocalFailure::Timeout
    } else {
        LocalFailure::Dropped
    };
    ApiError::Transport {
        command,
        failure,
        detail: scrub(&error_chain(&err), secrets),
    }
}

/// `outer: inner: innermost`, skipping repeats.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn log_call<R>(command: Command, random: u32, elapsed: Duration, answer: &Result<R, ApiError>) {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match answer {
        Ok(_) => tracing::debug!(command = command.name(), random, elapsed_ms, "call ok"),
        Err(e) => tracing::debug!(
            command = command.name(),
            random,
            elapsed_ms,
            code = e.code(),
            failure = ?e.local_failure(),
            status = match e {
                ApiError::Http { status, .. } => Some(*status),
                _ => None,
            },
            "call failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            sdkappid: 1_400_000_000,
            admin: "administrator".into(),
            secret: SecretKey::new("topsecretkeyvalue"),
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
        let client = Client::new(endpoint, creds(), ClientOptions::default()).unwrap();
        let _sig = client.inner.sigs.current();
        let shown = format!("{client:?} {:?} {:#?}", creds(), client);
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(!shown.contains("eJ"), "{shown}");
        assert!(shown.contains("administrator") && shown.contains("1400000000"));
        assert_eq!(client.admin(), "administrator");
        assert_eq!(client.sdkappid(), 1_400_000_000);
        assert_eq!(client.endpoint().base(), "http://127.0.0.1:9");
    }

    #[tokio::test(start_paused = true)]
    async fn every_clone_of_a_client_shares_one_pace_per_command() {
        // The console's connection test and its Groups screen hold clones of one client: their
        // get_appid_group_list calls are a second apart, whoever makes them.
        let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
        let tested = Client::new(endpoint, creds(), ClientOptions::default()).unwrap();
        let browsing = tested.clone();
        let t0 = tokio::time::Instant::now();
        tested.inner.pacer.pace(Command::GetAppidGroupList).await;
        browsing.inner.pacer.pace(Command::GetAppidGroupList).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn setup_refuses_missing_identity() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
        let mut no_admin = creds();
        no_admin.admin = " ".into();
        assert_eq!(
            Client::new(endpoint.clone(), no_admin, ClientOptions::default()).unwrap_err(),
            ClientSetupError::EmptyAdmin
        );
        let mut no_key = creds();
        no_key.secret = SecretKey::new("");
        assert_eq!(
            Client::new(endpoint, no_key, ClientOptions::default()).unwrap_err(),
            ClientSetupError::EmptySecret
        );
    }

    /// An error saying `text`, caused by `source`.
    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<Layer>>,
    }

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.text)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.source.as_deref().map(|s| s as _)
        }
    }

    fn chain(texts: &[&'static str]) -> Layer {
        texts
            .iter()
            .rev()
            .fold(None, |source, &text| {
                Some(Layer {
                    text,
                    source: source.map(Box::new),
                })
            })
            .expect("at least one layer")
    }

    #[test]
    fn error_chain_joins_sources() {
        assert_eq!(error_chain(&chain(&["alone"])), "alone");
        assert_eq!(
            error_chain(&chain(&["error sending request", "connect", "refused"])),
            "error sending request: connect: refused"
        );
        // A source that repeats its wrapper's words is said once.
        assert_eq!(
            error_chain(&chain(&["timed out", "timed out", "os error 110"])),
            "timed out: os error 110"
        );
    }
}
