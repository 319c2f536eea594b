//! Loaded models: each whisper model is loaded once and cached with a pool
//! of `WhisperState`s (one per concurrent run, reused across jobs), up to
//! `max_loaded` models (least recently used unloaded first, never one in
//! use); the Silero VAD model is cached the same way. Everything here
//! blocks: call it from a blocking thread.

use super::vad::SileroVad;
use super::SttError;
use crate::models::name::{list_installed, ModelName};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use whisper_rs::{WhisperContext, WhisperContextParameters, WhisperState};

/// A loaded whisper model and its pool of whisper states (reused: a
/// state holds megabytes of buffers; creating one per job fragments memory).
pub struct Model {
    pub name: ModelName,
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
    pub(crate) fn eot(&self) -> i32 {
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

/// Whether transcription models run on a GPU: only in a build with a GPU
/// backend (`--features cuda` or `vulkan`). The VAD stays on the CPU.
pub const ON_GPU: bool = cfg!(any(feature = "cuda", feature = "vulkan"));

/// The model cache: the active model's name, and up to `max_loaded` loaded
/// models (least recently used unloaded first, never one in use).
pub struct Engine {
    models_dir: PathBuf,
    cache: Mutex<HashMap<ModelName, (Arc<Model>, Instant)>>,
    load_lock: Mutex<()>,
    loads: AtomicU64,
    active: std::sync::RwLock<ModelName>,
    max_loaded: usize,
    flash_attn: bool,
    /// The cores every transcription in the process shares
    /// ([`super::cores::for_jobs`]).
    cores: Arc<super::cores::Cores>,
    vad: Mutex<Option<(ModelName, Arc<SileroVad>)>>,
    /// The last model that failed to load, and why.
    load_error: Mutex<Option<(ModelName, String)>>,
}

impl Engine {
    /// An engine loading models from `models_dir` (active model `base`, one loaded at a time).
    pub fn new(models_dir: PathBuf) -> Self {
        let base = ModelName::parse("base").expect("a valid name");
        Self::with_active(models_dir, &base, 1)
    }

    /// An engine with an active model and a bound on loaded models.
    pub fn with_active(models_dir: PathBuf, active: &ModelName, max_loaded: usize) -> Self {
        whisper_rs::install_logging_hooks();
        Self {
            models_dir,
            cache: Mutex::new(HashMap::new()),
            load_lock: Mutex::new(()),
            loads: AtomicU64::new(0),
            active: std::sync::RwLock::new(active.clone()),
            max_loaded: max_loaded.max(1),
            flash_attn: true,
            cores: super::cores::for_jobs(),
            vad: Mutex::new(None),
            load_error: Mutex::new(None),
        }
    }

    /// The VAD model to use: `name`, or the catalog's Silero model when
    /// installed, or the newest installed `silero-v*`.
    pub fn vad_name(&self, name: Option<&ModelName>) -> Option<ModelName> {
        if let Some(n) = name {
            return Some(n.clone());
        }
        let catalog = ModelName::parse(super::vad::CATALOG_VAD_MODEL).ok()?;
        if catalog.is_installed_in(&self.models_dir) {
            return Some(catalog);
        }
        list_installed(&self.models_dir)
            .ok()?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.starts_with("silero-v"))
            .max()
    }

    /// The Silero VAD model ([`vad_name`](Self::vad_name)), loaded once;
    /// `None` when none is installed.
    pub fn vad(&self, name: Option<&ModelName>) -> Result<Option<Arc<SileroVad>>, SttError> {
        let Some(name) = self.vad_name(name) else {
            return Ok(None);
        };
        let mut cached = self.vad.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((n, v)) = cached.as_ref() {
            if *n == name {
                return Ok(Some(v.clone()));
            }
        }
        let path = name.path_in(&self.models_dir);
        if !path.is_file() {
            return Ok(None);
        }
        let vad = Arc::new(SileroVad::load(&path)?);
        tracing::info!(model = %name, "VAD model loaded");
        *cached = Some((name, vad.clone()));
        Ok(Some(vad))
    }

    /// The core budget the jobs' transcriptions share
    /// ([`TranscribeOptions::cores`](super::TranscribeOptions::cores)).
    pub fn cores(&self) -> Arc<super::cores::Cores> {
        self.cores.clone()
    }

    /// Loads models with flash attention on or off (`WHISPER_FLASH_ATTN`).
    pub fn with_flash_attn(mut self, on: bool) -> Self {
        self.flash_attn = on;
        self
    }

    /// The active model's name (used by jobs that do not ask for one).
    pub fn active(&self) -> ModelName {
        self.active
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads `name` (blocking), then makes it active. A failed load leaves
    /// the previous model active. Running jobs keep the model they hold.
    pub fn activate(&self, name: &ModelName) -> Result<(), SttError> {
        self.model(name)?;
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = name.clone();
        tracing::info!(model = %name, "active model switched");
        self.trim();
        Ok(())
    }

    /// Jobs holding `name` now.
    pub fn in_use(&self, name: &ModelName) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map_or(0, |(m, _)| Arc::strong_count(m) - 1)
    }

    /// Drops `name` from memory if no job holds it; false if one does.
    pub fn unload(&self, name: &ModelName) -> bool {
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

    fn cached(&self, name: &ModelName) -> Option<Arc<Model>> {
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
    pub fn is_loaded(&self, name: &ModelName) -> bool {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(name)
    }

    /// The models in memory.
    pub fn loaded(&self) -> Vec<ModelName> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// How many times a model file was loaded (for tests and health).
    pub fn load_count(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }

    /// Returns the cached model, loading it first if needed. Concurrent
    /// callers wait for a single load.
    pub fn model(&self, name: &ModelName) -> Result<Arc<Model>, SttError> {
        if let Some(m) = self.cached(name) {
            return Ok(m);
        }
        let _guard = self.load_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = self.cached(name) {
            return Ok(m);
        }
        let path = name.path_in(&self.models_dir);
        if !path.is_file() {
            return Err(SttError::ModelMissing(name.how_to_get(&self.models_dir)));
        }
        let r = self.load(name, &path);
        *self.load_error.lock().unwrap_or_else(|e| e.into_inner()) = match &r {
            Ok(_) => None,
            Err(e) => Some((name.clone(), e.to_string())),
        };
        r
    }

    /// Why `name` could not be loaded the last time it was tried, if it
    /// could not (for `/health`).
    pub fn load_error(&self, name: &ModelName) -> Option<String> {
        match &*self.load_error.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((n, e)) if n == name => Some(e.clone()),
            _ => None,
        }
    }

    /// Checks the file, then loads it into whisper.cpp and caches it.
    fn load(&self, name: &ModelName, path: &std::path::Path) -> Result<Arc<Model>, SttError> {
        crate::models::file::check_whisper(path).map_err(|e| SttError::ModelLoad {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        let started = Instant::now();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(ON_GPU);
        params.flash_attn(self.flash_attn);
        let ctx =
            WhisperContext::new_with_params(path, params).map_err(|e| SttError::ModelLoad {
                name: name.to_string(),
                reason: format!("{e} (is {} a whisper.cpp ggml model?)", path.display()),
            })?;
        let model = Arc::new(Model {
            name: name.clone(),
            multilingual: ctx.is_multilingual(),
            ctx,
            states: Mutex::new(Vec::new()),
        });
        self.loads.fetch_add(1, Ordering::SeqCst);
        tracing::info!(model = %name, ms = started.elapsed().as_millis() as u64, gpu = ON_GPU, "model loaded");
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.clone(), (model.clone(), Instant::now()));
        self.trim();
        Ok(model)
    }
}
