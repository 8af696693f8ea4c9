//! The secret key: from a key file or `TIMPORT_SECRET_KEY`, never from a flag value (argv shows
//! in `ps`) and never from the config file. Warns when the key file is readable by others.

use std::path::Path;

use super::error::ConfigError;
use crate::api::SecretKey;

/// The environment variable that may hold the secret key.
pub const SECRET_KEY_ENV: &str = "TIMPORT_SECRET_KEY";

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
        let text = std::fs::read_to_string(path).map_err(|source| {
            if looks_like_a_key(path) {
                ConfigError::KeyInsteadOfPath {
                    origin: "--key-file or TIMPORT_KEY_FILE".into(),
                }
            } else {
                ConfigError::KeyFile {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let key = SecretKey::new(text);
        if key.is_empty() {
            return Err(ConfigError::EmptyKeyFile(path.to_owned()));
        }
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
