//! How much audio the encoder sees: whisper's full 30 s window, or a window
//! sized to the audio with a margin (much faster on short audio); and the
//! checks around it (repetition, digital silence at the edges).

use std::collections::HashMap;

/// How much audio context the encoder processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// whisper's full 30-second window, always.
    Full,
    /// For clips under 30 s, a window sized to the clip with a margin (much
    /// faster); a result that repeats itself is redone with the full window.
    Clip,
}

impl Window {
    /// `auto` (clip-sized) or `full`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" | "clip" => Ok(Self::Clip),
            "full" => Ok(Self::Full),
            other => Err(format!("expected auto or full, got {other:?}")),
        }
    }
}

/// Encoder frames (50 per second) for a clip-sized window: the clip plus
/// 128 frames of margin, at least 384, rounded up to a multiple of 256
/// (measured: a tighter window makes whisper loop or repeat). `None` when
/// that reaches whisper's full 1500 frames.
pub fn clip_audio_ctx(samples: usize) -> Option<i32> {
    audio_ctx_with(samples, 128, 256)
}

/// Encoder frames for speech cut by speech detection: the regions already
/// carry padding, so a 32-frame margin rounded to 32 keeps the accuracy of
/// the wider rule (measured with `scripts/bench-peer --long` and
/// `scripts/eval-wer`, see BENCHMARKS.md) with less encoder work. The same
/// with flash attention: the vendored whisper.cpp attends over exactly the
/// window on the CPU (upstream pads it to 256 frames without a mask, which
/// read the frames past the audio as speech).
pub fn chunk_audio_ctx(samples: usize) -> Option<i32> {
    audio_ctx_with(samples, 32, 32)
}

fn audio_ctx_with(samples: usize, margin: usize, round: usize) -> Option<i32> {
    let frames = (samples.div_ceil(320) + margin).max(384);
    let rounded = frames.div_ceil(round) * round;
    (rounded < 1500).then_some(rounded as i32)
}

/// Samples quieter than this (−60 dBFS) count as digital silence.
const SILENCE: f32 = 1e-3;
/// Silence kept on each side of the speech.
const SILENCE_MARGIN: usize = 16_000 / 5;

/// The range of `samples` without leading and trailing digital silence
/// (with a 200 ms margin); the whole range when everything is silent.
pub fn speech_bounds(samples: &[f32]) -> (usize, usize) {
    let Some(first) = samples.iter().position(|v| v.abs() > SILENCE) else {
        return (0, samples.len());
    };
    let last = samples
        .iter()
        .rposition(|v| v.abs() > SILENCE)
        .unwrap_or(first);
    (
        first.saturating_sub(SILENCE_MARGIN),
        (last + 1 + SILENCE_MARGIN).min(samples.len()),
    )
}

/// Whether a transcript repeats itself: some 5-word sequence appears three
/// or more times, or one word makes up most of a longer text. Speech repeats
/// short phrases ("he took that skin, and he shook that skin, and he
/// scrubbed that skin": a 3-word sequence three times, which sent a read
/// story's chunks to the full window for nothing); whisper's loops repeat
/// whole spans.
pub fn looks_repetitive(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut counts = HashMap::new();
    for w in words.windows(5) {
        let c = counts.entry(w).or_insert(0);
        *c += 1;
        if *c >= 3 {
            return true;
        }
    }
    let mut single: HashMap<&str, usize> = HashMap::new();
    for w in &words {
        *single.entry(w.as_str()).or_insert(0) += 1;
    }
    words.len() >= 8 && single.values().any(|&n| n * 2 > words.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_window_has_margin_floor_and_multiple_of_256() {
        assert_eq!(clip_audio_ctx(16_000), Some(512)); // 1 s: 50 + 128 → 384 floor → 512
        assert_eq!(clip_audio_ctx(16_000 * 11), Some(768)); // jfk: 550 + 128 = 678 → 768
        assert_eq!(clip_audio_ctx(16_000 * 20), Some(1280));
        assert_eq!(clip_audio_ctx(16_000 * 26), None); // 1300 + 128 → 1536: full window
        assert_eq!(clip_audio_ctx(16_000 * 600), None);
    }

    #[test]
    fn chunk_windows_have_a_32_frame_margin() {
        assert_eq!(chunk_audio_ctx(16_000 * 12), Some(640)); // 600 + 32
        assert_eq!(chunk_audio_ctx(16_000 * 24), Some(1248)); // 1200 + 32 → 1248
        assert_eq!(chunk_audio_ctx(16_000 * 25), Some(1312));
        assert_eq!(chunk_audio_ctx(16_000 * 30), None); // 1532: full window
    }

    #[test]
    fn silence_bounds_keep_a_margin() {
        let mut s = vec![0.0f32; 48_000];
        s[20_000..24_000].iter_mut().for_each(|v| *v = 0.5);
        assert_eq!(speech_bounds(&s), (20_000 - 3200, 24_000 + 3200));
        assert_eq!(speech_bounds(&[0.0; 100]), (0, 100));
        let loud = vec![0.3f32; 1000];
        assert_eq!(speech_bounds(&loud), (0, 1000));
    }

    #[test]
    fn repetition_is_detected() {
        assert!(looks_repetitive(
            "he might even have been, he might even have been, he might even have been"
        ));
        assert!(looks_repetitive("so so so so so so so so so hola"));
        assert!(!looks_repetitive(
            "And so my fellow Americans, ask not what your country can do for you"
        ));
        assert!(!looks_repetitive("hay que hacer deploy del pull request"));
        assert!(!looks_repetitive(
            "He took that skin, and he shook that skin, and he scrubbed that skin, \
             and he rubbed that skin just as full of old, dry, stale, tickly cake-crumbs"
        ));
        assert!(looks_repetitive(
            "thank you. thank you. thank you. thank you. thank you."
        ));
    }
}
