//! The secret key: from a key file or `TIMPORT_SECRET_KEY`, never from a flag value (argv shows
//! in `ps`) and never from the config file. Warns when the key file is readable by others.
//!
//! A key file holds the key alone, on one line: a UTF-8 byte order mark and the spaces and line
//! break around the key are dropped; a second non-empty line is an error (it would otherwise
//! become part of the key and every signature would be refused). Only a regular file of at most
//! [`MAX_KEY_FILE_BYTES`] is read: a FIFO or a device is refused without waiting on it, a large
//! file without reading it. No error ever quotes what the file holds.

use std::path::Path;

use super::error::ConfigError;
use crate::api::SecretKey;
use crate::files::{OpenError, read_capped};

/// The environment variable that may hold the secret key.
pub const SECRET_KEY_ENV: &str = "TIMPORT_SECRET_KEY";

/// Largest key file read. A secret key is 64 characters; a bigger file is the wrong file.
pub const MAX_KEY_FILE_BYTES: u64 = 4096;

/// A loaded secret key and any warnings about how it is stored.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key.
    pub key: SecretKey,
    /// Warnings for the operator (for example a key file readable by others).
    pub warnings: Vec<String>,
}

/// Loads the secret key: `--key-file` when given, else `TIMPORT_SECRET_KEY`.
/// Warns when the key file can be read by group or others.
pub fn load_secret_key(key_file: Option<&Path>) -> Result<LoadedKey, ConfigError> {
    load_secret_key_from(key_file, std::env::var(SECRET_KEY_ENV).ok())
}

/// [`load_secret_key`] with the environment value passed in (for tests).
pub fn load_secret_key_from(
    key_file: Option<&Path>,
    env_value: Option<String>,
) -> Result<LoadedKey, ConfigError> {
    let mut warnings = Vec::new();
    if let Some(path) = key_file {
        let bytes = read_capped(path, MAX_KEY_FILE_BYTES, true).map_err(|e| match e {
            OpenError::Io(_) if looks_like_a_key(path) => ConfigError::KeyInsteadOfPath {
                origin: "--key-file or TIMPORT_KEY_FILE".into(),
            },
            OpenError::Io(source) => ConfigError::KeyFile {
                path: path.to_owned(),
                source,
            },
            unusable => ConfigError::BadKeyFile {
                path: path.to_owned(),
                problem: unusable.to_string(),
            },
        })?;
        let key = key_of(&bytes).map_err(|problem| match problem {
            None => ConfigError::EmptyKeyFile(path.to_owned()),
            Some(problem) => ConfigError::BadKeyFile {
                path: path.to_owned(),
                problem,
            },
        })?;
        if let Some(w) = permission_warning(path) {
            warnings.push(w);
        }
        return Ok(LoadedKey { key, warnings });
    }
    match env_value.map(SecretKey::new) {
        Some(key) if !key.is_empty() => Ok(LoadedKey { key, warnings }),
        _ => Err(ConfigError::NoSecretKey),
    }
}

/// The key a key file holds: its one non-empty line, without a byte order mark or surrounding
/// spaces. `Err(None)` when there is none; `Err(Some(why))` when the file is not one key.
fn key_of(bytes: &[u8]) -> Result<SecretKey, Option<String>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Some(format!("is not UTF-8 text (byte {})", e.valid_up_to() + 1)))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let (_, key) = lines.next().ok_or(None)?;
    if let Some((n, _)) = lines.next() {
        return Err(Some(format!(
            "holds more than one line of text (line {} too); it must hold the secret key alone, on one line",
            n + 1
        )));
    }
    Ok(SecretKey::new(key))
}

/// True for a "path" that is really a key pasted in its place: one long run of letters and digits
/// with no directory part and no extension. Such a value is never echoed back in an error.
pub(super) fn looks_like_a_key(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.len() >= 24 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "the key file {} can be read by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_wins_and_open_permissions_warn() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "filekey\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let loaded = load_secret_key_from(Some(&path), Some("envkey".into())).unwrap();
        assert_eq!(loaded.key.expose(), "filekey");
        #[cfg(unix)]
        {
            assert!(
                loaded.warnings[0].contains("chmod 600"),
                "{:?}",
                loaded.warnings
            );
            assert!(!loaded.warnings[0].contains("filekey"));
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(
                load_secret_key_from(Some(&path), None)
                    .unwrap()
                    .warnings
                    .is_empty()
            );
        }
    }

    #[test]
    fn env_is_the_fallback_and_absence_is_explained() {
        assert_eq!(
            load_secret_key_from(None, Some("k".into()))
                .unwrap()
                .key
                .expose(),
            "k"
        );
        let err = load_secret_key_from(None, Some("  ".into())).unwrap_err();
        assert!(err.to_string().contains("TIMPORT_SECRET_KEY"));
        let missing = load_secret_key_from(Some(Path::new("/nonexistent/key")), None).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/key"));
    }

    #[test]
    fn a_bom_and_blank_lines_are_dropped_a_second_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        for ok in ["\u{feff}filekey\r\n", "\n  filekey  \n\n", "filekey"] {
            std::fs::write(&path, ok).unwrap();
            let loaded = load_secret_key_from(Some(&path), None).unwrap();
            assert_eq!(loaded.key.expose(), "filekey", "{ok:?}");
        }
        std::fs::write(&path, "filekey\nsecondline\n").unwrap();
        let err = load_secret_key_from(Some(&path), None).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("more than one line"), "{shown}");
        assert!(shown.contains("line 2"), "{shown}");
        assert!(
            !shown.contains("filekey") && !shown.contains("secondline"),
            "{shown}"
        );
        std::fs::write(&path, b"\xfffilekey").unwrap();
        let err = load_secret_key_from(Some(&path), None).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
        std::fs::write(&path, "\u{feff}\n").unwrap();
        let err = load_secret_key_from(Some(&path), None).unwrap_err();
        assert!(matches!(err, ConfigError::EmptyKeyFile(_)), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn only_a_small_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        // 100 MB, sparse: refused by its size, never read.
        let big = dir.path().join("big.key");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(100 << 20)
            .unwrap();
        let err = load_secret_key_from(Some(&big), None).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ConfigError::BadKeyFile { .. }), "{err:?}");
        assert!(shown.contains("104857600 bytes"), "{shown}");
        for device in ["/dev/zero", "/dev/urandom"] {
            let err = load_secret_key_from(Some(Path::new(device)), None).unwrap_err();
            assert!(err.to_string().contains("a character device"), "{err}");
        }
        let err = load_secret_key_from(Some(dir.path()), None).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn a_key_pasted_as_the_key_file_is_not_echoed() {
        let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
        let err = load_secret_key_from(Some(Path::new(key)), None).unwrap_err();
        assert!(
            matches!(err, ConfigError::KeyInsteadOfPath { .. }),
            "{err:?}"
        );
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&key[..16]), "{shown}");
        assert!(!looks_like_a_key(Path::new("prod.key")));
        assert!(!looks_like_a_key(Path::new(
            "/home/me/timport/secretkeyfile12345678"
        )));
    }
}
