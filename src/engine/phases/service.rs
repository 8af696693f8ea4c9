//! The seam between the phases around the messages and the service: the reads that settle and
//! decide (`account_check`, `get_group_info`, a page of `get_group_member_info`) and the writes,
//! sent as the exact planned bytes. Object-safe, so a run holds it beside its lanes' service;
//! implemented for `api::Client`.

use bytes::Bytes;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::api::types::{
    AccountCheckResult, Command, GetGroupMemberInfoRequest, GetGroupMemberInfoResponse, GroupInfo,
};

/// What the phases need from the service. Each read is one call (the phases chunk and pace).
pub trait PhaseService: Send + Sync + 'static {
    /// `account_check` of at most 100 accounts.
    fn check_accounts(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<AccountCheckResult>, ApiError>>;

    /// `get_group_info` of at most 50 groups (type, creation time, ...).
    fn group_info(&self, ids: Vec<String>) -> BoxFuture<'_, Result<Vec<GroupInfo>, ApiError>>;

    /// One page of `get_group_member_info`.
    fn member_page(
        &self,
        req: GetGroupMemberInfoRequest,
    ) -> BoxFuture<'_, Result<GetGroupMemberInfoResponse, ApiError>>;

    /// A write with these exact bytes; the answer's fields as JSON.
    fn send(&self, command: Command, body: Bytes) -> BoxFuture<'_, Result<Value, ApiError>>;

    /// Forget the current UserSig; the next call carries a fresh one.
    fn renew_auth(&self);
}

impl PhaseService for Client {
    fn check_accounts(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<AccountCheckResult>, ApiError>> {
        Box::pin(async move { self.account_check(&ids).await })
    }

    fn group_info(&self, ids: Vec<String>) -> BoxFuture<'_, Result<Vec<GroupInfo>, ApiError>> {
        Box::pin(async move { self.get_group_info(&ids).await })
    }

    fn member_page(
        &self,
        req: GetGroupMemberInfoRequest,
    ) -> BoxFuture<'_, Result<GetGroupMemberInfoResponse, ApiError>> {
        Box::pin(async move { self.get_group_member_info(&req).await })
    }

    fn send(&self, command: Command, body: Bytes) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(self.call_bytes(command, body))
    }

    fn renew_auth(&self) {
        self.renew_usersig();
    }
}
