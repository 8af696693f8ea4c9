//! The connection options every command that talks to the service takes (the CLI flattens them
//! into its arguments): each is a flag that also reads `TIMPORT_<NAME>` from the environment.

use std::path::PathBuf;

use clap::Args;

/// How to reach the service. Every option also reads `TIMPORT_<NAME>`; the secret key comes from
/// `TIMPORT_SECRET_KEY` or `--key-file`, never from a command-line value.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection options (every command)")]
pub struct ConnectArgs {
    /// Profile from the config file.
    #[arg(long, env = "TIMPORT_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Data centre: china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta.
    #[arg(long, env = "TIMPORT_REGION", global = true)]
    pub region: Option<String>,
    /// Base URL instead of a region (plain http only to loopback); wins over --region.
    #[arg(long, env = "TIMPORT_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// The app's SDKAppID.
    #[arg(long, env = "TIMPORT_SDKAPPID", global = true)]
    pub sdkappid: Option<u64>,
    /// The app admin account that signs requests.
    #[arg(long, env = "TIMPORT_ADMIN", global = true)]
    pub admin: Option<String>,
    /// File holding the secret key (or set TIMPORT_SECRET_KEY).
    #[arg(long, env = "TIMPORT_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
}
