//! The console's connection to a run in another process (`engine::attach`): the hello and the
//! catch-up, then the run's events as [`Msg::Engine`] (read back from the lines `--json`
//! prints) and its notes (the helm, a pause, answers); the console's controls go out as
//! requests naming this console's operator. Dropping the connection detaches: the run goes on.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use crate::engine::Event;
use crate::engine::attach::{Note, Request, socket_path};
use crate::escape;

use super::super::msg::Msg;

/// Requests waiting to be written (the operator types far slower than a socket takes them).
pub const REQUESTS: usize = 64;

/// Whether a run answers on `ledger`'s socket now (a console about to start a run there offers
/// to attach instead).
pub async fn live(ledger: &Path) -> bool {
    UnixStream::connect(socket_path(ledger)).await.is_ok()
}

/// Attaches to the run holding `ledger` and follows it until the run closes the connection or
/// `requests` is dropped (detaching); every line becomes a [`Msg`] on `tx`.
pub async fn follow(ledger: &Path, tx: mpsc::Sender<Msg>, mut requests: mpsc::Receiver<Request>) {
    let path = socket_path(ledger);
    let stream = match UnixStream::connect(&path).await {
        Ok(s) => s,
        Err(e) => {
            let why = format!(
                "no run answers at {} ({e}): no `timport run` is going on this ledger",
                escape::path(&path)
            );
            let _ = tx.send(Msg::Attached(Err(why))).await;
            return;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let greeting = async {
        let hello = match next_note(&mut lines).await? {
            Note::Hello(hello) => hello,
            _ => return None,
        };
        match next_note(&mut lines).await? {
            Note::Catchup(catchup) => Some((hello, catchup)),
            _ => None,
        }
    };
    let Some((hello, catchup)) = greeting.await else {
        let why = format!(
            "{} did not greet as a timport run of this version does (hello, then catch-up)",
            escape::path(&path)
        );
        let _ = tx.send(Msg::Attached(Err(why))).await;
        return;
    };
    if tx
        .send(Msg::Attached(Ok(Box::new((hello, *catchup)))))
        .await
        .is_err()
    {
        return;
    }
    let mut finished = false;
    let why = loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    let Some(msg) = to_msg(&line) else { continue };
                    finished |= matches!(msg, Msg::Engine(Event::RunFinished { .. }));
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
                Ok(None) if finished => break "the run finished".to_owned(),
                Ok(None) => break "the run closed the connection without finishing (it was killed, or stopped abnormally); `timport report` has where it stands".to_owned(),
                Err(e) => break format!("lost the run: {e}"),
            },
            request = requests.recv() => match request {
                Some(request) => {
                    let Ok(mut line) = serde_json::to_string(&request) else { continue };
                    line.push('\n');
                    if let Err(e) = write.write_all(line.as_bytes()).await {
                        break format!("lost the run: {e}");
                    }
                }
                // The console detached: the run goes on.
                None => return,
            },
        }
    };
    let _ = tx.send(Msg::Detached(why)).await;
}

async fn next_note(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
) -> Option<Note> {
    let line = lines.next_line().await.ok()??;
    serde_json::from_str(&line).ok()
}

/// A line from the run as a console message: an event, or a note the console shows; `None`
/// for what it does not use (the printer's lines, the `progress` beat, a later protocol's).
pub fn to_msg(line: &str) -> Option<Msg> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("event").is_some() {
        return serde_json::from_value::<Event>(value).ok().map(Msg::Engine);
    }
    match serde_json::from_value::<Note>(value).ok()? {
        Note::Say(_) | Note::Hello(_) | Note::Catchup(_) => None,
        note => Some(Msg::RunNote(note)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::printer::stamped_line;
    use crate::engine::target::Target;

    #[test]
    fn the_runs_lines_become_the_consoles_messages() {
        let event = Event::LaneStopped {
            target: Target::new("g0", None),
            reason: "by the operator".into(),
        };
        let line = stamped_line(&event, "2026-12-06T13:05:09.120Z");
        assert!(matches!(to_msg(&line), Some(Msg::Engine(e)) if e == event));
        assert!(to_msg(r#"{"event":"progress","done":1}"#).is_none());
        assert!(to_msg(r#"{"say":"g0: stopped"}"#).is_none());
        assert!(matches!(
            to_msg(r#"{"helm":{"by":"a@b","reader":2}}"#),
            Some(Msg::RunNote(Note::Helm(Some(_))))
        ));
        assert!(matches!(
            to_msg(r#"{"paused":true}"#),
            Some(Msg::RunNote(Note::Paused(true)))
        ));
        assert!(to_msg("not json").is_none());
    }
}
