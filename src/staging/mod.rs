//! Staged message files: reading them as streams, indexing every message by file, byte offset and
//! line, and validating each message against every rule we know (offline and online).
//!
//! Owns: the staged file formats of DESIGN.md and the validation rules.
//! Must not touch: the network except through `api`'s client for online checks; plans, the ledger
//! or the terminal.
