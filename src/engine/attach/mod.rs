//! A run reached from other processes: the control socket `<ledger>.sock` that the process
//! holding the ledger's lock serves while `timport run` goes (`timport watch`, `timport decide`).
//!
//! Owns: the wire protocol (this file: plain serde types, no I/O) and the server (`server`).
//! Must not touch: the terminal, the ledger (decisions go in as [`Control`]s, and the engine
//! records them as it records the console's).
//!
//! # The protocol (version [`PROTOCOL`])
//! A Unix socket, mode 0600, accepting only peers of the socket's own user; newline-delimited
//! JSON, one object a line.
//! - Out, first: `{"hello": Hello}` (the run id and where it stands).
//! - Out, then: every line `timport run --json` prints, exactly (an object with an `"event"`
//!   field and its `"time"`: the engine's events, the minute's `progress` beat; the last is
//!   `run_finished` with its `exit_code`), each followed by `{"say": "..."}` when the headless
//!   printer has a line for people about it (the heartbeat's, for a beat);
//!   `{"lagged": N}` when this reader was too slow and missed N lines (the run never waits for
//!   a reader); `{"answer": Answer}` after each request.
//! - In: a [`Request`]: `{"decide": {"code": N, "group": "G"?, "skip": "reason"}, "operator":
//!   "user@host"}` (or `"retry": true` instead of `skip`), `{"pause": true}`, `{"resume": true}`,
//!   `{"stop": true}`. Nothing a reader sends or fails to read can stop the run, short of
//!   `stop`.
//!
//! Events carry no secret (no key, no UserSig), so nothing secret crosses the socket.

mod server;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::control::{BulkAction, BulkDecision, Control};
use super::target::Target;

pub use server::{Feed, Served, serve};

/// The protocol's version, in the hello line.
pub const PROTOCOL: u32 = 1;

/// The longest request line taken (longer ones are answered with an error and dropped).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The socket of the run holding `ledger`: the ledger's path with `.sock` appended.
pub fn socket_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".sock");
    PathBuf::from(name)
}

/// The first line a reader gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// [`PROTOCOL`].
    pub protocol: u32,
    /// The ledger's run id.
    pub run_id: i64,
    /// True when this invocation resumes an earlier one.
    pub resumed: bool,
    /// Messages settled so far (done, failed, skipped or invalid).
    pub settled: u64,
    /// Messages in the run (0 until the run has started its lanes).
    pub total: u64,
}

/// The run's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// True when the run took the request.
    pub ok: bool,
    /// What it did, or why not, for people.
    pub said: String,
}

/// A line the socket sends that is not an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// The first line.
    Hello(Hello),
    /// The headless printer's line about the event before.
    Say(String),
    /// The answer to a request.
    Answer(Answer),
    /// This reader missed so many lines.
    Lagged(u64),
}

impl Note {
    /// As one line (no newline).
    pub fn line(&self) -> String {
        // Strings and numbers only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A bulk decision as a request names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideCode {
    /// The service's code.
    pub code: i64,
    /// One group (and its topics); every group when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Skip them, for this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    /// Send them once more.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retry: bool,
}

/// One request: exactly one of `decide`, `pause`, `resume`, `stop`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// A bulk decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decide: Option<DecideCode>,
    /// Pause the run (no new requests; answers in flight are recorded).
    #[serde(default, skip_serializing_if = "is_false")]
    pub pause: bool,
    /// Undo a pause.
    #[serde(default, skip_serializing_if = "is_false")]
    pub resume: bool,
    /// Stop the run cleanly, as Ctrl-C does.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stop: bool,
    /// Who asks (`user@host`), recorded with a decision.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Request {
    /// A request line, parsed and turned into the engine's control and the words that say
    /// what it asks; `Err` says why it is refused.
    pub fn parse(line: &str) -> Result<(Control, String), String> {
        let request: Request =
            serde_json::from_str(line).map_err(|e| format!("not a request: {e}"))?;
        request.control()
    }

    /// The engine's control for this request.
    pub fn control(self) -> Result<(Control, String), String> {
        let asked = [self.decide.is_some(), self.pause, self.resume, self.stop];
        if asked.iter().filter(|a| **a).count() != 1 {
            return Err("ask for exactly one of decide, pause, resume, stop".into());
        }
        if self.pause {
            return Ok((Control::PauseRun, "run paused: no new requests".into()));
        }
        if self.resume {
            return Ok((Control::ResumeRun, "run resumed".into()));
        }
        if self.stop {
            return Ok((
                Control::Shutdown,
                "stopping: no new requests; the answers in flight are waited for".into(),
            ));
        }
        let Some(d) = self.decide else {
            return Err("ask for exactly one of decide, pause, resume, stop".into());
        };
        let action = match (d.skip, d.retry) {
            (Some(reason), false) if !reason.trim().is_empty() => BulkAction::Skip {
                reason: reason.trim().to_owned(),
            },
            (None, true) => BulkAction::Retry,
            _ => return Err("decide needs either \"skip\": REASON or \"retry\": true".into()),
        };
        if self.operator.trim().is_empty() {
            return Err("a decision names its operator (user@host)".into());
        }
        let scope = match &d.group {
            Some(g) => format!("in group {g} (and its topics)"),
            None => "in every group".to_owned(),
        };
        let did = match &action {
            BulkAction::Skip { reason } => format!("skipped (reason: {reason})"),
            BulkAction::Retry => "sent once more".to_owned(),
        };
        let said = format!(
            "the run took it: every message refused with code {} {scope}, now and for the rest of this run, is {did}; each is recorded in the ledger with operator {}",
            d.code, self.operator
        );
        Ok((
            Control::DecideCode(BulkDecision {
                code: d.code,
                target: d.group.as_ref().map(|g| Target::new(g, None)),
                action,
                operator: self.operator,
            }),
            said,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_map_onto_the_engines_controls() {
        let (c, _) = Request::parse(r#"{"pause": true}"#).unwrap();
        assert_eq!(c, Control::PauseRun);
        let (c, _) = Request::parse(r#"{"resume": true}"#).unwrap();
        assert_eq!(c, Control::ResumeRun);
        let (c, _) = Request::parse(r#"{"stop": true}"#).unwrap();
        assert_eq!(c, Control::Shutdown);
        let (c, said) = Request::parse(
            r#"{"decide": {"code": 80002, "group": "g0", "skip": " too long "}, "operator": "ops@box"}"#,
        )
        .unwrap();
        assert_eq!(
            c,
            Control::DecideCode(BulkDecision {
                code: 80002,
                target: Some(Target::new("g0", None)),
                action: BulkAction::Skip {
                    reason: "too long".into()
                },
                operator: "ops@box".into(),
            })
        );
        assert!(said.contains("operator ops@box"), "{said}");
        let (c, _) =
            Request::parse(r#"{"decide": {"code": 1, "retry": true}, "operator": "a@b"}"#).unwrap();
        assert!(matches!(
            c,
            Control::DecideCode(BulkDecision {
                target: None,
                action: BulkAction::Retry,
                ..
            })
        ));
    }

    #[test]
    fn unclear_requests_are_refused_with_a_reason() {
        for (line, words) in [
            ("not json", "not a request"),
            ("{}", "exactly one"),
            (r#"{"pause": true, "stop": true}"#, "exactly one"),
            (r#"{"abort": true}"#, "unknown field"),
            (
                r#"{"decide": {"code": 1}, "operator": "a@b"}"#,
                "either \"skip\"",
            ),
            (
                r#"{"decide": {"code": 1, "skip": "x", "retry": true}, "operator": "a@b"}"#,
                "either \"skip\"",
            ),
            (
                r#"{"decide": {"code": 1, "skip": "  "}, "operator": "a@b"}"#,
                "either \"skip\"",
            ),
            (r#"{"decide": {"code": 1, "retry": true}}"#, "operator"),
        ] {
            let err = Request::parse(line).unwrap_err();
            assert!(err.contains(words), "{line}: {err}");
        }
    }

    #[test]
    fn notes_are_one_keyed_object_each_and_the_socket_sits_by_the_ledger() {
        let hello = Note::Hello(Hello {
            protocol: PROTOCOL,
            run_id: 3,
            ..Hello::default()
        });
        let line = hello.line();
        assert!(
            line.starts_with(r#"{"hello":{"protocol":1,"run_id":3"#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Note>(&line).unwrap(), hello);
        assert_eq!(Note::Say("x".into()).line(), r#"{"say":"x"}"#);
        assert_eq!(
            socket_path(Path::new("/d/ledger.sqlite3")),
            PathBuf::from("/d/ledger.sqlite3.sock")
        );
    }
}
