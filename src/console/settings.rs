//! What the Connect form starts with: the values `config`'s one resolver settles from the same
//! places every command reads (flags, `TIMPORT_*` variables, the selected profile), shown with
//! each problem in words instead of failing on it. Loading a profile reads files: call it before
//! the async shell starts or in `spawn_blocking`.

use std::path::{Path, PathBuf};

use crate::api::{Endpoint, Region, SecretKey};
use crate::config::{
    ConfigFile, ConnectArgs, Key, KeySource, Paths, Place, Profile, RunFlags, RunSettings,
    SECRET_KEY_ENV, Settings, load_secret_key_from, resolve,
};

/// The sandbox's address when nothing else names one.
pub const DEFAULT_SANDBOX_URL: &str = "http://127.0.0.1:8080";

/// Where requests go, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointChoice {
    /// A Tencent Cloud data centre.
    Region(Region),
    /// A sandbox on this machine (the URL field says where).
    Sandbox,
    /// Any other base URL (the URL field).
    Custom,
}

impl EndpointChoice {
    /// Every choice in the order ←/→ cycles through them.
    pub fn all() -> Vec<EndpointChoice> {
        let mut all: Vec<EndpointChoice> = Region::ALL
            .into_iter()
            .map(EndpointChoice::Region)
            .collect();
        all.push(EndpointChoice::Sandbox);
        all.push(EndpointChoice::Custom);
        all
    }

    /// How the form shows it.
    pub fn label(self) -> String {
        match self {
            EndpointChoice::Region(r) => format!("{} ({})", r.label(), r.primary_host()),
            EndpointChoice::Sandbox => "Sandbox on this machine".into(),
            EndpointChoice::Custom => "Custom endpoint".into(),
        }
    }

    /// Whether the URL field is used.
    pub fn uses_url(self) -> bool {
        !matches!(self, EndpointChoice::Region(_))
    }

    /// The endpoint, given the URL field.
    pub fn endpoint(self, url: &str) -> Result<Endpoint, String> {
        match self {
            EndpointChoice::Region(r) => Ok(r.endpoint(false)),
            _ => Endpoint::parse(url.trim()).map_err(|e| e.to_string()),
        }
    }

    /// The choice for an endpoint from a flag or a profile.
    pub fn for_endpoint(endpoint: &Endpoint) -> EndpointChoice {
        if let Some(region) = Region::ALL
            .into_iter()
            .find(|r| r.endpoint(false) == *endpoint)
        {
            return EndpointChoice::Region(region);
        }
        if endpoint.is_loopback() {
            EndpointChoice::Sandbox
        } else {
            EndpointChoice::Custom
        }
    }
}

/// Where the secret key came from (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOrigin {
    /// Read from this file.
    KeyFile(PathBuf),
    /// `TIMPORT_SECRET_KEY`.
    Env,
    /// Typed into the form, for this session only.
    Typed,
    /// Given by `timport demo` (the sandbox's own key).
    Demo,
}

impl SecretOrigin {
    /// How the form says it.
    pub fn describe(&self) -> String {
        match self {
            SecretOrigin::KeyFile(p) => format!("from key file {}", p.display()),
            SecretOrigin::Env => format!("from {SECRET_KEY_ENV}"),
            SecretOrigin::Typed => "typed, for this session only".into(),
            SecretOrigin::Demo => "the demo sandbox's key".into(),
        }
    }
}

/// A loaded secret key with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSecret {
    /// The key (its `Debug` is redacted).
    pub key: SecretKey,
    /// Where it came from.
    pub origin: SecretOrigin,
    /// Warnings, e.g. a key file readable by others.
    pub warnings: Vec<String>,
}

impl From<Key> for LoadedSecret {
    fn from(k: Key) -> Self {
        LoadedSecret {
            key: k.key,
            origin: match k.source {
                KeySource::File(path) => SecretOrigin::KeyFile(path),
                KeySource::Env => SecretOrigin::Env,
            },
            warnings: k.warnings,
        }
    }
}

/// The form's values.
#[derive(Debug, Clone)]
pub struct Prefill {
    /// Profiles in the config file.
    pub profiles: Vec<String>,
    /// The profile the values came from.
    pub profile: Option<String>,
    /// Where requests go.
    pub choice: EndpointChoice,
    /// The URL for a sandbox or custom endpoint.
    pub url: String,
    /// The SDKAppID.
    pub sdkappid: Option<u64>,
    /// The admin account.
    pub admin: Option<String>,
    /// The key file, when one is named.
    pub key_file: Option<PathBuf>,
    /// The key, when one could be loaded.
    pub secret: Option<LoadedSecret>,
    /// What could not be settled, in words (never holding the key).
    pub problems: Vec<String>,
}

impl Prefill {
    /// Whether everything needed to test the connection is there.
    pub fn is_complete(&self) -> bool {
        self.sdkappid.is_some()
            && self.admin.is_some()
            && self.secret.is_some()
            && self.choice.endpoint(&self.url).is_ok()
    }

    /// The form's values from the resolved settings, with every problem and warning in words.
    pub fn from_settings(settings: &Settings) -> Prefill {
        let (choice, url) = match &settings.place {
            Some(Place::Region(r)) => (EndpointChoice::Region(*r), DEFAULT_SANDBOX_URL.into()),
            Some(Place::Endpoint(e)) => (EndpointChoice::for_endpoint(e), e.base().to_owned()),
            None => (EndpointChoice::Sandbox, DEFAULT_SANDBOX_URL.into()),
        };
        let mut problems = settings.problems();
        problems.extend(settings.warnings.iter().cloned());
        Prefill {
            profiles: settings.profiles.clone(),
            profile: settings.profile.clone(),
            choice,
            url,
            sdkappid: settings.sdkappid,
            admin: settings.admin.clone(),
            key_file: settings.key_file.clone(),
            secret: settings.key.clone().map(LoadedSecret::from),
            problems,
        }
    }
}

/// A profile loaded from the Connect form: its connection for the form, and the run options
/// (rate, lanes, message policy) it gives the console's next runs.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    /// The form's values.
    pub prefill: Prefill,
    /// The profile's run options (else the defaults).
    pub run: RunSettings,
}

/// Loads profile `name` as the form does: the profile's own values (not the command line's),
/// with `env_key` as the value of `TIMPORT_SECRET_KEY`. A config file that cannot be read is an
/// error; a profile that does not exist is a problem shown on the form.
pub fn load_profile(
    paths: &Paths,
    name: &str,
    env_key: Option<String>,
) -> Result<LoadedProfile, String> {
    let file = ConfigFile::load(&paths.config_file()).map_err(|e| e.to_string())?;
    let args = ConnectArgs {
        profile: Some(name.to_owned()),
        ..ConnectArgs::default()
    };
    let settings = resolve(&args, &RunFlags::default(), Ok(file), paths, env_key);
    Ok(LoadedProfile {
        prefill: Prefill::from_settings(&settings),
        run: settings.run,
    })
}

/// Loads the key from a file the operator named in the form.
pub fn key_from_file(path: &Path) -> Result<LoadedSecret, String> {
    load_secret_key_from(Some(path), None)
        .map(|loaded| LoadedSecret {
            key: loaded.key,
            origin: SecretOrigin::KeyFile(path.to_owned()),
            warnings: loaded.warnings,
        })
        .map_err(|e| e.to_string())
}

/// Loads the key from `TIMPORT_SECRET_KEY` (its value passed in).
pub fn key_from_env(value: Option<String>) -> Result<LoadedSecret, String> {
    load_secret_key_from(None, value)
        .map(|loaded| LoadedSecret {
            key: loaded.key,
            origin: SecretOrigin::Env,
            warnings: loaded.warnings,
        })
        .map_err(|_| format!("{SECRET_KEY_ENV} is not set (or empty) in this terminal"))
}

/// The profile the form would save: never the secret; the key file only when the key came from
/// one.
pub fn profile_of(
    choice: EndpointChoice,
    url: &str,
    sdkappid: Option<u64>,
    admin: &str,
    key_file: Option<&Path>,
) -> Result<Profile, String> {
    let mut profile = Profile::default();
    match choice {
        EndpointChoice::Region(r) => profile.region = Some(r),
        _ => profile.endpoint = Some(choice.endpoint(url)?),
    }
    profile.sdkappid = sdkappid;
    profile.admin = Some(admin.trim().to_owned()).filter(|a| !a.is_empty());
    profile.key_file = key_file.map(Path::to_owned);
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn prefill(
        args: &ConnectArgs,
        file: &ConfigFile,
        paths: &Paths,
        env_key: Option<String>,
    ) -> Prefill {
        Prefill::from_settings(&resolve(
            args,
            &RunFlags::default(),
            Ok(file.clone()),
            paths,
            env_key,
        ))
    }

    fn fixture(config: &str) -> (tempfile::TempDir, Paths, ConfigFile) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("cfg"),
            data_dir: dir.path().join("data"),
        };
        std::fs::create_dir_all(&paths.config_dir).unwrap();
        std::fs::write(paths.config_file(), config).unwrap();
        let file = ConfigFile::load(&paths.config_file()).unwrap();
        (dir, paths, file)
    }

    #[test]
    fn the_profile_fills_the_form_and_flags_win() {
        let (_d, paths, file) = fixture(
            "default_profile = \"p\"\n[profiles.p]\nregion = \"tokyo\"\nsdkappid = 7\nadmin = \"boss\"\n[profiles.q]\nendpoint = \"http://127.0.0.1:9\"\n",
        );
        let p = prefill(&ConnectArgs::default(), &file, &paths, Some(KEY.into()));
        assert_eq!(p.profile.as_deref(), Some("p"));
        assert_eq!(p.choice, EndpointChoice::Region(Region::Tokyo));
        assert_eq!((p.sdkappid, p.admin.as_deref()), (Some(7), Some("boss")));
        assert_eq!(p.secret.as_ref().unwrap().origin, SecretOrigin::Env);
        assert!(p.is_complete(), "{:?}", p.problems);
        assert_eq!(p.profiles, vec!["p", "q"]);

        let args = ConnectArgs {
            profile: Some("q".into()),
            admin: Some("flag-admin".into()),
            ..ConnectArgs::default()
        };
        let q = prefill(&args, &file, &paths, None);
        assert_eq!(q.choice, EndpointChoice::Sandbox);
        assert_eq!(q.url, "http://127.0.0.1:9");
        assert_eq!(q.admin.as_deref(), Some("flag-admin"));
        assert!(q.secret.is_none() && !q.is_complete());
    }

    #[test]
    fn problems_are_words_and_never_the_key() {
        let (_d, paths, file) = fixture("");
        let args = ConnectArgs {
            profile: Some("nope".into()),
            region: Some("mars".into()),
            key_file: Some(KEY.into()),
            ..ConnectArgs::default()
        };
        let p = prefill(&args, &file, &paths, None);
        let text = p.problems.join("\n");
        assert!(text.contains("no profile 'nope'"), "{text}");
        assert!(text.contains("unknown region 'mars'"), "{text}");
        assert!(text.contains("looks like the secret key itself"), "{text}");
        assert!(!text.contains(&KEY[..16]), "{text}");
    }

    #[test]
    fn endpoints_map_back_to_their_choice() {
        let tokyo = Region::Tokyo.endpoint(false);
        assert_eq!(
            EndpointChoice::for_endpoint(&tokyo),
            EndpointChoice::Region(Region::Tokyo)
        );
        let custom = Endpoint::parse("https://proxy.example.com").unwrap();
        assert_eq!(
            EndpointChoice::for_endpoint(&custom),
            EndpointChoice::Custom
        );
        assert!(
            EndpointChoice::Custom
                .endpoint("http://example.com")
                .is_err()
        );
    }

    #[test]
    fn keys_load_from_a_file_or_the_environment_and_say_where_from() {
        let (dir, paths, _) = fixture("");
        let file = paths.config_dir.join("k.key");
        std::fs::write(&file, format!("{KEY}\n")).unwrap();
        let loaded = key_from_file(&file).unwrap();
        assert_eq!(loaded.key.expose(), KEY);
        assert_eq!(loaded.origin, SecretOrigin::KeyFile(file.clone()));
        let missing = key_from_file(&dir.path().join("nope.key")).unwrap_err();
        assert!(missing.contains("nope.key"), "{missing}");
        assert_eq!(
            key_from_env(Some(KEY.into())).unwrap().origin,
            SecretOrigin::Env
        );
        let none = key_from_env(None).unwrap_err();
        assert!(none.contains("TIMPORT_SECRET_KEY"), "{none}");
        assert!(!format!("{loaded:?}").contains(KEY));
    }

    #[test]
    fn a_saved_profile_never_holds_the_key() {
        let profile = profile_of(
            EndpointChoice::Sandbox,
            "http://127.0.0.1:8080",
            Some(1),
            " admin ",
            None,
        )
        .unwrap();
        assert_eq!(profile.admin.as_deref(), Some("admin"));
        assert_eq!(profile.key_file, None);
        let text = toml::to_string(&profile).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn loading_a_profile_brings_its_run_options() {
        let (_d, paths, _) = fixture(
            "default_profile = \"slow\"\n[profiles.slow]\nrate = 10\n[profiles.fast]\nendpoint = \"http://127.0.0.1:9\"\nsdkappid = 3\nrate = 150\nlanes = 4\non_message_error = \"skip\"\n",
        );
        let fast = load_profile(&paths, "fast", Some(KEY.into())).unwrap();
        assert_eq!(fast.prefill.profile.as_deref(), Some("fast"));
        assert_eq!(fast.prefill.url, "http://127.0.0.1:9");
        assert_eq!(
            (fast.run.rate, fast.run.lanes, fast.run.on_message_error),
            (150, 4, crate::engine::OnMessageError::Skip)
        );
        let slow = load_profile(&paths, "slow", None).unwrap();
        assert_eq!(
            (slow.run.rate, slow.run.lanes, slow.run.on_message_error),
            (10, 32, crate::engine::OnMessageError::Pause)
        );
        let gone = load_profile(&paths, "gone", None).unwrap();
        assert!(
            gone.prefill.problems[0].contains("no profile 'gone'"),
            "{:?}",
            gone.prefill.problems
        );
    }

    #[test]
    fn a_key_pasted_into_a_profile_never_reaches_the_form() {
        let (_d, paths, file) = fixture(&format!("[profiles.p]\nkey_file = \"{KEY}\"\n"));
        let args = ConnectArgs {
            profile: Some("p".into()),
            ..ConnectArgs::default()
        };
        let p = prefill(&args, &file, &paths, None);
        assert_eq!(p.key_file, None, "the key file field would show the key");
        let text = format!("{p:?}");
        assert!(!text.contains(&KEY[..16]), "{text}");
        let problems = p.problems.join("\n");
        assert!(
            problems.contains("looks like the secret key itself"),
            "{problems}"
        );
        assert!(!problems.contains(&KEY[..16]), "{problems}");
    }
}
