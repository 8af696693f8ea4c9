//! How a run behaves: [`RunOptions`], with its defaults and limits (the service's rate: docs/service.md#import_group_msg;
//! the defaults: docs/reference.md#timport-run-staging), and the message policy [`OnMessageError`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::limiter::SharedLimiter;
pub use crate::plan::SameSecond;

/// The service's limit for the whole app, requests per second.
pub const MAX_RATE: u32 = 200;
/// The default rate: below the limit, leaving room for the app's production traffic.
pub const DEFAULT_RATE: u32 = 180;
/// Lanes (targets imported at once) by default.
pub const DEFAULT_LANES: usize = 32;

/// What a lane does when the service refuses a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMessageError {
    /// Stop the group's lane and wait for the operator (retry, fix, skip, stop).
    Pause,
    /// Record the failure with its reason and carry on with the next message.
    Skip,
}

impl OnMessageError {
    /// Its word, as `--on-message-error` and the config file spell it.
    pub fn word(self) -> &'static str {
        match self {
            OnMessageError::Pause => "pause",
            OnMessageError::Skip => "skip",
        }
    }
}

/// Retry bounds and pacing.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Tries of one request on transient trouble before the lane pauses (the first try counts).
    pub transient_tries: u32,
    /// Tries on frequency refusals before the lane pauses; kept apart from the transient budget
    /// because the limiter slows everyone down and the refusals stop by themselves.
    pub rate_tries: u32,
    /// First backoff delay.
    pub base: Duration,
    /// Longest backoff delay.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            transient_tries: 6,
            rate_tries: 30,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(30),
        }
    }
}

/// Everything a run needs besides the work and the service.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Requests per second, for the whole run (at most [`MAX_RATE`]).
    pub rate: u32,
    /// Targets imported at once.
    pub lanes: usize,
    /// What a lane does when a message is refused (or invalid).
    pub on_message_error: OnMessageError,
    /// What the plan does with a second holding more messages than a request
    /// (`--same-second`): the work source plans with it (`plan::PlanOptions`), the run records
    /// it, and under `keep` a refusal of a burst's overflow names `spread` as the remedy.
    pub same_second: SameSecond,
    /// True when someone can decide about a paused lane (the console): the run then stays up
    /// while lanes wait. False headless: a paused lane ends there and the run finishes when no
    /// lane can go on.
    pub wait_for_decisions: bool,
    /// Send again, once, the messages an earlier part of this run left failed (for example after
    /// importing a missing sender account). Without it they stay where they are and the
    /// message policy applies to them again.
    pub retry_failed: bool,
    /// Retry bounds.
    pub retry: RetryPolicy,
    /// Before reading a group back to settle a request whose outcome is unknown (or that an
    /// earlier process left in flight), wait until this long after it was sent, so that the
    /// service is done with it.
    pub settle_delay: Duration,
    /// On shutdown, how long to wait for the answers of requests in flight.
    pub shutdown_grace: Duration,
    /// The app's budget when the run shares it with other work in the process (a verification
    /// in the console): the run takes its slots from this limiter instead of one of its own.
    pub budget: Option<SharedLimiter>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            rate: DEFAULT_RATE,
            lanes: DEFAULT_LANES,
            on_message_error: OnMessageError::Pause,
            same_second: SameSecond::Keep,
            wait_for_decisions: false,
            retry_failed: false,
            retry: RetryPolicy::default(),
            settle_delay: Duration::from_secs(6),
            shutdown_grace: Duration::from_secs(10),
            budget: None,
        }
    }
}

impl RunOptions {
    /// Checks the limits; the error names the option.
    pub fn check(&self) -> Result<(), String> {
        if self.rate == 0 || self.rate > MAX_RATE {
            return Err(format!(
                "--rate {} is out of range: give 1 to {MAX_RATE} requests per second (the service allows {MAX_RATE}/s for the whole app)",
                self.rate
            ));
        }
        if self.lanes == 0 {
            return Err("--lanes must be at least 1".into());
        }
        if self.retry.transient_tries == 0 || self.retry.rate_tries == 0 {
            return Err("retry budgets must allow at least one try".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design_and_limits_are_checked() {
        let o = RunOptions::default();
        assert_eq!((o.rate, o.lanes), (180, 32));
        assert_eq!(o.on_message_error, OnMessageError::Pause);
        assert!(o.check().is_ok());
        let too_fast = RunOptions {
            rate: 201,
            ..o.clone()
        };
        assert!(too_fast.check().unwrap_err().contains("--rate 201"));
        assert!(
            RunOptions {
                rate: 0,
                ..o.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            RunOptions {
                rate: 200,
                ..o.clone()
            }
            .check()
            .is_ok()
        );
        assert!(
            RunOptions { lanes: 0, ..o }
                .check()
                .unwrap_err()
                .contains("--lanes")
        );
    }
}
