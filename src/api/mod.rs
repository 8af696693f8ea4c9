//! The service's side of every conversation: regions and endpoints, UserSig, the request and
//! answer types, the error catalogue and the REST client.
//!
//! Owns: everything that knows how Tencent Cloud Chat's REST API looks on the wire.
//! Must not touch: staged files, plans, the ledger or the terminal. The sandbox reuses these types
//! to answer; nothing here depends on the sandbox.

pub mod catalogue;
pub mod region;
pub mod secret;
pub mod types;
pub mod usersig;

pub use catalogue::{ErrorClass, Explanation, explain, explain_message_result};
pub use region::{Endpoint, EndpointError, Region};
pub use secret::{SecretKey, UserSig};
