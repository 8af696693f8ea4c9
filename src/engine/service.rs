//! The seam between lanes and the service: the three things a lane asks of it. Implemented for
//! `api::Client`; lane tests use a scripted fake, the integration tests the sandbox.

use std::future::Future;

use bytes::Bytes;

use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::api::types::{
    GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, ImportGroupMsgResponse,
};

/// What a lane needs from the service.
pub trait ImportService: Send + Sync + 'static {
    /// `import_group_msg` with these exact bytes.
    fn import(
        &self,
        body: Bytes,
    ) -> impl Future<Output = Result<ImportGroupMsgResponse, ApiError>> + Send;

    /// One page of `group_msg_get_simple` (newest first).
    fn read_back(
        &self,
        req: GroupMsgGetSimpleRequest,
    ) -> impl Future<Output = Result<GroupMsgGetSimpleResponse, ApiError>> + Send;

    /// Forget the current UserSig; the next call carries a fresh one.
    fn renew_auth(&self);
}

impl ImportService for Client {
    fn import(
        &self,
        body: Bytes,
    ) -> impl Future<Output = Result<ImportGroupMsgResponse, ApiError>> + Send {
        self.import_group_msg(body)
    }

    async fn read_back(
        &self,
        req: GroupMsgGetSimpleRequest,
    ) -> Result<GroupMsgGetSimpleResponse, ApiError> {
        self.group_msg_get_simple(&req).await
    }

    fn renew_auth(&self) {
        self.renew_usersig();
    }
}
