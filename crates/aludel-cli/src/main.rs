//! The `aludel` command: a thin wrapper over `aludel::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match aludel::cli::run(&Default::default()) {
        Ok(code) => code,
        Err(err) => {
            // Each error's message already names its cause.
            eprintln!("error: {err}");
            ExitCode::from(aludel::cli::EXIT_ERROR)
        }
    }
}
