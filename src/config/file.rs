//! The config file: `default_profile = "name"` and one `[profiles.<name>]` table per profile with
//! the connection (`region` or `endpoint`, `sdkappid`, `admin`, `key_file`) and optional run
//! defaults (`rate`, `lanes`, `on_message_error`, `same_second`, `ledger`).
//!
//! Unknown keys are errors naming the file, line and key; a key-like field (`secret_key`, ...)
//! is refused outright, because the secret never belongs in this file. Parse errors are reported
//! from the parser's message and position only, never with the source line (which could hold a
//! pasted secret). Saving rewrites the whole file (comments are not kept) through a temporary
//! file and a rename, so a crash never leaves half a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ConfigError;
use super::paths::Paths;
use crate::api::{Endpoint, Region};
use crate::engine::{OnMessageError, SameSecond};
use crate::files::OpenError;

/// One named profile. Every field is optional: flags and `TIMPORT_*` variables fill the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The data centre (`china`, `singapore`, ...; the CLI's aliases work too).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "region_from_text"
    )]
    pub region: Option<Region>,
    /// A base URL instead of a region (plain http only to loopback).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "endpoint_from_text",
        serialize_with = "endpoint_as_text"
    )]
    pub endpoint: Option<Endpoint>,
    /// The app's SDKAppID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdkappid: Option<u64>,
    /// The app admin account that signs requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
    /// A file holding the secret key; relative to the config directory; `~/` is the home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Requests per second for `run` (the service allows 200/s for the whole app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
    /// Groups imported at the same time by `run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lanes: Option<u32>,
    /// What `run` does when a message is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_message_error: Option<OnMessageError>,
    /// What `run`, `validate` and `plan` do with a second holding more than 7 messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_second: Option<SameSecond>,
    /// The ledger file; relative to the config directory; `~/` is the home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<PathBuf>,
    /// The console shows times in UTC instead of the machine's local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc: Option<bool>,
}

fn region_from_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Region>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

fn endpoint_from_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Endpoint>, D::Error> {
    let text = String::deserialize(d)?;
    Endpoint::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn endpoint_as_text<S: Serializer>(endpoint: &Option<Endpoint>, s: S) -> Result<S::Ok, S::Error> {
    match endpoint {
        Some(e) => s.serialize_str(e.base()),
        None => s.serialize_none(),
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when `--profile` / `TIMPORT_PROFILE` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// The profiles by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Profile>,
}

/// Largest config file read: a few profiles take a few hundred bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl ConfigFile {
    /// Reads `path`; a missing file is an empty configuration. Only a regular file of at most
    /// 1 MiB is read (a FIFO or device in its place is refused, not waited on).
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let read_err = |source| ConfigError::Read {
            path: path.to_owned(),
            source,
        };
        match crate::files::read_capped(path, MAX_CONFIG_BYTES, true) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    read_err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "it is not UTF-8 text",
                    ))
                })?;
                ConfigFile::parse(&text, path)
            }
            Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(ConfigFile::default())
            }
            Err(e) => Err(read_err(e.into())),
        }
    }

    /// Parses the text of the file at `path` (named in errors) and checks each profile.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            let message = hide_string_values(&e.message().trim().replace('\n', "; "));
            match unknown_field(&message) {
                Some(key) if is_key_like(key) => ConfigError::SecretInConfig {
                    path: path.to_owned(),
                    line,
                    key: key.to_owned(),
                },
                _ => ConfigError::Parse {
                    path: path.to_owned(),
                    line,
                    message,
                },
            }
        })?;
        for (name, profile) in &file.profiles {
            profile.check().map_err(|message| ConfigError::BadProfile {
                path: path.to_owned(),
                profile: name.clone(),
                message,
            })?;
        }
        Ok(file)
    }

    /// Writes the file (creating its directory 0700), through a temporary file (created 0600)
    /// and a rename.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: path.to_owned(),
            source,
        };
        let text = toml::to_string_pretty(self)
            .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_dir_all_private(dir).map_err(write_err)?;
        }
        let temp = path.with_extension("toml.tmp");
        // A leftover temporary file from a crash may have another mode: start afresh.
        let _ = std::fs::remove_file(&temp);
        let mut file = crate::files::create_private(&temp).map_err(write_err)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(write_err)?;
        drop(file);
        std::fs::rename(&temp, path).map_err(write_err)
    }

    /// The profile names, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }
}

impl Profile {
    /// Rules serde cannot express; the message says how to fix it.
    fn check(&self) -> Result<(), String> {
        if self.region.is_some() && self.endpoint.is_some() {
            return Err("set either region or endpoint, not both".into());
        }
        if self.rate == Some(0) {
            return Err("rate must be at least 1 request per second".into());
        }
        if self.lanes == Some(0) {
            return Err("lanes must be at least 1".into());
        }
        if self.admin.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return Err("admin is empty: name an app admin account".into());
        }
        Ok(())
    }

    /// `key_file` as a usable path (see [`resolve_path`]).
    pub fn key_file_path(&self, config_dir: &Path) -> Option<PathBuf> {
        self.key_file
            .as_deref()
            .map(|p| resolve_path(p, config_dir))
    }

    /// `ledger` as a usable path (see [`resolve_path`]).
    pub fn ledger_path(&self, config_dir: &Path) -> Option<PathBuf> {
        self.ledger.as_deref().map(|p| resolve_path(p, config_dir))
    }
}

/// A path from the config file: `~/x` is under the home directory, a relative path is relative
/// to the config directory (so the file means the same from any working directory).
pub fn resolve_path(path: &Path, config_dir: &Path) -> PathBuf {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_owned());
    resolve_path_in(path, config_dir, home.as_deref())
}

/// [`resolve_path`] with the home directory given (`None`: the machine has none, and `~` is
/// then an ordinary name).
fn resolve_path_in(path: &Path, config_dir: &Path, home: Option<&Path>) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = home
    {
        return home.join(rest);
    }
    if path.is_absolute() {
        path.to_owned()
    } else {
        config_dir.join(path)
    }
}

/// Adds or replaces the profile `name` in the config file, optionally making it the default.
pub fn save_profile(
    paths: &Paths,
    name: &str,
    profile: &Profile,
    make_default: bool,
) -> Result<(), ConfigError> {
    if !is_good_profile_name(name) {
        return Err(ConfigError::BadProfileName(name.to_owned()));
    }
    let path = paths.config_file();
    profile.check().map_err(|message| ConfigError::BadProfile {
        path: path.clone(),
        profile: name.to_owned(),
        message,
    })?;
    let mut file = ConfigFile::load(&path)?;
    file.profiles.insert(name.to_owned(), profile.clone());
    if make_default {
        file.default_profile = Some(name.to_owned());
    }
    file.save(&path)
}

/// The profile names in the config file, sorted.
pub fn list_profiles(paths: &Paths) -> Result<Vec<String>, ConfigError> {
    Ok(ConfigFile::load(&paths.config_file())?.profile_names())
}

fn is_good_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// serde quotes a string it could not use (`invalid type: string "x", expected u64`); the value
/// could be a pasted secret, so it is replaced by its kind.
fn hide_string_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("string \"") {
        out.push_str(&rest[..at]);
        out.push_str("a string");
        let after = &rest[at + "string \"".len()..];
        rest = after.find('"').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// The key named by serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// True for a field name that suggests a secret value (`secret_key`, `SecretKey`, `usersig`,
/// `api-key`, `password`, `token`, plain `key`), but not `key_file`.
fn is_key_like(name: &str) -> bool {
    let flat: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    ["secret", "usersig", "password", "passwd", "token"]
        .iter()
        .any(|word| flat.contains(word))
        || flat == "key"
        || flat.ends_with("key")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(text, Path::new("/etc/t/config.toml"))
    }

    #[cfg(unix)]
    #[test]
    fn a_config_file_that_is_a_fifo_or_device_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a valid NUL-terminated path and creates a FIFO; nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = ConfigFile::load(&fifo).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let err = ConfigFile::load(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        assert!(ConfigFile::load(&dir.path().join("missing.toml")).is_ok());
    }

    #[test]
    fn a_full_profile_parses_with_region_aliases() {
        let file = parse(
            r#"
default_profile = "prod"

[profiles.prod]
region = "sg"
sdkappid = 1400000000
admin = "administrator"
key_file = "prod.key"
rate = 150
lanes = 16
on_message_error = "skip"
same_second = "spread"
ledger = "/var/lib/timport/prod.sqlite3"

[profiles.local]
endpoint = "http://127.0.0.1:8080"
"#,
        )
        .unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod"));
        let prod = &file.profiles["prod"];
        assert_eq!(prod.region, Some(Region::Singapore));
        assert_eq!(prod.sdkappid, Some(1_400_000_000));
        assert_eq!(prod.on_message_error, Some(OnMessageError::Skip));
        assert_eq!(prod.same_second, Some(SameSecond::Spread));
        assert_eq!(file.profiles["local"].same_second, None);
        assert_eq!(
            prod.key_file_path(Path::new("/etc/t")),
            Some(PathBuf::from("/etc/t/prod.key"))
        );
        assert_eq!(
            prod.ledger_path(Path::new("/etc/t")),
            Some(PathBuf::from("/var/lib/timport/prod.sqlite3"))
        );
        assert_eq!(
            file.profiles["local"].endpoint.as_ref().map(Endpoint::base),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(file.profile_names(), vec!["local", "prod"]);
    }

    #[test]
    fn unknown_keys_name_the_file_line_and_key() {
        let err = parse("[profiles.a]\nregion = \"china\"\nsdkapid = 5\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/etc/t/config.toml:3: "), "{text}");
        assert!(text.contains("unknown field `sdkapid`"), "{text}");
        let top = parse("default = \"x\"\n").unwrap_err().to_string();
        assert!(
            top.contains("/etc/t/config.toml:1:") && top.contains("`default`"),
            "{top}"
        );
    }

    #[test]
    fn key_like_fields_are_refused_without_echoing_the_value() {
        for field in [
            "secret_key",
            "SecretKey",
            "secret",
            "key",
            "usersig",
            "api-key",
        ] {
            let text = format!("[profiles.a]\nadmin = \"x\"\n{field} = \"{KEY}\"\n");
            let err = parse(&text).unwrap_err();
            assert!(
                matches!(err, ConfigError::SecretInConfig { line: 3, .. }),
                "{field}: {err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(&KEY[..12]), "{shown}");
            assert!(shown.contains("key_file"), "{shown}");
        }
        // At the top level too.
        let err = parse(&format!("secret_key = \"{KEY}\"\n")).unwrap_err();
        assert!(
            matches!(err, ConfigError::SecretInConfig { line: 1, .. }),
            "{err:?}"
        );
        assert!(!is_key_like("key_file") && !is_key_like("keyfile") && !is_key_like("admin"));
        assert!(is_key_like("appkey") && is_key_like("Password") && is_key_like("token"));
    }

    #[test]
    fn broken_toml_never_shows_the_source_line() {
        for text in [
            format!("[profiles.a]\nsecret_key = \"{KEY}\n"),
            format!("[profiles.a]\nsecret_key = {KEY}\n"),
            format!("[profiles.a]\nadmin = {KEY}\n"),
            format!("[profiles.a\n{KEY}\n"),
            format!("[profiles.a]\nsdkappid = \"{KEY}\"\n"),
        ] {
            let err = parse(&text).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(&KEY[..12]), "{shown}");
            assert!(shown.contains("config.toml:"), "{shown}");
        }
    }

    #[test]
    fn bad_values_name_the_profile_or_line() {
        let err = parse("[profiles.a]\nregion = \"mars\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":2:") && err.contains("unknown region 'mars'"),
            "{err}"
        );
        let err = parse("[profiles.a]\nendpoint = \"http://example.com\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plain http"), "{err}");
        let err = parse("[profiles.a]\nregion = \"china\"\nendpoint = \"https://x.example\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("profile 'a'") && err.contains("not both"),
            "{err}"
        );
        let err = parse("[profiles.a]\nrate = 0\n").unwrap_err().to_string();
        assert!(err.contains("rate must be at least 1"), "{err}");
        let err = parse("[profiles.a]\non_message_error = \"ignore\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:") && err.contains("pause"), "{err}");
        let err = parse("[profiles.a]\nsame_second = \"shift\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:") && err.contains("spread"), "{err}");
    }

    #[test]
    fn save_then_load_round_trips_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("cfg"),
            data_dir: dir.path().join("data"),
        };
        assert!(list_profiles(&paths).unwrap().is_empty(), "no file yet");
        let prod = Profile {
            region: Some(Region::SiliconValley),
            sdkappid: Some(7),
            admin: Some("admin".into()),
            key_file: Some("~/keys/prod".into()),
            rate: Some(100),
            on_message_error: Some(OnMessageError::Pause),
            ..Profile::default()
        };
        let local = Profile {
            endpoint: Some(Endpoint::parse("http://127.0.0.1:8080").unwrap()),
            ..Profile::default()
        };
        save_profile(&paths, "prod", &prod, true).unwrap();
        save_profile(&paths, "local", &local, false).unwrap();
        let text = std::fs::read_to_string(paths.config_file()).unwrap();
        assert!(text.contains("region = \"silicon-valley\""), "{text}");
        assert!(
            text.contains("endpoint = \"http://127.0.0.1:8080\""),
            "{text}"
        );
        let file = ConfigFile::load(&paths.config_file()).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod"));
        assert_eq!(file.profiles["prod"], prod);
        assert_eq!(file.profiles["local"], local);
        assert_eq!(list_profiles(&paths).unwrap(), vec!["local", "prod"]);
        assert!(!paths.config_dir.join("config.toml.tmp").exists());

        assert!(matches!(
            save_profile(&paths, "bad name", &local, false),
            Err(ConfigError::BadProfileName(_))
        ));
        let both = Profile {
            region: Some(Region::China),
            ..local.clone()
        };
        assert!(matches!(
            save_profile(&paths, "both", &both, false),
            Err(ConfigError::BadProfile { .. })
        ));
    }

    #[test]
    fn home_relative_paths() {
        let (cfg, op) = (Path::new("/cfg"), Some(Path::new("/home/op")));
        let resolve = |path: &str, home| resolve_path_in(Path::new(path), cfg, home);
        assert_eq!(resolve("~/k", op), PathBuf::from("/home/op/k"));
        assert_eq!(
            resolve("~/keys/prod", op),
            PathBuf::from("/home/op/keys/prod")
        );
        assert_eq!(resolve("~other/k", op), PathBuf::from("/cfg/~other/k"));
        assert_eq!(resolve("k", op), PathBuf::from("/cfg/k"));
        assert_eq!(resolve("/abs/k", op), PathBuf::from("/abs/k"));
        // Without a home, `~` is an ordinary directory name under the config directory.
        assert_eq!(resolve("~/k", None), PathBuf::from("/cfg/~/k"));
        assert_eq!(resolve("/abs/k", None), PathBuf::from("/abs/k"));
    }
}
