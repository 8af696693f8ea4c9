//! The process's exit codes, a contract scripts rely on (docs/reference.md lists them). Every
//! command ends in one of these; how a run's end maps to one is said once, by
//! `engine::ledger::runs::RunStatus::exit`.

use std::process::ExitCode;

/// Exit codes.
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

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit a code names (another process's, such as a run's `exit_code`); an unknown one
    /// is [`Exit::Stopped`].
    pub fn from_code(code: u64) -> Exit {
        match code {
            0 => Exit::Done,
            1 => Exit::Failed,
            2 => Exit::BadInput,
            130 => Exit::Interrupted,
            _ => Exit::Stopped,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
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
        .map(Exit::code);
        assert_eq!(codes, [0, 1, 2, 3, 130]);
        for code in codes {
            assert_eq!(Exit::from_code(code.into()).code(), code);
        }
        assert_eq!(Exit::from_code(77), Exit::Stopped);
    }
}
