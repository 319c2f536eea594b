//! whisper.cpp through whisper-rs, in process. Each model is loaded once and
//! cached with a pool of `WhisperState`s (one per concurrent run, reused
//! across jobs); the Silero VAD model is cached the same way. Everything
//! here blocks: call it from a blocking thread.

use super::vad::{SileroVad, VadSettings};
use super::{Segment, SttError};
use crate::config::Language;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

/// A loaded model, with a pool of whisper states reused across jobs (a
/// state holds megabytes of buffers; creating one per job fragments memory).
pub struct Model {
    pub name: String,
    ctx: WhisperContext,
    multilingual: bool,
    states: Mutex<Vec<WhisperState>>,
}

/// A state borrowed from a model's pool; returned when dropped.
pub struct PooledState<'a> {
    model: &'a Model,
    state: Option<WhisperState>,
}

impl std::ops::Deref for PooledState<'_> {
    type Target = WhisperState;
    fn deref(&self) -> &WhisperState {
        self.state.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for PooledState<'_> {
    fn deref_mut(&mut self) -> &mut WhisperState {
        self.state.as_mut().expect("present until drop")
    }
}

impl Drop for PooledState<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.state.take() {
            let mut pool = self.model.states.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < MAX_POOLED_STATES {
                pool.push(s);
            }
        }
    }
}

/// States kept per model (at most one per core is ever in use).
const MAX_POOLED_STATES: usize = 16;

impl Model {
    /// A whisper state from the pool, or a new one.
    pub fn state(&self) -> Result<PooledState<'_>, SttError> {
        let pooled = self.states.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let state = match pooled {
            Some(s) => s,
            None => self
                .ctx
                .create_state()
                .map_err(|e| SttError::Inference(format!("cannot create state: {e}")))?,
        };
        Ok(PooledState {
            model: self,
            state: Some(state),
        })
    }

    /// The model's end-of-text token (tokens below it are text).
    fn eot(&self) -> i32 {
        self.ctx.token_eot()
    }

    /// Whether `text` fits whisper's prompt budget with this model's tokenizer.
    pub fn fits_prompt(&self, text: &str) -> bool {
        self.ctx
            .tokenize(text, super::prompt::PROMPT_TOKEN_BUDGET + 64)
            .is_ok_and(|t| t.len() <= super::prompt::PROMPT_TOKEN_BUDGET)
    }

    /// Whether the model knows languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }
}

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
}

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
/// `scripts/eval-wer`, see BENCHMARKS.md) with less encoder work.
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

/// Whether a transcript repeats itself: some 3-word sequence appears three
/// or more times, or one word makes up most of a longer text.
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
    for w in words.windows(3) {
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

/// The model cache: the active model's name, and up to `max_loaded` loaded
/// models (least recently used unloaded first, never one in use).
pub struct Engine {
    models_dir: PathBuf,
    cache: Mutex<HashMap<String, (Arc<Model>, Instant)>>,
    load_lock: Mutex<()>,
    loads: AtomicU64,
    active: std::sync::RwLock<String>,
    max_loaded: usize,
    flash_attn: bool,
    vad: Mutex<Option<(String, Arc<SileroVad>)>>,
}

impl Engine {
    /// An engine loading models from `models_dir` (active model `base`, one loaded at a time).
    pub fn new(models_dir: PathBuf) -> Self {
        Self::with_active(models_dir, "base", 1)
    }

    /// An engine with an active model and a bound on loaded models.
    pub fn with_active(models_dir: PathBuf, active: &str, max_loaded: usize) -> Self {
        whisper_rs::install_logging_hooks();
        Self {
            models_dir,
            cache: Mutex::new(HashMap::new()),
            load_lock: Mutex::new(()),
            loads: AtomicU64::new(0),
            active: std::sync::RwLock::new(active.to_string()),
            max_loaded: max_loaded.max(1),
            flash_attn: false,
            vad: Mutex::new(None),
        }
    }

    /// The VAD model to use: `name`, or the catalog's Silero model when
    /// installed, or the newest installed `silero-v*`.
    pub fn vad_name(&self, name: Option<&str>) -> Option<String> {
        if let Some(n) = name {
            return Some(n.to_string());
        }
        let catalog = crate::models::catalog::VAD_MODEL;
        if crate::models::model_path(&self.models_dir, catalog).is_file() {
            return Some(catalog.to_string());
        }
        crate::models::list_installed(&self.models_dir)
            .ok()?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.starts_with("silero-v"))
            .max()
    }

    /// The Silero VAD model ([`vad_name`](Self::vad_name)), loaded once;
    /// `None` when none is installed.
    pub fn vad(&self, name: Option<&str>) -> Result<Option<Arc<SileroVad>>, SttError> {
        let Some(name) = self.vad_name(name) else {
            return Ok(None);
        };
        let name = name.as_str();
        let mut cached = self.vad.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((n, v)) = cached.as_ref() {
            if n == name {
                return Ok(Some(v.clone()));
            }
        }
        if !crate::models::is_valid_name(name) {
            return Err(SttError::InvalidModelName(name.to_string()));
        }
        let path = crate::models::model_path(&self.models_dir, name);
        if !path.is_file() {
            return Ok(None);
        }
        let vad = Arc::new(SileroVad::load(&path)?);
        tracing::info!(model = name, "VAD model loaded");
        *cached = Some((name.to_string(), vad.clone()));
        Ok(Some(vad))
    }

    /// Loads models with flash attention on or off (`WHISPER_FLASH_ATTN`).
    pub fn with_flash_attn(mut self, on: bool) -> Self {
        self.flash_attn = on;
        self
    }

    /// The active model's name (used by jobs that do not ask for one).
    pub fn active(&self) -> String {
        self.active
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads `name` (blocking), then makes it active. A failed load leaves
    /// the previous model active. Running jobs keep the model they hold.
    pub fn activate(&self, name: &str) -> Result<(), SttError> {
        self.model(name)?;
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = name.to_string();
        tracing::info!(model = name, "active model switched");
        self.trim();
        Ok(())
    }

    /// Jobs holding `name` now.
    pub fn in_use(&self, name: &str) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map_or(0, |(m, _)| Arc::strong_count(m) - 1)
    }

    /// Drops `name` from memory if no job holds it; false if one does.
    pub fn unload(&self, name: &str) -> bool {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(name) {
            Some((m, _)) if Arc::strong_count(m) > 1 => false,
            _ => {
                cache.remove(name);
                true
            }
        }
    }

    /// Unloads least recently used models beyond the bound, never the active
    /// one and never one in use.
    pub fn trim(&self) {
        let active = self.active();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        while cache.len() > self.max_loaded {
            let victim = cache
                .iter()
                .filter(|(n, (m, _))| **n != active && Arc::strong_count(m) == 1)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(n, _)| n.clone());
            match victim {
                Some(n) => {
                    cache.remove(&n);
                    tracing::info!(model = %n, "model unloaded");
                }
                None => break,
            }
        }
    }

    fn cached(&self, name: &str) -> Option<Arc<Model>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (m, used) = cache.get_mut(name)?;
        *used = Instant::now();
        Some(m.clone())
    }

    /// The directory models are read from.
    pub fn models_dir(&self) -> &std::path::Path {
        &self.models_dir
    }

    /// Whether `name` is in memory.
    pub fn is_loaded(&self, name: &str) -> bool {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(name)
    }

    /// How many times a model file was loaded (for tests and health).
    pub fn load_count(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }

    /// Returns the cached model, loading it first if needed. Concurrent
    /// callers wait for a single load.
    pub fn model(&self, name: &str) -> Result<Arc<Model>, SttError> {
        if let Some(m) = self.cached(name) {
            return Ok(m);
        }
        if !crate::models::is_valid_name(name) {
            return Err(SttError::InvalidModelName(name.to_string()));
        }
        let _guard = self.load_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = self.cached(name) {
            return Ok(m);
        }
        let path = crate::models::model_path(&self.models_dir, name);
        if !path.is_file() {
            return Err(SttError::ModelMissing(crate::models::how_to_get(
                name,
                &self.models_dir,
            )));
        }
        let started = Instant::now();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        params.flash_attn(self.flash_attn);
        let ctx =
            WhisperContext::new_with_params(&path, params).map_err(|e| SttError::ModelLoad {
                name: name.to_string(),
                reason: format!("{e} (is {} a whisper.cpp ggml model?)", path.display()),
            })?;
        let model = Arc::new(Model {
            name: name.to_string(),
            multilingual: ctx.is_multilingual(),
            ctx,
            states: Mutex::new(Vec::new()),
        });
        self.loads.fetch_add(1, Ordering::SeqCst);
        tracing::info!(
            model = name,
            ms = started.elapsed().as_millis() as u64,
            "model loaded"
        );
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), (model.clone(), Instant::now()));
        self.trim();
        Ok(model)
    }
}

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
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
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
        let eot = model.eot();
        let (mut tokens, mut logprob) = (Vec::new(), 0.0f32);
        let mut words: Vec<super::Word> = Vec::new();
        for i in 0..seg.n_tokens() {
            if let Some(tok) = seg.get_token(i) {
                let data = tok.token_data();
                if data.id < eot {
                    tokens.push(data.id);
                    logprob += data.plog;
                    let piece = tok
                        .to_str_lossy()
                        .map(|c| c.into_owned())
                        .unwrap_or_default();
                    let (t0, t1) = (data.t0 * 10, data.t1 * 10);
                    match words.last_mut() {
                        Some(w) if !piece.starts_with(' ') => {
                            w.word.push_str(&piece);
                            w.end_ms = w.end_ms.max(t1);
                            w.tokens.push(data.id);
                        }
                        _ if piece.trim().is_empty() => {}
                        _ => words.push(super::Word {
                            word: piece.trim_start().to_string(),
                            start_ms: t0,
                            end_ms: t1.max(t0),
                            tokens: vec![data.id],
                        }),
                    }
                }
            }
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
    let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).map(str::to_string);
    Ok(Run { segments, language })
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
    }
}
