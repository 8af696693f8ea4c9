//! Finding the staged files: a single file, or every `*.jsonl` and `*.json` below a directory,
//! recursively, in path order. Hidden entries (names starting with `.`) are skipped; other files
//! are reported as ignored.
//!
//! Only regular files inside the staging directory are listed. A symbolic link is resolved and
//! listed by its target when that target is a regular file inside the staging directory (for a
//! single staged file: inside its directory); a link that leads out of it, a FIFO, a device or a
//! socket is an error reported by path and never opened. Links to directories are not followed.
//! A name that is not UTF-8 is an error naming its bytes (`g\xff.jsonl`): changing it to U+FFFD
//! would make two files one group. The scan opens each listed file without following links
//! and checks what it opened (`files::open_regular`), so a file swapped after listing is caught.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use super::index::FileKind;
use super::problem::{Finding, ProblemKind};
use crate::escape;
use crate::files::OpenError;

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    /// Relative path, `/`-separated.
    pub rel: String,
    /// Path to open: a regular file (a link's target, resolved).
    pub full: PathBuf,
    /// Its format.
    pub kind: FileKind,
    /// Its name without the extension.
    pub stem: String,
}

/// The files of a staging directory, and what was passed over.
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub files: Vec<Listed>,
    /// `(relative path, finding)` for entries not read.
    pub skipped: Vec<(String, Finding)>,
}

/// The kind a file name has, if it is a staged file.
pub(super) fn kind_of(name: &str) -> Option<(FileKind, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    match super::migration::file_of(name) {
        Some(super::migration::MigrationFile::Accounts) => return Some((FileKind::Accounts, stem)),
        Some(super::migration::MigrationFile::Groups) => return Some((FileKind::Groups, stem)),
        None => {}
    }
    if stem.is_empty() {
        return None;
    }
    if ext.eq_ignore_ascii_case("jsonl") {
        Some((FileKind::Jsonl, stem))
    } else if ext.eq_ignore_ascii_case("json") {
        Some((FileKind::Json, stem))
    } else {
        None
    }
}

/// Lists a directory (recursively) or a single file.
pub(super) fn list(root: &Path, root_is_dir: bool) -> Listing {
    let mut listing = Listing::default();
    let mut dirs = Vec::new();
    if !root_is_dir {
        // A single file must stay inside its own directory.
        let parent = match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = root.file_name().unwrap_or_default();
        let rel = rel_name(name);
        match fs::canonicalize(parent) {
            Ok(boundary) => {
                let mut walk = Walk {
                    boundary: &boundary,
                    listing: &mut listing,
                    dirs: &mut dirs,
                };
                walk.entry(root.to_owned(), name, rel);
            }
            Err(e) => listing.skipped.push((rel, unreadable(&e))),
        }
        return listing;
    }
    let boundary = match fs::canonicalize(root) {
        Ok(b) => b,
        Err(e) => {
            listing.skipped.push((String::new(), unreadable(&e)));
            return listing;
        }
    };
    dirs.push((root.to_owned(), String::new()));
    while let Some((dir, prefix)) = dirs.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                listing.skipped.push((prefix, unreadable(&e)));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    listing.skipped.push((prefix.clone(), unreadable(&e)));
                    continue;
                }
            };
            let name = entry.file_name();
            if hidden(&name) {
                continue;
            }
            let rel = format!("{prefix}{}", rel_name(&name));
            let mut walk = Walk {
                boundary: &boundary,
                listing: &mut listing,
                dirs: &mut dirs,
            };
            walk.entry(entry.path(), &name, rel);
        }
    }
    listing.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    listing.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    listing
}

/// One directory walk: where it may go, and what it found so far.
struct Walk<'a> {
    /// The canonical staging directory: nothing outside it is read.
    boundary: &'a Path,
    listing: &'a mut Listing,
    /// Directories still to list, with their relative prefix.
    dirs: &'a mut Vec<(PathBuf, String)>,
}

impl Walk<'_> {
    /// Sorts one entry into a file to read, a directory to list, or something reported.
    fn entry(&mut self, path: PathBuf, name: &OsStr, rel: String) {
        let skip = |walk: &mut Self, finding| walk.listing.skipped.push((rel.clone(), finding));
        let Some(name) = name.to_str() else {
            return skip(self, not_utf8());
        };
        // lstat: a link is looked at, not through.
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) => return skip(self, unreadable(&e)),
        };
        let link = meta.file_type().is_symlink();
        let (full, meta) = if link {
            let target = match fs::canonicalize(&path) {
                Ok(target) => target,
                Err(e) => return skip(self, unreadable(&e)),
            };
            match fs::metadata(&target) {
                Ok(meta) => (Some(target), meta),
                Err(e) => return skip(self, unreadable(&e)),
            }
        } else {
            (None, meta)
        };
        if meta.is_dir() {
            if link {
                return skip(
                    self,
                    Finding::warning(
                        ProblemKind::IgnoredFile,
                        None,
                        "a symbolic link to a directory is not followed; stage its files directly",
                    ),
                );
            }
            self.dirs.push((path, format!("{rel}/")));
            return;
        }
        let Some((kind, stem)) = kind_of(name) else {
            return skip(self, ignored());
        };
        if let Some(target) = &full
            && !target.starts_with(self.boundary)
        {
            return skip(self, outside(target));
        }
        if !meta.is_file() {
            let kind = crate::files::kind_word(meta.file_type());
            return skip(self, not_regular(kind));
        }
        self.listing.files.push(Listed {
            stem: stem.to_owned(),
            rel,
            full: full.unwrap_or(path),
            kind,
        });
    }
}

/// The name as it is when it is UTF-8 (printers escape what they show); its bytes spelled out
/// (`g\\xff.jsonl`) when it is not, so that two such names stay apart.
fn rel_name(name: &OsStr) -> String {
    name.to_str()
        .map_or_else(|| escape::os_str(name), str::to_owned)
}

fn hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn ignored() -> Finding {
    Finding::warning(
        ProblemKind::IgnoredFile,
        None,
        "not a staged file (only *.jsonl and *.json are read); it is ignored",
    )
}

fn unreadable(e: &std::io::Error) -> Finding {
    Finding::error(ProblemKind::Io, None, format!("cannot be read: {e}"))
}

/// A FIFO, device or socket where a staged file should be.
pub(super) fn not_regular(kind: &'static str) -> Finding {
    Finding::error(
        ProblemKind::NotRegularFile,
        None,
        OpenError::NotRegular { kind }.to_string(),
    )
}

fn outside(target: &Path) -> Finding {
    Finding::error(
        ProblemKind::NotRegularFile,
        None,
        format!(
            "is a symbolic link to {}, outside the staging directory; it is not read (copy the file into the staging directory, or link to a file inside it)",
            escape::path(target)
        ),
    )
}

fn not_utf8() -> Finding {
    Finding::error(
        ProblemKind::NotUtf8,
        None,
        "the name is not UTF-8 (the bytes that are not are shown as \\xNN); it is not read: rename it in UTF-8 (file names name groups)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension() {
        assert_eq!(
            kind_of("@TGS#abc.jsonl"),
            Some((FileKind::Jsonl, "@TGS#abc"))
        );
        assert_eq!(kind_of("g.v2.JSON"), Some((FileKind::Json, "g.v2")));
        assert_eq!(kind_of("notes.txt"), None);
        assert_eq!(kind_of(".jsonl"), None);
        assert_eq!(kind_of("jsonl"), None);
        assert_eq!(
            kind_of("accounts.jsonl"),
            Some((FileKind::Accounts, "accounts"))
        );
        assert_eq!(kind_of("groups.jsonl"), Some((FileKind::Groups, "groups")));
        assert_eq!(kind_of("Groups.jsonl"), Some((FileKind::Jsonl, "Groups")));
    }

    #[test]
    fn walks_recursively_in_path_order_and_reports_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("2021")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        for f in [
            "b.jsonl",
            "a.json",
            "2021/b.jsonl",
            "README.md",
            ".hidden.jsonl",
            ".git/x.json",
        ] {
            fs::write(root.join(f), "").unwrap();
        }
        let listing = list(root, true);
        let rels: Vec<_> = listing.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["2021/b.jsonl", "a.json", "b.jsonl"]);
        assert_eq!(listing.files[0].stem, "b");
        assert_eq!(listing.skipped.len(), 1);
        assert_eq!(listing.skipped[0].0, "README.md");
        assert_eq!(listing.skipped[0].1.kind, ProblemKind::IgnoredFile);
    }

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo reads a valid NUL-terminated path and creates a FIFO; nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_inside_the_staging_directory_are_listed() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("prod.key");
        fs::write(&outside, "secret").unwrap();
        let root = dir.path().join("staging");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/real.jsonl"), "").unwrap();
        symlink(&outside, root.join("key.jsonl")).unwrap();
        symlink("sub/real.jsonl", root.join("inside.jsonl")).unwrap();
        symlink("/dev/zero", root.join("zero.jsonl")).unwrap();
        symlink("/proc/self/environ", root.join("environ.jsonl")).unwrap();
        symlink("missing.jsonl", root.join("dangling.jsonl")).unwrap();
        symlink(&outside, root.join("notes.txt")).unwrap();
        mkfifo(&root.join("pipe.jsonl"));

        let listing = list(&root, true);
        let files: Vec<_> = listing
            .files
            .iter()
            .map(|f| (f.rel.as_str(), f.full.clone()))
            .collect();
        let real = fs::canonicalize(root.join("sub/real.jsonl")).unwrap();
        assert_eq!(
            files,
            [
                ("inside.jsonl", real.clone()),
                ("sub/real.jsonl", root.join("sub/real.jsonl"))
            ]
        );
        let skipped: Vec<_> = listing
            .skipped
            .iter()
            .map(|(rel, f)| (rel.as_str(), f.kind, f.severity))
            .collect();
        use super::super::problem::Severity::{Error, Warning};
        assert_eq!(
            skipped,
            [
                ("dangling.jsonl", ProblemKind::Io, Error),
                ("environ.jsonl", ProblemKind::NotRegularFile, Error),
                ("key.jsonl", ProblemKind::NotRegularFile, Error),
                ("notes.txt", ProblemKind::IgnoredFile, Warning),
                ("pipe.jsonl", ProblemKind::NotRegularFile, Error),
                ("zero.jsonl", ProblemKind::NotRegularFile, Error),
            ]
        );
        let message = |rel: &str| {
            let found = listing.skipped.iter().find(|(r, _)| r == rel).unwrap();
            found.1.message.clone()
        };
        assert!(message("key.jsonl").contains("outside the staging directory"));
        assert!(
            message("pipe.jsonl").contains("FIFO"),
            "{}",
            message("pipe.jsonl")
        );

        // A single file given by a link out of its directory is refused the same way.
        let single = list(&root.join("key.jsonl"), false);
        assert!(single.files.is_empty());
        assert_eq!(single.skipped[0].1.kind, ProblemKind::NotRegularFile);
        let single = list(&root.join("inside.jsonl"), false);
        assert_eq!(single.files[0].full, real);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_are_errors_naming_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        for name in [&b"g\xff.jsonl"[..], b"g\xfe.jsonl", b"d\xff"] {
            let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
            if name.ends_with(b".jsonl") {
                fs::write(path, "").unwrap();
            } else {
                fs::create_dir(path).unwrap();
            }
        }
        let listing = list(dir.path(), true);
        assert!(listing.files.is_empty(), "{:?}", listing.files);
        let skipped: Vec<_> = listing
            .skipped
            .iter()
            .map(|(rel, f)| (rel.as_str(), f.kind, f.is_error()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("d\\xff", ProblemKind::NotUtf8, true),
                ("g\\xfe.jsonl", ProblemKind::NotUtf8, true),
                ("g\\xff.jsonl", ProblemKind::NotUtf8, true),
            ]
        );
    }

    #[test]
    fn a_single_file_is_its_own_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("@TGS#_g@TOPIC#_t.jsonl");
        fs::write(&path, "").unwrap();
        let listing = list(&path, false);
        assert_eq!(listing.files[0].rel, "@TGS#_g@TOPIC#_t.jsonl");
        assert_eq!(listing.files[0].stem, "@TGS#_g@TOPIC#_t");
        let other = list(&dir.path().join("x.csv"), false);
        assert!(other.files.is_empty());
        assert_eq!(other.skipped.len(), 1);
    }
}
