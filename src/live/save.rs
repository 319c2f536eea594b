//! A finished dictation session kept as a normal event: its audio (16 kHz
//! WAV) in the audio store and its utterances as a stored transcript, the
//! event `transcribed` at once; from there on retention treats it as any
//! upload.

use crate::storage::AudioStore;
use crate::store::events::{self, EventId, NewEvent, Task};
use crate::store::Pool;
use crate::stt::{Segment, Transcription};
use std::time::Duration;

/// One finished utterance: where it is in the session and what was said.
#[derive(Debug, Clone)]
pub struct Utterance {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// What a session leaves.
pub struct Session<'a> {
    pub audio: &'a [i16],
    pub utterances: &'a [Utterance],
    pub model: String,
    pub language: Option<String>,
    /// How long the transcript is kept (`TRANSCRIPT_TTL_DAYS`).
    pub ttl: Duration,
    pub now_ms: i64,
}

/// Why a session could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("writing the session's audio: {0}")]
    Audio(String),
    #[error("storing the session: {0}")]
    Database(#[from] sqlx::Error),
}

/// Stores `s` as a transcribed event; its id.
pub async fn save(pool: &Pool, store: &AudioStore, s: &Session<'_>) -> Result<EventId, SaveError> {
    let name = format!("{}.wav", uuid::Uuid::new_v4());
    let path = store.staging_dir().join(&name);
    let samples = s.audio.to_vec();
    let wav = path.clone();
    let bytes = tokio::task::spawn_blocking(move || write_wav(&wav, &samples))
        .await
        .map_err(|e| SaveError::Audio(e.to_string()))?
        .map_err(|e| SaveError::Audio(e.to_string()))?;
    store
        .put_file(&name, &path)
        .await
        .map_err(|e| SaveError::Audio(e.to_string()))?;
    let ev = NewEvent {
        audio_path: name.clone(),
        audio_bytes: bytes as i64,
        language: s.language.clone(),
        prompt: None,
        model: None,
        container: Some("wav".into()),
        codec: Some("pcm_s16le".into()),
        priority: None,
        task: Task::Transcribe,
        vad: None,
    };
    let stored = async {
        let mut tx = pool.begin().await?;
        let id = events::insert_in(&mut tx, &ev, s.now_ms).await?;
        events::store_transcript(&mut tx, &id, &transcription(s), None, s.ttl).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    };
    match stored.await {
        Ok(id) => Ok(id),
        Err(e) => {
            store.remove(&name).await;
            Err(e.into())
        }
    }
}

/// The session's utterances as a transcript.
fn transcription(s: &Session<'_>) -> Transcription {
    let segments: Vec<Segment> = s
        .utterances
        .iter()
        .filter(|u| !u.text.trim().is_empty())
        .map(|u| Segment {
            start_ms: u.start_ms as i64,
            end_ms: u.end_ms as i64,
            text: u.text.trim().to_string(),
            ..Default::default()
        })
        .collect();
    let text = segments
        .iter()
        .map(|x| x.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Transcription {
        no_speech: segments.is_empty(),
        text,
        language: s.language.clone(),
        model: s.model.clone(),
        segments,
        duration_ms: (s.audio.len() * 1000 / super::RATE) as u64,
        inference_ms: 0,
        prompt: None,
    }
}

fn write_wav(path: &std::path::Path, samples: &[i16]) -> Result<u64, hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: super::RATE as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for s in samples {
        w.write_sample(*s)?;
    }
    w.finalize()?;
    Ok(44 + samples.len() as u64 * 2)
}
