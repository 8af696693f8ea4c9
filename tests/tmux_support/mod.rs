//! The real binary in a real terminal: a detached tmux session (120x40), driven with
//! `send-keys` and read with `capture-pane`. Tests skip, saying so, only when tmux is not
//! installed (CI installs it).

#![allow(dead_code)] // each test binary uses a part of this module

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session running `timport`; killed when dropped.
pub struct Tmux {
    session: String,
    /// A private server (`tmux -L`), when the session has one.
    socket: Option<String>,
    _home: tempfile::TempDir,
}

impl Tmux {
    /// Whether tmux is installed.
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// `timport ARGS` in a new 120x40 session, with private config and data directories.
    pub fn start(args: &str) -> Tmux {
        Tmux::start_with(&[], args)
    }

    /// The same, with more `NAME=value` settings in its environment (never a secret: the
    /// command line is visible to every process).
    pub fn start_with(env: &[(&str, String)], args: &str) -> Tmux {
        Tmux::launch(None, env, args)
    }

    /// [`Tmux::start_with`] on a tmux server of its own (`tmux -L`), which no other test or
    /// user session shares.
    pub fn start_private(env: &[(&str, String)], args: &str) -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let socket = format!("timport-test-{}-{nanos}", std::process::id());
        Tmux::launch(Some(socket), env, args)
    }

    fn launch(socket: Option<String>, env: &[(&str, String)], args: &str) -> Tmux {
        let home = tempfile::tempdir().expect("temp dir");
        let session = format!("timport-test-{}", std::process::id());
        let bin = env!("CARGO_BIN_EXE_timport");
        let mut settings = format!(
            "TIMPORT_CONFIG_DIR={} TIMPORT_DATA_DIR={}",
            home.path().join("config").display(),
            home.path().join("data").display()
        );
        for (name, value) in env {
            settings.push_str(&format!(" {name}={value}"));
        }
        let tmux = Tmux {
            session,
            socket,
            _home: home,
        };
        let status = tmux
            .command()
            .args([
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                &tmux.session,
            ])
            .arg(format!("env {settings} {bin} {args}; sleep 30"))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    /// `tmux`, on the session's server.
    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        if let Some(socket) = &self.socket {
            cmd.args(["-L", socket]);
        }
        cmd
    }

    /// Sends keys, as `tmux send-keys` takes them.
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// What the pane shows.
    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits up to 20 s for `text` on the screen; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(20))
    }

    /// Waits up to `limit` for `text` on the screen; returns the screen.
    pub fn wait_for_within(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let what = if self.socket.is_some() {
            vec!["kill-server"]
        } else {
            vec!["kill-session", "-t", &self.session]
        };
        let _ = self.command().args(what).status();
    }
}
