//! `GET /`: the web page (plain HTML, CSS and JavaScript compiled into the
//! binary: no build step, no CDN). It records from the microphone or takes
//! a file, uploads it to `/api/events`, follows the event and lists recent
//! ones; with `API_TOKEN` set it sends the token kept in the browser.

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const PAGE: &str = include_str!("web/index.html");

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

#[utoipa::path(get, path = "/", tag = "web",
    responses((status = 200, description = "The web page", body = String, content_type = "text/html")))]
pub(super) async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}
