//! Events (one uploaded recording each) and their transcripts: every write
//! of them, and the reads the jobs and the retention task make. The API's
//! reads are in [`super::view`].

pub use super::view::{get, list, parse_cursor};

use crate::clock::now_ms;
use crate::models::name::ModelName;
use crate::store::{Conn, Pool};
use crate::stt::Transcription;
use sqlx::Row;
use std::time::Duration;

/// An event's id: a UUID, in its hyphenated lowercase form (anything else
/// does not deserialise).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct EventId(String);

impl TryFrom<String> for EventId {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("{s:?} is not an event id"))
    }
}

impl EventId {
    /// A new random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// `s` if it is a UUID.
    pub fn parse(s: &str) -> Option<Self> {
        uuid::Uuid::parse_str(s).ok().map(|u| Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

sql_enum!(
    /// What an event's `stt` job does.
    Task {
        /// Text in the spoken language.
        Transcribe = "transcribe",
        /// Text in English, whatever is spoken.
        Translate = "translate",
    }
);

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
    pub model: Option<ModelName>,
    pub container: Option<String>,
    pub codec: Option<String>,
    pub priority: Option<i64>,
    pub task: Task,
    /// Speech detection settings for this upload.
    pub vad: Option<crate::stt::VadOverrides>,
}

/// What the stt worker needs of an event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventWork {
    pub status: EventStatus,
    pub audio_path: Option<String>,
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub task: Task,
    /// JSON of [`crate::stt::VadOverrides`].
    pub vad_options: Option<String>,
}

/// Inserts a queued event inside the caller's transaction (which enqueues
/// its job: `ingest::enqueue_event`); returns its id.
pub async fn insert_in(conn: &mut Conn, ev: &NewEvent, now: i64) -> Result<EventId, sqlx::Error> {
    let id = EventId::new();
    let vad = ev
        .vad
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "insert into events (id, status, audio_path, audio_bytes, language, prompt, model, container, codec,
                             created_at, updated_at, task, vad_options)
         values ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)",
    )
    .bind(id.as_str())
    .bind(&ev.audio_path)
    .bind(ev.audio_bytes)
    .bind(&ev.language)
    .bind(&ev.prompt)
    .bind(ev.model.as_ref().map(|m| m.as_str()))
    .bind(&ev.container)
    .bind(&ev.codec)
    .bind(now)
    .bind(ev.task)
    .bind(vad)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// The event's work order.
pub async fn work(pool: &Pool, id: &EventId) -> Result<Option<EventWork>, sqlx::Error> {
    sqlx::query_as(
        "select status, audio_path, language, prompt, model, task, vad_options from events where id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(pool)
    .await
}

/// Sets status and error (None clears it).
pub async fn set_status(
    pool: &Pool,
    id: &EventId,
    status: EventStatus,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update events set status = $1, error = $2, updated_at = $3 where id = $4")
        .bind(status)
        .bind(error)
        .bind(now_ms())
        .bind(id.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

/// Sets the status and error of an event that is not finished (queued or
/// transcribing), inside the caller's transaction: a job's failure never
/// overwrites a transcript.
pub async fn set_unfinished_status_in(
    conn: &mut Conn,
    id: &EventId,
    status: EventStatus,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update events set status = $1, error = $2, updated_at = $3
          where id = $4 and status in ('queued', 'transcribing')",
    )
    .bind(status)
    .bind(error)
    .bind(now_ms())
    .bind(id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a failed event's audio and returns its stored name, to delete.
pub async fn take_audio(pool: &Pool, id: &EventId) -> Result<Option<String>, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar(
        "select audio_path from events where id = $1 and status = 'failed' and audio_path is not null",
    )
    .bind(id.as_str())
    .fetch_optional(pool)
    .await?;
    let Some(name) = name else { return Ok(None) };
    // Conditional on the name read: of two callers, one takes it.
    let r = sqlx::query("update events set audio_path = null where id = $1 and audio_path = $2")
        .bind(id.as_str())
        .bind(&name)
        .execute(pool)
        .await?;
    Ok((r.rows_affected() == 1).then_some(name))
}

/// Whether the event already has a transcript (a rescued job's earlier run).
pub async fn has_transcript(pool: &Pool, id: &EventId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from transcripts where event_id = $1")
        .bind(id.as_str())
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Stores the transcript and marks the event transcribed, inside the caller's
/// transaction. Idempotent: an event keeps its first transcript. Returns the
/// transcript id.
pub async fn store_transcript(
    conn: &mut Conn,
    event_id: &EventId,
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
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (event_id) do nothing",
    )
    .bind(&id)
    .bind(event_id.as_str())
    .bind(&t.text)
    .bind(&t.language)
    .bind(&t.model)
    .bind(segments)
    .bind(t.inference_ms as i64)
    .bind(now)
    .bind(now + ttl.as_millis() as i64)
    .bind(&t.prompt)
    .bind(i64::from(t.no_speech))
    .execute(&mut *conn)
    .await?;
    clear_segments(&mut *conn, event_id).await?;
    sqlx::query(
        "update events set status = 'transcribed', error = null, duration_ms = $1, updated_at = $2,
                model = $3, container = coalesce($4, container), codec = coalesce($5, codec)
          where id = $6",
    )
    .bind(t.duration_ms as i64)
    .bind(now)
    .bind(&t.model)
    .bind(info.map(|i| i.container.clone()))
    .bind(info.map(|i| i.codec.clone()))
    .bind(event_id.as_str())
    .execute(&mut *conn)
    .await?;
    let tid: String = sqlx::query_scalar("select id from transcripts where event_id = $1")
        .bind(event_id.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok(tid)
}

/// Forgets the stored audio path once the file is deleted.
pub async fn clear_audio(pool: &Pool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update events set audio_path = null where id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes expired transcripts (and those created before `cutoff`) and
/// marks their events `expired`, in one transaction that holds the write
/// lock from its start (a read that later upgrades to a write fails at once
/// when another write is in progress; SQLite does not retry it). Returns
/// how many.
pub async fn expire_transcripts(pool: &Pool, now: i64, cutoff: i64) -> Result<u64, sqlx::Error> {
    let mut tx = pool
        .begin_with(super::Dialect::of(pool).begin_write())
        .await?;
    let expired = sqlx::query(
        "update events set status = 'expired', updated_at = $1
          where id in (select event_id from transcripts where expires_at <= $1 or created_at <= $2)",
    )
    .bind(now)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("delete from transcripts where expires_at <= $1 or created_at <= $2")
        .bind(now)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(expired)
}

/// (event id, stored audio name) of the audio no longer needed: of expired
/// events, and of transcribed and failed ones last updated before `keep_until`.
pub async fn audio_no_longer_needed(
    pool: &Pool,
    keep_until: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, audio_path from events where audio_path is not null
            and (status = 'expired' or (status in ('transcribed', 'failed') and updated_at <= $1))",
    )
    .bind(keep_until)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("id"), r.get("audio_path")))
        .collect())
}

/// Every stored audio name events still point at.
pub async fn referenced_audio(pool: &Pool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select audio_path from events where audio_path is not null")
        .fetch_all(pool)
        .await
}

/// Appends `pieces` as the event's segments `first_seq`, `first_seq + 1`, …
/// (a seq already there is kept: a publisher that retries repeats nothing).
pub async fn append_segments(
    pool: &Pool,
    event_id: &EventId,
    first_seq: i64,
    pieces: &[crate::progress::Piece],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (i, p) in pieces.iter().enumerate() {
        sqlx::query(
            "insert into event_segments (event_id, seq, start_ms, end_ms, text)
             values ($1, $2, $3, $4, $5) on conflict (event_id, seq) do nothing",
        )
        .bind(event_id.as_str())
        .bind(first_seq + i as i64)
        .bind(p.start_ms)
        .bind(p.end_ms)
        .bind(&p.text)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The event's published segments after `after_seq`, in order, at most
/// `limit`: `(seq, piece)`.
pub async fn segments_after(
    pool: &Pool,
    event_id: &EventId,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<(i64, crate::progress::Piece)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "select seq, start_ms, end_ms, text from event_segments
          where event_id = $1 and seq > $2 order by seq limit $3",
    )
    .bind(event_id.as_str())
    .bind(after_seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, start_ms, end_ms, text)| {
            let piece = crate::progress::Piece {
                start_ms,
                end_ms,
                text,
            };
            (seq, piece)
        })
        .collect())
}

/// Forgets the event's published segments (a new attempt starts over; a
/// stored transcript holds them).
pub async fn clear_segments(conn: &mut Conn, event_id: &EventId) -> Result<(), sqlx::Error> {
    sqlx::query("delete from event_segments where event_id = $1")
        .bind(event_id.as_str())
        .execute(conn)
        .await
        .map(drop)
}
