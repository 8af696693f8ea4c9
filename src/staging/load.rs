//! Loading a target's messages from disk in import order: the valid ones as
//! [`StagedMessage`]s ready for planning, the invalid ones as [`InvalidMessage`]s with their
//! problems, so the engine can record them instead of losing them.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use super::collect::{body_invalid, message_problems, too_long};
use super::cross_checks::duplicate;
use super::entry::{Flags, IndexEntry};
use super::index::FileKind;
use super::message::{Framing, check_message};
use super::problem::{Place, Problem, ProblemKind};
use super::reader::SpanReader;
use super::target::Target;
use super::{Staging, TargetIndex};
use crate::api::types::ImportMsg;

/// Where a staged message came from.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SourceRef {
    /// Path relative to the staging root.
    #[serde(
        serialize_with = "super::problem::serialize_shared_str",
        deserialize_with = "super::problem::deserialize_shared_str"
    )]
    pub file: Arc<str>,
    /// 1-based line where the message starts.
    pub line: u32,
    /// Byte offset of its first byte.
    pub offset: u64,
    /// Its index within its request body's `MsgList` or its file's top-level array (0 in a
    /// `.jsonl` file).
    pub item: u32,
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", crate::escape::controls(&self.file), self.line)?;
        if self.item > 0 {
            write!(f, " (item {})", self.item)?;
        }
        Ok(())
    }
}

/// A valid message, ready to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedMessage {
    /// Where it came from.
    pub source: SourceRef,
    /// Its lane.
    pub target: Target,
    /// The message; `MsgBody` exactly as written (key order kept).
    pub msg: ImportMsg,
    /// `RecentContactFlag` of the request body it was staged in, when it had one set to 1.
    pub recent_contact_flag: Option<u8>,
    /// Warnings about it (an unknown field, a duplicate...).
    pub warnings: Vec<Problem>,
}

/// A message that cannot be sent as staged.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidMessage {
    /// Where it came from.
    pub source: SourceRef,
    /// Its lane (the file's, when its own could not be read).
    pub target: Target,
    /// Its `SendTime` when it has an integer one (its place in the lane).
    pub send_time: Option<i64>,
    /// Why: its own problems and those of its target.
    pub problems: Vec<Problem>,
    /// Its text as staged (lossy UTF-8); `None` when it is too long to read.
    pub raw: Option<String>,
}

/// A target's messages, both lists in import order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// The messages that can be sent.
    pub messages: Vec<StagedMessage>,
    /// The messages that cannot.
    pub invalid: Vec<InvalidMessage>,
    /// Places in `messages` of the valid messages with an invalid one right before them (since
    /// the valid message before): a lane's requests break there.
    pub after_invalid: Vec<usize>,
}

/// Why messages could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// No staged message names this target.
    #[error("no staged messages for {0}")]
    UnknownTarget(Target),
    /// The file is not what was scanned.
    #[error("{} changed since it was scanned ({what}); scan the staging directory again", crate::escape::controls(.file))]
    Changed {
        /// The file.
        file: Arc<str>,
        /// What differs.
        what: String,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", crate::escape::controls(.file))]
    Io {
        /// The file.
        file: Arc<str>,
        /// Why.
        source: std::io::Error,
    },
}

impl Staging {
    /// All of a target's messages.
    pub fn load(&self, target: &Target) -> Result<Loaded, LoadError> {
        let t = self
            .target(target)
            .ok_or_else(|| LoadError::UnknownTarget(target.clone()))?;
        self.load_entries(t, 0..t.entries().len())
    }

    /// A slice of a target's messages (positions in [`TargetIndex::entries`]), for callers
    /// that page through a very large target.
    pub fn load_range(&self, target: &Target, range: Range<usize>) -> Result<Loaded, LoadError> {
        let t = self
            .target(target)
            .ok_or_else(|| LoadError::UnknownTarget(target.clone()))?;
        let end = range.end.min(t.entries().len());
        self.load_entries(t, range.start.min(end)..end)
    }

    fn load_entries(&self, t: &TargetIndex, range: Range<usize>) -> Result<Loaded, LoadError> {
        let mut reader = SpanReader::new(&self.files, self.options.read_cap());
        let target_problems: Vec<Problem> = t
            .target_problems()
            .iter()
            .map(|&i| self.problems[i].clone())
            .collect();
        let target_ok = self.target_is_sendable(t);
        let mut out = Loaded::default();
        let mut buf = Vec::new();
        // An invalid message was loaded since the last valid one.
        let mut broken = false;
        for entry in t.entries().range(range) {
            let entry = &entry;
            let source = self.source_of(entry);
            let place = Place {
                file: source.file.clone(),
                line: source.line,
                offset: source.offset,
            };
            let listed: Vec<Problem> = self.problems_of(entry).cloned().collect();
            if entry.flags().contains(Flags::TOO_LONG) {
                let mut problems = listed;
                if problems.is_empty() {
                    problems.push(too_long(None, &self.options).at(&place, Some(t.target())));
                }
                problems.extend(target_problems.iter().cloned());
                out.invalid.push(InvalidMessage {
                    source,
                    target: t.target().clone(),
                    send_time: None,
                    problems,
                    raw: None,
                });
                broken = true;
                continue;
            }
            reader.read(entry, &mut buf)?;
            let checked = check_message(&buf, self.framing(entry), &self.options);
            let mut problems = if listed.is_empty() {
                // Not listed (over --max-problems) or none: the same rules give them again.
                message_problems(&place, t.target(), checked.findings, checked.error_line)
            } else {
                listed
            };
            if !entry.is_valid() && !problems.iter().any(Problem::is_error) {
                let why = body_invalid("its request body is invalid (see the body's own problems)");
                problems.push(why.at(&place, Some(t.target())));
            }
            if entry.flags().contains(Flags::DUPLICATE)
                && !problems.iter().any(|p| p.kind == ProblemKind::Duplicate)
            {
                problems.push(duplicate(None).at(&place, Some(t.target())));
            }
            match checked.msg {
                Some(msg) if entry.is_valid() && target_ok => {
                    if std::mem::take(&mut broken) {
                        out.after_invalid.push(out.messages.len());
                    }
                    out.messages.push(StagedMessage {
                        source,
                        target: t.target().clone(),
                        msg,
                        recent_contact_flag: entry
                            .flags()
                            .contains(Flags::RECENT_CONTACT)
                            .then_some(1),
                        warnings: problems,
                    });
                }
                None if entry.is_valid() => {
                    return Err(LoadError::Changed {
                        file: source.file,
                        what: format!(
                            "the message at line {} no longer reads as it did",
                            source.line
                        ),
                    });
                }
                _ => {
                    problems.extend(target_problems.iter().cloned());
                    out.invalid.push(InvalidMessage {
                        source,
                        target: t.target().clone(),
                        send_time: checked.send_time,
                        problems,
                        raw: Some(String::from_utf8_lossy(&buf).into_owned()),
                    });
                    broken = true;
                }
            }
        }
        Ok(out)
    }

    /// How an entry's bytes are framed (only the message itself is re-read, so a body's items
    /// read like array items).
    pub(super) fn framing(&self, entry: &IndexEntry) -> Framing {
        match self.files[entry.file() as usize].kind {
            FileKind::Jsonl | FileKind::Accounts | FileKind::Groups => Framing::Line,
            FileKind::Json => Framing::ArrayItem,
        }
    }
}
