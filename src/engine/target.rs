//! The lane key: a group, or one topic of a topic-enabled Community group.
//!
//! This mirrors the `Target` that `staging` is agreed to provide (same constructor and
//! accessors); when `staging` lands, this file becomes a re-export of it so that the console and
//! the engine speak of one type.

use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// One import lane: `(GroupId, Option<TopicId>)`. Cheap to clone.
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

    /// The group id.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The topic id, when this is a topic's lane.
    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.topic() {
            Some(topic) => write!(f, "{} topic {}", self.group, topic),
            None => f.write_str(&self.group),
        }
    }
}

/// `{"group": ..., "topic": ...}` (topic omitted for a plain group).
impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Target", 2)?;
        st.serialize_field("group", self.group())?;
        match self.topic() {
            Some(topic) => st.serialize_field("topic", topic)?,
            None => st.skip_field("topic")?,
        }
        st.end()
    }
}
