//! The console's own calls to the service: the connection test, paging the app's groups in
//! (paced, to leave the app's request budget to imports), the accounts a launch's staging names
//! that the app lacks, and creating a group the operator confirmed.

use std::time::Duration;

use tokio::sync::mpsc;

use bytes::Bytes;

use crate::api::types::{Command, GetAppidGroupListRequest, GroupInfo, ImportGroupResponse};
use crate::api::{Client, ClientOptions};
use crate::staging::Staging;

use super::super::msg::{Connected, ErrorView, GroupIdPage, Msg};

/// Ids per `get_appid_group_list` page (the service's maximum).
const GROUP_PAGE: u32 = 10_000;
/// Pause between `get_group_info` calls: the app's 200 requests/s are shared with imports and
/// production traffic, so browsing stays well below (about 20 calls, 1,000 groups, a second).
const GROUP_INFO_GAP: Duration = Duration::from_millis(50);

/// Tests a connection with the smallest call that needs a valid signature (one group id).
pub(super) async fn test_connection(
    endpoint: crate::api::Endpoint,
    creds: crate::api::Credentials,
    opts: ClientOptions,
) -> Result<Connected, ErrorView> {
    let client = Client::new(endpoint, creds, opts)
        .map_err(|e| ErrorView::local("Cannot make a client", &e.to_string()))?;
    let req = GetAppidGroupListRequest {
        limit: Some(1),
        ..GetAppidGroupListRequest::default()
    };
    let started = tokio::time::Instant::now();
    let answer = client
        .get_appid_group_list(&req)
        .await
        .map_err(|e| ErrorView::from_api(&e))?;
    Ok(Connected {
        client,
        total_groups: answer.total_count,
        round_trip: started.elapsed(),
    })
}

/// Pages the app's group ids in, each page followed by its groups' details, paced to leave the
/// app's request budget to imports. The client keeps `get_appid_group_list` at one call a
/// second (as the service allows), counting the connection test's call made with it.
pub(super) async fn list_groups(generation: u64, client: Client, tx: mpsc::Sender<Msg>) {
    let mut next = None;
    loop {
        let req = GetAppidGroupListRequest {
            limit: Some(GROUP_PAGE),
            next,
            group_type: None,
        };
        let page = match client.get_appid_group_list(&req).await {
            Ok(page) => page,
            Err(e) => {
                let result = Err(ErrorView::from_api(&e));
                let _ = tx.send(Msg::GroupIds { generation, result }).await;
                return;
            }
        };
        let ids: Vec<String> = page.group_id_list.into_iter().map(|g| g.group_id).collect();
        let last = page.next == 0 || ids.is_empty();
        let result = Ok(GroupIdPage {
            ids: ids.clone(),
            total: page.total_count,
            last,
        });
        if tx.send(Msg::GroupIds { generation, result }).await.is_err() {
            return;
        }
        for chunk in ids.chunks(crate::api::client::GROUP_INFO_CHUNK) {
            let result = client
                .get_group_info(chunk)
                .await
                .map_err(|e| ErrorView::from_api(&e));
            let failed = result.is_err();
            if tx
                .send(Msg::GroupInfos { generation, result })
                .await
                .is_err()
                || failed
            {
                return;
            }
            tokio::time::sleep(GROUP_INFO_GAP).await;
        }
        if last {
            return;
        }
        next = Some(page.next);
    }
}

/// The accounts `staging` names that are neither in the app nor staged.
pub(super) async fn missing_accounts(
    staging: &Staging,
    client: &Client,
) -> Result<Vec<String>, ErrorView> {
    crate::staging::online::missing_accounts(staging, client)
        .await
        .map_err(|e| ErrorView::from_api(&e))
}

/// Creates `group` with `body` (`import_group`, the bytes the operator saw), then reads its
/// details back for the Groups screen.
pub(super) async fn create_group(
    client: &Client,
    group: &str,
    body: Bytes,
) -> Result<Vec<GroupInfo>, ErrorView> {
    client
        .call_bytes::<ImportGroupResponse>(Command::ImportGroup, body)
        .await
        .map_err(|e| ErrorView::from_api(&e))?;
    client
        .get_group_info(&[group.to_owned()])
        .await
        .map_err(|e| ErrorView::from_api(&e))
}
