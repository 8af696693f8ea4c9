//! Faults: what can go wrong between timport and the service, on request.
//!
//! A fault is either queued through the handle (applied to the next matching requests, in
//! order) or drawn at random for a share of requests from a seeded RNG. Each kind says whether
//! the request is applied ("committed") before the trouble, because that is what decides whether
//! a client may simply resend or must first read the group back.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::api::types::Command;

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// An envelope error with this code (e.g. 10002, 60008, 70500); nothing applied.
    ErrorCode(i64),
    /// An HTTP 5xx status (502, 503) from the gateway; nothing applied.
    Http5xx(u16),
    /// The request is applied, then the answer is an HTTP 504.
    Http5xxAfterCommit,
    /// The connection is closed without an answer; nothing applied.
    DropBeforeCommit,
    /// The request is applied, then the connection is closed without an answer.
    DropAfterCommit,
    /// The request is applied and the answer is held back this long.
    StallAfterCommit(Duration),
}

/// The status a [`FaultKind::Http5xxAfterCommit`] answers with.
pub const AFTER_COMMIT_STATUS: u16 = 504;
/// How long a random stall lasts unless told otherwise: longer than the service's 3 s backend
/// timeout, so a client sized for it gives up first.
pub const DEFAULT_STALL: Duration = Duration::from_secs(4);

impl FaultKind {
    /// A stable name for statistics and the command line.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::ErrorCode(_) => "error",
            FaultKind::Http5xx(_) => "http5xx",
            FaultKind::Http5xxAfterCommit => "http5xx-after-commit",
            FaultKind::DropBeforeCommit => "drop-before-commit",
            FaultKind::DropAfterCommit => "drop-after-commit",
            FaultKind::StallAfterCommit(_) => "stall-after-commit",
        }
    }

    /// True when the request is applied before the fault strikes.
    pub fn commits(&self) -> bool {
        matches!(
            self,
            FaultKind::Http5xxAfterCommit
                | FaultKind::DropAfterCommit
                | FaultKind::StallAfterCommit(_)
        )
    }

    /// Every kind with its default parameter: what `--fault-kinds` means when not given.
    pub fn all_defaults() -> Vec<FaultKind> {
        vec![
            FaultKind::ErrorCode(10002),
            FaultKind::Http5xx(502),
            FaultKind::Http5xxAfterCommit,
            FaultKind::DropBeforeCommit,
            FaultKind::DropAfterCommit,
            FaultKind::StallAfterCommit(DEFAULT_STALL),
        ]
    }

    /// Parses a command-line name: `error[=CODE]` (default 10002), `http5xx[=STATUS]` (default
    /// 502), `http5xx-after-commit`, `drop-before-commit`, `drop-after-commit`,
    /// `stall-after-commit[=MILLISECONDS]` (default 4000).
    pub fn parse(text: &str) -> Result<FaultKind, String> {
        let (name, value) = match text.trim().split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (text.trim(), None),
        };
        let number = |what: &str| -> Result<Option<u64>, String> {
            value
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("fault kind '{text}': {what} '{v}' is not a number"))
                })
                .transpose()
        };
        let no_value = |kind: FaultKind| match value {
            None => Ok(kind),
            Some(_) => Err(format!("fault kind '{name}' takes no value")),
        };
        match name {
            "error" => {
                let code = number("the code")?.unwrap_or(10002);
                let code = i64::try_from(code).map_err(|_| format!("code {code} is too large"))?;
                if code == 0 {
                    return Err("fault kind 'error=0' is not an error; use a non-zero code".into());
                }
                Ok(FaultKind::ErrorCode(code))
            }
            "http5xx" => match number("the status")?.unwrap_or(502) {
                status @ 500..=599 => Ok(FaultKind::Http5xx(status as u16)),
                other => Err(format!(
                    "fault kind 'http5xx={other}': use a status 500-599"
                )),
            },
            "http5xx-after-commit" => no_value(FaultKind::Http5xxAfterCommit),
            "drop-before-commit" => no_value(FaultKind::DropBeforeCommit),
            "drop-after-commit" => no_value(FaultKind::DropAfterCommit),
            "stall-after-commit" => Ok(FaultKind::StallAfterCommit(
                number("the duration")?.map_or(DEFAULT_STALL, Duration::from_millis),
            )),
            _ => Err(format!(
                "unknown fault kind '{name}': use error[=CODE], http5xx[=STATUS], \
                 http5xx-after-commit, drop-before-commit, drop-after-commit or \
                 stall-after-commit[=MS]"
            )),
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::ErrorCode(code) => write!(f, "error={code}"),
            FaultKind::Http5xx(status) => write!(f, "http5xx={status}"),
            FaultKind::StallAfterCommit(d) => write!(f, "stall-after-commit={}", d.as_millis()),
            other => f.write_str(other.name()),
        }
    }
}

/// One fault to inject, optionally only into one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Only requests for this command take it; `None` = the next request of any command.
    pub command: Option<Command>,
}

impl Fault {
    /// A fault for the next request, whatever its command.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            command: None,
        }
    }

    /// The same fault, restricted to `command`.
    pub fn only(self, command: Command) -> Self {
        Fault {
            command: Some(command),
            ..self
        }
    }
}

/// Random faults: a share of requests, drawn from a seeded RNG so a run can be replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Probability per request, 0..=1 (clamped).
    pub rate: f64,
    /// The kinds drawn from, uniformly; empty = none.
    pub kinds: Vec<FaultKind>,
    /// Only requests for this command; `None` = every command.
    pub command: Option<Command>,
    /// RNG seed; `None` = a fresh one each start.
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            rate: 0.0,
            kinds: FaultKind::all_defaults(),
            command: None,
            seed: None,
        }
    }
}

/// The sandbox's fault source: the queue first, then the dice.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    queue: VecDeque<Fault>,
    random: FaultConfig,
    rng: StdRng,
}

impl FaultPlan {
    pub(crate) fn new(mut random: FaultConfig) -> Self {
        random.rate = clamp_rate(random.rate);
        let rng = match random.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        FaultPlan {
            queue: VecDeque::new(),
            random,
            rng,
        }
    }

    pub(crate) fn inject(&mut self, fault: Fault) {
        self.queue.push_back(fault);
    }

    pub(crate) fn set_rate(&mut self, rate: f64) {
        self.random.rate = clamp_rate(rate);
    }

    /// The fault for a request to `command`, if any: the first queued fault that matches it,
    /// else a random one.
    pub(crate) fn draw(&mut self, command: Command) -> Option<FaultKind> {
        let queued = self
            .queue
            .iter()
            .position(|f| f.command.is_none_or(|c| c == command));
        if let Some(fault) = queued.and_then(|i| self.queue.remove(i)) {
            return Some(fault.kind);
        }
        let eligible = self.random.command.is_none_or(|c| c == command);
        if !eligible || self.random.kinds.is_empty() || self.random.rate <= 0.0 {
            return None;
        }
        if !self.rng.random_bool(self.random.rate) {
            return None;
        }
        let pick = self.rng.random_range(0..self.random.kinds.len());
        self.random.kinds.get(pick).copied()
    }
}

/// Keeps a rate inside 0..=1 (NaN counts as 0), so the RNG is never handed a bad probability.
fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rate: f64, seed: u64) -> FaultPlan {
        FaultPlan::new(FaultConfig {
            rate,
            seed: Some(seed),
            ..FaultConfig::default()
        })
    }

    #[test]
    fn queued_faults_go_in_order_to_matching_commands() {
        let mut p = plan(0.0, 1);
        p.inject(Fault::new(FaultKind::DropAfterCommit).only(Command::ImportGroupMsg));
        p.inject(Fault::new(FaultKind::ErrorCode(60008)));
        p.inject(Fault::new(FaultKind::Http5xx(503)).only(Command::ImportGroupMsg));
        // A read takes the first fault that applies to it: the unrestricted one.
        assert_eq!(
            p.draw(Command::GroupMsgGetSimple),
            Some(FaultKind::ErrorCode(60008))
        );
        assert_eq!(p.draw(Command::GroupMsgGetSimple), None);
        assert_eq!(
            p.draw(Command::ImportGroupMsg),
            Some(FaultKind::DropAfterCommit)
        );
        assert_eq!(
            p.draw(Command::ImportGroupMsg),
            Some(FaultKind::Http5xx(503))
        );
        assert_eq!(p.draw(Command::ImportGroupMsg), None);
    }

    #[test]
    fn random_faults_follow_the_rate_and_replay_with_the_seed() {
        let draws = |seed| {
            let mut p = plan(0.25, seed);
            (0..4000)
                .map(|_| p.draw(Command::ImportGroupMsg))
                .collect::<Vec<_>>()
        };
        let first = draws(42);
        assert_eq!(first, draws(42), "same seed, same faults");
        let hits = first.iter().filter(|f| f.is_some()).count();
        assert!((800..1200).contains(&hits), "about a quarter: {hits}");
        for kind in FaultKind::all_defaults() {
            assert!(first.contains(&Some(kind)), "{kind} never drawn");
        }
        assert_eq!(plan(0.0, 42).draw(Command::ImportGroupMsg), None);
    }

    #[test]
    fn random_faults_can_be_limited_to_one_command_and_rates_are_clamped() {
        let mut p = FaultPlan::new(FaultConfig {
            rate: 7.0,
            command: Some(Command::ImportGroupMsg),
            seed: Some(3),
            ..FaultConfig::default()
        });
        assert!(p.draw(Command::ImportGroupMsg).is_some(), "rate 7 means 1");
        assert_eq!(p.draw(Command::GetGroupInfo), None);
        p.set_rate(f64::NAN);
        assert_eq!(p.draw(Command::ImportGroupMsg), None);
        p.set_rate(-1.0);
        assert_eq!(p.draw(Command::ImportGroupMsg), None);
    }

    #[test]
    fn kinds_parse_from_their_names_and_print_back() {
        for kind in FaultKind::all_defaults() {
            assert_eq!(FaultKind::parse(&kind.to_string()), Ok(kind));
            assert_eq!(FaultKind::parse(kind.name()), Ok(kind));
        }
        assert_eq!(
            FaultKind::parse("error=70500"),
            Ok(FaultKind::ErrorCode(70500))
        );
        assert_eq!(
            FaultKind::parse(" stall-after-commit=250 "),
            Ok(FaultKind::StallAfterCommit(Duration::from_millis(250)))
        );
        assert!(
            FaultKind::parse("http5xx=404")
                .unwrap_err()
                .contains("500-599")
        );
        assert!(
            FaultKind::parse("error=x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(FaultKind::parse("error=0").is_err());
        assert!(FaultKind::parse("drop-after-commit=1").is_err());
        assert!(
            FaultKind::parse("explode")
                .unwrap_err()
                .contains("unknown fault kind")
        );
    }

    #[test]
    fn only_after_commit_kinds_commit() {
        let committing: Vec<_> = FaultKind::all_defaults()
            .into_iter()
            .filter(FaultKind::commits)
            .map(|k| k.name())
            .collect();
        assert_eq!(
            committing,
            [
                "http5xx-after-commit",
                "drop-after-commit",
                "stall-after-commit"
            ]
        );
    }
}
