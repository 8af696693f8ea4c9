//! The shell around the pure core: it owns the terminal, feeds input and task results to
//! `state::update`, performs the effects, and draws.
//!
//! The loop is one `tokio::select!`, biased in this order:
//! 1. input (the operator is never starved by a flood of results),
//! 2. the frame tick, only when something changed (at most ~30 frames a second; when nothing
//!    changes nothing is drawn and the loop sleeps: an idle console uses no CPU),
//! 3. task results, drained in batches of up to [`BATCH`] and applied before the next draw,
//! 4. while a run is going, a once-a-second redraw, so its clock, pace and ETA stay true when
//!    nothing else happens (a lane waiting to read a group back). Without a run there is no
//!    timer at all.
//!
//! The app is generic over the ratatui backend and takes its input as a stream, so tests drive
//! it with `TestBackend` and scripted keys, and can watch what is on screen.

use std::io;
use std::time::Duration;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;

use super::effect::Effect;
use super::exec::{ExecOptions, Executor};
use super::msg::{Input, Msg};
use super::state::{AppState, update};
use super::terminal::Host;
use super::theme::Theme;
use super::ui;

/// Shortest time between two frames (~30 frames a second).
pub const FRAME: Duration = Duration::from_millis(33);
/// How often a running import's header is redrawn when nothing else happens.
pub const RUN_CLOCK: Duration = Duration::from_secs(1);
/// Most task results applied between two looks at the input.
pub const BATCH: usize = 512;
/// Room in the results channel; a full channel makes senders wait (back-pressure on the engine
/// instead of unbounded memory).
pub const CHANNEL: usize = 4_096;

/// Milliseconds since the epoch, for [`AppState::now_ms`].
pub type ClockFn = fn() -> i64;

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The console: state, terminal, executor and the one channel of results.
pub struct App<B: Backend> {
    terminal: Terminal<B>,
    state: AppState,
    theme: Theme,
    host: Box<dyn Host>,
    exec: Executor,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    clock: ClockFn,
    screen: Option<watch::Sender<String>>,
    dirty: bool,
}

impl<B: Backend> App<B> {
    /// A console drawing on `terminal`.
    pub fn new(
        terminal: Terminal<B>,
        state: AppState,
        theme: Theme,
        host: Box<dyn Host>,
        opts: ExecOptions,
    ) -> App<B> {
        let (tx, rx) = mpsc::channel(CHANNEL);
        App {
            terminal,
            state,
            theme,
            host,
            exec: Executor::new(tx.clone(), opts),
            tx,
            rx,
            clock: system_clock,
            screen: None,
            dirty: true,
        }
    }

    /// Uses `clock` for "now" (tests fix it).
    pub fn with_clock(mut self, clock: ClockFn) -> App<B> {
        self.clock = clock;
        self
    }

    /// After every frame, the screen's text is published here (for tests and the tmux-free
    /// checks): one line per terminal row.
    pub fn watch_screen(&mut self) -> watch::Receiver<String> {
        let (tx, rx) = watch::channel(String::new());
        self.screen = Some(tx);
        rx
    }

    /// A sender into the console's channel (signals, the demo's own tasks).
    pub fn sender(&self) -> mpsc::Sender<Msg> {
        self.tx.clone()
    }

    /// The state (after [`App::run`], for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The backend (after [`App::run`], for tests).
    pub fn backend(&self) -> &B {
        self.terminal.backend()
    }

    /// Runs until the operator quits or `inputs` ends; returns the app for inspection.
    pub async fn run<S>(mut self, mut inputs: S) -> io::Result<App<B>>
    where
        S: Stream<Item = Input> + Unpin,
    {
        let mut frame = tokio::time::interval(FRAME);
        frame.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut clock = tokio::time::interval(RUN_CLOCK);
        clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut batch = Vec::with_capacity(BATCH);
        let first = self.state.start();
        self.perform(first);
        // A terminal that fails (a dropped SSH session: SIGHUP and EIO on every write) ends the
        // loop like `q`, so that a run going is still stopped cleanly below; the error is
        // returned after.
        let mut failed: Option<io::Error> = None;
        while !self.state.quit {
            tokio::select! {
                biased;
                input = inputs.next() => match input {
                    Some(input) => {
                        if let Input::Resize(..) = input
                            && let Err(e) = self.terminal.autoresize()
                        {
                            failed = Some(io::Error::other(e.to_string()));
                            break;
                        }
                        self.dispatch(Msg::Input(input));
                    }
                    None => break,
                },
                _ = frame.tick(), if self.dirty => {
                    if let Err(e) = self.draw() {
                        failed = Some(e);
                        break;
                    }
                }
                n = self.rx.recv_many(&mut batch, BATCH) => {
                    if n == 0 {
                        break;
                    }
                    for msg in batch.drain(..) {
                        self.dispatch(msg);
                    }
                }
                _ = clock.tick(), if self.state.running() => self.dirty = true,
            }
        }
        if self.exec.running() && failed.is_none() {
            self.state.say(
                super::state::overlay::Level::Info,
                "Stopping the run: waiting for the answers in flight to be recorded…",
            );
            if let Err(e) = self.draw() {
                failed = Some(e);
            }
        }
        // What the engine says while it stops is taken in as it comes (a full channel would
        // hold the engine up), then applied, and how it ended drawn (for a watcher).
        let mut said = Vec::new();
        {
            let stopping = self.exec.shutdown();
            tokio::pin!(stopping);
            loop {
                tokio::select! {
                    () = &mut stopping => break,
                    Some(msg) = self.rx.recv() => said.push(msg),
                }
            }
        }
        while let Ok(msg) = self.rx.try_recv() {
            said.push(msg);
        }
        for msg in said {
            self.dispatch(msg);
        }
        if let Some(e) = failed {
            return Err(e);
        }
        self.draw()?;
        Ok(self)
    }

    fn dispatch(&mut self, msg: Msg) {
        self.state.now_ms = (self.clock)();
        let effects = update(&mut self.state, msg);
        self.dirty = true;
        self.perform(effects);
    }

    fn perform(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Copy(text) => {
                    let chars = text.chars().count();
                    let result = self.host.copy(&text).map(|()| chars);
                    self.dispatch(Msg::Copied(result.map_err(|e| e.to_string())));
                }
                Effect::SetMouse(on) => {
                    if let Err(e) = self.host.set_mouse(on) {
                        tracing::warn!("cannot switch mouse capture: {e}");
                    }
                }
                other => self.exec.perform(other),
            }
        }
    }

    fn draw(&mut self) -> io::Result<()> {
        self.dirty = false;
        self.state.now_ms = (self.clock)();
        let (state, theme) = (&mut self.state, &self.theme);
        let completed = self
            .terminal
            .draw(|frame| ui::draw(frame, state, theme))
            .map_err(|e| io::Error::other(e.to_string()))?;
        if let Some(tx) = &self.screen {
            let text = buffer_text(completed.buffer);
            tx.send_replace(text);
        }
        Ok(())
    }
}

/// A buffer's text, one line per row, as a terminal shows it: trailing spaces kept so columns
/// line up, and the cell hidden behind a wide character (CJK) left out.
pub fn buffer_text(buffer: &Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let width = usize::from(buffer.area.width).max(1);
    let mut out = String::with_capacity(buffer.content.len() + usize::from(buffer.area.height));
    let mut hidden = 0;
    for (i, cell) in buffer.content.iter().enumerate() {
        if i > 0 && i % width == 0 {
            out.push('\n');
            hidden = 0;
        }
        if hidden > 0 {
            hidden -= 1;
            continue;
        }
        out.push_str(cell.symbol());
        hidden = cell.symbol().width().saturating_sub(1);
    }
    out
}

/// Terminal events as console input: key presses (not releases or repeats of releases), mouse,
/// paste and resize; everything else (focus changes) is dropped.
pub fn terminal_input() -> impl Stream<Item = Input> + Unpin {
    use crossterm::event::{Event, EventStream, KeyEventKind};
    EventStream::new().filter_map(|event| {
        let input = match event {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Input::Key(key)),
            Ok(Event::Mouse(mouse)) => Some(Input::Mouse(mouse)),
            Ok(Event::Paste(text)) => Some(Input::Paste(text)),
            Ok(Event::Resize(w, h)) => Some(Input::Resize(w, h)),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("terminal input error: {e}");
                None
            }
        };
        futures::future::ready(input)
    })
}
