//! The sandbox: a local stand-in of Tencent Cloud Chat's REST API for tests, demos and
//! rehearsals. It verifies UserSigs, enforces the import rules with the service's codes, keeps
//! state in memory and injects faults on request. It is not a replacement for the service.
//!
//! Owns: the server side of the conversation.
//! Must not touch: anything but `api`'s types; nothing else in timport depends on it except tests,
//! `timport sandbox` and `timport demo`.
//!
//! Map:
//! - [`start`] / [`SandboxHandle`] (`handle.rs`): run it, steer it (faults, clock), look inside.
//! - `server.rs`: hyper connections and the per-request pipeline (route, fault, query, frequency,
//!   body, command, latency). Answers are HTTP 200 with the envelope, except injected 5xx. A
//!   connection that does not send its request in `read_timeout` is closed, and at most
//!   `max_connections` are served at once (more are closed on arrival).
//! - `query.rs`: the URL query and the UserSig (60012, 60004, 70002, 60002, 70020, 70001,
//!   70003, 70009, 70013, 70014, 60010), checked with `api::usersig::verify`.
//! - `commands/`: one pure function per command on the in-memory `State` (`model.rs`), with
//!   the rules in `rules.rs`; the module docs of each command list its codes.
//! - `fault.rs`, `traffic.rs` (frequency limit, [`Stats`]), `clock.rs` (its "now": movable, and
//!   stoppable for tests), `seed.rs` (the seed file format, documented there), `config.rs`,
//!   `answer.rs` (envelope; texts from `api::catalogue`).
//!
//! Choices where the service's documentation is silent, made so clients meet the strict case:
//! - Unknown command path: 60009; a method other than POST: 60002; a body that is not a JSON
//!   object: 60003; more than `rate_limit` requests admitted in the trailing second, or more than
//!   a command's own limit (`command_limits`: 100/s for `account_check` and
//!   `multiaccount_import`), 60007 (refused requests do not use up the budget;
//!   `get_appid_group_list`'s 1/s is not in the default limits).
//! - Unread counts: a member's count is set by `import_group_member` (`UnreadMsgNum`) or
//!   `set_unread_msg_num`, clamped to the group's own message count; every request that stores
//!   a message sets every member's count to 0; ChatRoom and AVChatRoom keep none (0 always).
//! - Owners and members need not be accounts unless `require_accounts` is set; accounts are
//!   created by `account_import` and `multiaccount_import` (which update an existing account's
//!   Nick and FaceUrl) and, as before, by being an owner, a member or a seeded sender.
//! - A `Random` is remembered per group for five minutes of sandbox time from its import; the
//!   de-duplication check comes before the time checks, so a quick resend of a batch that landed
//!   is answered as a success (with the first landing's MsgSeq and MsgTime) and stores nothing.
//!   Seeded messages count as imported long ago. Messages without `Random` get one drawn.
//! - Senders are not required to be imported accounts (the service's code for that is unknown).
//! - "Later than the group's newest message" is read as the config's `StrictTime` says: equal
//!   times taken (the default), strictly later across requests (`--strict-time`: equal times
//!   only within one request), or strictly later per message (`--strict-time-per-message`).
//! - Faults strike any request that names a command, before its query and signature are
//!   checked (a gateway fails before the service looks). Random faults draw from a seeded RNG
//!   (`FaultConfig::seed`); the same seed also fixes assigned group ids and drawn Randoms.

mod answer;
mod clock;
mod commands;
mod config;
mod fault;
mod handle;
mod model;
mod query;
mod rules;
mod seed;
mod server;
mod traffic;

pub use commands::CURSOR_BASE;
pub use config::{
    DEFAULT_ADMIN, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_RATE_LIMIT, DEFAULT_SDKAPPID, SandboxConfig,
    StrictTime, command_limit, default_command_limits,
};
pub use fault::{AFTER_COMMIT_STATUS, DEFAULT_STALL, Fault, FaultConfig, FaultKind};
pub use handle::{SandboxHandle, start};
pub use model::{AccountSnapshot, DEDUP_WINDOW_SECS, GroupSnapshot, MemberSnapshot, StoredMsg};
pub use rules::{MAX_GROUP_ID_BYTES, MAX_GROUP_NAME_BYTES};
pub use seed::{Seed, SeedError, SeedGroup, SeedMsg};
pub use traffic::Stats;
