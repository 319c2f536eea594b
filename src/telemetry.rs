//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`, with
//! whisper.cpp's chatter at `warn`). Logs go to stderr so that command
//! output on stdout stays clean.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (safe to call more than once).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,symphonia=warn,symphonia_format_ogg=warn,whisper_rs=warn,whisper_rs::whisper_logging_hook=warn,whisper_rs::ggml_logging_hook=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
