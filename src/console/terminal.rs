//! The real terminal: raw mode, the alternate screen, mouse capture and bracketed paste on the
//! way in; all of it undone on the way out, on every path (normal exit, error, panic). Restoring
//! is idempotent and never panics. Also the [`Host`]: what the console asks of the terminal
//! outside drawing (clipboard, mouse capture), with a recording stand-in for tests.

use std::io::{self, Stdout, Write};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::thread::ThreadId;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
    is_raw_mode_enabled,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::clipboard::osc52;

/// What the console asks of the terminal besides drawing.
pub trait Host: Send {
    /// Puts `text` on the clipboard.
    fn copy(&mut self, text: &str) -> io::Result<()>;
    /// Turns mouse capture on or off.
    fn set_mouse(&mut self, on: bool) -> io::Result<()>;
}

/// The real terminal on stdout.
#[derive(Debug, Default)]
pub struct StdoutHost;

impl Host for StdoutHost {
    fn copy(&mut self, text: &str) -> io::Result<()> {
        let seq = osc52(text).ok_or_else(|| {
            io::Error::other("the text is too long for the terminal's clipboard (OSC 52)")
        })?;
        let mut out = io::stdout();
        out.write_all(seq.as_bytes())?;
        out.flush()
    }

    fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if on {
            execute!(io::stdout(), EnableMouseCapture)
        } else {
            execute!(io::stdout(), DisableMouseCapture)
        }
    }
}

/// A host that records what it was asked (for tests).
#[derive(Debug, Default, Clone)]
pub struct RecordingHost {
    /// Every text copied.
    pub copies: Arc<Mutex<Vec<String>>>,
    /// Every mouse switch.
    pub mouse: Arc<Mutex<Vec<bool>>>,
}

impl Host for RecordingHost {
    fn copy(&mut self, text: &str) -> io::Result<()> {
        if let Ok(mut copies) = self.copies.lock() {
            copies.push(text.to_owned());
        }
        Ok(())
    }

    fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if let Ok(mut mouse) = self.mouse.lock() {
            mouse.push(on);
        }
        Ok(())
    }
}

/// The terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Sets the terminal up (restoring it if any step fails) and installs the panic hook.
    pub fn enter(mouse: bool) -> io::Result<(Terminal<CrosstermBackend<Stdout>>, TerminalGuard)> {
        install_panic_hook();
        let guard = TerminalGuard { _private: () };
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        if mouse {
            execute!(io::stdout(), EnableMouseCapture)?;
        }
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok((terminal, guard))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back: mouse and paste off, main screen, cooked mode, cursor shown. Safe to
/// call any number of times; errors are ignored (there is nothing better to do while leaving).
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    if is_raw_mode_enabled().unwrap_or(true) {
        let _ = disable_raw_mode();
    }
}

/// The thread that draws (the one that set the terminal up).
static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// A panic on the drawing thread restores the terminal first, so the message is readable and
/// the shell usable. A panic on another thread (a background task, which tokio catches and the
/// shell reports as a failed task) is only logged: restoring the terminal then would leave the
/// console drawing on a cooked terminal, and printing would scribble over the screen.
/// Installed once per process.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    let _ = UI_THREAD.set(std::thread::current().id());
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if UI_THREAD.get() == Some(&std::thread::current().id()) {
                restore();
                previous(info);
            } else {
                tracing::error!("a background task panicked: {info}");
            }
        }));
    });
}
