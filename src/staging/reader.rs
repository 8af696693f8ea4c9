//! Reading indexed messages back from their files by offset. A few files stay open with a
//! buffer each, and a read just after the previous one does not seek, so loading a target in
//! import order (usually file order) streams rather than jumps.

use std::fs::File;
use std::io::{BufReader, Read};

use super::StagedFile;
use super::entry::IndexEntry;
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
    open: Vec<OpenFile>,
    clock: u64,
}

impl<'a> SpanReader<'a> {
    pub fn new(files: &'a [StagedFile]) -> Self {
        SpanReader {
            files,
            open: Vec::new(),
            clock: 0,
        }
    }

    /// The bytes of `entry` into `buf`.
    pub fn read(&mut self, entry: &IndexEntry, buf: &mut Vec<u8>) -> Result<(), LoadError> {
        let slot = self.slot(entry.file())?;
        let file = &mut self.open[slot];
        let path = &self.files[file.id as usize].path;
        let io = |source| LoadError::Io {
            file: path.clone(),
            source,
        };
        let offset = entry.offset();
        if offset != file.pos {
            let delta = i64::try_from(offset).unwrap_or(i64::MAX)
                - i64::try_from(file.pos).unwrap_or(i64::MAX);
            file.reader.seek_relative(delta).map_err(io)?;
        }
        buf.clear();
        buf.resize(entry.len() as usize, 0);
        let read = file.reader.read_exact(buf);
        file.pos = offset + u64::from(entry.len());
        read.map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                LoadError::Changed {
                    file: path.clone(),
                    what: "it is shorter than when it was scanned".into(),
                }
            } else {
                io(e)
            }
        })
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
        let file = File::open(&staged.full_path).map_err(io)?;
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
