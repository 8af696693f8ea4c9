//! The migration rules that compare lines with each other and with the staged messages: an
//! account or group staged twice, a group's `CreateTime` against its first staged message (the
//! service takes only messages later than the group's creation, so a `CreateTime` at the first
//! message's second would cost that message under the strict reading), owners and members that
//! `accounts.jsonl` does not stage.

use std::collections::HashMap;

use super::Migration;
use crate::clock::format_unix;
use crate::staging::Staging;
use crate::staging::entry::IndexEntry;
use crate::staging::problem::{Finding, Problem, ProblemKind};

/// The time of the group's first valid staged message, over its own target and its topics.
pub fn first_message(staging: &Staging, group: &str) -> Option<i64> {
    staging
        .group_targets(group)
        .filter_map(|t| t.entries().iter().find(IndexEntry::is_valid))
        .map(|e| e.send_time())
        .min()
}

/// Every problem the migration's lines have against each other and the messages.
pub(in crate::staging) fn check(staging: &Staging, migration: &Migration) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut accounts = HashMap::new();
    for a in &migration.accounts {
        if let Some(first) = accounts.insert(a.account.user_id.as_str(), &a.place) {
            accounts.insert(a.account.user_id.as_str(), first);
            out.push(
                Finding::error(
                    ProblemKind::DuplicateId,
                    Some("UserID"),
                    format!(
                        "account {:?} is staged twice (first at {}:{}); keep one line",
                        a.account.user_id, first.file, first.line
                    ),
                )
                .at(&a.place, None),
            );
        }
    }
    let mut groups = HashMap::new();
    for g in &migration.groups {
        if let Some(first) = groups.insert(g.group_id.as_str(), &g.place) {
            groups.insert(g.group_id.as_str(), first);
            out.push(
                Finding::error(
                    ProblemKind::DuplicateId,
                    Some("GroupId"),
                    format!(
                        "group {:?} is staged twice (first at {}:{}); keep one line",
                        g.group_id, first.file, first.line
                    ),
                )
                .at(&g.place, None),
            );
            continue;
        }
        if let Some(first) = first_message(staging, &g.group_id) {
            let finding = match g.create_time {
                None => Some(format!(
                    "CreateTime is missing, so the group would be created now, after its staged history (its first message is at {first}, {}); give a CreateTime before that",
                    format_unix(first)
                )),
                Some(created) if created >= first => Some(format!(
                    "CreateTime {created} ({}) is not earlier than the group's first staged message ({first}, {}); the service takes only messages later than the group's creation: give a CreateTime before it",
                    format_unix(created),
                    format_unix(first)
                )),
                Some(_) => None,
            };
            if let Some(text) = finding {
                out.push(
                    Finding::error(ProblemKind::CreateTime, Some("CreateTime"), text)
                        .at(&g.place, None),
                );
            }
        }
        if migration.has_accounts_file {
            let not_staged = |id: &str| !migration.stages_account(id);
            if let Some(owner) = g.owner.as_deref().filter(|o| not_staged(o)) {
                out.push(not_staged_warning("Owner_Account", owner).at(&g.place, None));
            }
            for m in &g.members {
                if not_staged(&m.item.member_account) {
                    let field = format!("MemberList[{}].Member_Account", m.index);
                    out.push(not_staged_warning(&field, &m.item.member_account).at(&g.place, None));
                }
            }
        }
    }
    out
}

fn not_staged_warning(field: &str, account: &str) -> Finding {
    Finding::warning(
        ProblemKind::AccountNotStaged,
        Some(field),
        format!(
            "{account:?} is not staged in accounts.jsonl: it must already be an account of the app (`timport validate` with a connection checks; `timport run` lists the missing ones before sending anything)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::staging::problem::Severity;
    use crate::staging::{ScanOptions, scan};

    const NOW: i64 = 1_700_000_000;

    fn staged(files: &[(&str, &str)]) -> (crate::staging::Staging, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let staging = scan(dir.path(), &ScanOptions::new(NOW)).unwrap();
        (staging, dir)
    }

    fn msg(time: i64) -> String {
        format!(
            r#"{{"From_Account":"ann","SendTime":{time},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"hi"}}}}]}}"#
        )
    }

    fn problems(staging: &crate::staging::Staging) -> Vec<String> {
        staging.problems().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn migration_files_are_read_beside_the_messages_and_never_as_messages() {
        let (staging, _dir) = staged(&[
            (
                "accounts.jsonl",
                "{\"UserID\":\"ann\",\"Nick\":\"Ann\"}\n\n{\"UserID\":\"olga\"}\n",
            ),
            (
                "groups.jsonl",
                "{\"GroupId\":\"g\",\"Type\":\"Public\",\"Name\":\"G\",\"CreateTime\":1600000000,\"Owner_Account\":\"olga\",\"MemberList\":[{\"Member_Account\":\"ann\",\"JoinTime\":1600000001,\"UnreadMsgNum\":1}]}\n",
            ),
            ("g.jsonl", &format!("{}\n", msg(1_600_000_100))),
        ]);
        assert!(staging.is_importable(), "{:?}", problems(&staging));
        let m = staging.migration();
        assert!(m.is_migration());
        assert_eq!(m.accounts().len(), 2);
        assert_eq!(m.accounts()[1].place.line, 3);
        assert!(m.stages_account("olga") && !m.stages_account("bob"));
        assert_eq!(m.groups()[0].members[0].item.unread_msg_num, Some(1));
        let groups: Vec<&str> = staging
            .targets()
            .iter()
            .map(|t| t.target().group())
            .collect();
        assert_eq!(groups, ["g"], "accounts and groups are no targets");
        assert_eq!(super::first_message(&staging, "g"), Some(1_600_000_100));
        assert_eq!(staging.files().len(), 3, "all three fingerprinted");
    }

    #[test]
    fn a_migration_without_messages_is_a_staging() {
        let (staging, _dir) = staged(&[(
            "groups.jsonl",
            "{\"GroupId\":\"g\",\"Type\":\"Public\",\"Name\":\"G\"}\n",
        )]);
        assert!(staging.is_importable(), "{:?}", problems(&staging));
        let (empty, _dir) = staged(&[("accounts.jsonl", "\n")]);
        assert_eq!(empty.count(Severity::Error), 0);
        assert!(problems(&empty)[0].contains("stages no accounts"));
    }

    #[test]
    fn cross_checks_name_file_line_and_field() {
        let (staging, _dir) = staged(&[
            ("a/accounts.jsonl", "{\"UserID\":\"ann\"}\n"),
            ("b/accounts.jsonl", "{\"UserID\":\"olga\"}\n{\"UserID\":\"ann\"}\n"),
            (
                "groups.jsonl",
                &[
                    r#"{"GroupId":"late","Type":"Public","Name":"L","CreateTime":1600000100}"#,
                    r#"{"GroupId":"none","Type":"Public","Name":"N","Owner_Account":"zed","MemberList":[{"Member_Account":"ann"},{"Member_Account":"yan"}]}"#,
                    r#"{"GroupId":"late","Type":"Public","Name":"L2","CreateTime":1}"#,
                    r#"{"GroupId":"empty","Type":"Public","Name":"E"}"#,
                ]
                .join("\n"),
            ),
            ("late.jsonl", &format!("{}\n", msg(1_600_000_100))),
            ("none.jsonl", &format!("{}\n", msg(1_600_000_200))),
        ]);
        let shown = problems(&staging);
        let expect = [
            "b/accounts.jsonl:2: error [duplicate_id] UserID: account \"ann\" is staged twice (first at a/accounts.jsonl:1)",
            "groups.jsonl:1: error [create_time] CreateTime: CreateTime 1600000100",
            "groups.jsonl:2: error [create_time] CreateTime: CreateTime is missing",
            "groups.jsonl:2: warning [account_not_staged] Owner_Account: \"zed\" is not staged",
            "groups.jsonl:2: warning [account_not_staged] MemberList[1].Member_Account: \"yan\"",
            "groups.jsonl:3: error [duplicate_id] GroupId: group \"late\" is staged twice (first at groups.jsonl:1)",
        ];
        for e in expect {
            assert!(shown.iter().any(|p| p.starts_with(e)), "{e}\nin {shown:#?}");
        }
        assert!(
            !shown.iter().any(|p| p.contains("groups.jsonl:4")),
            "a group without staged messages needs no CreateTime: {shown:#?}"
        );
        assert!(!staging.is_importable());
    }
}
