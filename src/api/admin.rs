//! `/api/admin/*`: models (list, download, delete, activate), queue and
//! transcript statistics, purge, and worker control.

use super::{ApiError, AppState};
use crate::model_name::ModelName;
use crate::models::ModelError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/admin/models", get(list_models))
        .route("/api/admin/models/download", post(download_model))
        .route("/api/admin/models/active", post(activate_model))
        .route("/api/admin/models/{size}", delete(delete_model))
        .route("/api/admin/queue", get(queue_stats))
        .route("/api/admin/transcripts", get(transcript_stats))
        .route("/api/admin/purge-transcripts", post(purge))
        .route("/api/admin/workers", get(workers))
        .route("/api/admin/workers/start", post(start_workers))
        .route("/api/admin/workers/stop", post(stop_workers))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::admin,
        ))
}

async fn queue_stats(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let stats = st.queue.stats().await?;
    Ok(Json(json!({
        "counts": stats.counts,
        "oldest_available_age_ms": stats.oldest_available_age_ms,
        "running": stats.running,
        "in_flight_here": st.runner.in_flight(),
        "completed_last_minute": stats.completed_last_minute,
        "completed_last_hour": stats.completed_last_hour,
        "failed_last_minute": stats.failed_last_minute,
        "failed_last_hour": stats.failed_last_hour,
    })))
}

async fn transcript_stats(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        crate::store::view::transcript_stats(&st.pool, (st.retention.clock)()).await?,
    ))
}

/// A century: larger values are mistakes (and would overflow a timestamp).
const MAX_PURGE_DAYS: f64 = 36_500.0;

#[derive(Deserialize, Default)]
struct PurgeBody {
    older_than_days: Option<f64>,
}

async fn purge(
    State(st): State<AppState>,
    body: Option<Json<PurgeBody>>,
) -> Result<Json<Value>, ApiError> {
    let older = match body.map(|b| b.0).unwrap_or_default().older_than_days {
        None => None,
        Some(d) if (0.0..=MAX_PURGE_DAYS).contains(&d) => {
            Some(std::time::Duration::from_secs_f64(d * 86_400.0))
        }
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "older_than_days must be between 0 and {MAX_PURGE_DAYS}"
            )))
        }
    };
    let report = st.retention.purge(older).await?;
    Ok(Json(
        serde_json::to_value(report).map_err(ApiError::internal)?,
    ))
}

fn workers_view(st: &AppState) -> Value {
    let in_flight = st.runner.in_flight();
    json!({
        "running": st.runner.is_running(),
        "slots": st.runner.slots(),
        "slots_in_use": in_flight.len(),
        "jobs": in_flight,
    })
}

async fn workers(State(st): State<AppState>) -> Json<Value> {
    Json(workers_view(&st))
}

async fn start_workers(State(st): State<AppState>) -> Json<Value> {
    st.runner.start();
    Json(workers_view(&st))
}

async fn stop_workers(State(st): State<AppState>) -> Json<Value> {
    st.runner.stop();
    Json(workers_view(&st))
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::InvalidName(_) => ApiError::BadRequest(e.to_string()),
            ModelError::Missing(_) => ApiError::NotFound(e.to_string()),
            ModelError::Unknown(_) | ModelError::NotInstalled(_) => {
                ApiError::NotFound(e.to_string())
            }
            ModelError::Conflict(_) => ApiError::Conflict(e.to_string()),
            ModelError::Load(_) => ApiError::Unprocessable(e.to_string()),
            ModelError::Download(d) => ApiError::BadGateway(d.to_string()),
            ModelError::Io(io) => ApiError::internal(io),
        }
    }
}

/// `{"size": "base"}` (`name` is accepted too).
#[derive(Deserialize)]
struct ModelBody {
    size: Option<String>,
    name: Option<String>,
}

impl ModelBody {
    fn name(self) -> Result<ModelName, ApiError> {
        let name = self.size.or(self.name).ok_or_else(|| {
            ApiError::BadRequest("body must be {\"size\": \"<model name>\"}".into())
        })?;
        Ok(ModelName::parse(&name).map_err(ModelError::from)?)
    }
}

async fn list_models(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    // Reads the models directory and checksum files: off the async runtime.
    let models = st.models.clone();
    let list = tokio::task::spawn_blocking(move || models.list())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        json!({ "active": st.engine.active(), "models": list }),
    ))
}

async fn download_model(
    State(st): State<AppState>,
    Json(body): Json<ModelBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body.name()?;
    let entry = st
        .models
        .catalog
        .get(&name)
        .cloned()
        .ok_or_else(|| ModelError::Unknown(name.to_string()))?;
    let models = st.models.clone();
    // Runs in the background; progress shows in GET /api/admin/models.
    tokio::spawn(async move {
        let _ = models.downloads.download(&entry).await;
    });
    tokio::task::yield_now().await;
    let progress = st.models.downloads.progress_of(&name);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "name": name, "download": progress })),
    ))
}

async fn activate_model(
    State(st): State<AppState>,
    Json(body): Json<ModelBody>,
) -> Result<Json<Value>, ApiError> {
    let name = body.name()?;
    st.models.activate(&name).await?;
    Ok(Json(json!({ "active": st.engine.active() })))
}

#[derive(Deserialize)]
struct DeleteQuery {
    #[serde(default)]
    force: bool,
}

async fn delete_model(
    State(st): State<AppState>,
    Path(size): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<Json<Value>, ApiError> {
    let name = ModelName::parse(&size).map_err(ModelError::from)?;
    st.models.delete(&name, q.force).await?;
    Ok(Json(json!({ "deleted": name })))
}
