//! One pacer per REST command, shared by every caller of a [`Client`](super::Client) (its clones
//! share it): each command's calls are spaced at its documented limit (docs/service.md, the
//! facts' limits table), so that, for example, the console's connection test and its Groups
//! screen never call `get_appid_group_list` twice within a second.
//!
//! `import_group_msg` is left to the engine's limiter, which reserves each import's slot before
//! recording it and adapts to frequency refusals; a second pacer there would put a wait between
//! the slot and the call.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::types::Command;

/// Calls per second a command is documented to take (`None`: paced elsewhere).
pub fn documented_rate(command: Command) -> Option<u32> {
    (command != Command::ImportGroupMsg).then(|| command.documented_rate())
}

/// The next free slot of each command.
#[derive(Debug, Default)]
pub struct Pacer {
    next: Mutex<HashMap<Command, Instant>>,
}

impl Pacer {
    /// Takes `command`'s next slot at or after `now` and returns it.
    pub fn reserve(&self, command: Command, now: Instant) -> Instant {
        let Some(rate) = documented_rate(command) else {
            return now;
        };
        let gap = Duration::from_secs(1) / rate.max(1);
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = next.get(&command).map_or(now, |&free| free.max(now));
        next.insert(command, slot + gap);
        slot
    }

    /// Waits for `command`'s next slot. A slot that is due goes at once, without the timer:
    /// tokio rounds a sleep up to its next millisecond tick, which would add up to a millisecond
    /// (more on a busy machine) to every call, imports included.
    pub async fn pace(&self, command: Command) {
        let now = Instant::now();
        let slot = self.reserve(command, now);
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_command_keeps_its_documented_spacing() {
        let pacer = Pacer::default();
        let t0 = Instant::now();
        pacer.pace(Command::GetAppidGroupList).await;
        assert_eq!(Instant::now(), t0, "the first call goes at once");
        pacer.pace(Command::GetAppidGroupList).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(1), "1 call/s");
        // Other commands keep their own pace.
        let t1 = Instant::now();
        pacer.pace(Command::GetGroupInfo).await;
        pacer.pace(Command::GetGroupInfo).await;
        assert_eq!(Instant::now() - t1, Duration::from_millis(5), "200 calls/s");
        pacer.pace(Command::AccountCheck).await;
        pacer.pace(Command::AccountCheck).await;
        assert_eq!(
            Instant::now() - t1,
            Duration::from_millis(15),
            "100 calls/s"
        );
        pacer.pace(Command::MultiaccountImport).await;
        pacer.pace(Command::MultiaccountImport).await;
        assert_eq!(
            Instant::now() - t1,
            Duration::from_millis(25),
            "multiaccount_import: 100 calls/s of its own"
        );
        // Imports are the engine limiter's.
        let t2 = Instant::now();
        for _ in 0..10 {
            pacer.pace(Command::ImportGroupMsg).await;
        }
        assert_eq!(Instant::now(), t2);
        // A slot left unused long ago does not let a burst through later.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let t3 = Instant::now();
        pacer.pace(Command::GetAppidGroupList).await;
        pacer.pace(Command::GetAppidGroupList).await;
        assert_eq!(Instant::now() - t3, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_slot_goes_without_waiting_for_the_next_timer_tick() {
        let pacer = Pacer::default();
        // Between two millisecond ticks, where a sleep would wait for the next one.
        tokio::time::advance(Duration::from_micros(500)).await;
        let t0 = Instant::now();
        pacer.pace(Command::ImportGroupMsg).await;
        pacer.pace(Command::GetGroupInfo).await;
        assert_eq!(Instant::now(), t0, "imports and a first call go at once");
        pacer.pace(Command::GetGroupInfo).await;
        assert!(
            Instant::now() - t0 >= Duration::from_millis(5),
            "spacing kept"
        );
    }
}
