//! OpenAI-compatible audio API on the same queue and workers:
//! `POST /v1/audio/transcriptions`, `POST /v1/audio/translations`,
//! `GET /v1/models`, `GET /v1/models/{id}`. Errors use OpenAI's shape
//! `{"error": {"message", "type", "param", "code"}}`. `stream=true`
//! answers Server-Sent Events of the text as it is transcribed, on
//! [`super::stream`].

use super::{ApiError, AppState, OpenAiError};
use crate::ingest::{echo, IngestError, Queueing, UploadFields};
use crate::queue::PRIORITY_HIGH;
use crate::store::events::{self, EventId, EventStatus, Task};
use crate::store::view::TranscriptView;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::io::Write;
use std::time::{Duration, Instant};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/audio/transcriptions", post(transcriptions))
        .route("/v1/audio/translations", post(translations))
        .route("/v1/models", get(list_models))
        .route("/v1/models/{id}", get(get_model))
        .layer(DefaultBodyLimit::max(
            state.settings.max_upload_bytes as usize + 1024 * 1024,
        ))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth))
}

async fn auth(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, OpenAiError> {
    let presented = super::auth::bearer(&req);
    super::auth::authorize_api(st.settings.api_token.as_deref(), presented)?;
    Ok(next.run(req).await)
}

/// OpenAI's `response_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseFormat {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
}

impl ResponseFormat {
    const NAMES: &'static str = "json, text, srt, vtt, verbose_json";

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "json" => Self::Json,
            "text" => Self::Text,
            "srt" => Self::Srt,
            "vtt" => Self::Vtt,
            "verbose_json" => Self::VerboseJson,
            _ => return None,
        })
    }
}

#[utoipa::path(post, path = "/v1/audio/transcriptions", tag = "openai",
    request_body(content = super::openapi::OpenAiForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "The transcript in the asked response_format (json, text, srt, vtt, verbose_json); with stream=true, Server-Sent Events: {\"type\": \"transcript.text.delta\", \"delta\"} per segment in order, then {\"type\": \"transcript.text.done\", \"text\"}", 
        content((Object = "application/json"), (String = "text/plain"), (String = "text/vtt"), (String = "text/event-stream"))), super::openapi::OpenAiAudioErrors))]
pub(super) async fn transcriptions(
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<Response, OpenAiError> {
    handle(st, multipart, false).await
}

#[utoipa::path(post, path = "/v1/audio/translations", tag = "openai",
    request_body(content = super::openapi::OpenAiForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "The English translation in the asked response_format", 
        content((Object = "application/json"), (String = "text/plain"), (String = "text/vtt"))), super::openapi::OpenAiAudioErrors))]
pub(super) async fn translations(
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<Response, OpenAiError> {
    handle(st, multipart, true).await
}

/// What a request asks for besides the audio.
struct Asked {
    format: ResponseFormat,
    words: bool,
    vad: Option<crate::stt::VadOverrides>,
    /// `stream=true`: Server-Sent Events of the text as it comes.
    stream: bool,
}

fn parse_request(fields: &UploadFields) -> Result<Asked, OpenAiError> {
    let extra = |name: &str| fields.extra(name);
    let format = match extra("response_format") {
        None => ResponseFormat::Json,
        Some(f) => ResponseFormat::parse(f).ok_or_else(|| {
            OpenAiError::invalid(
                format!(
                    "response_format {} is not supported; use one of {}",
                    echo(f),
                    ResponseFormat::NAMES
                ),
                "response_format",
                Some("unsupported_value"),
            )
        })?,
    };
    if let Some(t) = extra("temperature") {
        if !t.parse::<f32>().is_ok_and(|v| (0.0..=1.0).contains(&v)) {
            return Err(OpenAiError::invalid(
                "temperature must be between 0 and 1",
                "temperature",
                None,
            ));
        }
    }
    let vad = match extra("chunking_strategy") {
        None | Some("auto") => None,
        Some(json) => Some(server_vad(json)?),
    };
    let mut words = false;
    for (_, g) in fields
        .extra
        .iter()
        .filter(|(k, _)| k.starts_with("timestamp_granularities"))
    {
        match g.as_str() {
            "word" => words = true,
            "segment" => {}
            other => {
                return Err(OpenAiError::invalid(
                    format!("unknown timestamp granularity {}", echo(other)),
                    "timestamp_granularities",
                    None,
                ))
            }
        }
    }
    let stream = stream_asked(extra("stream"), format)?;
    Ok(Asked {
        format,
        words,
        vad,
        stream,
    })
}

/// OpenAI's `stream` field: `true` streams json or text answers.
fn stream_asked(field: Option<&str>, format: ResponseFormat) -> Result<bool, OpenAiError> {
    let stream = match field.map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            let msg = format!("stream must be true or false, not {}", echo(other));
            return Err(OpenAiError::invalid(msg, "stream", Some("invalid_value")));
        }
    };
    if stream && !matches!(format, ResponseFormat::Json | ResponseFormat::Text) {
        return Err(OpenAiError::invalid(
            "with stream=true, response_format must be json or text",
            "response_format",
            Some("unsupported_value"),
        ));
    }
    Ok(stream)
}

/// OpenAI's `chunking_strategy`: `"auto"`, or `{"type": "server_vad",
/// "prefix_padding_ms", "silence_duration_ms", "threshold"}`.
fn server_vad(json: &str) -> Result<crate::stt::VadOverrides, OpenAiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ServerVad {
        r#type: String,
        prefix_padding_ms: Option<u32>,
        silence_duration_ms: Option<u32>,
        threshold: Option<f32>,
    }
    let bad = |m: String| OpenAiError::invalid(m, "chunking_strategy", Some("invalid_value"));
    let v: ServerVad = serde_json::from_str(json).map_err(|e| {
        bad(format!(
            "chunking_strategy must be \"auto\" or a server_vad object: {e}"
        ))
    })?;
    if v.r#type != "server_vad" {
        return Err(bad(format!(
            "unknown chunking_strategy type {}",
            echo(&v.r#type)
        )));
    }
    if v.threshold.is_some_and(|t| !(t > 0.0 && t < 1.0)) {
        return Err(bad("threshold must be between 0 and 1".into()));
    }
    if v.prefix_padding_ms.is_some_and(|p| p > 2_000) {
        return Err(bad("prefix_padding_ms must be at most 2000".into()));
    }
    if v.silence_duration_ms
        .is_some_and(|s| !(1..=60_000).contains(&s))
    {
        return Err(bad("silence_duration_ms must be between 1 and 60000".into()));
    }
    Ok(crate::stt::VadOverrides {
        threshold: v.threshold,
        min_silence_ms: v.silence_duration_ms,
        pad_ms: v.prefix_padding_ms,
    })
}

/// OpenAI's `whisper-1` means the active model; any other name must be an
/// installed whisper model.
async fn check_model(st: &AppState, fields: &mut UploadFields) -> Result<(), OpenAiError> {
    if let Some(m) = fields.model.as_deref() {
        if m == "whisper-1" {
            fields.model = None;
        } else if let Err(e) = st.intake.installed(m).await {
            let msg = e.to_string();
            return Err(OpenAiError::invalid(msg, "model", Some("model_not_found")));
        }
    }
    Ok(())
}

async fn handle(
    st: AppState,
    multipart: Multipart,
    translate: bool,
) -> Result<Response, OpenAiError> {
    let (audio, mut fields) = st
        .intake
        .read(multipart, &["file"])
        .await
        .map_err(|e| match e {
            IngestError::MissingFile(_) => {
                OpenAiError::invalid("you must provide a file", "file", Some("missing_file"))
            }
            other => ApiError::from(other).into(),
        })?;
    let req = parse_request(&fields)?;
    fields.vad = req.vad.clone();
    check_model(&st, &mut fields).await?;
    if translate {
        // The source language is whatever is spoken: whisper detects it.
        fields.language = Some("auto".into());
    }
    let queueing = Queueing {
        priority: Some(PRIORITY_HIGH),
        task: if translate {
            Task::Translate
        } else {
            Task::Transcribe
        },
    };
    let id = st
        .intake
        .accept(audio, fields, queueing)
        .await
        .map_err(ApiError::from)?;
    if req.stream {
        return Ok(stream(st, id).into_response());
    }
    let transcript = wait(&st, &id).await?;
    let duration = events::get(&st.pool, &id)
        .await
        .map_err(ApiError::from)?
        .and_then(|e| e.duration_ms)
        .unwrap_or(0) as f64
        / 1000.0;
    let answer = Answer {
        t: &transcript,
        translate,
        duration,
        id: &id,
        words: req.words,
    };
    Ok(render(req.format, &answer))
}

/// OpenAI's streamed transcription: `transcript.text.delta` events (each
/// segment's text, in order, with the space that joins it to the one
/// before) and one `transcript.text.done` with the stored text, which is
/// what the deltas add up to; a failure is an `error` object.
fn stream(
    st: AppState,
    id: EventId,
) -> axum::response::sse::Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    use super::stream::Happened;
    let mut first = true;
    let events = super::stream::follow(st, id, 0).filter_map(move |h| {
        let data = match h {
            Happened::Segment(_, p) => {
                let joint = if std::mem::take(&mut first) { "" } else { " " };
                json!({ "type": "transcript.text.delta", "delta": format!("{joint}{}", p.text) })
            }
            Happened::Done(view) => {
                let text = view.transcript.map(|t| t.text).unwrap_or_default();
                json!({ "type": "transcript.text.done", "text": text })
            }
            Happened::Failed(_, why) => {
                json!({ "error": { "message": why, "type": "server_error", "param": null, "code": null } })
            }
            Happened::Status(..) => return std::future::ready(None),
        };
        std::future::ready(Some(Ok(Event::default().data(data.to_string()))))
    });
    axum::response::sse::Sse::new(events).keep_alive(axum::response::sse::KeepAlive::default())
}

/// Waits for the event's transcript, bounded by `OPENAI_WAIT_SECONDS` and
/// by shutdown (503); the job keeps running (and stays reachable through
/// /api/events) if the client leaves or the wait ends early.
async fn wait(st: &AppState, id: &EventId) -> Result<TranscriptView, OpenAiError> {
    let start = Instant::now();
    let limit = st.settings.openai_wait;
    loop {
        let ev = events::get(&st.pool, id).await.map_err(ApiError::from)?;
        if let Some(ev) = ev {
            match ev.status {
                EventStatus::Transcribed => {
                    if let Some(t) = ev.transcript {
                        return Ok(t);
                    }
                }
                EventStatus::Failed => {
                    let msg = ev.error.unwrap_or_else(|| "transcription failed".into());
                    return Err(ApiError::Unprocessable(msg).into());
                }
                _ => {}
            }
        }
        if start.elapsed() > limit {
            let msg = format!("still transcribing; follow GET /api/events/{id}");
            return Err(ApiError::Timeout(msg).into());
        }
        tokio::select! {
            _ = st.shutdown.cancelled() => return Err(ApiError::Unavailable(format!(
                "the server is shutting down; the transcription goes on: follow GET /api/events/{id}"
            )).into()),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

fn compression_ratio(text: &str) -> f64 {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(text.as_bytes());
    let compressed = z.finish().map(|v| v.len()).unwrap_or(1).max(1);
    text.len() as f64 / compressed as f64
}

/// What a transcription answer is made of.
struct Answer<'a> {
    t: &'a TranscriptView,
    translate: bool,
    /// The recording's length in seconds.
    duration: f64,
    id: &'a EventId,
    /// Word timestamps asked for.
    words: bool,
}

fn render(format: ResponseFormat, a: &Answer<'_>) -> Response {
    let t = a.t;
    let text_response =
        |body: String, ctype: &'static str| ([(header::CONTENT_TYPE, ctype)], body).into_response();
    let segments = &t.segments;
    match format {
        ResponseFormat::Text => text_response(format!("{}\n", t.text), "text/plain; charset=utf-8"),
        ResponseFormat::Srt => text_response(
            crate::stt::format::srt(segments),
            "application/x-subrip; charset=utf-8",
        ),
        ResponseFormat::Vtt => {
            text_response(crate::stt::format::vtt(segments), "text/vtt; charset=utf-8")
        }
        ResponseFormat::VerboseJson => verbose_json(a),
        ResponseFormat::Json => Json(json!({ "text": t.text })).into_response(),
    }
}

/// OpenAI's `verbose_json`: segments with their times and scores, and the
/// words when `timestamp_granularities` asked for them.
fn verbose_json(a: &Answer<'_>) -> Response {
    let Answer {
        t,
        translate,
        duration,
        id,
        words,
    } = *a;
    let language = t
        .language
        .as_deref()
        .and_then(whisper_rs::get_lang_id)
        .and_then(whisper_rs::get_lang_str_full)
        .unwrap_or("unknown");
    let segs: Vec<Value> = t
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "id": i, "seek": 0,
                "start": s.start_ms as f64 / 1000.0, "end": s.end_ms as f64 / 1000.0,
                "text": format!(" {}", s.text), "tokens": s.tokens, "temperature": 0.0,
                "avg_logprob": s.avg_logprob, "compression_ratio": compression_ratio(&s.text),
                "no_speech_prob": s.no_speech_prob,
            })
        })
        .collect();
    let mut body = json!({
        "task": if translate { "translate" } else { "transcribe" },
        "language": language,
        "duration": duration,
        "text": t.text,
        "segments": segs,
        "x_susurro_event_id": id.to_string(),
    });
    if words {
        let list: Vec<Value> = t
            .segments
            .iter()
            .flat_map(|s| s.words.iter())
            .map(|w| json!({ "word": w.word, "start": w.start_ms as f64 / 1000.0, "end": w.end_ms as f64 / 1000.0 }))
            .collect();
        body["words"] = Value::Array(list);
    }
    Json(body).into_response()
}

fn model_object(id: &str) -> Value {
    json!({ "id": id, "object": "model", "created": 0, "owned_by": "susurro" })
}

#[utoipa::path(get, path = "/v1/models", tag = "openai", operation_id = "openai_list_models",
    responses((status = 200, description = "whisper-1 and the installed models", body = Object),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::OpenAiErrorBody)))]
pub(super) async fn list_models(State(st): State<AppState>) -> Result<Json<Value>, OpenAiError> {
    let mut data = vec![model_object("whisper-1")];
    let models = st.models.list_off_runtime().await.map_err(ApiError::from)?;
    for m in models.into_iter().filter(|m| m.downloaded) {
        data.push(model_object(&m.name));
    }
    Ok(Json(json!({ "object": "list", "data": data })))
}

#[utoipa::path(get, path = "/v1/models/{id}", tag = "openai", operation_id = "openai_get_model",
    params(("id" = String, Path, description = "whisper-1 or an installed model")),
    responses((status = 200, description = "The model", body = Object),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::OpenAiErrorBody),
        (status = 404, description = "No such model", body = super::openapi::OpenAiErrorBody)))]
pub(super) async fn get_model(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, OpenAiError> {
    let installed =
        crate::models::name::ModelName::parse(&id).is_ok_and(|m| st.models.installed_whisper(&m));
    if id == "whisper-1" || installed {
        return Ok(Json(model_object(&id)));
    }
    let missing = ApiError::NotFound(format!("the model {} does not exist", echo(&id)));
    Err(OpenAiError::field(
        missing,
        "model",
        Some("model_not_found"),
    ))
}
