//! The inspector: the message a lane stopped at, opened for a decision. Its JSON (editable in a
//! text area), the error explained, and the lane's situation (what landed after it). Decisions
//! go to the engine, which records each in the ledger before acting; the inspector stays open
//! until the lane answers (it resumes, or says why the decision cannot be carried out).

use tui_textarea::TextArea;

use crate::api::types::ImportMsg;
use crate::engine::{PauseReason, Target};
use crate::staging::{ScanOptions, check_message_text};

/// Where the message's text stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loading {
    /// Being read from the staged file.
    Pending,
    /// Read (the text area holds it).
    Ready,
    /// Could not be read.
    Failed(String),
}

/// What the inspector has to say about the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The decision went to the engine; waiting for the lane.
    Sent(String),
    /// The edit breaks rules (each line a problem with its field); nothing was sent.
    Invalid(Vec<String>),
    /// The engine did not carry the decision out, and why.
    Refused(String),
}

/// The inspector.
#[derive(Debug, Clone)]
pub struct InspectorState {
    /// The lane.
    pub target: Target,
    /// Where it stopped and why.
    pub reason: PauseReason,
    /// The message as staged, pretty-printed (for undoing edits).
    pub original: String,
    /// The editable JSON.
    pub editor: TextArea<'static>,
    /// Whether the text area has the keys.
    pub editing: bool,
    /// The message's text.
    pub loading: Loading,
    /// The last word on an action.
    pub notice: Option<Notice>,
    /// First line of the explanation pane shown.
    pub scroll: usize,
}

impl InspectorState {
    /// An inspector for a paused lane; the text is loaded next.
    pub fn new(target: Target, reason: PauseReason) -> InspectorState {
        InspectorState {
            target,
            reason,
            original: String::new(),
            editor: TextArea::default(),
            editing: false,
            loading: Loading::Pending,
            notice: None,
            scroll: 0,
        }
    }

    /// The staged text arrived.
    pub fn loaded(&mut self, text: String) {
        self.editor = TextArea::from(text.lines().map(str::to_owned));
        self.original = text;
        self.loading = Loading::Ready;
    }

    /// Puts the staged text back.
    pub fn revert(&mut self) {
        let text = self.original.clone();
        self.loaded(text);
        self.notice = None;
    }

    /// The text as edited.
    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Whether the text differs from the staged one.
    pub fn edited(&self) -> bool {
        self.loading == Loading::Ready && self.text() != self.original
    }

    /// The edited message checked with staging's rules (the same the scan applies), or every
    /// problem found.
    pub fn checked_edit(&self, now: i64) -> Result<ImportMsg, Vec<String>> {
        let opts = ScanOptions::new(now);
        check_message_text(&self.text(), &opts).map_err(|findings| {
            findings
                .into_iter()
                .filter(|f| f.is_error())
                .map(|f| match &f.field {
                    Some(field) => format!("{field}: {}", f.message),
                    None => f.message.clone(),
                })
                .collect()
        })
    }
}
