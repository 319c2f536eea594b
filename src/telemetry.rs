//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`; the
//! decoder libraries' and whisper.cpp's chatter stays at `warn` unless the
//! filter names them). Logs go to stderr so that command output on stdout
//! stays clean. `LOG_FORMAT=json` writes one JSON object per line, with
//! the fields of the spans around the event (`job_id`, `event_id`, the
//! request's method, path and `request_id`).

use tracing_subscriber::EnvFilter;

/// Quiet by default: these log at info for every file and model.
const QUIET: &[&str] = &[
    "symphonia",
    "symphonia_format_ogg",
    "whisper_rs",
    "whisper_rs::whisper_logging_hook",
    "whisper_rs::ggml_logging_hook",
];

/// `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber with `filter` (safe to call more than once).
pub fn init(filter: &str, format: LogFormat) {
    let mut directives = filter.to_string();
    for q in QUIET {
        if !filter.contains(q) {
            directives.push_str(&format!(",{q}=warn"));
        }
    }
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}

/// The span of one HTTP request: method, path and a fresh `request_id`
/// (also answered in the `x-request-id` header by the API).
pub fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id,
    )
}

/// The id given to a request, as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Makes a SIGBUS (a mapped file changed under the process: the SQLite
/// database or its WAL made immutable, truncated, or a failing disk) leave
/// a line on standard error before the process ends as it would have.
pub fn log_fatal_signals() {
    extern "C" fn on_bus(sig: libc::c_int) {
        const MSG: &[u8] =
            b"susurro: fatal SIGBUS: a file mapped by the process (the SQLite database \
or its write-ahead log) became unreadable or unwritable under it (made immutable, truncated, or a \
disk fault); restart the service once the file is usable\n";
        // SAFETY: write, signal and raise are async-signal-safe.
        unsafe {
            libc::write(2, MSG.as_ptr().cast(), MSG.len());
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
    // SAFETY: installs a handler that only calls async-signal-safe functions.
    unsafe {
        libc::signal(libc::SIGBUS, on_bus as *const () as libc::sighandler_t);
    }
}
