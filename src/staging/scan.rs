//! The scan: every staged file read once, as a stream, into a [`Staging`] index. Each file is
//! hashed while it is read, and its size and time are compared before and after, so a file that
//! changes under the scan is reported.

use std::fs;
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
use super::migration::account_line::check_account_line;
use super::migration::group_line::check_group_line;
use super::migration::{MigrationFile, StagedAccount, StagedGroup};
use super::options::ScanOptions;
use super::problem::{Finding, Place, ProblemKind};
use super::target::Target;
use super::walk::{self, Listed};
use crate::files::OpenError;

const READ_BUFFER_BYTES: usize = 256 * 1024;

/// How often a long file reports progress while it is read.
const PROGRESS_EVERY_BYTES: u64 = 16 << 20;

/// How far a scan is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanProgress {
    /// Bytes read so far.
    pub bytes_read: u64,
    /// Bytes of all staged files (as listed when the scan began).
    pub bytes_total: u64,
    /// Files finished.
    pub files_done: usize,
    /// Files to read.
    pub files_total: usize,
}

/// Why a scan could not start. Everything found inside the files is a
/// [`Problem`](super::Problem) instead.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The path does not exist or cannot be read.
    #[error("cannot read {}: {source}", crate::escape::path(.path))]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// More files than the index can number.
    #[error(
        "{} holds {count} staged files; at most {MAX_FILES} can be scanned at once: split it",
        crate::escape::path(.path)
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
    scan_with_progress(path, opts, &mut |_| {})
}

/// [`scan`], telling `progress` how far it is: once before reading, after each file, and every
/// 16 MiB within a long `.jsonl` file.
pub fn scan_with_progress(
    path: &Path,
    opts: &ScanOptions,
    progress: &mut dyn FnMut(ScanProgress),
) -> Result<Staging, ScanError> {
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
    let refused = listing.skipped.iter().any(|(_, f)| f.is_error());
    for (rel, finding) in listing.skipped {
        let place = Place {
            file: rel.into(),
            line: 0,
            offset: 0,
        };
        collector.problem(place, finding, None);
    }
    let root_place = Place {
        file: crate::escape::path(path).into(),
        line: 0,
        offset: 0,
    };
    let file_count = listing.files.len();
    if file_count == 0 {
        let finding = Finding::error(
            ProblemKind::NoFiles,
            None,
            if refused {
                "no staged file here can be read (see the other problems)"
            } else {
                "no staged files here: name them *.jsonl (one message per line) or *.json (request bodies)"
            },
        );
        collector.problem(root_place.clone(), finding, None);
    }
    let cap = opts.read_cap();
    let mut at = ScanProgress {
        bytes_read: 0,
        bytes_total: listing
            .files
            .iter()
            .filter_map(|f| fs::metadata(&f.full).ok())
            .map(|m| m.len())
            .sum(),
        files_done: 0,
        files_total: listing.files.len(),
    };
    progress(at);
    for listed in listing.files {
        let start = at.bytes_read;
        let read = scan_file(&mut collector, listed, cap, &mut |bytes| {
            at.bytes_read = start + bytes;
            progress(at);
        });
        at.bytes_read = start + read;
        at.files_done += 1;
        progress(at);
    }
    // Staged files without one message between them (and no accounts or groups): as much
    // "nothing to import" as no files (and what `run` refuses), so validate says so too.
    if file_count > 0 && collector.messages() == 0 && !collector.migration.is_migration() {
        let finding = Finding::error(
            ProblemKind::NoMessages,
            None,
            "no staged messages: the staged files hold none; nothing can be imported",
        );
        collector.problem(root_place, finding, None);
    }
    Ok(Staging::build(
        path.to_owned(),
        collector.finish(),
        opts.clone(),
    ))
}

/// Reads one file; returns how many bytes it read.
fn scan_file(
    c: &mut Collector<'_>,
    listed: Listed,
    cap: usize,
    progress: &mut dyn FnMut(u64),
) -> u64 {
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
        0
    };
    // Never through a link (the listing resolved those), never blocking, a regular file only.
    let file = match crate::files::open_regular(&full, false) {
        Ok(f) => f,
        Err(OpenError::NotRegular { kind }) => {
            c.file_problem(id, walk::not_regular(kind), 0, 0);
            return 0;
        }
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
        FileKind::Jsonl => scan_jsonl(c, id, &mut reader, cap, progress),
        FileKind::Json => scan_json(c, id, &mut reader, cap),
        FileKind::Accounts | FileKind::Groups => scan_migration(c, id, kind, &mut reader, cap),
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
    let file = c.file_mut(id);
    file.fingerprint = Some(fingerprint);
    // Every line of a `.jsonl` file is indexed unless blank; `.json` says so itself.
    if kind == FileKind::Jsonl && file.messages == 0 {
        c.file_problem(id, Finding::empty_file(), 0, 0);
    }
    bytes
}

fn scan_jsonl(
    c: &mut Collector<'_>,
    id: u32,
    reader: &mut impl BufRead,
    cap: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let mut lines = LineReader::new(reader, cap);
    let mut buf = Vec::new();
    let mut next_report = PROGRESS_EVERY_BYTES;
    while let Some(line) = lines.next_line(&mut buf)? {
        if lines.position() >= next_report {
            progress(lines.position());
            next_report = lines.position() + PROGRESS_EVERY_BYTES;
        }
        if line.too_long {
            c.line(id, &line, None);
        } else if !is_blank(&buf) {
            c.line(id, &line, Some(&buf));
        }
    }
    Ok(())
}

/// An `accounts.jsonl` or `groups.jsonl`: every line checked and kept when usable; never
/// messages.
fn scan_migration(
    c: &mut Collector<'_>,
    id: u32,
    kind: FileKind,
    reader: &mut impl BufRead,
    cap: usize,
) -> io::Result<()> {
    let (file, what) = match kind {
        FileKind::Accounts => (MigrationFile::Accounts, "accounts"),
        _ => (MigrationFile::Groups, "groups"),
    };
    c.migration.saw(file);
    let now = c.options().now;
    let mut lines = LineReader::new(reader, cap);
    let mut buf = Vec::new();
    let mut any = false;
    while let Some(line) = lines.next_line(&mut buf)? {
        let place = c.place_in(id, line.offset, line.number);
        if line.too_long {
            let finding = Finding::error(
                ProblemKind::TooLong,
                None,
                format!(
                    "this line is {} bytes; timport reads at most {cap} bytes of one line: it is not read",
                    line.len
                ),
            );
            c.problem(place, finding, None);
            continue;
        }
        if is_blank(&buf) {
            continue;
        }
        any = true;
        let findings = match file {
            MigrationFile::Accounts => {
                let (account, findings) = check_account_line(&buf);
                if let Some(account) = account {
                    c.migration.add_account(StagedAccount {
                        account,
                        place: place.clone(),
                    });
                }
                findings
            }
            MigrationFile::Groups => {
                let (group, findings) = check_group_line(&buf, now);
                if let Some(g) = group {
                    c.migration.add_group(StagedGroup {
                        group_id: g.group_id,
                        group_type: g.group_type,
                        name: g.name,
                        owner: g.owner,
                        create_time: g.create_time,
                        body: Arc::from(g.body),
                        members: g.members,
                        place: place.clone(),
                    });
                }
                findings
            }
        };
        for f in findings {
            c.problem(place.clone(), f, None);
        }
    }
    if !any {
        let finding = Finding::warning(
            ProblemKind::EmptyFile,
            None,
            format!("the file is empty: it stages no {what}"),
        );
        c.file_problem(id, finding, 0, 0);
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
