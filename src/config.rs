//! Configuration: profiles in a TOML file in the platform config directory, overridden by
//! `TIMPORT_*` environment variables and by flags; the paths of the config, data, ledger and log.

use std::path::{Path, PathBuf};

use crate::api::SecretKey;

/// The environment variable that may hold the secret key.
pub const SECRET_KEY_ENV: &str = "TIMPORT_SECRET_KEY";

/// Why configuration could not be loaded. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No secret key anywhere.
    #[error("no secret key: set {SECRET_KEY_ENV} or pass --key-file PATH (a file holding the key)")]
    NoSecretKey,
    /// The key file could not be read.
    #[error("cannot read the key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file is empty.
    #[error("the key file {0} is empty")]
    EmptyKeyFile(PathBuf),
}

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
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::KeyFile {
            path: path.to_owned(),
            source,
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
}
