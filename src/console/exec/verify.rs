//! A verification for the console: the engine's verify on the console's client and scan, its
//! events forwarded as [`Msg::Verify`], its reads paced by the budget a run in the console
//! shares (or one of its own when no run is going).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::verify::{
    ReadPace, VerifyLedger, VerifyOptions, VerifyRequest, open_ledger, verify,
};

use super::super::effect::VerifyLaunch;
use super::super::msg::Msg;

/// Events waiting between the verification and the console (the verification waits when full).
const EVENTS: usize = 256;

/// What the console's verification is called in the ledger's lock when it holds it.
pub(super) const HOLDER: &str = "timport console (verify)";

/// Verifies as `launch` says, forwarding every event; an error is why it could not go on.
/// `holder`: take the ledger's lock as that writer; `None` when the console's own run holds it.
pub(super) async fn run(
    launch: VerifyLaunch,
    holder: Option<String>,
    pace: ReadPace,
    stop: CancellationToken,
    tx: mpsc::Sender<Msg>,
) -> Result<(), String> {
    // `_lock` is held until the verification ends.
    let VerifyLedger {
        ledger,
        lock: _lock,
    } = open_ledger(&launch.ledger, holder)
        .await
        .map_err(|e| e.to_string())?;
    let (etx, mut erx) = mpsc::channel(EVENTS);
    let forward = tokio::spawn(async move {
        while let Some(event) = erx.recv().await {
            if tx.send(Msg::Verify(event)).await.is_err() {
                break;
            }
        }
    });
    let request = VerifyRequest {
        ledger,
        run_id: launch.run_id,
        only: launch.only,
        staging: launch.staging,
        restart: false,
        options: VerifyOptions::default(),
    };
    let result = verify(Arc::new(launch.client), request, pace, etx, stop).await;
    let _ = forward.await;
    result.map(drop).map_err(|e| e.to_string())
}
