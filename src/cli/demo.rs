//! `timport demo`: the console connected to a sandbox seeded with the demo's groups, with the
//! demo's staging directory and a ledger of its own (see `console::demo`).

use crate::api::ClientOptions;
use crate::cli::console::{finish, has_terminal, prepare, session};
use crate::cli::{DemoArgs, Exit};
use crate::config::Paths;
use crate::console::demo::{DemoDir, prefill, start_sandbox};
use crate::console::exec::ExecOptions;

/// Runs `timport demo`.
pub fn run(args: &DemoArgs) -> Exit {
    let _ = args;
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("timport demo: {e}");
            return Exit::BadInput;
        }
    };
    let dir = match DemoDir::create() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("timport demo: cannot write the demo's staging files: {e}");
            return Exit::Stopped;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("timport demo: cannot start the async runtime: {e}");
            return Exit::Stopped;
        }
    };
    runtime.block_on(async {
        let sandbox = match start_sandbox(true).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("timport demo: {e}");
                return Exit::Stopped;
            }
        };
        if !has_terminal() {
            eprintln!(
                "timport demo: not a terminal; the headless demo needs the import engine, which is not built yet"
            );
            return Exit::BadInput;
        }
        let prefill = prefill(&sandbox.url(), sandbox.sdkappid(), sandbox.admin());
        let (_log, startup) = prepare(&paths, prefill, dir.ledger());
        let opts = ExecOptions {
            paths,
            env_key: None,
            client: ClientOptions::default(),
        };
        let exit = finish(session(startup, opts).await);
        sandbox.shutdown().await;
        exit
    })
}
