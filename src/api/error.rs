//! What can go wrong with one REST call, kept in four kinds that call for different handling:
//! the service refused (`Service`), an HTTP status other than 200 (`Http`), no usable answer at
//! the transport level (`Transport`), and a 200 whose body is not what the service sends
//! (`BadAnswer`). Explanations come from [`crate::api::catalogue`]; nothing here words a meaning
//! or remedy of its own except for a request that could not even be encoded (a timport bug).
//!
//! Error values never carry a URL (the query holds the UserSig) and every text taken from the
//! outside (reqwest's words, a body snippet, the service's `ErrorInfo`) is scrubbed of the
//! client's secrets before it is stored.

use super::catalogue::{ErrorClass, LocalFailure, explain};
use super::types::Command;

/// Longest piece of an unexpected body kept for the operator.
const SNIPPET_CHARS: usize = 200;

/// Why a REST call did not produce the typed answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The service answered with `ErrorCode != 0` or `ActionStatus != "OK"`.
    #[error("{} refused: {}{}", .command.name(), explain(*.code), service_words(.info))]
    Service {
        /// The call.
        command: Command,
        /// The service's `ErrorCode` (may be 0 when only `ActionStatus` said FAIL).
        code: i64,
        /// The service's `ErrorInfo`, scrubbed of secrets.
        info: String,
    },
    /// An HTTP status other than 200.
    #[error("{} got HTTP {status}: {}{}", .command.name(), explained(LocalFailure::HttpStatus), detail_words(.detail))]
    Http {
        /// The call.
        command: Command,
        /// The status code.
        status: u16,
        /// The start of the body, scrubbed of secrets.
        detail: String,
    },
    /// The connection failed, timed out or broke.
    #[error("{} failed: {}{}", .command.name(), explained(*.failure), detail_words(.detail))]
    Transport {
        /// The call.
        command: Command,
        /// `Connect` (nothing sent), `Timeout` or `Dropped` (maybe applied).
        failure: LocalFailure,
        /// The transport's own words, without the URL and scrubbed of secrets.
        detail: String,
    },
    /// A 200 whose body is not the service's envelope, or whose answer does not have the shape
    /// of the call's answer.
    #[error("{} answered something unexpected: {}{}", .command.name(), explained(LocalFailure::BadAnswer), detail_words(.detail))]
    BadAnswer {
        /// The call.
        command: Command,
        /// What did not parse and the start of the body, scrubbed of secrets.
        detail: String,
    },
    /// The request could not be encoded as JSON; nothing was sent.
    #[error("{} was not sent: {ENCODE_MEANING}. {ENCODE_REMEDY} ({detail})", .command.name())]
    Encode {
        /// The call.
        command: Command,
        /// serde's words.
        detail: String,
    },
}

const ENCODE_MEANING: &str = "the request could not be encoded as JSON; nothing was sent";
const ENCODE_REMEDY: &str = "Report this as a timport bug with the log file";

fn service_words(info: &str) -> String {
    if info.is_empty() {
        String::new()
    } else {
        format!(" (service said: {info})")
    }
}

fn detail_words(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

fn explained(failure: LocalFailure) -> String {
    let (meaning, remedy) = failure.explain();
    format!("{meaning}. {remedy}")
}

impl ApiError {
    /// The call that failed.
    pub fn command(&self) -> Command {
        match self {
            ApiError::Service { command, .. }
            | ApiError::Http { command, .. }
            | ApiError::Transport { command, .. }
            | ApiError::BadAnswer { command, .. }
            | ApiError::Encode { command, .. } => *command,
        }
    }

    /// The service's error code, for `Service` errors.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::Service { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The local failure kind, for errors that carry no service code.
    pub fn local_failure(&self) -> Option<LocalFailure> {
        match self {
            ApiError::Service { .. } | ApiError::Encode { .. } => None,
            ApiError::Http { .. } => Some(LocalFailure::HttpStatus),
            ApiError::Transport { failure, .. } => Some(*failure),
            ApiError::BadAnswer { .. } => Some(LocalFailure::BadAnswer),
        }
    }

    /// True when the request may have been applied although no answer says so: a timeout, a
    /// connection that broke after sending, a 5xx, or a 200 whose body could not be read as the
    /// answer. Such an outcome must be settled (by reading the group back) before resending.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::Transport { failure, .. } => {
                matches!(failure, LocalFailure::Timeout | LocalFailure::Dropped)
            }
            ApiError::Http { status, .. } => *status >= 500,
            // The service may have applied the call and only the answer is broken.
            ApiError::BadAnswer { .. } => true,
            ApiError::Service { .. } | ApiError::Encode { .. } => false,
        }
    }

    /// What kind of trouble this is; the engine decides what to do from it.
    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::Service { code, .. } => explain(*code).class,
            ApiError::Http { status, .. } => match status {
                429 => ErrorClass::RateLimit,
                408 | 500..=599 => ErrorClass::Transient,
                _ => ErrorClass::Configuration,
            },
            ApiError::Transport { .. } => ErrorClass::Transient,
            ApiError::BadAnswer { .. } => ErrorClass::Configuration,
            ApiError::Encode { .. } => ErrorClass::Data,
        }
    }

    /// Whether sending the same request again can succeed (after settling an unknown outcome).
    pub fn retryable(&self) -> bool {
        match self {
            ApiError::Service { code, .. } => explain(*code).retryable,
            ApiError::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            ApiError::Transport { .. } => true,
            ApiError::BadAnswer { .. } | ApiError::Encode { .. } => false,
        }
    }

    /// What it means, in plain words (from the catalogue).
    pub fn meaning(&self) -> &'static str {
        match (self, self.local_failure()) {
            (ApiError::Service { code, .. }, _) => explain(*code).meaning,
            (_, Some(failure)) => failure.explain().0,
            _ => ENCODE_MEANING,
        }
    }

    /// What to do about it, in plain words (from the catalogue).
    pub fn remedy(&self) -> &'static str {
        match (self, self.local_failure()) {
            (ApiError::Service { code, .. }, _) => explain(*code).remedy,
            (_, Some(failure)) => failure.explain().1,
            _ => ENCODE_REMEDY,
        }
    }
}

/// Removes every occurrence of each secret from `text`, and keeps only its first characters
/// with control characters flattened, so an echoed URL or header cannot leak a UserSig.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut clean = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        clean = clean.replace(secret, "<redacted>");
    }
    // Also hide any `usersig=` query value, whatever it holds (a proxy may echo another sig).
    clean = redact_query_value(&clean, "usersig=");
    let mut short: String = clean
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SNIPPET_CHARS)
        .collect();
    if clean.chars().count() > SNIPPET_CHARS {
        short.push('…');
    }
    short
}

fn redact_query_value(text: &str, marker: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let value_start = at + marker.len();
        out.push_str(&rest[..value_start]);
        let value_len = rest[value_start..]
            .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace() || c == '<')
            .unwrap_or(rest.len() - value_start);
        if value_len > 0 {
            out.push_str("<redacted>");
        }
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(failure: LocalFailure) -> ApiError {
        ApiError::Transport {
            command: Command::ImportGroupMsg,
            failure,
            detail: String::new(),
        }
    }

    fn http(status: u16) -> ApiError {
        ApiError::Http {
            command: Command::ImportGroupMsg,
            status,
            detail: String::new(),
        }
    }

    #[test]
    fn outcome_is_unknown_only_when_the_request_may_have_landed() {
        assert!(!transport(LocalFailure::Connect).outcome_unknown());
        assert!(transport(LocalFailure::Timeout).outcome_unknown());
        assert!(transport(LocalFailure::Dropped).outcome_unknown());
        assert!(http(502).outcome_unknown());
        assert!(http(500).outcome_unknown());
        assert!(!http(404).outcome_unknown());
        assert!(!http(429).outcome_unknown());
        let bad = ApiError::BadAnswer {
            command: Command::ImportGroupMsg,
            detail: String::new(),
        };
        assert!(bad.outcome_unknown());
        let refused = ApiError::Service {
            command: Command::ImportGroupMsg,
            code: 10010,
            info: String::new(),
        };
        assert!(!refused.outcome_unknown());
    }

    #[test]
    fn classes_and_codes_follow_the_catalogue() {
        let refused = |code| ApiError::Service {
            command: Command::GetGroupInfo,
            code,
            info: "x".into(),
        };
        assert_eq!(refused(60007).class(), ErrorClass::RateLimit);
        assert!(refused(60007).retryable());
        assert_eq!(refused(70001).class(), ErrorClass::Auth);
        assert_eq!(refused(70020).class(), ErrorClass::Region);
        assert_eq!(refused(10010).class(), ErrorClass::Group);
        assert!(!refused(10010).retryable());
        assert_eq!(refused(10010).code(), Some(10010));
        assert_eq!(refused(10010).meaning(), explain(10010).meaning);
        assert_eq!(refused(10010).remedy(), explain(10010).remedy);
        assert_eq!(refused(424242).class(), ErrorClass::Unknown);

        assert_eq!(http(503).class(), ErrorClass::Transient);
        assert_eq!(http(429).class(), ErrorClass::RateLimit);
        assert_eq!(http(404).class(), ErrorClass::Configuration);
        assert!(http(503).retryable() && !http(404).retryable());
        assert_eq!(http(503).code(), None);
        assert_eq!(
            http(503).meaning(),
            LocalFailure::HttpStatus.explain().0,
            "one source of explanations"
        );
        for failure in [
            LocalFailure::Connect,
            LocalFailure::Timeout,
            LocalFailure::Dropped,
        ] {
            let e = transport(failure);
            assert_eq!(e.class(), ErrorClass::Transient);
            assert!(e.retryable());
            assert_eq!(e.local_failure(), Some(failure));
            assert_eq!(e.remedy(), failure.explain().1);
        }
    }

    #[test]
    fn display_gives_command_code_meaning_and_remedy() {
        let refused = ApiError::Service {
            command: Command::ImportGroupMsg,
            code: 10010,
            info: "group not found".into(),
        };
        let text = refused.to_string();
        assert!(
            text.starts_with("import_group_msg refused: 10010 (group)"),
            "{text}"
        );
        assert!(text.contains(explain(10010).meaning), "{text}");
        assert!(text.contains(explain(10010).remedy), "{text}");
        assert!(text.contains("service said: group not found"), "{text}");

        let timeout = transport(LocalFailure::Timeout).to_string();
        assert!(
            timeout.contains(LocalFailure::Timeout.explain().0),
            "{timeout}"
        );
        let status = http(502).to_string();
        assert!(status.contains("HTTP 502"), "{status}");
    }

    #[test]
    fn scrub_removes_secrets_and_usersig_values_and_shortens() {
        let text = "GET /v4/x?sdkappid=1&identifier=admin&usersig=eJyOTHER*sig-_&random=5 key=hunter2\nnext";
        let clean = scrub(text, &["hunter2", ""]);
        assert!(!clean.contains("eJyOTHER"), "{clean}");
        assert!(!clean.contains("hunter2"), "{clean}");
        assert!(clean.contains("usersig=<redacted>&random=5"), "{clean}");
        assert!(!clean.contains('\n'));
        let long = scrub(&"a".repeat(1000), &[]);
        assert_eq!(long.chars().count(), SNIPPET_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
