//! How a sandbox is set up: identity, limits, latency, faults and the initial state.

use std::time::Duration;

use crate::api::SecretKey;
use crate::api::types::Command;

use super::fault::FaultConfig;
use super::seed::Seed;

/// The SDKAppID a sandbox answers for when neither a flag nor the seed names one.
pub const DEFAULT_SDKAPPID: u64 = 1_400_000_000;
/// The admin account a sandbox accepts when neither a flag nor the seed names one.
pub const DEFAULT_ADMIN: &str = "administrator";
/// Largest message (its compact JSON) `import_group_msg` accepts, per the original page.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 12_000;
/// Requests per second the whole app may make before answers turn into 60007.
pub const DEFAULT_RATE_LIMIT: u32 = 200;
/// How long a connection may take to send a request's head (also counted while it idles between
/// requests) and then its body. Longer than the client's 30 s pool idle timeout, so the sandbox
/// never closes a kept-alive connection the client is about to reuse.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Most connections served at once; more are closed as soon as they are accepted. A run uses one
/// per lane at most (32 by default).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Everything a sandbox needs to start. Build with [`SandboxConfig::new`] and adjust fields.
///
/// `Debug` is safe to print: the secret key redacts itself.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The SDKAppID requests must name (else 70020).
    pub sdkappid: u64,
    /// The only identifier allowed to call (else 60010).
    pub admin: String,
    /// The app's secret key, which UserSigs are verified with.
    pub secret: SecretKey,
    /// Added to every answer, without holding up other requests.
    pub latency: Duration,
    /// Random faults (queued ones are injected through the handle).
    pub faults: FaultConfig,
    /// How "later than the group's newest message" is read (the service's rule; whether an
    /// equal time passes is unconfirmed, so every reading is available).
    pub strict_time: StrictTime,
    /// Largest accepted message, in bytes of its compact JSON (else per-message 80002).
    pub max_message_bytes: usize,
    /// Requests admitted in any trailing one-second window (else 60007).
    pub rate_limit: u32,
    /// Accounts, groups and existing messages to start with.
    pub seed: Option<Seed>,
    /// A connection that has not sent a whole request head (or body) in this time is closed, so
    /// half-sent requests do not hold the sandbox.
    pub read_timeout: Duration,
    /// Connections served at once; more are closed on arrival, so a flood cannot exhaust the
    /// process's file descriptors.
    pub max_connections: usize,
    /// Owners (`import_group`: 10019) and members (`import_group_member`: `Result` 0) must be
    /// accounts already, as the service requires. Off by default: the sandbox lets them in and
    /// makes them accounts, so tests need not import accounts first.
    pub require_accounts: bool,
    /// Requests admitted per command in any trailing second, beside the app-wide `rate_limit`
    /// (else 60007): the documented limits of [`command_limit`]. Empty: none.
    pub command_limits: Vec<(Command, u32)>,
}

/// A command's own documented frequency limit (calls per second), where it is lower than the
/// app-wide 200: `account_check` and `multiaccount_import` 100. (`get_appid_group_list`'s 1/s is
/// not in the default list: the console paces it itself, and tests page through it quickly.)
pub fn command_limit(command: Command) -> Option<u32> {
    let rate = command.documented_rate();
    (rate < DEFAULT_RATE_LIMIT && command != Command::GetAppidGroupList).then_some(rate)
}

/// The limits [`SandboxConfig::new`] starts with.
pub fn default_command_limits() -> Vec<(Command, u32)> {
    Command::ALL
        .into_iter()
        .filter_map(|c| command_limit(c).map(|n| (c, n)))
        .collect()
}

/// How the sandbox reads the rule that a message must be "later than the group's newest".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrictTime {
    /// An equal time is taken (the default): every message must be no earlier than the newest.
    #[default]
    Off,
    /// Strictly later across requests (`--strict-time`): each message of a request must be
    /// later than the group's newest before the request, and no earlier than the newest
    /// within it. A second can then go in only within one request, so at most 7 messages
    /// share it.
    AcrossRequests,
    /// Strictly later per message (`--strict-time-per-message`): every stored message moves the
    /// newest, so no two messages of a group can share a second, even within a request.
    PerMessage,
}

impl StrictTime {
    /// Its words in the sandbox's summary line.
    pub fn word(self) -> &'static str {
        match self {
            StrictTime::Off => "off",
            StrictTime::AcrossRequests => "across requests",
            StrictTime::PerMessage => "per message",
        }
    }
}

impl SandboxConfig {
    /// The defaults: SDKAppID 1400000000, admin `administrator`, no latency, no faults,
    /// 12,000-byte messages, 200 requests/s (100/s for `account_check` and
    /// `multiaccount_import`), empty, 60 s to send a request, 512 connections, accounts not
    /// required.
    pub fn new(secret: SecretKey) -> Self {
        SandboxConfig {
            sdkappid: DEFAULT_SDKAPPID,
            admin: DEFAULT_ADMIN.to_owned(),
            secret,
            latency: Duration::ZERO,
            faults: FaultConfig::default(),
            strict_time: StrictTime::Off,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            rate_limit: DEFAULT_RATE_LIMIT,
            seed: None,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            require_accounts: false,
            command_limits: default_command_limits(),
        }
    }

    /// Starts from `seed`, taking its SDKAppID and admin when it names them. Set those fields
    /// afterwards to let command-line flags win over the seed.
    pub fn with_seed(mut self, seed: Seed) -> Self {
        if let Some(sdkappid) = seed.sdkappid {
            self.sdkappid = sdkappid;
        }
        if let Some(admin) = &seed.admin {
            self.admin = admin.clone();
        }
        self.seed = Some(seed);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_identity_applies_only_when_given() {
        let key = SecretKey::new("k");
        let plain = SandboxConfig::new(key.clone()).with_seed(Seed::default());
        assert_eq!(
            (plain.sdkappid, plain.admin.as_str()),
            (DEFAULT_SDKAPPID, DEFAULT_ADMIN)
        );
        let seed = Seed {
            sdkappid: Some(7),
            admin: Some("root".into()),
            ..Seed::default()
        };
        let seeded = SandboxConfig::new(key).with_seed(seed);
        assert_eq!((seeded.sdkappid, seeded.admin.as_str()), (7, "root"));
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let config = SandboxConfig::new(SecretKey::new("very-secret-key-value"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
