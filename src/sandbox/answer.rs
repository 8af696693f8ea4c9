//! Answers in the service's shape: the envelope (`ActionStatus`, `ErrorCode`, `ErrorInfo`)
//! followed by the command's own fields. Error texts come from the one catalogue
//! (`api::catalogue`), with the specific detail appended.

use serde_json::{Map, Value};

use crate::api::explain;
use crate::api::types::Envelope;

/// A whole request refused with a service code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: i64,
    pub(crate) detail: String,
}

impl Refusal {
    pub(crate) fn new(code: i64, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
        }
    }

    /// `ErrorInfo`: the catalogue's meaning, then what exactly was wrong.
    pub(crate) fn error_info(&self) -> String {
        error_info(self.code, &self.detail)
    }
}

/// The catalogue's meaning of `code`, with `detail` after it when there is one.
pub(crate) fn error_info(code: i64, detail: &str) -> String {
    let meaning = explain(code).meaning;
    if detail.is_empty() {
        meaning.to_owned()
    } else {
        format!("{meaning}: {detail}")
    }
}

/// The JSON of a successful answer: the OK envelope, then `payload`'s fields in order.
pub(crate) fn ok_body(payload: Value) -> Value {
    with_envelope(Envelope::ok(), payload)
}

/// The JSON of a refused request: the envelope only.
pub(crate) fn refused_body(refusal: &Refusal) -> Value {
    with_envelope(
        Envelope::fail(refusal.code, refusal.error_info()),
        Value::Object(Map::new()),
    )
}

fn with_envelope(envelope: Envelope, payload: Value) -> Value {
    let mut out = Map::new();
    out.insert("ActionStatus".into(), envelope.action_status.into());
    out.insert("ErrorInfo".into(), envelope.error_info.into());
    out.insert("ErrorCode".into(), envelope.error_code.into());
    if let Value::Object(fields) = payload {
        out.extend(fields);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_comes_first_and_fields_follow() {
        let body = ok_body(serde_json::json!({"GroupId": "g", "Next": 1}));
        assert_eq!(
            body.to_string(),
            r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"GroupId":"g","Next":1}"#
        );
        let refused = refused_body(&Refusal::new(10010, "group 'x'"));
        let envelope: Envelope = serde_json::from_value(refused).unwrap();
        assert_eq!(envelope.error_code, 10010);
        assert_eq!(envelope.action_status, "FAIL");
        assert!(envelope.error_info.starts_with(explain(10010).meaning));
        assert!(envelope.error_info.ends_with(": group 'x'"));
    }
}
