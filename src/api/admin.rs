//! `/api/admin/*`: models (list, download, delete, activate), queue and
//! transcript statistics, purge, and worker control.

use super::{ApiError, AppState};
use crate::jobs::ModelError;
use crate::models::name::ModelName;
use crate::store::cluster::WorkersWanted;
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
        .route("/api/admin/nodes", get(nodes))
        .route("/api/admin/jobs/{id}/cancel", post(cancel_job))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::admin,
        ))
}

#[utoipa::path(get, path = "/api/admin/queue", tag = "admin",
    responses((status = 200, description = "Counts by kind and state, oldest waiting job, running jobs", body = QueueView),
        super::openapi::AdminRefusals))]
pub(super) async fn queue_stats(State(st): State<AppState>) -> Result<Json<QueueView>, ApiError> {
    Ok(Json(QueueView {
        stats: st.queue.stats().await?,
        in_flight_here: st.runner.in_flight(),
    }))
}

/// The queue, cluster-wide, and the jobs this process runs.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct QueueView {
    #[serde(flatten)]
    stats: crate::queue::QueueStats,
    in_flight_here: Vec<crate::queue::InFlightJob>,
}

/// This process's workers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct WorkersView {
    /// Claiming jobs (false after workers/stop).
    running: bool,
    slots: usize,
    slots_in_use: usize,
    jobs: Vec<crate::queue::InFlightJob>,
}

/// The models list.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct ModelsView {
    #[schema(value_type = String)]
    active: ModelName,
    models: Vec<crate::jobs::ModelView>,
}

#[utoipa::path(get, path = "/api/admin/transcripts", tag = "admin",
    responses((status = 200, description = "Count, by language, audio duration, oldest and newest, expiring within 24 h", body = crate::store::view::TranscriptStats), super::openapi::AdminRefusals))]
pub(super) async fn transcript_stats(
    State(st): State<AppState>,
) -> Result<Json<crate::store::view::TranscriptStats>, ApiError> {
    Ok(Json(
        crate::store::view::transcript_stats(&st.pool, st.retention.clock.now_ms()).await?,
    ))
}

/// A century: larger values are mistakes (and would overflow a timestamp).
const MAX_PURGE_DAYS: f64 = 36_500.0;

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(super) struct PurgeBody {
    /// Also purge transcripts older than this many days (0 to 36500).
    #[schema(minimum = 0.0, maximum = 36500.0)]
    older_than_days: Option<f64>,
}

#[utoipa::path(post, path = "/api/admin/purge-transcripts", tag = "admin",
    request_body(content = Option<PurgeBody>, content_type = "application/json"),
    responses((status = 200, description = "What was removed", body = crate::retention::PurgeReport),
        (status = 400, description = "older_than_days out of range, or a malformed body", body = super::openapi::ErrorBody), (status = 415, description = "The body is not application/json", body = super::openapi::ErrorBody), (status = 422, description = "JSON of the wrong shape", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn purge(
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

fn workers_view(st: &AppState) -> WorkersView {
    let jobs = st.runner.in_flight();
    WorkersView {
        running: st.runner.is_running(),
        slots: st.runner.slots(),
        slots_in_use: jobs.len(),
        jobs,
    }
}

#[utoipa::path(get, path = "/api/admin/workers", tag = "admin",
    responses((status = 200, description = "Running?, slots, jobs in flight with progress", body = WorkersView), super::openapi::AdminRefusals))]
pub(super) async fn workers(State(st): State<AppState>) -> Json<WorkersView> {
    Json(workers_view(&st))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ScopeQuery {
    /// `node` (default): this node; `cluster`: every live node (each follows
    /// within CLUSTER_SYNC_INTERVAL_MS).
    #[serde(default)]
    #[param(inline)]
    scope: crate::node::Scope,
}

/// This node's workers after the change, and how many nodes it reached.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct WorkersChange {
    #[serde(flatten)]
    here: WorkersView,
    nodes_reached: u64,
}

async fn set_workers(
    st: &AppState,
    scope: crate::node::Scope,
    wanted: WorkersWanted,
) -> Result<Json<WorkersChange>, ApiError> {
    let nodes_reached = st.node.set_workers(scope, wanted).await?;
    Ok(Json(WorkersChange {
        here: workers_view(st),
        nodes_reached,
    }))
}

#[utoipa::path(post, path = "/api/admin/workers/start", tag = "admin", params(ScopeQuery),
    responses((status = 200, description = "Workers claim jobs again", body = WorkersChange),
        (status = 400, description = "A bad scope", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn start_workers(
    State(st): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<WorkersChange>, ApiError> {
    set_workers(&st, q.scope, WorkersWanted::Running).await
}

#[utoipa::path(post, path = "/api/admin/workers/stop", tag = "admin", params(ScopeQuery),
    responses((status = 200, description = "Workers stop claiming; running jobs finish", body = WorkersChange),
        (status = 400, description = "A bad scope", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn stop_workers(
    State(st): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<WorkersChange>, ApiError> {
    set_workers(&st, q.scope, WorkersWanted::Stopped).await
}

#[utoipa::path(get, path = "/api/admin/nodes", tag = "admin",
    responses((status = 200, description = "Live nodes: id, address, started, last heartbeat, slots, running jobs, worker state, model", body = NodesView), super::openapi::AdminRefusals))]
pub(super) async fn nodes(State(st): State<AppState>) -> Result<Json<NodesView>, ApiError> {
    Ok(Json(NodesView {
        this_node: st.node.id.clone(),
        nodes: st.node.live().await?,
    }))
}

#[utoipa::path(post, path = "/api/admin/jobs/{id}/cancel", tag = "admin",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 200, description = "Cancelled: a job running on this node stops within a second (on another node, at its next heartbeat); its event fails as cancelled", body = JobCancelled),
        (status = 400, description = "An id that is not a 64-bit integer", body = super::openapi::ErrorBody),
        (status = 404, description = "No such job", body = super::openapi::ErrorBody),
        (status = 409, description = "The job had already finished", body = super::openapi::ErrorBody),
        super::openapi::AdminRefusals))]
pub(super) async fn cancel_job(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<JobCancelled>, ApiError> {
    let id = crate::queue::JobId(id);
    match st.runner.cancel_job(id).await? {
        Some(was) => Ok(Json(JobCancelled {
            id,
            was: was.as_str().to_string(),
        })),
        None => Err(ApiError::Conflict(format!("job {id} has already finished"))),
    }
}

/// A cancelled job.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct JobCancelled {
    id: crate::queue::JobId,
    /// The state it was in: `available` or `running`.
    was: String,
}

/// The live nodes.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct NodesView {
    /// The id of the node that answered.
    this_node: String,
    nodes: Vec<crate::store::cluster::NodeView>,
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
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ModelBody {
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

#[utoipa::path(get, path = "/api/admin/models", tag = "admin", operation_id = "admin_list_models",
    responses((status = 200, description = "Catalog and installed models, the active one, downloads in progress", body = ModelsView), super::openapi::AdminRefusals))]
pub(super) async fn list_models(State(st): State<AppState>) -> Result<Json<ModelsView>, ApiError> {
    Ok(Json(ModelsView {
        active: st.engine.active(),
        models: st.models.list_off_runtime().await?,
    }))
}

#[utoipa::path(post, path = "/api/admin/models/download", tag = "admin",
    request_body(content = ModelBody, content_type = "application/json"),
    responses((status = 202, description = "Download started (progress in the models list)", body = Object),
        (status = 400, description = "A bad body or model name", body = super::openapi::ErrorBody),
        (status = 404, description = "Not in the catalog", body = super::openapi::ErrorBody), (status = 415, description = "The body is not application/json", body = super::openapi::ErrorBody), (status = 422, description = "JSON of the wrong shape", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn download_model(
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

#[utoipa::path(post, path = "/api/admin/models/active", tag = "admin",
    request_body(content = ModelBody, content_type = "application/json"),
    responses((status = 200, description = "Loaded, then made active", body = Object),
        (status = 400, description = "A bad body or model name", body = super::openapi::ErrorBody),
        (status = 404, description = "Not installed nor in the catalog", body = super::openapi::ErrorBody),
        (status = 422, description = "The model file does not load, or JSON of the wrong shape", body = super::openapi::ErrorBody),
        (status = 502, description = "Its download failed", body = super::openapi::ErrorBody), (status = 415, description = "The body is not application/json", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn activate_model(
    State(st): State<AppState>,
    Json(body): Json<ModelBody>,
) -> Result<Json<Value>, ApiError> {
    let name = body.name()?;
    st.models.activate(&name).await?;
    // Every other node follows within CLUSTER_SYNC_INTERVAL_MS.
    st.node.publish_model(&name).await?;
    Ok(Json(json!({ "active": st.engine.active() })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeleteQuery {
    /// Delete even while jobs use it.
    #[serde(default)]
    force: bool,
}

#[utoipa::path(delete, path = "/api/admin/models/{size}", tag = "admin",
    params(("size" = String, Path, description = "Model name"), DeleteQuery),
    responses((status = 200, description = "Deleted", body = Object),
        (status = 400, description = "A bad model name or query", body = super::openapi::ErrorBody),
        (status = 404, description = "Not installed", body = super::openapi::ErrorBody),
        (status = 409, description = "The active model, or (without force) one in use", body = super::openapi::ErrorBody), super::openapi::AdminRefusals))]
pub(super) async fn delete_model(
    State(st): State<AppState>,
    Path(size): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<Json<Value>, ApiError> {
    let name = ModelName::parse(&size).map_err(ModelError::from)?;
    st.models.delete(&name, q.force).await?;
    Ok(Json(json!({ "deleted": name })))
}
