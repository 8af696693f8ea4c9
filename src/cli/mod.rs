//! The command line: argument definitions (a contract: docs/reference.md lists them, checked
//! against `--help`) and one handler per command.
//!
//! Owns: parsing, exit codes, the log file (`logging`: the console's and `timport run`'s), and
//! wiring the library together for each command.
//! Must not hold logic of its own: rules live in `staging`, `plan`, `engine`; wire details in `api`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::ConnectArgs;
pub use crate::exit::Exit;

mod attached;
mod console;
mod decide;
pub mod demo;
mod headless;
pub mod logging;
mod plan;
mod report;
mod run;
mod sandbox;
mod shell;
mod usersig;
mod validate;
mod verify;
mod watch;

/// timport: migrate chat history into Tencent Cloud Chat (import_group_msg).
#[derive(Debug, Parser)]
#[command(
    name = "timport",
    version,
    about,
    long_about = None,
    after_help = "Without a command, timport opens the console (a terminal UI) on the saved profile; `timport demo` opens it on sample data. Options marked [env] also read that variable (docs/reference.md)."
)]
pub struct Cli {
    /// What to do; without a command the console opens on the saved profile.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The console's staging directory (scanned at start; screen 3 can change it).
    #[arg(long, env = "TIMPORT_STAGING")]
    pub staging: Option<PathBuf>,
    /// The console shows times in UTC instead of this machine's local time.
    #[arg(long, env = "TIMPORT_UTC")]
    pub utc: bool,
    /// Open the console attached to the run going on the ledger in another process (a
    /// `timport run`, or a run a console left going): its Run screen, its decisions.
    #[arg(long)]
    pub attach: bool,
    /// The run options of the imports the console launches.
    #[command(flatten)]
    pub run_options: RunOptionArgs,
    /// What the console's launches do with bursts.
    #[command(flatten)]
    pub same_second: SameSecondArg,
    /// Connection options for the console (listed after the command's own options).
    #[command(flatten)]
    pub connect: ConnectArgs,
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
    /// Print the exact request bodies every phase would send (or those of one group).
    Plan(PlanArgs),
    /// Import staged messages headless.
    Run(RunArgs),
    /// Summarise a run from the ledger.
    Report(ReportArgs),
    /// Read every target of a run back and compare it with the ledger and the staged files.
    Verify(VerifyArgs),
    /// Decide about every message of a run refused with one code (skip or retry).
    Decide(DecideArgs),
    /// Follow the `timport run` going on the ledger, read-only, in plain text.
    Watch(WatchArgs),
    /// Print a UserSig for the configured admin.
    Usersig(UsersigArgs),
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page, or write one per command into a directory.
    Man(ManArgs),
}

/// `timport completions SHELL`
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::aot::Shell,
}

/// `timport man`
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write timport.1 and a page per command (timport-run.1, ...) into this directory instead
    /// of printing timport.1.
    #[arg(long)]
    pub dir: Option<PathBuf>,
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
    /// Read "later than the group's newest message" strictly across requests: a request's
    /// messages must be later than the newest before it (equal times only within one request).
    #[arg(long)]
    pub strict_time: bool,
    /// Read it strictly per message: no two messages of a group may share a second, even in one
    /// request.
    #[arg(long, conflicts_with = "strict_time")]
    pub strict_time_per_message: bool,
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
    /// A command's own limit, COMMAND=N requests per second (repeatable; replaces the
    /// documented ones, such as multiaccount_import=100, for that command; N=0 lifts it).
    #[arg(long, value_name = "COMMAND=N")]
    pub command_limit: Vec<String>,
    /// Owners and members must be accounts already, as the service requires (by default the
    /// sandbox makes them accounts).
    #[arg(long)]
    pub require_accounts: bool,
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
    /// What to do with bursts.
    #[command(flatten)]
    pub same_second: SameSecondArg,
}

/// `--same-second`, shared by `validate`, `plan` and `run`.
#[derive(Debug, Clone, Args)]
pub struct SameSecondArg {
    /// A second holding more than 7 messages (a burst): keep every message at its SendTime
    /// (the burst is split across requests), or spread its overflow one second later at a time
    /// (default: the profile's, else keep).
    #[arg(long, value_parser = crate::plan::SameSecond::parse, env = "TIMPORT_SAME_SECOND")]
    pub same_second: Option<crate::plan::SameSecond>,
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
    /// The group to plan (with all its topics); without it, every staged group.
    #[arg(long)]
    pub group: Option<String>,
    /// The phases to plan, comma separated, of accounts,groups,messages,members (default: every
    /// phase the staging holds).
    #[arg(long)]
    pub phases: Option<String>,
    /// One compact request body per line.
    #[arg(long)]
    pub json: bool,
    /// Messages per request (1 to 7).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..=7))]
    pub batch_size: u8,
    /// The message rules.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// What to do with bursts.
    #[command(flatten)]
    pub same_second: SameSecondArg,
}

/// The options of a run that a profile may also hold: `timport run`'s, and the console's for
/// the runs it launches (flag > variable > profile > default, through `config::resolve`).
#[derive(Debug, Clone, Default, Args)]
pub struct RunOptionArgs {
    /// Requests per second for the whole run, at most 200 (default: the profile's, else 180).
    #[arg(long, env = "TIMPORT_RATE")]
    pub rate: Option<u32>,
    /// Groups imported at the same time (default: the profile's, else 32).
    #[arg(long, env = "TIMPORT_LANES")]
    pub lanes: Option<usize>,
    /// When the service refuses a message: pause that group's lane, or skip the message with a
    /// recorded reason (default: the profile's, else pause).
    #[arg(long, value_parser = parse_on_message_error, env = "TIMPORT_ON_MESSAGE_ERROR")]
    pub on_message_error: Option<crate::engine::OnMessageError>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
}

impl RunOptionArgs {
    /// The flags as the settings resolver takes them.
    pub fn flags(
        &self,
        same_second: Option<crate::plan::SameSecond>,
        utc: Option<bool>,
    ) -> crate::config::RunFlags {
        crate::config::RunFlags {
            rate: self.rate,
            lanes: self.lanes,
            on_message_error: self.on_message_error,
            same_second,
            ledger: self.ledger.clone(),
            utc,
        }
    }
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
    /// Rate, lanes, message policy and ledger.
    #[command(flatten)]
    pub options: RunOptionArgs,
    /// Start a new run of this staging instead of resuming the latest one.
    #[arg(long)]
    pub new_run: bool,
    /// Send again, once, the messages an earlier invocation of this run left failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// A lane stopped at a message waits for a decision (`timport decide`, through the run's
    /// control socket) instead of ending there.
    #[arg(long)]
    pub wait_for_decisions: bool,
    /// Seconds after sending before a request whose outcome is unknown (or that an earlier
    /// process left in flight) is read back.
    #[arg(long, default_value_t = 6.0)]
    pub settle_delay: f64,
    /// The phases to carry out, comma separated, of accounts,groups,messages,members (default:
    /// every phase the staging holds).
    #[arg(long)]
    pub phases: Option<String>,
    /// Import the senders, owners and members that are neither in the app nor in
    /// accounts.jsonl, by UserID alone (without it the run stops before sending, naming them).
    #[arg(long)]
    pub import_missing_senders: bool,
    /// The message rules.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// What to do with bursts.
    #[command(flatten)]
    pub same_second: SameSecondArg,
}

/// `timport report`
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Run id (default: the latest).
    pub run: Option<String>,
    /// Write the failed messages as a staging file.
    #[arg(long)]
    pub failed_out: Option<PathBuf>,
    /// Write a sign-off report: one self-contained HTML page (no network needed to read it).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the sign-off report as Markdown.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// One JSON object on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// `timport verify`
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Run id (default: the latest).
    pub run: Option<String>,
    /// Only these groups, with their topics (repeatable).
    #[arg(long)]
    pub group: Vec<String>,
    /// One JSON object per finding on stdout (each target's result and a summary after).
    #[arg(long)]
    pub json: bool,
    /// Reads per second, at most 200 (default: the profile's rate, else 180).
    #[arg(long, env = "TIMPORT_RATE")]
    pub rate: Option<u32>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// Start a new verification instead of going on with an unfinished one.
    #[arg(long)]
    pub restart: bool,
}

/// `timport decide`
#[derive(Debug, Clone, Args)]
pub struct DecideArgs {
    /// Run id (as `timport report` shows it).
    pub run: i64,
    /// The service's error code the decision is about.
    #[arg(long)]
    pub code: i64,
    /// Only this group (with its topics); default every group of the run.
    #[arg(long)]
    pub group: Option<String>,
    /// Skip the messages (with --reason).
    #[arg(long, conflicts_with = "retry")]
    pub skip: bool,
    /// Send the messages once more.
    #[arg(long)]
    pub retry: bool,
    /// Why they are skipped (recorded with each message).
    #[arg(long)]
    pub reason: Option<String>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
}

/// `timport watch`
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Run id: refuse to watch another (default: whichever run is going).
    pub run: Option<i64>,
    /// The ledger (default: the profile's, else ledger.sqlite3 in the data directory).
    #[arg(long, env = "TIMPORT_LEDGER")]
    pub ledger: Option<PathBuf>,
}

/// `timport usersig`
#[derive(Debug, Clone, Args)]
pub struct UsersigArgs {
    /// Lifetime in seconds, at most 15552000 (180 days).
    #[arg(long, default_value_t = crate::api::usersig::DEFAULT_EXPIRE_SECS)]
    pub expire: u64,
}

/// Parses `pause` or `skip` (for clap).
fn parse_on_message_error(text: &str) -> Result<crate::engine::OnMessageError, String> {
    use crate::engine::OnMessageError;
    [OnMessageError::Pause, OnMessageError::Skip]
        .into_iter()
        .find(|p| p.word() == text)
        .ok_or_else(|| format!("'{text}' is not pause or skip"))
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
        Some(Command::Plan(args)) => plan::run(&args, &cli.connect),
        Some(Command::Run(args)) => run::run(&cli.connect, &args),
        Some(Command::Report(args)) => report::run(&cli.connect, &args),
        Some(Command::Verify(args)) => verify::run(&cli.connect, &args),
        Some(Command::Decide(args)) => decide::run(&cli.connect, &args),
        Some(Command::Watch(args)) => watch::run(&cli.connect, &args),
        Some(Command::Usersig(args)) => usersig::run(&cli.connect, &args),
        Some(Command::Completions(args)) => shell::completions(&args),
        Some(Command::Man(args)) => shell::man(&args),
    };
    exit.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_policy_is_pause_or_skip() {
        use crate::engine::OnMessageError;
        assert_eq!(parse_on_message_error("skip"), Ok(OnMessageError::Skip));
        assert_eq!(parse_on_message_error("pause"), Ok(OnMessageError::Pause));
        assert!(
            parse_on_message_error("later")
                .unwrap_err()
                .contains("pause or skip")
        );
    }

    #[test]
    fn the_console_takes_the_run_options_as_run_does() {
        use crate::config::{ConfigFile, Paths, resolve};
        use crate::engine::OnMessageError;
        use crate::plan::SameSecond;
        // A profile with its own run options: the console's flags beat it, as run's do.
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("cfg"),
            data_dir: dir.path().join("data"),
        };
        let file: ConfigFile = toml::from_str(
            "default_profile = \"p\"\n[profiles.p]\nrate = 50\nlanes = 4\nledger = \"p.sqlite3\"\n",
        )
        .unwrap();
        let settings = |argv: &[&str]| {
            let cli = Cli::try_parse_from(argv).unwrap();
            let flags = match &cli.command {
                Some(Command::Run(args)) => args.options.flags(args.same_second.same_second, None),
                _ => cli.run_options.flags(cli.same_second.same_second, None),
            };
            resolve(&cli.connect, &flags, Ok(file.clone()), &paths, None).run
        };
        let console = settings(&[
            "timport",
            "--rate",
            "77",
            "--on-message-error",
            "skip",
            "--same-second",
            "spread",
            "--ledger",
            "/l.sqlite3",
        ]);
        assert_eq!(console.rate, 77);
        assert_eq!(console.lanes, 4, "the profile's where no flag is given");
        assert_eq!(console.on_message_error, OnMessageError::Skip);
        assert_eq!(console.same_second, SameSecond::Spread);
        assert_eq!(console.ledger, std::path::PathBuf::from("/l.sqlite3"));
        let run = settings(&["timport", "run", "/staging", "--rate", "77", "--lanes", "9"]);
        assert_eq!((run.rate, run.lanes), (77, 9));
        assert_eq!(settings(&["timport"]).rate, 50);
    }
}
