//! The `susurro` binary: the command line (settings included), logging,
//! then the command.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // The media child (probe and decode of untrusted files) starts before
    // any runtime, setting or log exists.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() >= 2 && args[..2] == susurro::audio::sandbox::CHILD_ARGS {
        return susurro::audio::sandbox::child_main(&args[2..]);
    }
    susurro::heap::bound_arenas();
    susurro::telemetry::log_fatal_signals();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run());
    // A job thread stuck in native code must not keep the process alive
    // after shutdown: blocking threads get a short while, then are left.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

async fn run() -> std::process::ExitCode {
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
