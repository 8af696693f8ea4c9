//! Everything `state::update` may ask the shell to do. Effects are data: `update` stays pure and
//! tests read what it asked for. The shell (`app.rs`, `exec.rs`) performs each one, on a task when
//! it waits on anything, and reports back with a [`super::msg::Msg`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::{Client, Credentials, Endpoint};
use crate::config::Profile;
use crate::engine::{Control, SourceRef};
use crate::staging::{Staging, Target};

/// A side effect requested by `update`.
#[derive(Debug)]
pub enum Effect {
    /// Read a profile for the form.
    LoadProfile {
        /// The profile.
        name: String,
    },
    /// Read the secret key from a file.
    KeyFromFile {
        /// The file.
        path: PathBuf,
    },
    /// Read the secret key from `TIMPORT_SECRET_KEY`.
    KeyFromEnv,
    /// Make a client and test it with one cheap call.
    TestConnection {
        /// Which test (answers to older ones are ignored).
        attempt: u64,
        /// Where.
        endpoint: Endpoint,
        /// Who (the key's `Debug` is redacted).
        creds: Credentials,
    },
    /// Save the form as a profile (it never holds the secret).
    SaveProfile {
        /// Its name.
        name: String,
        /// Its settings.
        profile: Profile,
    },
    /// Page in the app's groups (ids, then details), replacing any listing still going.
    ListGroups {
        /// Which listing.
        generation: u64,
        /// The tested client.
        client: Client,
    },
    /// Scan a staging directory (replacing a scan still going).
    ScanStaging {
        /// Which scan.
        generation: u64,
        /// The directory (or file).
        root: PathBuf,
    },
    /// Load and plan every target of a group.
    BuildPlan {
        /// Which planning.
        generation: u64,
        /// The scan.
        staging: Arc<Staging>,
        /// The group.
        group: String,
        /// What bursts get, as the next launch will send them.
        same_second: crate::plan::SameSecond,
    },
    /// Read a staged message's text for a pop-up.
    ReadStaged {
        /// The pop-up's title.
        title: String,
        /// Shown above the text, in full (the problem found in it).
        heading: String,
        /// The file.
        path: PathBuf,
        /// Where the message starts.
        offset: u64,
    },
    /// Read the text of the message a lane stopped at, for the inspector.
    LoadMessage {
        /// The scan.
        staging: Arc<Staging>,
        /// The lane.
        target: Target,
        /// Where the message is staged.
        source: SourceRef,
    },
    /// Start importing these groups.
    StartRun(Box<Launch>),
    /// Start importing these groups in a `timport run` of its own, which outlives the console,
    /// and attach to it.
    SpawnRun {
        /// The launch, as `timport run` is told it.
        launch: Box<Launch>,
        /// The key, for the child's environment (never its command line).
        key: crate::api::SecretKey,
    },
    /// Ask the service which accounts the launch's staging names are neither in the app nor
    /// staged, then confirm the launch.
    CheckAccounts {
        /// The tested client.
        client: Client,
        /// The scan.
        staging: Arc<Staging>,
        /// The groups to launch.
        groups: Vec<String>,
        /// How the confirmation names them.
        scope: String,
    },
    /// Create a group (`import_group` with these exact bytes), then read its details.
    CreateGroup {
        /// The tested client.
        client: Client,
        /// The group.
        group: String,
        /// The body, as previewed.
        body: bytes::Bytes,
    },
    /// Tell the running engine something (the attached run, when attached).
    Control(Control),
    /// Attach to the run going on this ledger in another process.
    Attach {
        /// The ledger file (its socket is beside it).
        ledger: PathBuf,
    },
    /// Take (true) or give back (false) the attached run's helm.
    Helm(bool),
    /// Detach from the attached run (it goes on).
    Detach,
    /// Read where the latest run in the ledger stands.
    ReadLedger {
        /// The ledger file.
        ledger: PathBuf,
    },
    /// Read what the latest run of a staging imported per group, from the ledger.
    ReadImported {
        /// The ledger file.
        ledger: PathBuf,
        /// The staging root (runs are named by it).
        root: PathBuf,
    },
    /// Verify a run (or some of its lanes) against the service.
    Verify(Box<VerifyLaunch>),
    /// Stop the verification going (after the window at work; it resumes from there).
    StopVerify,
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Turn mouse capture on or off.
    SetMouse(bool),
}

/// Everything a verification needs from the console.
#[derive(Debug)]
pub struct VerifyLaunch {
    /// The run.
    pub run_id: i64,
    /// Only these lanes; empty: every lane of the run.
    pub only: Vec<Target>,
    /// The tested client.
    pub client: Client,
    /// The run's staged files (the console's scan).
    pub staging: Arc<Staging>,
    /// The ledger file.
    pub ledger: PathBuf,
    /// Reads per second when no import shares the budget.
    pub rate: u32,
}

/// Everything a run needs from the console.
#[derive(Debug)]
pub struct Launch {
    /// The scan the plan is made from.
    pub staging: Arc<Staging>,
    /// The groups to import (all their topics too).
    pub groups: Vec<String>,
    /// The tested client.
    pub client: Client,
    /// The ledger file.
    pub ledger: PathBuf,
    /// How the run goes.
    pub options: crate::engine::RunOptions,
    /// The phases around the messages.
    pub migration: crate::engine::phases::MigrationWork,
}
