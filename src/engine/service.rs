//! The seam between lanes and the service: the things a run asks of it. Implemented for
//! `api::Client`; lane tests use a scripted fake, the integration tests the sandbox.

use std::future::Future;

use bytes::Bytes;

use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::api::types::{
    GroupInfo, GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, ImportGroupMsgResponse,
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

    /// `get_group_info` for at most [`GROUP_INFO_CHUNK`](crate::api::client::GROUP_INFO_CHUNK)
    /// groups, with `NextMsgSeq` (one call). Used to learn which groups hold no message at all
    /// (`engine::empty`). A service that does not answer it (the default) tells nothing, and
    /// every lane reads its group back.
    fn group_info(
        &self,
        ids: Vec<String>,
    ) -> impl Future<Output = Result<Vec<GroupInfo>, ApiError>> + Send {
        let _ = ids;
        std::future::ready(Ok(Vec::new()))
    }
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

    async fn group_info(&self, ids: Vec<String>) -> Result<Vec<GroupInfo>, ApiError> {
        self.get_group_info(&ids).await
    }
}
