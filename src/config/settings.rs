//! The settings as the one resolver (`resolve.rs`) found them: every value, and each problem met
//! on the way (the config file, the profile, the region or endpoint, the key). Commands are
//! strict about them ([`Settings::source_problem`], [`Settings::connection`],
//! [`Settings::credentials`]: the first problem, or everything missing at once, each with the
//! ways to give it); the console's Connect form shows the values and the problems
//! ([`Settings::problems`]).

use std::path::{Path, PathBuf};

use super::args::ConnectArgs;
use super::connection::Connection;
use super::error::ConfigError;
use super::file::ConfigFile;
use super::paths::Paths;
use super::resolve::resolve;
use super::secret_key::SECRET_KEY_ENV;
use crate::api::{Credentials, Endpoint, Region, SecretKey};
use crate::engine::{OnMessageError, SameSecond};

/// The run options a profile may also hold, as `timport run`'s flags (and their `TIMPORT_*`
/// variables) give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFlags {
    /// `--rate`.
    pub rate: Option<u32>,
    /// `--lanes`.
    pub lanes: Option<usize>,
    /// `--on-message-error`.
    pub on_message_error: Option<OnMessageError>,
    /// `--same-second` (also on `validate` and `plan`).
    pub same_second: Option<SameSecond>,
    /// `--ledger`.
    pub ledger: Option<PathBuf>,
    /// `--utc` (the console's; `None` when not given).
    pub utc: Option<bool>,
}

/// The run options, settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    /// Requests per second.
    pub rate: u32,
    /// Lanes at once.
    pub lanes: usize,
    /// The message policy.
    pub on_message_error: OnMessageError,
    /// What the plan does with a second holding more messages than a request.
    pub same_second: SameSecond,
    /// The ledger file: relative paths in a profile are relative to the config directory; the
    /// default is `ledger.sqlite3` in the data directory.
    pub ledger: PathBuf,
}

/// Where requests go, as it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A data centre.
    Region(Region),
    /// A base URL.
    Endpoint(Endpoint),
}

impl Place {
    /// The endpoint requests go to.
    pub fn endpoint(&self) -> Endpoint {
        match self {
            Place::Region(r) => r.endpoint(false),
            Place::Endpoint(e) => e.clone(),
        }
    }
}

/// Where a loaded key came from (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// This file (`--key-file`, `TIMPORT_KEY_FILE` or the profile's `key_file`).
    File(PathBuf),
    /// `TIMPORT_SECRET_KEY`.
    Env,
}

/// A loaded secret key. `Debug` shows it as `<redacted>`.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key.
    pub key: SecretKey,
    /// Where it came from.
    pub source: KeySource,
    /// Warnings, e.g. a key file readable by others.
    pub warnings: Vec<String>,
}

/// The settings as found, with the problems met on the way.
#[derive(Debug)]
pub struct Settings {
    /// The profiles in the config file.
    pub profiles: Vec<String>,
    /// The selected profile (none when it does not exist: see the problems).
    pub profile: Option<String>,
    /// Where requests go.
    pub place: Option<Place>,
    /// The app's SDKAppID.
    pub sdkappid: Option<u64>,
    /// The admin account.
    pub admin: Option<String>,
    /// The key file named by the flag or the profile (even when the key came from elsewhere);
    /// none when the value looks like the key itself, which is never shown.
    pub key_file: Option<PathBuf>,
    /// The key, when one could be loaded.
    pub key: Option<Key>,
    /// The run options.
    pub run: RunSettings,
    /// Times shown in UTC rather than the machine's local time (the console).
    pub utc: bool,
    /// Things the operator should know that do not stop anything (besides the key's own).
    pub warnings: Vec<String>,
    pub(super) problems: Problems,
    pub(super) config_file: PathBuf,
}

/// What could not be settled, by where it came from.
#[derive(Debug, Default)]
pub(super) struct Problems {
    pub(super) file: Option<ConfigError>,
    pub(super) profile: Option<ConfigError>,
    pub(super) place: Option<ConfigError>,
    /// [`ConfigError::NoSecretKey`] when no key was given at all.
    pub(super) key: Option<ConfigError>,
}

impl Settings {
    /// Resolves from the real environment: the config file in [`Paths::from_env`] and
    /// `TIMPORT_SECRET_KEY`. Fails only when there is no place for timport's files. Reads
    /// files: from async code, call it in `spawn_blocking`.
    pub fn from_env(args: &ConnectArgs, run: &RunFlags) -> Result<Settings, ConfigError> {
        Ok(Settings::load(args, run, &Paths::from_env()?))
    }

    /// [`Settings::from_env`] with the directories given.
    pub fn load(args: &ConnectArgs, run: &RunFlags, paths: &Paths) -> Settings {
        let file = ConfigFile::load(&paths.config_file());
        resolve(args, run, file, paths, std::env::var(SECRET_KEY_ENV).ok())
    }

    /// What stops every command: a config file that cannot be read, or a profile that does not
    /// exist.
    pub fn source_problem(&self) -> Option<&ConfigError> {
        self.problems
            .file
            .as_ref()
            .or(self.problems.profile.as_ref())
    }

    /// Every problem, in words (never holding the key), in the order they were met; a key that
    /// was not given at all is not one (the form asks for it).
    pub fn problems(&self) -> Vec<String> {
        let Problems {
            file,
            profile,
            place,
            key,
        } = &self.problems;
        [file, profile, place, key]
            .into_iter()
            .flatten()
            .filter(|e| !matches!(e, ConfigError::NoSecretKey))
            .map(ToString::to_string)
            .collect()
    }

    /// The connection, strictly: the first problem, or everything missing at once, each with
    /// the ways to give it.
    pub fn connection(self) -> Result<Connection, ConfigError> {
        let strict = self.strict(true)?;
        let endpoint = strict
            .place
            .map(|p| p.endpoint())
            .ok_or_else(|| ConfigError::Missing(vec![strict.missing_endpoint]))?;
        let Credentials {
            sdkappid,
            admin,
            secret,
        } = strict.credentials;
        Ok(Connection {
            endpoint,
            sdkappid,
            admin,
            secret,
            profile: strict.profile,
            warnings: strict.warnings,
        })
    }

    /// Who signs (SDKAppID, admin, key) without needing a region or endpoint, as
    /// `timport usersig` does; a region or endpoint that is given is still checked. Returns the
    /// credentials and the warnings.
    pub fn credentials(self) -> Result<(Credentials, Vec<String>), ConfigError> {
        let strict = self.strict(false)?;
        Ok((strict.credentials, strict.warnings))
    }

    fn strict(self, need_place: bool) -> Result<Strict, ConfigError> {
        let Problems {
            file,
            profile,
            place,
            key,
        } = self.problems;
        if let Some(e) = file.or(profile).or(place) {
            return Err(e);
        }
        let profile_name = self.profile.as_deref();
        let missing_endpoint = missing_endpoint(profile_name, &self.config_file);
        let mut missing = Vec::new();
        if self.place.is_none() && need_place {
            missing.push(missing_endpoint.clone());
        }
        if self.sdkappid.is_none() {
            missing.push(format!(
                "no SDKAppID: pass --sdkappid N, set TIMPORT_SDKAPPID, or {}",
                add_to_profile("sdkappid = N", profile_name, &self.config_file)
            ));
        }
        if self.admin.is_none() {
            missing.push(format!(
                "no admin account: pass --admin ID (an app admin UserID), set TIMPORT_ADMIN, or {}",
                add_to_profile("admin = \"ID\"", profile_name, &self.config_file)
            ));
        }
        let loaded = match (self.key, key) {
            (Some(loaded), _) => Some(loaded),
            (None, Some(ConfigError::NoSecretKey) | None) if !missing.is_empty() => {
                missing.push(ConfigError::NoSecretKey.to_string());
                None
            }
            (None, Some(e)) => return Err(e),
            (None, None) => return Err(ConfigError::NoSecretKey),
        };
        let (Some(sdkappid), Some(admin), Some(loaded), true) =
            (self.sdkappid, self.admin, loaded, missing.is_empty())
        else {
            return Err(ConfigError::Missing(missing));
        };
        let mut warnings = loaded.warnings;
        warnings.extend(self.warnings);
        Ok(Strict {
            place: self.place,
            credentials: Credentials {
                sdkappid,
                admin,
                secret: loaded.key,
            },
            profile: self.profile,
            warnings,
            missing_endpoint,
        })
    }
}

struct Strict {
    place: Option<Place>,
    credentials: Credentials,
    profile: Option<String>,
    warnings: Vec<String>,
    missing_endpoint: String,
}

fn missing_endpoint(profile: Option<&str>, config_path: &Path) -> String {
    format!(
        "no region or endpoint: pass --region NAME (china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta) or --endpoint URL, set TIMPORT_REGION or TIMPORT_ENDPOINT, or {}",
        add_to_profile("region = \"NAME\"", profile, config_path)
    )
}

fn add_to_profile(setting: &str, profile: Option<&str>, config_path: &Path) -> String {
    match profile {
        Some(name) => format!(
            "add {setting} to profile '{name}' in {}",
            config_path.display()
        ),
        None => format!(
            "add {setting} to a profile in {} and select it with --profile NAME or default_profile",
            config_path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_connection(
        args: &ConnectArgs,
        file: &ConfigFile,
        paths: &Paths,
        env_key: Option<String>,
    ) -> Result<Connection, ConfigError> {
        resolve(args, &RunFlags::default(), Ok(file.clone()), paths, env_key).connection()
    }

    fn resolve_credentials(
        args: &ConnectArgs,
        file: &ConfigFile,
        paths: &Paths,
        env_key: Option<String>,
    ) -> Result<(Credentials, Vec<String>), ConfigError> {
        resolve(args, &RunFlags::default(), Ok(file.clone()), paths, env_key).credentials()
    }

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    struct Fixture {
        _dir: tempfile::TempDir,
        paths: Paths,
    }

    fn fixture(config: &str) -> (Fixture, ConfigFile) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("cfg"),
            data_dir: dir.path().join("data"),
        };
        std::fs::create_dir_all(&paths.config_dir).unwrap();
        std::fs::write(paths.config_file(), config).unwrap();
        let file = ConfigFile::load(&paths.config_file()).unwrap();
        (Fixture { _dir: dir, paths }, file)
    }

    fn write_key(paths: &Paths, name: &str, key: &str) {
        let path = paths.config_dir.join(name);
        std::fs::write(&path, format!("{key}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    const PROFILES: &str = r#"
default_profile = "prod"
[profiles.prod]
region = "singapore"
sdkappid = 1400000000
admin = "administrator"
key_file = "prod.key"
[profiles.local]
endpoint = "http://127.0.0.1:8080"
sdkappid = 1
admin = "sandbox-admin"
"#;

    #[test]
    fn the_default_profile_supplies_everything() {
        let (fx, file) = fixture(PROFILES);
        write_key(&fx.paths, "prod.key", "from-profile-file");
        let conn = resolve_connection(&ConnectArgs::default(), &file, &fx.paths, None).unwrap();
        assert_eq!(conn.endpoint, Region::Singapore.endpoint(false));
        assert_eq!(conn.sdkappid, 1_400_000_000);
        assert_eq!(conn.admin, "administrator");
        assert_eq!(conn.secret.expose(), "from-profile-file");
        assert_eq!(conn.profile.as_deref(), Some("prod"));
        assert!(conn.warnings.is_empty(), "{:?}", conn.warnings);
    }

    #[test]
    fn flags_and_env_beat_the_profile() {
        let (fx, file) = fixture(PROFILES);
        write_key(&fx.paths, "prod.key", "from-profile-file");
        write_key(&fx.paths, "flag.key", "from-flag-file");
        let args = ConnectArgs {
            region: Some("tokyo".into()),
            sdkappid: Some(42),
            admin: Some("other".into()),
            ..ConnectArgs::default()
        };
        let conn = resolve_connection(&args, &file, &fx.paths, Some("from-env".into())).unwrap();
        assert_eq!(conn.endpoint, Region::Tokyo.endpoint(false));
        assert_eq!((conn.sdkappid, conn.admin.as_str()), (42, "other"));
        assert_eq!(
            conn.secret.expose(),
            "from-env",
            "env key beats the profile's file"
        );

        let args = ConnectArgs {
            endpoint: Some("http://localhost:9/".into()),
            key_file: Some(fx.paths.config_dir.join("flag.key")),
            ..ConnectArgs::default()
        };
        let conn = resolve_connection(&args, &file, &fx.paths, Some("from-env".into())).unwrap();
        assert_eq!(conn.endpoint.base(), "http://localhost:9");
        assert_eq!(
            conn.secret.expose(),
            "from-flag-file",
            "the key file flag beats env"
        );
        assert!(
            conn.warnings[0].contains("using the key file"),
            "{:?}",
            conn.warnings
        );
        assert!(!format!("{conn:?}").contains("from-flag-file"));
    }

    #[test]
    fn profile_flag_selects_another_profile() {
        let (fx, file) = fixture(PROFILES);
        let args = ConnectArgs {
            profile: Some("local".into()),
            ..ConnectArgs::default()
        };
        let conn = resolve_connection(&args, &file, &fx.paths, Some(KEY.into())).unwrap();
        assert_eq!(conn.endpoint.base(), "http://127.0.0.1:8080");
        assert_eq!(conn.admin, "sandbox-admin");
        assert_eq!(conn.profile.as_deref(), Some("local"));

        let args = ConnectArgs {
            profile: Some("nope".into()),
            ..ConnectArgs::default()
        };
        let err = resolve_connection(&args, &file, &fx.paths, Some(KEY.into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no profile 'nope'") && err.contains("local, prod"),
            "{err}"
        );
    }

    #[test]
    fn everything_missing_is_reported_at_once_with_how_to_give_it() {
        let (fx, file) = fixture("");
        let err = resolve_connection(&ConnectArgs::default(), &file, &fx.paths, None).unwrap_err();
        let ConfigError::Missing(lines) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(lines.len(), 4, "{lines:?}");
        let text = err.to_string();
        for needle in [
            "no region or endpoint",
            "--region NAME",
            "TIMPORT_ENDPOINT",
            "no SDKAppID: pass --sdkappid N, set TIMPORT_SDKAPPID",
            "no admin account",
            "TIMPORT_SECRET_KEY",
            "config.toml",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }

        let (fx, file) = fixture(PROFILES);
        let args = ConnectArgs {
            profile: Some("local".into()),
            ..ConnectArgs::default()
        };
        let err = resolve_connection(&args, &file, &fx.paths, None).unwrap_err();
        assert!(matches!(err, ConfigError::NoSecretKey), "{err:?}");
    }

    #[test]
    fn bad_flags_name_the_option() {
        let (fx, file) = fixture("");
        for (args, needle) in [
            (
                ConnectArgs {
                    region: Some("mars".into()),
                    ..ConnectArgs::default()
                },
                "--region (or TIMPORT_REGION): unknown region 'mars'",
            ),
            (
                ConnectArgs {
                    endpoint: Some("http://example.com".into()),
                    ..ConnectArgs::default()
                },
                "--endpoint (or TIMPORT_ENDPOINT): endpoint 'http://example.com' uses plain http",
            ),
        ] {
            let err = resolve_connection(&args, &file, &fx.paths, Some(KEY.into()))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(needle), "{err}");
        }
    }

    #[test]
    fn credentials_need_no_endpoint() {
        let (fx, file) = fixture("");
        let args = ConnectArgs {
            sdkappid: Some(5),
            admin: Some("a".into()),
            ..ConnectArgs::default()
        };
        let (creds, warnings) =
            resolve_credentials(&args, &file, &fx.paths, Some(KEY.into())).unwrap();
        assert_eq!((creds.sdkappid, creds.admin.as_str()), (5, "a"));
        assert_eq!(creds.secret.expose(), KEY);
        assert!(warnings.is_empty());
        assert!(resolve_connection(&args, &file, &fx.paths, Some(KEY.into())).is_err());
    }

    #[test]
    fn a_key_pasted_into_key_file_is_not_echoed() {
        let (fx, file) = fixture(&format!(
            "[profiles.p]\nsdkappid = 1\nadmin = \"a\"\nregion = \"china\"\nkey_file = \"{KEY}\"\n"
        ));
        let args = ConnectArgs {
            profile: Some("p".into()),
            ..ConnectArgs::default()
        };
        let err = resolve_connection(&args, &file, &fx.paths, None).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            matches!(err, ConfigError::KeyInsteadOfPath { .. }),
            "{shown}"
        );
        assert!(!shown.contains(&KEY[..12]), "{shown}");
        assert!(shown.contains("key_file in"), "{shown}");
    }

    #[test]
    fn an_unknown_default_profile_is_an_error_naming_the_file() {
        let (fx, file) = fixture("default_profile = \"gone\"\n");
        let err = resolve_connection(&ConnectArgs::default(), &file, &fx.paths, Some(KEY.into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no profile 'gone'") && err.contains("config.toml"),
            "{err}"
        );
        assert!(err.contains("no profiles yet"), "{err}");
    }

    #[test]
    fn run_flags_win_over_the_profile_which_wins_over_defaults() {
        let (fx, file) = fixture(
            "[profiles.p]\nrate = 150\nlanes = 8\non_message_error = \"skip\"\nsame_second = \"spread\"\nledger = \"runs/l.sqlite3\"\n",
        );
        let none = resolve(
            &ConnectArgs::default(),
            &RunFlags::default(),
            Ok(file.clone()),
            &fx.paths,
            None,
        );
        assert_eq!(
            none.run,
            RunSettings {
                rate: 180,
                lanes: 32,
                on_message_error: OnMessageError::Pause,
                same_second: SameSecond::Keep,
                ledger: fx.paths.data_dir.join("ledger.sqlite3"),
            }
        );
        let args = ConnectArgs {
            profile: Some("p".into()),
            ..ConnectArgs::default()
        };
        let from_profile = resolve(
            &args,
            &RunFlags::default(),
            Ok(file.clone()),
            &fx.paths,
            None,
        );
        assert_eq!(
            from_profile.run,
            RunSettings {
                rate: 150,
                lanes: 8,
                on_message_error: OnMessageError::Skip,
                same_second: SameSecond::Spread,
                ledger: fx.paths.config_dir.join("runs/l.sqlite3"),
            }
        );
        let flags = RunFlags {
            rate: Some(20),
            lanes: Some(2),
            on_message_error: Some(OnMessageError::Pause),
            same_second: Some(SameSecond::Keep),
            ledger: Some("x.db".into()),
            utc: None,
        };
        let from_flags = resolve(&args, &flags, Ok(file), &fx.paths, None);
        assert_eq!(
            from_flags.run,
            RunSettings {
                rate: 20,
                lanes: 2,
                on_message_error: OnMessageError::Pause,
                same_second: SameSecond::Keep,
                ledger: "x.db".into(),
            }
        );
    }

    #[test]
    fn utc_comes_from_the_flag_then_the_profile_else_local_time() {
        let (fx, file) = fixture("[profiles.u]\nutc = true\n[profiles.l]\nutc = false\n");
        let pick = |profile: Option<&str>, flag: Option<bool>| {
            let args = ConnectArgs {
                profile: profile.map(str::to_owned),
                ..ConnectArgs::default()
            };
            let flags = RunFlags {
                utc: flag,
                ..RunFlags::default()
            };
            resolve(&args, &flags, Ok(file.clone()), &fx.paths, None).utc
        };
        assert!(!pick(None, None), "local time by default");
        assert!(pick(Some("u"), None), "the profile's utc = true");
        assert!(pick(Some("l"), Some(true)), "the flag wins");
        assert!(!pick(Some("l"), None));
    }

    #[test]
    fn problems_are_kept_for_the_console_and_the_first_stops_a_command() {
        let (fx, _) = fixture(PROFILES);
        let args = ConnectArgs {
            profile: Some("nope".into()),
            region: Some("mars".into()),
            ..ConnectArgs::default()
        };
        let unreadable = ConfigError::Parse {
            path: fx.paths.config_file(),
            line: 3,
            message: "expected a value".into(),
        };
        let settings = resolve(
            &args,
            &RunFlags::default(),
            Err(unreadable),
            &fx.paths,
            Some(KEY.into()),
        );
        let problems = settings.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("expected a value"), "{problems:?}");
        assert!(problems[1].contains("no profile 'nope'"), "{problems:?}");
        assert!(
            problems[2].contains("unknown region 'mars'"),
            "{problems:?}"
        );
        assert!(
            settings
                .source_problem()
                .is_some_and(|e| e.to_string().contains("expected a value"))
        );
        assert_eq!(
            settings.key.as_ref().map(|k| k.source.clone()),
            Some(KeySource::Env)
        );
        let err = settings.connection().unwrap_err().to_string();
        assert!(err.contains("expected a value"), "{err}");
    }

    #[test]
    fn a_key_pasted_into_the_profile_is_not_shown_as_a_problem_either() {
        let (fx, file) = fixture(&format!("[profiles.p]\nkey_file = \"{KEY}\"\n"));
        let args = ConnectArgs {
            profile: Some("p".into()),
            ..ConnectArgs::default()
        };
        let settings = resolve(&args, &RunFlags::default(), Ok(file), &fx.paths, None);
        let text = settings.problems().join("\n");
        assert!(text.contains("looks like the secret key itself"), "{text}");
        assert!(!text.contains(&KEY[..12]), "{text}");
        assert!(settings.key.is_none());
    }
}
