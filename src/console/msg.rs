//! Everything that can happen to the console: the operator's input and every async result.
//! The shell turns terminal events and finished tasks into these; `state::update` is the only
//! place that reacts to them.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::api::types::GroupInfo;
use crate::api::{ApiError, Client};
use crate::engine::Event;

use super::settings::{LoadedProfile, LoadedSecret};
use super::state::files::Scanned;
use super::state::preview::Previewed;

/// Terminal input, already filtered to key presses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A key press.
    Key(KeyEvent),
    /// A mouse event (only while mouse capture is on).
    Mouse(MouseEvent),
    /// Text pasted at once (bracketed paste).
    Paste(String),
    /// The terminal changed size.
    Resize(u16, u16),
}

/// A failure shown to the operator: which call, the service's code when there is one, and the
/// catalogue's meaning and remedy. Built from [`ApiError`] (already scrubbed of secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorView {
    /// What failed, e.g. `get_appid_group_list refused`.
    pub what: String,
    /// The service's code.
    pub code: Option<i64>,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub remedy: String,
    /// The service's or the transport's own words.
    pub detail: String,
}

impl ErrorView {
    /// The view of a failed call.
    pub fn from_api(err: &ApiError) -> ErrorView {
        let detail = match err {
            ApiError::Service { info, .. } => info.clone(),
            ApiError::Http { status, detail, .. } => {
                format!("HTTP {status} {detail}").trim().to_owned()
            }
            ApiError::Transport { detail, .. }
            | ApiError::BadAnswer { detail, .. }
            | ApiError::Encode { detail, .. } => detail.clone(),
        };
        let what = match err {
            ApiError::Service { .. } => format!("{} refused", err.command().name()),
            _ => format!("{} failed", err.command().name()),
        };
        ErrorView {
            what,
            code: err.code(),
            meaning: err.meaning().to_owned(),
            remedy: err.remedy().to_owned(),
            detail,
        }
    }

    /// A local failure (a file, a setting) that has no service code: `text` says it all.
    pub fn local(what: &str, text: &str) -> ErrorView {
        ErrorView {
            what: what.to_owned(),
            code: None,
            meaning: text.to_owned(),
            remedy: String::new(),
            detail: String::new(),
        }
    }

    /// One line: `what: code meaning. remedy`.
    pub fn one_line(&self) -> String {
        let code = self.code.map(|c| format!("{c} ")).unwrap_or_default();
        let remedy = if self.remedy.is_empty() {
            String::new()
        } else {
            format!(". {}", self.remedy)
        };
        format!("{}: {code}{}{remedy}", self.what, self.meaning)
    }
}

/// A successful connection test.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The client that passed the test (shares its pool and UserSig with every later call).
    pub client: Client,
    /// Groups in the app, as the service counts them.
    pub total_groups: u64,
    /// How long the test's call took: the round trip the expected duration of a run is worked
    /// out with (`engine::bound`).
    pub round_trip: std::time::Duration,
}

/// One page of the app's group ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIdPage {
    /// The ids, in the service's order.
    pub ids: Vec<String>,
    /// Groups in the app.
    pub total: u64,
    /// True when this was the last page.
    pub last: bool,
}

/// Everything that can happen.
#[derive(Debug)]
pub enum Msg {
    /// The operator did something.
    Input(Input),
    /// A profile was read for the form.
    ProfileLoaded {
        /// The profile.
        name: String,
        /// The form's new values and the profile's run options, or why not.
        result: Result<Box<LoadedProfile>, String>,
    },
    /// A secret key was loaded.
    KeyLoaded(Result<LoadedSecret, String>),
    /// A connection test ended.
    ConnectionTested {
        /// Which test (older answers are ignored).
        attempt: u64,
        /// The client, or why not.
        result: Result<Connected, ErrorView>,
    },
    /// A profile was saved.
    ProfileSaved {
        /// The profile.
        name: String,
        /// The profile names now in the file, or why not.
        result: Result<Vec<String>, String>,
    },
    /// A page of group ids arrived.
    GroupIds {
        /// Which listing (older ones are ignored).
        generation: u64,
        /// The page, or why not.
        result: Result<GroupIdPage, ErrorView>,
    },
    /// Details of some groups arrived.
    GroupInfos {
        /// Which listing.
        generation: u64,
        /// Their details (each with its own error code), or why not.
        result: Result<Vec<GroupInfo>, ErrorView>,
    },
    /// A staging scan ended.
    StagingScanned {
        /// Which scan (older ones are ignored).
        generation: u64,
        /// The scan summarised, or why it could not start.
        result: Result<Box<Scanned>, String>,
    },
    /// The accounts a launch's staging names that are neither in the app nor staged.
    AccountsChecked {
        /// The groups to launch.
        groups: Vec<String>,
        /// How the confirmation names them.
        scope: String,
        /// The missing accounts, or why they could not be checked.
        result: Result<Vec<String>, ErrorView>,
    },
    /// A group was created (its details), or why not.
    GroupCreated {
        /// The group.
        group: String,
        /// Its details from `get_group_info`, or why it could not be created.
        result: Result<Vec<GroupInfo>, ErrorView>,
    },
    /// A group's plan is ready.
    PlanBuilt {
        /// Which planning (older ones are ignored).
        generation: u64,
        /// The plan, or why not.
        result: Result<Box<Previewed>, String>,
    },
    /// A staged message's text, for a pop-up.
    StagedText {
        /// The pop-up's title.
        title: String,
        /// Shown above the text, in full.
        heading: String,
        /// The text, or why it could not be read.
        result: Result<String, String>,
    },
    /// The text of the message the inspector shows.
    InspectorText {
        /// The lane (ignored when the inspector moved on).
        target: crate::engine::Target,
        /// Where the message is staged.
        source: crate::engine::SourceRef,
        /// Its JSON, or why it could not be read.
        result: Result<String, String>,
    },
    /// Something the engine reported about the run.
    Engine(Event),
    /// The engine could not start the run, or ended it abnormally.
    RunFailed(String),
    /// A launch found a run going on the ledger in another process (its socket answers): the
    /// console offers to attach instead.
    RunLive,
    /// Attached to a run in another process: its hello and where it stands; or why not.
    Attached(Result<Box<(crate::engine::attach::Hello, crate::engine::attach::Catchup)>, String>),
    /// Something the attached run said that is not an event (the helm, a pause, an answer).
    RunNote(crate::engine::attach::Note),
    /// The connection to the attached run ended (why, in words).
    Detached(String),
    /// Something a verification reported.
    Verify(crate::engine::verify::VerifyEvent),
    /// A verification could not start, or ended abnormally.
    VerifyFailed(String),
    /// The latest run in the ledger, as the ledger tells it.
    LedgerRun(Result<Box<crate::engine::report::Report>, String>),
    /// What the latest run of the scanned staging imported (`None`: no run of it yet), or why
    /// the ledger could not say.
    LedgerImported(Result<Option<Box<crate::engine::report::Report>>, String>),
    /// Text went to the clipboard (how many characters), or why not.
    Copied(Result<usize, String>),
    /// A background task ended abnormally (a bug): it is reported, never fatal.
    TaskFailed {
        /// Which task.
        what: String,
    },
    /// Quit cleanly (a signal such as SIGTERM arrived).
    Shutdown,
}
