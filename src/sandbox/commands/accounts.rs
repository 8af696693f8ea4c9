//! `account_check`: whether accounts exist. Seeded accounts, group owners and members, and the
//! senders of seeded messages are `Imported`; anyone else is `NotImported`. At most 100 per call
//! (more, or none: 70206); a body without `CheckItem` gets 70402.

use serde_json::Value;

use crate::api::types::{AccountCheckRequest, AccountCheckResponse, AccountCheckResult};

use super::{Outcome, Refusal, Tally, outcome, parse_request};
use crate::sandbox::model::State;

/// Most accounts per request.
pub const MAX_ACCOUNTS: usize = 100;

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
