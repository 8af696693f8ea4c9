//! One line of `accounts.jsonl`: an `account_import` body. `UserID` (required, 1 to 32 bytes),
//! `Nick` and `FaceUrl` (optional strings, at most 500 bytes each: the service answers 40601
//! past that). Other fields are reported and not sent.

use serde_json::{Map, Value};

use crate::api::types::{AccountImportRequest, MAX_PROFILE_BYTES, MAX_USER_ID_BYTES};
use crate::staging::problem::{Finding, ProblemKind};
use crate::staging::rules::{missing, type_name, wrong_type};

/// The fields of an `accounts.jsonl` line.
pub const ACCOUNT_FIELDS: [&str; 3] = ["UserID", "Nick", "FaceUrl"];

/// A line's JSON object, or why it is not one.
pub(super) fn object(bytes: &[u8]) -> Result<Map<String, Value>, Finding> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Finding::error(
            ProblemKind::NotUtf8,
            None,
            format!("the line is not UTF-8 text (byte {})", e.valid_up_to()),
        )
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Finding::error(
            ProblemKind::Shape,
            None,
            format!(
                "the line must be one JSON object, not {}",
                type_name(&other)
            ),
        )),
        Err(e) => Err(Finding::error(
            ProblemKind::InvalidJson,
            None,
            format!("the line is not JSON: {e}"),
        )),
    }
}

/// A string field: `Ok(None)` when absent; its kind of problem when too long or empty.
pub(super) fn string(
    obj: &Map<String, Value>,
    field: &str,
    path: &str,
    max_bytes: usize,
    kind: ProblemKind,
) -> Result<Option<String>, Finding> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::String(s)) if s.len() > max_bytes => Err(Finding::error(
            kind,
            Some(path),
            format!(
                "{path} is {} bytes; the service takes at most {max_bytes}",
                s.len()
            ),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(path, "a string", other)),
    }
}

/// A UserID field (`UserID`, `Owner_Account`, `Member_Account`): a string of 1 to 32 bytes.
pub(super) fn user_id(
    obj: &Map<String, Value>,
    field: &str,
    path: &str,
    required: bool,
) -> Result<Option<String>, Finding> {
    let id = string(obj, field, path, MAX_USER_ID_BYTES, ProblemKind::AccountId)?;
    match id {
        None if required => Err(missing(path, "a UserID (a string)")),
        Some(id) if id.is_empty() => Err(Finding::error(
            ProblemKind::AccountId,
            Some(path),
            format!("{path} is empty; it must name an account"),
        )),
        id => Ok(id),
    }
}

/// The account a line stages, and every problem with it.
pub fn check_account_line(bytes: &[u8]) -> (Option<AccountImportRequest>, Vec<Finding>) {
    let obj = match object(bytes) {
        Ok(obj) => obj,
        Err(f) => return (None, vec![f]),
    };
    let mut findings = Vec::new();
    let user_id = user_id(&obj, "UserID", "UserID", true);
    let nick = string(
        &obj,
        "Nick",
        "Nick",
        MAX_PROFILE_BYTES,
        ProblemKind::ProfileField,
    );
    let face_url = string(
        &obj,
        "FaceUrl",
        "FaceUrl",
        MAX_PROFILE_BYTES,
        ProblemKind::ProfileField,
    );
    for name in obj.keys().filter(|k| !ACCOUNT_FIELDS.contains(&k.as_str())) {
        findings.push(Finding::warning(
            ProblemKind::UnknownField,
            Some(name),
            format!("{name} is not a field of account_import and is not sent"),
        ));
    }
    let account = match (user_id, nick, face_url) {
        (Ok(Some(user_id)), Ok(nick), Ok(face_url)) => Some(AccountImportRequest {
            user_id,
            nick,
            face_url,
        }),
        (user_id, nick, face_url) => {
            findings.extend(user_id.err());
            findings.extend(nick.err());
            findings.extend(face_url.err());
            None
        }
    };
    (account, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(ProblemKind, Option<String>)> {
        check_account_line(line.as_bytes())
            .1
            .into_iter()
            .map(|f| (f.kind, f.field))
            .collect()
    }

    #[test]
    fn accounts_take_a_user_id_and_a_profile() {
        let (account, findings) =
            check_account_line(br#"{"UserID":"ann","Nick":"Ann","FaceUrl":"https://x/a.png"}"#);
        assert!(findings.is_empty());
        let account = account.unwrap();
        assert_eq!(
            (account.user_id.as_str(), account.nick.as_deref()),
            ("ann", Some("Ann"))
        );
        assert_eq!(
            serde_json::to_string(&account).unwrap(),
            r#"{"UserID":"ann","Nick":"Ann","FaceUrl":"https://x/a.png"}"#
        );
    }

    #[test]
    fn each_problem_names_its_field() {
        let field = |s: &str| Some(s.to_owned());
        assert_eq!(
            kinds(r#"{"Nick":"a"}"#),
            [(ProblemKind::MissingField, field("UserID"))]
        );
        assert_eq!(
            kinds(r#"{"UserID":""}"#),
            [(ProblemKind::AccountId, field("UserID"))]
        );
        assert_eq!(
            kinds(&format!(r#"{{"UserID":"{}"}}"#, "u".repeat(33))),
            [(ProblemKind::AccountId, field("UserID"))]
        );
        assert_eq!(
            kinds(r#"{"UserID":7}"#),
            [(ProblemKind::WrongType, field("UserID"))]
        );
        assert_eq!(
            kinds(&format!(r#"{{"UserID":"a","Nick":"{}"}}"#, "n".repeat(501))),
            [(ProblemKind::ProfileField, field("Nick"))]
        );
        assert_eq!(
            kinds(r#"{"UserID":"a","Gender":"x"}"#),
            [(ProblemKind::UnknownField, field("Gender"))]
        );
        assert_eq!(kinds("[1]"), [(ProblemKind::Shape, None)]);
        assert_eq!(kinds("{"), [(ProblemKind::InvalidJson, None)]);
        assert_eq!(
            check_account_line(b"{\"UserID\":\"\xff\"}").1[0].kind,
            ProblemKind::NotUtf8
        );
    }
}
