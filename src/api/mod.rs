//! The service's side of every conversation: regions and endpoints, UserSig, the request and
//! answer types, the error catalogue and the REST client.
//!
//! Map: `region` (where), `secret` + `usersig` (who), `types` (what is said), `catalogue` (what
//! each code means), `client` (the one HTTP client; `sig_cache` keeps its UserSig fresh, `wire`
//! builds URLs and reads answers), `error` (the kinds of failure a call can end in).
//!
//! Owns: everything that knows how Tencent Cloud Chat's REST API looks on the wire.
//! Must not touch: staged files, plans, the ledger or the terminal. The sandbox reuses these types
//! to answer; nothing here depends on the sandbox.

pub mod catalogue;
pub mod client;
pub mod error;
pub mod pacer;
pub mod region;
pub mod secret;
mod sig_cache;
pub mod types;
pub mod usersig;
mod wire;

pub use catalogue::{
    ErrorClass, Explanation, ItemFailure, LocalFailure, explain, explain_message_result,
};
pub use client::{Client, ClientOptions, ClientSetupError, Credentials};
pub use error::ApiError;
pub use region::{Endpoint, EndpointError, Region};
pub use secret::{SecretKey, UserSig};
pub use sig_cache::Clock;
