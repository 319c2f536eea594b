//! `GET /openapi.json`: the OpenAPI 3.1 description of every route,
//! generated from the handlers' `#[utoipa::path]` annotations and the
//! types they answer with; `GET /docs`: Swagger UI for it, served from the
//! binary (vendored, no CDN).

use super::AppState;
use axum::Router;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "susurro",
        description = "Self-hosted speech to text: upload a recording, get a transcript. \
            Admin routes and /metrics answer loopback clients only unless ADMIN_TOKEN is set \
            (then Bearer ADMIN_TOKEN); events and /v1 need Bearer API_TOKEN when it is set."
    ),
    paths(
        super::events::create_event,
        super::events::list_events,
        super::events::get_event,
        super::stream::stream_event,
        super::realtime::realtime,
        super::health::health,
        super::admin::list_models,
        super::admin::download_model,
        super::admin::activate_model,
        super::admin::delete_model,
        super::admin::queue_stats,
        super::admin::transcript_stats,
        super::admin::purge,
        super::admin::workers,
        super::admin::start_workers,
        super::admin::stop_workers,
        super::admin::nodes,
        super::admin::cancel_job,
        super::openai::transcriptions,
        super::openai::translations,
        super::openai::list_models,
        super::openai::get_model,
        super::observe::scrape,
        super::web::page,
    ),
    tags(
        (name = "events", description = "Uploads and their transcripts"),
        (name = "openai", description = "OpenAI-compatible audio API"),
        (name = "admin", description = "Models, queue, retention, workers, nodes"),
        (name = "health", description = "Liveness and model status"),
        (name = "metrics", description = "Prometheus metrics"),
        (name = "web", description = "The web page"),
    )
)]
pub struct ApiDoc;

/// The upload form of `POST /api/events`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The recording (`file` is accepted too).
    #[schema(value_type = String, format = Binary)]
    audio: Vec<u8>,
    /// A whisper language code, or `auto` (default: WHISPER_LANGUAGE).
    language: Option<String>,
    /// Terms and context for whisper.
    prompt: Option<String>,
    /// An installed model (default: the active one).
    model: Option<String>,
}

/// The form of `POST /v1/audio/*`, as OpenAI's clients send it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct OpenAiForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `whisper-1` (the active model) or an installed model.
    model: Option<String>,
    language: Option<String>,
    prompt: Option<String>,
    /// json (default), text, srt, vtt, verbose_json.
    response_format: Option<String>,
    temperature: Option<f64>,
    /// `word` adds word timestamps.
    #[schema(rename = "timestamp_granularities[]")]
    timestamp_granularities: Option<Vec<String>>,
    /// `auto`, or a JSON `server_vad` object.
    chunking_strategy: Option<String>,
    /// `true`: answer `text/event-stream` with `transcript.text.delta`
    /// events and one `transcript.text.done` (json or text formats only).
    stream: Option<bool>,
}

/// A page of events.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EventPage {
    pub events: Vec<crate::store::view::EventView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Every error of the service's own routes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`bad_request`, `not_found`, …).
    pub code: String,
    pub message: String,
}

/// Errors of `/v1`, in OpenAI's shape.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenAiErrorBody {
    pub error: OpenAiErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenAiErrorDetail {
    pub message: String,
    pub r#type: String,
    pub param: Option<String>,
    pub code: Option<String>,
}

/// Error answers that share one body schema, as `(status, description)`.
fn errors(
    schema: &str,
    list: &[(u16, &str)],
) -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
    list.iter()
        .map(|(status, description)| {
            let response = ResponseBuilder::new()
                .description(*description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// The refusals of every route under the admin rule.
pub struct AdminRefusals;

impl utoipa::IntoResponses for AdminRefusals {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        errors(
            "ErrorBody",
            &[
                (401, "ADMIN_TOKEN is set and was not given"),
                (
                    403,
                    "Not loopback, or through a proxy, while ADMIN_TOKEN is not set",
                ),
            ],
        )
    }
}

/// The errors of `POST /v1/audio/*`, in OpenAI's shape.
pub struct OpenAiAudioErrors;

impl utoipa::IntoResponses for OpenAiAudioErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        errors(
            "OpenAiErrorBody",
            &[
                (400, "A bad field"),
                (401, "API_TOKEN is set and was not given"),
                (413, "Larger than MAX_UPLOAD_MB"),
                (415, "Not a supported audio format"),
                (
                    422,
                    "Audio without decodable samples, or the transcription failed",
                ),
                (503, "Shutting down"),
                (504, "Not done within OPENAI_WAIT_SECONDS (the job goes on)"),
            ],
        )
    }
}

pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
