//! Where timport keeps its files: the config file in the platform config directory, the ledger
//! and the log in the platform data directory (`directories`), each directory overridable by an
//! environment variable (tests use these so they never write to the real home).

use std::ffi::OsString;
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
        Paths::from_lookup(|name| std::env::var_os(name), platform_dirs)
    }

    /// The platform directories with optional overrides (the platform is asked only for a
    /// directory that is not overridden).
    pub fn with_overrides(
        config_dir: Option<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> Result<Paths, ConfigError> {
        Paths::resolve(config_dir, data_dir, platform_dirs)
    }

    /// [`Paths::from_env`] with the environment (`var`) and the platform's directories
    /// (`platform`, `None` without a home) given: the seam the tests use.
    fn from_lookup(
        var: impl Fn(&str) -> Option<OsString>,
        platform: impl Fn() -> Option<(PathBuf, PathBuf)>,
    ) -> Result<Paths, ConfigError> {
        let dir = |name| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Paths::resolve(dir(CONFIG_DIR_ENV), dir(DATA_DIR_ENV), platform)
    }

    fn resolve(
        config_dir: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        platform: impl Fn() -> Option<(PathBuf, PathBuf)>,
    ) -> Result<Paths, ConfigError> {
        let platform = || platform().ok_or(ConfigError::NoHome);
        let config_dir = match config_dir {
            Some(dir) => dir,
            None => platform()?.0,
        };
        let data_dir = match data_dir {
            Some(dir) => dir,
            None => platform()?.1,
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

    /// `<data_dir>/timport.YYYY-MM-DD.log`, today's (UTC) log file (`cli::logging` rolls them).
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join(log_file_name(crate::clock::unix_now()))
    }
}

/// The log file of the UTC day of unix time `secs`: `timport.2026-12-06.log`.
pub fn log_file_name(secs: i64) -> String {
    let day: String = crate::clock::format_unix(secs).chars().take(10).collect();
    format!("timport.{day}.log")
}

/// The platform's (config, data) directories for timport; `None` when the machine has no home.
fn platform_dirs() -> Option<(PathBuf, PathBuf)> {
    directories::ProjectDirs::from("", "", "timport")
        .map(|d| (d.config_dir().to_owned(), d.data_dir().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_give_every_path() {
        let paths = Paths::with_overrides(Some("/c".into()), Some("/d".into())).unwrap();
        assert_eq!(paths.config_file(), PathBuf::from("/c/config.toml"));
        assert_eq!(paths.default_ledger(), PathBuf::from("/d/ledger.sqlite3"));
        let log = paths.log_file();
        assert_eq!(log.parent(), Some(std::path::Path::new("/d")));
        let name = log.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(
            name.starts_with("timport.20") && name.ends_with(".log"),
            "{name}"
        );
    }

    /// A machine whose home is /home/op (Linux-style directories).
    fn op_home() -> Option<(PathBuf, PathBuf)> {
        Some((
            "/home/op/.config/timport".into(),
            "/home/op/.local/share/timport".into(),
        ))
    }

    fn no_home() -> Option<(PathBuf, PathBuf)> {
        None
    }

    /// An environment holding `vars`.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn each_variable_overrides_its_directory_and_empty_means_unset() {
        let both = env(&[(CONFIG_DIR_ENV, "/c"), (DATA_DIR_ENV, "/d")]);
        let paths = Paths::from_lookup(both, || panic!("the platform is not asked")).unwrap();
        assert_eq!(
            paths,
            Paths {
                config_dir: "/c".into(),
                data_dir: "/d".into()
            }
        );
        let config_only = env(&[(CONFIG_DIR_ENV, "/c"), (DATA_DIR_ENV, "")]);
        let paths = Paths::from_lookup(config_only, op_home).unwrap();
        assert_eq!(paths.config_dir, PathBuf::from("/c"));
        assert_eq!(
            paths.data_dir,
            PathBuf::from("/home/op/.local/share/timport")
        );
        let none = Paths::from_lookup(env(&[]), op_home).unwrap();
        assert_eq!(
            none.config_file(),
            PathBuf::from("/home/op/.config/timport/config.toml")
        );
    }

    #[test]
    fn without_a_home_only_overridden_directories_work() {
        let both = env(&[(CONFIG_DIR_ENV, "/c"), (DATA_DIR_ENV, "/d")]);
        assert!(Paths::from_lookup(both, no_home).is_ok());
        let data_only = env(&[(DATA_DIR_ENV, "/d")]);
        assert!(matches!(
            Paths::from_lookup(data_only, no_home),
            Err(ConfigError::NoHome)
        ));
    }

    #[test]
    fn platform_directories_are_named_after_timport() {
        match platform_dirs() {
            Some((config, data)) => {
                assert!(config.ends_with("timport"), "{config:?}");
                assert!(data.ends_with("timport"), "{data:?}");
            }
            // No home on this machine: a directory nobody overrode cannot be found.
            None => assert!(matches!(
                Paths::with_overrides(None, Some("/d".into())),
                Err(ConfigError::NoHome)
            )),
        }
    }
}
