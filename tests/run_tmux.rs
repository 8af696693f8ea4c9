//! `timport run` in a real terminal (tmux): the progress bar on stderr shows messages settled of
//! the total, the pace against the budget and an ETA while the run goes, and gives way to the
//! summary at the end. Fails, saying how to install it, when tmux is missing (CI installs it).

mod run_support;
mod support;
mod tmux_support;

use std::time::Duration;

use run_support::{KEY, key_file_env, sandbox_config, start, write_staging};
use tmux_support::Tmux;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_a_terminal_shows_its_progress_bar() {
    let mut config = sandbox_config(2);
    // Slow enough (about 90 requests at 60 ms each, one lane) for the bar to be seen.
    config.latency = Duration::from_millis(60);
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let staging = dir.path().join("staging");
    write_staging(&staging, 2, 300);
    let env = key_file_env(&sandbox, dir.path());
    let args = format!("run {} --yes --lanes 1", staging.display());
    let screens = tokio::task::spawn_blocking(move || {
        let t = Tmux::start_with(&env, &args);
        let running = t.wait_for("/600 messages");
        let done = t.wait_for("600 of 600 message(s) imported");
        (running, done)
    })
    .await
    .expect("the terminal session");
    let (running, done) = screens;
    let bar = running
        .lines()
        .find(|l| l.contains("/600 messages"))
        .expect("the bar's line");
    assert!(bar.contains("req/s"), "the pace against the budget: {bar}");
    assert!(bar.contains("eta"), "an ETA: {bar}");
    assert!(
        running.contains("timport: starting run 1"),
        "lines for people go above the bar:\n{running}"
    );
    assert!(
        !done.contains("/600 messages"),
        "the bar is cleared at the end:\n{done}"
    );
    assert!(!running.contains(KEY) && !done.contains(KEY));
    assert_eq!(sandbox.messages("g0").len(), 300);
    assert_eq!(sandbox.messages("g1").len(), 300);
}
