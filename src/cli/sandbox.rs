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
    Ok(config)
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
    format!(
        "{groups} seeded group(s); latency {} ms; {faults}; {} requests/s; messages up to {} bytes; strict time {}",
        config.latency.as_millis(),
        config.rate_limit,
        config.max_message_bytes,
        config.strict_time.word()
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
            assert!(describe(&config).ends_with(said), "{}", describe(&config));
        }
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
