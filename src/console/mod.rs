//! The interactive console (ratatui): one state, `update(msg) -> effects`, plain render
//! functions, and a thin async shell that performs effects and feeds results back as messages.
//!
//! Owns: screens, keys, and the operator's decisions.
//! Must not touch: the wire or the ledger directly; it asks the engine and the client via effects
//! (reading where a run stands goes through the engine's report, the run through the engine).
//!
//! Map (data flows one way):
//! - `msg` (everything that can happen) -> `state::update` (pure) -> `effect` (what to do).
//! - `keymap`: `(place, key) -> Action`; the footer and the `?` help are generated from it.
//! - `ui`: plain functions from the state to a frame (`theme` gives every style).
//! - `app`: the shell: input stream + one channel of results, `tokio::select!`, dirty-flag
//!   drawing at most ~30 times a second; `exec` performs effects on tasks; `terminal` sets the
//!   terminal up and restores it even on a panic (the log file is `cli::logging`'s);
//!   `clipboard` writes OSC 52; `run` hands a launch to the engine and forwards its events.
//! - `settings`: what the Connect form starts with (flags, environment, profile).
//! - `words`: how numbers and times are written; `text_width`: how wide text is, and cutting,
//!   padding and wrapping it by grapheme cluster (every cut ends in `…`).

pub mod app;
pub mod clipboard;
pub mod effect;
pub mod exec;
pub mod keymap;
pub mod msg;
pub mod run;
pub mod settings;
pub mod state;
pub mod terminal;
pub mod text_width;
pub mod theme;
pub mod ui;
pub mod words;
