//! File fingerprints: size, modification time and a SHA-256 of the content computed while the
//! file is streamed, so the engine can tell that a staged file changed since a run began.

use std::fmt;
use std::fs::Metadata;
use std::io::{self, Read};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// What a staged file looked like when it was scanned.
#[derive(Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, where the platform has one.
    pub modified: Option<SystemTime>,
    /// SHA-256 of the whole content.
    pub sha256: [u8; 32],
}

impl Fingerprint {
    /// The content hash in lowercase hex.
    pub fn hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The fingerprint of a file as it is now (reads it whole, in blocks): compare it with the
    /// one recorded by the scan to tell whether the file changed since. Only a regular file is
    /// read (not through a link), as the scan reads it.
    pub fn of_file(path: &std::path::Path) -> io::Result<Fingerprint> {
        let file = crate::files::open_regular(path, false)?;
        let meta = file.metadata()?;
        let (sha256, size) = HashingReader::new(file).finish()?;
        Ok(Fingerprint {
            size,
            modified: meta.modified().ok(),
            sha256,
        })
    }

    /// True when `meta` still shows the same size and modification time (the cheap check; the
    /// content hash needs [`Fingerprint::of_file`]).
    pub fn same_metadata(&self, meta: &Metadata) -> bool {
        meta.len() == self.size && meta.modified().ok() == self.modified
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({} bytes, sha256 {})", self.size, self.hex())
    }
}

/// A reader that hashes everything read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Reads the rest of the input (so the hash covers it all) and returns `(sha256, bytes)`.
    pub fn finish(mut self) -> io::Result<([u8; 32], u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.finalize().into(), self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    #[test]
    fn hashes_what_was_read_and_the_rest() {
        let data = b"hello\nworld\n";
        let mut reader = io::BufReader::with_capacity(4, HashingReader::new(&data[..]));
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let (hash, bytes) = reader.into_inner().finish().unwrap();
        assert_eq!(bytes, 12);
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(data)));
        let fp = Fingerprint {
            size: 12,
            modified: None,
            sha256: hash,
        };
        assert_eq!(fp.hex().len(), 64);
        assert!(format!("{fp:?}").contains("12 bytes"));
    }

    #[test]
    fn metadata_comparison_sees_size_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.jsonl");
        std::fs::write(&path, "abc").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let fp = Fingerprint::of_file(&path).unwrap();
        assert_eq!(fp.size, 3);
        assert_eq!(fp.sha256, <[u8; 32]>::from(Sha256::digest(b"abc")));
        assert!(fp.same_metadata(&meta));
        assert_eq!(Fingerprint::of_file(&path).unwrap(), fp);
        std::fs::write(&path, "abcd").unwrap();
        assert!(!fp.same_metadata(&std::fs::metadata(&path).unwrap()));
        assert_ne!(Fingerprint::of_file(&path).unwrap(), fp);
    }
}
