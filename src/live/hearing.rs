//! Silero's view of one live session: its own stream state and the speech
//! probability of each 32 ms window of the pending audio, kept from one
//! analysis step to the next, so that each window is judged once and with
//! everything heard before it (judging a short window afresh each step
//! lost quiet speech).

use super::TurnDetection;
use crate::stt::listen::{self, SileroStream, WINDOW};
use crate::stt::{Engine, SttError};
use std::ops::Range;

/// How a session hears: its Silero stream once opened; whether opening it
/// failed (said once as an error; the energy finder hears from then on).
#[derive(Debug, Default)]
pub struct Ears {
    pub(super) hearing: Option<Hearing>,
    failed: bool,
}

impl Ears {
    /// The session's Silero stream, opened (to start at session sample
    /// `at`) on first use; `None` without a Silero model, or after opening
    /// it failed, which is an error the first time only.
    pub fn open(
        &mut self,
        engine: &Engine,
        d: &super::Decoding,
        at: usize,
    ) -> Result<Option<&mut Hearing>, SttError> {
        if self.hearing.is_none() && !self.failed {
            if let Some(v) = engine.vad(d.vad.model.as_ref())? {
                let stream = v.stream().inspect_err(|_| self.failed = true)?;
                self.hearing = Some(Hearing::new(stream, at));
            }
        }
        Ok(self.hearing.as_mut())
    }
}

/// Shortest speech region, as the jobs' speech detection has it.
const MIN_SPEECH_MS: usize = 250;

/// A session's Silero stream and what it heard of the pending audio.
#[derive(Debug)]
pub struct Hearing {
    stream: SileroStream,
    /// One per [`WINDOW`] samples from session sample `at` on.
    probs: Vec<f32>,
    at: usize,
}

impl Hearing {
    /// A stream that starts hearing at session sample `at`.
    pub fn new(stream: SileroStream, at: usize) -> Self {
        Self {
            stream,
            probs: Vec::new(),
            at,
        }
    }

    /// The session sample up to which audio was heard.
    fn heard_to(&self) -> usize {
        self.at + self.probs.len() * WINDOW
    }

    /// Hears the whole windows of `audio` (pending audio from session
    /// sample `audio_at`) not heard yet.
    pub fn hear(&mut self, audio: &[f32], audio_at: usize) -> Result<(), SttError> {
        self.forget_before(audio_at);
        if self.heard_to() < audio_at {
            // Audio dropped before it was heard (less than a window).
            self.probs.clear();
            self.at = audio_at;
        }
        let from = (self.heard_to() - audio_at).min(audio.len());
        let new = self.stream.hear(&audio[from..])?;
        self.probs.extend(new);
        Ok(())
    }

    /// Forgets the windows that start before session sample `sample`.
    pub fn forget_before(&mut self, sample: usize) {
        let k = sample
            .saturating_sub(self.at)
            .div_ceil(WINDOW)
            .min(self.probs.len());
        self.probs.drain(..k);
        self.at += k * WINDOW;
    }

    /// Starts over at session sample `at` (the client cleared its audio).
    pub fn reset(&mut self, at: usize) {
        self.stream.reset();
        self.probs.clear();
        self.at = at;
    }

    /// The speech heard, as ranges of the pending audio from session sample
    /// `audio_at`, by the turn detection's threshold and pause. A region
    /// still open ends where its current pause began.
    pub fn speech(&self, audio_at: usize, turn: &TurnDetection) -> Vec<Range<usize>> {
        let off = self.at.saturating_sub(audio_at);
        let ms = |n: usize| n * super::RATE / 1000;
        listen::regions(
            &self.probs,
            turn.threshold,
            ms(turn.silence_duration_ms as usize),
            ms(MIN_SPEECH_MS),
        )
        .into_iter()
        .map(|r| r.start + off..r.end + off)
        .collect()
    }
}
