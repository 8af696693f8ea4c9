//! Whether a group that already exists in the app can take what `groups.jsonl` stages for it:
//! it is used as it is when its type is the staged one and it was created before the group's
//! first staged message (the service takes only messages later than a group's creation); it is
//! refused, with the reason, otherwise. One rule for `timport validate`'s online checks and the
//! run's groups phase.

use crate::api::types::{GroupInfo, GroupType};
use crate::clock::format_unix;

use super::StagedGroup;

/// What to do with a staged group the app already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Use it as it is; a note when it differs from the staged line in a way that does not
    /// matter for the history (its creation time).
    Use(Option<String>),
    /// It cannot take the history as staged: why, and what to do.
    Refuse(String),
}

/// Judges the existing group `info` against the staged `group`, whose first staged message is
/// at `first_message`.
pub fn judge(group: &StagedGroup, info: &GroupInfo, first_message: Option<i64>) -> Existing {
    let id = &group.group_id;
    let actual = info.group_type.as_deref().map(GroupType::parse);
    if let Some(actual) = &actual {
        if !actual.can_import() {
            return Existing::Refuse(format!(
                "group {id:?} already exists as a {} group, which keeps no imported history (10007): import into another group",
                actual.as_str()
            ));
        }
        if *actual != group.group_type {
            return Existing::Refuse(format!(
                "group {id:?} already exists as a {} group, but groups.jsonl stages it as {}: make the line say {} to use the existing group, or stage the history under another GroupId",
                actual.as_str(),
                group.group_type.as_str(),
                actual.as_str()
            ));
        }
    }
    let created = info.create_time;
    if let (Some(created), Some(first)) = (created, first_message) {
        if created >= first {
            return Existing::Refuse(format!(
                "group {id:?} already exists, created at {} ({created}), not before its first staged message at {} ({first}); the service takes only messages later than the group's creation, so its history cannot go in: stage it under a new GroupId (timport creates it with the staged CreateTime)",
                format_unix(created),
                format_unix(first)
            ));
        }
    }
    let note = match (created, group.create_time) {
        (Some(c), Some(staged)) if c != staged => Some(format!(
            "group {id:?} already exists (created at {}), so it is used as it is; the staged CreateTime {} is not applied",
            format_unix(c),
            format_unix(staged)
        )),
        _ => None,
    };
    Existing::Use(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::problem::Place;

    fn staged(kind: GroupType, create_time: Option<i64>) -> StagedGroup {
        StagedGroup {
            group_id: "g".into(),
            group_type: kind,
            name: "G".into(),
            owner: None,
            create_time,
            body: "{}".into(),
            members: Vec::new(),
            place: Place {
                file: "groups.jsonl".into(),
                line: 1,
                offset: 0,
            },
        }
    }

    fn info(kind: &str, created: i64) -> GroupInfo {
        GroupInfo {
            group_id: "g".into(),
            group_type: Some(kind.into()),
            create_time: Some(created),
            ..GroupInfo::default()
        }
    }

    #[test]
    fn an_existing_group_is_used_when_its_type_and_creation_allow_the_history() {
        let g = staged(GroupType::Private, Some(100));
        assert_eq!(
            judge(&g, &info("Work", 100), Some(150)),
            Existing::Use(None)
        );
        assert_eq!(judge(&g, &info("Private", 100), None), Existing::Use(None));
        assert!(matches!(
            judge(&g, &info("Private", 90), Some(150)),
            Existing::Use(Some(note)) if note.contains("not applied")
        ));
    }

    #[test]
    fn it_is_refused_with_the_reason_otherwise() {
        let g = staged(GroupType::Public, Some(100));
        let refused = |i| match judge(&g, &i, Some(150)) {
            Existing::Refuse(why) => why,
            other => panic!("{other:?}"),
        };
        assert!(refused(info("Private", 100)).contains("exists as a Private group"));
        assert!(refused(info("AVChatRoom", 100)).contains("10007"));
        assert!(refused(info("Public", 150)).contains("not before its first staged message"));
    }
}
