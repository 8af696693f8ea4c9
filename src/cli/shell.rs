//! `timport completions SHELL` and `timport man [--dir DIR]`: the shell's completion script and
//! the manual pages, generated from the same argument definitions as `--help` (so they cannot
//! disagree), for the operator to install where their shell and `man` look.

use std::io::Write;

use clap::CommandFactory;

use super::{Cli, CompletionsArgs, Exit, ManArgs};

/// Prints the completion script for the shell asked for on stdout.
pub fn completions(args: &CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::aot::generate(args.shell, &mut command, "timport", &mut out);
    print(&out)
}

/// Prints the manual page `timport(1)` on stdout, or writes a page per command into `--dir`
/// (`timport.1`, `timport-run.1`, ...).
pub fn man(args: &ManArgs) -> Exit {
    let command = Cli::command();
    let Some(dir) = &args.dir else {
        let mut out = Vec::new();
        return match clap_mangen::Man::new(command).render(&mut out) {
            Ok(()) => print(&out),
            Err(e) => fail(&format!("cannot render the manual page: {e}")),
        };
    };
    match clap_mangen::generate_to(command, dir) {
        Ok(()) => {
            eprintln!(
                "timport: wrote the manual pages to {} (timport.1 and one per command)",
                crate::escape::path(dir)
            );
            Exit::Done
        }
        Err(e) => fail(&format!(
            "cannot write the manual pages to {}: {e}",
            crate::escape::path(dir)
        )),
    }
}

fn print(bytes: &[u8]) -> Exit {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Done,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Done,
        Err(e) => fail(&format!("cannot write: {e}")),
    }
}

fn fail(message: &str) -> Exit {
    eprintln!("timport: {}", crate::escape::text(message));
    Exit::BadInput
}
