//! A settled connection: where requests go and who signs them.

use super::args::ConnectArgs;
use super::error::ConfigError;
use super::settings::{RunFlags, Settings};
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
    /// Resolves from the real environment, strictly: the platform (or `TIMPORT_CONFIG_DIR`)
    /// config file and `TIMPORT_SECRET_KEY`. Reads files: from async code, call it in
    /// `spawn_blocking`.
    pub fn resolve(args: &ConnectArgs) -> Result<Connection, ConfigError> {
        Settings::from_env(args, &RunFlags::default())?.connection()
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
