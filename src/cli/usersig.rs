//! `timport usersig [--expire SECS]`: prints a UserSig for the configured admin on stdout (only
//! it, one line, so it can be captured by a script), warnings on stderr. No network: the
//! signature is minted in process from the secret key.

use crate::api::usersig;
use crate::cli::{ConnectArgs, Exit, UsersigArgs};
use crate::clock::unix_now;
use crate::config::{ConfigError, ConfigFile, Paths, SECRET_KEY_ENV, resolve_credentials};

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &UsersigArgs) -> Exit {
    match usersig_line(connect, args) {
        Ok((sig, warnings)) => {
            for warning in warnings {
                eprintln!("timport: warning: {warning}");
            }
            println!("{sig}");
            Exit::Done
        }
        Err(message) => {
            eprintln!("timport: {message}");
            Exit::BadInput
        }
    }
}

fn usersig_line(
    connect: &ConnectArgs,
    args: &UsersigArgs,
) -> Result<(String, Vec<String>), String> {
    if args.expire == 0 {
        return Err("--expire must be at least 1 second".into());
    }
    if args.expire > usersig::MAX_EXPIRE_SECS {
        return Err(format!(
            "--expire {} is longer than 180 days ({} seconds), the longest lifetime the service's documentation names; a UserSig is the admin's password for every call: mint a shorter one and renew it",
            args.expire,
            usersig::MAX_EXPIRE_SECS
        ));
    }
    let resolved = Paths::from_env().and_then(|paths| {
        let file = ConfigFile::load(&paths.config_file())?;
        resolve_credentials(connect, &file, &paths, std::env::var(SECRET_KEY_ENV).ok())
    });
    let (creds, warnings) = resolved.map_err(|e: ConfigError| e.to_string())?;
    let sig = usersig::generate(
        &creds.secret,
        creds.sdkappid,
        &creds.admin,
        args.expire,
        unix_now(),
    );
    Ok((sig.expose().to_owned(), warnings))
}
