//! Planning: turning a group's ordered messages into batches of at most 7, keeping same-second
//! clusters together, giving every message a stable `Random`, and producing the exact request
//! bytes that the preview shows, the ledger stores and the client sends.
//!
//! Owns: batch boundaries, `Random` derivation and request bytes.
//! Must not touch: files (it takes messages from `staging`), the network, the ledger.
