//! `GET /health`: model and queue status.

use super::{ApiError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "Model and queue status (`status`: ok, or degraded while the active model is missing or cannot load)", body = Object),
        (status = 503, description = "The database cannot be written (its file was removed or replaced): `status` unavailable, `database_error` says why", body = Object)))]
pub(super) async fn health(
    State(st): State<AppState>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    if let Some(problem) = st.db_file.as_ref().and_then(|f| f.problem()) {
        return Ok((
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database_error": problem })),
        ));
    }
    let model = &st.engine.active();
    let path = model.path_in(&st.settings.models_dir);
    let available = tokio::fs::try_exists(&path).await.unwrap_or(false);
    let load_error = st.engine.load_error(model);
    let stats = st.queue.stats().await?;
    let ok = available && load_error.is_none();
    Ok((
        axum::http::StatusCode::OK,
        Json(json!({
            "status": if ok { "ok" } else { "degraded" },
            "model": model,
            "default_language": st.settings.language.as_str(),
            "model_available": available,
            "model_loaded": st.engine.is_loaded(model),
            "model_loads": st.engine.load_count(),
            "model_error": if available { load_error } else { Some(model.how_to_get(&st.settings.models_dir)) },
            "queue": {
                "counts": stats.counts,
                "oldest_available_age_ms": stats.oldest_available_age_ms,
                "running": stats.running.len(),
            },
            "workers": {
                "running": st.runner.is_running(),
                "slots": st.runner.slots(),
                "in_flight": st.runner.in_flight(),
            },
        })),
    ))
}
