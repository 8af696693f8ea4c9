//! A tiny HTTP/1.1 server on 127.0.0.1:0 for the client tests: it records every request and
//! answers as each test scripts it (an answer, a dropped connection, or silence). The sandbox is
//! the full peer; this server only proves the client's own behaviour on the wire.
//!
//! [`binary`]: the real `timport` binary, isolated (private directories, no inherited settings).
#![allow(dead_code)] // each test binary uses a part of it

pub mod binary;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use timport::api::{ApiError, Client, ClientOptions, Credentials, Endpoint, SecretKey};

pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const APP: u64 = 1_400_000_000;
pub const ADMIN: &str = "admin one&co";

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub raw_target: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn param(&self, name: &str) -> &str {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.raw_target))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What the server does with a request.
pub enum Reply {
    Answer(u16, String),
    Close,
    Hang,
}

pub struct Server {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub connections: Arc<AtomicUsize>,
}

impl Server {
    pub async fn start(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(reply);
        let (seen2, conns2) = (Arc::clone(&seen), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                conns2.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, Arc::clone(&seen2), Arc::clone(&reply)));
            }
        });
        Server {
            addr,
            seen,
            connections,
        }
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint::parse(&format!("http://{}", self.addr)).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Arc<impl Fn(&Seen) -> Reply + Send + Sync + 'static>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        seen.lock().unwrap().push(request.clone());
        match reply(&request) {
            Reply::Answer(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if stream.write_all(head.as_bytes()).await.is_err()
                    || stream.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        read_more(stream, buf).await?;
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let mut length = 0;
    let mut content_type = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let body_start = head_end + 4;
    while buf.len() < body_start + length {
        read_more(stream, buf).await?;
    }
    let body = buf[body_start..body_start + length].to_vec();
    buf.drain(..body_start + length);
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), percent_decode(v))
        })
        .collect();
    Some(Seen {
        method,
        path: path.to_owned(),
        query,
        raw_target: target.clone(),
        content_type,
        body,
    })
}

/// Appends what the peer sent next; None when it closed or failed.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.ok()?;
    buf.extend_from_slice(&chunk[..n]);
    (n > 0).then_some(())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub fn creds() -> Credentials {
    Credentials {
        sdkappid: APP,
        admin: ADMIN.into(),
        secret: SecretKey::new(KEY),
    }
}

pub fn client(server: &Server) -> Client {
    Client::new(server.endpoint(), creds(), ClientOptions::default()).unwrap()
}

/// A successful answer: the OK envelope plus the call's own `fields`.
pub fn answer(fields: Value) -> Reply {
    let mut full = json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0});
    if let (Some(full), Some(fields)) = (full.as_object_mut(), fields.as_object()) {
        full.extend(fields.clone());
    }
    Reply::Answer(200, full.to_string())
}

/// A successful `import_group_msg` answer for `n` messages.
pub fn import_ok(n: usize) -> Reply {
    let results: Vec<Value> = (1..=n)
        .map(|i| json!({"MsgSeq": i, "MsgTime": 1_600_000_000 + i, "Result": 0}))
        .collect();
    answer(json!({ "ImportMsgResult": results }))
}

/// How many items each recorded request carried in the array `field`.
pub fn list_sizes(seen: &[Seen], field: &str) -> Vec<usize> {
    seen.iter()
        .map(|s| s.json()[field].as_array().map_or(0, Vec::len))
        .collect()
}

/// Every text an error can show, for leak checks.
pub fn shown(e: &ApiError) -> String {
    format!("{e} | {e:?} | {} | {}", e.meaning(), e.remedy())
}
