//! Where timport keeps its files: the config file in the platform config directory, the ledger
//! and the log in the platform data directory (`directories`), each directory overridable by an
//! environment variable (tests use these so they never write to the real home).

use std::path::PathBuf;

use super::error::ConfigError;

/// Overrides the config directory (holding `config.toml`).
pub const CONFIG_DIR_ENV: &str = "TIMPORT_CONFIG_DIR";
/// Overrides the data directory (holding the default ledger and the log file).
pub const DATA_DIR_ENV: &str = "TIMPORT_DATA_DIR";

/// The directories timport uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Holds `config.toml`.
    pub config_dir: PathBuf,
    /// Holds the default ledger and the log file.
    pub data_dir: PathBuf,
}

impl Paths {
    /// The platform directories (e.g. `~/.config/timport`, `~/.local/share/timport`), each
    /// replaced by `TIMPORT_CONFIG_DIR` / `TIMPORT_DATA_DIR` when set and not empty.
    pub fn from_env() -> Result<Paths, ConfigError> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Paths::with_overrides(
            var(CONFIG_DIR_ENV).map(PathBuf::from),
            var(DATA_DIR_ENV).map(PathBuf::from),
        )
    }

    /// The platform directories with optional overrides (the platform is asked only for a
    /// directory that is not overridden).
    pub fn with_overrides(
        config_dir: Option<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> Result<Paths, ConfigError> {
        let platform =
            || directories::ProjectDirs::from("", "", "timport").ok_or(ConfigError::NoHome);
        let config_dir = match config_dir {
            Some(dir) => dir,
            None => platform()?.config_dir().to_owned(),
        };
        let data_dir = match data_dir {
            Some(dir) => dir,
            None => platform()?.data_dir().to_owned(),
        };
        Ok(Paths {
            config_dir,
            data_dir,
        })
    }

    /// `<config_dir>/config.toml`
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// `<data_dir>/ledger.sqlite3`, used when neither `--ledger` nor the profile names one.
    pub fn default_ledger(&self) -> PathBuf {
        self.data_dir.join("ledger.sqlite3")
    }

    /// `<data_dir>/timport.log`
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("timport.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_give_every_path() {
        let paths = Paths::with_overrides(Some("/c".into()), Some("/d".into())).unwrap();
        assert_eq!(paths.config_file(), PathBuf::from("/c/config.toml"));
        assert_eq!(paths.default_ledger(), PathBuf::from("/d/ledger.sqlite3"));
        assert_eq!(paths.log_file(), PathBuf::from("/d/timport.log"));
    }

    #[test]
    fn platform_directories_are_named_after_timport() {
        // Only when the machine has a home directory; nothing is created.
        if let Ok(paths) = Paths::with_overrides(None, None) {
            assert!(paths.config_dir.ends_with("timport"), "{paths:?}");
            assert!(
                paths.data_dir.to_string_lossy().contains("timport"),
                "{paths:?}"
            );
        }
        let half = Paths::with_overrides(Some("/c".into()), None);
        if let Ok(paths) = half {
            assert_eq!(paths.config_dir, PathBuf::from("/c"));
        }
    }
}
