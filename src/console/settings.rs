//! What the Connect form starts with, from the same places every command reads (flags,
//! `TIMPORT_*` variables, the selected profile; see `config`), without failing on what is missing:
//! the form shows what it found, and each problem in words. Reads files: call it before the async
//! shell starts or in `spawn_blocking`.

use std::path::{Path, PathBuf};

use crate::api::{Endpoint, Region, SecretKey};
use crate::config::ConnectArgs;
use crate::config::{
    ConfigFile, Paths, Profile, SECRET_KEY_ENV, load_secret_key_from, selected_profile,
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
}

/// The form's values from the real environment (`TIMPORT_CONFIG_DIR`, `TIMPORT_SECRET_KEY`).
pub fn read_prefill(args: &ConnectArgs) -> Prefill {
    match Paths::from_env() {
        Ok(paths) => {
            let env_key = std::env::var(SECRET_KEY_ENV).ok();
            match ConfigFile::load(&paths.config_file()) {
                Ok(file) => prefill(args, &file, &paths, env_key),
                Err(e) => {
                    let mut p = prefill(args, &ConfigFile::default(), &paths, env_key);
                    p.problems.insert(0, e.to_string());
                    p
                }
            }
        }
        Err(e) => Prefill {
            profiles: Vec::new(),
            profile: None,
            choice: EndpointChoice::Sandbox,
            url: DEFAULT_SANDBOX_URL.into(),
            sdkappid: args.sdkappid,
            admin: args.admin.clone(),
            key_file: args.key_file.clone(),
            secret: None,
            problems: vec![e.to_string()],
        },
    }
}

/// The form's values from `args` (flags and `TIMPORT_*` variables), the config file and the
/// value of `TIMPORT_SECRET_KEY`, in the precedence every command uses.
pub fn prefill(
    args: &ConnectArgs,
    file: &ConfigFile,
    paths: &Paths,
    env_key: Option<String>,
) -> Prefill {
    let mut problems = Vec::new();
    let selected = match selected_profile(args.profile.as_deref(), file, &paths.config_file()) {
        Ok(s) => s,
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let profile: Option<&Profile> = selected.map(|(_, p)| p);
    let (choice, url) = endpoint_choice(args, profile, &mut problems);
    let env_key = env_key.filter(|k| !k.trim().is_empty());
    let profile_key_file = profile.and_then(|p| p.key_file_path(&paths.config_dir));
    let key_file = args.key_file.clone().or(profile_key_file.clone());
    let secret = load_key(
        args.key_file.as_deref(),
        env_key,
        profile_key_file,
        &mut problems,
    );
    Prefill {
        profiles: file.profile_names(),
        profile: selected.map(|(name, _)| name.to_owned()),
        choice,
        url,
        sdkappid: args.sdkappid.or(profile.and_then(|p| p.sdkappid)),
        admin: args
            .admin
            .clone()
            .filter(|a| !a.trim().is_empty())
            .or_else(|| profile.and_then(|p| p.admin.clone())),
        key_file,
        secret,
        problems,
    }
}

fn endpoint_choice(
    args: &ConnectArgs,
    profile: Option<&Profile>,
    problems: &mut Vec<String>,
) -> (EndpointChoice, String) {
    if let Some(url) = &args.endpoint {
        match Endpoint::parse(url) {
            Ok(e) => return (EndpointChoice::for_endpoint(&e), e.base().to_owned()),
            Err(e) => problems.push(format!("--endpoint (or TIMPORT_ENDPOINT): {e}")),
        }
    } else if let Some(name) = &args.region {
        match name.parse::<Region>() {
            Ok(r) => return (EndpointChoice::Region(r), DEFAULT_SANDBOX_URL.into()),
            Err(e) => problems.push(format!("--region (or TIMPORT_REGION): {e}")),
        }
    }
    match profile {
        Some(Profile {
            endpoint: Some(e), ..
        }) => (EndpointChoice::for_endpoint(e), e.base().to_owned()),
        Some(Profile {
            region: Some(r), ..
        }) => (EndpointChoice::Region(*r), DEFAULT_SANDBOX_URL.into()),
        _ => (EndpointChoice::Sandbox, DEFAULT_SANDBOX_URL.into()),
    }
}

/// The key in the order every command uses: `--key-file`, `TIMPORT_SECRET_KEY`, the profile's
/// `key_file`. A failure becomes a problem line (its text never holds the key).
fn load_key(
    flag_file: Option<&Path>,
    env_key: Option<String>,
    profile_file: Option<PathBuf>,
    problems: &mut Vec<String>,
) -> Option<LoadedSecret> {
    let (file, origin_env) = match (flag_file, &env_key, &profile_file) {
        (Some(f), _, _) => (Some(f.to_owned()), false),
        (None, Some(_), _) => (None, true),
        (None, None, Some(f)) => (Some(f.clone()), false),
        (None, None, None) => return None,
    };
    match load_secret_key_from(file.as_deref(), if origin_env { env_key } else { None }) {
        Ok(loaded) => Some(LoadedSecret {
            key: loaded.key,
            origin: match file {
                Some(f) => SecretOrigin::KeyFile(f),
                None => SecretOrigin::Env,
            },
            warnings: loaded.warnings,
        }),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    }
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
}
