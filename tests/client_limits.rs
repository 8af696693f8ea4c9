//! The client against an endpoint that answers far too much: a 256 MB body (declared, or
//! streamed without a length) is refused after at most a few MB, with an error naming the
//! endpoint but never the UserSig, and an import that got such an answer is an unknown outcome
//! (settled by reading back), never a failure.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use support::{KEY, creds, shown};
use timport::api::client::MAX_ANSWER_BYTES;
use timport::api::{ApiError, Client, ClientOptions, Endpoint, LocalFailure};
use timport::engine::outcome::{Verdict, classify_import};

const FLOOD_BYTES: u64 = 256 << 20;

/// A server that answers every request with a 200 and [`FLOOD_BYTES`] of body, written in 64 KB
/// chunks as fast as the client takes them; counts the bytes it managed to write.
async fn flood(declare_length: bool) -> (Endpoint, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = Endpoint::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                // The request: read until the client has sent it all (it is small).
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !request_complete(&seen) {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = if declare_length {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {FLOOD_BYTES}\r\n\r\n"
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned()
                };
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 << 10];
                let framed = if declare_length {
                    chunk.clone()
                } else {
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    framed
                };
                let mut sent = 0;
                while sent < FLOOD_BYTES {
                    if stream.write_all(&framed).await.is_err() {
                        return;
                    }
                    sent += chunk.len() as u64;
                    counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (endpoint, written)
}

fn request_complete(seen: &[u8]) -> bool {
    let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    seen.len() >= end + 4 + length
}

async fn import_against(declare_length: bool) -> (ApiError, u64, Endpoint) {
    let (endpoint, written) = flood(declare_length).await;
    let client = Client::new(endpoint.clone(), creds(), ClientOptions::default()).unwrap();
    let err = client
        .import_group_msg(Bytes::from_static(br#"{"GroupId":"g","MsgList":[]}"#))
        .await
        .unwrap_err();
    (err, written.load(Ordering::SeqCst), endpoint)
}

fn assert_capped(err: &ApiError, written: u64, endpoint: &Endpoint) {
    let text = shown(err);
    assert!(matches!(err, ApiError::BadAnswer { .. }), "{text}");
    assert_eq!(err.local_failure(), Some(LocalFailure::BadAnswer));
    assert!(text.contains("larger than 4 MiB"), "{text}");
    assert!(
        text.contains(&format!(
            "{}/v4/group_open_http_svc/import_group_msg",
            endpoint.base()
        )),
        "the error names the endpoint: {text}"
    );
    assert!(!text.contains("usersig"), "{text}");
    assert!(!text.contains(&KEY[..16]), "{text}");
    // Reading stopped near the cap: far from the 256 MB offered (socket buffers hold a few MB).
    assert!(
        written < 64 << 20,
        "the client kept reading: {written} bytes written"
    );
    // An import that got it is settled by reading back, never called failed.
    assert!(err.outcome_unknown());
    assert!(matches!(
        classify_import(&Err(err.clone()), 1),
        Verdict::Unknown(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_256_mb_answer_is_refused_unread() {
    let (err, written, endpoint) = import_against(true).await;
    assert_capped(&err, written, &endpoint);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_256_mb_answer_is_cut_at_the_cap() {
    let (err, written, endpoint) = import_against(false).await;
    assert_capped(&err, written, &endpoint);
}

#[tokio::test]
async fn an_answer_twice_the_services_largest_is_still_read() {
    // The service answers at most 1 MB (10018 beyond); 2 MB of padding still fits the cap.
    let padding = "x".repeat(2 << 20);
    let body = format!(
        r#"{{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"ImportMsgResult":[{{"MsgSeq":1,"MsgTime":1600000001,"Result":0}}],"Padding":"{padding}"}}"#
    );
    assert!(body.len() < MAX_ANSWER_BYTES);
    let server = support::Server::start(move |_| support::Reply::Answer(200, body.clone())).await;
    let answer = support::client(&server)
        .import_group_msg(Bytes::from_static(br#"{"GroupId":"g","MsgList":[]}"#))
        .await
        .unwrap();
    assert_eq!(answer.import_msg_result.len(), 1);
}
