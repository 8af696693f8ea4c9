//! The HTTP side: connections served with hyper directly (not through a router) so that a fault
//! can close a connection without answering, and the pipeline every request goes through:
//! route -> fault draw -> method, query and signature -> frequency -> body -> command -> fault
//! after commit -> latency -> answer.
//!
//! A hostile or broken client cannot hold the sandbox: a connection must send each request head
//! (counted from when it starts waiting for one, so an idle kept-alive connection too) and body
//! within [`SandboxConfig::read_timeout`], and at most [`SandboxConfig::max_connections`] are
//! served at once (more are closed on arrival, so descriptors stay bounded).
//!
//! State changes happen synchronously as soon as the body has arrived, before any wait, so a
//! client that gives up during the latency or a stall does not undo a committed request: the
//! service would have kept it too.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::types::Command;

use super::answer::{Refusal, ok_body, refused_body};
use super::clock::SandboxClock;
use super::commands::{self, Ctx, Outcome};
use super::config::SandboxConfig;
use super::fault::{AFTER_COMMIT_STATUS, FaultKind, FaultPlan};
use super::model::State;
use super::query::{self, Identity};
use super::traffic::Traffic;

/// Largest request body read; the biggest real request (7 messages of 12 KB) is far below.
const MAX_BODY_BYTES: usize = 1 << 20;

/// What the server and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) clock: SandboxClock,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Mutex<FaultPlan>,
    pub(crate) traffic: Mutex<Traffic>,
}

/// Locks a mutex; a poisoned lock is still used, because every critical section leaves the data
/// consistent (none of them panics halfway through a change).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error that makes hyper close a connection without writing an answer.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed without an answer (an injected fault, or a body that did not arrive in time)")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until `cancel` fires, then closes them all.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(shared.config.max_connections));
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match Arc::clone(&slots).try_acquire_owned() {
                    Ok(slot) => {
                        let serving = serve_connection(stream, Arc::clone(&shared), cancel.clone(), slot);
                        connections.spawn(serving);
                    }
                    Err(_) => {
                        // Full: close it now rather than hold a descriptor for it.
                        tracing::debug!("sandbox: connection refused, {} already served", shared.config.max_connections);
                        drop(stream);
                    }
                },
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "sandbox: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

/// Serves one connection; `_slot` is its place among the connections served at once.
async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    _slot: OwnedSemaphorePermit,
) {
    // Small answers should not wait for Nagle; failure to set it only costs latency.
    let _ = stream.set_nodelay(true);
    let read_timeout = shared.config.read_timeout;
    let service = service_fn(move |req| handle(Arc::clone(&shared), req));
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "sandbox: connection ended");
            }
        }
        () = cancel.cancelled() => {}
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let arrived = shared.clock.instant();
    let command = req
        .uri()
        .path()
        .strip_prefix("/v4/")
        .and_then(Command::from_path);
    lock(&shared.traffic).arrive(arrived, command);
    let (parts, body) = req.into_parts();
    // A body that does not arrive in time: nothing was committed; close without an answer.
    let body = match tokio::time::timeout(
        shared.config.read_timeout,
        to_bytes(Body::new(body), MAX_BODY_BYTES),
    )
    .await
    {
        Ok(body) => body.ok(),
        Err(_) => return Err(DropConnection),
    };

    let Some(command) = command else {
        let refusal = Refusal::new(60009, format!("no command at {}", parts.uri.path()));
        let answer = shared.finish("unknown", Err(refusal));
        shared.delay(Duration::ZERO).await;
        return Ok(json_response(&answer));
    };

    let fault = lock(&shared.faults).draw(command);
    if let Some(kind) = fault {
        lock(&shared.traffic).fault(kind.name());
        tracing::info!(command = command.name(), fault = %kind, "sandbox: injecting a fault");
    }
    let answer = match fault {
        Some(FaultKind::DropBeforeCommit) => {
            shared.delay(Duration::ZERO).await;
            return Err(DropConnection);
        }
        Some(FaultKind::Http5xx(status)) => {
            shared.delay(Duration::ZERO).await;
            return Ok(status_response(status));
        }
        Some(FaultKind::ErrorCode(code)) => {
            let refusal = Refusal::new(code, "injected by the sandbox");
            shared.finish(command.name(), Err(refusal))
        }
        _ => {
            let outcome = shared.process(command, &parts, body, arrived);
            shared.finish(command.name(), outcome)
        }
    };
    match fault {
        Some(FaultKind::Http5xxAfterCommit) => {
            shared.delay(Duration::ZERO).await;
            Ok(status_response(AFTER_COMMIT_STATUS))
        }
        Some(FaultKind::DropAfterCommit) => {
            shared.delay(Duration::ZERO).await;
            Err(DropConnection)
        }
        Some(FaultKind::StallAfterCommit(stall)) => {
            shared.delay(stall).await;
            Ok(json_response(&answer))
        }
        _ => {
            shared.delay(Duration::ZERO).await;
            Ok(json_response(&answer))
        }
    }
}

impl Shared {
    /// Everything between the route and the answer; changes state at most once.
    fn process(
        &self,
        command: Command,
        parts: &Parts,
        body: Option<Bytes>,
        arrived: Instant,
    ) -> Result<Outcome, Refusal> {
        if parts.method != Method::POST {
            return Err(Refusal::new(
                60002,
                format!("{} is not allowed; use POST", parts.method),
            ));
        }
        let now = self.clock.now();
        let identity = Identity {
            sdkappid: self.config.sdkappid,
            admin: &self.config.admin,
            secret: &self.config.secret,
        };
        query::check(&parts.uri, &identity, now)?;
        lock(&self.traffic)
            .admit_command(arrived, command)
            .map_err(|why| Refusal::new(60007, why))?;
        let body = body.ok_or_else(|| {
            Refusal::new(
                60003,
                format!("the body is unreadable or over {MAX_BODY_BYTES} bytes"),
            )
        })?;
        let json: Value = serde_json::from_slice(&body)
            .map_err(|e| Refusal::new(60003, format!("the body is not JSON: {e}")))?;
        if !json.is_object() {
            return Err(Refusal::new(60003, "the body must be a JSON object"));
        }
        let ctx = Ctx {
            now,
            strict_time: self.config.strict_time,
            max_message_bytes: self.config.max_message_bytes,
            require_accounts: self.config.require_accounts,
        };
        commands::run(command, &mut lock(&self.state), &json, &ctx)
    }

    /// Counts the outcome, logs it (never the URL: it carries the UserSig) and builds the body.
    fn finish(&self, command: &str, outcome: Result<Outcome, Refusal>) -> Value {
        let mut traffic = lock(&self.traffic);
        match outcome {
            Ok(outcome) => {
                let stats = &mut traffic.stats;
                stats.messages_imported += outcome.tally.imported;
                stats.duplicates_dropped += outcome.tally.duplicates;
                stats.members_already += outcome.tally.members_already;
                for code in &outcome.tally.message_refusals {
                    *stats.message_refusals.entry(*code).or_default() += 1;
                }
                tracing::info!(
                    command,
                    imported = outcome.tally.imported,
                    duplicates = outcome.tally.duplicates,
                    refused_messages = outcome.tally.message_refusals.len(),
                    "sandbox: OK"
                );
                ok_body(outcome.payload)
            }
            Err(refusal) => {
                traffic.refused(refusal.code);
                tracing::info!(command, code = refusal.code, detail = %refusal.detail, "sandbox: refused");
                refused_body(&refusal)
            }
        }
    }

    /// Waits the configured latency plus `extra`, without holding up other requests.
    async fn delay(&self, extra: Duration) {
        let wait = self.config.latency.saturating_add(extra);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

fn json_response(answer: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(answer.to_string()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A gateway error page, as a proxy in front of the service would send.
fn status_response(status: u16) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::from(format!(
        "<html><body><h1>{status}</h1></body></html>"
    )));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}
