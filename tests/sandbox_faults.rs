//! Faults, frequency limit, latency and shutdown, seen through the real client: one test per
//! fault kind, each checking both what the client saw and what the sandbox applied.

mod common;

use std::time::{Duration, Instant};

use common::{assert_refused, client, client_with, config, import, make_group, msg, seqs, start};
use serde_json::json;
use timport::api::types::{Command, GroupMsgGetSimpleRequest};
use timport::api::{ApiError, Client, ClientOptions, LocalFailure};
use timport::clock::unix_now;
use timport::sandbox::{Fault, FaultConfig, FaultKind, SandboxConfig, SandboxHandle, Seed};

/// A sandbox with `config`, a client, and a Public group `g` created an hour ago.
async fn with_group(config: SandboxConfig) -> (SandboxHandle, Client, i64) {
    let sandbox = start(config).await;
    let client = client(&sandbox);
    let created = sandbox.now() - 3600;
    make_group(&client, "Public", "g", created).await;
    (sandbox, client, created)
}

/// Longer than any test waits: an answer held back this long never comes during the test.
const HOUR: Duration = Duration::from_secs(3600);

/// Waits until `group` holds `n` messages (a minute at most, then fails saying `what`).
async fn wait_for_messages(sandbox: &SandboxHandle, group: &str, n: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while sandbox.messages(group).len() < n {
        assert!(
            Instant::now() < deadline,
            "{what}: {group} holds {} message(s) after a minute, not {n}",
            sandbox.messages(group).len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn transport_failure<T: std::fmt::Debug>(outcome: &Result<T, ApiError>) -> LocalFailure {
    match outcome {
        Err(ApiError::Transport { failure, .. }) => *failure,
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

fn http_status<T: std::fmt::Debug>(outcome: &Result<T, ApiError>) -> u16 {
    match outcome {
        Err(ApiError::Http { status, .. }) => *status,
        other => panic!("expected an HTTP status, got {other:?}"),
    }
}

#[tokio::test]
async fn an_injected_error_code_refuses_the_request_and_applies_nothing() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::ErrorCode(10002)));
    let answer = import(&client, "g", vec![msg("a", created + 1, Some(1), "x")]).await;
    assert_refused(&answer, 10002);
    assert!(answer.unwrap_err().retryable());
    assert!(sandbox.messages("g").is_empty());
    let stats = sandbox.stats();
    assert_eq!((stats.faults["error"], stats.refusals[&10002]), (1, 1));
    // The fault is used up: the resend lands.
    let again = import(&client, "g", vec![msg("a", created + 1, Some(1), "x")]).await;
    assert_eq!(seqs(&again.unwrap()), [1]);
}

#[tokio::test]
async fn an_http_5xx_applies_nothing() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::Http5xx(503)));
    let answer = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(http_status(&answer), 503);
    assert!(sandbox.messages("g").is_empty());
}

#[tokio::test]
async fn an_http_5xx_after_commit_applies_then_answers_504() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::Http5xxAfterCommit));
    let answer = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(http_status(&answer), 504);
    assert!(answer.unwrap_err().outcome_unknown());
    assert_eq!(sandbox.messages("g").len(), 1);
}

#[tokio::test]
async fn a_drop_before_commit_closes_the_connection_and_applies_nothing() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::DropBeforeCommit));
    let answer = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(transport_failure(&answer), LocalFailure::Dropped);
    assert!(sandbox.messages("g").is_empty());
}

#[tokio::test]
async fn a_drop_after_commit_applies_once_and_the_resend_is_absorbed_as_a_repeat() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::DropAfterCommit));
    let batch = || {
        vec![
            msg("a", created + 1, Some(11), "x"),
            msg("a", created + 2, Some(12), "y"),
        ]
    };
    let answer = import(&client, "g", batch()).await;
    assert_eq!(transport_failure(&answer), LocalFailure::Dropped);
    assert!(answer.unwrap_err().outcome_unknown());
    // Committed-then-dropped: both messages are in, and reading back shows them.
    assert_eq!(sandbox.messages("g").len(), 2);
    let read = client
        .group_msg_get_simple(&GroupMsgGetSimpleRequest {
            group_id: "g".into(),
            req_msg_number: 1,
            ..GroupMsgGetSimpleRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(read.rsp_msg_list[0].msg_random, 12);
    // A blind resend with the same Randoms is answered as success and doubles nothing.
    let resend = import(&client, "g", batch()).await.unwrap();
    assert_eq!(seqs(&resend), [1, 2]);
    assert_eq!(sandbox.messages("g").len(), 2);
}

#[tokio::test]
async fn a_stall_after_commit_applies_and_holds_the_answer_back() {
    let (sandbox, _, created) = with_group(config()).await;
    let impatient = client_with(
        &sandbox,
        ClientOptions {
            request_timeout: Duration::from_secs(1),
            ..ClientOptions::default()
        },
    );
    // Far longer than the client waits: the answer can only be missing because of the stall.
    sandbox.inject(Fault::new(FaultKind::StallAfterCommit(HOUR)));
    let answer = import(&impatient, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(transport_failure(&answer), LocalFailure::Timeout);
    wait_for_messages(&sandbox, "g", 1, "applied although the answer never came").await;
    // A stall shorter than the client's patience only delays the answer (a lower bound: load
    // can only lengthen it).
    let patient = client(&sandbox);
    sandbox.inject(Fault::new(FaultKind::StallAfterCommit(
        Duration::from_millis(200),
    )));
    let started = Instant::now();
    let answer = import(&patient, "g", vec![msg("a", created + 2, None, "y")]).await;
    assert_eq!(seqs(&answer.unwrap()), [2]);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_queued_fault_waits_for_its_command_and_faults_go_in_order() {
    let (sandbox, client, created) = with_group(config()).await;
    sandbox.inject(Fault::new(FaultKind::ErrorCode(60008)).only(Command::ImportGroupMsg));
    sandbox.inject(Fault::new(FaultKind::Http5xx(502)).only(Command::ImportGroupMsg));
    // Other commands pass untouched.
    client.account_check(&["a".to_owned()]).await.unwrap();
    let first = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_refused(&first, 60008);
    let second = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(http_status(&second), 502);
    let third = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_eq!(seqs(&third.unwrap()), [1]);
}

/// What each of 30 calls saw, as a code: 0 ok, the service code, or the HTTP status.
async fn outcomes(client: &Client) -> Vec<i64> {
    let mut seen = Vec::new();
    for _ in 0..30 {
        let outcome = client.account_check(&["a".to_owned()]).await;
        seen.push(match outcome {
            Ok(_) => 0,
            Err(ApiError::Service { code, .. }) => code,
            Err(ApiError::Http { status, .. }) => i64::from(status),
            Err(other) => panic!("unexpected {other:?}"),
        });
    }
    seen
}

#[tokio::test]
async fn random_faults_follow_the_rate_replay_with_the_seed_and_can_be_turned_off() {
    let random = |rate: f64| {
        let mut c = config();
        c.faults = FaultConfig {
            rate,
            kinds: vec![FaultKind::ErrorCode(70500), FaultKind::Http5xx(502)],
            command: None,
            seed: Some(7),
        };
        c
    };
    let every = start(random(1.0)).await;
    let seen = outcomes(&client(&every)).await;
    assert!(seen.iter().all(|c| [70500, 502].contains(c)), "{seen:?}");
    assert!(seen.contains(&70500) && seen.contains(&502), "{seen:?}");
    every.set_fault_rate(0.0);
    assert_eq!(outcomes(&client(&every)).await, [0; 30]);

    let first = start(random(0.5)).await;
    let second = start(random(0.5)).await;
    let (a, b) = (
        outcomes(&client(&first)).await,
        outcomes(&client(&second)).await,
    );
    assert_eq!(a, b, "same seed, same faults");
    assert!(a.contains(&0) && a.iter().any(|&c| c != 0), "{a:?}");
}

#[tokio::test]
async fn random_faults_can_be_limited_to_one_command() {
    let mut c = config();
    c.faults = FaultConfig {
        rate: 1.0,
        kinds: vec![FaultKind::ErrorCode(10002)],
        command: Some(Command::ImportGroupMsg),
        seed: Some(1),
    };
    let (_sandbox, client, created) = with_group(c).await;
    client.account_check(&["a".to_owned()]).await.unwrap();
    let answer = import(&client, "g", vec![msg("a", created + 1, None, "x")]).await;
    assert_refused(&answer, 10002);
}

#[tokio::test]
async fn more_requests_than_the_rate_limit_in_one_second_get_60007() {
    let mut c = config();
    c.rate_limit = 5;
    let sandbox = start(c).await;
    // A stopped clock sees all eight within the same second, however slowly they arrive.
    sandbox.freeze_clock();
    let client = client(&sandbox);
    let ids = ["a".to_owned()];
    let calls = (0..8).map(|_| client.account_check(&ids));
    let outcomes = futures::future::join_all(calls).await;
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(ApiError::Service { code: 60007, .. })))
        .count();
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!((ok, refused), (5, 3), "{outcomes:?}");
    let stats = sandbox.stats();
    assert_eq!(stats.refusals[&60007], 3);
    assert_eq!(stats.max_requests_per_second, 8);
    assert_eq!(stats.requests["account_check"], 8);
}

#[tokio::test]
async fn latency_holds_every_answer_back_without_holding_up_the_others() {
    let groups = ["g0", "g1", "g2", "g3"];
    let created = unix_now() - 3600;
    let seed = json!({"groups": groups.map(|g| json!({"id": g, "type": "Public", "name": g, "create_time": created}))});
    let mut c = config().with_seed(Seed::parse(&seed.to_string(), unix_now()).unwrap());
    c.latency = HOUR;
    let sandbox = start(c).await;
    let client = client(&sandbox);
    let calls: Vec<_> = groups
        .iter()
        .map(|g| {
            let (client, g) = (client.clone(), (*g).to_owned());
            tokio::spawn(async move {
                import(&client, &g, vec![msg("a", created + 1, None, "x")]).await
            })
        })
        .collect();
    // All four are applied while the first one's answer still waits out its latency ...
    for g in groups {
        wait_for_messages(
            &sandbox,
            g,
            1,
            "every request is applied, none waits for another",
        )
        .await;
    }
    // ... and no answer has come back (an hour is longer than any machine is slow).
    assert!(
        calls.iter().all(|c| !c.is_finished()),
        "an answer came back early"
    );
    // Closing the sandbox ends the wait: the connections drop, unanswered.
    sandbox.shutdown().await;
    for call in calls {
        let outcome = call.await.expect("the call task");
        assert_eq!(
            transport_failure(&outcome),
            LocalFailure::Dropped,
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sandbox = start(config()).await;
    let client = client(&sandbox);
    client.account_check(&["a".to_owned()]).await.unwrap();
    sandbox.shutdown().await;
    let after = client.account_check(&["a".to_owned()]).await;
    assert!(
        matches!(
            transport_failure(&after),
            LocalFailure::Connect | LocalFailure::Dropped
        ),
        "{after:?}"
    );
}
