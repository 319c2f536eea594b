//! Speech to text on samples: the in-process whisper engine (models and
//! whisper states loaded once and shared), voice activity detection,
//! chunking and the transcription pipeline, the transcript types and
//! subtitle formats. The `stt` job worker that drives it lives in the jobs
//! layer above (`jobs/stt.rs`).

pub mod chunk;
pub mod cores;
pub mod cpu;
pub mod filter;
pub mod format;
mod language;
pub mod listen;
mod model;
mod pipeline;
pub mod prompt;
pub mod vad;
mod whisper;
mod window;

pub use language::Language;
pub use model::{Engine, Model, PooledState};
pub use pipeline::transcribe;
pub use vad::{SileroVad, VadMode, VadOverrides, VadSettings};
pub use whisper::{run_whisper, Run};
pub use window::{chunk_audio_ctx, clip_audio_ctx, looks_repetitive, speech_bounds, Window};

use serde::{Deserialize, Serialize};

/// Per-call settings.
#[derive(Debug, Clone)]
pub struct TranscribeOptions {
    pub language: Language,
    /// Initial prompt (glossary, context).
    pub prompt: Option<String>,
    pub threads: usize,
    /// Translate to English instead of transcribing.
    pub translate: bool,
    /// Encoder window policy.
    pub window: Window,
    /// Leave out leading and trailing digital silence (times stay on the
    /// original timeline); only without VAD, which does more.
    pub trim_silence: bool,
    /// Speech detection and chunking.
    pub vad: VadSettings,
    /// Chunks transcribed at once (each with `threads / parallel` threads);
    /// `None`: one per thread.
    pub parallel: Option<usize>,
    /// The process's core budget, shared with the other transcriptions:
    /// chunks then run one per free core, one thread each (a recording
    /// of one chunk takes `threads` cores). `None`: `threads` and
    /// `parallel` alone decide.
    pub cores: Option<std::sync::Arc<cores::Cores>>,
    /// One greedy pass and nothing more: no temperature fallback and no
    /// redo with the full window when the output repeats itself. For
    /// decodes someone waits for (live dictation), whose work must stay
    /// bounded: on silence or noise whisper may loop to its token limit,
    /// and each redo costs that again.
    pub one_pass: bool,
    /// Beams of whisper's beam search (1: greedy); a one-pass decode is
    /// always greedy.
    pub beam_size: usize,
}

/// Beams by default (`WHISPER_BEAM_SIZE`).
pub const DEFAULT_BEAM_SIZE: usize = 3;

/// A timed piece of the transcript.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    /// Text token ids (for OpenAI's verbose_json).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<i32>,
    /// Mean log probability of the text tokens.
    #[serde(default)]
    pub avg_logprob: f32,
    /// whisper's probability that the segment is not speech.
    #[serde(default)]
    pub no_speech_prob: f32,
    /// Words with times from whisper's token timestamps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
}

/// A word and when it is said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Word {
    pub word: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The word's token ids (kept with its segment, not stored per word).
    #[serde(skip)]
    pub tokens: Vec<i32>,
}

/// What whisper produced for one recording.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Transcription {
    pub text: String,
    /// Detected or forced language code.
    pub language: Option<String>,
    pub model: String,
    pub segments: Vec<Segment>,
    pub duration_ms: u64,
    pub inference_ms: u64,
    /// The initial prompt whisper was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// No speech was found (the text is empty on purpose).
    #[serde(default)]
    pub no_speech: bool,
}

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum SttError {
    /// The model file is not there; the message says how to get it.
    #[error("{0}")]
    ModelMissing(String),
    #[error("could not load model {name}: {reason}")]
    ModelLoad { name: String, reason: String },
    #[error("transcription was cancelled")]
    Aborted,
    #[error("whisper failed: {0}")]
    Inference(String),
    #[error("no audio samples to transcribe")]
    NoSamples,
}
