//! Every setting as a clap argument read from its environment variable (or
//! `--<variable-in-kebab-case>`), with its default and meaning: `susurro
//! serve --help` lists them all. Values are parsed and range-checked here;
//! [`super::Settings::resolve`] derives the rest.

use crate::models::name::ModelName;
use crate::stt::{Language, VadMode, Window};
use clap::builder::BoolishValueParser;
use std::net::SocketAddr;
use std::path::PathBuf;

fn positive_number(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() && n < 1e6 => Ok(n),
        _ => Err("expected a positive number".into()),
    }
}

fn non_negative_number(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if (0.0..1e6).contains(&n) => Ok(n),
        _ => Err("expected a number, 0 or more".into()),
    }
}

fn hours(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(h) if (0.0..1e6).contains(&h) => Ok(h),
        _ => Err("expected a number of hours (0 or more)".into()),
    }
}

fn http_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.to_string())
    } else {
        Err("expected an http(s) URL".into())
    }
}

fn database_url(s: &str) -> Result<String, String> {
    crate::db::Dialect::of_url(s.trim()).map(|_| s.trim().to_string())
}

fn audio_store_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.starts_with("file:///") || s.starts_with("s3://") && s.len() > "s3://".len() {
        Ok(s.to_string())
    } else {
        Err("expected file:///absolute/path or s3://bucket/prefix".into())
    }
}

fn model_name(s: &str) -> Result<ModelName, String> {
    ModelName::parse(s.trim()).map_err(|e| e.to_string())
}

fn synchronous(s: &str) -> Result<sqlx::sqlite::SqliteSynchronous, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "full" => Ok(sqlx::sqlite::SqliteSynchronous::Full),
        "normal" => Ok(sqlx::sqlite::SqliteSynchronous::Normal),
        _ => Err("expected full or normal".into()),
    }
}

fn threshold(s: &str) -> Result<f32, String> {
    match s.trim().parse::<f32>() {
        Ok(t) if t > 0.0 && t < 1.0 => Ok(t),
        _ => Err("expected a number between 0 and 1".into()),
    }
}

fn chunk_seconds(s: &str) -> Result<f32, String> {
    match s.trim().parse::<f32>() {
        Ok(v) if (2.0..=30.0).contains(&v) => Ok(v),
        _ => Err("expected 2 to 30 seconds".into()),
    }
}

/// The settings as given (environment variables or flags).
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Settings (environment variables)")]
pub struct SettingsArgs {
    /// Where the HTTP API listens (host:port).
    #[arg(
        id = "SUSURRO_ADDR",
        long = "susurro-addr",
        env = "SUSURRO_ADDR",
        value_name = "SUSURRO_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,
    /// Database, audio and (by default) models.
    #[arg(
        id = "SUSURRO_DATA_DIR",
        long = "susurro-data-dir",
        env = "SUSURRO_DATA_DIR",
        value_name = "SUSURRO_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// sqlite://path/to/file.db (one machine; default sqlite://<data dir>/susurro.db) or postgres://user:password@host/db (many nodes).
    #[arg(id = "DATABASE_URL", long = "database-url", env = "DATABASE_URL", value_name = "DATABASE_URL", value_parser = database_url, global = true)]
    pub database_url: Option<String>,
    /// Where uploaded audio is kept: file:///path (default file://<data dir>/audio) or s3://bucket/prefix (credentials and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP).
    #[arg(id = "AUDIO_STORE_URL", long = "audio-store-url", env = "AUDIO_STORE_URL", value_name = "AUDIO_STORE_URL", value_parser = audio_store_url, global = true)]
    pub audio_store_url: Option<String>,
    /// The address other nodes and admins reach this node's API at (default: <host name>:<port>).
    #[arg(
        id = "NODE_ADDRESS",
        long = "node-address",
        env = "NODE_ADDRESS",
        value_name = "NODE_ADDRESS",
        global = true
    )]
    pub node_address: Option<String>,
    /// How often a node writes its heartbeat and follows the cluster's active model and worker state, in ms.
    #[arg(id = "CLUSTER_SYNC_INTERVAL_MS", long = "cluster-sync-interval-ms", env = "CLUSTER_SYNC_INTERVAL_MS", value_name = "CLUSTER_SYNC_INTERVAL_MS", default_value = "2000", value_parser = clap::value_parser!(u64).range(100..=600_000), global = true)]
    pub cluster_sync_interval_ms: u64,
    /// Where ggml-<name>.bin model files live (default: <data dir>/models).
    #[arg(
        id = "WHISPER_MODELS_DIR",
        long = "whisper-models-dir",
        env = "WHISPER_MODELS_DIR",
        value_name = "WHISPER_MODELS_DIR",
        global = true
    )]
    pub models_dir: Option<PathBuf>,
    /// The active model at start.
    #[arg(id = "WHISPER_MODEL", long = "whisper-model", env = "WHISPER_MODEL", value_name = "WHISPER_MODEL", default_value = "base-q8_0", value_parser = model_name, global = true)]
    pub model: ModelName,
    /// Where catalog models are downloaded from.
    #[arg(id = "WHISPER_MODELS_BASE_URL", long = "whisper-models-base-url", env = "WHISPER_MODELS_BASE_URL", value_name = "WHISPER_MODELS_BASE_URL", default_value = crate::models::catalog::DEFAULT_BASE_URL, value_parser = http_url, global = true)]
    pub models_base_url: String,
    /// JSON file [{"name","url","sha1"|"sha256","size"}] adding or overriding catalog entries.
    #[arg(
        id = "WHISPER_MODELS_CATALOG",
        long = "whisper-models-catalog",
        env = "WHISPER_MODELS_CATALOG",
        value_name = "WHISPER_MODELS_CATALOG",
        global = true
    )]
    pub models_catalog: Option<PathBuf>,
    /// A job whose (active, catalog) model is missing downloads it first.
    #[arg(id = "WHISPER_AUTO_DOWNLOAD", long = "whisper-auto-download", env = "WHISPER_AUTO_DOWNLOAD", value_name = "WHISPER_AUTO_DOWNLOAD", default_value = "true", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set, global = true)]
    pub auto_download: bool,
    /// Without VAD only: leave out leading/trailing digital silence.
    #[arg(id = "WHISPER_TRIM_SILENCE", long = "whisper-trim-silence", env = "WHISPER_TRIM_SILENCE", value_name = "WHISPER_TRIM_SILENCE", default_value = "false", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set, global = true)]
    pub trim_silence: bool,
    /// Flash attention in whisper.cpp's encoder (measured faster on CPU).
    #[arg(id = "WHISPER_FLASH_ATTN", long = "whisper-flash-attn", env = "WHISPER_FLASH_ATTN", value_name = "WHISPER_FLASH_ATTN", default_value = "true", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set, global = true)]
    pub flash_attn: bool,
    /// Models kept in memory (least recently used unloaded first).
    #[arg(id = "WHISPER_MAX_LOADED_MODELS", long = "whisper-max-loaded-models", env = "WHISPER_MAX_LOADED_MODELS", value_name = "WHISPER_MAX_LOADED_MODELS", default_value = "1", value_parser = clap::value_parser!(u64).range(1..=64), global = true)]
    pub max_loaded_models: u64,
    /// Live dictation sessions (/v1/realtime) open at once; beyond, a new one gets an error event and is closed (default: the core count).
    #[arg(id = "REALTIME_MAX_SESSIONS", long = "realtime-max-sessions", env = "REALTIME_MAX_SESSIONS", value_name = "REALTIME_MAX_SESSIONS", value_parser = clap::value_parser!(u64).range(1..=1024), global = true)]
    pub realtime_max_sessions: Option<u64>,
    /// A live dictation session that sends nothing (or only silence) this long is closed, in seconds.
    #[arg(id = "REALTIME_IDLE_SECONDS", long = "realtime-idle-seconds", env = "REALTIME_IDLE_SECONDS", value_name = "REALTIME_IDLE_SECONDS", default_value = "60", value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub realtime_idle_seconds: u64,
    /// Whisper threads per job (default: cores / WORKER_MAX_CONCURRENT).
    #[arg(id = "WHISPER_THREADS", long = "whisper-threads", env = "WHISPER_THREADS", value_name = "WHISPER_THREADS", value_parser = clap::value_parser!(u64).range(1..=256), global = true)]
    pub threads: Option<u64>,
    /// Default language of uploads (a whisper code; auto detects).
    #[arg(id = "WHISPER_LANGUAGE", long = "whisper-language", env = "WHISPER_LANGUAGE", value_name = "WHISPER_LANGUAGE", default_value = "es", value_parser = Language::parse, global = true)]
    pub language: Language,
    /// Encoder window: auto (sized to short audio) or full (always 30 s).
    #[arg(id = "WHISPER_AUDIO_CTX", long = "whisper-audio-ctx", env = "WHISPER_AUDIO_CTX", value_name = "WHISPER_AUDIO_CTX", default_value = "auto", value_parser = Window::parse, global = true)]
    pub window: Window,
    /// Speech detection: auto (Silero if installed, else energy), on, off.
    #[arg(id = "WHISPER_VAD", long = "whisper-vad", env = "WHISPER_VAD", value_name = "WHISPER_VAD", default_value = "auto", value_parser = VadMode::parse, global = true)]
    pub vad: VadMode,
    /// VAD model name (default: silero-v6.2.0, else the newest silero-v*).
    #[arg(id = "WHISPER_VAD_MODEL", long = "whisper-vad-model", env = "WHISPER_VAD_MODEL", value_name = "WHISPER_VAD_MODEL", value_parser = model_name, global = true)]
    pub vad_model: Option<ModelName>,
    /// Speech probability threshold.
    #[arg(id = "WHISPER_VAD_THRESHOLD", long = "whisper-vad-threshold", env = "WHISPER_VAD_THRESHOLD", value_name = "WHISPER_VAD_THRESHOLD", default_value = "0.5", value_parser = threshold, global = true)]
    pub vad_threshold: f32,
    /// Pauses shorter than this (ms) stay inside speech.
    #[arg(id = "WHISPER_VAD_MIN_SILENCE_MS", long = "whisper-vad-min-silence-ms", env = "WHISPER_VAD_MIN_SILENCE_MS", value_name = "WHISPER_VAD_MIN_SILENCE_MS", default_value = "300", value_parser = clap::value_parser!(u32).range(1..=60_000), global = true)]
    pub vad_min_silence_ms: u32,
    /// Audio kept before and after each speech region (ms).
    #[arg(id = "WHISPER_VAD_PAD_MS", long = "whisper-vad-pad-ms", env = "WHISPER_VAD_PAD_MS", value_name = "WHISPER_VAD_PAD_MS", default_value = "100", value_parser = clap::value_parser!(u32).range(0..=2_000), global = true)]
    pub vad_pad_ms: u32,
    /// Longest chunk whisper is given (2 to 30 s).
    #[arg(id = "WHISPER_CHUNK_SECONDS", long = "whisper-chunk-seconds", env = "WHISPER_CHUNK_SECONDS", value_name = "WHISPER_CHUNK_SECONDS", default_value = "15", value_parser = chunk_seconds, global = true)]
    pub chunk_seconds: f32,
    /// Beams of whisper's beam search for jobs (1: greedy decoding).
    #[arg(id = "WHISPER_BEAM_SIZE", long = "whisper-beam-size", env = "WHISPER_BEAM_SIZE", value_name = "WHISPER_BEAM_SIZE", default_value = "3", value_parser = clap::value_parser!(u8).range(1..=8), global = true)]
    pub beam_size: u8,
    /// How long transcripts are kept (days).
    #[arg(id = "TRANSCRIPT_TTL_DAYS", long = "transcript-ttl-days", env = "TRANSCRIPT_TTL_DAYS", value_name = "TRANSCRIPT_TTL_DAYS", default_value = "14", value_parser = positive_number, global = true)]
    pub transcript_ttl_days: f64,
    /// How often idle workers look for jobs (ms).
    #[arg(id = "WORKER_POLL_INTERVAL_MS", long = "worker-poll-interval-ms", env = "WORKER_POLL_INTERVAL_MS", value_name = "WORKER_POLL_INTERVAL_MS", default_value = "3000", value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub poll_interval_ms: u64,
    /// Jobs running at once in this process.
    #[arg(id = "WORKER_MAX_CONCURRENT", long = "worker-max-concurrent", env = "WORKER_MAX_CONCURRENT", value_name = "WORKER_MAX_CONCURRENT", default_value = "2", value_parser = clap::value_parser!(u64).range(1..=256), global = true)]
    pub max_concurrent: u64,
    /// Period of the retention task (hours).
    #[arg(id = "CLEANUP_INTERVAL_HOURS", long = "cleanup-interval-hours", env = "CLEANUP_INTERVAL_HOURS", value_name = "CLEANUP_INTERVAL_HOURS", default_value = "24", value_parser = positive_number, global = true)]
    pub cleanup_interval_hours: f64,
    /// Largest accepted upload (MB).
    #[arg(id = "MAX_UPLOAD_MB", long = "max-upload-mb", env = "MAX_UPLOAD_MB", value_name = "MAX_UPLOAD_MB", default_value = "100", value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_upload_mb: u64,
    /// Longest accepted recording (seconds).
    #[arg(id = "MAX_AUDIO_SECONDS", long = "max-audio-seconds", env = "MAX_AUDIO_SECONDS", value_name = "MAX_AUDIO_SECONDS", default_value = "14400", value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_audio_seconds: u64,
    /// The program run as the media child that probes and decodes uploads (default: this binary).
    #[arg(
        id = "MEDIA_CHILD_EXE",
        long = "media-child-exe",
        env = "MEDIA_CHILD_EXE",
        value_name = "MEDIA_CHILD_EXE",
        global = true
    )]
    pub media_child_exe: Option<PathBuf>,
    /// Address space of a media child (MB); past it the file is refused.
    #[arg(id = "DECODE_MEMORY_MB", long = "decode-memory-mb", env = "DECODE_MEMORY_MB", value_name = "DECODE_MEMORY_MB", default_value = "512", value_parser = clap::value_parser!(u64).range(64..=65_536), global = true)]
    pub decode_memory_mb: u64,
    /// How long probing an upload may take (seconds); past it the upload is refused.
    #[arg(id = "PROBE_TIMEOUT_SECONDS", long = "probe-timeout-seconds", env = "PROBE_TIMEOUT_SECONDS", value_name = "PROBE_TIMEOUT_SECONDS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub probe_timeout_seconds: u64,
    /// Every job's deadline before its audio is counted (seconds).
    #[arg(id = "JOB_DEADLINE_BASE_SECONDS", long = "job-deadline-base-seconds", env = "JOB_DEADLINE_BASE_SECONDS", value_name = "JOB_DEADLINE_BASE_SECONDS", default_value = "120", value_parser = clap::value_parser!(u64).range(1..=604_800), global = true)]
    pub job_deadline_base_seconds: u64,
    /// Seconds a job may add to its deadline per second of audio.
    #[arg(id = "JOB_DEADLINE_FACTOR", long = "job-deadline-factor", env = "JOB_DEADLINE_FACTOR", value_name = "JOB_DEADLINE_FACTOR", default_value = "3", value_parser = non_negative_number, global = true)]
    pub job_deadline_factor: f64,
    /// How long a client may take to send a request's headers (seconds).
    #[arg(id = "HTTP_HEADER_TIMEOUT_SECONDS", long = "http-header-timeout-seconds", env = "HTTP_HEADER_TIMEOUT_SECONDS", value_name = "HTTP_HEADER_TIMEOUT_SECONDS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub http_header_timeout_seconds: u64,
    /// How long a request body may send nothing before the request fails (seconds).
    #[arg(id = "HTTP_BODY_IDLE_TIMEOUT_SECONDS", long = "http-body-idle-timeout-seconds", env = "HTTP_BODY_IDLE_TIMEOUT_SECONDS", value_name = "HTTP_BODY_IDLE_TIMEOUT_SECONDS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub http_body_idle_timeout_seconds: u64,
    /// Open HTTP connections at most; more are closed at once.
    #[arg(id = "HTTP_MAX_CONNECTIONS", long = "http-max-connections", env = "HTTP_MAX_CONNECTIONS", value_name = "HTTP_MAX_CONNECTIONS", default_value = "512", value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub http_max_connections: u64,
    /// Host names (comma-separated) the API answers besides loopback ones and NODE_ADDRESS's.
    #[arg(
        id = "ALLOWED_HOSTS",
        long = "allowed-hosts",
        env = "ALLOWED_HOSTS",
        value_name = "ALLOWED_HOSTS",
        default_value = "",
        global = true
    )]
    pub allowed_hosts: String,
    /// Origins (comma-separated, e.g. https://app.example) whose pages may send writes without a token.
    #[arg(
        id = "ALLOWED_ORIGINS",
        long = "allowed-origins",
        env = "ALLOWED_ORIGINS",
        value_name = "ALLOWED_ORIGINS",
        default_value = "",
        global = true
    )]
    pub allowed_origins: String,
    /// Keep audio this long after transcription or failure (hours; 0: delete at once).
    #[arg(id = "AUDIO_RETENTION_HOURS", long = "audio-retention-hours", env = "AUDIO_RETENTION_HOURS", value_name = "AUDIO_RETENTION_HOURS", default_value = "0", value_parser = hours, global = true)]
    pub audio_retention_hours: f64,
    /// Bearer token for /api/admin/* (unset: loopback clients only, never through a proxy).
    #[arg(
        id = "ADMIN_TOKEN",
        long = "admin-token",
        env = "ADMIN_TOKEN",
        value_name = "ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<String>,
    /// Bearer token for /api/events and /v1 (unset: open).
    #[arg(
        id = "API_TOKEN",
        long = "api-token",
        env = "API_TOKEN",
        value_name = "API_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub api_token: Option<String>,
    /// File of technical terms (one per line, # comments), first in whisper's prompt.
    #[arg(
        id = "WHISPER_GLOSSARY",
        long = "whisper-glossary",
        env = "WHISPER_GLOSSARY",
        value_name = "WHISPER_GLOSSARY",
        global = true
    )]
    pub glossary: Option<PathBuf>,
    /// Text after the glossary in whisper's prompt (an upload's prompt is appended).
    #[arg(
        id = "WHISPER_INITIAL_PROMPT",
        long = "whisper-initial-prompt",
        env = "WHISPER_INITIAL_PROMPT",
        value_name = "WHISPER_INITIAL_PROMPT",
        global = true
    )]
    pub initial_prompt: Option<String>,
    /// Where extract jobs POST event + transcript (unset: no extract jobs).
    #[arg(id = "EXTRACT_WEBHOOK_URL", long = "extract-webhook-url", env = "EXTRACT_WEBHOOK_URL", value_name = "EXTRACT_WEBHOOK_URL", value_parser = http_url, global = true)]
    pub extract_webhook_url: Option<String>,
    /// HMAC-SHA256 key signing webhook bodies.
    #[arg(
        id = "EXTRACT_WEBHOOK_SECRET",
        long = "extract-webhook-secret",
        env = "EXTRACT_WEBHOOK_SECRET",
        value_name = "EXTRACT_WEBHOOK_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub extract_webhook_secret: Option<String>,
    /// A running job's lease, renewed while it runs (seconds).
    #[arg(id = "JOB_LEASE_SECONDS", long = "job-lease-seconds", env = "JOB_LEASE_SECONDS", value_name = "JOB_LEASE_SECONDS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub job_lease_seconds: u64,
    /// Retry delay after the first failure (ms; doubling, ±10 % jitter).
    #[arg(id = "JOB_BACKOFF_BASE_MS", long = "job-backoff-base-ms", env = "JOB_BACKOFF_BASE_MS", value_name = "JOB_BACKOFF_BASE_MS", default_value = "2000", value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub backoff_base_ms: u64,
    /// Longest retry delay (ms).
    #[arg(id = "JOB_BACKOFF_MAX_MS", long = "job-backoff-max-ms", env = "JOB_BACKOFF_MAX_MS", value_name = "JOB_BACKOFF_MAX_MS", default_value = "600000", value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub backoff_max_ms: u64,
    /// Completed and cancelled jobs are pruned after this (days).
    #[arg(id = "JOB_RETENTION_DAYS", long = "job-retention-days", env = "JOB_RETENTION_DAYS", value_name = "JOB_RETENTION_DAYS", default_value = "7", value_parser = positive_number, global = true)]
    pub job_retention_days: f64,
    /// Failed (discarded) jobs are pruned after this (days).
    #[arg(id = "DISCARDED_JOB_RETENTION_DAYS", long = "discarded-job-retention-days", env = "DISCARDED_JOB_RETENTION_DAYS", value_name = "DISCARDED_JOB_RETENTION_DAYS", default_value = "30", value_parser = positive_number, global = true)]
    pub discarded_job_retention_days: f64,
    /// How long /v1/audio/* waits for the transcript (seconds).
    #[arg(id = "OPENAI_WAIT_SECONDS", long = "openai-wait-seconds", env = "OPENAI_WAIT_SECONDS", value_name = "OPENAI_WAIT_SECONDS", default_value = "600", value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub openai_wait_seconds: u64,
    /// How long running jobs and open connections may finish at shutdown (seconds).
    #[arg(id = "SHUTDOWN_GRACE_SECONDS", long = "shutdown-grace-seconds", env = "SHUTDOWN_GRACE_SECONDS", value_name = "SHUTDOWN_GRACE_SECONDS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub shutdown_grace_seconds: u64,
    /// full: acknowledged uploads survive power loss; normal: faster, the last commits can be lost.
    #[arg(id = "SQLITE_SYNCHRONOUS", long = "sqlite-synchronous", env = "SQLITE_SYNCHRONOUS", value_name = "SQLITE_SYNCHRONOUS", default_value = "full", value_parser = synchronous, global = true)]
    pub sqlite_synchronous: sqlx::sqlite::SqliteSynchronous,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(
        id = "RUST_LOG",
        long = "rust-log",
        env = "RUST_LOG",
        value_name = "RUST_LOG",
        default_value = "info",
        global = true
    )]
    pub log: String,
    /// Log lines: text (for people) or json (one object per line, for log collectors).
    #[arg(
        id = "LOG_FORMAT",
        long = "log-format",
        env = "LOG_FORMAT",
        value_name = "LOG_FORMAT",
        default_value = "text",
        value_enum,
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,
}
