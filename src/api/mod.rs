//! The HTTP API, and only HTTP: routes, shared state, auth, and the one
//! mapping of errors to status codes. Uploads are taken by [`crate::ingest`],
//! stored by [`crate::store`], queued by [`crate::queue`].

mod admin;
pub mod auth;
mod error;
mod events;
mod health;
mod observe;
mod openai;
mod openapi;
pub mod realtime;
pub mod serve;
mod site;
pub mod stream;
mod web;

pub use error::{ApiError, OpenAiError};

use crate::config::Settings;
use crate::ingest::Intake;
use crate::queue::{Queue, RunnerHandle};
use crate::store::Pool;
use crate::stt::Engine;
use axum::Router;
use std::sync::Arc;

/// State shared by the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub queue: Queue,
    pub engine: Arc<Engine>,
    pub models: Arc<crate::jobs::ModelManager>,
    pub retention: crate::retention::Retention,
    pub settings: Arc<ApiSettings>,
    pub runner: RunnerHandle,
    /// This process in the cluster.
    pub node: Arc<crate::node::Node>,
    /// Fired when shutdown starts: long waits and uploads answer 503.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Takes uploads in.
    pub intake: Intake,
    /// The SQLite file, watched for removal or replacement.
    pub db_file: Option<crate::db::DbFile>,
    /// Live dictation sessions' limits.
    pub live: realtime::Live,
}

/// The part of the settings the HTTP API needs.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// `ADMIN_TOKEN` (unset: loopback clients only).
    pub admin_token: Option<String>,
    /// `API_TOKEN` (unset: open).
    pub api_token: Option<String>,
    /// Connection, header and body limits; allowed hosts and origins.
    pub http: crate::config::HttpSettings,
    /// `WHISPER_LANGUAGE`: the default shown by `/health`.
    pub language: crate::stt::Language,
    /// `MAX_UPLOAD_MB` in bytes: the request body limit of upload routes.
    pub max_upload_bytes: u64,
    /// `WHISPER_MODELS_DIR`: where `/health` looks for the active model.
    pub models_dir: std::path::PathBuf,
    /// `OPENAI_WAIT_SECONDS`: how long `/v1/audio/*` waits for a transcript.
    pub openai_wait: std::time::Duration,
    /// `SHUTDOWN_GRACE_SECONDS`: how long open connections may finish.
    pub shutdown_grace: std::time::Duration,
}

impl ApiSettings {
    /// The API's part of `settings`.
    pub fn of(settings: &Settings) -> Self {
        Self {
            admin_token: settings.access.admin_token.clone(),
            api_token: settings.access.api_token.clone(),
            http: settings.http.clone(),
            language: settings.language.clone(),
            max_upload_bytes: settings.http.max_upload_bytes,
            models_dir: settings.models.dir.clone(),
            openai_wait: settings.http.openai_wait,
            shutdown_grace: settings.worker.shutdown_grace,
        }
    }
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(events::router(&state))
        .merge(health::router())
        .merge(admin::router(&state))
        .merge(openai::router(&state))
        .merge(realtime::router())
        .merge(observe::router(&state))
        .merge(web::router())
        .merge(openapi::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            site::guard,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::request_span),
        )
        .layer(axum::middleware::from_fn(observe::request_id))
        .with_state(state)
}
