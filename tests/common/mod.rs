//! Shared test helpers: a sandbox on an ephemeral port and a raw signed-request helper
//! (reqwest + `api::usersig::generate` + the service's URL shape) that returns the HTTP status
//! and the parsed JSON, so malformed requests can be sent on purpose.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::time::Duration;

use serde_json::{Value, json};
use timport::api::SecretKey;
use timport::api::types::Command;
use timport::api::usersig;
use timport::clock::unix_now;
use timport::sandbox::{SandboxConfig, SandboxHandle, Seed};

/// The demo key of the official libraries' tests (facts file, section 1.7).
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
    timport::sandbox::start(config, "127.0.0.1:0".parse().expect("address"))
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

    /// The `Result` codes of `import_group_msg`.
    pub fn results(&self) -> Vec<i64> {
        self.json["ImportMsgResult"]
            .as_array()
            .unwrap_or_else(|| panic!("no ImportMsgResult in {self:?}"))
            .iter()
            .map(|r| r["Result"].as_i64().expect("Result"))
            .collect()
    }

    /// The `MsgSeq`s of `import_group_msg`.
    pub fn seqs(&self) -> Vec<u64> {
        self.json["ImportMsgResult"]
            .as_array()
            .unwrap_or_else(|| panic!("no ImportMsgResult in {self:?}"))
            .iter()
            .map(|r| r["MsgSeq"].as_u64().expect("MsgSeq"))
            .collect()
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
        self.try_call(command, body, None)
            .await
            .unwrap_or_else(|e| panic!("{} failed in transport: {e}", command.name()))
    }

    /// POSTs `body` to `command`; transport errors come back as errors.
    pub async fn try_call(
        &self,
        command: Command,
        body: Value,
        timeout: Option<Duration>,
    ) -> Result<Answer, reqwest::Error> {
        let path = format!("/v4/{}?{}", command.path(), self.query());
        self.send("POST", &path, body.to_string(), timeout).await
    }

    /// Any method, path-and-query and body text.
    pub async fn raw(&self, method: &str, path_and_query: &str, body: &str) -> Answer {
        self.send(method, path_and_query, body.to_owned(), None)
            .await
            .unwrap_or_else(|e| panic!("{method} {path_and_query:.40} failed in transport: {e}"))
    }

    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: String,
        timeout: Option<Duration>,
    ) -> Result<Answer, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, text, json })
    }

    /// Creates a group with `import_group` and returns its id.
    pub async fn group(&self, group_type: &str, id: &str, create_time: i64) -> String {
        let answer = self
            .call(
                Command::ImportGroup,
                json!({"Type": group_type, "Name": "test", "GroupId": id, "CreateTime": create_time}),
            )
            .await;
        answer.expect_code(0)["GroupId"]
            .as_str()
            .expect("GroupId")
            .to_owned()
    }

    /// Imports `messages` into `group` and returns the answer.
    pub async fn import(&self, group: &str, messages: Vec<Value>) -> Answer {
        self.call(
            Command::ImportGroupMsg,
            json!({"GroupId": group, "MsgList": messages}),
        )
        .await
    }
}
