//! The `susurro` binary: configuration, logging, then the command line.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    susurro::telemetry::init();
    let cli = susurro::cli::Cli::parse();
    let settings = match susurro::config::Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match susurro::cli::run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
