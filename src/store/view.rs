//! Reading events for the API: one event with its transcript, and pages of them.

use super::events::{EventId, EventStatus};
use crate::clock::rfc3339;
use crate::store::Pool;
use crate::stt::Segment;
use serde::Serialize;
use sqlx::Row;

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub id: String,
    pub status: EventStatus,
    pub created_at: String,
    pub updated_at: String,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub language: Option<String>,
    pub model: Option<String>,
    pub container: Option<String>,
    pub codec: Option<String>,
    pub transcript: Option<TranscriptView>,
    /// While `transcribing` on the node asked: percent done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<i32>,
    #[serde(skip)]
    #[schema(ignore)]
    pub created_ms: i64,
}

/// A transcript as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TranscriptView {
    pub id: String,
    pub text: String,
    pub language: Option<String>,
    pub model: String,
    pub segments: Vec<Segment>,
    pub inference_ms: i64,
    pub created_at: String,
    pub expires_at: String,
    /// The initial prompt whisper was given, if any.
    pub prompt: Option<String>,
    /// No speech was found in the recording (the text is empty on purpose).
    pub no_speech: bool,
}

const SELECT: &str =
    "select e.id, e.status, e.created_at, e.updated_at, e.duration_ms, e.error, e.language,
        e.model, e.container, e.codec,
        t.id as t_id, t.text as t_text, t.language as t_language, t.model as t_model,
        t.segments as t_segments, t.inference_ms as t_inference_ms,
        t.created_at as t_created_at, t.expires_at as t_expires_at, t.prompt as t_prompt,
        t.no_speech as t_no_speech
   from events e left join transcripts t on t.event_id = e.id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<EventView, sqlx::Error> {
    let t_id: Option<String> = r.get("t_id");
    let transcript = t_id
        .map(|id| -> Result<TranscriptView, sqlx::Error> {
            Ok(TranscriptView {
                text: r.get("t_text"),
                language: r.get("t_language"),
                model: r.get("t_model"),
                segments: serde_json::from_str(&r.get::<String, _>("t_segments")).map_err(|e| {
                    sqlx::Error::Decode(format!("transcript {id}: corrupt segments: {e}").into())
                })?,
                inference_ms: r.get("t_inference_ms"),
                created_at: rfc3339(r.get("t_created_at")),
                expires_at: rfc3339(r.get("t_expires_at")),
                prompt: r.get("t_prompt"),
                no_speech: r.get::<i64, _>("t_no_speech") != 0,
                id,
            })
        })
        .transpose()?;
    let created: i64 = r.get("created_at");
    Ok(EventView {
        id: r.get("id"),
        status: r.try_get("status")?,
        created_at: rfc3339(created),
        updated_at: rfc3339(r.get("updated_at")),
        duration_ms: r.get("duration_ms"),
        error: r.get("error"),
        language: r.get("language"),
        model: r.get("model"),
        container: r.get("container"),
        codec: r.get("codec"),
        transcript,
        created_ms: created,
        progress: None,
    })
}

/// One event with its transcript.
pub async fn get(pool: &Pool, id: &EventId) -> Result<Option<EventView>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} where e.id = $1"))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Newest first, optionally by status, after an opaque cursor
/// (`<created_ms>_<id>` of the last item of the previous page).
/// Returns the page and the cursor of the next one.
pub async fn list(
    pool: &Pool,
    status: Option<EventStatus>,
    limit: i64,
    cursor: Option<(i64, String)>,
) -> Result<(Vec<EventView>, Option<String>), sqlx::Error> {
    let (c_ms, c_id) = cursor.unwrap_or((i64::MAX, String::new()));
    let rows = sqlx::query(&format!(
        "{SELECT} where ($1 is null or e.status = $1)
           and (e.created_at < $2 or (e.created_at = $2 and e.id < $3) or $3 = '')
         order by e.created_at desc, e.id desc limit $4"
    ))
    .bind(status)
    .bind(c_ms)
    .bind(c_id)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|e| format!("{}_{}", e.created_ms, e.id))
    } else {
        None
    };
    Ok((items, next))
}

/// Parses a cursor made by [`list`].
pub fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let (ms, id) = s.split_once('_')?;
    Some((ms.parse().ok()?, id.to_string()))
}

/// Transcript statistics for the admin API.
pub async fn transcript_stats(pool: &Pool, now: i64) -> Result<TranscriptStats, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) as n, min(t.created_at) as oldest, max(t.created_at) as newest,
                cast(coalesce(sum(e.duration_ms), 0) as bigint) as audio_ms,
                cast(sum(case when t.expires_at <= $1 then 1 else 0 end) as bigint) as expiring
           from transcripts t join events e on e.id = t.event_id",
    )
    .bind(now + 86_400_000)
    .fetch_one(pool)
    .await?;
    let by_language: Vec<(Option<String>, i64)> = sqlx::query_as(
        "select language, count(*) from transcripts group by language order by 2 desc",
    )
    .fetch_all(pool)
    .await?;
    let by_language = by_language
        .into_iter()
        .map(|(l, n)| (l.unwrap_or_else(|| "unknown".into()), n))
        .collect();
    let oldest: Option<i64> = row.get("oldest");
    let newest: Option<i64> = row.get("newest");
    Ok(TranscriptStats {
        count: row.get("n"),
        by_language,
        total_audio_ms: row.get("audio_ms"),
        oldest: oldest.map(rfc3339),
        newest: newest.map(rfc3339),
        expiring_in_24h: row.get::<Option<i64>, _>("expiring").unwrap_or(0),
    })
}

/// Stored transcripts, for the admin API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TranscriptStats {
    pub count: i64,
    /// Language code (or `unknown`) → transcripts.
    pub by_language: std::collections::BTreeMap<String, i64>,
    /// Audio behind the stored transcripts.
    pub total_audio_ms: i64,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    /// Transcripts that expire within 24 hours.
    pub expiring_in_24h: i64,
}
