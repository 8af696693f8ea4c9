//! The import engine: one ordered lane per group, an app-wide adaptive rate limiter, retries,
//! settling unknown outcomes by reading the group back, the durable ledger, resume, and the
//! stream of events that the console and the headless printer consume.
//!
//! Owns: sending planned batches and recording what happened.
//! Must not touch: the terminal (it only emits events) or staged-file parsing (it takes plans).
//!
//! Map (built up in this order):
//! - `events` ([`Event`], what the engine reports) and `control` ([`Control`], [`Decision`]: what
//!   it is told), `target` ([`Target`], the lane key).

pub mod backoff;
mod context;
pub mod control;
pub mod events;
mod lane;
pub mod ledger;
pub mod limiter;
pub mod memory;
pub mod options;
pub mod outcome;
pub mod printer;
pub mod report;
pub mod run;
pub mod service;
pub mod settle;
pub mod target;
pub mod work;

pub use control::{Control, Decision};
pub use events::{
    Counts, Event, Failure, Landed, LaneState, MessageOutcome, PauseReason, RunSummary, SourceRef,
    TargetStart, TargetSummary,
};
pub use options::{DEFAULT_LANES, DEFAULT_RATE, MAX_RATE, RetryPolicy, RunOptions};
pub use target::Target;
