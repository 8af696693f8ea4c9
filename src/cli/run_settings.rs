//! Settling the options of `run` and `report` that a profile may also hold (`rate`, `lanes`,
//! `on_message_error`, `ledger`): the flag wins, then the selected profile, then the default.

use std::path::{Path, PathBuf};

use crate::config::ConnectArgs;
use crate::config::{ConfigError, ConfigFile, Paths, Profile, selected_profile};
use crate::engine::OnMessageError;
use crate::engine::{DEFAULT_LANES, DEFAULT_RATE};

/// The profile (if any) and the directories, read once.
pub struct Settings {
    paths: Paths,
    profile: Option<Profile>,
}

impl Settings {
    /// Reads the config file and picks the profile `--profile` / `TIMPORT_PROFILE` names (or
    /// the file's default).
    pub fn load(connect: &ConnectArgs) -> Result<Settings, ConfigError> {
        let paths = Paths::from_env()?;
        let file = ConfigFile::load(&paths.config_file())?;
        let profile = selected_profile(connect.profile.as_deref(), &file, &paths.config_file())?
            .map(|(_, p)| p.clone());
        Ok(Settings { paths, profile })
    }

    /// The ledger file: `--ledger`, else the profile's, else `<data_dir>/ledger.sqlite3`.
    pub fn ledger(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_owned)
            .or_else(|| {
                self.profile
                    .as_ref()
                    .and_then(|p| p.ledger_path(&self.paths.config_dir))
            })
            .unwrap_or_else(|| self.paths.default_ledger())
    }

    /// Requests per second.
    pub fn rate(&self, flag: Option<u32>) -> u32 {
        flag.or(self.profile.as_ref().and_then(|p| p.rate))
            .unwrap_or(DEFAULT_RATE)
    }

    /// Lanes at once.
    pub fn lanes(&self, flag: Option<usize>) -> usize {
        flag.or(self
            .profile
            .as_ref()
            .and_then(|p| p.lanes)
            .map(|l| l as usize))
            .unwrap_or(DEFAULT_LANES)
    }

    /// The message policy.
    pub fn on_message_error(&self, flag: Option<OnMessageError>) -> OnMessageError {
        flag.or(self.profile.as_ref().and_then(|p| p.on_message_error))
            .unwrap_or(OnMessageError::Pause)
    }
}

/// Parses `pause` or `skip` (for clap).
pub fn parse_on_message_error(text: &str) -> Result<OnMessageError, String> {
    match text {
        "pause" => Ok(OnMessageError::Pause),
        "skip" => Ok(OnMessageError::Skip),
        other => Err(format!("'{other}' is not pause or skip")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_profile_which_wins_over_defaults() {
        let paths = Paths::with_overrides(Some("/c".into()), Some("/d".into())).unwrap();
        let none = Settings {
            paths: paths.clone(),
            profile: None,
        };
        assert_eq!(none.ledger(None), PathBuf::from("/d/ledger.sqlite3"));
        assert_eq!((none.rate(None), none.lanes(None)), (180, 32));
        assert_eq!(none.on_message_error(None), OnMessageError::Pause);
        let some = Settings {
            paths,
            profile: Some(Profile {
                rate: Some(150),
                lanes: Some(8),
                on_message_error: Some(OnMessageError::Skip),
                ledger: Some("runs/l.sqlite3".into()),
                ..Profile::default()
            }),
        };
        assert_eq!(some.ledger(None), PathBuf::from("/c/runs/l.sqlite3"));
        assert_eq!(some.ledger(Some(Path::new("x.db"))), PathBuf::from("x.db"));
        assert_eq!((some.rate(None), some.rate(Some(20))), (150, 20));
        assert_eq!((some.lanes(None), some.lanes(Some(2))), (8, 2));
        assert_eq!(
            some.on_message_error(Some(OnMessageError::Pause)),
            OnMessageError::Pause
        );
        assert_eq!(some.on_message_error(None), OnMessageError::Skip);
        assert_eq!(parse_on_message_error("skip"), Ok(OnMessageError::Skip));
        assert!(
            parse_on_message_error("later")
                .unwrap_err()
                .contains("pause or skip")
        );
    }
}
