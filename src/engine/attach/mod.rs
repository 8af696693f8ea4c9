//! A run reached from other processes: the control socket `<ledger>.sock` that the process
//! holding the ledger's lock serves while `timport run` goes (`timport watch`, `timport decide`).
//!
//! Owns: the wire protocol (this file: plain serde types, no I/O) and the server (`server`).
//! Must not touch: the terminal, the ledger (decisions go in as [`Control`]s, and the engine
//! records them as it records the console's).
//!
//! # The protocol (version [`PROTOCOL`]; every version-1 line is still valid)
//! A Unix socket, mode 0600, accepting only peers of the socket's own user; newline-delimited
//! JSON, one object a line.
//! - Out, first: `{"hello": Hello}` (the run id, where it stands, the reader's own number, who
//!   holds the helm), then `{"catchup": Catchup}` (where every lane stands: [`Catchup`]).
//! - Out, then: every line `timport run --json` prints, exactly (an object with an `"event"`
//!   field and its `"time"`: the engine's events, the minute's `progress` beat; the last is
//!   `run_finished` with its `exit_code`), each followed by `{"say": "..."}` when the headless
//!   printer has a line for people about it (the heartbeat's, for a beat);
//!   `{"lagged": N}` when this reader was too slow and missed N lines (the run never waits for
//!   a reader); `{"helm": {"by": "user@host", "reader": N}}` (or `{"helm": null}`) when the
//!   helm changes hands; `{"paused": true|false}` when a reader paused or resumed the run;
//!   `{"answer": Answer}` after each request.
//! - In: a [`Request`], exactly one of: `{"decide": {"code": N, "group": "G"?, "skip":
//!   "reason"}}` (or `"retry": true` instead of `skip`); `{"message": {"lane": {"group": "G",
//!   "topic": "T"?}, "source": SourceRef, "retry": true | "skip": "reason" | "edited": ImportMsg
//!   | "stop_group": true}}` (the message a paused lane stopped at); `{"stop_lane": {"group":
//!   "G"}}`; `{"pause": true}`, `{"resume": true}`, `{"stop": true}`; `{"helm": true|false}`
//!   (take or give back the helm). Each names its `"operator": "user@host"` (required for
//!   decisions, recorded with them in the ledger).
//!
//! # The helm
//! Many readers may watch; one decides at a time. The first reader that asks for anything (or
//! takes the helm explicitly) holds the helm until it gives it back or goes away; while it
//! does, every other reader's requests are refused with who holds it. Nothing a reader sends or
//! fails to read can stop the run, short of `stop`.
//!
//! Events carry no secret (no key, no UserSig), so nothing secret crosses the socket.

mod catchup;
mod server;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::control::{BulkAction, BulkDecision, Control, Decision};
use super::events::SourceRef;
use super::target::Target;
use crate::api::types::ImportMsg;

pub use catchup::{Catchup, LaneNow, OpenMessage, Tracker};
pub use server::{Feed, Served, serve};

/// The protocol's version, in the hello line (2: the catch-up, per-message decisions, stopping
/// a lane, the helm).
pub const PROTOCOL: u32 = 2;

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
    /// This reader's number (the helm names its holder by it).
    #[serde(default)]
    pub reader: u64,
    /// The run's staging directory (a console scans it to show and edit messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging: Option<String>,
    /// Who holds the helm now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<Helm>,
}

/// Who decides now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Helm {
    /// The operator (`user@host`) of the reader that holds it.
    pub by: String,
    /// That reader's number ([`Hello::reader`]).
    pub reader: u64,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// The first line.
    Hello(Hello),
    /// The second line: where the run stands.
    Catchup(Box<Catchup>),
    /// The helm changed hands (`None`: nobody holds it).
    Helm(Option<Helm>),
    /// A reader paused (true) or resumed (false) the run.
    Paused(bool),
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

/// A decision about the message a paused lane stopped at, as a request names it: exactly one of
/// `retry`, `skip`, `edited`, `stop_group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideMessage {
    /// The lane.
    pub lane: Target,
    /// The message.
    pub source: SourceRef,
    /// Send it again as it is.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retry: bool,
    /// Do not import it, for this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    /// Send this edited version instead (checked by the run with staging's rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<ImportMsg>,
    /// Stop the lane's group for this run.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stop_group: bool,
}

/// What a request asks for, once read.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// A control for the engine, and the words that say what it does.
    Control(Control, String),
    /// Take (true) or give back (false) the helm.
    Helm(bool),
}

/// One request: exactly one of `decide`, `message`, `stop_lane`, `pause`, `resume`, `stop`,
/// `helm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// A bulk decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decide: Option<DecideCode>,
    /// A decision about one message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<DecideMessage>,
    /// Stop this lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_lane: Option<Target>,
    /// Take or give back the helm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<bool>,
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

const EXACTLY_ONE: &str =
    "ask for exactly one of decide, message, stop_lane, pause, resume, stop, helm";

impl Request {
    /// A request line, read; `Err` says why it is refused.
    pub fn parse(line: &str) -> Result<Asked, String> {
        let request: Request =
            serde_json::from_str(line).map_err(|e| format!("not a request: {e}"))?;
        request.asked()
    }

    /// What this request asks for.
    pub fn asked(self) -> Result<Asked, String> {
        let asked = [
            self.decide.is_some(),
            self.message.is_some(),
            self.stop_lane.is_some(),
            self.pause,
            self.resume,
            self.stop,
            self.helm.is_some(),
        ];
        if asked.iter().filter(|a| **a).count() != 1 {
            return Err(EXACTLY_ONE.into());
        }
        if let Some(take) = self.helm {
            return Ok(Asked::Helm(take));
        }
        let (control, said) = self.control()?;
        Ok(Asked::Control(control, said))
    }

    fn control(self) -> Result<(Control, String), String> {
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
        if let Some(target) = self.stop_lane {
            let said = format!("stopping {target} after its request in flight is answered");
            return Ok((Control::StopLane(target, self.operator), said));
        }
        if self.operator.trim().is_empty() {
            return Err("a decision names its operator (user@host)".into());
        }
        if let Some(m) = self.message {
            return message_control(m, self.operator);
        }
        let Some(d) = self.decide else {
            return Err(EXACTLY_ONE.into());
        };
        let action = match (d.skip, d.retry) {
            (Some(reason), false) if !reason.trim().is_empty() => BulkAction::Skip {
                reason: reason.trim().to_owned(),
            },
            (None, true) => BulkAction::Retry,
            _ => return Err("decide needs either \"skip\": REASON or \"retry\": true".into()),
        };
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

    /// The request that asks the run for `control`, as `operator`; `None` for a control no
    /// reader may send (an abort: a reader stops a run cleanly or not at all).
    pub fn from_control(control: Control, operator: &str) -> Option<Request> {
        let mut request = Request {
            operator: operator.to_owned(),
            ..Request::default()
        };
        match control {
            Control::PauseRun => request.pause = true,
            Control::ResumeRun => request.resume = true,
            Control::Shutdown => request.stop = true,
            Control::Abort => return None,
            Control::StopLane(target, _) => request.stop_lane = Some(target),
            Control::DecideCode(bulk) => {
                let (skip, retry) = match bulk.action {
                    BulkAction::Skip { reason } => (Some(reason), false),
                    BulkAction::Retry => (None, true),
                };
                request.decide = Some(DecideCode {
                    code: bulk.code,
                    group: bulk.target.map(|t| t.group().to_owned()),
                    skip,
                    retry,
                });
            }
            Control::Decide {
                target,
                source,
                decision,
                ..
            } => {
                let mut m = DecideMessage {
                    lane: target,
                    source,
                    retry: false,
                    skip: None,
                    edited: None,
                    stop_group: false,
                };
                match decision {
                    Decision::Retry => m.retry = true,
                    Decision::RetryEdited(msg) => m.edited = Some(msg),
                    Decision::Skip { reason } => m.skip = Some(reason),
                    Decision::StopGroup => m.stop_group = true,
                }
                request.message = Some(m);
            }
        }
        Some(request)
    }
}

fn message_control(m: DecideMessage, operator: String) -> Result<(Control, String), String> {
    let chosen = [m.retry, m.skip.is_some(), m.edited.is_some(), m.stop_group];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(
            "message needs exactly one of \"retry\", \"skip\", \"edited\", \"stop_group\"".into(),
        );
    }
    let (decision, did) = if m.retry {
        (Decision::Retry, "sent again".to_owned())
    } else if let Some(reason) = m.skip {
        let reason = reason.trim().to_owned();
        if reason.is_empty() {
            return Err("a skip needs a reason".into());
        }
        let did = format!("skipped (reason: {reason})");
        (Decision::Skip { reason }, did)
    } else if let Some(edited) = m.edited {
        (
            Decision::RetryEdited(edited),
            "sent edited, once the run has checked the edit".to_owned(),
        )
    } else {
        (Decision::StopGroup, "its group stopped".to_owned())
    };
    let said = format!(
        "the run took it: {} line {} of {} is {did}; recorded in the ledger with operator {operator}",
        m.source.file, m.source.line, m.lane
    );
    Ok((
        Control::Decide {
            target: m.lane,
            source: m.source,
            decision,
            operator,
        },
        said,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(line: &str) -> (Control, String) {
        match Request::parse(line).unwrap() {
            Asked::Control(c, said) => (c, said),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn requests_map_onto_the_engines_controls() {
        let (c, _) = control(r#"{"pause": true}"#);
        assert_eq!(c, Control::PauseRun);
        let (c, _) = control(r#"{"resume": true}"#);
        assert_eq!(c, Control::ResumeRun);
        let (c, _) = control(r#"{"stop": true}"#);
        assert_eq!(c, Control::Shutdown);
        let (c, said) = control(
            r#"{"decide": {"code": 80002, "group": "g0", "skip": " too long "}, "operator": "ops@box"}"#,
        );
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
        let (c, _) = control(r#"{"decide": {"code": 1, "retry": true}, "operator": "a@b"}"#);
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
            (r#"{"helm": true, "pause": true}"#, "exactly one"),
            (
                r#"{"message": {"lane": {"group": "g"}, "source": {"file": "f", "line": 1, "offset": 0, "item": 0}, "retry": true}}"#,
                "operator",
            ),
            (
                r#"{"message": {"lane": {"group": "g"}, "source": {"file": "f", "line": 1, "offset": 0, "item": 0}, "retry": true, "stop_group": true}, "operator": "a@b"}"#,
                "exactly one of \"retry\"",
            ),
            (
                r#"{"message": {"lane": {"group": "g"}, "source": {"file": "f", "line": 1, "offset": 0, "item": 0}, "skip": " "}, "operator": "a@b"}"#,
                "needs a reason",
            ),
        ] {
            let err = Request::parse(line).unwrap_err();
            assert!(err.contains(words), "{line}: {err}");
        }
    }

    #[test]
    fn every_control_a_console_sends_goes_through_as_a_request_and_comes_out_the_same() {
        let (g, source) = (
            Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t")),
            crate::engine::testing::source("c.jsonl", 7),
        );
        let edited = ImportMsg {
            from_account: "alice".into(),
            send_time: 1_700_000_000,
            random: Some(5),
            msg_body: vec![],
        };
        let decide = |decision| Control::Decide {
            target: g.clone(),
            source: source.clone(),
            decision,
            operator: "ops@box".into(),
        };
        let controls = [
            Control::PauseRun,
            Control::ResumeRun,
            Control::Shutdown,
            Control::StopLane(g.clone(), "ops@box".into()),
            decide(Decision::Retry),
            decide(Decision::RetryEdited(edited)),
            decide(Decision::Skip {
                reason: "spam".into(),
            }),
            decide(Decision::StopGroup),
            Control::DecideCode(BulkDecision {
                code: 80001,
                target: Some(Target::new("g0", None)),
                action: BulkAction::Retry,
                operator: "ops@box".into(),
            }),
        ];
        for sent in controls {
            let request = Request::from_control(sent.clone(), "ops@box").unwrap();
            let line = serde_json::to_string(&request).unwrap();
            let (got, said) = control(&line);
            assert_eq!(got, sent, "{line}");
            assert!(!said.is_empty());
        }
        assert_eq!(Request::from_control(Control::Abort, "a@b"), None);
        assert_eq!(
            Request::parse(r#"{"helm": true}"#).unwrap(),
            Asked::Helm(true)
        );
        // A version-1 line reads as it did.
        let (c, _) = control(r#"{"stop": true}"#);
        assert_eq!(c, Control::Shutdown);
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
            line.starts_with(r#"{"hello":{"protocol":2,"run_id":3"#),
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
