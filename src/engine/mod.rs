//! The import engine: one ordered lane per group, an app-wide adaptive rate limiter, retries,
//! settling unknown outcomes by reading the group back, the durable ledger, resume, and the
//! stream of events that the console and the headless printer consume.
//!
//! Owns: sending planned batches and recording what happened.
//! Must not touch: the terminal (it only emits events) or staged-file parsing (it takes plans).
