//! A file on disk to a transcript: decode to 16 kHz, take the cached model
//! and VAD model, build whisper's prompt (glossary, configured text, the
//! upload's prompt), and run the pipeline. Blocking: run it on a blocking
//! thread.

use crate::audio::{decode_file, AudioError, AudioInfo};
use crate::config::Settings;
use crate::model_name::ModelName;
use crate::progress::Progress;
use crate::stt::{Engine, Language, SttError, TranscribeOptions, Transcription, VadMode};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// What to transcribe, and how.
#[derive(Debug, Clone)]
pub struct FileRequest<'a> {
    pub path: &'a Path,
    pub model: &'a ModelName,
    pub language: Language,
    /// The upload's own prompt, appended to the configured ones.
    pub prompt: Option<&'a str>,
    pub translate: bool,
    /// Whisper threads for this file.
    pub threads: usize,
}

/// Why a file could not be transcribed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Stt(#[from] SttError),
}

/// Decodes and transcribes `req.path` with the settings' window, VAD and
/// prompt; `abort` stops it, `progress` counts chunks.
pub fn transcribe_file(
    engine: &Engine,
    settings: &Settings,
    req: &FileRequest<'_>,
    abort: &AtomicBool,
    progress: &Progress,
) -> Result<(Transcription, AudioInfo), FileError> {
    let audio = decode_file(req.path, settings.max_audio_seconds)?;
    let model = engine.model(req.model)?;
    let vad = match settings.vad.mode {
        VadMode::Off => None,
        VadMode::On | VadMode::Auto => engine.vad(settings.vad.model.as_ref())?,
    };
    let opts = TranscribeOptions {
        language: req.language.clone(),
        prompt: crate::stt::prompt::build(
            &settings.glossary,
            settings.initial_prompt.as_deref(),
            req.prompt,
            |p| model.fits_prompt(p),
        ),
        threads: req.threads,
        translate: req.translate,
        window: settings.window,
        trim_silence: settings.trim_silence,
        vad: settings.vad.clone(),
        parallel: None,
    };
    let t = crate::stt::transcribe(
        &model,
        vad.as_deref(),
        &audio.samples,
        &opts,
        abort,
        progress,
    )?;
    Ok((t, audio.info))
}
