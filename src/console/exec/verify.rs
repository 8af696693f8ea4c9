//! A verification for the console: the engine's verify on the console's client and scan, its
//! events forwarded as [`Msg::Verify`], its reads paced by the budget a run in the console
//! shares (or one of its own when no run is going).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::ledger::lock::LedgerLock;
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
/// `holder`: take the ledger's lock as that writer; `None` when the console's own run holds it,
/// and then `run_ended` tells when that run let it go: the verification takes it at that moment
/// (so no other timport writes to the ledger while it records), or stops saying who took it.
pub(super) async fn run(
    launch: VerifyLaunch,
    holder: Option<String>,
    run_ended: Option<CancellationToken>,
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
    let path = launch.ledger.clone();
    let request = VerifyRequest {
        ledger,
        run_id: launch.run_id,
        only: launch.only,
        staging: launch.staging,
        restart: false,
        options: VerifyOptions::default(),
    };
    let verifying = verify(Arc::new(launch.client), request, pace, etx, stop.clone());
    tokio::pin!(verifying);
    let mut _taken_over = None;
    let result = tokio::select! {
        result = &mut verifying => result,
        taken = take_over(run_ended, path) => match taken {
            Ok(lock) => {
                _taken_over = Some(lock);
                verifying.await
            }
            Err(why) => {
                stop.cancel();
                let _ = verifying.await;
                let _ = forward.await;
                return Err(why);
            }
        },
    };
    let _ = forward.await;
    result.map(drop).map_err(|e| e.to_string())
}

/// Takes the ledger's lock once the run that held it ended; never returns without `run_ended`.
async fn take_over(
    run_ended: Option<CancellationToken>,
    ledger: PathBuf,
) -> Result<LedgerLock, String> {
    let Some(ended) = run_ended else {
        return std::future::pending().await;
    };
    ended.cancelled().await;
    let taken = tokio::task::spawn_blocking(move || LedgerLock::acquire(&ledger, HOLDER)).await;
    match taken {
        Ok(Ok(lock)) => Ok(lock),
        Ok(Err(e)) => Err(format!(
            "the run ended and the verification could not keep the ledger: {e}; it stopped, and v resumes it"
        )),
        Err(e) => Err(format!("taking the ledger's lock failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::ledger::lock::lock_path;

    #[tokio::test]
    async fn the_lock_is_taken_over_only_when_the_run_ended() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite3");
        let held = LedgerLock::acquire(&ledger, "timport console").unwrap();
        let ended = CancellationToken::new();
        let taking = tokio::spawn(take_over(Some(ended.clone()), ledger.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!taking.is_finished(), "it waits for the run to end");
        // The run ends: its lock goes, and the verification's comes.
        drop(held);
        ended.cancel();
        let lock = taking.await.unwrap().expect("the lock taken over");
        let holder = std::fs::read_to_string(lock_path(&ledger)).unwrap();
        assert!(holder.contains(HOLDER), "{holder}");
        drop(lock);
    }

    #[tokio::test]
    async fn another_timport_taking_the_ledger_first_stops_the_verification_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite3");
        let _other = LedgerLock::acquire(&ledger, "timport run").unwrap();
        let ended = CancellationToken::new();
        ended.cancel();
        let why = take_over(Some(ended), ledger).await.unwrap_err();
        assert!(why.contains("could not keep the ledger"), "{why}");
        assert!(why.contains("timport run"), "names who took it: {why}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_run_nothing_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let waited = tokio::time::timeout(
            Duration::from_secs(3600),
            take_over(None, dir.path().join("ledger.sqlite3")),
        )
        .await;
        assert!(waited.is_err(), "it never returns");
    }
}
