//! The lane key: a group, or one topic of a topic-enabled Community group. It is staging's
//! [`crate::staging::Target`]; the engine adds how it looks in events and `--json` output.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use crate::staging::Target;

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
