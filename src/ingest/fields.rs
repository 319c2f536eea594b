//! The multipart body: the audio part streamed to disk, every other part a
//! small text field read as it streams (never buffered past 4 KiB), UTF-8
//! without NUL bytes.

use super::upload::{stream_to_disk, PendingFile};
use super::{IngestError, Intake};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::StatusCode;

/// Longest text field of an upload, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;
/// Parts an upload may have (the audio and its fields): more is refused,
/// so a body of many small parts cannot be kept in memory.
pub const MAX_PARTS: usize = 64;
/// Longest part name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

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

impl UploadFields {
    /// An extra field's value, by name.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A client's value as quoted back in an error message: at most 64
/// characters, so an error never echoes a large field.
pub fn echo(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
    }
}

pub(super) fn multipart_error(e: MultipartError) -> IngestError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            IngestError::TooLarge(format!("upload too large: {}", e.body_text()))
        }
        _ => IngestError::Multipart(e.body_text()),
    }
}

/// Reads a small text field as it streams.
async fn text_field(mut field: Field<'_>, name: &str) -> Result<String, IngestError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if buf.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(IngestError::BadField(format!(
                "field {} is longer than {MAX_FIELD_BYTES} bytes",
                echo(name)
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(buf)
        .map_err(|_| IngestError::BadField(format!("field {} is not UTF-8", echo(name))))?;
    if text.contains('\0') {
        return Err(IngestError::BadField(format!(
            "field {} contains a NUL byte",
            echo(name)
        )));
    }
    Ok(text.trim().to_string())
}

pub(super) async fn read(
    intake: &Intake,
    mut multipart: Multipart,
    audio_fields: &[&'static str],
) -> Result<(PendingFile, UploadFields), IngestError> {
    let r = read_parts(intake, &mut multipart, audio_fields).await;
    if let Err(IngestError::BadField(_) | IngestError::UnknownModel { .. }) = &r {
        drain(&mut multipart).await;
    }
    r
}

/// Reads and drops the rest of a refused body (within the body limit, for
/// at most 30 s), so that the client, still sending, reads the answer
/// instead of a connection closed under it (a lingering close).
async fn drain(multipart: &mut Multipart) {
    let rest = async {
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), rest).await;
}

async fn read_parts(
    intake: &Intake,
    multipart: &mut Multipart,
    audio_fields: &[&'static str],
) -> Result<(PendingFile, UploadFields), IngestError> {
    let mut audio = None;
    let mut fields = UploadFields::default();
    let mut parts = 0;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(IngestError::BadField(format!(
                "more than {MAX_PARTS} parts in the upload"
            )));
        }
        let name = field.name().unwrap_or_default();
        if name.len() > MAX_NAME_BYTES {
            return Err(IngestError::BadField(format!(
                "a part name is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
        let name = name.to_string();
        if audio_fields.contains(&name.as_str()) {
            if audio.is_some() {
                return Err(IngestError::BadField(format!(
                    "more than one {} field",
                    echo(&name)
                )));
            }
            audio = Some(
                stream_to_disk(field, intake.audio.staging_dir(), intake.max_upload_bytes).await?,
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
    let audio = audio.ok_or(IngestError::MissingFile(audio_fields[0]))?;
    if audio.bytes == 0 {
        return Err(IngestError::Audio(crate::audio::AudioError::NoAudio(Some(
            "the uploaded file is empty".into(),
        ))));
    }
    Ok((audio, fields))
}
