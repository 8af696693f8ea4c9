//! What can sit on top of a screen: the help, a yes/no question, a pop-up that shows something,
//! and a one-line prompt being typed (a filter, a field, a reason).

use super::super::keymap::Screen;
use super::connect::Field;
use super::text::TextField;

/// A list that can be filtered and clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListId {
    /// Groups table.
    Groups,
    /// Staged files.
    Files,
    /// The selected file's problems.
    Problems,
    /// Planned requests.
    Batches,
    /// Run lanes.
    Lanes,
    /// Per-message results.
    Results,
    /// Errors of the run.
    Errors,
}

/// What a prompt's text goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeTarget {
    /// A field of the Connect form.
    Connect(Field),
    /// A list's filter (applied while typing).
    Filter(ListId),
    /// The staging directory.
    StagingDir,
    /// Why the inspected message is skipped.
    SkipReason,
    /// Why every message refused with a code is skipped.
    BulkSkipReason,
}

impl TypeTarget {
    /// What the prompt asks, shown before the text.
    pub fn prompt(self) -> &'static str {
        match self {
            TypeTarget::Connect(_) => "",
            TypeTarget::Filter(_) => "/",
            TypeTarget::StagingDir => "Staging directory: ",
            TypeTarget::SkipReason => "Why skip it (recorded in the ledger): ",
            TypeTarget::BulkSkipReason => "Why skip them all (recorded with each): ",
        }
    }
}

/// A one-line prompt being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    /// Where the text goes.
    pub target: TypeTarget,
    /// The text.
    pub field: TextField,
}

/// What a "yes" does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Quit the console.
    Quit,
    /// Import these groups.
    Launch(Vec<String>),
    /// Import these groups, and the accounts neither in the app nor staged by UserID alone.
    LaunchImporting {
        /// The groups.
        groups: Vec<String>,
        /// The accounts to import by UserID alone.
        missing: Vec<String>,
    },
    /// Create this group with its `import_group` body from `groups.jsonl`.
    CreateGroup(String),
    /// Stop the inspected group's lane.
    StopGroup,
    /// Send this bulk decision to the run.
    Bulk(crate::engine::BulkDecision),
    /// Attach to the run going on the ledger in another process.
    Attach,
    /// Stop the attached run.
    StopRun,
    /// Scan this staging directory again and offer to launch these groups (resuming a run).
    Resume {
        /// The run's staging root.
        root: String,
        /// Its groups.
        groups: Vec<String>,
    },
}

/// A yes/no question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The question.
    pub title: String,
    /// What it will do, line by line.
    pub lines: Vec<String>,
    /// What "yes" does.
    pub on_yes: Pending,
    /// First row shown (of its lines as wrapped on screen): a long question scrolls.
    pub scroll: usize,
}

/// A pop-up that shows something (a staged message, an error in full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// Its title.
    pub title: String,
    /// Its lines.
    pub lines: Vec<String>,
    /// What `y` copies.
    pub copy: Option<String>,
    /// First row shown (of its lines as wrapped on screen).
    pub scroll: usize,
    /// The run lane it describes, when it does: its lines follow the lane as events arrive.
    pub lane: Option<usize>,
    /// Two messages side by side under the lines (a verification's finding: staged against
    /// found).
    pub compare: Option<Compare>,
}

/// Two messages side by side, each as pretty JSON lines, with the fields that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compare {
    /// The left pane's title (the staged message and where).
    pub left_title: String,
    /// Its lines (empty: nothing there).
    pub left: Vec<String>,
    /// The right pane's title (what the group holds).
    pub right_title: String,
    /// Its lines.
    pub right: Vec<String>,
    /// Top-level fields that differ (`MsgBody`, `SendTime`...): their lines are marked.
    pub differs: Vec<String>,
}

impl Popup {
    /// A pop-up of `text` as it stands.
    pub fn of_text(title: impl Into<String>, text: String) -> Popup {
        Popup {
            title: title.into(),
            lines: text.lines().map(str::to_owned).collect(),
            copy: Some(text),
            scroll: 0,
            lane: None,
            compare: None,
        }
    }

    /// Shows `text` in place of what it showed, keeping the scroll.
    pub fn replace_text(&mut self, text: String) {
        self.lines = text.lines().map(str::to_owned).collect();
        self.copy = Some(text);
    }
}

/// What is on top of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The help, scrolled.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// A question.
    Confirm(Confirm),
    /// A pop-up.
    Popup(Popup),
}

/// How much a status line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// News.
    Info,
    /// Worth a look.
    Warn,
    /// Something failed.
    Error,
}

/// The status line above the footer: the latest thing worth saying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// How much it matters.
    pub level: Level,
    /// The words.
    pub text: String,
}

/// Where the mouse can point, recorded at each draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitTarget {
    /// A screen's tab.
    Tab(Screen),
    /// A list's rows (the first row at the area's top).
    List(ListId),
    /// A line of the Connect form.
    Field(Field),
    /// A pane that takes the focus when clicked.
    Pane(ListId),
}
