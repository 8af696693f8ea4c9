//! timport: migrate chat history into Tencent Cloud Chat through `import_group_msg`.
//!
//! Data flows one way (see DESIGN.md):
//! `staging` (read, validate) -> `plan` (batches) -> `engine` (lanes, rate, retries, ledger) ->
//! `api` (client); the engine's events feed the `console` (TUI) or the headless printer.
//! `sandbox` is the local stand-in of the service; it speaks `api`'s types and nothing else
//! depends on it. Two small helpers serve every layer at its edges: `escape` (names and paths
//! made safe to print) and `files` (reading files that may be hostile, creating private ones).

#![warn(missing_docs)]

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod engine;
pub mod escape;
pub mod files;
pub mod heap;
pub mod plan;
pub mod sandbox;
pub mod staging;
