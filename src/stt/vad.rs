//! Where the speech is: Silero VAD run by whisper.cpp (its VAD context, one
//! loaded model shared by every job), or, without that model, a simple
//! energy-based pause finder so that long recordings still split at pauses.
//! Both return sample ranges of 16 kHz audio, padded and merged.

use super::SttError;
use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;
use whisper_rs::{WhisperVadContext, WhisperVadContextParams, WhisperVadParams};

const RATE: usize = 16_000;

/// whisper.cpp's published Silero model, the catalog's VAD entry.
pub const CATALOG_VAD_MODEL: &str = crate::models::catalog::VAD_MODEL;

/// `WHISPER_VAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadMode {
    /// Silero when its model is installed, else the energy pause finder.
    Auto,
    /// Silero; a job fails clearly when the model is missing.
    On,
    /// No speech detection: whisper runs over the whole recording.
    Off,
}

impl VadMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(Self::Auto),
            "on" | "true" | "1" => Ok(Self::On),
            "off" | "false" | "0" => Ok(Self::Off),
            other => Err(format!("expected auto, on or off, got {other:?}")),
        }
    }
}

/// How speech is found and cut.
#[derive(Debug, Clone, PartialEq)]
pub struct VadSettings {
    pub mode: VadMode,
    /// The VAD model's name (`ggml-<name>.bin` in the models folder); unset:
    /// the catalog's Silero model if installed, else the newest installed
    /// `silero-v*`.
    pub model: Option<crate::models::name::ModelName>,
    /// Speech probability threshold (`WHISPER_VAD_THRESHOLD`).
    pub threshold: f32,
    /// Pauses shorter than this stay inside speech (`WHISPER_VAD_MIN_SILENCE_MS`).
    pub min_silence_ms: u32,
    /// Audio kept around each speech region (`WHISPER_VAD_PAD_MS`).
    pub pad_ms: u32,
    /// Longest chunk whisper is given, in seconds (`WHISPER_CHUNK_SECONDS`, ≤ 30).
    pub chunk_seconds: f32,
}

impl Default for VadSettings {
    fn default() -> Self {
        Self {
            mode: VadMode::Auto,
            model: None,
            threshold: 0.5,
            min_silence_ms: 300,
            pad_ms: 100,
            chunk_seconds: 15.0,
        }
    }
}

/// Per-upload changes to [`VadSettings`] (OpenAI's `server_vad`
/// chunking strategy), stored with the event.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VadOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_silence_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_ms: Option<u32>,
}

impl VadSettings {
    /// These settings with `o` applied.
    pub fn with(&self, o: &VadOverrides) -> Self {
        Self {
            threshold: o.threshold.unwrap_or(self.threshold),
            min_silence_ms: o.min_silence_ms.unwrap_or(self.min_silence_ms),
            pad_ms: o.pad_ms.unwrap_or(self.pad_ms),
            ..self.clone()
        }
    }

    /// The longest chunk, in samples.
    pub fn max_chunk(&self) -> usize {
        (self.chunk_seconds * RATE as f32) as usize
    }
}

/// A loaded Silero model: a pool of whisper.cpp VAD contexts (each keeps
/// per-run buffers, so each run takes one).
pub struct SileroVad {
    path: String,
    pool: Mutex<Vec<WhisperVadContext>>,
}

/// Checks a Silero model file before whisper.cpp reads it (a malformed
/// one could abort the process).
fn check(path: &Path) -> Result<(), SttError> {
    crate::models::file::check_vad(path).map_err(|e| SttError::ModelLoad {
        name: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Recordings at least this long are scanned in parts, one per thread.
const PARALLEL_FROM: usize = RATE * 60;

impl SileroVad {
    /// Loads `path` (whisper.cpp's ggml Silero format).
    pub fn load(path: &Path) -> Result<Self, SttError> {
        let p = path.to_str().ok_or_else(|| SttError::ModelLoad {
            name: path.display().to_string(),
            reason: "the path is not UTF-8".into(),
        })?;
        check(path)?;
        let vad = Self {
            path: p.to_string(),
            pool: Mutex::new(Vec::new()),
        };
        let ctx = vad.context()?;
        vad.give_back(ctx);
        Ok(vad)
    }

    fn context(&self) -> Result<WhisperVadContext, SttError> {
        if let Some(c) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(c);
        }
        // A new context reads the file again: checked again (it may have
        // been replaced since `load`).
        check(Path::new(&self.path))?;
        let mut params = WhisperVadContextParams::new();
        params.set_n_threads(1);
        params.set_use_gpu(false);
        WhisperVadContext::new(&self.path, params).map_err(|e| SttError::ModelLoad {
            name: self.path.clone(),
            reason: format!("{e} (is it a whisper.cpp Silero VAD model?)"),
        })
    }

    /// A Silero state of its own that follows one stream of audio. The file
    /// is read again, so it is checked again (it may have been replaced
    /// since [`SileroVad::load`]).
    pub fn stream(&self) -> Result<super::listen::SileroStream, SttError> {
        check(Path::new(&self.path))?;
        super::listen::SileroStream::open(&self.path)
    }

    fn give_back(&self, ctx: WhisperVadContext) {
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctx);
    }

    /// Speech ranges of `samples`, split where needed so that none is longer
    /// than a chunk. Long recordings are scanned in `threads` parts at once
    /// (regions meeting at a part's edge are merged).
    pub fn speech(
        &self,
        samples: &[f32],
        s: &VadSettings,
        threads: usize,
    ) -> Result<Vec<Range<usize>>, SttError> {
        let parts = if samples.len() >= PARALLEL_FROM {
            threads.clamp(1, 8)
        } else {
            1
        };
        let step = samples.len().div_ceil(parts);
        let found: Vec<Result<Vec<Range<usize>>, SttError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..parts)
                .map(|i| {
                    let lo = (i * step).min(samples.len());
                    let hi = ((i + 1) * step).min(samples.len());
                    scope.spawn(move || {
                        self.speech_in(&samples[lo..hi], s).map(|v| {
                            v.into_iter()
                                .map(|r| r.start + lo..r.end + lo)
                                .collect::<Vec<_>>()
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(SttError::Inference(
                            "voice activity detection panicked".into(),
                        ))
                    })
                })
                .collect()
        });
        let mut all = Vec::new();
        for f in found {
            all.extend(f?);
        }
        Ok(merge_overlaps(all))
    }

    fn speech_in(&self, samples: &[f32], s: &VadSettings) -> Result<Vec<Range<usize>>, SttError> {
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = WhisperVadParams::new();
        p.set_threshold(s.threshold);
        p.set_min_speech_duration(250);
        p.set_min_silence_duration(s.min_silence_ms as i32);
        p.set_max_speech_duration(s.chunk_seconds);
        p.set_speech_pad(s.pad_ms as i32);
        p.set_samples_overlap(0.0);
        let mut ctx = self.context()?;
        let segments = ctx.segments_from_samples(p, samples);
        self.give_back(ctx);
        let segments = segments
            .map_err(|e| SttError::Inference(format!("voice activity detection failed: {e}")))?;
        let to_sample = |cs: f32| ((cs.max(0.0) as f64 / 100.0) * RATE as f64).round() as usize;
        let mut out: Vec<Range<usize>> = Vec::new();
        for seg in segments {
            let (a, b) = (
                to_sample(seg.start).min(samples.len()),
                to_sample(seg.end).min(samples.len()),
            );
            if b > a {
                out.push(a..b);
            }
        }
        Ok(merge_overlaps(out))
    }
}

/// Speech ranges by energy: 30 ms frames louder than the recording's noise
/// floor by 12 dB (and than −55 dBFS), pauses shorter than `min_silence_ms`
/// bridged, regions under 250 ms dropped, `pad_ms` added on each side.
pub fn energy_speech(samples: &[f32], s: &VadSettings) -> Vec<Range<usize>> {
    const FRAME: usize = RATE * 30 / 1000;
    let db: Vec<f32> = samples
        .chunks(FRAME)
        .map(|f| {
            let ms = f.iter().map(|v| v * v).sum::<f32>() / f.len().max(1) as f32;
            10.0 * (ms + 1e-10).log10()
        })
        .collect();
    if db.is_empty() {
        return Vec::new();
    }
    let mut sorted = db.clone();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted[sorted.len() / 10];
    let threshold = (floor + 12.0).max(-55.0);
    let gap = (s.min_silence_ms as usize * RATE / 1000).div_ceil(FRAME);
    let min_len = (250 * RATE / 1000).div_ceil(FRAME);
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < db.len() {
        if db[i] <= threshold {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut quiet = 0;
        let mut j = i + 1;
        while j < db.len() && quiet <= gap {
            if db[j] > threshold {
                end = j + 1;
                quiet = 0;
            } else {
                quiet += 1;
            }
            j += 1;
        }
        if end - start >= min_len {
            regions.push(start..end);
        }
        i = end.max(i + 1);
    }
    let pad = s.pad_ms as usize * RATE / 1000;
    let ranges = regions
        .into_iter()
        .map(|r| (r.start * FRAME).saturating_sub(pad)..(r.end * FRAME + pad).min(samples.len()))
        .collect();
    merge_overlaps(ranges)
}

/// Sorted, non-overlapping ranges.
fn merge_overlaps(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(secs: f32, amp: f32) -> Vec<f32> {
        (0..(secs * RATE as f32) as usize)
            .map(|i| (i as f32 * 0.07).sin() * amp)
            .collect()
    }

    #[test]
    fn energy_finds_loud_regions_and_nothing_in_silence() {
        let s = VadSettings::default();
        assert!(energy_speech(&vec![0.0; RATE * 5], &s).is_empty());
        let mut audio = vec![0.0f32; RATE * 2];
        audio.extend(tone(1.0, 0.3));
        audio.extend(vec![0.0f32; RATE * 3]);
        audio.extend(tone(1.5, 0.3));
        audio.extend(vec![0.0f32; RATE]);
        let r = energy_speech(&audio, &s);
        assert_eq!(r.len(), 2, "{r:?}");
        let pad = s.pad_ms as usize * RATE / 1000;
        assert!(r[0].start.abs_diff(2 * RATE - pad) < 600, "{r:?}");
        assert!(r[1].start.abs_diff(6 * RATE - pad) < 600, "{r:?}");
        // Constant noise has no region louder than its own floor.
        let noise: Vec<f32> = (0..RATE * 4)
            .map(|i| ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * 0.2)
            .collect();
        assert!(energy_speech(&noise, &s).is_empty());
    }

    #[test]
    fn overlapping_ranges_merge() {
        assert_eq!(
            merge_overlaps(vec![5..9, 0..3, 2..4, 9..10]),
            vec![0..4, 5..10]
        );
    }
}
