//! Reproduction 4 of issue 9: one writer per ledger. Two `timport run` on one ledger: the second
//! exits 3 at once naming the first (pid, command); a console holding a run turns a CLI run
//! away the same way; a lock left by a killed process does not block the next run; reading
//! (`timport report`) stays allowed while a run writes.

mod run_support;
mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use run_support::*;
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::console::effect::Launch;
use timport::engine::Control;
use timport::staging::{ScanOptions, scan};

async fn output(mut cmd: std::process::Command) -> std::process::Output {
    cmd.stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_one_ledger_exits_3_naming_the_first_and_a_dead_holder_never_blocks() {
    let mut config = sandbox_config(1);
    config.latency = Duration::from_millis(200);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_staging(&staging, 1, 120);

    let mut first = timport(home.path(), &sandbox);
    first
        .arg("run")
        .arg(&staging)
        .args(["--yes", "--rate", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut first = first.spawn().unwrap();
    until_sending(&sandbox, 2).await;

    let mut second = timport(home.path(), &sandbox);
    second.arg("run").arg(&staging).arg("--yes");
    let out = output(second).await;
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "in use by another timport: pid {} (timport run)",
            first.id()
        )),
        "{err}"
    );
    assert!(
        sandbox.stats().message_refusals.is_empty(),
        "the second writer sent nothing"
    );

    // Reading stays allowed while the first writes.
    let mut report = timport(home.path(), &sandbox);
    report.arg("report");
    let out = output(report).await;
    assert!(out.status.code() != Some(3), "{:?}", text(&out));

    // The holder dies without a word: its lock goes with it.
    first.kill().unwrap();
    first.wait().unwrap();
    let mut third = timport(home.path(), &sandbox);
    third.arg("run").arg(&staging).arg("--yes");
    let out = output(third).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_exactly_once(&sandbox, &texts, &ledger_of(home.path()), "after a kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_holding_a_run_turns_a_cli_run_away() {
    let mut config = sandbox_config(1);
    config.latency = Duration::from_millis(200);
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 60);

    // The console's own way of running: its launch, opened by the one opener.
    let scanned = scan(&staging, &ScanOptions::new(timport::clock::unix_now())).unwrap();
    let client = Client::new(
        Endpoint::parse(&sandbox.url()).unwrap(),
        Credentials {
            sdkappid: sandbox.sdkappid(),
            admin: sandbox.admin().to_owned(),
            secret: SecretKey::new(KEY),
        },
        ClientOptions::default(),
    )
    .unwrap();
    let mut options = timport::console::run::options();
    options.rate = 5;
    let launch = Launch {
        staging: Arc::new(scanned),
        groups: vec![],
        client,
        ledger: ledger_of(home.path()),
        options: options.clone(),
        migration: timport::engine::phases::MigrationWork::messages_only(),
    };
    let (controls, controls_rx) = tokio::sync::mpsc::channel(8);
    let mut started = timport::console::run::start(launch, options, controls_rx)
        .await
        .expect("the console's run starts");
    until_sending(&sandbox, 1).await;

    let mut cli = timport(home.path(), &sandbox);
    cli.arg("run").arg(&staging).arg("--yes");
    let out = output(cli).await;
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("pid {} (timport console)", std::process::id())),
        "{err}"
    );

    controls.send(Control::Shutdown).await.unwrap();
    while started.events.recv().await.is_some() {}
    started.engine.await.unwrap().unwrap();
    // The console's run is over: the CLI may write now.
    let mut cli = timport(home.path(), &sandbox);
    cli.arg("run").arg(&staging).arg("--yes");
    let out = output(cli).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}
