//! Secrets that must never be shown: the app's secret key and the UserSig made from it.
//!
//! Neither type implements `Display` or `Serialize`, and `Debug` prints a fixed placeholder, so a
//! secret cannot reach a log line, an error text, a snapshot or a ledger row by accident. The raw
//! value is only reachable through `expose()`, which the signer and the URL builder call.

use std::fmt;

/// The app's secret key from the Chat console (used as raw UTF-8 bytes for the HMAC).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a key, trimming surrounding whitespace (key files usually end with a newline).
    pub fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        Self(key.trim().to_owned())
    }

    /// The raw key. Call only where the key is actually used.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no key is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A UserSig (TLSSigAPIv2). It authenticates every request, so it is as sensitive as the key.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSig(String);

impl UserSig {
    /// Wraps an already encoded UserSig.
    pub fn new(sig: impl Into<String>) -> Self {
        Self(sig.into())
    }

    /// The encoded signature. Call only where it is actually sent or printed on request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserSig(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SecretKey::new("  topsecretkeyvalue\n");
        let sig = UserSig::new("eJyrVgrxCdYrSy1SslJQ");
        assert_eq!(key.expose(), "topsecretkeyvalue");
        let shown = format!("{key:?} {sig:?} {:#?}", (&key, &sig));
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(!shown.contains("eJyrVgrx"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
