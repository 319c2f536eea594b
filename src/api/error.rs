//! The API's error type and its one mapping to HTTP: a status and a code
//! per error, rendered as the API's JSON body `{"error": {"code",
//! "message"}}` or, on the OpenAI-compatible `/v1` routes, as OpenAI's
//! `{"error": {"message", "type", "param", "code"}}` ([`OpenAiError`]).
//! Internal details are logged, not sent.

use crate::audio::AudioError;
use crate::ingest::IngestError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Every error a handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadGateway(String),
    /// A request body the framework could not read into its type (422).
    #[error("{0}")]
    InvalidBody(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A wait that ran out (the work goes on).
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Unavailable(String),
    /// The disk uploads are stored on is full (507).
    #[error("{0}")]
    InsufficientStorage(String),
    /// The database cannot take writes (503).
    #[error("{0}")]
    DatabaseUnavailable(String),
    /// The upload has no audio part (the field the client should use).
    #[error("missing the audio file: send it in the multipart field {0:?}")]
    MissingFile(&'static str),
    /// An upload named a model that is not installed.
    #[error("model {name} is not installed; installed models: {}", if installed.is_empty() { "none".to_string() } else { installed.join(", ") })]
    UnknownModel {
        name: String,
        installed: Vec<String>,
    },
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::MissingFile(_) | Self::UnknownModel { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) | Self::InvalidBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable(_) | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::MissingFile(_) => "missing_file",
            Self::UnknownModel { .. } => "model_not_installed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMedia(_) => "unsupported_media_type",
            Self::Unprocessable(_) => "unprocessable_audio",
            Self::BadGateway(_) => "upstream_error",
            Self::InvalidBody(_) => "unprocessable",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Timeout(_) => "timeout",
            Self::Unavailable(_) => "shutting_down",
            Self::InsufficientStorage(_) => "insufficient_storage",
            Self::DatabaseUnavailable(_) => "database_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The error a framework refusal with `status` stands for.
    fn of_status(status: StatusCode, message: String) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound(message),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed(message),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(message),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMedia(message),
            StatusCode::UNPROCESSABLE_ENTITY => Self::InvalidBody(message),
            s if s.is_server_error() => Self::Internal(message),
            _ => Self::BadRequest(message),
        }
    }

    /// Logs the detail and returns a generic internal error.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::Internal("internal error; see the server log".into())
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::MissingFile(f) => Self::MissingFile(f),
            IngestError::UnknownModel { name, installed } => Self::UnknownModel { name, installed },
            IngestError::BadField(m) => Self::BadRequest(m),
            IngestError::Multipart(_) => Self::BadRequest(e.to_string()),
            IngestError::TooLarge(m) => Self::PayloadTooLarge(m),
            IngestError::ShuttingDown => Self::Unavailable(e.to_string()),
            IngestError::Internal(m) => Self::internal(m),
            IngestError::StorageFull(_) => {
                tracing::error!(error = %e, "an upload found the disk full");
                Self::InsufficientStorage(e.to_string())
            }
            IngestError::DatabaseUnavailable(m) => {
                tracing::error!(error = %m, "an upload found the database unusable");
                Self::DatabaseUnavailable(m)
            }
            IngestError::Audio(AudioError::Io(io)) => Self::internal(io),
            IngestError::Audio(a @ (AudioError::UnsupportedFormat(_) | AudioError::UnsupportedCodec(_))) => {
                Self::UnsupportedMedia(format!(
                    "{a}; send WAV (PCM, float, G.711), MP3, FLAC, Ogg Vorbis/Opus, WebM, M4A (AAC) or AIFF audio"
                ))
            }
            IngestError::Audio(a @ AudioError::TooLong(_)) => Self::PayloadTooLarge(a.to_string()),
            IngestError::Audio(a) => Self::Unprocessable(a.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl From<crate::retention::RetentionError> for ApiError {
    fn from(e: crate::retention::RetentionError) -> Self {
        Self::internal(e)
    }
}

impl From<crate::queue::QueueError> for ApiError {
    fn from(e: crate::queue::QueueError) -> Self {
        match e {
            crate::queue::QueueError::NotFound(id) => Self::NotFound(format!("job {id} not found")),
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            serde_json::json!({ "error": { "code": self.code(), "message": self.to_string() } });
        (self.status(), Json(body)).into_response()
    }
}

/// Answers the framework's own refusals (a malformed JSON body, query or
/// path, an unknown route, a method not allowed) in the API's error shape,
/// OpenAI's under `/v1/`, so that every error a client sees is JSON.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let openai = req.uri().path().starts_with("/v1/");
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let error = ApiError::of_status(status, message);
    let mut out = if openai {
        // OpenAI's shape, with no code of OpenAI's own for a framework refusal.
        OpenAiError {
            error,
            param: None,
            code: None,
        }
        .into_response()
    } else {
        error.into_response()
    };
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        out.headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    out
}

/// An [`ApiError`] as the OpenAI-compatible routes answer it: the same
/// status, OpenAI's `type` from it, and `param`/`code` naming the request
/// field at fault and OpenAI's code for it when there is one.
pub struct OpenAiError {
    error: ApiError,
    param: Option<&'static str>,
    code: Option<&'static str>,
}

impl OpenAiError {
    /// The request field `param` is at fault (`code`: OpenAI's name for why).
    pub fn field(error: ApiError, param: &'static str, code: Option<&'static str>) -> Self {
        Self {
            error,
            param: Some(param),
            code,
        }
    }

    /// A bad value of the request field `param` (400).
    pub fn invalid(
        message: impl Into<String>,
        param: &'static str,
        code: Option<&'static str>,
    ) -> Self {
        Self::field(ApiError::BadRequest(message.into()), param, code)
    }
}

impl From<ApiError> for OpenAiError {
    fn from(e: ApiError) -> Self {
        match e {
            // OpenAI answers 400 for files it cannot read.
            ApiError::UnsupportedMedia(m) => Self::invalid(m, "file", Some("invalid_file_format")),
            e => Self {
                code: Some(e.code()),
                error: e,
                param: None,
            },
        }
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let kind = match status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            s if s.is_server_error() => "server_error",
            _ => "invalid_request_error",
        };
        let body = serde_json::json!({ "error": {
            "message": self.error.to_string(), "type": kind, "param": self.param, "code": self.code } });
        (status, Json(body)).into_response()
    }
}
