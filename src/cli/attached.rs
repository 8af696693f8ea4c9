//! The client side of a run's control socket (`engine::attach`), for `timport watch` and
//! `timport decide`: plain blocking I/O (these commands have no runtime and do one thing).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::engine::attach::{Hello, Note, Request, socket_path};
use crate::escape;

/// A line from the run.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// An event, as `timport run --json` prints it.
    Event(serde_json::Value),
    /// Anything else the run says.
    Note(Note),
}

/// A connection to a running `timport run`.
pub struct Attached {
    stream: UnixStream,
    lines: BufReader<UnixStream>,
    /// What the run said first.
    pub hello: Hello,
}

/// Connects to the run holding `ledger`; `Err` says in words why there is none to reach.
pub fn connect(ledger: &Path) -> Result<Attached, String> {
    let path = socket_path(ledger);
    let stream = UnixStream::connect(&path).map_err(|e| {
        format!(
            "no run is reachable at {} ({e}): no `timport run` is going on this ledger (a console's run serves no socket yet)",
            escape::path(&path)
        )
    })?;
    let reading = stream
        .try_clone()
        .map_err(|e| format!("cannot read from the run: {e}"))?;
    let mut attached = Attached {
        stream,
        lines: BufReader::new(reading),
        hello: Hello::default(),
    };
    match attached.next() {
        Ok(Some(Line::Note(Note::Hello(hello)))) => {
            attached.hello = hello;
            Ok(attached)
        }
        Ok(_) => Err(format!(
            "{} did not greet as a timport run does",
            escape::path(&path)
        )),
        Err(e) => Err(format!("cannot read from the run: {e}")),
    }
}

impl Attached {
    /// The next line; `None` when the run closed the connection (it ended).
    pub fn next(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let mut text = String::new();
            if self.lines.read_line(&mut text)? == 0 {
                return Ok(None);
            }
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if value.get("event").is_some() {
                return Ok(Some(Line::Event(value)));
            }
            // A note of a later protocol is skipped, not fatal.
            if let Ok(note) = serde_json::from_value(value) {
                return Ok(Some(Line::Note(note)));
            }
        }
    }

    /// Sends one request.
    pub fn send(&mut self, request: &Request) -> std::io::Result<()> {
        let line = serde_json::to_string(request).map_err(std::io::Error::other)?;
        self.stream.write_all(format!("{line}\n").as_bytes())
    }

    /// Gives up on a read after `patience` (a run that stopped answering).
    pub fn patience(&self, patience: Option<Duration>) -> std::io::Result<()> {
        self.stream.set_read_timeout(patience)
    }
}
