//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`; the
//! decoder libraries' and whisper.cpp's chatter stays at `warn` unless the
//! filter names them). Logs go to stderr so that command output on stdout
//! stays clean.

use tracing_subscriber::EnvFilter;

/// Quiet by default: these log at info for every file and model.
const QUIET: &[&str] = &[
    "symphonia",
    "symphonia_format_ogg",
    "whisper_rs",
    "whisper_rs::whisper_logging_hook",
    "whisper_rs::ggml_logging_hook",
];

/// Installs the global subscriber with `filter` (safe to call more than once).
pub fn init(filter: &str) {
    let mut directives = filter.to_string();
    for q in QUIET {
        if !filter.contains(q) {
            directives.push_str(&format!(",{q}=warn"));
        }
    }
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
