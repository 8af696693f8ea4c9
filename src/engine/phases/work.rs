//! What a migration run does around the messages: which phases, the accounts to import, and
//! each staged group with its members, its first staged message and its targets.

use std::collections::BTreeSet;

use crate::api::types::AccountImportRequest;
use crate::engine::events::Phase;
use crate::engine::target::Target;
use crate::staging::migration::first_message;
use crate::staging::{StagedGroup, Staging};

/// The phases a run carries out, in their order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhaseSet(BTreeSet<Phase>);

impl PhaseSet {
    /// These phases.
    pub fn of(phases: impl IntoIterator<Item = Phase>) -> PhaseSet {
        PhaseSet(phases.into_iter().collect())
    }

    /// `accounts,groups,messages,members` (any of them, any order); the error names the word
    /// that is not a phase.
    pub fn parse(list: &str) -> Result<PhaseSet, String> {
        let mut set = BTreeSet::new();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let phase = Phase::from_word(word).ok_or_else(|| {
                format!("{word:?} is not a phase: give some of accounts,groups,messages,members")
            })?;
            set.insert(phase);
        }
        if set.is_empty() {
            return Err(
                "--phases names no phase: give some of accounts,groups,messages,members".into(),
            );
        }
        Ok(PhaseSet(set))
    }

    /// The phases the staging holds: accounts when `accounts.jsonl` or `groups.jsonl` is staged
    /// (every account the staging names is checked, and the staged ones the app lacks are
    /// imported), groups when `groups.jsonl` is, messages when there are staged messages,
    /// members when a staged group lists members.
    pub fn held_by(staging: &Staging) -> PhaseSet {
        let m = staging.migration();
        let mut set = BTreeSet::new();
        if m.is_migration() {
            set.insert(Phase::Accounts);
        }
        if m.has_groups_file() {
            set.insert(Phase::Groups);
        }
        if !staging.targets().is_empty() {
            set.insert(Phase::Messages);
        }
        if m.member_count() > 0 {
            set.insert(Phase::Members);
        }
        PhaseSet(set)
    }

    /// True when the run carries out `phase`.
    pub fn contains(&self, phase: Phase) -> bool {
        self.0.contains(&phase)
    }

    /// The phases, in order.
    pub fn phases(&self) -> Vec<Phase> {
        self.0.iter().copied().collect()
    }

    /// True when there is more to do than messages.
    pub fn is_migration(&self) -> bool {
        self.0.iter().any(|p| *p != Phase::Messages)
    }

    /// `accounts,groups,messages`.
    pub fn words(&self) -> String {
        self.0
            .iter()
            .map(|p| p.word())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A staged group, as the run handles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWork {
    /// Its `groups.jsonl` line.
    pub staged: StagedGroup,
    /// Its first staged valid message.
    pub first_message: Option<i64>,
    /// Its targets (the group, its topics) with their staged messages.
    pub targets: Vec<(Target, u64)>,
}

impl GroupWork {
    /// The group's id.
    pub fn id(&self) -> &str {
        &self.staged.group_id
    }

    /// Whether its members keep unread counts.
    pub fn keeps_unread(&self) -> bool {
        self.staged.group_type.keeps_unread_counts()
    }
}

/// Everything a run does around the messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationWork {
    /// The phases of the run.
    pub phases: PhaseSet,
    /// The accounts to import when the app lacks them: the staged ones, then the missing
    /// senders, owners and members the operator chose to import by `UserID` alone.
    pub accounts: Vec<AccountImportRequest>,
    /// How many of `accounts` are such missing ones.
    pub missing: usize,
    /// The staged groups of the run.
    pub groups: Vec<GroupWork>,
    /// True when `groups` is every staged group (the run is not narrowed to some).
    pub all_groups: bool,
}

impl MigrationWork {
    /// The work of `staging` for `phases`: every staged account (accounts are the app's, whatever
    /// groups the run is narrowed to) and `missing` ones, and the staged groups of `groups`
    /// (all when empty).
    pub fn new(
        staging: &Staging,
        groups: &[String],
        missing: &[String],
        phases: PhaseSet,
    ) -> MigrationWork {
        let m = staging.migration();
        let accounts = m.accounts_with(missing);
        let groups_filter_empty = groups.is_empty();
        let groups = m
            .groups()
            .iter()
            .filter(|g| groups.is_empty() || groups.contains(&g.group_id))
            .map(|g| GroupWork {
                staged: g.clone(),
                first_message: first_message(staging, &g.group_id),
                targets: staging
                    .group_targets(&g.group_id)
                    .map(|t| (t.target().clone(), t.entries().len() as u64))
                    .collect(),
            })
            .collect();
        MigrationWork {
            phases,
            accounts,
            missing: missing.len(),
            groups,
            all_groups: groups_filter_empty,
        }
    }

    /// The phases that have something to do, in order: accounts (every account the staging
    /// names is checked), groups and members when some are staged for the run's groups,
    /// messages when `messages` says the run has some.
    pub fn phases_with_work(&self, messages: bool) -> Vec<Phase> {
        let members = self.groups.iter().any(|g| !g.staged.members.is_empty());
        self.phases
            .phases()
            .into_iter()
            .filter(|p| match p {
                Phase::Accounts => true,
                Phase::Groups => !self.groups.is_empty(),
                Phase::Messages => messages,
                Phase::Members => members,
            })
            .collect()
    }

    /// What each phase around the messages will write, one short line each, for a
    /// confirmation (a phase with nothing staged for it says nothing).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.phases.contains(Phase::Accounts) {
            let staged = self.accounts.len() - self.missing;
            out.push(if self.accounts.is_empty() {
                "accounts: none staged (the accounts the staging names are checked)".to_owned()
            } else {
                format!(
                    "accounts: {staged} staged{}: multiaccount_import for those the app lacks",
                    if self.missing > 0 {
                        format!(" and {} missing by UserID alone", self.missing)
                    } else {
                        String::new()
                    }
                )
            });
        }
        if self.phases.contains(Phase::Groups) && !self.groups.is_empty() {
            out.push(format!(
                "groups: {}: import_group (with its CreateTime) for those the app lacks; the others are used if their type and creation fit",
                self.groups.len()
            ));
        }
        let members: usize = self.groups.iter().map(|g| g.staged.members.len()).sum();
        if self.phases.contains(Phase::Members) && members > 0 {
            let unread = self
                .groups
                .iter()
                .flat_map(|g| g.staged.members.iter().map(move |m| (g, m)))
                .filter(|(g, m)| g.keeps_unread() && m.item.unread_msg_num.is_some())
                .count();
            out.push(format!(
                "members: {members} in {} group(s), after each group's last message: import_group_member, set_unread_msg_num for those already in; {unread} unread count(s)",
                self.groups.iter().filter(|g| !g.staged.members.is_empty()).count()
            ));
        }
        out
    }

    /// A run of messages only (as timport imported before migrations).
    pub fn messages_only() -> MigrationWork {
        MigrationWork {
            phases: PhaseSet::of([Phase::Messages]),
            ..MigrationWork::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_parse_in_any_order_and_keep_theirs() {
        let set = PhaseSet::parse("members, accounts").unwrap();
        assert_eq!(set.phases(), [Phase::Accounts, Phase::Members]);
        assert_eq!(set.words(), "accounts,members");
        assert!(set.is_migration());
        assert!(!PhaseSet::of([Phase::Messages]).is_migration());
        assert!(
            PhaseSet::parse("accounts,unread")
                .unwrap_err()
                .contains("\"unread\"")
        );
        assert!(PhaseSet::parse(" , ").is_err());
    }
}
