//! Taking an upload in: the multipart body streamed (audio to a file under a
//! generated name, text fields capped at 4 KiB while they stream), the
//! fields checked (language, installed model), the audio probed, then the
//! event and its `stt` job stored together. Shared by `/api/events` and the
//! OpenAI-compatible routes; errors are [`IngestError`], which the API maps
//! to HTTP.

mod fields;
mod upload;

pub use fields::{echo, UploadFields, MAX_FIELD_BYTES};
pub use upload::PendingFile;

use crate::audio::AudioError;
use crate::jobs::payload::{self, Payload};
use crate::jobs::ModelManager;
use crate::models::name::ModelName;
use crate::queue::{EnqueueOptions, Queue, QueueError};
use crate::storage::AudioStore;
use crate::store::events::{self, EventId, NewEvent, Task};
use crate::stt::Language;
use axum::extract::Multipart;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Stores a queued event and its `stt` job in one transaction (both or
/// neither), then wakes the workers; returns the event's id.
pub async fn enqueue_event(queue: &Queue, ev: &NewEvent) -> Result<EventId, QueueError> {
    let mut tx = queue.pool().begin().await?;
    let id = events::insert_in(&mut tx, ev, queue.clock().now_ms()).await?;
    let job = payload::Stt {
        event_id: id.clone(),
    };
    let opts = EnqueueOptions {
        unique_key: Some(id.to_string()),
        priority: ev.priority,
        ..Default::default()
    };
    queue
        .enqueue_in(&mut tx, payload::Stt::KIND, &job.encode(), &opts)
        .await?;
    tx.commit().await?;
    queue.notify();
    Ok(id)
}

/// Why an upload was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body had no audio part; the field the client should use.
    #[error("missing the audio file: send it in the multipart field {0:?}")]
    MissingFile(&'static str),
    /// A text field that is too long, not UTF-8, or not a valid value.
    #[error("{0}")]
    BadField(String),
    /// A model that is not installed was named.
    #[error("model {name} is not installed; installed models: {}", if installed.is_empty() { "none".to_string() } else { installed.join(", ") })]
    UnknownModel {
        name: String,
        installed: Vec<String>,
    },
    /// Over `MAX_UPLOAD_MB`.
    #[error("{0}")]
    TooLarge(String),
    /// A broken multipart body.
    #[error("invalid multipart body: {0}")]
    Multipart(String),
    /// The audio itself (415/422, or an I/O error).
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The server began shutting down while the upload streamed.
    #[error("the server is shutting down; send the upload again in a moment")]
    ShuttingDown,
    /// The disk (or quota) the upload is stored on is full.
    #[error("no space left to store the upload: {0}")]
    StorageFull(String),
    /// The database cannot take writes (full, or its file was removed or
    /// replaced under the running service).
    #[error("{0}")]
    DatabaseUnavailable(String),
    /// Storing the file or the event failed.
    #[error("{0}")]
    Internal(String),
}

impl IngestError {
    /// Counts the refusal in `susurro_uploads_total` (shutdown and server
    /// faults are not the upload's doing and are not counted).
    fn count(&self) {
        let outcome = match self {
            Self::TooLarge(_) => "too_large",
            Self::Audio(AudioError::UnsupportedFormat(_) | AudioError::UnsupportedCodec(_)) => {
                "unsupported"
            }
            Self::Audio(AudioError::Io(_))
            | Self::ShuttingDown
            | Self::Internal(_)
            | Self::StorageFull(_)
            | Self::DatabaseUnavailable(_) => return,
            _ => "invalid",
        };
        crate::metrics::upload(outcome);
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// A storage error: full disk, or a server fault.
    pub(crate) fn storage(e: &std::io::Error) -> Self {
        if crate::db::io_is_full(e) {
            Self::StorageFull(e.to_string())
        } else {
            Self::Internal(format!("storing the upload: {e}"))
        }
    }

    /// A database error: full or gone, or a server fault.
    fn database(e: crate::queue::QueueError) -> Self {
        match &e {
            crate::queue::QueueError::Db(d) if crate::db::is_full(d) => Self::DatabaseUnavailable(
                "the database is full: free disk space, then send the upload again".into(),
            ),
            _ => Self::internal(e),
        }
    }
}

/// What taking uploads needs.
#[derive(Clone)]
pub struct Intake {
    pub queue: Queue,
    pub models: Arc<ModelManager>,
    /// Where uploads are stored.
    pub audio: AudioStore,
    pub max_upload_bytes: u64,
    /// Longest recording taken (a longer declared duration is refused).
    pub max_audio_seconds: u64,
    /// The bounded child process that probes uploads.
    pub media: crate::audio::Sandbox,
    /// The SQLite file, watched for removal or replacement.
    pub db_file: Option<crate::db::DbFile>,
    /// Fired at shutdown: uploads still streaming stop with 503.
    pub shutdown: CancellationToken,
}

/// How an accepted upload is queued.
#[derive(Debug, Clone, Copy)]
pub struct Queueing {
    /// Lower runs first (`None`: normal).
    pub priority: Option<i64>,
    pub task: Task,
}

impl Intake {
    /// Reads the multipart body: streams the audio part (the first of
    /// `audio_fields` present) to disk and keeps the small text fields.
    pub async fn read(
        &self,
        multipart: Multipart,
        audio_fields: &[&'static str],
    ) -> Result<(PendingFile, UploadFields), IngestError> {
        let r = tokio::select! {
            r = fields::read(self, multipart, audio_fields) => r,
            _ = self.shutdown.cancelled() => Err(IngestError::ShuttingDown),
        };
        if let Err(e) = &r {
            e.count();
        }
        r
    }

    /// Validates the fields and the audio, then stores the event and its job.
    pub async fn accept(
        &self,
        audio: PendingFile,
        fields: UploadFields,
        queueing: Queueing,
    ) -> Result<EventId, IngestError> {
        let r = self.store(audio, fields, queueing).await;
        match &r {
            Ok(_) => crate::metrics::upload("accepted"),
            Err(e) => e.count(),
        }
        r
    }

    async fn store(
        &self,
        audio: PendingFile,
        fields: UploadFields,
        queueing: Queueing,
    ) -> Result<EventId, IngestError> {
        if let Some(problem) = self.db_file.as_ref().and_then(|f| f.problem()) {
            return Err(IngestError::DatabaseUnavailable(problem));
        }
        let language = match fields.language.as_deref() {
            None => None,
            Some(l) => Some(Language::parse(l).map_err(IngestError::BadField)?),
        };
        let model = match fields.model.as_deref() {
            None => None,
            Some(m) => Some(self.installed(m).await?),
        };
        let (probe_path, media, max) = (
            audio.path.clone(),
            self.media.clone(),
            self.max_audio_seconds,
        );
        let info = tokio::task::spawn_blocking(move || media.probe(&probe_path, max))
            .await
            .map_err(IngestError::internal)??;
        let bytes = audio.bytes as i64;
        let name = self.keep(audio).await?;
        let ev = NewEvent {
            audio_path: name,
            audio_bytes: bytes,
            language: language.map(|l| l.as_str().to_string()),
            prompt: fields.prompt,
            model,
            container: Some(info.container),
            codec: Some(info.codec),
            priority: queueing.priority,
            task: queueing.task,
            vad: fields.vad,
        };
        match enqueue_event(&self.queue, &ev).await {
            Ok(id) => Ok(id),
            Err(e) => {
                self.audio.remove(&ev.audio_path).await;
                Err(IngestError::database(e))
            }
        }
    }

    /// Keeps the streamed file and hands it to the audio store; returns its
    /// stored name. Kept before the event commits: a client that leaves
    /// during the commit cannot leave an event whose file was deleted (a file
    /// without an event is swept as an orphan instead).
    async fn keep(&self, audio: PendingFile) -> Result<String, IngestError> {
        let path = audio.keep();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| IngestError::internal("upload without a file name"))?;
        if let Err(e) = self.audio.put_file(&name, &path).await {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(match e {
                crate::storage::StorageError::Io(io) => IngestError::storage(&io),
                e => IngestError::internal(e),
            });
        }
        Ok(name)
    }

    /// `name` as an installed model: uploads may name only those, so that no
    /// upload makes the service download or load anything new.
    pub async fn installed(&self, name: &str) -> Result<ModelName, IngestError> {
        if let Ok(m) = ModelName::parse(name) {
            if self.models.installed_whisper(&m) {
                return Ok(m);
            }
        }
        let models = self.models.clone();
        let installed = tokio::task::spawn_blocking(move || models.installed_names())
            .await
            .map_err(IngestError::internal)?;
        Err(IngestError::UnknownModel {
            name: echo(name),
            installed: installed.iter().map(|n| n.to_string()).collect(),
        })
    }
}
