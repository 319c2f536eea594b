//! `/api/admin/*`: models (list, download, delete, activate).

use super::{ApiError, AppState};
use crate::models::ModelError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/models", get(list_models))
        .route("/api/admin/models/download", post(download_model))
        .route("/api/admin/models/active", post(activate_model))
        .route("/api/admin/models/{size}", delete(delete_model))
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::InvalidName(_) => ApiError::BadRequest(e.to_string()),
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
    fn name(self) -> Result<String, ApiError> {
        self.size
            .or(self.name)
            .ok_or_else(|| ApiError::BadRequest("body must be {\"size\": \"<model name>\"}".into()))
    }
}

async fn list_models(State(st): State<AppState>) -> Json<Value> {
    Json(json!({ "active": st.engine.active(), "models": st.models.list() }))
}

async fn download_model(
    State(st): State<AppState>,
    Json(body): Json<ModelBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body.name()?;
    if !crate::models::is_valid_name(&name) {
        return Err(ModelError::InvalidName(name).into());
    }
    let entry = st
        .models
        .catalog
        .get(&name)
        .cloned()
        .ok_or_else(|| ModelError::Unknown(name.clone()))?;
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
    st.models.delete(&size, q.force).await?;
    Ok(Json(json!({ "deleted": size })))
}
