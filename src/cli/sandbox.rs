//! `timport sandbox`: runs the local stand-in of the service until Ctrl-C (or SIGTERM).
//!
//! Prints one line on stdout once it listens, so scripts can read the port when started with
//! `--listen 127.0.0.1:0`; everything else (warnings, one log line per request) goes to stderr.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::{Exit, SandboxArgs};
use crate::api::types::Command;
use crate::clock::unix_now;
use crate::config::ConnectArgs;
use crate::config::load_secret_key;
use crate::sandbox::{FaultConfig, FaultKind, SandboxConfig, Seed, StrictTime};

/// Runs `timport sandbox`.
pub fn run(args: &SandboxArgs, connect: &ConnectArgs) -> Exit {
    let config = match build_config(args, connect) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("timport sandbox: {message}");
            return Exit::BadInput;
        }
    };
    let Some(listen) = listen_address(&args.listen) else {
        eprintln!(
            "timport sandbox: --listen '{}' is not an address like 127.0.0.1:8080",
            args.listen
        );
        return Exit::BadInput;
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("timport sandbox: cannot start the async runtime: {error}");
            return Exit::Stopped;
        }
    };
    runtime.block_on(serve(config, listen))
}

/// `--listen` as an address: `IP:PORT`, or `NAME:PORT` (such as `localhost:8080`) looked up
/// once, here, before anything async runs (the first address found).
fn listen_address(listen: &str) -> Option<SocketAddr> {
    listen
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
}

async fn serve(config: SandboxConfig, listen: SocketAddr) -> Exit {
    let summary = describe(&config);
    let (sdkappid, admin) = (config.sdkappid, config.admin.clone());
    let handle = match crate::sandbox::start(config, listen).await {
        Ok(handle) => handle,
        Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("timport sandbox: {error}");
            return Exit::BadInput;
        }
        Err(error) => {
            eprintln!("timport sandbox: cannot listen on {listen}: {error}");
            return Exit::Stopped;
        }
    };
    println!(
        "timport sandbox listening on {} (sdkappid {sdkappid}, admin {admin})",
        handle.url()
    );
    eprintln!("{summary}");
    eprintln!(
        "connect with: --endpoint {} --sdkappid {sdkappid} --admin {admin} (same secret key); Ctrl-C stops",
        handle.url()
    );
    wait_for_stop().await;
    let stats = handle.stats();
    handle.shutdown().await;
    eprintln!(
        "timport sandbox stopped: {} requests, {} messages imported, {} repeats dropped, busiest second {} requests",
        stats.requests.values().sum::<u64>(),
        stats.messages_imported,
        stats.duplicates_dropped,
        stats.max_requests_per_second
    );
    Exit::Done
}

/// The sandbox's configuration from the flags, the seed file and the secret key.
/// Flags win over the seed, which wins over the defaults.
fn build_config(args: &SandboxArgs, connect: &ConnectArgs) -> Result<SandboxConfig, String> {
    let loaded = load_secret_key(connect.key_file.as_deref()).map_err(|e| e.to_string())?;
    for warning in &loaded.warnings {
        eprintln!("timport sandbox: warning: {warning}");
    }
    let mut config = SandboxConfig::new(loaded.key);
    if let Some(path) = &args.seed {
        let seed = Seed::load(path, unix_now()).map_err(|e| e.to_string())?;
        config = config.with_seed(seed);
    }
    if let Some(sdkappid) = connect.sdkappid {
        config.sdkappid = sdkappid;
    }
    if let Some(admin) = &connect.admin {
        if admin.is_empty() {
            return Err("--admin is empty".into());
        }
        config.admin = admin.clone();
    }
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(format!(
            "--fault-rate {} is not a probability between 0 and 1",
            args.fault_rate
        ));
    }
    let kinds = if args.fault_kinds.is_empty() {
        FaultKind::all_defaults()
    } else {
        args.fault_kinds
            .iter()
            .map(|k| FaultKind::parse(k))
            .collect::<Result<Vec<_>, _>>()?
    };
    let command = match &args.fault_command {
        None => None,
        Some(name) => Some(
            Command::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    format!("--fault-command '{name}' is not a command timport calls")
                })?,
        ),
    };
    config.faults = FaultConfig {
        rate: args.fault_rate,
        kinds,
        command,
        seed: args.fault_seed,
    };
    config.latency = Duration::from_millis(args.latency_ms);
    config.strict_time = match (args.strict_time, args.strict_time_per_message) {
        (_, true) => StrictTime::PerMessage,
        (true, false) => StrictTime::AcrossRequests,
        (false, false) => StrictTime::Off,
    };
    config.max_message_bytes = args.max_message_bytes;
    if args.rate_limit == 0 {
        return Err("--rate-limit must be at least 1".into());
    }
    config.rate_limit = args.rate_limit;
    set_command_limits(&mut config, &args.command_limit)?;
    config.require_accounts = args.require_accounts;
    Ok(config)
}

/// Applies each `--command-limit COMMAND=N` in turn: N replaces the command's limit, 0 lifts it.
fn set_command_limits(config: &mut SandboxConfig, limits: &[String]) -> Result<(), String> {
    for limit in limits {
        let (command, rate) = command_limit(limit)?;
        config.command_limits.retain(|(c, _)| *c != command);
        if rate > 0 {
            config.command_limits.push((command, rate));
        }
    }
    Ok(())
}

/// One `--command-limit COMMAND=N`.
fn command_limit(text: &str) -> Result<(Command, u32), String> {
    let bad = || format!("--command-limit '{text}' is not COMMAND=N (e.g. import_group_msg=50)");
    let (name, rate) = text.split_once('=').ok_or_else(bad)?;
    let command = Command::ALL
        .into_iter()
        .find(|c| c.name() == name.trim())
        .ok_or_else(|| format!("--command-limit: '{name}' is not a command timport calls"))?;
    let rate = rate.trim().parse::<u32>().map_err(|_| bad())?;
    Ok((command, rate))
}

/// One stderr line saying how this sandbox behaves (never the key).
fn describe(config: &SandboxConfig) -> String {
    let groups = config.seed.as_ref().map_or(0, |s| s.groups.len());
    let faults = if config.faults.rate > 0.0 {
        let kinds: Vec<String> = config
            .faults
            .kinds
            .iter()
            .map(ToString::to_string)
            .collect();
        format!(
            "faults {:.1}% of {} requests ({})",
            config.faults.rate * 100.0,
            config.faults.command.map_or("all", Command::name),
            kinds.join(", ")
        )
    } else {
        "no faults".to_owned()
    };
    let commands: Vec<String> = config
        .command_limits
        .iter()
        .map(|(c, n)| format!("{} {n}/s", c.name()))
        .collect();
    format!(
        "{groups} seeded group(s); latency {} ms; {faults}; {} requests/s ({}); messages up to {} bytes; strict time {}; accounts {}",
        config.latency.as_millis(),
        config.rate_limit,
        if commands.is_empty() {
            "no command limits".to_owned()
        } else {
            commands.join(", ")
        },
        config.max_message_bytes,
        config.strict_time.word(),
        if config.require_accounts {
            "required"
        } else {
            "made on demand"
        }
    )
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Another subscriber may already be installed (tests); then that one logs.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C alone; if even that fails, stop at once.
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SecretKey;

    #[test]
    fn the_summary_says_how_time_is_read() {
        let mut config = SandboxConfig::new(SecretKey::new("k"));
        for (strict, said) in [
            (StrictTime::Off, "strict time off"),
            (StrictTime::AcrossRequests, "strict time across requests"),
            (StrictTime::PerMessage, "strict time per message"),
        ] {
            config.strict_time = strict;
            assert!(describe(&config).contains(said), "{}", describe(&config));
        }
    }

    #[test]
    fn command_limits_replace_lift_or_are_refused_by_name() {
        let mut config = SandboxConfig::new(SecretKey::new("k"));
        assert!(describe(&config).contains("multiaccount_import 100/s"));
        set_command_limits(
            &mut config,
            &["import_group_msg=50".into(), "multiaccount_import=0".into()],
        )
        .expect("valid limits");
        assert!(
            config
                .command_limits
                .contains(&(Command::ImportGroupMsg, 50))
        );
        assert!(
            !config
                .command_limits
                .iter()
                .any(|(c, _)| *c == Command::MultiaccountImport),
            "0 lifts the documented limit"
        );
        assert!(describe(&config).contains("import_group_msg 50/s"));
        for bad in ["import_group_msg", "import_group_msg=x", "nope=5"] {
            let e = set_command_limits(&mut config, &[bad.into()]).unwrap_err();
            assert!(e.contains("--command-limit"), "{e}");
        }
        config.require_accounts = true;
        assert!(describe(&config).contains("accounts required"));
    }

    #[test]
    fn listen_takes_an_address_or_looks_a_name_up() {
        let ip = listen_address("127.0.0.1:0").expect("an address");
        assert_eq!(ip, SocketAddr::from(([127, 0, 0, 1], 0)));
        let named = listen_address("localhost:8080").expect("localhost is looked up");
        assert!(named.ip().is_loopback(), "{named}");
        assert_eq!(named.port(), 8080);
        assert_eq!(listen_address("127.0.0.1"), None, "no port");
        assert_eq!(listen_address("not-an-address"), None);
    }
}
