//! Typed configuration, read from the environment once at start and
//! validated: a bad value stops the program with a message naming the variable.

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

/// Language selection for transcription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Language {
    /// Let whisper detect the spoken language.
    Auto,
    /// A whisper language code such as `es` or `en`.
    Code(String),
}

impl Language {
    /// Parses `auto` or a language code known to whisper.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s == "auto" || s.is_empty() {
            return Ok(Self::Auto);
        }
        // whisper's codes are short ASCII words; anything else (a NUL byte
        // would make whisper-rs panic) is not one.
        let plausible = s.len() <= 16 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        if plausible && whisper_rs::get_lang_id(&s).is_some() {
            Ok(Self::Code(s))
        } else {
            let shown: String = s.chars().take(32).collect();
            Err(format!(
                "unknown language {shown:?} (use a whisper language code such as es or en, or auto)"
            ))
        }
    }

    /// `auto` or the code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Auto => "auto",
            Self::Code(c) => c,
        }
    }
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `SUSURRO_ADDR`: where the HTTP API listens.
    pub addr: SocketAddr,
    /// `SUSURRO_DATA_DIR`: database, audio and (by default) models.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: SQLite database; defaults to `<data dir>/susurro.db`.
    pub database_url: String,
    /// `WHISPER_MODELS_DIR`: where `ggml-<name>.bin` files live.
    pub models_dir: PathBuf,
    /// `WHISPER_MODEL`: the active model's name at start.
    pub model: String,
    /// `WHISPER_MODELS_BASE_URL`: where catalog models are downloaded from.
    pub models_base_url: String,
    /// `WHISPER_MODELS_CATALOG`: optional JSON file adding or overriding entries.
    pub models_catalog: Option<PathBuf>,
    /// `WHISPER_AUTO_DOWNLOAD`: a job whose catalog model is missing downloads it.
    pub auto_download: bool,
    /// `WHISPER_TRIM_SILENCE`: leave out leading/trailing digital silence.
    pub trim_silence: bool,
    /// `WHISPER_FLASH_ATTN`: flash attention in whisper.cpp (off: measured slower on CPU).
    pub flash_attn: bool,
    /// `WHISPER_MAX_LOADED_MODELS`: models kept in memory at once.
    pub max_loaded_models: usize,
    /// `WHISPER_THREADS`: threads per transcription.
    pub threads: usize,
    /// `WHISPER_LANGUAGE`: default language of uploads (`es`; `auto` detects).
    pub language: Language,
    /// `WHISPER_AUDIO_CTX`: `auto` sizes the encoder window to clips under
    /// 30 s (faster); `full` always encodes 30 s.
    pub window: crate::stt::Window,
    /// `TRANSCRIPT_TTL_DAYS`: how long transcripts are kept.
    pub transcript_ttl: Duration,
    /// `WORKER_POLL_INTERVAL_MS`: how often idle workers look for jobs.
    pub poll_interval: Duration,
    /// `WORKER_MAX_CONCURRENT`: jobs running at once in this process.
    pub max_concurrent: usize,
    /// `CLEANUP_INTERVAL_HOURS`: period of the retention task.
    pub cleanup_interval: Duration,
    /// `MAX_UPLOAD_MB`: largest accepted upload.
    pub max_upload_bytes: u64,
    /// `MAX_AUDIO_SECONDS`: longest accepted recording.
    pub max_audio_seconds: u64,
    /// `AUDIO_RETENTION_HOURS`: keep audio this long after transcription (0: delete at once).
    pub audio_retention: Duration,
    /// `ADMIN_TOKEN`: bearer token for `/api/admin/*` (unset: loopback clients only).
    pub admin_token: Option<String>,
    /// `API_TOKEN`: bearer token for `/api/events` and `/v1` (unset: open).
    pub api_token: Option<String>,
    /// `WHISPER_GLOSSARY`: file of terms (one per line) for whisper's prompt.
    pub glossary: Vec<String>,
    /// `WHISPER_INITIAL_PROMPT`: text for whisper's prompt, after the glossary.
    pub initial_prompt: Option<String>,
    /// `EXTRACT_WEBHOOK_URL`: where extract jobs deliver transcripts (unset: they wait).
    pub extract_webhook_url: Option<String>,
    /// `EXTRACT_WEBHOOK_SECRET`: HMAC-SHA256 key signing webhook bodies.
    pub extract_webhook_secret: Option<String>,
    /// `JOB_LEASE_SECONDS`: a running job's lease, renewed while it runs.
    pub job_lease: Duration,
    /// `JOB_BACKOFF_BASE_MS` / `JOB_BACKOFF_MAX_MS`: retry delay after the
    /// first failure (doubling each time) and its cap.
    pub backoff: crate::queue::Backoff,
    /// `JOB_RETENTION_DAYS`: completed and cancelled jobs are pruned after this.
    pub job_retention: Duration,
    /// `DISCARDED_JOB_RETENTION_DAYS`: failed (discarded) jobs are kept longer.
    pub discarded_job_retention: Duration,
    /// `OPENAI_WAIT_SECONDS`: how long `/v1/audio/*` waits for the transcript.
    pub openai_wait: Duration,
    /// `SHUTDOWN_GRACE_SECONDS`: how long running jobs may finish at shutdown.
    pub shutdown_grace: Duration,
    /// `WHISPER_VAD`, `WHISPER_VAD_MODEL`, `WHISPER_VAD_THRESHOLD`,
    /// `WHISPER_VAD_MIN_SILENCE_MS`, `WHISPER_VAD_PAD_MS`,
    /// `WHISPER_CHUNK_SECONDS`: speech detection and chunking.
    pub vad: crate::stt::VadSettings,
    /// `SQLITE_SYNCHRONOUS`: `full` (default: acknowledged writes survive
    /// power loss) or `normal` (faster; the last commits can be lost).
    pub sqlite_synchronous: sqlx::sqlite::SqliteSynchronous,
}

/// Cores this process may use (at most 8: whisper gains little beyond).
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8)
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| get(name).filter(|v| !v.trim().is_empty());
        fn bad(var: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
            ConfigError {
                var,
                value: value.to_string(),
                reason: reason.into(),
            }
        }
        let positive_int = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(bad(name, &v, "expected a positive integer")),
                },
            }
        };
        let positive_f64 = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<f64>() {
                    Ok(n) if n > 0.0 && n.is_finite() && n < 1e6 => Ok(n),
                    _ => Err(bad(name, &v, "expected a positive number")),
                },
            }
        };

        let addr = match var("SUSURRO_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(v) => v.trim().parse().map_err(|_| {
                bad(
                    "SUSURRO_ADDR",
                    &v,
                    "expected host:port, e.g. 127.0.0.1:3000",
                )
            })?,
        };
        let data_dir = PathBuf::from(var("SUSURRO_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("susurro.db").display()));
        if !database_url.starts_with("sqlite:") {
            return Err(bad(
                "DATABASE_URL",
                &database_url,
                "only SQLite is supported (sqlite://path/to/file.db)",
            ));
        }
        let models_dir = var("WHISPER_MODELS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("models"));
        let model = var("WHISPER_MODEL").unwrap_or_else(|| "base".into());
        if !crate::models::is_valid_name(&model) {
            return Err(bad(
                "WHISPER_MODEL",
                &model,
                "expected a model name such as base or tiny.en (letters, digits, '.', '-', '_')",
            ));
        }
        let max_concurrent = positive_int("WORKER_MAX_CONCURRENT", 2)? as usize;
        // Never more whisper threads in total than cores: ggml's threads spin
        // while they wait, and an oversubscribed CPU runs 10-30x slower.
        let models_base_url = var("WHISPER_MODELS_BASE_URL")
            .unwrap_or_else(|| crate::models::catalog::DEFAULT_BASE_URL.to_string());
        if !(models_base_url.starts_with("http://") || models_base_url.starts_with("https://")) {
            return Err(bad(
                "WHISPER_MODELS_BASE_URL",
                &models_base_url,
                "expected an http(s) URL",
            ));
        }
        let models_catalog = var("WHISPER_MODELS_CATALOG").map(PathBuf::from);
        let auto_download = match var("WHISPER_AUTO_DOWNLOAD").as_deref().map(str::trim) {
            None | Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(v) => return Err(bad("WHISPER_AUTO_DOWNLOAD", v, "expected true or false")),
        };
        let max_loaded_models = positive_int("WHISPER_MAX_LOADED_MODELS", 1)? as usize;
        // Off by default: with the clip window it cost 0.24 WER points more (README).
        let trim_silence = match var("WHISPER_TRIM_SILENCE").as_deref().map(str::trim) {
            Some("1" | "true" | "yes" | "on") => true,
            None | Some("0" | "false" | "no" | "off") => false,
            Some(v) => return Err(bad("WHISPER_TRIM_SILENCE", v, "expected true or false")),
        };
        let flash_attn = match var("WHISPER_FLASH_ATTN").as_deref().map(str::trim) {
            None | Some("0" | "false" | "no" | "off") => false,
            Some("1" | "true" | "yes" | "on") => true,
            Some(v) => return Err(bad("WHISPER_FLASH_ATTN", v, "expected true or false")),
        };
        let threads = positive_int(
            "WHISPER_THREADS",
            (available_cores() / max_concurrent).max(1) as u64,
        )? as usize;
        let language = match var("WHISPER_LANGUAGE") {
            None => Language::Code("es".into()),
            Some(v) => Language::parse(&v).map_err(|e| bad("WHISPER_LANGUAGE", &v, e))?,
        };
        let window = match var("WHISPER_AUDIO_CTX") {
            None => crate::stt::Window::Clip,
            Some(v) => {
                crate::stt::Window::parse(&v).map_err(|e| bad("WHISPER_AUDIO_CTX", &v, e))?
            }
        };
        let ttl_days = positive_f64("TRANSCRIPT_TTL_DAYS", 14.0)?;
        let poll_ms = positive_int("WORKER_POLL_INTERVAL_MS", 3000)?;
        let cleanup_hours = positive_f64("CLEANUP_INTERVAL_HOURS", 24.0)?;
        let max_upload_mb = positive_int("MAX_UPLOAD_MB", 100)?;
        let max_audio_seconds = positive_int("MAX_AUDIO_SECONDS", 4 * 3600)?;
        let lease = positive_int("JOB_LEASE_SECONDS", 30)?;
        let audio_retention = match var("AUDIO_RETENTION_HOURS") {
            None => Duration::ZERO,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(h) if (0.0..1e6).contains(&h) => Duration::from_secs_f64(h * 3600.0),
                _ => {
                    return Err(bad(
                        "AUDIO_RETENTION_HOURS",
                        &v,
                        "expected a number of hours (0 or more)",
                    ))
                }
            },
        };
        let glossary = match var("WHISPER_GLOSSARY") {
            None => Vec::new(),
            Some(path) => std::fs::read_to_string(path.trim())
                .map_err(|e| {
                    bad(
                        "WHISPER_GLOSSARY",
                        &path,
                        format!("cannot read the file: {e}"),
                    )
                })?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
        };
        let extract_webhook_url = var("EXTRACT_WEBHOOK_URL");
        if let Some(u) = &extract_webhook_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(bad("EXTRACT_WEBHOOK_URL", u, "expected an http(s) URL"));
            }
        }
        let grace = positive_int("SHUTDOWN_GRACE_SECONDS", 30)?;
        let backoff = crate::queue::Backoff {
            base: Duration::from_millis(positive_int("JOB_BACKOFF_BASE_MS", 2000)?),
            cap: Duration::from_millis(positive_int("JOB_BACKOFF_MAX_MS", 600_000)?),
        };
        let sqlite_synchronous = match var("SQLITE_SYNCHRONOUS")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("full") => sqlx::sqlite::SqliteSynchronous::Full,
            Some("normal") => sqlx::sqlite::SqliteSynchronous::Normal,
            Some(v) => return Err(bad("SQLITE_SYNCHRONOUS", v, "expected full or normal")),
        };
        let vad_defaults = crate::stt::VadSettings::default();
        let vad = crate::stt::VadSettings {
            mode: match var("WHISPER_VAD") {
                None => crate::stt::VadMode::Auto,
                Some(v) => crate::stt::VadMode::parse(&v).map_err(|e| bad("WHISPER_VAD", &v, e))?,
            },
            model: match var("WHISPER_VAD_MODEL") {
                None => None,
                Some(m) if crate::models::is_valid_name(&m) => Some(m),
                Some(m) => return Err(bad("WHISPER_VAD_MODEL", &m, "expected a model name")),
            },
            threshold: match var("WHISPER_VAD_THRESHOLD") {
                None => vad_defaults.threshold,
                Some(v) => match v.trim().parse::<f32>() {
                    Ok(t) if t > 0.0 && t < 1.0 => t,
                    _ => {
                        return Err(bad(
                            "WHISPER_VAD_THRESHOLD",
                            &v,
                            "expected a number between 0 and 1",
                        ))
                    }
                },
            },
            min_silence_ms: positive_int(
                "WHISPER_VAD_MIN_SILENCE_MS",
                vad_defaults.min_silence_ms.into(),
            )?
            .min(60_000) as u32,
            pad_ms: match var("WHISPER_VAD_PAD_MS") {
                None => vad_defaults.pad_ms,
                Some(v) => match v.trim().parse::<u32>() {
                    Ok(ms) if ms <= 2_000 => ms,
                    _ => return Err(bad("WHISPER_VAD_PAD_MS", &v, "expected 0 to 2000")),
                },
            },
            chunk_seconds: match var("WHISPER_CHUNK_SECONDS") {
                None => vad_defaults.chunk_seconds,
                Some(v) => match v.trim().parse::<f32>() {
                    Ok(s) if (2.0..=30.0).contains(&s) => s,
                    _ => return Err(bad("WHISPER_CHUNK_SECONDS", &v, "expected 2 to 30 seconds")),
                },
            },
        };
        Ok(Self {
            vad,
            sqlite_synchronous,
            addr,
            data_dir,
            database_url,
            models_dir,
            model,
            models_base_url,
            models_catalog,
            auto_download,
            max_loaded_models,
            flash_attn,
            trim_silence,
            threads,
            language,
            window,
            transcript_ttl: Duration::from_secs_f64(ttl_days * 86_400.0),
            poll_interval: Duration::from_millis(poll_ms),
            max_concurrent,
            cleanup_interval: Duration::from_secs_f64(cleanup_hours * 3600.0),
            max_upload_bytes: max_upload_mb * 1024 * 1024,
            max_audio_seconds,
            job_lease: Duration::from_secs(lease),
            audio_retention,
            admin_token: var("ADMIN_TOKEN"),
            api_token: var("API_TOKEN"),
            glossary,
            initial_prompt: var("WHISPER_INITIAL_PROMPT"),
            extract_webhook_url,
            extract_webhook_secret: var("EXTRACT_WEBHOOK_SECRET"),
            shutdown_grace: Duration::from_secs(grace),
            openai_wait: Duration::from_secs(positive_int("OPENAI_WAIT_SECONDS", 600)?),
            job_retention: Duration::from_secs_f64(
                positive_f64("JOB_RETENTION_DAYS", 7.0)? * 86_400.0,
            ),
            discarded_job_retention: Duration::from_secs_f64(
                positive_f64("DISCARDED_JOB_RETENTION_DAYS", 30.0)? * 86_400.0,
            ),
            backoff,
        })
    }

    /// Directory of stored uploads.
    pub fn audio_dir(&self) -> PathBuf {
        self.data_dir.join("audio")
    }
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
        assert_eq!(s.transcript_ttl, Duration::from_secs(14 * 86_400));
        assert_eq!(s.poll_interval, Duration::from_millis(3000));
        assert_eq!(s.max_concurrent, 2);
        assert_eq!(s.cleanup_interval, Duration::from_secs(24 * 3600));
        assert_eq!(s.language, Language::Code("es".into()));
        assert!(s.database_url.ends_with("susurro.db"));
        assert!(s.models_dir.ends_with("models"));
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
            with(&[("DATABASE_URL", "postgres://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
    }

    #[test]
    fn fractions_are_allowed_for_ttl_and_cleanup() {
        let s = with(&[
            ("TRANSCRIPT_TTL_DAYS", "0.5"),
            ("CLEANUP_INTERVAL_HOURS", "0.25"),
        ])
        .unwrap();
        assert_eq!(s.transcript_ttl, Duration::from_secs(43_200));
        assert_eq!(s.cleanup_interval, Duration::from_secs(900));
    }
}
