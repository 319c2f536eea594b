//! The `susurro` binary: the command line (settings included), logging,
//! then the command.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = susurro::cli::Cli::parse();
    let settings = match susurro::config::Settings::resolve(cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    susurro::telemetry::init(&settings.log, settings.log_format);
    match susurro::cli::run(cli.command, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
