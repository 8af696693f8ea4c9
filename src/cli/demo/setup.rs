//! What `timport demo` runs on: a sandbox seeded from `assets/demo/` (built into the binary, so
//! the demo works from any directory), a staging directory with a few thousand messages and some
//! deliberate problems, a little latency and a few injected faults. The staging files and the
//! demo's own ledger live in a fresh temporary directory removed on drop, so the demo never
//! touches a real ledger. `assets/demo/generate.py` tells the story of the data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::SecretKey;
use crate::clock::unix_now;
use crate::console::settings::{EndpointChoice, LoadedSecret, Prefill, SecretOrigin};
use crate::sandbox::{FaultConfig, FaultKind, SandboxConfig, SandboxHandle, Seed};

/// The demo sandbox's secret key. Not a secret: it only opens this process's own sandbox.
pub const DEMO_KEY: &str = "timport-demo-key-not-a-secret";

/// The seed: the groups the demo app starts with.
pub const SEED: &str = include_str!("../../../assets/demo/seed.json");

/// The staged files, by name.
pub const STAGING: [(&str, &str); 9] = [
    (
        "accounts.jsonl",
        include_str!("../../../assets/demo/staging/accounts.jsonl"),
    ),
    (
        "groups.jsonl",
        include_str!("../../../assets/demo/staging/groups.jsonl"),
    ),
    (
        "support-desk.jsonl",
        include_str!("../../../assets/demo/staging/support-desk.jsonl"),
    ),
    (
        "eng-core.jsonl",
        include_str!("../../../assets/demo/staging/eng-core.jsonl"),
    ),
    (
        "@TGS#_bookclub.jsonl",
        include_str!("../../../assets/demo/staging/@TGS#_bookclub.jsonl"),
    ),
    (
        "town-hall.jsonl",
        include_str!("../../../assets/demo/staging/town-hall.jsonl"),
    ),
    (
        "live-launch.jsonl",
        include_str!("../../../assets/demo/staging/live-launch.jsonl"),
    ),
    (
        "sales-emea.jsonl",
        include_str!("../../../assets/demo/staging/sales-emea.jsonl"),
    ),
    (
        "archive-2019.jsonl",
        include_str!("../../../assets/demo/staging/archive-2019.jsonl"),
    ),
];

/// Added to every sandbox answer: enough to watch lanes work, little enough to finish fast.
const LATENCY: Duration = Duration::from_millis(20);
/// Share of requests that get a fault: a handful in a demo run.
const FAULT_RATE: f64 = 0.01;

/// The demo's files: staging and ledger, removed on drop.
pub struct DemoDir {
    root: PathBuf,
}

impl DemoDir {
    /// Creates a fresh directory and writes the staged files into `staging/`.
    pub fn create() -> std::io::Result<DemoDir> {
        // Unique per process and per call (tests create several at once).
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "timport-demo-{}-{}-{n}",
            std::process::id(),
            unix_now()
        ));
        let dir = DemoDir { root };
        std::fs::create_dir_all(dir.staging())?;
        for (name, text) in STAGING {
            std::fs::write(dir.staging().join(name), text)?;
        }
        Ok(dir)
    }

    /// The staging directory.
    pub fn staging(&self) -> PathBuf {
        self.root.join("staging")
    }

    /// The demo's ledger.
    pub fn ledger(&self) -> PathBuf {
        self.root.join("ledger.sqlite3")
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The demo sandbox's configuration (`faults` false for tests that need a quiet run).
pub fn sandbox_config(faults: bool) -> Result<SandboxConfig, String> {
    let seed = Seed::parse(SEED, unix_now()).map_err(|e| e.to_string())?;
    let mut config = SandboxConfig::new(SecretKey::new(DEMO_KEY)).with_seed(seed);
    config.latency = LATENCY;
    if faults {
        config.faults = FaultConfig {
            rate: FAULT_RATE,
            kinds: vec![
                FaultKind::ErrorCode(10002),
                FaultKind::Http5xx(502),
                FaultKind::DropAfterCommit,
            ],
            command: Some(crate::api::types::Command::ImportGroupMsg),
            seed: Some(7),
        };
    }
    Ok(config)
}

/// Starts the demo sandbox on a free loopback port.
pub async fn start_sandbox(faults: bool) -> Result<SandboxHandle, String> {
    let config = sandbox_config(faults)?;
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    crate::sandbox::start(config, listen)
        .await
        .map_err(|e| format!("cannot start the demo sandbox: {e}"))
}

/// The Connect form for the demo sandbox at `url`.
pub fn prefill(url: &str, sdkappid: u64, admin: &str) -> Prefill {
    Prefill {
        profiles: Vec::new(),
        profile: None,
        choice: EndpointChoice::Sandbox,
        url: url.to_owned(),
        sdkappid: Some(sdkappid),
        admin: Some(admin.to_owned()),
        key_file: None,
        secret: Some(LoadedSecret {
            key: SecretKey::new(DEMO_KEY),
            origin: SecretOrigin::Demo,
            warnings: Vec::new(),
        }),
        problems: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_valid_and_the_staging_files_are_all_built_in() {
        let seed = Seed::parse(SEED, unix_now()).expect("the demo seed passes the sandbox's rules");
        let types: Vec<&str> = seed.groups.iter().map(|g| g.group_type.as_str()).collect();
        assert!(types.contains(&"AVChatRoom"), "{types:?}");
        assert!(
            seed.groups.iter().any(|g| !g.messages.is_empty()),
            "one group already has newer messages"
        );
        let lines: usize = STAGING.iter().map(|(_, t)| t.lines().count()).sum();
        assert!(lines > 3_000, "{lines}");
        let on_disk =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/staging"))
                .expect("assets/demo/staging")
                .count();
        assert_eq!(on_disk, STAGING.len(), "every staged file is built in");
    }

    #[test]
    fn the_demo_directory_is_written_and_removed() {
        let dir = DemoDir::create().expect("temp dir");
        let root = dir.root().to_owned();
        assert!(dir.staging().join("sales-emea.jsonl").exists());
        drop(dir);
        assert!(!root.exists());
    }
}
