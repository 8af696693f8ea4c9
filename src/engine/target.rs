//! The lane key: a group, or one topic of a topic-enabled Community group. It is staging's
//! [`crate::staging::Target`]; the engine adds how it looks in events and `--json` output.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// The same shape read back (a console attached to a run reads its events).
impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shape {
            group: String,
            #[serde(default)]
            topic: Option<String>,
        }
        let shape = Shape::deserialize(d)?;
        Ok(Target::new(&shape.group, shape.topic.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_reads_back_as_it_is_written() {
        for t in [
            Target::new("g", None),
            Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t")),
        ] {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<Target>(&json).unwrap(), t, "{json}");
        }
    }
}
