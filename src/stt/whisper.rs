//! One whisper.cpp run (`whisper_full`) over some audio on a pooled state:
//! parameters, abort and progress callbacks, and segments with their tokens,
//! log-probabilities and word times. Blocking.

use super::model::Model;
use super::{Segment, SttError, TranscribeOptions, Word};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use whisper_rs::{FullParams, SamplingStrategy, WhisperState};

unsafe extern "C" fn abort_trampoline(user_data: *mut c_void) -> bool {
    // SAFETY: user_data points at an AtomicBool that outlives the whisper_full call.
    let flag = unsafe { &*(user_data as *const AtomicBool) };
    flag.load(Ordering::Relaxed)
}

unsafe extern "C" fn progress_trampoline(
    _ctx: *mut whisper_rs_sys::whisper_context,
    _state: *mut whisper_rs_sys::whisper_state,
    progress: c_int,
    user_data: *mut c_void,
) {
    // SAFETY: user_data points at an AtomicI32 that outlives the whisper_full call.
    let p = unsafe { &*(user_data as *const AtomicI32) };
    p.store(progress, Ordering::Relaxed);
}

/// What one whisper run over some audio gave: segments (times relative to
/// that audio) and the language whisper used.
pub struct Run {
    pub segments: Vec<Segment>,
    pub language: Option<String>,
}

impl Run {
    /// The segments' text, joined.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One whisper run over `samples` on `state` with `threads` threads.
/// `audio_ctx` sizes the encoder window (`None`: whisper's full 30 s);
/// `progress`, when given, receives whisper's percentage.
#[allow(clippy::too_many_arguments)]
pub fn run_whisper(
    model: &Model,
    state: &mut WhisperState,
    samples: &[f32],
    opts: &TranscribeOptions,
    threads: usize,
    language: Option<&str>,
    audio_ctx: Option<i32>,
    abort: &AtomicBool,
    progress: Option<&AtomicI32>,
) -> Result<Run, SttError> {
    // Beam search at temperature 0, ended with its best beam (fallback
    // temperatures sample one sequence, as greedy best_of 1 does): 1.4-1.7
    // WER points better than greedy on short and medium recordings for
    // 13-34 % more time (BENCHMARKS.md; SUSURRO.md changes 8 and 11).
    let mut params = if opts.beam_size > 1 && !opts.one_pass {
        FullParams::new(SamplingStrategy::BeamSearch {
            beam_size: opts.beam_size.min(8) as c_int,
            patience: -1.0,
        })
    } else {
        FullParams::new(SamplingStrategy::Greedy { best_of: 1 })
    };
    params.set_n_threads(threads.max(1) as c_int);
    params.set_translate(opts.translate);
    params.set_print_special(false);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);
    params.set_suppress_blank(true);
    // Per-token times (for word timestamps); computed after decoding, the text is unchanged.
    params.set_token_timestamps(true);
    params.set_audio_ctx(audio_ctx.unwrap_or(0));
    params.set_language(Some(language.unwrap_or("auto")));
    params.set_detect_language(false);
    if opts.one_pass {
        params.set_temperature_inc(0.0);
    }
    if let Some(p) = opts.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        params.set_initial_prompt(p);
    }
    // SAFETY: both pointers stay valid for the whole `full` call below; the
    // callbacks only read/write atomics.
    unsafe {
        params.set_abort_callback(Some(abort_trampoline));
        params.set_abort_callback_user_data(abort as *const AtomicBool as *mut c_void);
        if let Some(progress) = progress {
            params.set_progress_callback(Some(progress_trampoline));
            params.set_progress_callback_user_data(progress as *const AtomicI32 as *mut c_void);
        }
    }
    let result = state.full(params, samples);
    if abort.load(Ordering::Relaxed) {
        return Err(SttError::Aborted);
    }
    result.map_err(|e| SttError::Inference(e.to_string()))?;
    let segments = collect_segments(model, state)?;
    let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).map(str::to_string);
    Ok(Run { segments, language })
}

/// The non-empty segments of the last run on `state`, with their text tokens
/// (special tokens dropped), mean log-probability and words.
fn collect_segments(model: &Model, state: &WhisperState) -> Result<Vec<Segment>, SttError> {
    let eot = model.eot();
    let mut segments = Vec::new();
    for seg in state.as_iter() {
        let text = seg
            .to_str_lossy()
            .map_err(|e| SttError::Inference(e.to_string()))?
            .trim()
            .to_string();
        if text.is_empty() {
            continue;
        }
        let (mut tokens, mut logprob) = (Vec::new(), 0.0f32);
        let mut words: Vec<Word> = Vec::new();
        for tok in (0..seg.n_tokens()).filter_map(|i| seg.get_token(i)) {
            let data = tok.token_data();
            if data.id >= eot {
                continue;
            }
            tokens.push(data.id);
            logprob += data.plog;
            let piece = tok
                .to_str_lossy()
                .map(|c| c.into_owned())
                .unwrap_or_default();
            add_piece(&mut words, &piece, data.id, data.t0 * 10, data.t1 * 10);
        }
        segments.push(Segment {
            start_ms: seg.start_timestamp() * 10,
            end_ms: seg.end_timestamp() * 10,
            text,
            avg_logprob: if tokens.is_empty() {
                0.0
            } else {
                logprob / tokens.len() as f32
            },
            tokens,
            no_speech_prob: seg.no_speech_probability(),
            words,
        });
    }
    Ok(segments)
}

/// Adds one token's text to the words: a piece starting with a space opens a
/// new word, any other continues the last one.
fn add_piece(words: &mut Vec<Word>, piece: &str, id: i32, t0: i64, t1: i64) {
    match words.last_mut() {
        Some(w) if !piece.starts_with(' ') => {
            w.word.push_str(piece);
            w.end_ms = w.end_ms.max(t1);
            w.tokens.push(id);
        }
        _ if piece.trim().is_empty() => {}
        _ => words.push(Word {
            word: piece.trim_start().to_string(),
            start_ms: t0,
            end_ms: t1.max(t0),
            tokens: vec![id],
        }),
    }
}
