//! The real binary, isolated from the machine it runs on: private config and data directories
//! and no `TIMPORT_*` setting inherited from the developer's or CI's environment (a developer's
//! `TIMPORT_KEY_FILE` would otherwise beat the test's key). Every test that starts `timport`
//! goes through [`timport_command`], or [`isolate`] for a program that starts it (tmux).
//!
//! Use: `mod support;` in the test file, then `support::binary::timport_command(home)`.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_timport");

/// `timport` with its config and data directories under `home` (`home/config`, `home/data`,
/// created by the binary when it needs them) and no inherited `TIMPORT_*` variable. Settings
/// the test wants go on the returned command (`.env("TIMPORT_SECRET_KEY", ...)`).
pub fn timport_command(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    isolate(&mut cmd, home);
    cmd
}

/// Removes every inherited `TIMPORT_*` variable (and `RUST_LOG`, which changes what the
/// binary logs) from `cmd` and points its config and data directories into `home`.
pub fn isolate<'c>(cmd: &'c mut Command, home: &Path) -> &'c mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TIMPORT_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd.env("TIMPORT_CONFIG_DIR", home.join("config"))
        .env("TIMPORT_DATA_DIR", home.join("data"))
}

/// A loopback address nothing listens on: a port the system just handed out, closed again
/// (no fixed port, such as 9, is closed on every machine).
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("its address");
    drop(listener);
    addr
}
