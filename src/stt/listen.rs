//! Silero VAD over a stream of audio (live dictation). A [`SileroStream`]
//! is one whisper.cpp VAD context whose LSTM state is carried from one
//! piece of audio to the next (`whisper_vad_detect_speech_no_reset`), so
//! each 32 ms window is judged with everything heard before it, as in a
//! batch run over the whole recording, and each window is read once.
//! [`regions`] turns the probabilities so far into speech regions.

use super::SttError;
use std::ffi::CString;
use std::ops::Range;
use std::ptr::NonNull;

/// Samples per probability: Silero's window at 16 kHz.
pub const WINDOW: usize = 512;

/// One stream's Silero state.
pub struct SileroStream {
    ctx: NonNull<whisper_rs_sys::whisper_vad_context>,
}

// SAFETY: the context is only used through `&mut self` (one thread at a
// time) and holds no thread-bound state.
unsafe impl Send for SileroStream {}

impl std::fmt::Debug for SileroStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SileroStream")
    }
}

impl SileroStream {
    /// A stream over the Silero model at `path`, which
    /// [`SileroVad::stream`](super::vad::SileroVad::stream) has just checked.
    pub(super) fn open(path: &str) -> Result<Self, SttError> {
        let failed = |reason: &str| SttError::ModelLoad {
            name: path.to_string(),
            reason: reason.to_string(),
        };
        let c = CString::new(path).map_err(|_| failed("a NUL in the path"))?;
        // SAFETY: plain value returned by whisper.cpp.
        let mut params = unsafe { whisper_rs_sys::whisper_vad_default_context_params() };
        params.n_threads = 1;
        params.use_gpu = false;
        // SAFETY: `c` is a valid C string for the call; the result is owned
        // here and freed in Drop.
        let ctx =
            unsafe { whisper_rs_sys::whisper_vad_init_from_file_with_params(c.as_ptr(), params) };
        let mut stream = NonNull::new(ctx)
            .map(|ctx| Self { ctx })
            .ok_or_else(|| failed("whisper.cpp could not load it as a Silero VAD model"))?;
        // A new context's state is not zeroed (only the resetting call
        // zeroes it): without this, the first probabilities are noise and
        // the state may never recover (seen: 0.36 for every window).
        stream.reset();
        Ok(stream)
    }

    /// The speech probability of each whole window of `samples` (a last
    /// partial window is not read), the state carried on.
    pub fn hear(&mut self, samples: &[f32]) -> Result<Vec<f32>, SttError> {
        let n = samples.len() / WINDOW * WINDOW;
        if n == 0 {
            return Ok(Vec::new());
        }
        let failed = |what: &str| SttError::Inference(format!("voice activity detection: {what}"));
        let count = i32::try_from(n).map_err(|_| failed("too much audio at once"))?;
        let ctx = self.ctx.as_ptr();
        // SAFETY: `samples` holds `n` floats; `ctx` is live (owned).
        if !unsafe {
            whisper_rs_sys::whisper_vad_detect_speech_no_reset(ctx, samples.as_ptr(), count)
        } {
            return Err(failed("whisper.cpp failed"));
        }
        // SAFETY: whisper.cpp keeps `n_probs` floats at `probs` until the
        // next call on this context; they are copied out at once.
        let probs = unsafe {
            let len = whisper_rs_sys::whisper_vad_n_probs(ctx);
            let p = whisper_rs_sys::whisper_vad_probs(ctx);
            if p.is_null() || len as usize != n / WINDOW {
                return Err(failed("the model's window is not 512 samples"));
            }
            std::slice::from_raw_parts(p, len as usize).to_vec()
        };
        Ok(probs)
    }

    /// Forgets what was heard (the next audio starts a new stream).
    pub fn reset(&mut self) {
        // SAFETY: `ctx` is live (owned).
        unsafe { whisper_rs_sys::whisper_vad_reset_state(self.ctx.as_ptr()) }
    }
}

impl Drop for SileroStream {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { whisper_rs_sys::whisper_vad_free(self.ctx.as_ptr()) }
    }
}

/// Speech in `probs` (one per [`WINDOW`] samples), in samples, as Silero's
/// own rule finds it: a region opens at a window at or above `threshold`
/// and closes where a pause below `threshold - 0.15` began, once that pause
/// has lasted `min_silence` samples; regions of `min_speech` samples or
/// less are dropped. A region still open at the end ends where its current
/// pause began, or at the end: so the audio past the last region's end is
/// how long the speaker has been quiet.
pub fn regions(
    probs: &[f32],
    threshold: f32,
    min_silence: usize,
    min_speech: usize,
) -> Vec<Range<usize>> {
    let below = (threshold - 0.15).max(0.01);
    let mut out = Vec::new();
    let (mut open, mut pause): (Option<usize>, Option<usize>) = (None, None);
    let close = |start: usize, end: usize, out: &mut Vec<Range<usize>>| {
        if end - start > min_speech {
            out.push(start..end);
        }
    };
    for (i, &p) in probs.iter().enumerate() {
        let at = i * WINDOW;
        match open {
            None if p >= threshold => (open, pause) = (Some(at), None),
            None => {}
            Some(_) if p >= threshold => pause = None,
            Some(start) if p < below => {
                let quiet_from = *pause.get_or_insert(at);
                if at + WINDOW - quiet_from >= min_silence {
                    close(start, quiet_from, &mut out);
                    (open, pause) = (None, None);
                }
            }
            Some(_) => {}
        }
    }
    if let Some(start) = open {
        close(start, pause.unwrap_or(probs.len() * WINDOW), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(pattern: &str) -> Vec<f32> {
        pattern
            .chars()
            .map(|c| match c {
                'S' => 0.9,
                'm' => 0.4, // between the thresholds: keeps what is
                _ => 0.05,
            })
            .collect()
    }

    #[test]
    fn regions_open_above_the_threshold_and_close_after_the_pause() {
        let w = WINDOW;
        // Speech 2..6, a 2-window pause (shorter than 3), speech to 10 and
        // between the thresholds to 12, then 4 quiet windows: one region.
        let p = probs("..SSSS..SSmm....");
        assert_eq!(regions(&p, 0.5, 3 * w, 0), vec![2 * w..12 * w]);
        // Not quiet long enough yet at the end: the open region ends where
        // its pause began, so the caller sees 2 quiet windows.
        let p = probs("..SSSS..");
        assert_eq!(regions(&p, 0.5, 3 * w, 0), vec![2 * w..6 * w]);
        // Still speaking at the end.
        assert_eq!(regions(&probs("..SS"), 0.5, 3 * w, 0), vec![2 * w..4 * w]);
        // A blip no longer than `min_speech` is not speech.
        assert!(regions(&probs("..S......"), 0.5, 3 * w, w).is_empty());
        // Two regions when the pause is long enough.
        let p = probs("SS....SS");
        assert_eq!(regions(&p, 0.5, 3 * w, 0), vec![0..2 * w, 6 * w..8 * w]);
    }
}
