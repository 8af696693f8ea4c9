//! Staged message files: reading them as streams, indexing every message by file, byte offset and
//! line, and validating each message against every rule we know (offline and online).
//!
//! Owns: the staged file formats (README, "Staged files"), the index, and the validation rules.
//! Must not touch: the network except through `api`'s client for online checks; plans, the ledger
//! or the terminal.
//!
//! How it fits together:
//! - [`scan`] walks the path (`walk`: recursive, path order, hidden entries skipped, regular files
//!   inside the staging directory only; links out, FIFOs, devices, sockets and names that are
//!   not UTF-8 are errors by path, never opened), streams
//!   each file once ([`lines`] for `.jsonl`; [`json_cursor`] and [`json_file`] for `.json`,
//!   which never build more than one message at a time), hashes it ([`fingerprint`]), and checks
//!   every message ([`message`], [`rules`], [`target`]). `collect` keeps a 16-byte
//!   [`IndexEntry`] per message in its target's list, plus statistics and problems.
//! - [`Staging`] (`index`) sorts each target by `SendTime` (file order, then position, breaks
//!   ties; a message whose `SendTime` cannot be read sits at its place in its file:
//!   `placement`), runs the rule that compares messages (`cross_checks`: exact duplicates), packs each
//!   target's entries ([`entry_list`]: differences as varints, about 5 bytes a message), and
//!   answers [`Staging::targets`], [`Staging::problems`] and [`Staging::load`]
//!   (`load`, re-reading messages by offset through `reader`; `lookup` reads them by file and
//!   offset as the ledger names them, for `timport verify`).
//! - [`migration`] reads `accounts.jsonl` and `groups.jsonl` (never as messages), checks each
//!   line and then the lines against each other and the messages.
//! - [`report`] summarises a scan for `timport validate`; [`online`] adds the checks that ask
//!   the service (`get_group_info`, `account_check`; for a migration, existing groups against
//!   their lines, owners and members).
//!
//! Decisions the docs left open:
//! - Directories are read recursively (a big group may be split as `2021/g.jsonl`,
//!   `2022/g.jsonl`: files in path order, so ties in `SendTime` keep that order).
//! - A file stem containing `@TOPIC#` names a topic: `@TGS#_g@TOPIC#_news.jsonl` is topic
//!   `@TGS#_g@TOPIC#_news` of group `@TGS#_g`.
//! - A message's own `GroupId` replaces the file's group (and drops the file's topic when the
//!   group differs); its `TopicId` replaces the topic. In a request body the body's fields apply.
//! - A line or element longer than [`ScanOptions::read_cap`] is reported without being buffered.
//! - Broken JSON in a `.jsonl` line costs that line; broken structure in a `.json` file stops
//!   that file (reported with what could not be read).

mod collect;
mod cross_checks;
pub mod entry;
pub mod entry_list;
pub mod fingerprint;
mod index;
pub mod json_cursor;
pub mod json_file;
pub mod lines;
mod load;
mod lookup;
pub mod message;
pub mod migration;
pub mod online;
pub mod options;
mod placement;
pub mod problem;
mod problem_log;
mod reader;
pub mod report;
pub mod rules;
mod scan;
pub mod target;
mod walk;

pub use collect::Sender;
pub use entry::{Flags, IndexEntry};
pub use entry_list::EntryList;
pub use fingerprint::Fingerprint;
pub use index::{FileKind, StagedFile, Staging, TargetIndex};
pub use load::{InvalidMessage, LoadError, Loaded, SourceRef, StagedMessage};
pub use message::{CheckedMessage, Framing, check_message, check_message_text};
pub use migration::{Migration, StagedAccount, StagedGroup, StagedMember};
pub use options::ScanOptions;
pub use problem::{Finding, Place, Problem, ProblemKind, Severity};
pub use report::{TargetReport, ValidationReport};
pub use scan::{ScanError, ScanProgress, scan, scan_with_progress};
pub use target::Target;
