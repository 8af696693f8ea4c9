//! The error catalogue: every code the service is known to answer with, what it means, whether a
//! retry can help, and what the operator should do. This is the one source of explanations:
//! the engine classifies answers with it and every screen and printer shows its words.
//!
//! Sources: the official error-code pages and `import_group_msg`'s per-message results, as
//! docs/service.md#error-codes and docs/service.md#per-message-results give them.

use std::fmt;

/// What kind of trouble a code signals; the engine decides what to do from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A passing fault on the service side: retry with backoff.
    Transient,
    /// Too many requests: slow down, then retry.
    RateLimit,
    /// The admin identity or UserSig was refused: renew once, else stop.
    Auth,
    /// The SDKAppID does not live in the region the request went to.
    Region,
    /// The group itself cannot take the import (missing, wrong type, full).
    Group,
    /// The request or a message is not acceptable as written.
    Data,
    /// The message content was refused (size, content filter, callback).
    Content,
    /// Something about the app's setup or plan must change.
    Configuration,
    /// A code this catalogue does not know.
    Unknown,
}

impl ErrorClass {
    /// A short lowercase word for tables and JSON.
    pub fn word(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::RateLimit => "rate limit",
            ErrorClass::Auth => "auth",
            ErrorClass::Region => "region",
            ErrorClass::Group => "group",
            ErrorClass::Data => "data",
            ErrorClass::Content => "content",
            ErrorClass::Configuration => "configuration",
            ErrorClass::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// The service's error code.
    pub code: i64,
    /// What kind of trouble it is.
    pub class: ErrorClass,
    /// Whether sending the same thing again can succeed (after a wait or a renewed UserSig).
    pub retryable: bool,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// What to do about it, in plain words.
    pub remedy: &'static str,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}. {}",
            self.code, self.class, self.meaning, self.remedy
        )
    }
}

use ErrorClass::*;

const fn e(
    code: i64,
    class: ErrorClass,
    retryable: bool,
    meaning: &'static str,
    remedy: &'static str,
) -> Explanation {
    Explanation {
        code,
        class,
        retryable,
        meaning,
        remedy,
    }
}

/// Every known code, ascending.
pub const CATALOGUE: &[Explanation] = &[
    e(
        10002,
        Transient,
        true,
        "internal error in the group service",
        "Retry after a short wait; timport does this on its own",
    ),
    e(
        10003,
        Configuration,
        false,
        "invalid command name",
        "The request path is wrong; report this as a timport bug with the log file",
    ),
    e(
        10004,
        Data,
        false,
        "invalid parameter; the service's ErrorInfo says which",
        "Read the ErrorInfo shown with it: it names the parameter or field to fix (a message's send time is refused per message, not here)",
    ),
    e(
        10005,
        Data,
        false,
        "too many accounts in one request",
        "Send fewer accounts per request",
    ),
    e(
        10006,
        RateLimit,
        true,
        "operation frequency limit reached",
        "Slow down; timport backs off and retries",
    ),
    e(
        10007,
        Group,
        false,
        "no permission: this group type cannot be imported into (AVChatRoom) or the caller is not an app admin",
        "Import into a Private, Public, ChatRoom or Community group, and sign as an app admin",
    ),
    e(
        10008,
        Transient,
        true,
        "illegal request: the signature check failed in the group service",
        "Retry; if it keeps happening, check the clock and secret key, then file a ticket",
    ),
    e(
        10010,
        Group,
        false,
        "the group does not exist or was dismissed",
        "Create the group first (import_group), or correct the group id",
    ),
    e(
        10011,
        Data,
        false,
        "the request JSON could not be parsed",
        "The staged message is not valid JSON for the service; fix it and retry",
    ),
    e(
        10012,
        Auth,
        false,
        "the operator UserID is invalid",
        "Use an app admin account as --admin",
    ),
    e(
        10014,
        Group,
        false,
        "the group is full",
        "Raise the group's member limit or remove members",
    ),
    e(
        10015,
        Group,
        false,
        "the group id is invalid",
        "Correct the group id (file stem or GroupId field)",
    ),
    e(
        10016,
        Content,
        false,
        "rejected by the app's own callback",
        "Check the app's before-send callback; it refused this message",
    ),
    e(
        10018,
        Data,
        false,
        "the answer would exceed 1 MB",
        "Ask for fewer items per request",
    ),
    e(
        10019,
        Data,
        false,
        "the account named in the request does not exist",
        "Import the account first (account_import), then retry",
    ),
    e(
        10020,
        Content,
        false,
        "the message is too large",
        "Shorten the message below the size limit (--max-message-bytes) and retry it edited",
    ),
    e(
        10021,
        Group,
        false,
        "the group id is already in use",
        "Pick another group id or import into the existing group",
    ),
    e(
        10023,
        RateLimit,
        true,
        "message-send frequency limit reached",
        "Slow down; timport backs off and retries",
    ),
    e(
        10026,
        Configuration,
        false,
        "this command is disabled for the SDKAppID",
        "Enable the feature for the app in the Chat console or file a ticket",
    ),
    e(
        40006,
        Transient,
        true,
        "internal error in the profile service",
        "Retry after a short wait",
    ),
    e(
        40601,
        Data,
        false,
        "a profile value is longer than 500 bytes",
        "Shorten the value",
    ),
    e(
        60002,
        Configuration,
        false,
        "the HTTP request could not be parsed (bad URL)",
        "Check the endpoint URL; if it is right, report a timport bug",
    ),
    e(
        60003,
        Data,
        false,
        "the request JSON could not be parsed",
        "The request body is not valid JSON; fix the staged message",
    ),
    e(
        60004,
        Auth,
        false,
        "the admin account or the UserSig in the URL is wrong",
        "Check --admin and the secret key; timport renews the UserSig once",
    ),
    e(
        60005,
        Auth,
        false,
        "the admin account or the UserSig in the URL is wrong",
        "Check --admin and the secret key; timport renews the UserSig once",
    ),
    e(
        60006,
        Configuration,
        false,
        "the SDKAppID is not valid",
        "Check --sdkappid against the Chat console",
    ),
    e(
        60007,
        RateLimit,
        true,
        "REST call frequency over the limit",
        "Slow down; timport backs off and retries (lower --rate if it repeats)",
    ),
    e(
        60008,
        Transient,
        true,
        "the service timed out or the HTTP request was malformed",
        "Retry; timport does this with backoff",
    ),
    e(
        60009,
        Configuration,
        false,
        "the requested resource does not exist (bad URL)",
        "Check the endpoint URL and region",
    ),
    e(
        60010,
        Auth,
        false,
        "this call needs an app admin identifier",
        "Use an app admin account as --admin",
    ),
    e(
        60011,
        RateLimit,
        true,
        "SDKAppID request frequency over the limit",
        "Slow down; timport backs off and retries (lower --rate if it repeats)",
    ),
    e(
        60012,
        Configuration,
        false,
        "the SDKAppID is missing from the URL",
        "Give --sdkappid",
    ),
    e(
        60013,
        Transient,
        true,
        "the service could not parse its own answer",
        "Retry a few times; if it persists, file a ticket",
    ),
    e(
        60014,
        Transient,
        true,
        "account exchange timed out",
        "Retry after a short wait",
    ),
    e(
        60015,
        Data,
        false,
        "an account field has the wrong type (must be a string)",
        "Make From_Account a string in the staged message",
    ),
    e(
        60016,
        Configuration,
        false,
        "the SDKAppID is disabled",
        "Re-enable the app in the Chat console",
    ),
    e(
        60017,
        Configuration,
        false,
        "requests are disabled for this app",
        "Check the app's status in the Chat console",
    ),
    e(
        60018,
        RateLimit,
        true,
        "too many requests",
        "Slow down; timport backs off and retries",
    ),
    e(
        60019,
        RateLimit,
        true,
        "too many requests",
        "Slow down; timport backs off and retries",
    ),
    e(
        60020,
        Configuration,
        false,
        "the Pro package expired or is disabled",
        "Renew the package; it takes effect about 5 minutes after purchase",
    ),
    e(
        60021,
        Configuration,
        false,
        "this machine's IP address is not allowed to call the API",
        "Add this machine's IP to the app's allow list in the Chat console",
    ),
    e(
        70001,
        Auth,
        true,
        "the UserSig expired",
        "timport renews it and retries; if it repeats, check the machine's clock",
    ),
    e(
        70002,
        Auth,
        false,
        "the UserSig is empty",
        "Report a timport bug; the signature was not attached",
    ),
    e(
        70003,
        Auth,
        false,
        "the UserSig could not be decoded or verified",
        "Check the secret key; timport renews the UserSig once",
    ),
    e(
        70005,
        Auth,
        false,
        "the UserSig failed verification",
        "Check the secret key, SDKAppID and admin",
    ),
    e(
        70009,
        Auth,
        false,
        "the secret key does not belong to this SDKAppID",
        "Use the secret key shown for this SDKAppID in the Chat console",
    ),
    e(
        70013,
        Auth,
        false,
        "the identifier in the URL differs from the one in the UserSig",
        "Use the same admin for --admin and the UserSig",
    ),
    e(
        70014,
        Auth,
        false,
        "the SDKAppID in the URL differs from the one in the UserSig",
        "Use the same --sdkappid for the URL and the UserSig",
    ),
    e(
        70016,
        Region,
        false,
        "no key found for this SDKAppID in this data centre",
        "Pick the region your SDKAppID was created in (--region)",
    ),
    e(
        70020,
        Region,
        false,
        "this SDKAppID is unknown in this data centre",
        "Pick the region your SDKAppID was created in (--region)",
    ),
    e(
        70050,
        Auth,
        true,
        "too many failed verifications; calls are blocked for a minute",
        "Fix the secret key or admin, then wait at least 60 seconds",
    ),
    e(
        70051,
        Auth,
        false,
        "the account is blacklisted",
        "Use another admin account",
    ),
    e(
        70052,
        Auth,
        true,
        "the UserSig was invalidated",
        "timport makes a new UserSig and retries",
    ),
    e(
        70107,
        Data,
        false,
        "the sender account has not been imported",
        "Import the account first (account_import), then retry the message",
    ),
    e(
        70114,
        Configuration,
        false,
        "restricted for security reasons",
        "File a ticket with Tencent Cloud",
    ),
    e(
        70169,
        Transient,
        true,
        "internal timeout in the account service",
        "Retry after a short wait",
    ),
    e(
        70202,
        Transient,
        true,
        "internal timeout in the account service",
        "Retry after a short wait",
    ),
    e(
        70206,
        Data,
        false,
        "invalid batch count",
        "Send fewer items per request",
    ),
    e(
        70398,
        Configuration,
        false,
        "the app reached its account limit",
        "Upgrade the plan or remove accounts",
    ),
    e(
        70402,
        Data,
        false,
        "invalid parameter",
        "Check the field named in the error text",
    ),
    e(
        70403,
        Auth,
        false,
        "this call needs an app admin",
        "Use an app admin account as --admin",
    ),
    e(
        70500,
        Transient,
        true,
        "internal server error",
        "Retry after a short wait",
    ),
    e(
        80001,
        Content,
        false,
        "the text was blocked by the content-security filter",
        "Edit or skip the message; it will not be stored as written",
    ),
    e(
        80002,
        Content,
        false,
        "the message content is too long",
        "Shorten the message (12,000 bytes at most by default) and retry it edited",
    ),
    e(
        90001,
        Data,
        false,
        "the JSON could not be parsed",
        "Fix the message JSON",
    ),
    e(
        90002,
        Data,
        false,
        "the MsgBody is not valid",
        "Fix MsgBody: a non-empty array of {MsgType, MsgContent}",
    ),
    e(
        90005,
        Data,
        false,
        "MsgRandom is missing or not a 32-bit unsigned integer",
        "Make Random an integer from 0 to 4294967295",
    ),
    e(
        90009,
        Auth,
        false,
        "this call needs an app admin",
        "Use an app admin account as --admin",
    ),
    e(
        90010,
        Data,
        false,
        "the JSON does not have the expected format",
        "Fix the message fields",
    ),
    e(
        90048,
        Data,
        false,
        "the account does not exist",
        "Import the account first (account_import)",
    ),
    e(
        90992,
        Transient,
        true,
        "internal error",
        "Retry after a short wait",
    ),
    e(
        91000,
        Transient,
        true,
        "internal error",
        "Retry after a short wait",
    ),
    e(
        93000,
        Content,
        false,
        "the JSON packet is larger than 8 KB",
        "Shorten the message and retry it edited",
    ),
];

const UNKNOWN: Explanation = e(
    0,
    Unknown,
    false,
    "a code this version of timport does not know",
    "Read the service's error text; search the code in the Tencent Cloud Chat error-code page",
);

/// The explanation for a code the service answered for a whole request.
pub fn explain(code: i64) -> Explanation {
    CATALOGUE
        .binary_search_by_key(&code, |x| x.code)
        .map(|i| CATALOGUE[i])
        .unwrap_or(Explanation { code, ..UNKNOWN })
}

/// The explanation for a per-message `Result` of `import_group_msg`, where 10004 has a narrower
/// meaning than it has for a whole request.
pub fn explain_message_result(code: i64) -> Explanation {
    match code {
        10004 => e(
            10004,
            Data,
            false,
            "the send time is not allowed: it must be earlier than now and later than the group's creation and its newest message",
            "If a newer message already landed this one can never go in: skip it with a reason, or fix its SendTime only if nothing newer is in the group",
        ),
        other => explain(other),
    }
}

/// Failures that have no service code: the request never got a parsable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalFailure {
    /// The connection could not be opened; nothing was sent.
    Connect,
    /// No answer in time; the request may or may not have been applied.
    Timeout,
    /// The connection broke after sending; the request may or may not have been applied.
    Dropped,
    /// An HTTP status other than 200.
    HttpStatus,
    /// A 200 whose body is not the service's JSON envelope.
    BadAnswer,
}

impl LocalFailure {
    /// What it means and what to do, in the same shape as the service codes.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            LocalFailure::Connect => (
                "could not connect to the service; nothing was sent",
                "Check the network, proxy and --region/--endpoint; timport retries with backoff",
            ),
            LocalFailure::Timeout => (
                "no answer in time; the request may or may not have landed",
                "Imports are settled by reading the group back before anything is sent again; other calls are retried",
            ),
            LocalFailure::Dropped => (
                "the connection broke after the request was sent; it may or may not have landed",
                "Imports are settled by reading the group back before anything is sent again; other calls are retried",
            ),
            LocalFailure::HttpStatus => (
                "the service answered with an HTTP error status",
                "Retried with backoff; for imports a 5xx after sending is settled by reading the group back first",
            ),
            LocalFailure::BadAnswer => (
                "the answer was not the service's JSON",
                "Check --endpoint points at the Chat REST API (a proxy or captive portal may be in the way)",
            ),
        }
    }
}

/// Refusals of one item within an answered call, which the service reports without a code: a
/// member `import_group_member` answered with `Result` 0, an account `multiaccount_import`
/// listed in `FailAccounts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFailure {
    /// `import_group_member` `Result` 0.
    MemberNotImported,
    /// In `multiaccount_import`'s `FailAccounts`.
    AccountNotImported,
}

impl ItemFailure {
    /// What it means and what to do, in the same shape as the service codes.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            ItemFailure::MemberNotImported => (
                "the service did not add this member (Result 0): its JoinTime must be later than the group's creation and earlier than now, and the account must exist",
                "Fix the member's JoinTime in groups.jsonl (or import the account), then run again with --retry-failed",
            ),
            ItemFailure::AccountNotImported => (
                "the service could not import this account (listed in FailAccounts)",
                "Check the UserID (at most 32 bytes) and the Nick and FaceUrl (at most 500 bytes each), then run again with --retry-failed",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_of_the_migration_calls_are_known() {
        // docs/service.md#neighbouring-calls: import_group, import_group_member,
        // set_unread_msg_num, get_group_member_info, account_import, multiaccount_import.
        for code in [
            10002, 10003, 10004, 10007, 10010, 10014, 10015, 10019, 10021, 40006, 40601, 70169,
            70206, 70398, 70402, 70403,
        ] {
            assert_ne!(explain(code).class, Unknown, "{code}");
        }
        assert_eq!(explain(10021).class, Group);
        assert_eq!(explain(70398).class, Configuration);
        for item in [
            ItemFailure::MemberNotImported,
            ItemFailure::AccountNotImported,
        ] {
            let (meaning, remedy) = item.explain();
            assert!(!meaning.is_empty() && remedy.contains("--retry-failed"));
        }
    }

    #[test]
    fn catalogue_is_sorted_unique_and_complete() {
        assert!(CATALOGUE.windows(2).all(|w| w[0].code < w[1].code));
        for entry in CATALOGUE {
            assert!(
                !entry.meaning.is_empty() && !entry.remedy.is_empty(),
                "{}",
                entry.code
            );
            assert_ne!(entry.class, Unknown, "{}", entry.code);
        }
        // Every code of the official tables timport knows (docs/service.md#error-codes).
        for code in [
            60002, 60003, 60004, 60005, 60006, 60007, 60008, 60009, 60010, 60011, 60012, 60013,
            60014, 60015, 60016, 60017, 60018, 60019, 60020, 60021, 80001, 80002, 70001, 70002,
            70003, 70005, 70009, 70013, 70014, 70016, 70020, 70050, 70051, 70052, 70107, 70114,
            70169, 70202, 70206, 70398, 70402, 70403, 70500, 10002, 10003, 10004, 10005, 10006,
            10007, 10008, 10010, 10011, 10012, 10014, 10015, 10016, 10018, 10019, 10020, 10021,
            10023, 10026, 90001, 90002, 90005, 90009, 90010, 90048, 90992, 91000, 93000, 40006,
            40601,
        ] {
            assert_eq!(explain(code).code, code);
            assert_ne!(explain(code).class, Unknown, "{code} missing");
        }
    }

    #[test]
    fn classes_drive_the_engine() {
        for code in [60007, 60011, 60018, 60019, 10006, 10023] {
            assert_eq!(explain(code).class, RateLimit, "{code}");
            assert!(explain(code).retryable);
        }
        for code in [10002, 60008, 70169, 70202, 70500] {
            assert_eq!(explain(code).class, Transient, "{code}");
        }
        assert_eq!(explain(70001).class, Auth);
        assert_eq!(explain(70020).class, Region);
        assert_eq!(explain(10007).class, Group);
        assert_eq!(explain(10010).class, Group);
        assert!(!explain(10010).retryable);
        assert_eq!(explain(80002).class, Content);
    }

    #[test]
    fn unknown_codes_keep_their_number() {
        let x = explain(12345);
        assert_eq!((x.code, x.class, x.retryable), (12345, Unknown, false));
        assert!(x.to_string().starts_with("12345 (unknown)"));
    }

    #[test]
    fn per_message_10004_speaks_of_send_time_and_a_request_level_one_of_its_error_info() {
        assert!(explain_message_result(10004).meaning.contains("send time"));
        // The API page: a whole request refused with 10004 is an invalid parameter, named by the
        // ErrorInfo; it says nothing about send times.
        let request = explain(10004);
        assert!(
            request.meaning.starts_with("invalid parameter"),
            "{request}"
        );
        assert!(request.meaning.contains("ErrorInfo"), "{request}");
        assert!(!request.meaning.contains("send time"), "{request}");
        assert_eq!(explain_message_result(80002), explain(80002));
    }
}
