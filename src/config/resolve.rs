//! Settling a command's connection: each option from the first place that gives it, in the order
//! flag > `TIMPORT_*` environment (both arrive through [`ConnectArgs`]) > the selected profile.
//! Everything missing is reported at once, each with the ways to give it.

use std::path::Path;

use super::args::ConnectArgs;
use super::error::ConfigError;
use super::file::{ConfigFile, Profile};
use super::paths::Paths;
use super::secret_key::{SECRET_KEY_ENV, load_secret_key_from, looks_like_a_key};
use crate::api::{Client, ClientOptions, ClientSetupError, Credentials, Endpoint, SecretKey};

/// Everything needed to talk to the service. `Debug` shows the key as `<redacted>`.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Where requests go.
    pub endpoint: Endpoint,
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The app admin account that signs requests.
    pub admin: String,
    /// The app's secret key.
    pub secret: SecretKey,
    /// The profile that supplied settings, if any.
    pub profile: Option<String>,
    /// Things the operator should know (for example a key file readable by others).
    pub warnings: Vec<String>,
}

impl Connection {
    /// Resolves from the real environment: the platform (or `TIMPORT_CONFIG_DIR`) config file
    /// and `TIMPORT_SECRET_KEY`. Reads files: from async code, call it in `spawn_blocking`.
    pub fn resolve(args: &ConnectArgs) -> Result<Connection, ConfigError> {
        let paths = Paths::from_env()?;
        let file = ConfigFile::load(&paths.config_file())?;
        resolve_connection(args, &file, &paths, std::env::var(SECRET_KEY_ENV).ok())
    }

    /// Who signs, for [`Client::new`].
    pub fn credentials(&self) -> Credentials {
        Credentials {
            sdkappid: self.sdkappid,
            admin: self.admin.clone(),
            secret: self.secret.clone(),
        }
    }

    /// A client for this connection.
    pub fn client(&self, opts: ClientOptions) -> Result<Client, ClientSetupError> {
        Client::new(self.endpoint.clone(), self.credentials(), opts)
    }
}

/// The profile in use: `--profile` / `TIMPORT_PROFILE` when given, else the file's
/// `default_profile`, else none. A name that does not exist is an error listing those that do.
pub fn selected_profile<'a>(
    wanted: Option<&str>,
    file: &'a ConfigFile,
    path: &Path,
) -> Result<Option<(&'a str, &'a Profile)>, ConfigError> {
    let Some(name) = wanted.or(file.default_profile.as_deref()) else {
        return Ok(None);
    };
    file.profiles
        .get_key_value(name)
        .map(|(name, profile)| Some((name.as_str(), profile)))
        .ok_or_else(|| ConfigError::UnknownProfile {
            name: name.to_owned(),
            path: path.to_owned(),
            known: file.profile_names(),
        })
}

/// Resolves a full connection (endpoint included) from the arguments, the config file and the
/// value of `TIMPORT_SECRET_KEY`.
pub fn resolve_connection(
    args: &ConnectArgs,
    file: &ConfigFile,
    paths: &Paths,
    env_key: Option<String>,
) -> Result<Connection, ConfigError> {
    let settled = settle(args, file, paths, env_key, true)?;
    let Some(endpoint) = settled.endpoint else {
        // settle() already reports a missing endpoint when it is needed; kept for safety.
        return Err(ConfigError::Missing(vec![missing_endpoint(
            settled.profile.as_deref(),
            &paths.config_file(),
        )]));
    };
    let Credentials {
        sdkappid,
        admin,
        secret,
    } = settled.credentials;
    Ok(Connection {
        endpoint,
        sdkappid,
        admin,
        secret,
        profile: settled.profile,
        warnings: settled.warnings,
    })
}

/// Resolves who signs (SDKAppID, admin, key) without needing a region or endpoint, as
/// `timport usersig` does; a region or endpoint that is given is still checked. Returns the
/// credentials and the warnings.
pub fn resolve_credentials(
    args: &ConnectArgs,
    file: &ConfigFile,
    paths: &Paths,
    env_key: Option<String>,
) -> Result<(Credentials, Vec<String>), ConfigError> {
    let settled = settle(args, file, paths, env_key, false)?;
    Ok((settled.credentials, settled.warnings))
}

struct Settled {
    endpoint: Option<Endpoint>,
    credentials: Credentials,
    profile: Option<String>,
    warnings: Vec<String>,
}

fn settle(
    args: &ConnectArgs,
    file: &ConfigFile,
    paths: &Paths,
    env_key: Option<String>,
    need_endpoint: bool,
) -> Result<Settled, ConfigError> {
    let config_path = paths.config_file();
    let selected = selected_profile(args.profile.as_deref(), file, &config_path)?;
    let profile = selected.map(|(_, p)| p);
    let profile_name = selected.map(|(name, _)| name.to_owned());
    let mut missing = Vec::new();

    let endpoint = endpoint_from(args, profile)?;
    if endpoint.is_none() && need_endpoint {
        missing.push(missing_endpoint(profile_name.as_deref(), &config_path));
    }
    let sdkappid = args.sdkappid.or(profile.and_then(|p| p.sdkappid));
    if sdkappid.is_none() {
        missing.push(format!(
            "no SDKAppID: pass --sdkappid N, set TIMPORT_SDKAPPID, or {}",
            add_to_profile("sdkappid = N", profile_name.as_deref(), &config_path)
        ));
    }
    let admin = args
        .admin
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| profile.and_then(|p| p.admin.clone()));
    if admin.is_none() {
        missing.push(format!(
            "no admin account: pass --admin ID (an app admin UserID), set TIMPORT_ADMIN, or {}",
            add_to_profile("admin = \"ID\"", profile_name.as_deref(), &config_path)
        ));
    }
    let env_key = env_key.filter(|k| !k.trim().is_empty());
    let both_keys = args.key_file.is_some() && env_key.is_some();
    let key = load_key(args, profile, paths, env_key);
    let (secret, mut warnings) = match key {
        Ok(loaded) => (Some(loaded.key), loaded.warnings),
        Err(ConfigError::NoSecretKey) if !missing.is_empty() => {
            missing.push(ConfigError::NoSecretKey.to_string());
            (None, Vec::new())
        }
        Err(e) => return Err(e),
    };
    let (Some(sdkappid), Some(admin), Some(secret), true) =
        (sdkappid, admin, secret, missing.is_empty())
    else {
        return Err(ConfigError::Missing(missing));
    };
    if both_keys {
        warnings.push(format!(
            "both a key file and {SECRET_KEY_ENV} are set; using the key file"
        ));
    }
    Ok(Settled {
        endpoint,
        credentials: Credentials {
            sdkappid,
            admin,
            secret,
        },
        profile: profile_name,
        warnings,
    })
}

/// `--region`/`--endpoint` (or their variables) win over the profile's; the profile's were
/// checked when the file was read.
fn endpoint_from(
    args: &ConnectArgs,
    profile: Option<&Profile>,
) -> Result<Option<Endpoint>, ConfigError> {
    if let Some(url) = &args.endpoint {
        return Endpoint::parse(url)
            .map(Some)
            .map_err(|e| ConfigError::BadOption {
                option: "--endpoint (or TIMPORT_ENDPOINT)",
                message: e.to_string(),
            });
    }
    if let Some(name) = &args.region {
        return name
            .parse::<crate::api::Region>()
            .map(|r| Some(r.endpoint(false)))
            .map_err(|e| ConfigError::BadOption {
                option: "--region (or TIMPORT_REGION)",
                message: e.to_string(),
            });
    }
    Ok(profile.and_then(|p| {
        p.endpoint
            .clone()
            .or_else(|| p.region.map(|r| r.endpoint(false)))
    }))
}

/// The key: `--key-file` / `TIMPORT_KEY_FILE`, else `TIMPORT_SECRET_KEY`, else the profile's
/// `key_file`.
fn load_key(
    args: &ConnectArgs,
    profile: Option<&Profile>,
    paths: &Paths,
    env_key: Option<String>,
) -> Result<super::secret_key::LoadedKey, ConfigError> {
    if args.key_file.is_some() || env_key.is_some() {
        return load_secret_key_from(args.key_file.as_deref(), env_key);
    }
    let Some(raw) = profile.and_then(|p| p.key_file.as_deref()) else {
        return Err(ConfigError::NoSecretKey);
    };
    let path = profile
        .and_then(|p| p.key_file_path(&paths.config_dir))
        .unwrap_or_else(|| raw.to_owned());
    load_secret_key_from(Some(&path), None).map_err(|e| match e {
        ConfigError::KeyInsteadOfPath { .. } | ConfigError::KeyFile { .. }
            if looks_like_a_key(raw) =>
        {
            ConfigError::KeyInsteadOfPath {
                origin: format!("key_file in {}", paths.config_file().display()),
            }
        }
        other => other,
    })
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
    use crate::api::Region;

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
}
