//! A `timport` process of a test (a `timport run`, a `timport watch`) whose stdout lines arrive
//! on a channel, read on a thread of their own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

/// How long anything may take on a loaded machine: generous, never a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// A child process whose stdout lines arrive on a channel (read on a thread of their own).
pub struct Running {
    pub child: Child,
    lines: std_mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub fn spawn(mut cmd: std::process::Command) -> Running {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std_mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to [`PATIENCE`]) for a stdout line holding `text`.
    pub async fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            while let Ok(line) = self.lines.try_recv() {
                let found = line.contains(text);
                self.seen.push(line);
                if found {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {text:?}; stdout was:\n{}",
                self.seen.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to [`PATIENCE`]) until stdout has held `text` on `n` lines in all.
    pub async fn wait_for_count(&mut self, text: &str, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            while let Ok(line) = self.lines.try_recv() {
                self.seen.push(line);
            }
            if self.seen.iter().filter(|l| l.contains(text)).count() >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {text:?} ×{n}; stdout was:\n{}",
                self.seen.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to [`PATIENCE`]) for the process to end; its exit code, all its stdout, its
    /// stderr.
    pub async fn end(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "waited {PATIENCE:?} for the end");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut stderr);
        }
        // The reader thread sees the pipe close once the process is gone.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"), stderr)
    }

    pub fn still_going(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}
