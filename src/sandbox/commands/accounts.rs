//! Accounts.
//!
//! `account_check`: whether accounts exist. Imported and seeded accounts, group owners and
//! members, and the senders of seeded messages are `Imported`; anyone else is `NotImported`. At
//! most 100 per call (more, or none: 70206); a body without `CheckItem` gets 70402.
//!
//! `account_import`: one account; `UserID` missing or not a string 70402, empty or over 32 bytes
//! 70402, `Nick` or `FaceUrl` over 500 bytes 40601. Importing an existing account updates the
//! profile fields given (the account stays one).
//!
//! `multiaccount_import`: `AccountList` of 1 to 100 accounts (more, or none: 70206; missing:
//! 70402); an account that breaks a rule of `account_import` is listed in `FailAccounts`, the
//! others are imported.

use serde_json::Value;

use crate::api::types::{
    AccountCheckRequest, AccountCheckResponse, AccountCheckResult, AccountImportRequest,
    AccountImportResponse, MAX_PROFILE_BYTES, MAX_USER_ID_BYTES, MultiAccountImportRequest,
    MultiAccountImportResponse,
};

use super::{Outcome, Refusal, Tally, outcome, parse_request};
use crate::sandbox::model::{AccountSnapshot, State};

/// Most accounts per request.
pub const MAX_ACCOUNTS: usize = 100;

/// Why the service would not import this account, as a refusal.
fn check_account(account: &AccountImportRequest) -> Result<(), Refusal> {
    let id = &account.user_id;
    if id.is_empty() || id.len() > MAX_USER_ID_BYTES {
        return Err(Refusal::new(
            70402,
            format!(
                "UserID {id:?} is {} bytes; 1 to {MAX_USER_ID_BYTES}",
                id.len()
            ),
        ));
    }
    for (name, value) in [("Nick", &account.nick), ("FaceUrl", &account.face_url)] {
        if let Some(value) = value.as_ref().filter(|v| v.len() > MAX_PROFILE_BYTES) {
            return Err(Refusal::new(
                40601,
                format!(
                    "{name} of {id:?} is {} bytes; at most {MAX_PROFILE_BYTES}",
                    value.len()
                ),
            ));
        }
    }
    Ok(())
}

fn import(state: &mut State, account: AccountImportRequest) {
    state.import_account(AccountSnapshot {
        user_id: account.user_id,
        nick: account.nick,
        face_url: account.face_url,
    });
}

pub(super) fn account_import(state: &mut State, body: &Value) -> Result<Outcome, Refusal> {
    let req: AccountImportRequest = parse_request(body, 70402)?;
    check_account(&req)?;
    import(state, req);
    outcome(&AccountImportResponse {}, Tally::default())
}

pub(super) fn multiaccount_import(state: &mut State, body: &Value) -> Result<Outcome, Refusal> {
    let req: MultiAccountImportRequest = parse_request(body, 70402)?;
    let count = req.account_list.len();
    if count == 0 || count > MAX_ACCOUNTS {
        return Err(Refusal::new(
            70206,
            format!("AccountList holds {count} accounts; 1 to {MAX_ACCOUNTS} per request"),
        ));
    }
    let mut fail_accounts = Vec::new();
    for account in req.account_list {
        if check_account(&account).is_err() {
            fail_accounts.push(account.user_id);
        } else {
            import(state, account);
        }
    }
    outcome(
        &MultiAccountImportResponse { fail_accounts },
        Tally::default(),
    )
}

pub(super) fn account_check(state: &State, body: &Value) -> Result<Outcome, Refusal> {
    let req: AccountCheckRequest = parse_request(body, 70402)?;
    let count = req.check_item.len();
    if count == 0 || count > MAX_ACCOUNTS {
        return Err(Refusal::new(
            70206,
            format!("CheckItem holds {count} accounts; 1 to {MAX_ACCOUNTS} per request"),
        ));
    }
    let result_item = req
        .check_item
        .into_iter()
        .map(|item| AccountCheckResult {
            account_status: if state.is_account(&item.user_id) {
                "Imported"
            } else {
                "NotImported"
            }
            .to_owned(),
            user_id: item.user_id,
            result_code: 0,
            result_info: String::new(),
        })
        .collect();
    outcome(&AccountCheckResponse { result_item }, Tally::default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{call, state};

    #[test]
    fn imports_accounts_one_or_many_and_updates_profiles() {
        let mut s = state();
        call(
            &mut s,
            Command::AccountImport,
            json!({"UserID": "zoe", "Nick": "Zoe"}),
        )
        .unwrap();
        assert_eq!(s.account("zoe").unwrap().nick.as_deref(), Some("Zoe"));
        assert_eq!(
            call(
                &mut s,
                Command::AccountImport,
                json!({"UserID": "x".repeat(33)})
            ),
            Err(70402)
        );
        assert_eq!(
            call(
                &mut s,
                Command::AccountImport,
                json!({"UserID": "y", "Nick": "n".repeat(501)})
            ),
            Err(40601)
        );
        assert_eq!(call(&mut s, Command::AccountImport, json!({})), Err(70402));
        let a = call(
            &mut s,
            Command::MultiaccountImport,
            json!({"AccountList": [
                {"UserID": "zoe", "FaceUrl": "https://x/z.png"},
                {"UserID": ""},
                {"UserID": "yan"}
            ]}),
        )
        .unwrap();
        assert_eq!(a["FailAccounts"], json!([""]));
        let zoe = s.account("zoe").unwrap();
        assert_eq!(
            (zoe.nick.as_deref(), zoe.face_url.as_deref()),
            (Some("Zoe"), Some("https://x/z.png")),
            "a second import updates what it gives and keeps the rest"
        );
        assert!(s.is_account("yan"));
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"UserID": format!("u{i}")}))
            .collect();
        assert_eq!(
            call(
                &mut s,
                Command::MultiaccountImport,
                json!({"AccountList": many})
            ),
            Err(70206)
        );
        assert_eq!(
            call(
                &mut s,
                Command::MultiaccountImport,
                json!({"AccountList": []})
            ),
            Err(70206)
        );
        assert_eq!(
            call(
                &mut s,
                Command::MultiaccountImport,
                json!({"Accounts": ["a"]})
            ),
            Err(70402)
        );
    }

    #[test]
    fn reports_imported_accounts_and_limits_the_batch() {
        let mut s = state();
        let a = call(
            &mut s,
            Command::AccountCheck,
            json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "olga"}, {"UserID": "zed"}]}),
        )
        .unwrap();
        let status: Vec<&str> = a["ResultItem"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["AccountStatus"].as_str().unwrap())
            .collect();
        assert_eq!(status, ["Imported", "Imported", "NotImported"]);
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"UserID": format!("u{i}")}))
            .collect();
        assert_eq!(
            call(&mut s, Command::AccountCheck, json!({"CheckItem": many})),
            Err(70206)
        );
        assert_eq!(call(&mut s, Command::AccountCheck, json!({})), Err(70402));
    }
}
