//! The `timport` binary: everything lives in the library; see `timport::cli`.

fn main() -> std::process::ExitCode {
    timport::cli::main()
}
