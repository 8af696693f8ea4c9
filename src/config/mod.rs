//! Configuration: where timport keeps its files ([`Paths`]), the profiles in
//! `<config_dir>/config.toml` ([`ConfigFile`], [`Profile`]), the secret key ([`load_secret_key`])
//! and how a command's connection is settled from all of them ([`Connection::resolve`]).
//!
//! Precedence, for every option: command-line flag > `TIMPORT_*` environment variable (clap maps
//! both onto [`ConnectArgs`]) > the selected profile > built-in default.
//!
//! Owns: reading and writing the config file, locating the data directory, loading the key.
//! Must not touch: the network (nothing here calls the service) or the terminal. Never stores,
//! prints or echoes the secret key: a config file holding a key-like field is refused.

mod args;
mod error;
mod file;
mod paths;
mod resolve;
mod secret_key;

pub use args::ConnectArgs;
pub use error::ConfigError;
pub use file::{ConfigFile, Profile, list_profiles, save_profile};
pub use paths::{CONFIG_DIR_ENV, DATA_DIR_ENV, Paths};
pub use resolve::{Connection, resolve_connection, resolve_credentials, selected_profile};
pub use secret_key::{LoadedKey, SECRET_KEY_ENV, load_secret_key, load_secret_key_from};
