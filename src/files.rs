//! Files that may be hostile, and files that must stay private.
//!
//! Reading ([`open_regular`], [`read_capped`]): only regular files are read. The open never
//! blocks (`O_NONBLOCK`: a FIFO would otherwise wait for a writer forever), and the opened
//! descriptor itself is checked to be a regular file, so a path swapped for a FIFO or a device
//! between a check and the open is caught too. Symbolic links are followed only when the caller
//! says so (`O_NOFOLLOW` otherwise). Nothing here echoes what a file holds.
//!
//! Writing ([`create_private`], [`ensure_private`], [`create_dir_all_private`]): files that hold
//! history or settings are created with mode 0600, the directories timport creates for them
//! with 0700 (the umask can only take bits away). Existing files and directories keep their
//! modes: they are the operator's.
//!
//! Owns no policy of its own: callers say which files, and what the limits are.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A FIFO, device, socket, directory or (when links are not followed) a symbolic link.
    #[error("is {kind}, not a regular file; only regular files are read")]
    NotRegular {
        /// What it is, in words (`a FIFO (named pipe)`).
        kind: &'static str,
    },
    /// Larger than the caller reads.
    #[error("is {size} bytes; at most {cap} are read from it")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The most the caller reads.
        cap: u64,
    },
    /// The system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl From<OpenError> for io::Error {
    fn from(e: OpenError) -> io::Error {
        match e {
            OpenError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// What a file type is, in words, for messages.
pub fn kind_word(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file, without ever blocking on the open.
/// With `follow_links` false a symbolic link (as the last component) is refused.
pub fn open_regular(path: &Path, follow_links: bool) -> Result<File, OpenError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow_links { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => {
            // A link refused by O_NOFOLLOW (ELOOP), a socket (ENXIO)...: say what it is.
            let meta = if follow_links {
                std::fs::metadata(path)
            } else {
                std::fs::symlink_metadata(path)
            };
            return Err(match meta {
                Ok(m) if !m.is_file() => OpenError::NotRegular {
                    kind: kind_word(m.file_type()),
                },
                _ => OpenError::Io(e),
            });
        }
    };
    // The descriptor, not the path: whatever was opened is what is checked.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular {
            kind: kind_word(meta.file_type()),
        });
    }
    Ok(file)
}

/// The whole of a small regular file: refused without reading when it is larger than `cap`
/// bytes, and never more than `cap` bytes read (a file that grows while read is refused too).
pub fn read_capped(path: &Path, cap: u64, follow_links: bool) -> Result<Vec<u8>, OpenError> {
    let file = open_regular(path, follow_links)?;
    let size = file.metadata()?.len();
    if size > cap {
        return Err(OpenError::TooLarge { size, cap });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(OpenError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// Creates `dir` and its missing parents with mode 0700; existing ones are left as they are.
pub fn create_dir_all_private(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates (or truncates) `path` for writing; a new file gets mode 0600.
pub fn create_private(path: &Path) -> io::Result<File> {
    private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Makes sure `path` exists, creating it empty with mode 0600 when it does not (for files another
/// library opens by name afterwards: the ledger, the log). An existing file is not touched.
pub fn ensure_private(path: &Path) -> io::Result<()> {
    private_options()
        .append(true)
        .create(true)
        .open(path)
        .map(drop)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn regular_files_open_and_small_ones_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "abc").unwrap();
        assert!(open_regular(&path, false).is_ok());
        assert_eq!(read_capped(&path, 3, false).unwrap(), b"abc");
        let err = read_capped(&path, 2, false).unwrap_err();
        assert!(
            matches!(err, OpenError::TooLarge { size: 3, cap: 2 }),
            "{err:?}"
        );
        let dir_err = open_regular(dir.path(), true).unwrap_err();
        assert!(
            matches!(
                dir_err,
                OpenError::NotRegular {
                    kind: "a directory"
                }
            ),
            "{dir_err:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "abc").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular(&link, true).is_ok());
        let err = open_regular(&link, false).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::NotRegular {
                    kind: "a symbolic link"
                }
            ),
            "{err:?}"
        );

        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a valid NUL-terminated path and creates a FIFO; nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Without O_NONBLOCK this open would wait for a writer forever.
        let err = open_regular(&fifo, true).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::NotRegular {
                    kind: "a FIFO (named pipe)"
                }
            ),
            "{err:?}"
        );
        for device in ["/dev/zero", "/dev/urandom"] {
            let err = read_capped(Path::new(device), 4096, true).unwrap_err();
            assert!(
                matches!(
                    err,
                    OpenError::NotRegular {
                        kind: "a character device"
                    }
                ),
                "{device}: {err:?}"
            );
        }
        let as_io: io::Error = OpenError::NotRegular { kind: "a socket" }.into();
        assert!(as_io.to_string().contains("a socket"), "{as_io}");
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_directories_are_created_0600_and_0700() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir_all_private(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f");
        drop(create_private(&file).unwrap());
        assert_eq!(mode(&file), 0o600);
        let other = nested.join("g");
        ensure_private(&other).unwrap();
        assert_eq!(mode(&other), 0o600);
        // An existing file keeps its mode and content.
        std::fs::write(&other, "kept").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o640)).unwrap();
        ensure_private(&other).unwrap();
        assert_eq!(mode(&other), 0o640);
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "kept");
    }
}
