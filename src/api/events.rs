//! `POST /api/events` (upload), `GET /api/events/{id}`, `GET /api/events`.

use super::{ApiError, AppState};
use crate::ingest::{echo, Queueing};
use crate::store::events::{self, EventId, EventStatus, Task};
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
        .layer(DefaultBodyLimit::max(
            state.settings.max_upload_bytes as usize + 1024 * 1024,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::api,
        ))
}

async fn create_event(
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

async fn get_event(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::NotFound(format!("event {} not found", echo(&id)));
    let id = EventId::parse(&id).ok_or_else(not_found)?;
    let view = events::get(&st.pool, &id).await?.ok_or_else(not_found)?;
    Ok(Json(
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list_events(
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
