//! The `aludel` command: a thin wrapper over `aludel::cli`.

use std::process::ExitCode;

use aludel::cli::Console;

fn main() -> ExitCode {
    match aludel::cli::run(&Default::default()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", aludel::cli::error_report(&err, Console::detect_stderr()));
            ExitCode::from(aludel::cli::EXIT_ERROR)
        }
    }
}
