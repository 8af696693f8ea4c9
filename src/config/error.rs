//! Why configuration could not be settled. Every variant names the file, line, profile or option
//! at fault and says how to fix it; none ever carries the secret key.

use std::path::PathBuf;

use super::secret_key::SECRET_KEY_ENV;

/// Why configuration could not be loaded, saved or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No secret key anywhere.
    #[error(
        "no secret key: set {SECRET_KEY_ENV}, pass --key-file PATH (a file holding the key), or set key_file in the profile"
    )]
    NoSecretKey,
    /// The key file could not be read.
    #[error("cannot read the key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file setting that holds what looks like the key itself (not echoed back).
    #[error(
        "the key file setting ({origin}) looks like the secret key itself, not a path: put the key in a file readable only by you (chmod 600) and give that file's path, or set {SECRET_KEY_ENV}"
    )]
    KeyInsteadOfPath {
        /// Where the setting came from (`--key-file`, or the profile).
        origin: String,
    },
    /// The key file is not one key on one line (never quoting what it holds).
    #[error("the key file {} cannot be used: it {problem}", crate::escape::path(.path))]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The key file is empty.
    #[error("the key file {0} is empty")]
    EmptyKeyFile(PathBuf),
    /// No home directory to derive the default directories from.
    #[error(
        "cannot find a home directory for timport's config and data: set TIMPORT_CONFIG_DIR and TIMPORT_DATA_DIR"
    )]
    NoHome,
    /// The config file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML, or holds an unknown key or a bad value.
    #[error("{}:{line}: {message}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong (never the source text, which could hold a secret).
        message: String,
    },
    /// The config file holds a key-like field: timport never keeps the secret there.
    #[error(
        "{}:{line}: `{key}` looks like a secret; timport never reads the secret key from its config file: remove it, put the key in a file readable only by you (chmod 600) and set key_file = \"PATH\" in the profile, or set {SECRET_KEY_ENV}",
        .path.display()
    )]
    SecretInConfig {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The offending key.
        key: String,
    },
    /// A profile setting that cannot be used.
    #[error("{}: profile '{profile}': {message}", .path.display())]
    BadProfile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A profile name that does not exist.
    #[error("no profile '{name}' in {}{}", .path.display(), known_profiles(.known))]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The file.
        path: PathBuf,
        /// The profiles that exist.
        known: Vec<String>,
    },
    /// A profile name that cannot be saved.
    #[error(
        "cannot name a profile '{0}': use letters, digits, '-', '_' or '.' (at most 64 characters)"
    )]
    BadProfileName(String),
    /// A command-line option or environment variable with a value that cannot be used.
    #[error("{option}: {message}")]
    BadOption {
        /// `--region` (or `TIMPORT_REGION`), ...
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Required options given nowhere: one line per option, each saying how to give it.
    #[error("{}", missing_list(.0))]
    Missing(Vec<String>),
}

fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        " (it has no profiles yet)".to_owned()
    } else {
        format!(" (profiles: {})", known.join(", "))
    }
}

fn missing_list(lines: &[String]) -> String {
    match lines {
        [one] => one.clone(),
        many => format!(
            "{} settings are missing:\n  - {}",
            many.len(),
            many.join("\n  - ")
        ),
    }
}
