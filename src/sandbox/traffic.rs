//! Traffic accounting: the app-wide frequency limit and the counters behind [`Stats`].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::api::types::Command;

const WINDOW: Duration = Duration::from_secs(1);

/// What the sandbox has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Requests per command name (`unknown` for paths that name no command).
    pub requests: BTreeMap<String, u64>,
    /// Whole-request refusals by error code (including injected error codes).
    pub refusals: BTreeMap<i64, u64>,
    /// Refused messages of `import_group_msg` by per-message `Result` code.
    pub message_refusals: BTreeMap<i64, u64>,
    /// Faults applied, by [`FaultKind::name`](super::FaultKind::name).
    pub faults: BTreeMap<String, u64>,
    /// Messages stored by `import_group_msg`.
    pub messages_imported: u64,
    /// Messages dropped as repeats of a recent `Random` (answered as success, not stored).
    pub duplicates_dropped: u64,
    /// Members `import_group_member` answered "already a member" (`Result` 2): a client that
    /// resends members it already imported shows here.
    pub members_already: u64,
    /// The most requests that arrived within any one-second window (refused ones included).
    pub max_requests_per_second: u64,
}

/// The frequency limits and the statistics, kept together because both count requests.
#[derive(Debug)]
pub(crate) struct Traffic {
    limit: u32,
    arrivals: VecDeque<Instant>,
    admitted: VecDeque<Instant>,
    /// Per-command limits and each command's admitted requests.
    commands: BTreeMap<Command, (u32, VecDeque<Instant>)>,
    pub(crate) stats: Stats,
}

impl Traffic {
    pub(crate) fn new(limit: u32) -> Self {
        Traffic {
            limit,
            arrivals: VecDeque::new(),
            admitted: VecDeque::new(),
            commands: BTreeMap::new(),
            stats: Stats::default(),
        }
    }

    /// Adds per-command limits (requests per trailing second).
    pub(crate) fn with_command_limits(mut self, limits: &[(Command, u32)]) -> Self {
        for &(command, limit) in limits {
            self.commands.insert(command, (limit, VecDeque::new()));
        }
        self
    }

    /// Admits a request for `command` at `at` unless the app-wide limit or the command's own
    /// limit is already used up in the trailing second; `Err` names the limit that refused it.
    pub(crate) fn admit_command(&mut self, at: Instant, command: Command) -> Result<(), String> {
        if let Some((limit, admitted)) = self.commands.get_mut(&command) {
            trim(admitted, at);
            if admitted.len() >= *limit as usize {
                return Err(format!(
                    "more than {limit} {} requests in one second",
                    command.name()
                ));
            }
        }
        if !self.admit(at) {
            return Err(format!("more than {} requests in one second", self.limit));
        }
        if let Some((_, admitted)) = self.commands.get_mut(&command) {
            admitted.push_back(at);
        }
        Ok(())
    }

    /// Counts a request that arrived at `at` for `command` (`None` = no such command).
    pub(crate) fn arrive(&mut self, at: Instant, command: Option<Command>) {
        let name = command.map_or("unknown", Command::name);
        *self.stats.requests.entry(name.to_owned()).or_default() += 1;
        trim(&mut self.arrivals, at);
        self.arrivals.push_back(at);
        let in_window = self.arrivals.len() as u64;
        self.stats.max_requests_per_second = self.stats.max_requests_per_second.max(in_window);
    }

    /// Admits a request at `at` unless `limit` were already admitted in the trailing second.
    /// Refused requests do not use up the budget.
    pub(crate) fn admit(&mut self, at: Instant) -> bool {
        trim(&mut self.admitted, at);
        if self.admitted.len() >= self.limit as usize {
            return false;
        }
        self.admitted.push_back(at);
        true
    }

    pub(crate) fn refused(&mut self, code: i64) {
        *self.stats.refusals.entry(code).or_default() += 1;
    }

    pub(crate) fn fault(&mut self, name: &str) {
        *self.stats.faults.entry(name.to_owned()).or_default() += 1;
    }
}

/// Drops the instants that are a full window or more before `now`.
fn trim(window: &mut VecDeque<Instant>, now: Instant) {
    while window
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW)
    {
        window.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_the_limit_per_trailing_second_then_refuses() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut traffic = Traffic::new(3);
        assert!(traffic.admit(ms(0)));
        assert!(traffic.admit(ms(100)));
        assert!(traffic.admit(ms(200)));
        assert!(!traffic.admit(ms(300)), "fourth within a second");
        assert!(!traffic.admit(ms(999)));
        assert!(traffic.admit(ms(1000)), "the first one left the window");
        assert!(!traffic.admit(ms(1050)));
        assert!(traffic.admit(ms(1100)));
    }

    #[test]
    fn a_command_limit_refuses_that_command_only() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut traffic = Traffic::new(10).with_command_limits(&[(Command::MultiaccountImport, 2)]);
        assert!(
            traffic
                .admit_command(ms(0), Command::MultiaccountImport)
                .is_ok()
        );
        assert!(
            traffic
                .admit_command(ms(1), Command::MultiaccountImport)
                .is_ok()
        );
        let refused = traffic
            .admit_command(ms(2), Command::MultiaccountImport)
            .unwrap_err();
        assert!(refused.contains("2 multiaccount_import"), "{refused}");
        assert!(traffic.admit_command(ms(3), Command::AccountCheck).is_ok());
        assert!(
            traffic
                .admit_command(ms(1001), Command::MultiaccountImport)
                .is_ok()
        );
    }

    #[test]
    fn counts_the_busiest_second_including_refused_requests() {
        let t0 = Instant::now();
        let mut traffic = Traffic::new(1);
        for n in [0, 10, 20, 900, 1500, 3000] {
            traffic.arrive(t0 + Duration::from_millis(n), Some(Command::AccountCheck));
        }
        traffic.arrive(t0 + Duration::from_millis(3001), None);
        assert_eq!(traffic.stats.max_requests_per_second, 4);
        assert_eq!(traffic.stats.requests["account_check"], 6);
        assert_eq!(traffic.stats.requests["unknown"], 1);
    }
}
