//! Screen 3, Files: the staging directory as a browser. Per file its group, message count, time
//! range and problems; the selected file's problems with line and field; Enter on a problem
//! shows the staged text. The scan and the per-file summary are computed off the UI thread
//! ([`Scanned::from_staging`]); here they are only looked at.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::plan::{Bursts, MAX_BATCH_SIZE};
use crate::staging::{Problem, Staging};

use super::groups::StagedCounts;
use super::list::{ListView, contains_folded};

/// One staged file, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// Path relative to the staging root.
    pub path: Arc<str>,
    /// The file's target as its name says (`group` or `group topic`).
    pub target: String,
    /// Messages indexed from it (valid or not).
    pub messages: u64,
    /// Earliest and latest valid `SendTime`.
    pub range: Option<(i64, i64)>,
    /// Problems of error severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Its problems: a range of [`Staging::problems`] (they are sorted by file).
    pub problems: Range<usize>,
}

/// A scan with everything the screens need from it, computed once.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The index itself (shared with the tasks that load and plan).
    pub staging: Arc<Staging>,
    /// One row per file, in path order.
    pub files: Vec<FileRow>,
    /// What is staged per group (all its topics together).
    pub groups: HashMap<String, StagedCounts>,
    /// Messages in all files.
    pub messages: u64,
    /// Errors in all files.
    pub errors: usize,
    /// Warnings in all files.
    pub warnings: usize,
}

impl Scanned {
    /// Summarises a scan: one pass over the entries and one over the problems.
    pub fn from_staging(staging: Arc<Staging>) -> Scanned {
        let n = staging.files().len();
        let mut ranges: Vec<Option<(i64, i64)>> = vec![None; n];
        let mut groups: HashMap<String, StagedCounts> = HashMap::new();
        for t in staging.targets() {
            let counts = groups.entry(t.target().group().to_owned()).or_default();
            counts
                .bursts
                .add(&Bursts::of(t.order_times(), MAX_BATCH_SIZE));
            for e in t.entries() {
                counts.messages += 1;
                if !e.is_valid() {
                    counts.invalid += 1;
                    continue;
                }
                let time = e.send_time();
                if counts.valid() == 1 || time < counts.first {
                    counts.first = time;
                }
                counts.last = counts.last.max(time);
                if let Some(slot) = ranges.get_mut(e.file() as usize) {
                    *slot = Some(match *slot {
                        Some((a, b)) => (a.min(time), b.max(time)),
                        None => (time, time),
                    });
                }
            }
        }
        let problems = staging.problems();
        let mut files = Vec::with_capacity(n);
        let mut at = 0;
        for (i, f) in staging.files().iter().enumerate() {
            // Problems are sorted by file (in path order), so each file's are one run; a
            // problem naming no staged file (rare) is skipped over.
            while at < problems.len()
                && !is_of(&problems[at], &f.path)
                && !later(&problems[at], staging.files(), i)
            {
                at += 1;
            }
            let start = at;
            while at < problems.len() && is_of(&problems[at], &f.path) {
                at += 1;
            }
            let own = &problems[start..at];
            files.push(FileRow {
                path: f.path.clone(),
                target: f.target.to_string(),
                messages: f.messages,
                range: ranges[i],
                errors: own.iter().filter(|p| p.is_error()).count(),
                warnings: own.iter().filter(|p| !p.is_error()).count(),
                problems: start..at,
            });
        }
        Scanned {
            messages: files.iter().map(|f| f.messages).sum(),
            errors: problems.iter().filter(|p| p.is_error()).count(),
            warnings: problems.iter().filter(|p| !p.is_error()).count(),
            staging,
            files,
            groups,
        }
    }
}

fn is_of(p: &Problem, path: &str) -> bool {
    p.file.as_ref() == path
}

/// Whether problem `p` belongs to a file after file `i` (so file `i` has none left).
fn later(p: &Problem, files: &[crate::staging::StagedFile], i: usize) -> bool {
    files[i + 1..].iter().any(|f| is_of(p, &f.path))
}

/// Which pane of the screen has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilesFocus {
    /// The files table.
    #[default]
    Files,
    /// The selected file's problems.
    Problems,
}

/// Where the scan stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ScanState {
    /// No staging directory chosen.
    #[default]
    None,
    /// Reading the files.
    Scanning,
    /// The scan could not start (the reason).
    Failed(String),
    /// Done.
    Ready,
}

/// The Files screen.
#[derive(Debug, Clone, Default)]
pub struct FilesState {
    /// The staging directory.
    pub root: Option<PathBuf>,
    /// Where the scan stands.
    pub scan: ScanState,
    /// The last finished scan.
    pub scanned: Option<Scanned>,
    /// Which scan is current (older answers are ignored).
    pub generation: u64,
    /// The files table.
    pub view: ListView,
    /// The selected file's problems.
    pub problems: ListView,
    /// Which pane has the keys.
    pub focus: FilesFocus,
}

impl FilesState {
    /// Starts scanning `root`; returns the scan's generation.
    pub fn begin_scan(&mut self, root: PathBuf) -> u64 {
        self.root = Some(root);
        self.scan = ScanState::Scanning;
        self.generation += 1;
        self.generation
    }

    /// A scan finished.
    pub fn scanned(&mut self, scanned: Scanned) {
        self.scan = ScanState::Ready;
        let keep = self.selected().map(|f| f.path.clone());
        self.scanned = Some(scanned);
        self.refilter();
        if let Some(path) = keep {
            self.select_path(&path);
        }
        self.sync_problems();
    }

    /// The files (empty before a scan).
    pub fn rows(&self) -> &[FileRow] {
        self.scanned.as_ref().map_or(&[], |s| &s.files)
    }

    /// The selected file.
    pub fn selected(&self) -> Option<&FileRow> {
        self.view.selected().and_then(|i| self.rows().get(i))
    }

    /// Selects the first file whose target is `group` (or one of its topics).
    pub fn select_group(&mut self, group: &str) {
        let found = self
            .rows()
            .iter()
            .position(|f| f.target == group || f.target.starts_with(&format!("{group} topic ")));
        if let Some(row) = found {
            self.view.select_row(row);
            self.sync_problems();
        }
    }

    fn select_path(&mut self, path: &str) {
        if let Some(row) = self.rows().iter().position(|f| f.path.as_ref() == path) {
            self.view.select_row(row);
        }
    }

    /// The selected file's problems.
    pub fn file_problems(&self) -> &[Problem] {
        match (&self.scanned, self.selected()) {
            (Some(s), Some(f)) => s.staging.problems().get(f.problems.clone()).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The selected problem.
    pub fn selected_problem(&self) -> Option<&Problem> {
        self.problems
            .selected()
            .and_then(|i| self.file_problems().get(i))
    }

    /// Resets the problems pane to the selected file's problems.
    pub fn sync_problems(&mut self) {
        let n = self.file_problems().len();
        let was = self.problems.selected_pos();
        self.problems = ListView::new(n);
        self.problems.select_pos(was.min(n.saturating_sub(1)));
    }

    /// Applies the filter again after the rows changed.
    pub fn refilter(&mut self) {
        let text = self.view.filter().to_owned();
        self.set_filter(&text);
    }

    /// Filters files by path or target.
    pub fn set_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let rows = self.scanned.as_ref().map_or(&[][..], |s| &s.files[..]);
        let len = rows.len();
        if self.view.len() != len {
            self.view.reset(len, |_| true);
        }
        self.view.set_filter(text, |i| {
            contains_folded(&rows[i].path, &needle) || contains_folded(&rows[i].target, &needle)
        });
    }
}
