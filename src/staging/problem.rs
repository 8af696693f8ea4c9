//! Problems found in staged files: what is wrong, how bad, and exactly where.
//!
//! A rule produces a [`Finding`] (what and which field); the reader that knows the place turns it
//! into a [`Problem`] (file, line, byte offset, target). Each message text is written once, by the
//! rule that finds it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::target::Target;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; the message is still imported.
    Warning,
    /// The message (or the whole target) cannot be imported as staged.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What kind of problem, for per-kind counts and for tools that react to one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A file or directory could not be read.
    Io,
    /// A file in the staging directory that is not `*.jsonl` or `*.json`.
    IgnoredFile,
    /// No staged file at all.
    NoFiles,
    /// Staged files, but not one message in them.
    NoMessages,
    /// A staged file that holds no message.
    EmptyFile,
    /// A FIFO, device or socket where a staged file should be, or a symbolic link that leads out
    /// of the staging directory: never opened.
    NotRegularFile,
    /// A file changed while it was being read.
    ChangedWhileReading,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// Text that is not JSON.
    InvalidJson,
    /// A line or element longer than timport reads into memory.
    TooLong,
    /// JSON of the wrong layout (a body on a `.jsonl` line, an array element that is not an object...).
    Shape,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// A field that `import_group_msg` does not take; it is not sent.
    UnknownField,
    /// `From_Account` empty or too long.
    FromAccount,
    /// `SendTime` not positive or in the future.
    SendTime,
    /// `Random` outside the unsigned 32-bit range.
    Random,
    /// `MsgBody` is empty.
    EmptyBody,
    /// An element type `import_group_msg` does not document.
    ElementType,
    /// An element's `MsgContent` lacks a required field or has one of the wrong type.
    ElementContent,
    /// More than one `TIMCustomElem` in a message.
    TooManyCustom,
    /// The message is larger than `--max-message-bytes` as sent.
    MessageTooLarge,
    /// A group id the service would refuse.
    GroupId,
    /// A topic id where it cannot apply.
    TopicId,
    /// A `RecentContactFlag` that is invalid or not allowed for the group.
    RecentContactFlag,
    /// A message inside a request body whose own fields are invalid.
    BodyInvalid,
    /// The same sender, time and body as an earlier message of the target.
    Duplicate,
    /// A message whose `SendTime` cannot be read, in a part of its file that is not in time
    /// order: its place in the order cannot be known.
    OutOfOrder,
    /// Online: the group does not exist or cannot be read.
    GroupNotFound,
    /// Online: the group's type cannot take the import (or the topic).
    GroupType,
    /// Online: the group was created, or has messages, at or after a staged message's time.
    GroupTime,
    /// Online: the sender account has not been imported.
    AccountNotImported,
    /// Online: a check could not be made (connection or service error).
    OnlineCheck,
    /// `accounts.jsonl`, `groups.jsonl`: a `UserID`, `Owner_Account` or `Member_Account` that
    /// is empty or too long.
    AccountId,
    /// `accounts.jsonl`: a `Nick` or `FaceUrl` too long.
    ProfileField,
    /// `groups.jsonl`: `Type`, `Name` or another group field the service would refuse.
    GroupField,
    /// `groups.jsonl`: `CreateTime` missing where history is staged, in the future, or not
    /// before the group's first staged message.
    CreateTime,
    /// `groups.jsonl`: a member's `JoinTime` not after the group's `CreateTime` or not before now.
    JoinTime,
    /// `groups.jsonl`: a member's `Role` other than `Admin`.
    MemberRole,
    /// The same account, group or member twice.
    DuplicateId,
    /// An owner or member that `accounts.jsonl` does not stage: it must be in the app already
    /// (online validation checks).
    AccountNotStaged,
}

impl ProblemKind {
    /// The snake_case name used in JSON output and summaries.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Io => "io",
            ProblemKind::IgnoredFile => "ignored_file",
            ProblemKind::NoFiles => "no_files",
            ProblemKind::NoMessages => "no_messages",
            ProblemKind::EmptyFile => "empty_file",
            ProblemKind::NotRegularFile => "not_regular_file",
            ProblemKind::ChangedWhileReading => "changed_while_reading",
            ProblemKind::NotUtf8 => "not_utf8",
            ProblemKind::InvalidJson => "invalid_json",
            ProblemKind::TooLong => "too_long",
            ProblemKind::Shape => "shape",
            ProblemKind::MissingField => "missing_field",
            ProblemKind::WrongType => "wrong_type",
            ProblemKind::UnknownField => "unknown_field",
            ProblemKind::FromAccount => "from_account",
            ProblemKind::SendTime => "send_time",
            ProblemKind::Random => "random",
            ProblemKind::EmptyBody => "empty_body",
            ProblemKind::ElementType => "element_type",
            ProblemKind::ElementContent => "element_content",
            ProblemKind::TooManyCustom => "too_many_custom",
            ProblemKind::MessageTooLarge => "message_too_large",
            ProblemKind::GroupId => "group_id",
            ProblemKind::TopicId => "topic_id",
            ProblemKind::RecentContactFlag => "recent_contact_flag",
            ProblemKind::BodyInvalid => "body_invalid",
            ProblemKind::Duplicate => "duplicate",
            ProblemKind::OutOfOrder => "out_of_order",
            ProblemKind::GroupNotFound => "group_not_found",
            ProblemKind::GroupType => "group_type",
            ProblemKind::GroupTime => "group_time",
            ProblemKind::AccountNotImported => "account_not_imported",
            ProblemKind::OnlineCheck => "online_check",
            ProblemKind::AccountId => "account_id",
            ProblemKind::ProfileField => "profile_field",
            ProblemKind::GroupField => "group_field",
            ProblemKind::CreateTime => "create_time",
            ProblemKind::JoinTime => "join_time",
            ProblemKind::MemberRole => "member_role",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::AccountNotStaged => "account_not_staged",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a rule found, before the reader adds where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which kind.
    pub kind: ProblemKind,
    /// How bad.
    pub severity: Severity,
    /// The field, as a path such as `MsgBody[1].MsgContent.Text`, when the problem has one.
    pub field: Option<String>,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

impl Finding {
    /// An error.
    pub fn error(kind: ProblemKind, field: Option<&str>, message: impl Into<String>) -> Self {
        Finding {
            kind,
            severity: Severity::Error,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// The warning for a staged file with nothing in it (`.jsonl` and `.json` alike).
    pub fn empty_file() -> Self {
        Finding::warning(
            ProblemKind::EmptyFile,
            None,
            "the file is empty: it holds no messages",
        )
    }

    /// A warning.
    pub fn warning(kind: ProblemKind, field: Option<&str>, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(kind, field, message)
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// This finding at a place.
    pub fn at(self, place: &Place, target: Option<&Target>) -> Problem {
        Problem {
            file: place.file.clone(),
            line: place.line,
            offset: place.offset,
            field: self.field,
            severity: self.severity,
            kind: self.kind,
            message: self.message,
            target: target.cloned(),
        }
    }
}

/// Where something is in the staged files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Path relative to the staging root (`/`-separated).
    pub file: Arc<str>,
    /// 1-based line; 0 for the file as a whole.
    pub line: u32,
    /// Byte offset in the file of the line, element or body concerned.
    pub offset: u64,
}

/// A problem in the staged files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path relative to the staging root (`/`-separated).
    #[serde(serialize_with = "serialize_shared_str")]
    pub file: Arc<str>,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u32,
    /// Byte offset of the line, element or body the problem concerns.
    pub offset: u64,
    /// The field, as a path such as `MsgBody[1].MsgContent.Text`, when the problem has one.
    pub field: Option<String>,
    /// How bad.
    pub severity: Severity,
    /// Which kind.
    pub kind: ProblemKind,
    /// What is wrong and what to do.
    pub message: String,
    /// The target the concerned message belongs to, when known.
    #[serde(skip)]
    pub target: Option<Target>,
}

/// Serializes a shared string as a plain string (serde's `rc` feature is not enabled).
pub fn serialize_shared_str<S: serde::Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

/// Reads a shared string back.
pub fn deserialize_shared_str<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Arc<str>, D::Error> {
    let s: String = serde::Deserialize::deserialize(d)?;
    Ok(s.into())
}

impl Problem {
    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    /// `file:line: error [kind] field: message`, the way compilers print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::escape::controls(&self.file))?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": {} [{}]", self.severity.word(), self.kind)?;
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors and warnings of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

impl KindCount {
    /// Counts one more.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
    }
}

/// Problem counts by kind.
pub type KindCounts = BTreeMap<ProblemKind, KindCount>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_print_like_compiler_messages() {
        let place = Place {
            file: "g1.jsonl".into(),
            line: 7,
            offset: 120,
        };
        let p = Finding::error(ProblemKind::SendTime, Some("SendTime"), "is in the future")
            .at(&place, None);
        assert_eq!(
            p.to_string(),
            "g1.jsonl:7: error [send_time] SendTime: is in the future"
        );
        let whole_file = Place { line: 0, ..place };
        let w =
            Finding::warning(ProblemKind::IgnoredFile, None, "not staged").at(&whole_file, None);
        assert_eq!(
            w.to_string(),
            "g1.jsonl: warning [ignored_file]: not staged"
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["kind"], "send_time");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["line"], 7);
    }
}
