//! What the console writes to its log while it connects, lists groups, runs an import and takes
//! a decision never holds the secret key or a UserSig. Its own test binary: it installs the
//! process's tracing subscriber.

mod console_common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use console_common::*;
use crossterm::event::KeyCode;
use timport::cli::demo::{DEMO_KEY, DemoDir, start_sandbox};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_never_holds_the_key_or_a_usersig() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let sb = start_sandbox(false).await.expect("sandbox");
    let dir = DemoDir::create().expect("demo dir");
    let url = sb.url();
    let mut h = Harness::start(120, 40, |home| demo_startup(&url, &dir, home));
    h.wait_for("1 only staged").await;
    h.import_group("sales-emea").await;
    h.wait_for("sales-emea paused at").await;
    h.press(KeyCode::Enter);
    h.wait_for("What went wrong").await;
    h.press(KeyCode::Char('s'));
    h.type_text("older than the group");
    h.press(KeyCode::Enter);
    h.wait_for("sales-emea.jsonl line 2").await;
    h.quit().await;
    sb.shutdown().await;

    let log = String::from_utf8_lossy(&captured.0.lock().expect("log").clone()).into_owned();
    assert!(log.contains("testing the connection"), "{log}");
    assert!(log.contains("starting a run"), "{log}");
    assert!(log.contains("the operator's control"), "{log}");
    assert!(!log.contains(DEMO_KEY), "the key is in the log");
    assert!(
        !log.contains("eJw"),
        "something like a UserSig is in the log"
    );
    assert!(
        !log.to_lowercase().contains("usersig="),
        "a URL with its UserSig is in the log"
    );
}
