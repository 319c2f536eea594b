//! Seeing the service: `GET /metrics` (Prometheus text, under the admin
//! rule) and the middleware that counts and times every HTTP request by its
//! route template.

use super::{ApiError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::Instant;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/metrics", get(scrape))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::admin,
        ))
}

#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
        super::openapi::AdminRefusals))]
pub(super) async fn scrape(State(st): State<AppState>) -> Result<Response, ApiError> {
    let stats = st.queue.stats().await?;
    let mut jobs = Vec::new();
    for kind in crate::queue::JobKind::ALL {
        for state in crate::queue::JobState::ALL {
            let n = stats
                .counts
                .get(kind.as_str())
                .and_then(|by_state| by_state.get(state.as_str()))
                .copied()
                .unwrap_or(0);
            jobs.push((kind.as_str().to_string(), state.as_str().to_string(), n));
        }
    }
    let loaded: Vec<String> = st.engine.loaded().iter().map(|m| m.to_string()).collect();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&jobs, &loaded),
    )
        .into_response())
}

/// Gives the request an id (a client's `x-request-id` when it is short and
/// printable, else a new one), for the request's log span and the answer's
/// `x-request-id` header.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_string);
    req.extensions_mut()
        .insert(crate::telemetry::RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Ok(v) = header::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Counts and times a request: `route` is the template (`/api/events/{id}`),
/// never the path, so ids do not make new series.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(req).await;
    crate::metrics::http_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
