//! The real binary in a real terminal: a detached tmux session (120x40) on a tmux server of its
//! own (a private socket, `tmux -L`, no config file), never the user's; driven with `send-keys`
//! and read with `capture-pane`. The binary is isolated as every test's is
//! (`support::binary::isolate`: private directories, no inherited `TIMPORT_*`). Without tmux the
//! tests fail, saying how to install it (CI installs it: `.ci/run`). A test file using it
//! declares `mod support;` too.

#![allow(dead_code)] // each test binary uses a part of this module

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::binary::{BIN, isolate};

/// How long a screen may take to show what a test waits for. Generous: it is only reached when
/// something is wrong, and a loaded machine must never reach it.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// A tmux server and session running `timport`; the server is killed when dropped.
pub struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

/// Tells how to get tmux when it is missing.
fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "tmux is not installed, and these tests drive the binary in a real terminal with it: \
         install it (Debian/Ubuntu: apt-get install tmux; macOS: brew install tmux)"
    );
}

impl Tmux {
    /// `timport ARGS` in a new 120x40 session, with private config and data directories.
    pub fn start(args: &str) -> Tmux {
        Tmux::start_with(&[], args)
    }

    /// The same, with more `NAME=value` settings in its environment (passed in the environment,
    /// never on a command line, which every process can read).
    pub fn start_with(env: &[(&str, String)], args: &str) -> Tmux {
        require_tmux();
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "timport-test-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        );
        let home = tempfile::tempdir().expect("temp dir");
        // A new server on a private socket starts with the environment of the command that
        // starts it, so that environment is what the session's shell and timport see.
        let mut cmd = Command::new("tmux");
        isolate(&mut cmd, home.path()).env_remove("TMUX");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let status = cmd
            .args(["-L", &socket, "-f", "/dev/null"])
            .args([
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "timport",
            ])
            // The pane stays a while after timport ends, so its last screen can be read.
            .arg(format!("{BIN} {args}; sleep 30"))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Tmux {
            socket,
            _home: home,
        }
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }

    /// Sends keys, as `tmux send-keys` takes them.
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", "timport"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// What the pane shows.
    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "timport"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (up to [`PATIENCE`]) for `text` on the screen; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on the screen"), |s| s.contains(text))
    }

    /// Waits (up to [`PATIENCE`]) until the screen no longer shows `text`.
    pub fn wait_gone(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} gone from the screen"), |s| {
            !s.contains(text)
        })
    }

    /// Waits (up to [`PATIENCE`]) until `check` holds for the screen, polling it; fails saying
    /// `what` it waited for and what the screen showed.
    pub fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// On the console's first screen: waits for `groups` (the Groups title), then starts an
    /// import of every staged group (screen 4, `A`) and answers the start question: `choices`
    /// first (each key waited for with the text it shows), then `y`.
    pub fn import_all(&self, groups: &str, choices: &[(&str, &str)]) {
        self.wait_for(groups);
        self.keys(&["4"]);
        self.wait_for("Preview");
        self.keys(&["A"]);
        self.wait_for("Start the import?");
        for (key, shows) in choices {
            self.keys(&[key]);
            self.wait_for(shows);
        }
        self.keys(&["y"]);
    }

    /// Closes the terminal as a dropped SSH connection does: the tmux server goes away, and
    /// the processes in its pane get SIGHUP and a terminal they can no longer write to.
    pub fn hang_up(&self) {
        let status = self
            .tmux()
            .arg("kill-server")
            .status()
            .expect("tmux kill-server");
        assert!(status.success(), "tmux kill-server failed");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
