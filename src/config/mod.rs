//! Typed configuration: every setting is an environment variable (or a
//! flag), declared once in [`args`] with its default and meaning (`susurro
//! serve --help` lists them), parsed and checked at start. A bad value stops
//! the program with a message naming the variable.

mod args;

pub use args::SettingsArgs;

use crate::models::name::ModelName;
use crate::stt::{Language, Window};
use clap::{CommandFactory, Parser};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A configuration variable with an unusable value.
#[derive(Debug, thiserror::Error)]
#[error("invalid {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub reason: String,
}

/// Every setting of the service, in the parts each layer takes: built once
/// (in [`Settings::resolve`]), then `App::build` hands each layer its part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `SUSURRO_ADDR`: where the HTTP API listens.
    pub addr: SocketAddr,
    /// `SUSURRO_DATA_DIR`: database, audio and (by default) models.
    pub data_dir: PathBuf,
    /// The database and the audio store.
    pub storage: StorageSettings,
    /// Model files, the active model and the engine's cache of them.
    pub models: ModelSettings,
    /// The worker runner: polling, concurrency, threads, deadlines, leases.
    pub worker: WorkerSettings,
    /// What is kept, how long.
    pub retention: RetentionSettings,
    /// This node among others.
    pub cluster: ClusterSettings,
    /// What a file needs to become a transcript (media child, length
    /// limit, speech detection, window, prompt).
    pub transcribe: TranscribeSettings,
    /// `WHISPER_LANGUAGE`: default language of uploads (`es`; `auto` detects).
    pub language: Language,
    /// The HTTP server's limits, names and waits.
    pub http: HttpSettings,
    /// Who may call what.
    pub access: AccessSettings,
    /// Where `extract` jobs hand transcripts on.
    pub extract: ExtractSettings,
    /// Live dictation over `/v1/realtime`.
    pub realtime: RealtimeSettings,
    /// `RUST_LOG`: the log filter.
    pub log: String,
    /// `LOG_FORMAT`: text or json lines.
    pub log_format: crate::telemetry::LogFormat,
}

/// The database and the audio store.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// `DATABASE_URL`: SQLite (default `<data dir>/susurro.db`) or PostgreSQL.
    pub database_url: String,
    /// `AUDIO_STORE_URL`: `file:///path` (default `<data dir>/audio`) or `s3://bucket/prefix`.
    pub audio_store_url: String,
    /// `SQLITE_SYNCHRONOUS`: `full` (default: acknowledged writes survive
    /// power loss) or `normal` (faster; the last commits can be lost).
    pub sqlite_synchronous: sqlx::sqlite::SqliteSynchronous,
}

/// Model files and the engine's cache of loaded models.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// `WHISPER_MODELS_DIR`: where `ggml-<name>.bin` files live.
    pub dir: PathBuf,
    /// `WHISPER_MODEL`: the active model's name at start.
    pub active: ModelName,
    /// `WHISPER_MODELS_BASE_URL`: where catalog models are downloaded from.
    pub base_url: String,
    /// `WHISPER_MODELS_CATALOG`: optional JSON file adding or overriding entries.
    pub catalog: Option<PathBuf>,
    /// `WHISPER_AUTO_DOWNLOAD`: a job whose catalog model is missing downloads it.
    pub auto_download: bool,
    /// `WHISPER_FLASH_ATTN`: flash attention in whisper.cpp's encoder (on:
    /// measured faster on CPU once unpadded, BENCHMARKS.md).
    pub flash_attn: bool,
    /// `WHISPER_MAX_LOADED_MODELS`: models kept in memory at once.
    pub max_loaded: usize,
}

/// The worker runner and the queue's leases and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `WORKER_POLL_INTERVAL_MS`: how often idle workers look for jobs.
    pub poll_interval: Duration,
    /// `WORKER_MAX_CONCURRENT`: jobs running at once in this process.
    pub max_concurrent: usize,
    /// `WHISPER_THREADS`: threads per transcription, when given (default:
    /// [`WorkerSettings::job_threads`] for jobs, every core for one file).
    pub threads: Option<usize>,
    /// `JOB_DEADLINE_BASE_SECONDS`, `JOB_DEADLINE_FACTOR`: every job's deadline.
    pub deadline: crate::queue::DeadlinePolicy,
    /// `JOB_LEASE_SECONDS`: a running job's lease, renewed while it runs.
    pub lease: Duration,
    /// `JOB_BACKOFF_BASE_MS` / `JOB_BACKOFF_MAX_MS`: retry delay after the
    /// first failure (doubling each time) and its cap.
    pub backoff: crate::queue::Backoff,
    /// `SHUTDOWN_GRACE_SECONDS`: how long running jobs (and open
    /// connections) may finish at shutdown.
    pub shutdown_grace: Duration,
}

/// How long things are kept.
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    /// `TRANSCRIPT_TTL_DAYS`: how long transcripts are kept.
    pub transcript_ttl: Duration,
    /// `AUDIO_RETENTION_HOURS`: keep audio this long after transcription (0: delete at once).
    pub audio: Duration,
    /// `JOB_RETENTION_DAYS`: completed and cancelled jobs are pruned after this.
    pub jobs: Duration,
    /// `DISCARDED_JOB_RETENTION_DAYS`: failed (discarded) jobs are kept longer.
    pub discarded_jobs: Duration,
    /// `CLEANUP_INTERVAL_HOURS`: period of the retention task.
    pub interval: Duration,
}

/// This node among others.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `NODE_ADDRESS`: where this node's API is reached (default `<host>:<port>`).
    pub node_address: Option<String>,
    /// `CLUSTER_SYNC_INTERVAL_MS`: heartbeat and follow period.
    pub sync_interval: Duration,
}

/// Bearer tokens.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// `ADMIN_TOKEN`: bearer token for `/api/admin/*` (unset: loopback clients only).
    pub admin_token: Option<String>,
    /// `API_TOKEN`: bearer token for `/api/events` and `/v1` (unset: open).
    pub api_token: Option<String>,
}

/// Live dictation sessions.
#[derive(Debug, Clone)]
pub struct RealtimeSettings {
    /// `REALTIME_MAX_SESSIONS`: sessions open at once.
    pub max_sessions: usize,
    /// `REALTIME_IDLE_SECONDS`: a session without speech this long is closed.
    pub idle: Duration,
}

/// Where `extract` jobs deliver transcripts.
#[derive(Debug, Clone)]
pub struct ExtractSettings {
    /// `EXTRACT_WEBHOOK_URL` (unset: extract jobs are not run here).
    pub webhook_url: Option<String>,
    /// `EXTRACT_WEBHOOK_SECRET`: HMAC-SHA256 key signing webhook bodies.
    pub webhook_secret: Option<String>,
}

/// What turning a file into a transcript needs, and no more: the part of
/// the settings that `jobs::transcribe_file` (the stt worker's and the
/// command line's one path) takes.
#[derive(Debug, Clone)]
pub struct TranscribeSettings {
    /// `MEDIA_CHILD_EXE`, `DECODE_MEMORY_MB`, `PROBE_TIMEOUT_SECONDS`: the
    /// bounded child process that probes and decodes uploads.
    pub media: crate::audio::Sandbox,
    /// `MAX_AUDIO_SECONDS`: longest accepted recording.
    pub max_audio_seconds: u64,
    /// `WHISPER_VAD`, `WHISPER_VAD_MODEL`, `WHISPER_VAD_THRESHOLD`,
    /// `WHISPER_VAD_MIN_SILENCE_MS`, `WHISPER_VAD_PAD_MS`,
    /// `WHISPER_CHUNK_SECONDS`: speech detection and chunking.
    pub vad: crate::stt::VadSettings,
    /// `WHISPER_AUDIO_CTX`: `auto` sizes the encoder window to clips under
    /// 30 s (faster); `full` always encodes 30 s.
    pub window: Window,
    /// `WHISPER_TRIM_SILENCE`: leave out leading/trailing digital silence.
    pub trim_silence: bool,
    /// `WHISPER_GLOSSARY`: file of terms (one per line) for whisper's prompt.
    pub glossary: Vec<String>,
    /// `WHISPER_INITIAL_PROMPT`: text for whisper's prompt, after the glossary.
    pub initial_prompt: Option<String>,
    /// `WHISPER_BEAM_SIZE`: beams of the beam search (1: greedy).
    pub beam_size: usize,
}

/// What the HTTP server allows its clients.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// Time a request body may stay silent.
    pub body_idle_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Host names answered besides loopback ones (lower case, no port).
    pub allowed_hosts: Vec<String>,
    /// Origins whose pages may write without a token (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// `MAX_UPLOAD_MB` in bytes: largest accepted upload.
    pub max_upload_bytes: u64,
    /// `OPENAI_WAIT_SECONDS`: how long `/v1/audio/*` waits for the transcript.
    pub openai_wait: Duration,
}

/// The host part of `host[:port]` or `[v6]:port`, lower case.
pub fn host_name(authority: &str) -> Option<String> {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next()?
    } else {
        match a.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => a,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|v| v.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The media child's settings.
fn media(a: &SettingsArgs) -> Result<crate::audio::Sandbox, ConfigError> {
    crate::audio::Sandbox::new(
        a.media_child_exe.clone(),
        a.decode_memory_mb,
        Duration::from_secs(a.probe_timeout_seconds),
    )
    .map_err(|e| ConfigError {
        var: "MEDIA_CHILD_EXE",
        value: String::new(),
        reason: format!("cannot find this program: {e}"),
    })
}

/// The HTTP server's limits and allowed names.
/// Speech detection: `WHISPER_VAD*` and `WHISPER_CHUNK_SECONDS`.
fn vad(a: &SettingsArgs) -> crate::stt::VadSettings {
    crate::stt::VadSettings {
        mode: a.vad,
        model: a.vad_model.clone(),
        threshold: a.vad_threshold,
        min_silence_ms: a.vad_min_silence_ms,
        pad_ms: a.vad_pad_ms,
        chunk_seconds: a.chunk_seconds,
    }
}

/// Each job's time: a base plus a factor of its audio's length.
fn deadline(a: &SettingsArgs) -> crate::queue::DeadlinePolicy {
    crate::queue::DeadlinePolicy {
        base: Duration::from_secs(a.job_deadline_base_seconds),
        per_audio_second: a.job_deadline_factor,
    }
}

/// The retry backoff of failed jobs.
fn backoff(a: &SettingsArgs) -> crate::queue::Backoff {
    crate::queue::Backoff {
        base: Duration::from_millis(a.backoff_base_ms),
        cap: Duration::from_millis(a.backoff_max_ms),
    }
}

fn http(a: &SettingsArgs) -> HttpSettings {
    let mut allowed_hosts = list(&a.allowed_hosts);
    if let Some(host) = a.node_address.as_deref().and_then(host_name) {
        allowed_hosts.push(host);
    }
    HttpSettings {
        header_timeout: Duration::from_secs(a.http_header_timeout_seconds),
        body_idle_timeout: Duration::from_secs(a.http_body_idle_timeout_seconds),
        max_connections: a.http_max_connections as usize,
        allowed_hosts,
        allowed_origins: list(&a.allowed_origins),
        max_upload_bytes: a.max_upload_mb * 1024 * 1024,
        openai_wait: Duration::from_secs(a.openai_wait_seconds),
    }
}

/// What turning a file into a transcript needs.
fn transcribe(a: &SettingsArgs) -> Result<TranscribeSettings, ConfigError> {
    Ok(TranscribeSettings {
        media: media(a)?,
        max_audio_seconds: a.max_audio_seconds,
        vad: vad(a),
        window: a.window,
        trim_silence: a.trim_silence,
        glossary: read_glossary(a.glossary.as_deref())?,
        initial_prompt: a.initial_prompt.clone().filter(|p| !p.trim().is_empty()),
        beam_size: a.beam_size.into(),
    })
}

/// The database (default: SQLite in the data folder) and the audio store.
fn storage(a: &SettingsArgs) -> StorageSettings {
    StorageSettings {
        database_url: a
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", a.data_dir.join("susurro.db").display())),
        audio_store_url: a
            .audio_store_url
            .clone()
            .unwrap_or_else(|| default_store(&a.data_dir)),
        sqlite_synchronous: a.sqlite_synchronous,
    }
}

/// Model files (default: the data folder's `models/`).
fn models(a: &SettingsArgs) -> ModelSettings {
    ModelSettings {
        dir: a
            .models_dir
            .clone()
            .unwrap_or_else(|| a.data_dir.join("models")),
        active: a.model.clone(),
        base_url: a.models_base_url.clone(),
        catalog: a.models_catalog.clone(),
        auto_download: a.auto_download,
        flash_attn: a.flash_attn,
        max_loaded: a.max_loaded_models as usize,
    }
}

/// The worker runner's settings.
fn worker(a: &SettingsArgs) -> WorkerSettings {
    WorkerSettings {
        poll_interval: Duration::from_millis(a.poll_interval_ms),
        max_concurrent: a.max_concurrent as usize,
        threads: a.threads.map(|t| t as usize),
        deadline: deadline(a),
        lease: Duration::from_secs(a.job_lease_seconds),
        backoff: backoff(a),
        shutdown_grace: Duration::from_secs(a.shutdown_grace_seconds),
    }
}

/// How long transcripts, audio and jobs are kept.
fn retention(a: &SettingsArgs) -> RetentionSettings {
    let days = |d: f64| Duration::from_secs_f64(d * 86_400.0);
    RetentionSettings {
        transcript_ttl: days(a.transcript_ttl_days),
        audio: Duration::from_secs_f64(a.audio_retention_hours * 3600.0),
        jobs: days(a.job_retention_days),
        discarded_jobs: days(a.discarded_job_retention_days),
        interval: Duration::from_secs_f64(a.cleanup_interval_hours * 3600.0),
    }
}

impl WorkerSettings {
    /// Whisper threads per job: `WHISPER_THREADS`, or the cores shared out
    /// between `WORKER_MAX_CONCURRENT` jobs.
    pub fn job_threads(&self) -> usize {
        self.threads
            .unwrap_or((available_cores() / self.max_concurrent).max(1))
    }
}

/// Cores this process may use (at most 8: whisper gains little beyond).
pub fn available_cores() -> usize {
    crate::stt::cpu::cores()
}

/// The settings alone, as a command line (for [`Settings::from_lookup`]).
#[derive(Parser)]
struct SettingsOnly {
    #[command(flatten)]
    settings: SettingsArgs,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|_| None)
    }

    /// Reads settings from `get` (variable name → value), then the process
    /// environment, then the defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut argv = vec!["susurro".to_string()];
        for arg in SettingsOnly::command().get_arguments() {
            let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            if let Some(v) = env.to_str().and_then(&get) {
                argv.push(format!("--{long}={v}"));
            }
        }
        let parsed = SettingsOnly::try_parse_from(argv).map_err(config_error)?;
        Self::resolve(parsed.settings)
    }

    /// The settings from their arguments: defaults that depend on other
    /// settings, files read, durations made.
    pub fn resolve(a: SettingsArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            transcribe: transcribe(&a)?,
            storage: storage(&a),
            models: models(&a),
            worker: worker(&a),
            retention: retention(&a),
            cluster: ClusterSettings {
                node_address: a.node_address.clone(),
                sync_interval: Duration::from_millis(a.cluster_sync_interval_ms),
            },
            http: http(&a),
            access: AccessSettings {
                admin_token: a.admin_token.clone().filter(|t| !t.is_empty()),
                api_token: a.api_token.clone().filter(|t| !t.is_empty()),
            },
            extract: ExtractSettings {
                webhook_url: a.extract_webhook_url.clone(),
                webhook_secret: a.extract_webhook_secret.clone().filter(|s| !s.is_empty()),
            },
            realtime: RealtimeSettings {
                max_sessions: a
                    .realtime_max_sessions
                    .map_or_else(available_cores, |n| n as usize),
                idle: Duration::from_secs(a.realtime_idle_seconds),
            },
            language: a.language,
            addr: a.addr,
            data_dir: a.data_dir,
            log: a.log,
            log_format: a.log_format,
        })
    }

    /// The audio store `AUDIO_STORE_URL` names; uploads on their way to a
    /// bucket are staged in `<data dir>/staging`.
    pub fn audio_store(&self) -> Result<crate::storage::AudioStore, crate::storage::StorageError> {
        crate::storage::AudioStore::open(
            &self.storage.audio_store_url,
            self.data_dir.join("staging"),
        )
    }

    /// Every setting's variable name, as `--help` lists them.
    pub fn variables() -> &'static [&'static str] {
        static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| {
            SettingsOnly::command()
                .get_arguments()
                .filter_map(|a| a.get_env())
                .filter_map(|e| e.to_str())
                .map(|e| &*Box::leak(e.to_string().into_boxed_str()))
                .collect()
        })
    }
}

/// A clap error as a [`ConfigError`] naming the variable.
/// The terms of `WHISPER_GLOSSARY`: one per line, `#` comments.
fn read_glossary(path: Option<&std::path::Path>) -> Result<Vec<String>, ConfigError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        var: "WHISPER_GLOSSARY",
        value: path.display().to_string(),
        reason: format!("cannot read the file: {e}"),
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// `file://<data dir>/audio`, absolute.
fn default_store(data_dir: &std::path::Path) -> String {
    let dir = data_dir.join("audio");
    format!(
        "file://{}",
        std::path::absolute(&dir).unwrap_or(dir).display()
    )
}

fn config_error(e: clap::Error) -> ConfigError {
    let text = e.to_string();
    let var = Settings::variables()
        .iter()
        .find(|v| text.contains(&format!("<{v}>")))
        .copied()
        .unwrap_or("configuration");
    let value = e
        .get(clap::error::ContextKind::InvalidValue)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let reason = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    ConfigError { var, value, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let s = with(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.retention.transcript_ttl, Duration::from_secs(14 * 86_400));
        assert_eq!(s.worker.poll_interval, Duration::from_millis(3000));
        assert_eq!(s.worker.max_concurrent, 2);
        assert_eq!(s.retention.interval, Duration::from_secs(24 * 3600));
        assert_eq!(s.language, Language::Code("es".into()));
        assert!(s.storage.database_url.ends_with("susurro.db"));
        assert!(s.models.dir.ends_with("models"));
        assert_eq!(s.transcribe.beam_size, crate::stt::DEFAULT_BEAM_SIZE);
        assert_eq!(s.transcribe.vad.chunk_seconds, 15.0);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = with(&[("WORKER_MAX_CONCURRENT", "zero")]).unwrap_err();
        assert_eq!(err.var, "WORKER_MAX_CONCURRENT");
        assert!(err.to_string().contains("WORKER_MAX_CONCURRENT"));
        assert_eq!(
            with(&[("WHISPER_THREADS", "0")]).unwrap_err().var,
            "WHISPER_THREADS"
        );
        for beams in ["0", "9", "three"] {
            assert_eq!(
                with(&[("WHISPER_BEAM_SIZE", beams)]).unwrap_err().var,
                "WHISPER_BEAM_SIZE"
            );
        }
        assert_eq!(
            with(&[("WHISPER_BEAM_SIZE", "1")])
                .unwrap()
                .transcribe
                .beam_size,
            1
        );
        assert_eq!(
            with(&[("WHISPER_MODEL", "../x")]).unwrap_err().var,
            "WHISPER_MODEL"
        );
        assert_eq!(
            with(&[("WHISPER_LANGUAGE", "klingon")]).unwrap_err().var,
            "WHISPER_LANGUAGE"
        );
        assert_eq!(
            with(&[("TRANSCRIPT_TTL_DAYS", "-1")]).unwrap_err().var,
            "TRANSCRIPT_TTL_DAYS"
        );
        assert_eq!(
            with(&[("SUSURRO_ADDR", "nope")]).unwrap_err().var,
            "SUSURRO_ADDR"
        );
        assert_eq!(
            with(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
        assert!(with(&[("DATABASE_URL", "postgres://u@h/db")]).is_ok());
        assert_eq!(
            with(&[("AUDIO_STORE_URL", "ftp://x")]).unwrap_err().var,
            "AUDIO_STORE_URL"
        );
    }

    #[test]
    fn fractions_are_allowed_for_ttl_and_cleanup() {
        let s = with(&[
            ("TRANSCRIPT_TTL_DAYS", "0.5"),
            ("CLEANUP_INTERVAL_HOURS", "0.25"),
        ])
        .unwrap();
        assert_eq!(s.retention.transcript_ttl, Duration::from_secs(43_200));
        assert_eq!(s.retention.interval, Duration::from_secs(900));
    }
}
