//! Consoles attached to a headless `timport run` (the real binary, on a sandbox in process):
//! the attached console shows the run as it stands, decides about a refused message (its
//! decision recorded in the ledger with this console's operator), a second console is refused
//! the helm while the first holds it, detaching leaves the run going, the second takes the
//! helm and finishes the decisions, and the run ends with exactly what was decided.

mod console_common;
mod run_support;
mod support;

use std::path::Path;

use console_common::{Harness, locations, startup};
use crossterm::event::KeyCode;
use run_support::*;

const REASON: &str = "too long, agreed with the owner";

/// A console opened with `--attach` on `home`'s ledger.
fn attached_console(url: &str, home: &Path) -> Harness {
    let ledger = ledger_of(home);
    Harness::start(120, 30, move |dir| {
        let mut s = startup(url, locations(dir));
        s.locations.ledger = ledger;
        s.attach = true;
        s
    })
}

/// Opens the inspector on the paused lane and skips its message with [`REASON`].
async fn skip_paused(console: &mut Harness) {
    console.press(KeyCode::Enter);
    console.wait_for("What went wrong").await;
    console.press(KeyCode::Char('s'));
    console.wait_for("Why skip it").await;
    console.type_text(REASON);
    console.press(KeyCode::Enter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consoles_attach_to_a_headless_run_one_decides_at_a_time_and_detaching_leaves_it_going() {
    let (sandbox, home, staging, texts) = long_group_refused().await;
    let mut cmd = run_command(home.path(), &sandbox, &staging);
    // The run's own operator: decisions made in a console name the console's instead.
    cmd.env("USER", "run-owner");
    let mut run = Running::spawn(cmd);
    run.wait_for("\"lane_paused\"").await;

    // The first console attaches: the lane paused (at line 5) with its reason, counts so far.
    let mut day = attached_console(&sandbox.url(), home.path());
    let screen = day
        .wait_until("attached, lane paused", |s| {
            s.contains("run 1 · helm: free") && s.contains("‖ paused")
        })
        .await;
    // Counts so far come from the run's catch-up: lines 5 to 7 were refused in one request.
    assert!(
        screen.contains("✓ 4 done  ✗ 3 failed"),
        "counts so far: {screen}"
    );

    // A second console watches.
    let mut night = attached_console(&sandbox.url(), home.path());
    night
        .wait_until("attached", |s| s.contains("‖ paused"))
        .await;

    // The first decides: the message at line 5 is skipped, and it holds the helm.
    skip_paused(&mut day).await;
    run.wait_for_count("\"lane_paused\"", 2).await;
    day.wait_for("helm: this console").await;
    let operator = timport::engine::operator::current();
    let helm_holder = format!("helm: {operator}");
    night.wait_for(&helm_holder).await;

    // The second is refused: its keys say who holds the helm, nothing reaches the run.
    night.press(KeyCode::Char(' '));
    let screen = night.wait_for("holds the helm: this console watches").await;
    assert!(screen.contains(&operator), "{screen}");
    night.press(KeyCode::Char('H'));
    night.wait_for("holds the helm").await;

    // The first decides once more (line 6), then detaches: the run goes on.
    day.wait_for("paused at g0.jsonl line 6").await;
    skip_paused(&mut day).await;
    run.wait_for_count("\"lane_paused\"", 3).await;
    day.press(KeyCode::Char('D'));
    day.wait_for("Detached from run 1: it goes on").await;
    assert!(run.still_going(), "detaching leaves the run going");
    night.wait_for("helm: free").await;

    // The second takes the helm with its decision about line 7; the run finishes.
    night.wait_for("paused at g0.jsonl line 7").await;
    skip_paused(&mut night).await;
    night
        .wait_for("Detached from run 1: the run finished")
        .await;
    let (code, _, _) = run.end().await;
    assert_eq!(code, Some(1), "finished with skipped messages");
    day.quit().await;
    night.quit().await;

    // Exactly what was decided: lines 5 to 7 skipped, each by the console's operator.
    assert_all_but_lines_5_to_7_landed(&sandbox, &texts);
    let rows = decision_rows(&ledger_of(home.path()));
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (i, (line, word, reason, who)) in rows.iter().enumerate() {
        assert_eq!(*line, 5 + i as i64);
        assert_eq!(word, "skip");
        assert_eq!(reason.as_deref(), Some(REASON));
        assert_eq!(who.as_deref(), Some(operator.as_str()), "{rows:?}");
    }
    assert!(!operator.starts_with("run-owner@"));
}
