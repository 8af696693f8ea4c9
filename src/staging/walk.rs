//! Finding the staged files: a single file, or every `*.jsonl` and `*.json` below a directory,
//! recursively, in path order. Hidden entries (names starting with `.`) are skipped; other files
//! are reported as ignored; symbolic links to files are followed, to directories not.

use std::fs;
use std::path::{Path, PathBuf};

use super::index::FileKind;
use super::problem::{Finding, ProblemKind};

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    /// Relative path, `/`-separated.
    pub rel: String,
    /// Path to open.
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
    if !root_is_dir {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match kind_of(&name) {
            Some((kind, stem)) => listing.files.push(Listed {
                stem: stem.to_owned(),
                rel: name.clone(),
                full: root.to_owned(),
                kind,
            }),
            None => listing.skipped.push((name, ignored())),
        }
        return listing;
    }
    let mut dirs = vec![(root.to_owned(), String::new())];
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
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let path = entry.path();
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() && link => listing.skipped.push((
                    rel,
                    Finding::warning(
                        ProblemKind::IgnoredFile,
                        None,
                        "a symbolic link to a directory is not followed; stage its files directly",
                    ),
                )),
                Ok(meta) if meta.is_dir() => dirs.push((path, format!("{rel}/"))),
                Ok(_) => match kind_of(&name) {
                    Some((kind, stem)) => listing.files.push(Listed {
                        stem: stem.to_owned(),
                        rel,
                        full: path,
                        kind,
                    }),
                    None => listing.skipped.push((rel, ignored())),
                },
                Err(e) => listing.skipped.push((rel, unreadable(&e))),
            }
        }
    }
    listing.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    listing.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    listing
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
