//! Accounts: `account_check`, `account_import` and `multiaccount_import`.

use serde::{Deserialize, Serialize};

/// Longest `UserID`, in bytes.
pub const MAX_USER_ID_BYTES: usize = 32;
/// Longest `Nick` or `FaceUrl` of an account, in bytes.
pub const MAX_PROFILE_BYTES: usize = 500;

/// One account to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// The account.
    #[serde(rename = "UserID")]
    pub user_id: String,
}

/// The body of `account_check` (at most 100 accounts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckRequest {
    /// Accounts to check.
    #[serde(rename = "CheckItem")]
    pub check_item: Vec<CheckItem>,
}

/// One answer of `account_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckResult {
    /// The account.
    #[serde(rename = "UserID")]
    pub user_id: String,
    /// 0 = checked.
    #[serde(rename = "ResultCode", default)]
    pub result_code: i64,
    /// Words.
    #[serde(rename = "ResultInfo", default)]
    pub result_info: String,
    /// `Imported` or `NotImported`.
    #[serde(rename = "AccountStatus", default)]
    pub account_status: String,
}

impl AccountCheckResult {
    /// True when the account exists.
    pub fn is_imported(&self) -> bool {
        self.result_code == 0 && self.account_status == "Imported"
    }
}

/// The answer of `account_check`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckResponse {
    /// One per account asked.
    #[serde(rename = "ResultItem", default)]
    pub result_item: Vec<AccountCheckResult>,
}

/// One account to import: the body of `account_import`, and one entry of `multiaccount_import`'s
/// `AccountList`. `UserID` at most 32 bytes; `Nick` and `FaceUrl` at most 500 bytes each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountImportRequest {
    /// The account.
    #[serde(rename = "UserID")]
    pub user_id: String,
    /// Display name.
    #[serde(rename = "Nick", default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// Avatar URL.
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

/// The answer of `account_import` (the envelope only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountImportResponse {}

/// The body of `multiaccount_import` in its newer shape (at most 100 accounts): each account with
/// its `Nick` and `FaceUrl`. (The older shape, `{"Accounts": ["id", ...]}`, carries ids only.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiAccountImportRequest {
    /// The accounts.
    #[serde(rename = "AccountList")]
    pub account_list: Vec<AccountImportRequest>,
}

/// The answer of `multiaccount_import`: the accounts that could not be imported (the others
/// were, or already existed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiAccountImportResponse {
    /// Ids that failed.
    #[serde(rename = "FailAccounts", default)]
    pub fail_accounts: Vec<String>,
}
