//! The checks only the service can answer: does each staged group exist, can its type take an
//! import (and topics, and `RecentContactFlag`), was it created and is its newest message earlier
//! than what is staged for it (`get_group_info`); has every sender been imported
//! (`account_check`); for a migration, groups that `groups.jsonl` stages and the app already has
//! (used as they are, or refused: `migration::existing`), and owners and members that are neither
//! accounts nor staged. Senders, owners and members that `accounts.jsonl` stages are no problem:
//! the run imports them first. Topic existence cannot be checked: none of the calls timport makes lists
//! a group's topics, so a missing topic shows as 10004 when importing.
//!
//! [`check_groups`] and [`check_accounts`] are pure (answers in, problems out); [`check_online`]
//! is the edge that asks the service. Explanations of service codes come from the catalogue.

use std::collections::HashMap;

use crate::api::catalogue::explain;
use crate::api::types::{AccountCheckResult, GroupInfo, GroupType};
use crate::api::{ApiError, Client};
use crate::clock::format_unix;

use super::entry::{Flags, IndexEntry};
use super::migration::Existing;
use super::problem::{Finding, Place, Problem, ProblemKind};
use super::target::Target;
use super::{Staging, TargetIndex};

/// What the online checks found.
#[derive(Debug)]
pub struct OnlineOutcome {
    /// Problems, each at a staged message.
    pub problems: Vec<Problem>,
    /// The first call that failed, when one did (the checks are then incomplete).
    pub failure: Option<ApiError>,
    /// Groups asked about.
    pub groups: usize,
    /// Senders asked about.
    pub senders: usize,
}

/// Asks the service about every staged group (with messages, or in `groups.jsonl`) and every
/// account the staging names (senders, owners, members).
pub async fn check_online(staging: &Staging, client: &Client) -> OnlineOutcome {
    let migration = staging.migration();
    let mut groups: Vec<String> = staging
        .targets()
        .iter()
        .map(|t| t.target().group().to_owned())
        .chain(migration.groups().iter().map(|g| g.group_id.clone()))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let accounts = named_accounts(staging);
    let mut out = OnlineOutcome {
        problems: Vec::new(),
        failure: None,
        groups: groups.len(),
        senders: staging.senders().len(),
    };
    match client.get_group_info(&groups).await {
        Ok(infos) => {
            out.problems.extend(check_groups(staging, &infos));
            out.problems.extend(check_staged_groups(staging, &infos));
        }
        Err(e) => out.failure = Some(e),
    }
    if !accounts.is_empty() && out.failure.is_none() {
        match client.account_check(&accounts).await {
            Ok(results) => {
                out.problems.extend(check_accounts(staging, &results));
                out.problems.extend(check_group_accounts(staging, &results));
            }
            Err(e) => out.failure = Some(e),
        }
    }
    if let Some(e) = &out.failure {
        let place = Place {
            file: crate::escape::path(staging.root()).into(),
            line: 0,
            offset: 0,
        };
        let finding = Finding::error(
            ProblemKind::OnlineCheck,
            None,
            format!("the online checks could not be completed: {e}"),
        );
        out.problems.push(finding.at(&place, None));
    }
    out
}

/// Every account the staging names, once, sorted: the senders of valid messages, and the
/// owners and members of `groups.jsonl`.
pub fn named_accounts(staging: &Staging) -> Vec<String> {
    let mut accounts: Vec<String> = staging
        .senders()
        .iter()
        .map(|s| s.name.to_string())
        .chain(staging.migration().groups().iter().flat_map(|g| {
            g.owner
                .iter()
                .cloned()
                .chain(g.members.iter().map(|m| m.item.member_account.clone()))
        }))
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
}

/// The accounts the staging names (senders, owners, members) that are neither in the app nor
/// staged in `accounts.jsonl`, sorted: what a run lists before it sends anything.
pub async fn missing_accounts(staging: &Staging, client: &Client) -> Result<Vec<String>, ApiError> {
    let migration = staging.migration();
    let unstaged: Vec<String> = named_accounts(staging)
        .into_iter()
        .filter(|a| !migration.stages_account(a))
        .collect();
    if unstaged.is_empty() {
        return Ok(Vec::new());
    }
    let results = client.account_check(&unstaged).await?;
    let imported: std::collections::HashSet<&str> = results
        .iter()
        .filter(|r| r.is_imported())
        .map(|r| r.user_id.as_str())
        .collect();
    Ok(unstaged
        .iter()
        .filter(|a| !imported.contains(a.as_str()))
        .cloned()
        .collect())
}

/// What to do about an account that is neither in the app nor staged.
const IMPORT_IT: &str = "stage it in accounts.jsonl, or let `timport run --import-missing-senders` import it by UserID alone";

/// Problems of the groups `groups.jsonl` stages that exist already: each is used as it is when
/// its type and creation time allow the history, else refused with the reason (at its line).
/// A missing one is not a problem: the run creates it.
pub fn check_staged_groups(staging: &Staging, infos: &[GroupInfo]) -> Vec<Problem> {
    let mut out = Vec::new();
    for info in infos.iter().filter(|i| i.error_code == 0) {
        let Some(group) = staging.migration().group(&info.group_id) else {
            continue;
        };
        let first = crate::staging::migration::first_message(staging, &group.group_id);
        let finding = match crate::staging::migration::judge(group, info, first) {
            Existing::Refuse(why) => Finding::error(ProblemKind::GroupType, Some("GroupId"), why),
            Existing::Use(Some(note)) => {
                Finding::warning(ProblemKind::GroupTime, Some("CreateTime"), note)
            }
            Existing::Use(None) => continue,
        };
        out.push(finding.at(&group.place, None));
    }
    out
}

/// Problems of the owners and members `groups.jsonl` names that are neither accounts of the app
/// nor staged in `accounts.jsonl`.
pub fn check_group_accounts(staging: &Staging, results: &[AccountCheckResult]) -> Vec<Problem> {
    let migration = staging.migration();
    let status: HashMap<&str, &AccountCheckResult> =
        results.iter().map(|r| (r.user_id.as_str(), r)).collect();
    let mut out = Vec::new();
    for g in migration.groups() {
        let named = g
            .owner
            .iter()
            .map(|o| ("Owner_Account".to_owned(), o))
            .chain(g.members.iter().map(|m| {
                (
                    format!("MemberList[{}].Member_Account", m.index),
                    &m.item.member_account,
                )
            }));
        for (field, account) in named {
            if migration.stages_account(account) {
                continue;
            }
            let text = match status.get(account.as_str()) {
                Some(r) if r.is_imported() => continue,
                Some(r) if r.result_code == 0 => {
                    format!("{account:?} is neither an account of the app nor staged: {IMPORT_IT}")
                }
                Some(r) => format!(
                    "{account:?} could not be checked: {}",
                    explain(r.result_code)
                ),
                None => {
                    format!("{account:?} is missing from account_check's answer; check it by hand")
                }
            };
            out.push(
                Finding::error(ProblemKind::AccountNotImported, Some(&field), text)
                    .at(&g.place, None),
            );
        }
    }
    out
}

fn place_of(staging: &Staging, e: &IndexEntry) -> Place {
    let source = staging.source_of(e);
    Place {
        file: source.file,
        line: source.line,
        offset: source.offset,
    }
}

fn valid(t: &TargetIndex) -> impl Iterator<Item = IndexEntry> + '_ {
    t.entries().iter().filter(IndexEntry::is_valid)
}

/// A target's valid messages not later than `time`: how many, and the first.
fn not_later_than(t: &TargetIndex, time: i64) -> Option<(usize, IndexEntry)> {
    let mut early = valid(t).take_while(|e| e.send_time() <= time);
    let first = early.next()?;
    Some((1 + early.count(), first))
}

/// Problems in `get_group_info`'s answers for the staged groups.
pub fn check_groups(staging: &Staging, infos: &[GroupInfo]) -> Vec<Problem> {
    let mut out = Vec::new();
    for info in infos {
        let targets: Vec<&TargetIndex> = staging.group_targets(&info.group_id).collect();
        // Problems sit at the group's first staged message (any, when none is valid).
        let Some((first, _)) = targets
            .iter()
            .filter_map(|t| {
                valid(t)
                    .next()
                    .or(t.entries().first())
                    .map(|e| (e, t.target()))
            })
            .min_by_key(|(e, _)| (!e.is_valid(), e.order_key()))
        else {
            continue;
        };
        let at = place_of(staging, &first);
        let mut push = |place: &Place, target: &Target, kind, field: Option<&str>, text: String| {
            out.push(Finding::error(kind, field, text).at(place, Some(target)));
        };
        let group = &info.group_id;
        if info.error_code == 10010 && staging.migration().group(group).is_some() {
            // groups.jsonl stages it: the run creates it.
            continue;
        }
        if info.error_code != 0 {
            let said = if info.error_info.is_empty() {
                String::new()
            } else {
                format!(" (service said: {})", info.error_info)
            };
            for t in &targets {
                push(
                    &at,
                    t.target(),
                    ProblemKind::GroupNotFound,
                    Some("GroupId"),
                    format!("group {group:?}: {}{said}", explain(info.error_code)),
                );
            }
            continue;
        }
        let group_type = info.group_type.as_deref().map(GroupType::parse);
        if let Some(kind) = group_type.as_ref().filter(|k| !k.can_import()) {
            for t in &targets {
                push(
                    &at,
                    t.target(),
                    ProblemKind::GroupType,
                    Some("GroupId"),
                    format!(
                        "group {group:?} is a {} group: {}",
                        kind.as_str(),
                        explain(10007)
                    ),
                );
            }
            continue;
        }
        if let Some(kind) = &group_type {
            for t in targets.iter().filter(|t| t.target().topic().is_some()) {
                if *kind != GroupType::Community {
                    let first = t
                        .entries()
                        .first()
                        .map_or(at.clone(), |e| place_of(staging, &e));
                    push(
                        &first,
                        t.target(),
                        ProblemKind::GroupType,
                        Some("TopicId"),
                        format!(
                            "group {group:?} is a {} group; only topic-enabled Community groups have topics, so TopicId {:?} is refused (10004): import into the group itself",
                            kind.as_str(),
                            t.target().topic().unwrap_or_default()
                        ),
                    );
                }
            }
            if !kind.allows_recent_contact_flag() {
                for t in &targets {
                    if let Some(e) = t
                        .entries()
                        .iter()
                        .find(|e| e.flags().contains(Flags::RECENT_CONTACT))
                    {
                        push(
                            &place_of(staging, &e),
                            t.target(),
                            ProblemKind::RecentContactFlag,
                            Some("RecentContactFlag"),
                            format!(
                                "group {group:?} is a {} group, which does not support RecentContactFlag (the service answers 10004): remove it from the request bodies",
                                kind.as_str()
                            ),
                        );
                    }
                }
            }
        }
        for t in &targets {
            if let Some(created) = info.create_time {
                if let Some((n, e)) = not_later_than(t, created) {
                    push(
                        &place_of(staging, &e),
                        t.target(),
                        ProblemKind::GroupTime,
                        Some("SendTime"),
                        format!(
                            "group {group:?} was created at {} UTC, and {n} staged message(s) of {} are not later than that; the service refuses them (10004): recreate the group with import_group and a CreateTime before {} UTC, or remove them",
                            format_unix(created),
                            t.target(),
                            format_unix(first.send_time())
                        ),
                    );
                }
            }
            if let Some(newest) = info.last_msg_time.filter(|&l| l > 0) {
                if let Some((n, e)) = not_later_than(t, newest) {
                    push(
                        &place_of(staging, &e),
                        t.target(),
                        ProblemKind::GroupTime,
                        Some("SendTime"),
                        format!(
                            "group {group:?} already holds messages up to {} UTC, and {n} staged message(s) of {} are not later than that; imports must be later than the group's newest message, so they can never go in: remove them, or import into a fresh group",
                            format_unix(newest),
                            t.target()
                        ),
                    );
                }
            }
        }
    }
    out
}

/// Problems in `account_check`'s answers for the staged senders: one per target a missing sender
/// has messages in, at the sender's first message.
pub fn check_accounts(staging: &Staging, results: &[AccountCheckResult]) -> Vec<Problem> {
    let mut out = Vec::new();
    let status: HashMap<&str, &AccountCheckResult> =
        results.iter().map(|r| (r.user_id.as_str(), r)).collect();
    for (id, sender) in staging.senders().iter().enumerate() {
        let result = status.get(&*sender.name).copied();
        if result.is_some_and(AccountCheckResult::is_imported)
            || staging.migration().stages_account(&sender.name)
        {
            continue;
        }
        let at = Place {
            file: staging.files()[sender.file as usize].path.clone(),
            line: sender.line,
            offset: sender.offset,
        };
        let text = match result {
            Some(r) if r.result_code == 0 => format!(
                "sender {:?} ({} staged message(s)): {}; {IMPORT_IT}",
                sender.name,
                sender.messages,
                explain(70107)
            ),
            Some(r) => format!(
                "sender {:?} could not be checked: {}{}",
                sender.name,
                explain(r.result_code),
                if r.result_info.is_empty() {
                    String::new()
                } else {
                    format!(" (service said: {})", r.result_info)
                }
            ),
            None => format!(
                "sender {:?} is missing from account_check's answer; check it by hand",
                sender.name
            ),
        };
        let kind = if result.is_some_and(|r| r.result_code == 0) {
            ProblemKind::AccountNotImported
        } else {
            ProblemKind::OnlineCheck
        };
        for t in staging.targets() {
            if t.senders.binary_search(&(id as u32)).is_ok() {
                out.push(
                    Finding::error(kind, Some("From_Account"), text.clone())
                        .at(&at, Some(t.target())),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::{ScanOptions, Severity, scan};

    fn staged(files: &[(&str, &str)]) -> (tempfile::TempDir, Staging) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let s = scan(dir.path(), &ScanOptions::new(1_700_000_000)).unwrap();
        (dir, s)
    }

    fn line(from: &str, time: i64) -> String {
        format!(
            r#"{{"From_Account":"{from}","SendTime":{time},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"x"}}}}]}}"#
        )
    }

    fn info(group: &str, kind: &str, created: i64, newest: i64) -> GroupInfo {
        GroupInfo {
            group_id: group.into(),
            group_type: Some(kind.into()),
            create_time: Some(created),
            last_msg_time: Some(newest),
            ..GroupInfo::default()
        }
    }

    fn kinds(problems: &[Problem]) -> Vec<(ProblemKind, String, u32)> {
        problems
            .iter()
            .map(|p| (p.kind, p.target.as_ref().unwrap().to_string(), p.line))
            .collect()
    }

    #[test]
    fn a_group_that_fits_has_no_problem() {
        let (_d, s) = staged(&[("g.jsonl", &line("a", 100))]);
        assert!(check_groups(&s, &[info("g", "Public", 50, 60)]).is_empty());
        assert!(check_groups(&s, &[info("g", "Work", 50, 0)]).is_empty());
    }

    #[test]
    fn missing_groups_are_explained_from_the_catalogue() {
        let (_d, s) = staged(&[("g.jsonl", &line("a", 100))]);
        let missing = GroupInfo {
            group_id: "g".into(),
            error_code: 10010,
            error_info: "group not found".into(),
            ..GroupInfo::default()
        };
        let found = check_groups(&s, &[missing]);
        assert_eq!(kinds(&found), [(ProblemKind::GroupNotFound, "g".into(), 1)]);
        assert!(
            found[0].message.contains(explain(10010).remedy),
            "{}",
            found[0].message
        );
        assert!(found[0].message.contains("service said: group not found"));
    }

    #[test]
    fn types_that_cannot_import_topics_and_recent_contact() {
        let (_d, s) = staged(&[
            ("live.jsonl", &line("a", 100)),
            ("plain@TOPIC#_t.jsonl", &line("a", 100)),
            (
                "c.json",
                &format!(
                    r#"{{"GroupId":"club","RecentContactFlag":1,"MsgList":[{}]}}"#,
                    line("a", 100)
                ),
            ),
        ]);
        let found = check_groups(
            &s,
            &[
                info("live", "AVChatRoom", 1, 0),
                info("plain", "Private", 1, 0),
                info("club", "Community", 1, 0),
            ],
        );
        let k: Vec<ProblemKind> = found.iter().map(|p| p.kind).collect();
        assert_eq!(
            k,
            [
                ProblemKind::GroupType,
                ProblemKind::GroupType,
                ProblemKind::RecentContactFlag
            ]
        );
        assert!(found[0].message.contains("AVChatRoom") && found[0].message.contains("10007"));
        assert!(found[1].message.contains("TopicId"));
        assert!(found.iter().all(|p| p.severity == Severity::Error));
    }

    #[test]
    fn creation_and_newest_message_must_be_earlier_than_what_is_staged() {
        let lines = [line("a", 100), line("b", 200), line("c", 300)].join("\n");
        let (_d, s) = staged(&[("g.jsonl", &lines)]);
        let created_late = check_groups(&s, &[info("g", "Public", 150, 0)]);
        assert_eq!(
            kinds(&created_late),
            [(ProblemKind::GroupTime, "g".into(), 1)]
        );
        assert!(created_late[0].message.contains("1 staged message(s)"));
        let newer = check_groups(&s, &[info("g", "Public", 50, 200)]);
        assert_eq!(kinds(&newer), [(ProblemKind::GroupTime, "g".into(), 1)]);
        assert!(
            newer[0].message.contains("2 staged message(s)"),
            "{}",
            newer[0].message
        );
        assert!(newer[0].message.contains("never go in"));
    }

    #[test]
    fn senders_not_imported_are_named_per_target() {
        let (_d, s) = staged(&[
            ("g.jsonl", &[line("alice", 1), line("bob", 2)].join("\n")),
            ("h.jsonl", &[line("x", 1), line("bob", 3)].join("\n")),
        ]);
        let answer = |user: &str, status: &str, code: i64| AccountCheckResult {
            user_id: user.into(),
            result_code: code,
            result_info: String::new(),
            account_status: status.into(),
        };
        let found = check_accounts(
            &s,
            &[
                answer("alice", "Imported", 0),
                answer("bob", "NotImported", 0),
                answer("x", "", 70402),
            ],
        );
        assert_eq!(
            kinds(&found),
            [
                (ProblemKind::AccountNotImported, "g".into(), 2),
                (ProblemKind::AccountNotImported, "h".into(), 2),
                (ProblemKind::OnlineCheck, "h".into(), 1),
            ]
        );
        assert!(found[0].message.contains("\"bob\" (2 staged message(s))"));
        assert!(found[0].message.contains(explain(70107).remedy));
        let none = check_accounts(&s, &[]);
        assert_eq!(
            none.len(),
            4,
            "an account missing from the answer is not taken as imported"
        );
    }

    #[test]
    fn a_migration_creates_missing_groups_and_imports_staged_accounts() {
        let groups = [
            r#"{"GroupId":"new","Type":"Public","Name":"N","CreateTime":50,"Owner_Account":"olga","MemberList":[{"Member_Account":"ann"},{"Member_Account":"zed"}]}"#,
            r#"{"GroupId":"old","Type":"Public","Name":"O","CreateTime":50}"#,
            r#"{"GroupId":"late","Type":"Public","Name":"L","CreateTime":50}"#,
        ]
        .join("\n");
        let (_d, s) = staged(&[
            ("accounts.jsonl", r#"{"UserID":"olga"}"#),
            ("groups.jsonl", &groups),
            ("new.jsonl", &line("olga", 100)),
            ("late.jsonl", &line("bob", 100)),
        ]);
        let missing = GroupInfo {
            group_id: "new".into(),
            error_code: 10010,
            ..GroupInfo::default()
        };
        let infos = [
            missing,
            info("old", "Private", 40, 0),
            info("late", "Public", 150, 0),
        ];
        assert!(
            check_groups(&s, &infos[..1]).is_empty(),
            "a staged group that does not exist is created, not a problem"
        );
        let found = check_staged_groups(&s, &infos);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 2, "{shown:#?}");
        assert!(
            shown[0].starts_with("groups.jsonl:2: error [group_type] GroupId"),
            "{}",
            shown[0]
        );
        assert!(
            shown[1].starts_with("groups.jsonl:3: error [group_type] GroupId"),
            "{}",
            shown[1]
        );
        assert!(shown[1].contains("not before its first staged message"));

        assert_eq!(named_accounts(&s), ["ann", "bob", "olga", "zed"]);
        let answer = |user: &str, status: &str| AccountCheckResult {
            user_id: user.into(),
            result_code: 0,
            result_info: String::new(),
            account_status: status.into(),
        };
        let results = [
            answer("ann", "Imported"),
            answer("bob", "NotImported"),
            answer("olga", "NotImported"),
            answer("zed", "NotImported"),
        ];
        let found = check_group_accounts(&s, &results);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1, "olga is staged, ann imported: {shown:#?}");
        assert!(shown[0].starts_with(
            "groups.jsonl:1: error [account_not_imported] MemberList[1].Member_Account: \"zed\""
        ));
        assert!(shown[0].contains("--import-missing-senders"));
        let senders = check_accounts(&s, &results);
        assert_eq!(senders.len(), 1, "olga is staged; bob is not");
        assert!(senders[0].message.contains("\"bob\""));
    }
}
