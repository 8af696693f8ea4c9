//! Reading staged messages back by where they are staged (file and byte offset), as the ledger
//! names them: for checking what a run imported against what was staged (`timport verify`),
//! where the messages come in the group's order rather than the index's.

use std::io;

use super::Staging;
use super::entry::{Flags, IndexEntry};
use super::load::{LoadError, SourceRef};
use super::reader::SpanReader;

impl Staging {
    /// The bytes of the messages staged at `sources`, in the order given. Each file is checked
    /// against its scan (size and time) when it is opened, as loading does; a file that is not
    /// part of the scan is an error naming it.
    pub fn read_messages(&self, sources: &[SourceRef]) -> Result<Vec<Vec<u8>>, LoadError> {
        let mut reader = SpanReader::new(&self.files, self.options.read_cap());
        let mut out = Vec::with_capacity(sources.len());
        for source in sources {
            let file = self
                .files
                .binary_search_by(|f| f.path.as_ref().cmp(source.file.as_ref()))
                .map_err(|_| LoadError::Io {
                    file: source.file.clone(),
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "not among the staged files scanned",
                    ),
                })?;
            let entry = u32::try_from(file)
                .ok()
                .and_then(|id| {
                    IndexEntry::new(id, source.offset, source.line, None, Flags::default())
                })
                .ok_or_else(|| LoadError::Changed {
                    file: source.file.clone(),
                    what: format!("byte {} is beyond what the index can hold", source.offset),
                })?;
            let mut buf = Vec::new();
            reader.read(&entry, &mut buf)?;
            out.push(buf);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::staging::{ScanOptions, scan};

    #[test]
    fn messages_are_read_back_by_file_and_offset_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = r#"{"From_Account":"a","SendTime":10,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"one"}}]}"#;
        let b = r#"{"From_Account":"b","SendTime":11,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"two"}}]}"#;
        std::fs::write(dir.path().join("g.jsonl"), format!("{a}\n{b}\n")).unwrap();
        let body = format!(r#"{{"GroupId":"h","MsgList":[{a},{b}]}}"#);
        std::fs::write(dir.path().join("h.json"), &body).unwrap();
        let staging = scan(dir.path(), &ScanOptions::new(1_000)).unwrap();
        let at = |file: &str, line: u32, offset: u64, item: u32| SourceRef {
            file: Arc::from(file),
            line,
            offset,
            item,
        };
        let second_item = body.find(r#"{"From_Account":"b""#).unwrap() as u64;
        let got = staging
            .read_messages(&[
                at("g.jsonl", 2, a.len() as u64 + 1, 0),
                at("h.json", 1, second_item, 1),
                at("g.jsonl", 1, 0, 0),
            ])
            .unwrap();
        assert_eq!(got, [b.as_bytes(), b.as_bytes(), a.as_bytes()]);
        let err = staging
            .read_messages(&[at("gone.jsonl", 1, 0, 0)])
            .unwrap_err();
        assert!(err.to_string().contains("gone.jsonl"), "{err}");
    }
}
