//! The pure parts of a REST exchange: the request URL and reading an answer (envelope first,
//! then the call's own fields). The client does the I/O around them.

use serde::de::DeserializeOwned;

use super::error::{ApiError, scrub};
use super::region::Endpoint;
use super::types::{Command, Envelope};

/// What goes into the query string of every call.
pub(crate) struct Query<'a> {
    pub sdkappid: u64,
    pub identifier: &'a str,
    pub usersig: &'a str,
    pub random: u32,
}

/// `{endpoint}/v4/{path}?sdkappid=..&identifier=..&usersig=..&random=..&contenttype=json`.
/// The identifier is percent-encoded; a UserSig only holds `[A-Za-z0-9*_-]`, which need none,
/// but it is encoded the same way so a malformed one cannot break the query.
pub(crate) fn request_url(endpoint: &Endpoint, command: Command, q: &Query<'_>) -> String {
    format!(
        "{}?sdkappid={}&identifier={}&usersig={}&random={}&contenttype=json",
        endpoint.command_url(command.path()),
        q.sdkappid,
        percent_encode(q.identifier),
        percent_encode(q.usersig),
        q.random
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `*` (which Tencent's
/// UserSig alphabet uses and which is safe in a query).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~*".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Reads a 200 answer: the envelope first (a refusal becomes [`ApiError::Service`]), then the
/// call's typed fields. `secrets` are scrubbed from any text kept in the error.
pub(crate) fn parse_answer<R: DeserializeOwned>(
    command: Command,
    body: &[u8],
    secrets: &[&str],
) -> Result<R, ApiError> {
    let bad = |what: &str| ApiError::BadAnswer {
        command,
        detail: scrub(
            &format!("{what}; body starts: {}", String::from_utf8_lossy(body)),
            secrets,
        ),
    };
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| bad(&format!("not the service's JSON envelope ({e})")))?;
    if !envelope.is_ok() {
        // An import answered FAIL that still carries one result per message says, message by
        // message, what went in: those results are the answer (calling every message failed
        // would hide what landed). The engine checks their count against the messages sent.
        if command == Command::ImportGroupMsg && carries_results(body) {
            tracing::warn!(
                "import_group_msg answered FAIL ({}: {}) with per-message results; using the results",
                envelope.error_code,
                scrub(&envelope.error_info, secrets)
            );
            return serde_json::from_slice(body)
                .map_err(|e| bad(&format!("unexpected answer fields ({e})")));
        }
        return Err(ApiError::Service {
            command,
            code: envelope.error_code,
            info: scrub(&envelope.error_info, secrets),
        });
    }
    serde_json::from_slice(body).map_err(|e| bad(&format!("unexpected answer fields ({e})")))
}

/// True when an answer holds a non-empty `ImportMsgResult`.
fn carries_results(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Results {
        #[serde(rename = "ImportMsgResult", default)]
        results: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Results>(body).is_ok_and(|r| !r.results.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{GetAppidGroupListResponse, ImportGroupMsgResponse};

    #[test]
    fn url_carries_every_parameter_in_order() {
        let endpoint = Endpoint::parse("https://adminapisgp.im.qcloud.com").unwrap();
        let url = request_url(
            &endpoint,
            Command::ImportGroupMsg,
            &Query {
                sdkappid: 1_400_000_000,
                identifier: "admin one/ü&x",
                usersig: "eJy*ab-c_",
                random: 4_294_967_295,
            },
        );
        assert_eq!(
            url,
            "https://adminapisgp.im.qcloud.com/v4/group_open_http_svc/import_group_msg\
             ?sdkappid=1400000000&identifier=admin%20one%2F%C3%BC%26x&usersig=eJy*ab-c_\
             &random=4294967295&contenttype=json"
        );
    }

    #[test]
    fn envelope_first_then_typed_fields() {
        let ok: ImportGroupMsgResponse = parse_answer(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"ImportMsgResult":[{"MsgSeq":1,"MsgTime":5,"Result":0}]}"#,
            &[],
        )
        .unwrap();
        assert_eq!(ok.import_msg_result[0].msg_seq, 1);

        let refused = parse_answer::<ImportGroupMsgResponse>(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"FAIL","ErrorInfo":"group not found","ErrorCode":10010}"#,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            refused,
            ApiError::Service {
                command: Command::ImportGroupMsg,
                code: 10010,
                info: "group not found".into()
            }
        );

        // Either field alone saying "failed" is a failure.
        // FAIL with per-message results: the results are the answer.
        let mixed: ImportGroupMsgResponse = parse_answer(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"FAIL","ErrorInfo":"some failed","ErrorCode":10004,"ImportMsgResult":[{"MsgSeq":7,"MsgTime":5,"Result":0},{"MsgSeq":0,"MsgTime":0,"Result":80002}]}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            mixed
                .import_msg_result
                .iter()
                .map(|r| r.result)
                .collect::<Vec<_>>(),
            [0, 80002]
        );
        let empty = parse_answer::<ImportGroupMsgResponse>(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":10004,"ImportMsgResult":[]}"#,
            &[],
        );
        assert_eq!(
            empty.unwrap_err().code(),
            Some(10004),
            "no results: a refusal"
        );

        let status_only = parse_answer::<GetAppidGroupListResponse>(
            Command::GetAppidGroupList,
            br#"{"ActionStatus":"FAIL","ErrorCode":0}"#,
            &[],
        )
        .unwrap_err();
        assert_eq!(status_only.code(), Some(0));
        let code_only = parse_answer::<GetAppidGroupListResponse>(
            Command::GetAppidGroupList,
            br#"{"ActionStatus":"OK","ErrorCode":60007,"ErrorInfo":"slow down"}"#,
            &[],
        )
        .unwrap_err();
        assert_eq!(code_only.code(), Some(60007));
    }

    #[test]
    fn garbage_and_wrong_shapes_are_bad_answers_without_secrets() {
        for body in [
            &b"<html>captive portal usersig=SECRETSIG</html>"[..],
            b"",
            b"{\"ErrorCode\":0}",
        ] {
            let err = parse_answer::<ImportGroupMsgResponse>(
                Command::ImportGroupMsg,
                body,
                &["SECRETSIG"],
            )
            .unwrap_err();
            assert!(matches!(err, ApiError::BadAnswer { .. }), "{err:?}");
            assert!(!format!("{err} {err:?}").contains("SECRETSIG"));
        }
        let wrong = parse_answer::<ImportGroupMsgResponse>(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"OK","ErrorCode":0,"ImportMsgResult":"nope"}"#,
            &[],
        )
        .unwrap_err();
        assert!(
            wrong.to_string().contains("unexpected answer fields"),
            "{wrong}"
        );
        assert!(wrong.outcome_unknown(), "the service may have applied it");
    }

    #[test]
    fn service_info_is_scrubbed() {
        let err = parse_answer::<ImportGroupMsgResponse>(
            Command::ImportGroupMsg,
            br#"{"ActionStatus":"FAIL","ErrorCode":70003,"ErrorInfo":"bad sig SECRETSIG"}"#,
            &["SECRETSIG"],
        )
        .unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRETSIG"), "{err}");
    }
}
