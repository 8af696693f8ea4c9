//! Configuration: where timport keeps its files ([`Paths`]), the profiles in
//! `<config_dir>/config.toml` ([`ConfigFile`], [`Profile`]), the secret key ([`load_secret_key`]),
//! the connection flags ([`ConnectArgs`]) and the one resolver that settles every setting from
//! all of them ([`resolve`] -> [`Settings`]: values and problems; strict for commands through
//! [`Settings::connection`], shown by the console's Connect form).
//!
//! Precedence, for every option: command-line flag > `TIMPORT_*` environment variable (clap maps
//! both onto [`ConnectArgs`] and [`RunFlags`]) > the selected profile > built-in default.
//!
//! Owns: reading and writing the config file, locating the data directory, loading the key,
//! settling the settings. Uses `engine` for the run options' types and defaults.
//! Must not touch: the network (nothing here calls the service) or the terminal. Never stores,
//! prints or echoes the secret key: a config file holding a key-like field is refused.

mod args;
mod connection;
mod error;
mod file;
mod paths;
mod resolve;
mod secret_key;
mod settings;

pub use args::ConnectArgs;
pub use connection::Connection;
pub use error::ConfigError;
pub use file::{ConfigFile, Profile, list_profiles, save_profile};
pub use paths::{CONFIG_DIR_ENV, DATA_DIR_ENV, Paths, log_file_name};
pub use resolve::{resolve, selected_profile};
pub use secret_key::{LoadedKey, SECRET_KEY_ENV, load_secret_key, load_secret_key_from};
pub use settings::{Key, KeySource, Place, RunFlags, RunSettings, Settings};
