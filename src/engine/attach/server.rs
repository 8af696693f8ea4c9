//! The control socket's server: created 0600 by the process holding the ledger's lock, fed the
//! run's events, turning readers' requests into [`Control`]s.
//!
//! A reader never slows the run: events go to readers through a bounded broadcast (a slow one
//! is told it lagged), and each reader has tasks of its own that end when it goes away. The
//! shared state also keeps where the run stands ([`Tracker`], for each reader's catch-up) and
//! who holds the helm (given back when its reader goes away).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::{
    Answer, Asked, Catchup, Hello, Helm, MAX_REQUEST_BYTES, Note, PROTOCOL, Request, Tracker,
    socket_path,
};
use crate::engine::control::Control;
use crate::engine::events::Event;
use crate::engine::printer::{Progress, human_line};

/// Lines kept for readers that fall behind.
const BACKLOG: usize = 4096;

/// How long the end waits for readers to be handed the last lines.
const FLUSH_PATIENCE: Duration = Duration::from_secs(5);

/// The socket, served: dropping it stops accepting and removes the socket file (it must be
/// dropped while the ledger's lock is still held: `open::ActiveRun` keeps it).
pub struct Served {
    path: PathBuf,
    accept: JoinHandle<()>,
}

impl Drop for Served {
    // One unlink, where the run ends: not worth a blocking task.
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What the run's event loop feeds: each event goes to every reader.
pub struct Feed {
    shared: Arc<Shared>,
    done: mpsc::Receiver<()>,
}

struct Shared {
    /// Everything readers share, under one lock, so that a reader's hello and catch-up and its
    /// first event line follow each other with nothing lost or counted twice.
    state: Mutex<State>,
}

struct State {
    /// The hello (its counts worked out by `progress`).
    hello: Hello,
    progress: Progress,
    /// Where the run stands, for catch-ups.
    tracker: Tracker,
    /// The lines for every reader.
    lines: broadcast::Sender<Arc<str>>,
    /// The last reader's number.
    readers: u64,
    /// Who decides now.
    helm: Option<Helm>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new reader: its number, its hello and catch-up lines, and its subscription.
    fn subscribe(&self) -> (u64, [String; 2], broadcast::Receiver<Arc<str>>) {
        let mut state = self.lock();
        state.readers += 1;
        let reader = state.readers;
        let hello = Hello {
            reader,
            helm: state.helm.clone(),
            ..state.hello.clone()
        };
        let catchup: Catchup = state.tracker.catchup();
        let lines = [
            Note::Hello(hello).line(),
            Note::Catchup(Box::new(catchup)).line(),
        ];
        (reader, lines, state.lines.subscribe())
    }

    /// Whether `reader` may ask for something now (taking the free helm when it may); `Err`
    /// names who holds it.
    fn at_helm(&self, reader: u64, operator: &str, take: bool) -> Result<(), String> {
        let mut state = self.lock();
        match &state.helm {
            Some(h) if h.reader == reader => Ok(()),
            Some(h) => Err(format!(
                "{} (reader {}) holds the helm: only it decides until it gives the helm back or detaches; this console watches",
                h.by, h.reader
            )),
            None if take => {
                let by = if operator.trim().is_empty() {
                    "someone".to_owned()
                } else {
                    operator.trim().to_owned()
                };
                let helm = Helm { by, reader };
                state.helm = Some(helm.clone());
                let _ = state.lines.send(Note::Helm(Some(helm)).line().into());
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// `reader` gives the helm back (or went away); true when it held it.
    fn release(&self, reader: u64) -> bool {
        let mut state = self.lock();
        if state.helm.as_ref().is_some_and(|h| h.reader == reader) {
            state.helm = None;
            let _ = state.lines.send(Note::Helm(None).line().into());
            return true;
        }
        false
    }

    /// A reader paused or resumed the run: every reader is told.
    fn paused(&self, paused: bool) {
        let mut state = self.lock();
        state.tracker.set_paused(paused);
        let _ = state.lines.send(Note::Paused(paused).line().into());
    }
}

impl Feed {
    /// Hands `event` to every reader as `line` (as `--json` prints it), followed by the
    /// printer's line for people about it when there is one; never waits.
    pub fn event(&self, event: &Event, line: &str) {
        self.lines(Some(event), line, human_line(event).as_deref());
    }

    /// Hands a line that is not an event (a `progress` beat, as `--json` prints it) and its
    /// line for people to every reader; never waits.
    pub fn beat(&self, line: &str, say: &str) {
        self.lines(None, line, Some(say));
    }

    fn lines(&self, event: Option<&Event>, line: &str, say: Option<&str>) {
        let mut state = self.shared.lock();
        let state = &mut *state;
        if let Some(event) = event {
            if state.progress.update(event) {
                state.hello.settled = state.progress.settled;
                state.hello.total = state.progress.total;
            }
            state.tracker.update(event, now_ms());
        }
        // No reader is not an error.
        let _ = state.lines.send(line.into());
        if let Some(say) = say {
            let _ = state.lines.send(Note::Say(say.to_owned()).line().into());
        }
    }

    /// The run is over: readers are handed what is left (bounded wait), then their connections
    /// close.
    pub async fn finish(self) {
        let Feed { shared, mut done } = self;
        // Closing the line sender ends each reader once it has written what it holds.
        shared.lock().lines = broadcast::channel(1).0;
        drop(shared);
        let _ = tokio::time::timeout(FLUSH_PATIENCE, done.recv()).await;
    }
}

/// Serves `<ledger>.sock` for run `hello.run_id`; requests go to `controls`. The caller holds the
/// ledger's lock, so a socket file left there is stale: it is replaced. Created under a
/// temporary name, made 0600, then renamed into place, so it is never reachable wider.
pub async fn serve(
    ledger: &Path,
    hello: Hello,
    controls: mpsc::Sender<Control>,
) -> std::io::Result<(Served, Feed)> {
    let path = socket_path(ledger);
    let (listener, owner) = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || place(&path))
            .await
            .map_err(std::io::Error::other)??
    };
    let listener = UnixListener::from_std(listener)?;
    let hello = Hello {
        protocol: PROTOCOL,
        ..hello
    };
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            hello,
            progress: Progress::default(),
            tracker: Tracker::default(),
            lines: broadcast::channel(BACKLOG).0,
            readers: 0,
            helm: None,
        }),
    });
    let (done_tx, done) = mpsc::channel(1);
    let accept = tokio::spawn(accept(
        listener,
        owner,
        Arc::clone(&shared),
        controls,
        done_tx,
    ));
    Ok((Served { path, accept }, Feed { shared, done }))
}

/// Binds the socket under a temporary name, makes it 0600 and renames it into place (replacing
/// a stale one); the listener and the owner's uid. Blocking: file operations.
fn place(path: &Path) -> std::io::Result<(std::os::unix::net::UnixListener, u32)> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(format!(".{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_file(&staging);
    let listener = std::os::unix::net::UnixListener::bind(&staging)?;
    let placed = std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| listener.set_nonblocking(true))
        .and_then(|()| std::fs::metadata(&staging))
        .and_then(|meta| std::fs::rename(&staging, path).map(|()| meta.uid()));
    match placed {
        Ok(owner) => Ok((listener, owner)),
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
}

async fn accept(
    listener: UnixListener,
    owner: u32,
    shared: Arc<Shared>,
    controls: mpsc::Sender<Control>,
    done: mpsc::Sender<()>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, for instance: try again shortly rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // The socket's mode keeps others out; the peer's uid is checked as well.
        if !stream.peer_cred().is_ok_and(|c| c.uid() == owner) {
            continue;
        }
        tokio::spawn(reader(
            stream,
            Arc::clone(&shared),
            controls.clone(),
            done.clone(),
        ));
    }
}

/// One reader: the hello, then the lines as they come, answers between them.
async fn reader(
    stream: UnixStream,
    shared: Arc<Shared>,
    controls: mpsc::Sender<Control>,
    _done: mpsc::Sender<()>,
) {
    let (input, mut output) = stream.into_split();
    let (me, first, mut lines) = shared.subscribe();
    let (answers_tx, mut answers) = mpsc::channel::<String>(8);
    let requests = tokio::spawn(requests(
        input,
        Arc::clone(&shared),
        me,
        controls,
        answers_tx,
    ));
    let release = Release { shared, me };
    for line in first {
        if write(&mut output, &line).await.is_err() {
            requests.abort();
            return;
        }
    }
    loop {
        // Lines first: what a request changed (the helm, a pause) is told before its answer.
        let line = tokio::select! {
            biased;
            line = lines.recv() => match line {
                Ok(line) => line.to_string(),
                Err(broadcast::error::RecvError::Lagged(n)) => Note::Lagged(n).line(),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Some(answer) = answers.recv() => answer,
        };
        if write(&mut output, &line).await.is_err() {
            break;
        }
    }
    requests.abort();
    drop(release);
    let _ = output.shutdown().await;
}

/// Gives the helm back when its reader goes away, however it goes.
struct Release {
    shared: Arc<Shared>,
    me: u64,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.shared.release(self.me);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn write(output: &mut tokio::net::unix::OwnedWriteHalf, line: &str) -> std::io::Result<()> {
    output.write_all(line.as_bytes()).await?;
    output.write_all(b"\n").await
}

/// Reads requests, one a line, hands them to the engine (when this reader may decide) and
/// queues the answers.
async fn requests(
    input: OwnedReadHalf,
    shared: Arc<Shared>,
    me: u64,
    controls: mpsc::Sender<Control>,
    answers: mpsc::Sender<String>,
) {
    let mut input = BufReader::new(input);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let limit = MAX_REQUEST_BYTES as u64 + 1;
        match (&mut input).take(limit).read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => {
                // The reader went away (or will send nothing more): its helm is free now, not
                // at the next line it fails to take.
                shared.release(me);
                return;
            }
            Ok(_) => {}
        }
        if buf.len() > MAX_REQUEST_BYTES {
            // Not a request: say so and stop listening to this reader.
            let said = format!("a request is at most {MAX_REQUEST_BYTES} bytes");
            let _ = answers
                .send(Note::Answer(Answer { ok: false, said }).line())
                .await;
            return;
        }
        let answer = {
            let text = String::from_utf8_lossy(&buf);
            if text.trim().is_empty() {
                continue;
            }
            let operator = serde_json::from_str::<Request>(text.trim())
                .map(|r| r.operator)
                .unwrap_or_default();
            match Request::parse(text.trim()) {
                Ok(Asked::Helm(true)) => match shared.at_helm(me, &operator, true) {
                    Ok(()) => Answer {
                        ok: true,
                        said: "this console holds the helm: its decisions go to the run".into(),
                    },
                    Err(said) => Answer { ok: false, said },
                },
                Ok(Asked::Helm(false)) => Answer {
                    ok: true,
                    said: if shared.release(me) {
                        "gave the helm back: another console may decide".into()
                    } else {
                        "this console did not hold the helm".into()
                    },
                },
                Ok(Asked::Control(control, said)) => match shared.at_helm(me, &operator, true) {
                    Err(said) => Answer { ok: false, said },
                    Ok(()) => {
                        let pause = match control {
                            Control::PauseRun => Some(true),
                            Control::ResumeRun => Some(false),
                            _ => None,
                        };
                        match controls.send(control).await {
                            Ok(()) => {
                                if let Some(paused) = pause {
                                    shared.paused(paused);
                                }
                                Answer { ok: true, said }
                            }
                            Err(_) => Answer {
                                ok: false,
                                said: "the run is ending; it takes no more requests".into(),
                            },
                        }
                    }
                },
                Err(said) => Answer { ok: false, said },
            }
        };
        if answers.send(Note::Answer(answer).line()).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::printer::stamped_line;
    use crate::engine::target::Target;
    use tokio::io::Lines;
    use tokio::net::unix::OwnedWriteHalf;

    async fn connect(path: &Path) -> (Lines<BufReader<OwnedReadHalf>>, OwnedWriteHalf) {
        let (read, write) = UnixStream::connect(path).await.unwrap().into_split();
        (BufReader::new(read).lines(), write)
    }

    async fn next(lines: &mut Lines<BufReader<OwnedReadHalf>>) -> serde_json::Value {
        let text = lines.next_line().await.unwrap().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[tokio::test]
    async fn readers_get_the_hello_the_events_and_answers_and_the_socket_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite3");
        let path = socket_path(&ledger);
        // A socket file left by a process that died: replaced.
        std::fs::write(&path, "stale").unwrap();
        let (controls_tx, mut controls) = mpsc::channel(8);
        let hello = Hello {
            run_id: 7,
            ..Hello::default()
        };
        let (served, feed) = serve(&ledger, hello, controls_tx).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        // A reader that goes away at once disturbs nothing.
        drop(UnixStream::connect(&path).await.unwrap());
        let (mut lines, mut write) = connect(&path).await;
        assert_eq!(next(&mut lines).await["hello"]["run_id"], 7);
        assert!(next(&mut lines).await["catchup"].is_object());
        let event = Event::LaneStopped {
            target: Target::new("g0", None),
            reason: "by the operator".into(),
        };
        let line = stamped_line(&event, "2026-12-06T13:05:09.120Z");
        feed.event(&event, &line);
        let got = next(&mut lines).await;
        assert_eq!(got.to_string(), line);
        assert_eq!(
            next(&mut lines).await["say"],
            "g0: stopped: by the operator"
        );

        write
            .write_all(b"{\"pause\": true}\nnonsense\n")
            .await
            .unwrap();
        assert_eq!(controls.recv().await, Some(Control::PauseRun));
        // The first request took the free helm; every reader is told, then that it paused.
        assert_eq!(next(&mut lines).await["helm"]["reader"], 2);
        assert_eq!(next(&mut lines).await["paused"], true);
        assert_eq!(next(&mut lines).await["answer"]["ok"], true);
        let refused = next(&mut lines).await;
        assert_eq!(refused["answer"]["ok"], false, "{refused}");

        // The end: the socket file goes, readers get the rest, then the end of the stream.
        drop(served);
        assert!(!path.exists());
        feed.event(&event, &line);
        feed.finish().await;
        assert!(next(&mut lines).await["event"].is_string());
        assert!(next(&mut lines).await["say"].is_string());
        assert_eq!(lines.next_line().await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_oversized_request_is_refused_and_a_reader_that_falls_behind_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("l");
        let (controls_tx, mut controls) = mpsc::channel(8);
        let (_served, feed) = serve(&ledger, Hello::default(), controls_tx).await.unwrap();
        let (mut lines, mut write) = connect(&socket_path(&ledger)).await;
        assert!(next(&mut lines).await["hello"].is_object());
        assert!(next(&mut lines).await["catchup"].is_object());
        let mut huge = vec![b' '; MAX_REQUEST_BYTES + 10];
        huge.push(b'\n');
        write.write_all(&huge).await.unwrap();
        let answer = next(&mut lines).await;
        assert_eq!(answer["answer"]["ok"], false, "{answer}");
        assert!(controls.try_recv().is_err(), "nothing reached the run");

        // More lines than the backlog while this reader reads nothing: the feed never waits.
        let event = Event::LaneStopped {
            target: Target::new("g0", None),
            reason: "x".into(),
        };
        for _ in 0..BACKLOG {
            feed.event(&event, "{}");
        }
        let mut lagged = None;
        while lagged.is_none() {
            let line = next(&mut lines).await;
            lagged = line["lagged"].as_u64();
        }
        assert!(lagged.unwrap() > 0);
    }

    #[tokio::test]
    async fn one_reader_holds_the_helm_the_others_watch_until_it_goes_and_a_late_one_catches_up() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("l");
        let (controls_tx, mut controls) = mpsc::channel(8);
        let (_served, feed) = serve(&ledger, Hello::default(), controls_tx).await.unwrap();
        let path = socket_path(&ledger);
        let event = Event::LaneStopped {
            target: Target::new("g0", None),
            reason: "by the operator".into(),
        };
        let started = Event::RunStarted {
            run_id: 1,
            resumed: false,
            targets: vec![crate::engine::events::TargetStart {
                target: Target::new("g0", None),
                messages: 5,
                batches: 1,
                already_done: 2,
            }],
            rate_budget: 100,
            lanes: 1,
            on_message_error: crate::engine::OnMessageError::Pause,
        };
        feed.event(&started, "{}");
        feed.event(&event, "{}");

        let (mut first, mut first_w) = connect(&path).await;
        assert_eq!(next(&mut first).await["hello"]["reader"], 1);
        // A reader attaching late learns where each lane stands, not the history.
        let catchup = next(&mut first).await;
        let lane = &catchup["catchup"]["lanes"][0];
        assert_eq!(lane["state"], "stopped", "{catchup}");
        assert_eq!(lane["counts"]["done"], 2, "{catchup}");
        assert_eq!(lane["why"]["event"], "lane_stopped", "{catchup}");

        let (mut second, mut second_w) = connect(&path).await;
        assert_eq!(next(&mut second).await["hello"]["reader"], 2);
        next(&mut second).await;

        first_w
            .write_all(b"{\"helm\": true, \"operator\": \"day@box\"}\n")
            .await
            .unwrap();
        let told = next(&mut second).await;
        assert_eq!(told["helm"]["by"], "day@box", "{told}");
        assert_eq!(told["helm"]["reader"], 1, "{told}");
        // The other reader is refused, with who holds the helm; nothing reaches the run.
        second_w
            .write_all(b"{\"stop\": true, \"operator\": \"night@box\"}\n")
            .await
            .unwrap();
        let refused = next(&mut second).await;
        assert_eq!(refused["answer"]["ok"], false, "{refused}");
        let said = refused["answer"]["said"].as_str().unwrap();
        assert!(said.contains("day@box (reader 1) holds the helm"), "{said}");
        second_w
            .write_all(b"{\"helm\": true, \"operator\": \"night@box\"}\n")
            .await
            .unwrap();
        assert_eq!(next(&mut second).await["answer"]["ok"], false);
        assert!(controls.try_recv().is_err());

        // The holder goes away: the helm is free, and the other takes it with its request.
        drop((first, first_w));
        assert!(next(&mut second).await["helm"].is_null());
        second_w
            .write_all(b"{\"stop\": true, \"operator\": \"night@box\"}\n")
            .await
            .unwrap();
        assert_eq!(next(&mut second).await["helm"]["by"], "night@box");
        assert_eq!(next(&mut second).await["answer"]["ok"], true);
        assert_eq!(controls.recv().await, Some(Control::Shutdown));
    }
}
