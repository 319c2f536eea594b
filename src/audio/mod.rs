//! Audio ingest: probing uploads and decoding any supported recording to
//! 16 kHz mono f32 for whisper.
//!
//! The container and codec are found from the bytes, never from the file
//! name or the client's content type. Before a decoder library sees a file,
//! [`guard`] checks every size its header declares against the bytes that
//! follow and [`limits`] checks the codec against an explicit list and its
//! parameters against sane bounds; a panic inside a decoder library becomes
//! [`AudioError::Malformed`]. No input can make decoding allocate more than
//! `MAX_AUDIO_SECONDS` of 16 kHz samples plus a packet.

mod decode;
mod guard;
pub mod limits;
mod opus;
pub mod resample;
pub mod sandbox;
mod wav;

pub use decode::{
    decode_file, decode_stream, probe_file, sniff_container, AudioInfo, DecodeSummary, DecodedAudio,
};
pub use sandbox::Sandbox;

/// Why audio could not be used. Every variant but `Io` is the input's fault
/// (a permanent job failure).
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("unsupported or unrecognised audio format{}", .0.as_deref().map(|s| format!(": {s}")).unwrap_or_default())]
    UnsupportedFormat(Option<String>),
    #[error("unsupported codec: {0}")]
    UnsupportedCodec(String),
    #[error("no audio track in the file")]
    NoAudioTrack,
    #[error("the file contains no decodable audio{}", .0.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    NoAudio(Option<String>),
    #[error("invalid audio parameters: {0}")]
    InvalidParameters(String),
    /// A header field with an impossible value (`sample_rate`, `channels`, …).
    #[error("invalid {field} in the audio header: {value}")]
    InvalidField { field: &'static str, value: String },
    /// The file's structure is broken or hostile (sizes that do not fit).
    #[error("malformed audio file: {0}")]
    Malformed(String),
    #[error("recording is too long: over {0} seconds (MAX_AUDIO_SECONDS)")]
    TooLong(u64),
    /// The child process that parses the file died, overran its limits
    /// or was stopped ([`sandbox`]).
    #[error("{0}")]
    Sandbox(String),
    #[error("I/O error reading audio: {0}")]
    Io(#[from] std::io::Error),
}

impl AudioError {
    /// Whether retrying could help (only I/O errors).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Io(_))
    }
}
