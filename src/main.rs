//! The `rampart` binary.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rampart::cli::run(rampart::cli::Cli::parse())
}
