//! Planning: turning a target's ordered messages into batches of at most 7, keeping same-second
//! clusters together, giving every message a stable `Random`, and producing the exact request
//! bytes that the preview shows, the ledger stores and the client sends.
//!
//! Owns: batch boundaries ([`batches`], also one time at a time: `BatchCutter`), what a burst
//! of more than a request in one second gets ([`same_second`]: `keep` or `spread`), `Random`
//! derivation ([`random`]) and the set of those a target used ([`random_set`]), and request
//! bytes ([`target_plan`]; [`migration`] for the accounts, groups, members and unread counts
//! around the messages).
//! Must not touch: files (it takes messages from `staging`), the network, the ledger.
//!
//! Decisions the docs left open:
//! - A second with more messages than a request holds starts a fresh request, fills whole ones,
//!   and its remainder may share a request with what follows (reported as a warning), unless
//!   `--same-second spread` ([`same_second`]) sends the overflow one second later at a time;
//!   the `Random` of a moved message is still derived from its staged message.
//! - `Random`s are unique within a target: a staged value already used by an earlier message,
//!   or a derived value that collides, is replaced (derived with the next salt), with a warning.
//!   The outcome depends only on the target's staged messages, so it is the same on every run.
//! - `RecentContactFlag` is per target: set on every request when any of its messages was
//!   staged in a body with `RecentContactFlag: 1` (or as [`PlanOptions`] says).

pub mod batches;
pub mod migration;
pub mod random;
pub mod random_set;
pub mod same_second;
pub mod target_plan;

pub use batches::{BatchCutter, MAX_BATCH_SIZE, batch_ranges};
pub use random::derive_random;
pub use same_second::{Bursts, SameSecond, Spreader};
pub use target_plan::{
    Batch, PlanOptions, PlanState, PlanWarning, PlanWarningKind, PlannedMessage, TargetPlan,
    plan_loaded, plan_part, plan_part_after, plan_target,
};

/// A request body for people: indented, with its keys in the same order. Bytes that are not JSON
/// are shown as they are.
pub fn pretty(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}
