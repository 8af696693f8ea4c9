//! The accounts phase: every account to import that the app lacks goes in with
//! `multiaccount_import`, at most 100 a call. Accounts the app has already are `existed` (their
//! profile is left as it is). An earlier invocation's calls left without an answer are settled by
//! `account_check` before anything is sent again; so is a call that gets no usable answer now.

use std::collections::{HashMap, HashSet};

use super::call::{Caller, Sent, Settled, Stop};
use crate::api::catalogue::ItemFailure;
use crate::api::client::{ACCOUNT_CHECK_CHUNK, MULTIACCOUNT_IMPORT_CHUNK};
use crate::api::types::{AccountImportRequest, Command, MultiAccountImportResponse};
use crate::engine::events::{Failure, Step};
use crate::engine::ledger::phases::{self, ItemState, call_state};
use crate::engine::service::ImportService;
use crate::plan::migration::accounts_body;

/// Most times a call's unknown outcome is read back and the call sent again.
const UNKNOWN_ROUNDS: u32 = 5;

/// Runs the phase over `accounts`.
pub(super) async fn run<S: ImportService>(
    caller: &Caller<'_, S>,
    accounts: &[AccountImportRequest],
) -> Result<(), Stop> {
    let run_id = caller.run_id;
    let recorded = caller
        .ctx
        .ledger
        .call(move |c| phases::items(c, run_id, Step::Accounts, None))
        .await?;
    let states: HashMap<&str, ItemState> = recorded
        .iter()
        .map(|r| (r.item.as_str(), r.state))
        .collect();
    let retry_failed = caller.ctx.opts.retry_failed;
    let todo: Vec<&AccountImportRequest> = accounts
        .iter()
        .filter(|a| match states.get(a.user_id.as_str()) {
            Some(ItemState::Failed) => retry_failed,
            Some(s) => !s.is_settled(),
            None => true,
        })
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    let open: HashSet<&str> = todo
        .iter()
        .map(|a| a.user_id.as_str())
        .filter(|id| states.get(id).is_some_and(|s| s.is_open()))
        .collect();
    // Whatever the app has already (or an earlier invocation's call put there) is not sent.
    let mut to_import = Vec::new();
    for chunk in todo.chunks(ACCOUNT_CHECK_CHUNK) {
        let imported = check(caller, chunk.iter().map(|a| a.user_id.clone()).collect()).await?;
        let mut settled = Vec::new();
        for a in chunk {
            let id = a.user_id.as_str();
            if imported.contains(id) {
                settled.push(if open.contains(id) {
                    Settled::done(id)
                } else {
                    Settled::existed(id, None)
                });
            } else {
                if open.contains(id) {
                    settled.push(Settled::pending(id));
                }
                to_import.push((*a).clone());
            }
        }
        caller.settle(Step::Accounts, "", settled, true).await?;
    }
    for chunk in to_import.chunks(MULTIACCOUNT_IMPORT_CHUNK) {
        import(caller, chunk.to_vec()).await?;
    }
    Ok(())
}

/// The accounts of `ids` the app has.
async fn check<S: ImportService>(
    caller: &Caller<'_, S>,
    ids: Vec<String>,
) -> Result<HashSet<String>, Stop> {
    let svc = caller.svc;
    let answer = caller.read(|| svc.check_accounts(ids.clone())).await?;
    match answer {
        Ok(results) => Ok(results
            .into_iter()
            .filter(|r| r.is_imported())
            .map(|r| r.user_id)
            .collect()),
        Err(f) => Err(Stop::GaveUp(f)),
    }
}

/// Imports `accounts` in one call, settling an unknown outcome by reading back.
async fn import<S: ImportService>(
    caller: &Caller<'_, S>,
    mut accounts: Vec<AccountImportRequest>,
) -> Result<(), Stop> {
    for _ in 0..UNKNOWN_ROUNDS {
        let ids: Vec<String> = accounts.iter().map(|a| a.user_id.clone()).collect();
        let body = accounts_body(&accounts);
        match caller
            .write(Step::Accounts, "", Command::MultiaccountImport, body, &ids)
            .await?
        {
            Sent::Answered(call, value) => {
                let failed: HashSet<String> =
                    serde_json::from_value::<MultiAccountImportResponse>(value)
                        .map(|r| r.fail_accounts.into_iter().collect())
                        .unwrap_or_default();
                let (meaning, remedy) = ItemFailure::AccountNotImported.explain();
                let failure = Failure {
                    code: None,
                    meaning: meaning.to_owned(),
                    remedy: remedy.to_owned(),
                    detail: String::new(),
                };
                let settled = ids
                    .iter()
                    .map(|id| {
                        if failed.contains(id) {
                            Settled::failed(id, &failure)
                        } else {
                            Settled::done(id)
                        }
                    })
                    .collect();
                return caller.finish(call, call_state::DONE, None, settled).await;
            }
            Sent::Refused(call, failure) => {
                let settled = ids.iter().map(|id| Settled::failed(id, &failure)).collect();
                return caller
                    .finish(call, call_state::FAILED, Some(&failure.line()), settled)
                    .await;
            }
            Sent::Unknown => {
                caller.before_reading_back().await?;
                let imported = check(caller, ids.clone()).await?;
                let settled = ids
                    .iter()
                    .map(|id| {
                        if imported.contains(id) {
                            Settled::done(id)
                        } else {
                            Settled::pending(id)
                        }
                    })
                    .collect();
                caller.settle(Step::Accounts, "", settled, true).await?;
                accounts.retain(|a| !imported.contains(&a.user_id));
                if accounts.is_empty() {
                    return Ok(());
                }
            }
        }
    }
    Err(Stop::GaveUp(super::call::no_answer(UNKNOWN_ROUNDS)))
}
