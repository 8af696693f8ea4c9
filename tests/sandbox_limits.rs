//! The sandbox against clients that never finish: a connection that sends nothing, half a
//! request head, or a head and half a body is closed once the configured read timeout passes
//! (nothing committed, no answer), and connections past the configured cap are closed on
//! arrival, so half-sent requests cannot hold it nor a flood exhaust its descriptors.
//! Timeouts here are short and configured; each wait has a generous guard only against a hang.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use timport::api::types::GetAppidGroupListRequest;
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::sandbox::{SandboxConfig, SandboxHandle};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

/// Only against a hang: every wait below ends long before.
const GUARD: Duration = Duration::from_secs(30);

async fn start(read_timeout: Duration, max_connections: usize) -> SandboxHandle {
    let mut config = SandboxConfig::new(SecretKey::new(KEY));
    config.read_timeout = read_timeout;
    config.max_connections = max_connections;
    timport::sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client(sandbox: &SandboxHandle) -> Client {
    let creds = Credentials {
        sdkappid: sandbox.sdkappid(),
        admin: sandbox.admin().to_owned(),
        secret: SecretKey::new(KEY),
    };
    Client::new(
        Endpoint::parse(&sandbox.url()).unwrap(),
        creds,
        ClientOptions::default(),
    )
    .unwrap()
}

async fn connect(addr: SocketAddr, sent: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
async fn until_closed(mut stream: TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(GUARD, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the sandbox kept the connection open");
    got
}

fn list_request(addr: SocketAddr) -> String {
    format!(
        "POST /v4/group_open_http_svc/get_appid_group_list?sdkappid=1&identifier=a&usersig=x&random=1&contenttype=json HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_without_an_answer() {
    let sandbox = start(Duration::from_millis(300), 64).await;
    let addr = sandbox.addr();
    let silent = connect(addr, b"").await;
    let half_head = connect(
        addr,
        b"POST /v4/group_open_http_svc/import_group_msg HTTP/1.1\r\nHost: x\r\n",
    )
    .await;
    let half_body = connect(
        addr,
        b"POST /v4/group_open_http_svc/import_group_msg?sdkappid=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"GroupId\":",
    )
    .await;
    for (what, stream) in [
        ("silent", silent),
        ("half a head", half_head),
        ("half a body", half_body),
    ] {
        let got = until_closed(stream).await;
        // hyper may say 408 to a head that timed out; a body that timed out gets nothing.
        let text = String::from_utf8_lossy(&got);
        assert!(
            got.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{what}: {text}"
        );
        assert!(
            !text.contains("ActionStatus"),
            "{what} was answered: {text}"
        );
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests.get("import_group_msg"),
        Some(&1),
        "only the half body reached a handler: {stats:?}"
    );
    assert_eq!(stats.messages_imported, 0);
    // Whoever sends in time is served.
    let groups = client(&sandbox)
        .get_appid_group_list(&GetAppidGroupListRequest::default())
        .await
        .unwrap();
    assert_eq!(groups.total_count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_on_arrival() {
    // A long read timeout: only the cap can close the extra connection.
    let sandbox = start(Duration::from_secs(3600), 2).await;
    let addr = sandbox.addr();
    let first = connect(addr, b"").await;
    let _second = connect(addr, b"").await;
    // Both are served (held): a full request on a third connection is closed unanswered.
    let mut third = connect(addr, list_request(addr).as_bytes()).await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(GUARD, third.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the third connection was not closed at once: {read:?}"
    );
    // A place frees when a connection ends: then a request is answered again.
    drop(first);
    let answered = tokio::time::timeout(GUARD, async {
        loop {
            let stream = connect(addr, list_request(addr).as_bytes()).await;
            let got = until_closed_or_answer(stream).await;
            if got.starts_with(b"HTTP/1.1 200") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(answered.is_ok(), "no place freed after a connection closed");
}

/// The first bytes of an answer, or nothing when the connection is closed first.
async fn until_closed_or_answer(mut stream: TcpStream) -> Vec<u8> {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(GUARD, stream.read(&mut buf)).await {
        Ok(Ok(n)) => buf[..n].to_vec(),
        _ => Vec::new(),
    }
}
