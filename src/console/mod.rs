//! The interactive console (ratatui): one state, `update(msg) -> effects`, plain render
//! functions, and a thin async shell that performs effects and feeds results back as messages.
//!
//! Owns: screens, keys, and the operator's decisions.
//! Must not touch: the wire or the ledger directly; it asks the engine and the client via effects.
