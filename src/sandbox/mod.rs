//! The sandbox: a local stand-in of Tencent Cloud Chat's REST API for tests, demos and
//! rehearsals. It verifies UserSigs, enforces the import rules with the service's codes, keeps
//! state in memory and injects faults on request.
//!
//! Owns: the server side of the conversation.
//! Must not touch: anything but `api`'s types; nothing else in timport depends on it except tests,
//! `timport sandbox` and `timport demo`.
