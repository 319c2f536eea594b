//! `POST /api/events` (upload), `GET /api/events/{id}`, `GET /api/events`.

use super::error::echo;
use super::upload::{stream_to_disk, PendingFile};
use super::{ApiError, AppState};
use crate::audio::AudioError;
use crate::config::Language;
use crate::events::{self, NewEvent};
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/events", get(list_events).post(create_event))
        .route("/api/events/{id}", get(get_event))
        .layer(DefaultBodyLimit::max(
            state.settings.max_upload_bytes as usize + 1024 * 1024,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::api,
        ))
}

/// Fields of an upload other than the audio.
#[derive(Default)]
pub struct UploadFields {
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    /// Speech detection settings for this upload.
    pub vad: Option<crate::stt::VadOverrides>,
    /// Other small text fields, by name (e.g. OpenAI's `response_format`).
    pub extra: Vec<(String, String)>,
}

fn audio_error(e: AudioError) -> ApiError {
    match e {
        AudioError::Io(io) => ApiError::internal(io),
        AudioError::UnsupportedFormat(_) | AudioError::UnsupportedCodec(_) => {
            ApiError::UnsupportedMedia(format!(
                "{e}; send WAV (PCM, float, G.711), MP3, FLAC, Ogg Vorbis/Opus, WebM, M4A (AAC) or AIFF audio"
            ))
        }
        other => ApiError::Unprocessable(other.to_string()),
    }
}

/// Longest text field of an upload, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Reads a small text field as it streams: at most [`MAX_FIELD_BYTES`]
/// are ever held; UTF-8 without NUL bytes.
async fn text_field(mut field: Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(ApiError::multipart)? {
        if buf.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(ApiError::BadRequest(format!(
                "field {} is longer than {MAX_FIELD_BYTES} bytes",
                echo(name)
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(buf)
        .map_err(|_| ApiError::BadRequest(format!("field {} is not UTF-8", echo(name))))?;
    if text.contains('\0') {
        return Err(ApiError::BadRequest(format!(
            "field {} contains a NUL byte",
            echo(name)
        )));
    }
    Ok(text.trim().to_string())
}

/// Reads the multipart body: streams `audio` (or `file`) to disk, keeps the
/// small text fields. Stops with 503 when the server starts shutting down.
pub async fn read_upload(
    st: &AppState,
    multipart: Multipart,
    audio_fields: &[&'static str],
) -> Result<(PendingFile, UploadFields), ApiError> {
    tokio::select! {
        r = read_fields(st, multipart, audio_fields) => r,
        _ = st.shutdown.cancelled() => Err(ApiError::Unavailable(
            "the server is shutting down; send the upload again in a moment".into(),
        )),
    }
}

async fn read_fields(
    st: &AppState,
    mut multipart: Multipart,
    audio_fields: &[&'static str],
) -> Result<(PendingFile, UploadFields), ApiError> {
    let mut audio = None;
    let mut fields = UploadFields::default();
    while let Some(field) = multipart.next_field().await.map_err(ApiError::multipart)? {
        let name = field.name().unwrap_or_default().to_string();
        if audio_fields.contains(&name.as_str()) {
            if audio.is_some() {
                return Err(ApiError::BadRequest(format!(
                    "more than one {} field",
                    echo(&name)
                )));
            }
            audio = Some(
                stream_to_disk(
                    field,
                    &st.settings.audio_dir(),
                    st.settings.max_upload_bytes,
                )
                .await?,
            );
            continue;
        }
        let text = text_field(field, &name).await?;
        match name.as_str() {
            "language" => fields.language = Some(text).filter(|s| !s.is_empty()),
            "prompt" => fields.prompt = Some(text).filter(|s| !s.is_empty()),
            "model" => fields.model = Some(text).filter(|s| !s.is_empty()),
            _ => fields.extra.push((name, text)),
        }
    }
    let audio = audio.ok_or(ApiError::MissingFile(audio_fields[0]))?;
    if audio.bytes == 0 {
        return Err(ApiError::Unprocessable("the uploaded file is empty".into()));
    }
    Ok((audio, fields))
}

/// Validates fields and audio, then stores the event and its job.
pub async fn accept_upload(
    st: &AppState,
    audio: PendingFile,
    fields: UploadFields,
    priority: Option<i64>,
    translate: bool,
) -> Result<String, ApiError> {
    let language = match fields.language.as_deref() {
        None => None,
        Some(l) => Some(
            Language::parse(l)
                .map_err(ApiError::BadRequest)?
                .as_str()
                .to_string(),
        ),
    };
    if let Some(m) = &fields.model {
        check_installed(st, m).await?;
    }
    let probe_path = audio.path.clone();
    let info = tokio::task::spawn_blocking(move || crate::audio::probe_file(&probe_path))
        .await
        .map_err(ApiError::internal)?
        .map_err(audio_error)?;
    let bytes = audio.bytes as i64;
    // Kept before the event commits: a client that leaves during the commit
    // cannot leave an event whose file was deleted (a file without an event
    // is swept as an orphan instead).
    let path = audio.keep();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ApiError::internal("upload without a file name"))?;
    let ev = NewEvent {
        audio_path: name,
        audio_bytes: bytes,
        language,
        prompt: fields.prompt,
        model: fields.model,
        container: Some(info.container),
        codec: Some(info.codec),
        priority,
        translate,
        vad: fields.vad,
    };
    match events::create(&st.queue, &ev).await {
        Ok(id) => Ok(id),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

/// An upload may name only an installed model: downloads happen through the
/// admin API or CLI (or for the configured active model), never because of
/// an upload.
pub async fn check_installed(st: &AppState, name: &str) -> Result<(), ApiError> {
    if st.models.installed(name) {
        return Ok(());
    }
    let models = st.models.clone();
    let installed = tokio::task::spawn_blocking(move || models.installed_names())
        .await
        .map_err(ApiError::internal)?;
    Err(ApiError::UnknownModel {
        name: echo(name),
        installed,
    })
}

async fn create_event(
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (audio, fields) = read_upload(&st, multipart, &["audio", "file"]).await?;
    let id = accept_upload(&st, audio, fields, None, false).await?;
    let view = events::get(&st.pool, &id).await?;
    let mut body = serde_json::to_value(view).map_err(ApiError::internal)?;
    body["status"] = json!("queued");
    Ok((StatusCode::ACCEPTED, Json(body)))
}

async fn get_event(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = events::get(&st.pool, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("event {id} not found")))?;
    Ok(Json(
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list_events(
    State(st): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(s) = &q.status {
        if events::EventStatus::parse(s).is_none() {
            return Err(ApiError::BadRequest(format!(
                "unknown status {s:?} (queued, transcribing, transcribed, failed, expired)"
            )));
        }
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 200".into(),
        ));
    }
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            events::parse_cursor(c).ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?,
        ),
    };
    let (items, next) = events::list(&st.pool, q.status.as_deref(), limit, cursor).await?;
    Ok(Json(json!({ "events": items, "next_cursor": next })))
}
