//! The one settings resolver: every setting from the first place that gives it, in the order
//! flag > `TIMPORT_*` environment (clap maps both onto [`ConnectArgs`] and the run's flags) >
//! the selected profile > built-in default. It returns [`Settings`]: the values and the
//! problems.

use std::path::Path;

use super::args::ConnectArgs;
use super::error::ConfigError;
use super::file::{ConfigFile, Profile};
use super::paths::Paths;
use super::secret_key::{SECRET_KEY_ENV, load_secret_key_from, looks_like_a_key};
use super::settings::{Key, KeySource, Place, Problems, RunFlags, RunSettings, Settings};
use crate::api::{Endpoint, Region};
use crate::engine::{DEFAULT_LANES, DEFAULT_RATE, OnMessageError};

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

/// Resolves every setting from the flags and environment (`args`, `run`), the config file (or
/// why it could not be read), and the value of `TIMPORT_SECRET_KEY`.
pub fn resolve(
    args: &ConnectArgs,
    run: &RunFlags,
    file: Result<ConfigFile, ConfigError>,
    paths: &Paths,
    env_key: Option<String>,
) -> Settings {
    let config_file = paths.config_file();
    let mut problems = Problems::default();
    let file = file.unwrap_or_else(|e| {
        problems.file = Some(e);
        ConfigFile::default()
    });
    let selected =
        selected_profile(args.profile.as_deref(), &file, &config_file).unwrap_or_else(|e| {
            problems.profile = Some(e);
            None
        });
    let profile = selected.map(|(_, p)| p);
    let place = place_from(args, profile).unwrap_or_else(|(e, fallback)| {
        problems.place = Some(e);
        fallback
    });
    let env_key = env_key.filter(|k| !k.trim().is_empty());
    let both_keys = args.key_file.is_some() && env_key.is_some();
    let key = load_key(args, profile, paths, env_key)
        .map_err(|e| problems.key = Some(e))
        .ok();
    let warnings = if both_keys && key.is_some() {
        vec![format!(
            "both a key file and {SECRET_KEY_ENV} are set; using the key file"
        )]
    } else {
        Vec::new()
    };
    Settings {
        profiles: file.profile_names(),
        profile: selected.map(|(name, _)| name.to_owned()),
        place,
        sdkappid: args.sdkappid.or(profile.and_then(|p| p.sdkappid)),
        admin: args
            .admin
            .clone()
            .filter(|a| !a.trim().is_empty())
            .or_else(|| profile.and_then(|p| p.admin.clone())),
        key_file: args
            .key_file
            .clone()
            .or_else(|| profile.and_then(|p| p.key_file_path(&paths.config_dir)))
            .filter(|path| !path.iter().any(|part| looks_like_a_key(Path::new(part)))),
        key,
        run: RunSettings {
            rate: run
                .rate
                .or(profile.and_then(|p| p.rate))
                .unwrap_or(DEFAULT_RATE),
            lanes: run
                .lanes
                .or(profile.and_then(|p| p.lanes).map(|l| l as usize))
                .unwrap_or(DEFAULT_LANES),
            on_message_error: run
                .on_message_error
                .or(profile.and_then(|p| p.on_message_error))
                .unwrap_or(OnMessageError::Pause),
            same_second: run
                .same_second
                .or(profile.and_then(|p| p.same_second))
                .unwrap_or_default(),
            ledger: run
                .ledger
                .clone()
                .or_else(|| profile.and_then(|p| p.ledger_path(&paths.config_dir)))
                .unwrap_or_else(|| paths.default_ledger()),
        },
        utc: run.utc.or(profile.and_then(|p| p.utc)).unwrap_or(false),
        warnings,
        problems,
        config_file,
    }
}

/// `--region`/`--endpoint` (or their variables) win over the profile's; the profile's were
/// checked when the file was read. A bad flag is an error, with the profile's place to fall
/// back on.
fn place_from(
    args: &ConnectArgs,
    profile: Option<&Profile>,
) -> Result<Option<Place>, (ConfigError, Option<Place>)> {
    let from_profile = || {
        profile.and_then(|p| {
            p.endpoint
                .clone()
                .map(Place::Endpoint)
                .or_else(|| p.region.map(Place::Region))
        })
    };
    if let Some(url) = &args.endpoint {
        return Endpoint::parse(url)
            .map(|e| Some(Place::Endpoint(e)))
            .map_err(|e| {
                let error = ConfigError::BadOption {
                    option: "--endpoint (or TIMPORT_ENDPOINT)",
                    message: e.to_string(),
                };
                (error, from_profile())
            });
    }
    if let Some(name) = &args.region {
        return name
            .parse::<Region>()
            .map(|r| Some(Place::Region(r)))
            .map_err(|e| {
                let error = ConfigError::BadOption {
                    option: "--region (or TIMPORT_REGION)",
                    message: e.to_string(),
                };
                (error, from_profile())
            });
    }
    Ok(from_profile())
}

/// The key: `--key-file` / `TIMPORT_KEY_FILE`, else `TIMPORT_SECRET_KEY`, else the profile's
/// `key_file`. A key pasted where the profile wants a path is never echoed back.
fn load_key(
    args: &ConnectArgs,
    profile: Option<&Profile>,
    paths: &Paths,
    env_key: Option<String>,
) -> Result<Key, ConfigError> {
    if let Some(path) = &args.key_file {
        return load_secret_key_from(Some(path), None).map(|loaded| Key {
            key: loaded.key,
            source: KeySource::File(path.clone()),
            warnings: loaded.warnings,
        });
    }
    if env_key.is_some() {
        return load_secret_key_from(None, env_key).map(|loaded| Key {
            key: loaded.key,
            source: KeySource::Env,
            warnings: loaded.warnings,
        });
    }
    let Some(raw) = profile.and_then(|p| p.key_file.as_deref()) else {
        return Err(ConfigError::NoSecretKey);
    };
    let path = profile
        .and_then(|p| p.key_file_path(&paths.config_dir))
        .unwrap_or_else(|| raw.to_owned());
    match load_secret_key_from(Some(&path), None) {
        Ok(loaded) => Ok(Key {
            key: loaded.key,
            source: KeySource::File(path),
            warnings: loaded.warnings,
        }),
        Err(ConfigError::KeyInsteadOfPath { .. } | ConfigError::KeyFile { .. })
            if looks_like_a_key(raw) =>
        {
            Err(ConfigError::KeyInsteadOfPath {
                origin: format!("key_file in {}", paths.config_file().display()),
            })
        }
        Err(other) => Err(other),
    }
}
