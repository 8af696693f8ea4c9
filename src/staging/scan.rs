//! The scan: every staged file read once, as a stream, into a [`Staging`] index. Each file is
//! hashed while it is read, and its size and time are compared before and after, so a file that
//! changes under the scan is reported.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::collect::Collector;
use super::entry::{MAX_FILES, MAX_OFFSET};
use super::fingerprint::{Fingerprint, HashingReader};
use super::index::{FileKind, StagedFile, Staging};
use super::json_cursor::{JsonCursor, ScanStop};
use super::json_file::{self, BodyFields, Element, JsonSink};
use super::lines::{LineReader, is_blank};
use super::options::ScanOptions;
use super::problem::{Finding, Place, ProblemKind};
use super::target::Target;
use super::walk::{self, Listed};

const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Why a scan could not start. Everything found inside the files is a
/// [`Problem`](super::Problem) instead.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The path does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// More files than the index can number.
    #[error(
        "{path} holds {count} staged files; at most {MAX_FILES} can be scanned at once: split it"
    )]
    TooManyFiles {
        /// The path given.
        path: PathBuf,
        /// How many.
        count: usize,
    },
}

/// Scans a staging directory (every `*.jsonl` and `*.json` below it, recursively, in path
/// order; hidden entries skipped) or a single staged file.
pub fn scan(path: &Path, opts: &ScanOptions) -> Result<Staging, ScanError> {
    let meta = fs::metadata(path).map_err(|source| ScanError::Open {
        path: path.to_owned(),
        source,
    })?;
    let listing = walk::list(path, meta.is_dir());
    if listing.files.len() > MAX_FILES {
        return Err(ScanError::TooManyFiles {
            path: path.to_owned(),
            count: listing.files.len(),
        });
    }
    let mut collector = Collector::new(opts);
    for (rel, finding) in listing.skipped {
        let place = Place {
            file: rel.into(),
            line: 0,
            offset: 0,
        };
        collector.problem(place, finding, None);
    }
    if listing.files.is_empty() {
        let place = Place {
            file: path.display().to_string().into(),
            line: 0,
            offset: 0,
        };
        let finding = Finding::error(
            ProblemKind::NoFiles,
            None,
            "no staged files here: name them *.jsonl (one message per line) or *.json (request bodies)",
        );
        collector.problem(place, finding, None);
    }
    let cap = opts.read_cap();
    for listed in listing.files {
        scan_file(&mut collector, listed, cap);
    }
    Ok(Staging::build(
        path.to_owned(),
        collector.finish(),
        opts.clone(),
    ))
}

fn scan_file(c: &mut Collector<'_>, listed: Listed, cap: usize) {
    let Listed {
        rel,
        full,
        kind,
        stem,
    } = listed;
    let id = c.add_file(StagedFile {
        path: Arc::from(rel),
        full_path: full.clone(),
        kind,
        target: Target::from_stem(&stem),
        fingerprint: None,
        messages: 0,
    });
    let problem = |c: &mut Collector<'_>, message: String| {
        c.file_problem(id, Finding::error(ProblemKind::Io, None, message), 0, 0);
    };
    let file = match File::open(&full) {
        Ok(f) => f,
        Err(e) => return problem(c, format!("cannot be opened: {e}")),
    };
    let before = match file.metadata() {
        Ok(m) => m,
        Err(e) => return problem(c, format!("cannot be read: {e}")),
    };
    if before.len() > MAX_OFFSET {
        return problem(
            c,
            format!(
                "is {} bytes; files over 1 TiB cannot be indexed: split it",
                before.len()
            ),
        );
    }
    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, HashingReader::new(file));
    let read = match kind {
        FileKind::Jsonl => scan_jsonl(c, id, &mut reader, cap),
        FileKind::Json => scan_json(c, id, &mut reader, cap),
    };
    if let Err(e) = read {
        return problem(
            c,
            format!("reading stopped: {e}; the rest of the file is not staged"),
        );
    }
    let (sha256, bytes) = match reader.into_inner().finish() {
        Ok(done) => done,
        Err(e) => return problem(c, format!("reading stopped: {e}")),
    };
    let fingerprint = Fingerprint {
        size: before.len(),
        modified: before.modified().ok(),
        sha256,
    };
    let unchanged = fs::metadata(&full).is_ok_and(|after| fingerprint.same_metadata(&after));
    if !unchanged || bytes != before.len() {
        let finding = Finding::error(
            ProblemKind::ChangedWhileReading,
            None,
            "the file changed while it was being read; scan again once nothing writes to it",
        );
        c.file_problem(id, finding, 0, 0);
    }
    c.file_mut(id).fingerprint = Some(fingerprint);
}

fn scan_jsonl(
    c: &mut Collector<'_>,
    id: u32,
    reader: &mut impl BufRead,
    cap: usize,
) -> io::Result<()> {
    let mut lines = LineReader::new(reader, cap);
    let mut buf = Vec::new();
    while let Some(line) = lines.next_line(&mut buf)? {
        if line.too_long {
            c.line(id, &line, None);
        } else if !is_blank(&buf) {
            c.line(id, &line, Some(&buf));
        }
    }
    Ok(())
}

struct Sink<'c, 'o> {
    c: &'c mut Collector<'o>,
    id: u32,
}

impl JsonSink for Sink<'_, '_> {
    fn message(&mut self, element: Element<'_>) {
        self.c.element(self.id, &element);
    }

    fn body_end(&mut self, body: BodyFields) {
        self.c.body_end(self.id, body);
    }

    fn problem(&mut self, finding: Finding, offset: u64, line: u32) {
        self.c.file_problem(self.id, finding, offset, line);
    }
}

fn scan_json(
    c: &mut Collector<'_>,
    id: u32,
    reader: &mut impl BufRead,
    cap: usize,
) -> io::Result<()> {
    let mut cursor = JsonCursor::new(reader);
    let walked = json_file::walk(&mut cursor, cap, &mut Sink { c, id });
    match walked {
        Ok(()) => Ok(()),
        Err(ScanStop::Io(e)) => {
            c.abort_body(id, cursor.line());
            Err(e)
        }
        Err(ScanStop::Syntax(e)) => {
            c.abort_body(id, e.line);
            let finding = Finding::error(
                ProblemKind::InvalidJson,
                None,
                format!(
                    "broken JSON structure: {}; the rest of the file (from byte {}) is not read",
                    e.message, e.offset
                ),
            );
            c.file_problem(id, finding, e.offset, e.line);
            Ok(())
        }
    }
}
