//! `timport usersig [--expire SECS]`: prints a UserSig for the configured admin on stdout (only
//! it, one line, so it can be captured by a script), warnings on stderr. No network: the
//! signature is minted in process from the secret key.

use crate::api::usersig;
use crate::cli::{Exit, UsersigArgs};
use crate::clock::unix_now;
use crate::config::{ConnectArgs, RunFlags, Settings};

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
    let (creds, warnings) = Settings::from_env(connect, &RunFlags::default())
        .and_then(Settings::credentials)
        .map_err(|e| e.to_string())?;
    let sig = usersig::generate(
        &creds.secret,
        creds.sdkappid,
        &creds.admin,
        args.expire,
        unix_now(),
    );
    Ok((sig.expose().to_owned(), warnings))
}
