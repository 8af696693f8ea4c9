//! timport: migrate chat history into Tencent Cloud Chat through `import_group_msg`.
//!
//! Data flows one way (docs/ARCHITECTURE.md):
//! `staging` (read, validate) -> `plan` (batches) -> `engine` (lanes, rate, retries, ledger) ->
//! `api` (client); the engine's events feed the `console` (TUI) or the headless printer.
//! `config` settles the settings every command and the console use; `cli` wires it all
//! together. Each module uses only those below it (cli > console > config > engine > plan >
//! staging > api; `tests/module_layers.rs` checks it). `sandbox` is the local stand-in of the
//! service; it speaks `api`'s types and only `cli` starts it. `clock`, `exit`, `heap`,
//! `escape` (names and paths made safe to print), `files` (reading files that may be
//! hostile, creating private ones) and `numbers` (counts and durations written for people) are
//! leaves anyone may use.

#![warn(missing_docs)]

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod engine;
pub mod escape;
pub mod exit;
pub mod files;
pub mod heap;
pub mod numbers;
pub mod plan;
pub mod sandbox;
pub mod staging;
