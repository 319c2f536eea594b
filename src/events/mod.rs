//! Events (one uploaded recording each) and their transcripts: all of their SQL.

mod view;

pub use view::{get, list, parse_cursor, EventView, TranscriptView};

use crate::db::now_ms;
use crate::queue::{EnqueueOptions, JobKind, Queue, QueueError};
use crate::stt::Transcription;
use sqlx::{SqliteConnection, SqlitePool};
use std::time::Duration;

sql_enum!(
    /// Where an event is in the pipeline.
    EventStatus {
        Queued = "queued",
        Transcribing = "transcribing",
        Transcribed = "transcribed",
        Failed = "failed",
        Expired = "expired",
    }
);

/// A new upload, already stored on disk.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub audio_path: String,
    pub audio_bytes: i64,
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub container: Option<String>,
    pub codec: Option<String>,
    pub priority: Option<i64>,
    /// Translate to English instead of transcribing.
    pub translate: bool,
    /// Speech detection settings for this upload.
    pub vad: Option<crate::stt::VadOverrides>,
}

/// What the stt worker needs of an event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventWork {
    pub id: String,
    pub status: String,
    pub audio_path: Option<String>,
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub task: String,
    /// JSON of [`crate::stt::VadOverrides`].
    pub vad_options: Option<String>,
}

/// Inserts the event and its `stt` job in one transaction; returns the id.
pub async fn create(queue: &Queue, ev: &NewEvent) -> Result<String, QueueError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    let mut tx = queue.pool().begin().await?;
    sqlx::query(
        "insert into events (id, status, audio_path, audio_bytes, language, prompt, model, container, codec,
                             created_at, updated_at, task, vad_options)
         values (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
    )
    .bind(&id)
    .bind(&ev.audio_path)
    .bind(ev.audio_bytes)
    .bind(&ev.language)
    .bind(&ev.prompt)
    .bind(&ev.model)
    .bind(&ev.container)
    .bind(&ev.codec)
    .bind(now)
    .bind(if ev.translate { "translate" } else { "transcribe" })
    .bind(
        ev.vad
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(QueueError::Payload)?,
    )
    .execute(&mut *tx)
    .await?;
    Queue::enqueue_in(
        &mut tx,
        JobKind::Stt,
        &serde_json::json!({ "event_id": id }),
        &EnqueueOptions {
            unique_key: Some(id.clone()),
            priority: ev.priority,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    queue.notify();
    Ok(id)
}

/// The event's work order.
pub async fn work(pool: &SqlitePool, id: &str) -> Result<Option<EventWork>, sqlx::Error> {
    sqlx::query_as(
        "select id, status, audio_path, language, prompt, model, task, vad_options from events where id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Sets status and error (None clears it).
pub async fn set_status(
    pool: &SqlitePool,
    id: &str,
    status: EventStatus,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update events set status = ?1, error = ?2, updated_at = ?3 where id = ?4")
        .bind(status.as_str())
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Sets the status and error of an event that is not finished (queued or
/// transcribing), inside the caller's transaction: a job's failure never
/// overwrites a transcript.
pub async fn set_unfinished_status_in(
    conn: &mut SqliteConnection,
    id: &str,
    status: EventStatus,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update events set status = ?1, error = ?2, updated_at = ?3
          where id = ?4 and status in ('queued', 'transcribing')",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a failed event's audio and returns its stored name, to delete.
pub async fn take_audio(pool: &SqlitePool, id: &str) -> Result<Option<String>, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar(
        "select audio_path from events where id = ? and status = 'failed' and audio_path is not null",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(name) = name else { return Ok(None) };
    // Conditional on the name read: of two callers, one takes it.
    let r = sqlx::query("update events set audio_path = null where id = ? and audio_path = ?")
        .bind(id)
        .bind(&name)
        .execute(pool)
        .await?;
    Ok((r.rows_affected() == 1).then_some(name))
}

/// Whether the event already has a transcript (a rescued job's earlier run).
pub async fn has_transcript(pool: &SqlitePool, id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from transcripts where event_id = ?")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Stores the transcript and marks the event transcribed, inside the caller's
/// transaction. Idempotent: an event keeps its first transcript. Returns the
/// transcript id.
pub async fn store_transcript(
    conn: &mut SqliteConnection,
    event_id: &str,
    t: &Transcription,
    info: Option<&crate::audio::AudioInfo>,
    ttl: Duration,
) -> Result<String, sqlx::Error> {
    let now = now_ms();
    let id = uuid::Uuid::new_v4().to_string();
    let segments = serde_json::to_string(&t.segments).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "insert into transcripts (id, event_id, text, language, model, segments, inference_ms, created_at,
                                  expires_at, prompt, no_speech)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         on conflict (event_id) do nothing",
    )
    .bind(&id)
    .bind(event_id)
    .bind(&t.text)
    .bind(&t.language)
    .bind(&t.model)
    .bind(segments)
    .bind(t.inference_ms as i64)
    .bind(now)
    .bind(now + ttl.as_millis() as i64)
    .bind(&t.prompt)
    .bind(t.no_speech)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update events set status = 'transcribed', error = null, duration_ms = ?1, updated_at = ?2,
                model = ?3, container = coalesce(?4, container), codec = coalesce(?5, codec)
          where id = ?6",
    )
    .bind(t.duration_ms as i64)
    .bind(now)
    .bind(&t.model)
    .bind(info.map(|i| i.container.clone()))
    .bind(info.map(|i| i.codec.clone()))
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    let tid: String = sqlx::query_scalar("select id from transcripts where event_id = ?")
        .bind(event_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(tid)
}

/// Forgets the stored audio path once the file is deleted.
pub async fn clear_audio(pool: &SqlitePool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update events set audio_path = null where id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
