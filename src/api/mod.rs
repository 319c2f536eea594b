//! The HTTP API: routes, shared state, and the error mapping.

mod admin;
pub mod auth;
mod error;
pub(crate) mod events;
mod health;
mod openai;
mod upload;

pub use error::ApiError;

use crate::config::Settings;
use crate::queue::{Queue, RunnerHandle};
use crate::stt::Engine;
use axum::Router;
use sqlx::SqlitePool;
use std::sync::Arc;

/// State shared by the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub queue: Queue,
    pub engine: Arc<Engine>,
    pub models: Arc<crate::models::ModelManager>,
    pub retention: crate::retention::Retention,
    pub settings: Arc<Settings>,
    pub runner: RunnerHandle,
    /// Fired when shutdown starts: long waits and uploads answer 503.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(events::router(&state))
        .merge(health::router())
        .merge(admin::router(&state))
        .merge(openai::router(&state))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
