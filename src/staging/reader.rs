//! Reading indexed messages back from their files by offset. The index keeps no lengths: a
//! `.jsonl` message ends at its newline, a `.json` one where its JSON value closes. A few files
//! stay open with a buffer each, and a read just after the previous one does not seek, so loading
//! a target in import order (usually file order) streams rather than jumps.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use super::StagedFile;
use super::entry::IndexEntry;
use super::index::FileKind;
use super::json_cursor::{Capture, JsonCursor, ScanStop};
use super::load::LoadError;

const MAX_OPEN: usize = 8;
const BUFFER_BYTES: usize = 64 * 1024;

struct OpenFile {
    id: u32,
    reader: BufReader<File>,
    pos: u64,
    used: u64,
}

/// Reads message spans; checks each file's size and time against its fingerprint when opening.
pub(super) struct SpanReader<'a> {
    files: &'a [StagedFile],
    cap: usize,
    open: Vec<OpenFile>,
    clock: u64,
}

impl<'a> SpanReader<'a> {
    /// Reads messages of at most `cap` bytes (the scan's read cap).
    pub fn new(files: &'a [StagedFile], cap: usize) -> Self {
        SpanReader {
            files,
            cap,
            open: Vec::new(),
            clock: 0,
        }
    }

    /// The bytes of `entry`'s message into `buf`.
    pub fn read(&mut self, entry: &IndexEntry, buf: &mut Vec<u8>) -> Result<(), LoadError> {
        let slot = self.slot(entry.file())?;
        let read = self.read_at(slot, entry.offset(), buf);
        if read.is_err() {
            // Its position is unknown now: open it afresh next time.
            self.open.swap_remove(slot);
        }
        read
    }

    fn read_at(&mut self, slot: usize, offset: u64, buf: &mut Vec<u8>) -> Result<(), LoadError> {
        let cap = self.cap;
        let file = &mut self.open[slot];
        let staged = &self.files[file.id as usize];
        let io = |source| LoadError::Io {
            file: staged.path.clone(),
            source,
        };
        let changed = || LoadError::Changed {
            file: staged.path.clone(),
            what: format!("the message at byte {offset} no longer reads as it did"),
        };
        if offset != file.pos {
            let delta = i64::try_from(offset).unwrap_or(i64::MAX)
                - i64::try_from(file.pos).unwrap_or(i64::MAX);
            file.reader.seek_relative(delta).map_err(io)?;
        }
        buf.clear();
        let consumed = match staged.kind {
            // Migration files hold no message entries; reading one as a line is harmless.
            FileKind::Jsonl | FileKind::Accounts | FileKind::Groups => {
                let n = (&mut file.reader)
                    .take(cap as u64 + 1)
                    .read_until(b'\n', buf)
                    .map_err(io)?;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                } else if n > cap {
                    return Err(changed());
                }
                n as u64
            }
            FileKind::Json => {
                let mut cursor = JsonCursor::new(&mut file.reader);
                let mut value = Capture::new(cap);
                match cursor.value(&mut value) {
                    Ok(()) => {}
                    Err(ScanStop::Io(e)) => return Err(io(e)),
                    Err(ScanStop::Syntax(_)) => return Err(changed()),
                }
                buf.extend_from_slice(value.bytes().ok_or_else(changed)?);
                cursor.offset()
            }
        };
        file.pos = offset + consumed;
        Ok(())
    }

    fn slot(&mut self, id: u32) -> Result<usize, LoadError> {
        self.clock += 1;
        if let Some(i) = self.open.iter().position(|f| f.id == id) {
            self.open[i].used = self.clock;
            return Ok(i);
        }
        let staged = &self.files[id as usize];
        let io = |source| LoadError::Io {
            file: staged.path.clone(),
            source,
        };
        // As the scan opened it: no link, no FIFO or device swapped in since.
        let file =
            crate::files::open_regular(&staged.full_path, false).map_err(|e| io(e.into()))?;
        let meta = file.metadata().map_err(io)?;
        if !staged
            .fingerprint
            .as_ref()
            .is_some_and(|fp| fp.same_metadata(&meta))
        {
            return Err(LoadError::Changed {
                file: staged.path.clone(),
                what: "its size or modification time differs".into(),
            });
        }
        let opened = OpenFile {
            id,
            reader: BufReader::with_capacity(BUFFER_BYTES, file),
            pos: 0,
            used: self.clock,
        };
        if self.open.len() < MAX_OPEN {
            self.open.push(opened);
            return Ok(self.open.len() - 1);
        }
        let lru = (0..self.open.len())
            .min_by_key(|&i| self.open[i].used)
            .unwrap_or(0);
        self.open[lru] = opened;
        Ok(lru)
    }
}
