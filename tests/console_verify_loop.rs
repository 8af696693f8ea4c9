//! The console's verification in the real console loop (App on a TestBackend) against the demo
//! sandbox: a group imported, then verified with `V`, live; a message deleted in the sandbox,
//! verified again: the finding shows in the errors pane and opens staged against found. While
//! another timport holds the ledger's lock, the verification is refused naming it.

mod console_common;
mod support;

use console_common::*;
use crossterm::event::KeyCode;
use timport::cli::demo::{DemoDir, start_sandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_group_is_verified_live_and_a_deleted_message_is_found() {
    let sb = start_sandbox(false).await.expect("sandbox");
    let dir = DemoDir::create().expect("demo dir");
    let url = sb.url();
    let mut h = Harness::start(140, 45, |home| demo_startup(&url, &dir, home));
    h.wait_for("Groups · 6 in the app").await;
    h.wait_for("1 only staged").await;
    h.import_group("@TGS#_bookclub").await;
    h.wait_until("the run finished", |s| s.contains("Run 1 finished"))
        .await;

    h.press(KeyCode::Char('V'));
    let screen = h
        .wait_for("Verify run: verified: 350 of 350 as sent, no difference")
        .await;
    assert!(
        screen.contains("verify: 350 of 350 as sent"),
        "the lane's note: {screen}"
    );

    // Another timport writing to the ledger: the verification is refused, naming it.
    let held = timport::engine::ledger::lock::LedgerLock::acquire(&dir.ledger(), "timport run")
        .expect("the lock is free between verifications");
    h.press(KeyCode::Char('V'));
    h.wait_until("the refusal", |s| {
        s.contains("The verification failed") && s.contains("in use by another timport")
    })
    .await;
    drop(held);

    assert!(sb.delete_message("@TGS#_bookclub", None, 10));
    h.press(KeyCode::Char('V'));
    h.wait_for("Verify run: verified: 349 of 350 as sent; 1 missing")
        .await;
    // The finding is in the errors pane; Enter opens it staged against found.
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char('G'));
    h.press(KeyCode::Enter);
    let screen = h.wait_for("staged against found").await;
    assert!(screen.contains("Found · nothing at MsgSeq 10"), "{screen}");
    assert!(screen.contains("@TGS#_bookclub.jsonl line"), "{screen}");
    let app = h.quit().await;
    assert!(!app.state().run.verify.active);
    drop(dir);
    sb.shutdown().await;
}
