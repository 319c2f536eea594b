//! Live dictation: audio that arrives while someone speaks, cut into
//! utterances by the same speech detection the jobs use (Silero VAD, each
//! session with its own stream state, [`Hearing`]; or the energy finder when
//! no Silero model is installed), each utterance decoded again as it grows
//! (partial text), once more as soon as the speaker is quiet for a moment,
//! and that text final when the pause is long enough. [`Dictation`] holds a
//! session's audio; [`analyse`] is one blocking step over a snapshot of it.
//! Decodes share the cores through one budget of the live sessions. The
//! WebSocket protocol around this is `api::realtime`; a saved session
//! becomes an event through [`save::save`].

mod hearing;
pub mod save;

pub use hearing::{Ears, Hearing};

use crate::models::name::ModelName;
use crate::progress::Progress;
use crate::stt::cores::Cores;
use crate::stt::{Engine, Language, SttError, TranscribeOptions, VadMode, VadSettings, Window};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Samples per second of everything in here.
pub const RATE: usize = 16_000;
/// An utterance longer than this is ended where it is (whisper's window).
pub const MAX_UTTERANCE_SECONDS: usize = 28;
/// Audio waiting for analysis at most; appends beyond it are refused.
pub const MAX_PENDING_SECONDS: usize = 60;
/// A partial decode when the open utterance has grown this much.
const PARTIAL_EVERY_MS: usize = 1_000;
/// Speech quiet this long is decoded at once (speculatively): when the
/// pause reaches `silence_duration_ms` and no speech came back, that text
/// is the utterance's, and `completed` follows without another decode.
const SPECULATE_AFTER_MS: usize = TAIL_PAD_MS;
/// The energy finder looks at this much more than the pause it waits for.
const VAD_LOOKBACK_MS: usize = 1_500;
/// Audio kept after the last speech of an utterance.
const TAIL_PAD_MS: usize = 200;
/// A live decode still running after this, plus
/// `DECODE_LIMIT_PER_AUDIO_SECOND` for each second of its audio, is
/// stopped (a machine loaded by other work; its one pass is bounded, but
/// the speaker should not wait on it forever).
const DECODE_LIMIT: Duration = Duration::from_secs(10);
const DECODE_LIMIT_PER_AUDIO_SECOND: f64 = 2.0;
/// Session audio kept for `save` (16-bit): half an hour.
pub const SAVE_MAX_SECONDS: usize = 1_800;

/// OpenAI's `server_vad` turn detection.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnDetection {
    /// Speech probability threshold (0–1).
    pub threshold: f32,
    /// Audio kept before the speech starts.
    pub prefix_padding_ms: u32,
    /// A pause this long ends the utterance.
    pub silence_duration_ms: u32,
}

impl Default for TurnDetection {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
        }
    }
}

/// How a session's audio becomes text.
#[derive(Debug, Clone)]
pub struct Decoding {
    pub model: ModelName,
    pub language: Language,
    pub prompt: Option<String>,
    /// `None`: utterances end only when the client commits.
    pub turn: Option<TurnDetection>,
    /// Threads of a partial decode: the session's share of the cores.
    pub threads: usize,
    /// The cores every live session's decodes share: a decode holds the
    /// cores it runs on, a final one as many as are free (the speaker
    /// waits for it), a partial one at most `threads`.
    pub cores: Arc<Cores>,
    /// The service's speech detection (which Silero model, or none).
    pub vad: VadSettings,
}

/// A session's audio: what is not yet part of a finished utterance, and
/// (when kept for `save`) all of it.
#[derive(Debug, Default)]
pub struct Dictation {
    /// Samples from `pending_at` on.
    pending: Vec<f32>,
    /// Where `pending` starts in the session, in samples.
    pending_at: usize,
    /// Samples of `pending` already analysed.
    analysed: usize,
    /// The whole session, when kept.
    kept: Option<Vec<i16>>,
    /// Silero's stream over the session (while no step has it).
    ears: Ears,
}

/// The pending audio as one analysis step sees it, with the session's
/// Silero stream (the step hears the new audio with it and gives it back).
#[derive(Debug)]
pub struct Snapshot {
    pub audio: Vec<f32>,
    /// The session sample `audio` starts at.
    pub at: usize,
    pub ears: Ears,
}

/// The open utterance as the steps so far left it (indexes into the
/// pending audio).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenUtterance {
    pub start: usize,
    /// Where the last decode of it ended, and its text.
    pub decoded: Option<Partial>,
}

/// The text of `pending[start..to]`, and how long its decode took.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub text: String,
    pub to: usize,
    pub took_ms: usize,
}

/// Where speech is in an analysed snapshot, and the text found.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// No speech: `pending` up to `drop_to` is silence nobody needs.
    Silence { drop_to: usize },
    /// Speech started at `start` and goes on; `partial` is the text so far
    /// when it was decoded again.
    Speaking {
        start: usize,
        partial: Option<Partial>,
    },
    /// An utterance ended: `range` of `pending`, its final text.
    Ended { range: Range<usize>, text: String },
}

impl Dictation {
    /// Keeps the whole session's audio (for `save`).
    pub fn keep_all(&mut self) {
        self.kept.get_or_insert_with(Vec::new);
    }

    /// Appends 16 kHz samples; false when too much is waiting already.
    pub fn push(&mut self, samples: &[f32]) -> bool {
        if self.pending.len() + samples.len() > MAX_PENDING_SECONDS * RATE {
            return false;
        }
        if let Some(k) = &mut self.kept {
            let room = (SAVE_MAX_SECONDS * RATE).saturating_sub(k.len());
            k.extend(samples.iter().take(room).map(|s| (s * 32767.0) as i16));
        }
        self.pending.extend_from_slice(samples);
        true
    }

    /// Audio not yet analysed, in ms.
    pub fn unanalysed_ms(&self) -> usize {
        (self.pending.len() - self.analysed) * 1000 / RATE
    }

    /// The pending audio to analyse, marked as analysed, with the Silero
    /// stream (until [`Dictation::restore`]).
    pub fn snapshot(&mut self) -> Snapshot {
        self.analysed = self.pending.len();
        Snapshot {
            audio: self.pending.clone(),
            at: self.pending_at,
            ears: std::mem::take(&mut self.ears),
        }
    }

    /// Takes back a step's Silero stream; `current` false: the step ran
    /// before a `clear`, so what it heard is gone.
    pub fn restore(&mut self, mut ears: Ears, current: bool) {
        if let (Some(h), false) = (&mut ears.hearing, current) {
            h.reset(self.pending_at);
        }
        self.ears = ears;
    }

    /// Forgets `pending[..n]` (silence, or a finished utterance).
    pub fn drop_to(&mut self, n: usize) {
        let n = n.min(self.pending.len());
        self.pending.drain(..n);
        self.pending_at += n;
        self.analysed = self.analysed.saturating_sub(n);
        if let Some(h) = &mut self.ears.hearing {
            h.forget_before(self.pending_at);
        }
    }

    /// Has the next step look at all the pending audio again (an utterance
    /// ended where the step found more speech after it).
    pub fn reanalyse(&mut self) {
        self.analysed = 0;
    }

    /// Forgets all pending audio (`input_audio_buffer.clear`).
    pub fn clear(&mut self) {
        let n = self.pending.len();
        self.drop_to(n);
        if let Some(h) = &mut self.ears.hearing {
            h.reset(self.pending_at);
        }
    }

    /// `pending[i]` as ms into the session.
    pub fn session_ms(&self, i: usize) -> u64 {
        ((self.pending_at + i) * 1000 / RATE) as u64
    }

    /// `pending[i]` as a sample index into the session.
    pub fn session_sample(&self, i: usize) -> usize {
        self.pending_at + i
    }

    /// The kept session audio, if any.
    pub fn kept(&self) -> Option<&[i16]> {
        self.kept.as_deref()
    }
}

/// Samples in `n` ms.
fn ms(n: usize) -> usize {
    n * RATE / 1000
}

/// One step over `snap` (of the pending audio): where its speech is and,
/// when due, its text. `open` is the utterance being spoken, if any;
/// `commit` ends it now.
pub fn analyse(
    engine: &Engine,
    d: &Decoding,
    snap: &mut Snapshot,
    open: Option<&OpenUtterance>,
    commit: bool,
) -> Result<Step, SttError> {
    let (silence, pad) = d.turn.as_ref().map_or((0, 0), |t| {
        (t.silence_duration_ms as usize, t.prefix_padding_ms as usize)
    });
    let regions = speech_regions(engine, d, snap, open, commit)?;
    let audio = &snap.audio[..];
    let Some((speech, later)) = utterance(&regions, open, audio.len(), silence) else {
        // No speech yet: keep the prefix and, for the energy finder, enough
        // audio to judge the next step with context (a few hundred ms at a
        // time lost quiet speech: FLEURS clips peaking at -45 dBFS).
        return Ok(Step::Silence {
            drop_to: audio.len().saturating_sub(ms(pad.max(VAD_LOOKBACK_MS))),
        });
    };
    let start = open.map_or(speech.start.saturating_sub(ms(pad)), |o| o.start);
    let spoken = (speech.end + ms(TAIL_PAD_MS)).min(audio.len());
    let too_long = audio.len() - start >= MAX_UTTERANCE_SECONDS * RATE;
    let decoded = open.and_then(|o| o.decoded.as_ref());
    if commit || too_long {
        let end = if commit { audio.len() } else { spoken };
        let text = final_text(engine, d, &audio[start..end], decoded)?;
        return Ok(Step::Ended {
            range: start..end,
            text,
        });
    }
    // A decode that reached half the tail pad past the speech covers it
    // (each step's VAD may place the end a window later).
    let covered = decoded.is_some_and(|p| p.to + ms(TAIL_PAD_MS / 2) >= spoken);
    if later || audio.len() - speech.end >= ms(silence) {
        let text = match decoded {
            Some(p) if covered => p.text.clone(),
            _ => final_text(engine, d, &audio[start..spoken], decoded)?,
        };
        return Ok(Step::Ended {
            range: start..spoken,
            text,
        });
    }
    let quiet = audio.len() - speech.end >= ms(SPECULATE_AFTER_MS);
    let partial = match open {
        Some(_) if quiet && !covered => Some(timed(engine, d, audio, start..spoken, true)),
        Some(_) => partial_due(decoded, start, audio.len())
            .map(|to| timed(engine, d, audio, start..to, false)),
        None => None,
    };
    // A partial decode past its deadline is skipped.
    let partial = match partial.transpose() {
        Err(SttError::Aborted) => None,
        p => p?,
    };
    Ok(Step::Speaking { start, partial })
}

/// The speech of the utterance a step is about (the first region), and
/// whether more speech follows it: regions are apart by at least the pause
/// that ends a turn, so a second one means the first has ended (a step
/// that ran late may see a whole pause and more speech). `None`: no speech.
fn utterance(
    regions: &[Range<usize>],
    open: Option<&OpenUtterance>,
    len: usize,
    silence_ms: usize,
) -> Option<(Range<usize>, bool)> {
    match (regions.first(), open) {
        (Some(f), _) => Some((f.clone(), regions.len() > 1)),
        // The open utterance's speech is no longer found: it has ended.
        (None, Some(o)) => {
            let end = len.saturating_sub(ms(silence_ms)).max(o.start);
            Some((o.start..end, false))
        }
        (None, None) => None,
    }
}

/// Where speech is: with turn detection, by the session's Silero stream
/// (or, without a Silero model, the energy finder over the new audio: for
/// an open utterance, only the pause it waits for plus some); when the
/// client commits or detects turns itself, all of it.
fn speech_regions(
    engine: &Engine,
    d: &Decoding,
    snap: &mut Snapshot,
    open: Option<&OpenUtterance>,
    commit: bool,
) -> Result<Vec<Range<usize>>, SttError> {
    let audio = &snap.audio[..];
    let turn = match &d.turn {
        Some(turn) if !commit => turn,
        _ => return Ok(std::iter::once(0..audio.len()).collect()),
    };
    if let Some(h) = snap.ears.open(engine, d, snap.at)? {
        h.hear(audio, snap.at)?;
        let from = open.map_or(0, |o| o.start);
        let found = h.speech(snap.at, turn).into_iter();
        return Ok(found.filter(|r| r.end > from).collect());
    }
    let look = ms(turn.silence_duration_ms as usize + VAD_LOOKBACK_MS);
    let from = open.map_or(0, |o| o.start.max(audio.len().saturating_sub(look)));
    Ok(speech(d, turn, &audio[from..])
        .into_iter()
        .map(|r| r.start + from..r.end + from)
        .collect())
}

/// Where a partial decode of an utterance started at `start` should end,
/// when one is due: partial decodes cost as much as the audio they cover,
/// so at most one per twice the time the last one took (they leave the
/// cores to the final decodes of other sessions).
fn partial_due(decoded: Option<&Partial>, start: usize, len: usize) -> Option<usize> {
    let grown = len - decoded.map_or(start, |p| p.to);
    let every = PARTIAL_EVERY_MS.max(2 * decoded.map_or(0, |p| p.took_ms));
    (grown >= ms(every)).then_some(len)
}

/// The text that ends an utterance. A decode past its deadline ends it
/// with the words decoded before, if any (decoding it again each step
/// would load the machine that made it late even more).
fn final_text(
    engine: &Engine,
    d: &Decoding,
    audio: &[f32],
    before: Option<&Partial>,
) -> Result<String, SttError> {
    match decode(engine, d, audio, true) {
        Err(SttError::Aborted) => {
            tracing::warn!(
                seconds = audio.len() / RATE,
                "live decode stopped at its deadline; the utterance keeps its partial text"
            );
            Ok(before.map(|p| p.text.clone()).unwrap_or_default())
        }
        r => r,
    }
}

/// The text of `audio[range]`, timed; `last` as for [`decode`].
fn timed(
    engine: &Engine,
    d: &Decoding,
    audio: &[f32],
    range: Range<usize>,
    last: bool,
) -> Result<Partial, SttError> {
    let t = std::time::Instant::now();
    let to = range.end;
    let text = decode(engine, d, &audio[range], last)?;
    Ok(Partial {
        text,
        to,
        took_ms: t.elapsed().as_millis() as usize,
    })
}

/// The speech regions of `audio` by energy (no Silero model), with the turn
/// detection's pause.
fn speech(d: &Decoding, turn: &TurnDetection, audio: &[f32]) -> Vec<Range<usize>> {
    let s = VadSettings {
        mode: VadMode::On,
        threshold: turn.threshold,
        min_silence_ms: turn.silence_duration_ms,
        pad_ms: 0,
        ..d.vad.clone()
    };
    crate::stt::vad::energy_speech(audio, &s)
}

/// The text of one utterance's audio. `last`: the decode that may end the
/// utterance (someone waits for it), run on every free core; otherwise a
/// partial one, on at most the session's share.
fn decode(engine: &Engine, d: &Decoding, audio: &[f32], last: bool) -> Result<String, SttError> {
    if audio.len() < RATE / 10 {
        return Ok(String::new());
    }
    let model: Arc<crate::stt::Model> = engine.model(&d.model)?;
    let seconds = audio.len() as f64 / RATE as f64;
    let limit = DECODE_LIMIT + Duration::from_secs_f64(DECODE_LIMIT_PER_AUDIO_SECOND * seconds);
    within(limit, |abort| {
        decode_with(engine, &model, d, audio, last, abort)
    })
}

/// [`decode`] with `abort`: waits for cores, then one whisper pass.
fn decode_with(
    engine: &Engine,
    model: &crate::stt::Model,
    d: &Decoding,
    audio: &[f32],
    last: bool,
    abort: &AtomicBool,
) -> Result<String, SttError> {
    // Never more threads than the jobs leave free: ggml's threads wait for
    // each other spinning, and on busy cores a two-thread decode took many
    // times longer than a one-thread one (benches/realtime.rs, jobs row).
    let jobs_left = engine.cores().free().max(1);
    // Nor more than the machine has idle: other programs' threads count
    // too (on a busy machine one thread is faster than two).
    let ours = engine.cores().held() + d.cores.held();
    let idle = crate::stt::cpu::idle_cpus(ours).map_or(usize::MAX, |n| n.max(1));
    let want = if last { d.cores.total() } else { d.threads }
        .min(jobs_left)
        .min(idle);
    let Some(held) = d.cores.take_up_to(want, abort) else {
        return Err(SttError::Aborted);
    };
    let opts = TranscribeOptions {
        language: d.language.clone(),
        prompt: d.prompt.clone(),
        threads: held.count(),
        translate: false,
        window: Window::Clip,
        trim_silence: false,
        vad: VadSettings {
            mode: VadMode::Off,
            ..d.vad.clone()
        },
        parallel: Some(1),
        // The cores held above, outside the jobs' budget. Taking them from
        // the jobs' budget (before the jobs' chunks) was tried:
        // benches/realtime.rs could not tell it from run-to-run noise
        // (2-session medians 1.10–1.41 s either way), and a session that
        // opened alone would wait for every core.
        cores: None,
        one_pass: true,
        beam_size: 1,
    };
    let t0 = std::time::Instant::now();
    let t = crate::stt::transcribe(model, None, audio, &opts, abort, &Progress::default())?;
    tracing::debug!(
        last,
        seconds = audio.len() as f64 / RATE as f64,
        threads = held.count(),
        took_ms = t0.elapsed().as_millis() as u64,
        "live decode"
    );
    Ok(t.text)
}

/// `f` with an abort flag that a watchdog thread sets once `limit` has
/// passed (whisper looks at it between its steps).
fn within<T>(limit: Duration, f: impl FnOnce(&AtomicBool) -> T) -> T {
    let abort = AtomicBool::new(false);
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let abort = &abort;
        s.spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
                abort.store(true, Ordering::Relaxed);
            }
        });
        let r = f(abort);
        drop(done);
        r
    })
}

/// The words of `now` beyond those of `said`, when `said`'s words are its
/// beginning (compared without case or punctuation), as text to append
/// (with its leading space); `keep_last` false leaves out `now`'s last word
/// (it may be cut off mid-word while the audio grows).
pub fn new_words(said: &str, now: &str, keep_last: bool) -> Option<String> {
    let norm = |w: &str| {
        w.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let old: Vec<&str> = said.split_whitespace().collect();
    let mut new: Vec<&str> = now.split_whitespace().collect();
    if !keep_last {
        new.pop();
    }
    if new.len() <= old.len() || old.iter().zip(&new).any(|(a, b)| norm(a) != norm(b)) {
        return None;
    }
    let text = new[old.len()..].join(" ");
    Some(if said.is_empty() {
        text
    } else {
        format!(" {text}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_extend_what_was_said_word_by_word() {
        assert_eq!(new_words("", "And so my", false).as_deref(), Some("And so"));
        assert_eq!(
            new_words("And so", "and so, my fellow Americans", false).as_deref(),
            Some(" my fellow")
        );
        assert_eq!(new_words("And so", "Hand so my", false), None);
        assert_eq!(new_words("And so my", "And so my", true), None);
        assert_eq!(
            new_words("And so", "And so my.", true).as_deref(),
            Some(" my.")
        );
    }

    #[test]
    fn work_past_its_limit_is_told_to_stop_and_work_in_time_is_not() {
        let t = std::time::Instant::now();
        let stopped = within(Duration::from_millis(50), |abort| {
            while !abort.load(Ordering::Relaxed) {
                assert!(t.elapsed() < Duration::from_secs(10), "never told to stop");
                std::thread::sleep(Duration::from_millis(1));
            }
            "stopped"
        });
        assert_eq!(stopped, "stopped");
        assert!(t.elapsed() >= Duration::from_millis(50));
        // Work that ends in time returns at once, its flag never set.
        let t = std::time::Instant::now();
        let set = within(Duration::from_secs(30), |abort| {
            abort.load(Ordering::Relaxed)
        });
        assert!(!set && t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn pending_audio_is_bounded_and_dropped_from_the_front() {
        let mut d = Dictation::default();
        assert!(d.push(&vec![0.0; RATE]));
        assert!(!d.push(&vec![0.0; MAX_PENDING_SECONDS * RATE]));
        assert_eq!(d.snapshot().audio.len(), RATE);
        assert_eq!(d.unanalysed_ms(), 0);
        d.drop_to(RATE / 2);
        assert_eq!(d.session_ms(0), 500);
        assert!(d.kept().is_none());
    }
}
