//! Shared test helpers: a sandbox on an ephemeral port, the real `api::Client` pointed at it,
//! and a raw signed-request helper (reqwest + `api::usersig::generate` + the service's URL shape)
//! that returns the HTTP status and the parsed JSON, so malformed queries can be sent on purpose.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::fmt::Debug;

use bytes::Bytes;
use serde_json::{Value, json};
use timport::api::types::{Command, ImportGroupMsgResponse, ImportGroupRequest};
use timport::api::usersig;
use timport::api::{ApiError, Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::clock::unix_now;
use timport::sandbox::{SandboxConfig, SandboxHandle, Seed};

/// The demo key of the official libraries' tests (docs/service.md#usersig-test-vectors).
pub const DEMO_KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const APP: u64 = 1_400_000_000;
pub const ADMIN: &str = "administrator";

pub fn key() -> SecretKey {
    SecretKey::new(DEMO_KEY)
}

pub fn config() -> SandboxConfig {
    SandboxConfig::new(key())
}

/// A sandbox with `config`, on 127.0.0.1 and a free port.
pub async fn start(config: SandboxConfig) -> SandboxHandle {
    timport::sandbox::start(
        strict_from_env(config),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("sandbox starts")
}

/// A sandbox seeded from JSON text.
pub async fn start_seeded(seed_json: &str) -> SandboxHandle {
    let seed = Seed::parse(seed_json, unix_now()).expect("seed parses");
    start(config().with_seed(seed)).await
}

/// A text element.
pub fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// One message of `import_group_msg`.
pub fn msg(from: &str, time: i64, random: Option<u32>, t: &str) -> Value {
    let mut m = json!({"From_Account": from, "SendTime": time, "MsgBody": text(t)});
    if let Some(r) = random {
        m["Random"] = json!(r);
    }
    m
}

/// The real client, signing as the sandbox's admin with the demo key.
pub fn client(sandbox: &SandboxHandle) -> Client {
    client_with(sandbox, ClientOptions::default())
}

/// The real client with `opts` (timeouts, clock).
pub fn client_with(sandbox: &SandboxHandle, opts: ClientOptions) -> Client {
    let endpoint = Endpoint::parse(&sandbox.url()).expect("loopback endpoint");
    let creds = Credentials {
        sdkappid: sandbox.sdkappid(),
        admin: sandbox.admin().to_owned(),
        secret: key(),
    };
    Client::new(endpoint, creds, opts).expect("client")
}

/// Sends `body` as is through the client and returns the whole answer.
pub async fn send(client: &Client, command: Command, body: Value) -> Result<Value, ApiError> {
    client
        .call_bytes(command, Bytes::from(body.to_string()))
        .await
}

/// `import_group_msg` with these messages.
pub async fn import(
    client: &Client,
    group: &str,
    messages: Vec<Value>,
) -> Result<ImportGroupMsgResponse, ApiError> {
    let body = json!({"GroupId": group, "MsgList": messages});
    client.import_group_msg(Bytes::from(body.to_string())).await
}

/// `import_group` with a fixed id and creation time; returns the id.
pub async fn make_group(client: &Client, group_type: &str, id: &str, create_time: i64) -> String {
    let req = ImportGroupRequest {
        group_type: group_type.to_owned(),
        name: "test".to_owned(),
        group_id: Some(id.to_owned()),
        create_time: Some(create_time),
        ..ImportGroupRequest::default()
    };
    client
        .import_group(&req)
        .await
        .expect("import_group")
        .group_id
}

/// The per-message `Result` codes.
pub fn results(answer: &ImportGroupMsgResponse) -> Vec<i64> {
    answer.import_msg_result.iter().map(|r| r.result).collect()
}

/// The per-message `MsgSeq`s.
pub fn seqs(answer: &ImportGroupMsgResponse) -> Vec<u64> {
    answer.import_msg_result.iter().map(|r| r.msg_seq).collect()
}

/// Asserts the service refused the call with `code` and said why.
pub fn assert_refused<T: Debug>(outcome: &Result<T, ApiError>, code: i64) {
    match outcome {
        Err(ApiError::Service {
            code: got, info, ..
        }) => {
            assert_eq!(*got, code, "refused with another code: {info}");
            assert!(!info.is_empty(), "no ErrorInfo with {code}");
        }
        other => panic!("expected a refusal with {code}, got {other:?}"),
    }
}

/// What came back: the status and the body, parsed when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// The envelope's ErrorCode (panics when the answer has none).
    pub fn code(&self) -> i64 {
        self.json["ErrorCode"]
            .as_i64()
            .unwrap_or_else(|| panic!("no ErrorCode in {self:?}"))
    }

    /// Asserts an HTTP 200 with this envelope code and returns the body.
    pub fn expect_code(&self, code: i64) -> &Value {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        let status = if code == 0 { "OK" } else { "FAIL" };
        assert_eq!(self.json["ActionStatus"], status, "{self:?}");
        &self.json
    }
}

/// Signed raw requests to a sandbox.
pub struct Raw {
    pub http: reqwest::Client,
    pub base: String,
    pub sdkappid: u64,
    pub admin: String,
    pub key: SecretKey,
}

impl Raw {
    /// Requests as the sandbox's admin with the demo key.
    pub fn new(sandbox: &SandboxHandle) -> Raw {
        Raw {
            http: reqwest::Client::new(),
            base: sandbox.url(),
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
            key: key(),
        }
    }

    /// A valid query: sdkappid, identifier, a fresh UserSig, random, contenttype.
    pub fn query(&self) -> String {
        let sig = usersig::generate(&self.key, self.sdkappid, &self.admin, 86_400, unix_now());
        format!(
            "sdkappid={}&identifier={}&usersig={}&random={}&contenttype=json",
            self.sdkappid,
            self.admin,
            sig.expose(),
            rand::random::<u32>()
        )
    }

    /// POSTs `body` to `command` with a valid query.
    pub async fn call(&self, command: Command, body: Value) -> Answer {
        let path = format!("/v4/{}?{}", command.path(), self.query());
        self.raw("POST", &path, &body.to_string()).await
    }

    /// Any method, path-and-query and body text.
    pub async fn raw(&self, method: &str, path_and_query: &str, body: &str) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed in transport: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.expect("answer body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, text, json }
    }
}

/// `TIMPORT_TEST_STRICT_TIME=across` (or `per-message`) starts every sandbox configured with the
/// default reading strict about equal times, so that a whole suite can be run under the strict
/// reading of the docs (docs/testing.md). Unset: as configured.
fn strict_from_env(mut config: SandboxConfig) -> SandboxConfig {
    use timport::sandbox::StrictTime;
    if config.strict_time == StrictTime::Off {
        match std::env::var("TIMPORT_TEST_STRICT_TIME").as_deref() {
            Ok("across") => config.strict_time = StrictTime::AcrossRequests,
            Ok("per-message") => config.strict_time = StrictTime::PerMessage,
            _ => {}
        }
    }
    config
}
