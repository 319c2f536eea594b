//! `POST /api/events` (upload), `GET /api/events/{id}`, `GET /api/events`
//! (and `GET /api/events/{id}/stream`: [`super::stream`]).

use super::{ApiError, AppState};
use crate::ingest::{echo, Queueing};
use crate::store::events::{self, EventId, EventStatus, Task};
use crate::store::view::EventView;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/events", get(list_events).post(create_event))
        .route("/api/events/{id}", get(get_event))
        .route("/api/events/{id}/stream", get(super::stream::stream_event))
        .layer(DefaultBodyLimit::max(
            state.settings.max_upload_bytes as usize + 1024 * 1024,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::api,
        ))
}

#[utoipa::path(post, path = "/api/events", tag = "events",
    request_body(content = super::openapi::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored and queued", body = EventView),
        (status = 400, description = "A bad field, no audio part, or a model that is not installed", body = super::openapi::ErrorBody),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::ErrorBody),
        (status = 413, description = "Larger than MAX_UPLOAD_MB", body = super::openapi::ErrorBody),
        (status = 415, description = "Not a supported audio format or codec", body = super::openapi::ErrorBody),
        (status = 422, description = "Audio without decodable samples, or impossible parameters", body = super::openapi::ErrorBody),
        (status = 503, description = "Shutting down", body = super::openapi::ErrorBody),
    ))]
pub(super) async fn create_event(
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (audio, fields) = st.intake.read(multipart, &["audio", "file"]).await?;
    let queueing = Queueing {
        priority: None,
        task: Task::Transcribe,
    };
    let id = st.intake.accept(audio, fields, queueing).await?;
    let view = events::get(&st.pool, &id).await?;
    let mut body = serde_json::to_value(view).map_err(ApiError::internal)?;
    body["status"] = json!("queued");
    Ok((StatusCode::ACCEPTED, Json(body)))
}

#[utoipa::path(get, path = "/api/events/{id}", tag = "events",
    params(("id" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "The event and, once transcribed, its transcript", body = EventView),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::ErrorBody),
        (status = 404, description = "No such event", body = super::openapi::ErrorBody),
    ))]
pub(super) async fn get_event(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EventView>, ApiError> {
    let not_found = || ApiError::NotFound(format!("event {} not found", echo(&id)));
    let id = EventId::parse(&id).ok_or_else(not_found)?;
    let mut view = events::get(&st.pool, &id).await?.ok_or_else(not_found)?;
    if view.status == EventStatus::Transcribing {
        view.progress = progress(&st, &id).await?;
    }
    Ok(Json(view))
}

/// How far this node's worker is with the event (percent), when it runs here.
pub(super) async fn progress(st: &AppState, id: &EventId) -> Result<Option<i32>, ApiError> {
    let Some(job) = st
        .queue
        .running_with_key(crate::queue::JobKind::Stt, id.as_str())
        .await?
    else {
        return Ok(None);
    };
    Ok(st
        .runner
        .in_flight()
        .into_iter()
        .find(|j| j.id == job)
        .map(|j| j.progress))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Only events in this status.
    #[param(value_type = Option<EventStatus>)]
    status: Option<String>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/events", tag = "events",
    params(ListQuery),
    responses(
        (status = 200, description = "Newest first", body = super::openapi::EventPage),
        (status = 400, description = "A bad status, limit or cursor", body = super::openapi::ErrorBody),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::ErrorBody),
    ))]
pub(super) async fn list_events(
    State(st): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(EventStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown status {} (queued, transcribing, transcribed, failed, expired)",
                echo(s)
            ))
        })?),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 200".into(),
        ));
    }
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            events::parse_cursor(c).ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?,
        ),
    };
    let (items, next) = events::list(&st.pool, status, limit, cursor).await?;
    Ok(Json(json!({ "events": items, "next_cursor": next })))
}
