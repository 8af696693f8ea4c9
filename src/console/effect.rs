//! Everything `state::update` may ask the shell to do. Effects are data: `update` stays pure and
//! tests read what it asked for. The shell (`app.rs`, `exec.rs`) performs each one, on a task when
//! it waits on anything, and reports back with a [`super::msg::Msg`].

use std::path::PathBuf;

use crate::api::{Client, Credentials, Endpoint};
use crate::config::Profile;

/// A side effect requested by `update`.
#[derive(Debug)]
pub enum Effect {
    /// Read a profile for the form.
    LoadProfile {
        /// The profile.
        name: String,
    },
    /// Read the secret key from a file.
    KeyFromFile {
        /// The file.
        path: PathBuf,
    },
    /// Read the secret key from `TIMPORT_SECRET_KEY`.
    KeyFromEnv,
    /// Make a client and test it with one cheap call.
    TestConnection {
        /// Which test (answers to older ones are ignored).
        attempt: u64,
        /// Where.
        endpoint: Endpoint,
        /// Who (the key's `Debug` is redacted).
        creds: Credentials,
    },
    /// Save the form as a profile (it never holds the secret).
    SaveProfile {
        /// Its name.
        name: String,
        /// Its settings.
        profile: Profile,
    },
    /// Page in the app's groups (ids, then details), replacing any listing still going.
    ListGroups {
        /// Which listing.
        generation: u64,
        /// The tested client.
        client: Client,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Turn mouse capture on or off.
    SetMouse(bool),
}
