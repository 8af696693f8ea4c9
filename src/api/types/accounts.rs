//! Accounts: `account_check`.

use serde::{Deserialize, Serialize};

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
