//! The command line: argument definitions (the contract in DESIGN.md) and one handler per command.
//!
//! Owns: parsing, exit codes, and wiring the library together for each command.
//! Must not hold logic of its own: rules live in `staging`, `plan`, `engine`; wire details in `api`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod console;
mod demo;
mod plan;
mod report;
mod run;
mod run_settings;
mod sandbox;
mod usersig;
mod validate;

/// Exit codes, as DESIGN.md gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: all done.
    Done = 0,
    /// 1: finished with failed or skipped messages.
    Failed = 1,
    /// 2: bad input or usage.
    BadInput = 2,
    /// 3: stopped by an unrecoverable service or connection error (auth, region, network).
    Stopped = 3,
    /// 130: interrupted by Ctrl-C (the shell convention, 128 + SIGINT); the ledger says where.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// timport: migrate chat history into Tencent Cloud Chat (import_group_msg).
#[derive(Debug, Parser)]
#[command(name = "timport", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the console opens on the saved profile.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Connection options for the console.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The console's staging directory (scanned at start; screen 3 can change it).
    #[arg(long, env = "TIMPORT_STAGING")]
    pub staging: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a sandbox seeded from assets/demo and open the console on it.
    Demo(DemoArgs),
    /// Run the local stand-in of the service.
    Sandbox(SandboxArgs),
    /// Check staged files offline (and online with credentials).
    Validate(ValidateArgs),
    /// Print the exact request bodies that would be sent for a group.
    Plan(PlanArgs),
    /// Import staged messages headless.
    Run(RunArgs),
    /// Summarise a run from the ledger.
    Report(ReportArgs),
    /// Print a UserSig for the configured admin.
    Usersig(UsersigArgs),
}

/// How to reach the service. Every option also reads `TIMPORT_<NAME>`; the secret key comes from
/// `TIMPORT_SECRET_KEY` or `--key-file`, never from a command-line value.
#[derive(Debug, Clone, Default, Args)]
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

/// `timport demo`
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {}

/// `timport sandbox`
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "TIMPORT_SANDBOX_LISTEN")]
    pub listen: String,
    /// Seed file (JSON) with groups, messages and accounts.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Probability (0..1) that a request gets an injected fault.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Which faults to inject (comma separated); default all.
    #[arg(long, value_delimiter = ',')]
    pub fault_kinds: Vec<String>,
    /// Refuse a message whose SendTime equals the group's newest message time.
    #[arg(long)]
    pub strict_time: bool,
    /// Only requests for this command get random faults (e.g. import_group_msg).
    #[arg(long)]
    pub fault_command: Option<String>,
    /// Seed for random faults, assigned group ids and drawn Randoms (reproducible runs).
    #[arg(long)]
    pub fault_seed: Option<u64>,
    /// Largest accepted message in bytes of its compact JSON (else per-message 80002).
    #[arg(long, default_value_t = crate::sandbox::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
    /// Requests per second admitted before answers turn into 60007.
    #[arg(long, default_value_t = crate::sandbox::DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
}

/// `timport validate`
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Staging directory (or a single file).
    pub staging: PathBuf,
    /// One JSON object per line on stdout.
    #[arg(long)]
    pub json: bool,
    /// The message rules.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Skip the online checks even when credentials are configured.
    #[arg(long)]
    pub offline: bool,
    /// List at most this many problems (all are counted); 0 lists every one.
    #[arg(long, default_value_t = crate::staging::options::DEFAULT_MAX_LISTED_PROBLEMS)]
    pub max_problems: usize,
}

/// Options of the message rules, shared by `validate` and `plan`.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Send element types other than the four import_group_msg documents (with a warning).
    #[arg(long)]
    pub allow_other_elements: bool,
    /// Largest message in bytes, as the compact JSON that is sent.
    #[arg(long, default_value_t = crate::staging::options::DEFAULT_MAX_MESSAGE_BYTES as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_message_bytes: u32,
}

/// `timport plan`
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Staging directory (or a single file).
    pub staging: PathBuf,
    /// The group to plan (with all its topics).
    #[arg(long)]
    pub group: String,
    /// One compact request body per line.
    #[arg(long)]
    pub json: bool,
    /// Messages per request (1 to 7).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..=7))]
    pub batch_size: u8,
    /// The message rules.
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `timport run`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Staging directory (or a single file).
    pub staging: PathBuf,
    /// Only these groups (repeatable).
    #[arg(long)]
    pub group: Vec<String>,
    /// One JSON object per event on stdout.
    #[arg(long)]
    pub json: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Requests per second for the whole run, at most 200 (default: the profile's, else 180).
    #[arg(long, env = "TIMPORT_RATE")]
    pub rate: Option<u32>,
    /// Groups imported at the same time (default: the profile's, else 32).
    #[arg(long, env = "TIMPORT_LANES")]
    pub lanes: Option<usize>,
    /// When the service refuses a message: pause that group's lane, or skip the message with a
    /// recorded reason (default: the profile's, else pause).
    #[arg(long, value_parser = run_settings::parse_on_message_error, env = "TIMPORT_ON_MESSAGE_ERROR")]
    pub on_message_error: Option<crate::config::OnMessageError>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// Start a new run of this staging instead of resuming the latest one.
    #[arg(long)]
    pub new_run: bool,
    /// Send again, once, the messages an earlier invocation of this run left failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Seconds after sending before a request whose outcome is unknown (or that an earlier
    /// process left in flight) is read back.
    #[arg(long, default_value_t = 6.0)]
    pub settle_delay: f64,
    /// The message rules.
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `timport report`
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Run id (default: the latest).
    pub run: Option<String>,
    /// Write the failed messages as a staging file.
    #[arg(long)]
    pub failed_out: Option<PathBuf>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// One JSON object on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// `timport usersig`
#[derive(Debug, Clone, Args)]
pub struct UsersigArgs {
    /// Lifetime in seconds, at most 15552000 (180 days).
    #[arg(long, default_value_t = crate::api::usersig::DEFAULT_EXPIRE_SECS)]
    pub expire: u64,
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    crate::heap::limit_arenas();
    let cli = Cli::parse();
    let exit = match cli.command {
        None => console::run(&cli),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Sandbox(args)) => sandbox::run(&args, &cli.connect),
        Some(Command::Validate(args)) => validate::run(&args, &cli.connect),
        Some(Command::Plan(args)) => plan::run(&args),
        Some(Command::Run(args)) => run::run(&cli.connect, &args),
        Some(Command::Report(args)) => report::run(&cli.connect, &args),
        Some(Command::Usersig(args)) => usersig::run(&cli.connect, &args),
    };
    exit.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let codes = [
            Exit::Done,
            Exit::Failed,
            Exit::BadInput,
            Exit::Stopped,
            Exit::Interrupted,
        ]
        .map(|e| e as u8);
        assert_eq!(codes, [0, 1, 2, 3, 130]);
        assert_eq!(
            Exit::Interrupted as u8,
            crate::engine::run::EXIT_INTERRUPTED
        );
    }
}
