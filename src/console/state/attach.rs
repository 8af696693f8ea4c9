//! A console attached to a run in another process (`engine::attach`): which run, which reader
//! this console is, who holds the helm, and whether the connection still stands. The Run screen
//! itself is the same as for a run this console launched: the catch-up and the events go
//! through `run::RunState` as the engine's own do.

use crate::engine::attach::{Hello, Helm};

use super::super::keymap::{Action, Keymap, Place};

/// The attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The run.
    pub run_id: i64,
    /// This console's reader number.
    pub me: u64,
    /// Who decides now (`None`: nobody; the first decision takes the helm).
    pub helm: Option<Helm>,
    /// False once the connection ended (the run finished, or went away).
    pub connected: bool,
}

impl Attachment {
    /// The attachment a hello describes.
    pub fn new(hello: &Hello) -> Attachment {
        Attachment {
            run_id: hello.run_id,
            me: hello.reader,
            helm: hello.helm.clone(),
            connected: true,
        }
    }

    /// Whether this console holds the helm.
    pub fn at_helm(&self) -> bool {
        self.helm.as_ref().is_some_and(|h| h.reader == self.me)
    }

    /// Why this console cannot decide now (another console holds the helm, or the connection
    /// ended); `None` when it can (holding the helm, or taking the free one with its decision).
    pub fn refusal(&self, keys: &Keymap) -> Option<String> {
        if !self.connected {
            return Some(format!(
                "Detached from run {}: this console no longer reaches it",
                self.run_id
            ));
        }
        match &self.helm {
            Some(h) if h.reader != self.me => Some(format!(
                "{} (console {}) holds the helm: this console watches. It decides once that console gives the helm back ({}) or detaches",
                h.by,
                h.reader,
                keys.name(Place::Run, Action::Helm)
            )),
            _ => None,
        }
    }

    /// The same, shorter and shorter (80 columns): `run 4 · watching`, then `watching` (also
    /// `at helm`, `helm free`, `detached`); the holder's name is in the wide form and in every
    /// refusal, the run's id in the Run screen's header.
    pub fn short(&self) -> [String; 2] {
        let word = if !self.connected {
            "detached"
        } else {
            match &self.helm {
                Some(h) if h.reader == self.me => "at helm",
                Some(_) => "watching",
                None => "helm free",
            }
        };
        [format!("run {} · {word}", self.run_id), word.to_owned()]
    }

    /// One line for the header: the run, and who decides.
    pub fn line(&self) -> String {
        if !self.connected {
            return format!("detached from run {}", self.run_id);
        }
        let helm = match &self.helm {
            Some(h) if h.reader == self.me => "helm: this console".to_owned(),
            Some(h) => format!("helm: {} (console {})", h.by, h.reader),
            None => "helm: free".to_owned(),
        };
        format!("attached to run {} · {helm}", self.run_id)
    }
}

/// Whether `action` decides something about the run (the helm is needed for it).
pub fn decides(action: Action) -> bool {
    matches!(
        action,
        Action::PauseResume
            | Action::StopRun
            | Action::StopLane
            | Action::SkipCode
            | Action::RetryCode
            | Action::Retry
            | Action::RetryEdited
            | Action::Skip
            | Action::StopGroup
    )
}
