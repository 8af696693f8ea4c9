//! Targets: the `(GroupId, TopicId)` pairs that each get one ordered import lane, how a file name
//! names one, and the offline rules about group and topic ids.

use std::fmt;
use std::sync::Arc;

use super::problem::{Finding, ProblemKind};
use crate::escape;

/// Longest group id the service accepts (custom ids; the sandbox refuses longer with 10015).
pub const MAX_GROUP_ID_BYTES: usize = 48;

/// Every Community group id starts with this; only those can hold topics, and only those refuse
/// `RecentContactFlag` (docs/service.md#import_group_msg).
pub const COMMUNITY_PREFIX: &str = "@TGS#_";

/// What separates the group id from the topic name inside a topic id
/// (`@TGS#_<group>@TOPIC#_<name>`).
pub const TOPIC_MARKER: &str = "@TOPIC#";

/// One import lane: a group, or one topic of a topic-enabled Community group. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    group: Arc<str>,
    topic: Option<Arc<str>>,
}

impl Target {
    /// A target for `group`, optionally one of its topics.
    pub fn new(group: &str, topic: Option<&str>) -> Self {
        Target {
            group: group.into(),
            topic: topic.map(Into::into),
        }
    }

    /// The target a file stem names: the stem is the group id, unless it is a topic id
    /// (`<group>@TOPIC#<name>`), which names that topic of the group before the marker.
    pub fn from_stem(stem: &str) -> Self {
        match stem.find(TOPIC_MARKER) {
            Some(at) if at > 0 => Target::new(&stem[..at], Some(stem)),
            _ => Target::new(stem, None),
        }
    }

    /// The target after a message's or a body's own `GroupId` / `TopicId` override the file's.
    /// A `GroupId` naming another group drops the file's topic (a topic belongs to one group).
    pub fn overridden(&self, group: Option<&str>, topic: Option<&str>) -> Target {
        let group_changed = group.is_some_and(|g| g != &*self.group);
        let topic_changed = topic.is_some_and(|t| Some(t) != self.topic());
        if !group_changed && !topic_changed {
            // The common case, once per staged message: share the file's target.
            return self.clone();
        }
        let group = group.unwrap_or(&self.group);
        let topic = match topic {
            Some(t) => Some(t),
            None if group_changed => None,
            None => self.topic.as_deref(),
        };
        Target::new(group, topic)
    }

    /// The group id.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The topic id, when this is a topic's lane.
    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// True when the group id has the shape of a Community group id.
    pub fn looks_like_community(&self) -> bool {
        self.group.starts_with(COMMUNITY_PREFIX)
    }

    /// The offline rules about the ids themselves; each finding applies to every message of
    /// the target.
    pub fn check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        check_id(&self.group, "GroupId", MAX_GROUP_ID_BYTES, &mut out);
        if let Some(topic) = self.topic() {
            check_id(topic, "TopicId", usize::MAX, &mut out);
            if !self.looks_like_community() {
                out.push(Finding::warning(
                    ProblemKind::TopicId,
                    Some("TopicId"),
                    format!(
                        "TopicId {topic:?} is set, but group {:?} does not look like a Community group (their ids start with {COMMUNITY_PREFIX}); only topic-enabled Community groups have topics: check the group (online validation confirms its type)",
                        self.group
                    ),
                ));
            } else if !topic.starts_with(&format!("{}{TOPIC_MARKER}", self.group)) {
                out.push(Finding::warning(
                    ProblemKind::TopicId,
                    Some("TopicId"),
                    format!(
                        "TopicId {topic:?} does not start with its group id and {TOPIC_MARKER:?} ({}{TOPIC_MARKER}...), the shape the service gives topic ids; check that it belongs to this group",
                        self.group
                    ),
                ));
            }
        }
        out
    }
}

impl fmt::Display for Target {
    /// For people: control characters escaped (a group id comes from a file name or a line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = escape::controls(&self.group);
        match self.topic() {
            Some(topic) => write!(f, "{group} topic {}", escape::controls(topic)),
            None => f.write_str(&group),
        }
    }
}

fn check_id(id: &str, field: &str, max_bytes: usize, out: &mut Vec<Finding>) {
    let reason = if id.is_empty() {
        Some("is empty".to_owned())
    } else if id.len() > max_bytes {
        Some(format!(
            "is {} bytes; at most {max_bytes} are allowed",
            id.len()
        ))
    } else if id.chars().any(char::is_control) {
        Some("contains control characters".to_owned())
    } else {
        None
    };
    if let Some(reason) = reason {
        out.push(Finding::error(
            ProblemKind::GroupId,
            Some(field),
            format!("{field} {id:?} {reason} (the service answers 10015, invalid group id)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_name_groups_and_topics() {
        let plain = Target::from_stem("@TGS#2C5SZEAEF");
        assert_eq!((plain.group(), plain.topic()), ("@TGS#2C5SZEAEF", None));
        let topic = Target::from_stem("@TGS#_g1@TOPIC#_news");
        assert_eq!(topic.group(), "@TGS#_g1");
        assert_eq!(topic.topic(), Some("@TGS#_g1@TOPIC#_news"));
        // A marker at the very start names no group: the whole stem is the group.
        assert_eq!(Target::from_stem("@TOPIC#x").topic(), None);
        assert_eq!(topic.to_string(), "@TGS#_g1 topic @TGS#_g1@TOPIC#_news");
    }

    #[test]
    fn overrides_replace_group_and_drop_a_foreign_topic() {
        let file = Target::from_stem("@TGS#_g1@TOPIC#_news");
        assert_eq!(file.overridden(None, None), file);
        assert_eq!(file.overridden(Some("@TGS#_g1"), None), file);
        assert_eq!(
            file.overridden(Some("other"), None),
            Target::new("other", None)
        );
        assert_eq!(
            file.overridden(None, Some("@TGS#_g1@TOPIC#_x")),
            Target::new("@TGS#_g1", Some("@TGS#_g1@TOPIC#_x"))
        );
    }

    #[test]
    fn group_ids_must_be_short_non_empty_and_printable() {
        assert!(Target::new("g1", None).check().is_empty());
        for bad in ["", &"x".repeat(49), "a\tb"] {
            let found = Target::new(bad, None).check();
            assert_eq!(found.len(), 1, "{bad:?}");
            assert_eq!(found[0].kind, ProblemKind::GroupId);
            assert!(found[0].message.contains("10015"), "{}", found[0].message);
        }
        assert!(Target::new(&"x".repeat(48), None).check().is_empty());
    }

    #[test]
    fn topics_only_on_community_groups() {
        let ok = Target::new("@TGS#_g1", Some("@TGS#_g1@TOPIC#_news"));
        assert!(ok.check().is_empty());
        let not_community = Target::new("g1", Some("g1@TOPIC#_news")).check();
        assert_eq!(not_community.len(), 1);
        assert!(
            !not_community[0].is_error(),
            "only the service knows the type"
        );
        assert_eq!(not_community[0].kind, ProblemKind::TopicId);
        let foreign = Target::new("@TGS#_g1", Some("@TGS#_g2@TOPIC#_news")).check();
        assert_eq!(foreign.len(), 1);
        assert!(!foreign[0].is_error());
        assert!(!Target::new("@TGS#_g1", Some("")).check().is_empty());
    }
}
