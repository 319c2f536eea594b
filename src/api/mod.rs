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
pub mod serve;
mod site;
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
    pub settings: Arc<Settings>,
    pub runner: RunnerHandle,
    /// This process in the cluster.
    pub node: Arc<crate::node::Node>,
    /// Fired when shutdown starts: long waits and uploads answer 503.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Takes uploads in.
    pub intake: Intake,
    /// The SQLite file, watched for removal or replacement.
    pub db_file: Option<crate::db::DbFile>,
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(events::router(&state))
        .merge(health::router())
        .merge(admin::router(&state))
        .merge(openai::router(&state))
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
