//! Each command's own frequency limit, for the phases' calls: a command whose documented limit
//! is below the app's 200/s (`account_check` and `multiaccount_import`: 100/s) gets a limiter of
//! its own at that rate, beside the run's app-wide one. Isolated here so that a per-command
//! pacer in the client can replace it.

use std::collections::HashMap;

use crate::api::types::Command;
use crate::engine::limiter::Limiter;

/// Per-command spacing.
pub(crate) struct Pace {
    limiters: HashMap<Command, Limiter>,
}

impl Pace {
    /// Limiters for every command whose own limit is below `app_rate`.
    pub(crate) fn new(app_rate: u32) -> Pace {
        Pace {
            limiters: Command::ALL
                .into_iter()
                .filter(|c| c.documented_rate() < app_rate)
                .map(|c| (c, Limiter::new(c.documented_rate())))
                .collect(),
        }
    }

    /// Waits for `command`'s own slot (at once for a command without a limit of its own).
    pub(crate) async fn wait(&self, command: Command) {
        if let Some(limiter) = self.limiters.get(&command) {
            limiter.acquire().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_command_with_a_lower_limit_is_spaced_at_it() {
        let pace = Pace::new(180);
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            pace.wait(Command::MultiaccountImport).await;
        }
        // 100/s (with the limiter's 3% margin): ten gaps of about 10.3 ms.
        let spent = start.elapsed();
        assert!(spent >= std::time::Duration::from_millis(100), "{spent:?}");
        let start = tokio::time::Instant::now();
        for _ in 0..50 {
            pace.wait(Command::ImportGroup).await;
        }
        assert_eq!(
            start.elapsed(),
            std::time::Duration::ZERO,
            "no limit of its own below 180"
        );
    }
}
