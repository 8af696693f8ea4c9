//! The migration files beside the message files: `accounts.jsonl` (one `account_import` body per
//! line) and `groups.jsonl` (one `import_group` body per line, plus an optional `MemberList` of
//! `import_group_member` items). Neither is ever read as messages: any file with one of these two
//! names, at any depth of the staging directory, is read here instead (several are read in path
//! order, and an id staged twice is reported).
//!
//! Each line is read as a stream (`lines`), checked on its own ([`account_line`],
//! [`group_line`]: the types and sizes the service's pages give), and then against the rest
//! ([`cross`]): ids staged twice, a group's `CreateTime` against its first staged message, owners
//! and members that `accounts.jsonl` does not stage. Every problem names file, line and field.
//! [`existing`] judges a group the app already has against its staged line (online validation
//! and the run's groups phase share it).
//!
//! What a run sends is built from these: the accounts as `AccountList` entries, each group's
//! `import_group` body (its line without `MemberList`, compact, in the staged key order: the
//! exact bytes the plan shows and the run sends), and its members.
//!
//! Owns: the two formats and their offline rules. Must not touch: the network (the online checks
//! are in `online`), plans or the ledger.

pub mod account_line;
pub(super) mod cross;
pub mod existing;
pub mod group_line;

pub use cross::first_message;
pub use existing::{Existing, judge};

use std::sync::Arc;

use crate::api::types::{AccountImportRequest, GroupType, MemberItem};

use super::problem::Place;

/// The file of accounts.
pub const ACCOUNTS_FILE: &str = "accounts.jsonl";
/// The file of groups (and their members).
pub const GROUPS_FILE: &str = "groups.jsonl";

/// Which migration file a name is, if it is one.
pub fn file_of(name: &str) -> Option<MigrationFile> {
    match name {
        ACCOUNTS_FILE => Some(MigrationFile::Accounts),
        GROUPS_FILE => Some(MigrationFile::Groups),
        _ => None,
    }
}

/// The two migration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationFile {
    /// `accounts.jsonl`
    Accounts,
    /// `groups.jsonl`
    Groups,
}

/// A staged account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedAccount {
    /// What goes into `AccountList` (`UserID`, and `Nick`, `FaceUrl` when staged).
    pub account: AccountImportRequest,
    /// Where it is staged.
    pub place: Place,
}

/// A staged member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedMember {
    /// The item as `import_group_member` takes it.
    pub item: MemberItem,
    /// Its index in the line's `MemberList`.
    pub index: usize,
}

/// A staged group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedGroup {
    /// `GroupId`.
    pub group_id: String,
    /// `Type`.
    pub group_type: GroupType,
    /// `Name`.
    pub name: String,
    /// `Owner_Account`.
    pub owner: Option<String>,
    /// `CreateTime`.
    pub create_time: Option<i64>,
    /// The exact `import_group` body: the line without `MemberList`, compact, keys in order.
    pub body: Arc<str>,
    /// `MemberList`, in order.
    pub members: Vec<StagedMember>,
    /// Where it is staged.
    pub place: Place,
}

/// Everything the migration files stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migration {
    pub(super) accounts: Vec<StagedAccount>,
    pub(super) groups: Vec<StagedGroup>,
    /// Whether an `accounts.jsonl` / `groups.jsonl` was found (even an empty one).
    pub(super) has_accounts_file: bool,
    pub(super) has_groups_file: bool,
    /// Every staged `UserID`, sorted, for lookups.
    pub(super) account_ids: Vec<String>,
}

impl Migration {
    /// The staged accounts, in file order (those whose line has an error are not listed).
    pub fn accounts(&self) -> &[StagedAccount] {
        &self.accounts
    }

    /// The staged groups, in file order (those whose line has an error are not listed).
    pub fn groups(&self) -> &[StagedGroup] {
        &self.groups
    }

    /// The accounts a run imports when the app lacks them: the staged ones (with their profile),
    /// then `missing` ones by `UserID` alone.
    pub fn accounts_with(&self, missing: &[String]) -> Vec<AccountImportRequest> {
        self.accounts
            .iter()
            .map(|a| a.account.clone())
            .chain(missing.iter().map(|id| AccountImportRequest {
                user_id: id.clone(),
                ..AccountImportRequest::default()
            }))
            .collect()
    }

    /// One staged group.
    pub fn group(&self, id: &str) -> Option<&StagedGroup> {
        self.groups.iter().find(|g| g.group_id == id)
    }

    /// True when `accounts.jsonl` stages this account.
    pub fn stages_account(&self, id: &str) -> bool {
        self.account_ids
            .binary_search_by(|a| a.as_str().cmp(id))
            .is_ok()
    }

    /// True when the staging holds an `accounts.jsonl`.
    pub fn has_accounts_file(&self) -> bool {
        self.has_accounts_file
    }

    /// True when the staging holds a `groups.jsonl`.
    pub fn has_groups_file(&self) -> bool {
        self.has_groups_file
    }

    /// True when the staging holds either migration file: a migration, with phases around the
    /// messages.
    pub fn is_migration(&self) -> bool {
        self.has_accounts_file || self.has_groups_file
    }

    /// Staged members of every group.
    pub fn member_count(&self) -> usize {
        self.groups.iter().map(|g| g.members.len()).sum()
    }

    pub(super) fn add_account(&mut self, account: StagedAccount) {
        self.accounts.push(account);
    }

    pub(super) fn add_group(&mut self, group: StagedGroup) {
        self.groups.push(group);
    }

    pub(super) fn saw(&mut self, file: MigrationFile) {
        match file {
            MigrationFile::Accounts => self.has_accounts_file = true,
            MigrationFile::Groups => self.has_groups_file = true,
        }
    }

    /// Sorts the account ids for [`Migration::stages_account`].
    pub(super) fn index(&mut self) {
        self.account_ids = self
            .accounts
            .iter()
            .map(|a| a.account.user_id.clone())
            .collect();
        self.account_ids.sort_unstable();
        self.account_ids.dedup();
    }
}
