//! The `aludel` command: a thin wrapper over `aludel::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match aludel::cli::run(&Default::default()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", aludel::error::report(&err));
            ExitCode::from(aludel::cli::EXIT_ERROR)
        }
    }
}
