//! Every problem is counted (per target and kind, exactly); only the first ones are kept with
//! their text, so a broken file with millions of bad lines cannot exhaust memory. A message's
//! problems are kept together or not at all, so [`Staging::load`](super::Staging::load) can tell
//! a message whose problems were listed from one whose problems it must derive again.

use std::collections::BTreeMap;

use super::problem::{KindCounts, Problem};
use super::target::Target;

/// What a problem concerns: load attaches message and target problems to the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// One message, by `(file, offset)`.
    Message(u32, u64),
    /// Every message of a target (always listed: load needs them).
    Target,
    /// A file, a body or the staging directory.
    Other,
}

/// Counted and (up to the cap) listed problems.
#[derive(Debug, Default)]
pub(super) struct ProblemLog {
    /// Most problems listed; 0 lists all.
    cap: usize,
    pub listed: Vec<(Problem, Scope)>,
    pub unlisted: usize,
    /// Per target (`None`: problems about no target).
    pub counts: BTreeMap<Option<Target>, KindCounts>,
}

impl ProblemLog {
    pub fn new(cap: usize) -> Self {
        ProblemLog {
            cap,
            ..ProblemLog::default()
        }
    }

    fn count(&mut self, p: &Problem) {
        self.counts
            .entry(p.target.clone())
            .or_default()
            .entry(p.kind)
            .or_default()
            .add(p.severity);
    }

    fn room_for(&self, n: usize) -> bool {
        self.cap == 0 || self.listed.len() + n <= self.cap
    }

    /// One problem, listed while there is room.
    pub fn add(&mut self, problem: Problem, scope: Scope) {
        self.count(&problem);
        if self.room_for(1) || scope == Scope::Target {
            self.listed.push((problem, scope));
        } else {
            self.unlisted += 1;
        }
    }

    /// Several problems that are listed together or not at all (one message's).
    pub fn add_together(&mut self, problems: Vec<Problem>, scope: Scope) {
        for p in &problems {
            self.count(p);
        }
        if self.room_for(problems.len()) {
            self.listed.extend(problems.into_iter().map(|p| (p, scope)));
        } else {
            self.unlisted += problems.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::problem::{Finding, Place, ProblemKind};

    fn problem(kind: ProblemKind, target: Option<&Target>) -> Problem {
        let place = Place {
            file: "f".into(),
            line: 1,
            offset: 0,
        };
        Finding::error(kind, None, "x").at(&place, target)
    }

    #[test]
    fn counts_everything_lists_up_to_the_cap_and_keeps_a_message_whole() {
        let g = Target::new("g", None);
        let mut log = ProblemLog::new(3);
        log.add(
            problem(ProblemKind::SendTime, Some(&g)),
            Scope::Message(0, 0),
        );
        log.add_together(
            vec![
                problem(ProblemKind::Random, Some(&g)),
                problem(ProblemKind::EmptyBody, Some(&g)),
            ],
            Scope::Message(0, 10),
        );
        // No room for both of these: neither is listed.
        log.add_together(
            vec![
                problem(ProblemKind::SendTime, Some(&g)),
                problem(ProblemKind::Random, Some(&g)),
            ],
            Scope::Message(0, 20),
        );
        log.add(problem(ProblemKind::Io, None), Scope::Other);
        // Target problems are always listed.
        log.add(problem(ProblemKind::GroupId, Some(&g)), Scope::Target);
        assert_eq!(log.listed.len(), 4);
        assert_eq!(log.unlisted, 3);
        let counts = &log.counts[&Some(g)];
        assert_eq!(counts[&ProblemKind::SendTime].errors, 2);
        assert_eq!(counts[&ProblemKind::Random].errors, 2);
        assert_eq!(log.counts[&None][&ProblemKind::Io].errors, 1);
        let unlimited = ProblemLog::new(0);
        assert!(unlimited.room_for(usize::MAX / 2));
    }
}
