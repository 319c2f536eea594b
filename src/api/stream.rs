//! An event followed as it happens: `GET /api/events/{id}/stream`
//! (Server-Sent Events) and the OpenAI rendering of the same stream
//! (`stream=true` on `/v1/audio/transcriptions`).
//!
//! The stream reads the database, so it works on any node whatever node
//! runs the job: the stt job publishes each segment once it and every
//! segment before it are transcribed (`event_segments`, seq from 1), the
//! stored transcript holds the same segments in the same order. Segment
//! events carry their seq as the SSE id, so a client that reconnects with
//! `Last-Event-ID` gets only the segments after it.

use super::{ApiError, AppState};
use crate::ingest::echo;
use crate::progress::Piece;
use crate::store::events::{self, EventId, EventStatus};
use crate::store::view::EventView;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;

/// How often a followed event is looked at while nothing changes.
const LOOK_EVERY: Duration = Duration::from_millis(200);
/// Segments read per look.
const BATCH: i64 = 200;

/// What happened to a followed event since the last look.
#[derive(Debug, Clone)]
pub enum Happened {
    /// Its status or progress changed.
    Status(EventStatus, Option<i32>),
    /// The next segment in timeline order (seq from 1).
    Segment(i64, Piece),
    /// Transcribed: the event with its stored transcript. The last item.
    Done(Box<EventView>),
    /// Failed, expired or removed: why. The last item.
    Failed(EventStatus, String),
}

/// Where a follower is.
struct Follower {
    st: AppState,
    id: EventId,
    after_seq: i64,
    seen: Option<(EventStatus, Option<i32>)>,
    finished: bool,
    first: bool,
}

impl Follower {
    /// The next batch of what happened (waits while nothing does); `None`
    /// once the event is done, failed, or the server shuts down.
    async fn next(&mut self) -> Option<Vec<Happened>> {
        if self.finished {
            return None;
        }
        loop {
            if !std::mem::take(&mut self.first) {
                tokio::select! {
                    _ = self.st.shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(LOOK_EVERY) => {}
                }
            }
            match self.look().await {
                Ok(batch) if batch.is_empty() => continue,
                Ok(batch) => return Some(batch),
                Err(e) => {
                    tracing::warn!("following event {}: {e}", self.id);
                    continue;
                }
            }
        }
    }

    async fn look(&mut self) -> Result<Vec<Happened>, ApiError> {
        let mut out = Vec::new();
        let Some(mut view) = events::get(&self.st.pool, &self.id).await? else {
            self.finished = true;
            let why = "the event was removed".to_string();
            return Ok(vec![Happened::Failed(EventStatus::Expired, why)]);
        };
        if view.status == EventStatus::Transcribing {
            view.progress = super::events::progress(&self.st, &self.id).await?;
        }
        let now = (view.status, view.progress);
        if self.seen != Some(now) {
            self.seen = Some(now);
            out.push(Happened::Status(view.status, view.progress));
        }
        match view.status {
            EventStatus::Transcribed => {
                self.finished = true;
                out.extend(self.stored(&view));
                out.push(Happened::Done(Box::new(view)));
            }
            EventStatus::Failed | EventStatus::Expired => {
                self.finished = true;
                let why = view.error.clone().unwrap_or_else(|| "expired".into());
                out.push(Happened::Failed(view.status, why));
            }
            _ => {
                let rows =
                    events::segments_after(&self.st.pool, &self.id, self.after_seq, BATCH).await?;
                for (seq, piece) in rows {
                    self.after_seq = seq;
                    out.push(Happened::Segment(seq, piece));
                }
            }
        }
        Ok(out)
    }

    /// The stored transcript's segments not sent yet.
    fn stored(&mut self, view: &EventView) -> Vec<Happened> {
        let Some(t) = &view.transcript else {
            return Vec::new();
        };
        let from = self.after_seq.max(0) as usize;
        let out = t
            .segments
            .iter()
            .enumerate()
            .skip(from)
            .map(|(i, s)| {
                let piece = Piece {
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                    text: s.text.clone(),
                };
                Happened::Segment(i as i64 + 1, piece)
            })
            .collect();
        self.after_seq = self.after_seq.max(t.segments.len() as i64);
        out
    }
}

/// What happens to event `id` from segment `after_seq + 1` on, until it
/// is done or failed.
pub fn follow(st: AppState, id: EventId, after_seq: i64) -> impl Stream<Item = Happened> + Send {
    let follower = Follower {
        st,
        id,
        after_seq,
        seen: None,
        finished: false,
        first: true,
    };
    stream::unfold(follower, |mut f| async move {
        let batch = f.next().await?;
        Some((stream::iter(batch), f))
    })
    .flatten()
}

/// `Last-Event-ID`: the seq of the last segment the client has (0: none).
/// Anything but a small whole number counts as none.
fn last_event_id(headers: &HeaderMap) -> i64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 18)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .unwrap_or(0)
}

#[utoipa::path(get, path = "/api/events/{id}/stream", tag = "events",
    params(
        ("id" = String, Path, description = "The event id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "The seq of the last segment received: resume after it"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events: `status` ({status, progress}) when it changes; \
            `segment` ({seq, start_ms, end_ms, text}, SSE id = seq) for each segment in timeline order, once, \
            as soon as it and every segment before it are transcribed; then `done` (the event with its stored \
            transcript) or `failed` ({status, error}), and the stream ends.", content_type = "text/event-stream", body = String),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::ErrorBody),
        (status = 404, description = "No such event", body = super::openapi::ErrorBody),
    ))]
pub(super) async fn stream_event(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let not_found = || ApiError::NotFound(format!("event {} not found", echo(&id)));
    let id = EventId::parse(&id).ok_or_else(not_found)?;
    events::get(&st.pool, &id).await?.ok_or_else(not_found)?;
    let events = follow(st, id, last_event_id(&headers)).map(|h| Ok(sse_event(h)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// One happening as `/api/events/{id}/stream` sends it.
fn sse_event(h: Happened) -> Event {
    let data = |v: serde_json::Value| Event::default().data(v.to_string());
    match h {
        Happened::Status(status, progress) => {
            data(json!({ "status": status, "progress": progress })).event("status")
        }
        Happened::Segment(seq, p) => data(json!({
            "seq": seq, "start_ms": p.start_ms, "end_ms": p.end_ms, "text": p.text,
        }))
        .event("segment")
        .id(seq.to_string()),
        Happened::Done(view) => data(serde_json::to_value(*view).unwrap_or_default()).event("done"),
        Happened::Failed(status, error) => {
            data(json!({ "status": status, "error": error })).event("failed")
        }
    }
}
