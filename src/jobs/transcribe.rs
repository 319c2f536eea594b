//! A file on disk to a transcript: decode it in the bounded media child
//! ([`crate::audio::Sandbox`]), take the cached model and VAD model, build
//! whisper's prompt (glossary, configured text, the upload's prompt), and
//! run the pipeline window by window as the samples arrive: at most
//! [`WINDOW_SECONDS`] (plus the search for a quiet cut) of audio is held at
//! once, whatever the recording's length. Blocking: run it on a blocking
//! thread.

use crate::audio::{AudioError, AudioInfo};
use crate::config::TranscribeSettings;
use crate::models::name::ModelName;
use crate::progress::Progress;
use crate::stt::{
    Engine, Language, Model, SileroVad, SttError, TranscribeOptions, Transcription, VadMode,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const RATE: usize = 16_000;
/// Audio transcribed at a time: a longer recording is cut into windows of
/// about this length (at a quiet moment), each transcribed as a recording
/// of its own while the rest is still being decoded.
pub const WINDOW_SECONDS: usize = 600;
/// A window ends at the quietest 100 ms of its last this-many seconds.
const CUT_SEARCH_SECONDS: usize = 30;

/// What to transcribe, and how.
#[derive(Debug, Clone)]
pub struct FileRequest<'a> {
    pub path: &'a Path,
    pub model: &'a ModelName,
    pub language: Language,
    /// The upload's own prompt, appended to the configured ones.
    pub prompt: Option<&'a str>,
    pub translate: bool,
    /// Whisper threads for this file.
    pub threads: usize,
    /// The job's deadline, extended as the audio's length becomes known.
    pub deadline: Option<&'a crate::queue::Deadline>,
}

/// Why a file could not be transcribed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Stt(#[from] SttError),
}

/// Decodes and transcribes `req.path` with the settings' window, VAD and
/// prompt; `abort` stops it (the decoder child at once, whisper at its next
/// step), `progress` counts chunks.
pub fn transcribe_file(
    engine: &Engine,
    settings: &TranscribeSettings,
    req: &FileRequest<'_>,
    abort: &AtomicBool,
    progress: &Progress,
) -> Result<(Transcription, AudioInfo), FileError> {
    let model = engine.model(req.model)?;
    let vad = match settings.vad.mode {
        VadMode::Off => None,
        VadMode::On | VadMode::Auto => engine.vad(settings.vad.model.as_ref())?,
    };
    let opts = TranscribeOptions {
        language: req.language.clone(),
        prompt: crate::stt::prompt::build(
            &settings.glossary,
            settings.initial_prompt.as_deref(),
            req.prompt,
            |p| model.fits_prompt(p),
        ),
        threads: req.threads,
        translate: req.translate,
        window: settings.window,
        trim_silence: settings.trim_silence,
        vad: settings.vad.clone(),
        parallel: None,
        cores: Some(engine.cores()),
        one_pass: false,
        beam_size: settings.beam_size,
    };
    let mut windows = Windows {
        model: &model,
        vad: vad.as_deref(),
        opts,
        abort,
        progress,
        buf: Vec::new(),
        offset: 0,
        parts: Vec::new(),
    };
    let summary = settings.media.decode(
        req.path,
        settings.max_audio_seconds,
        abort,
        |_| {},
        |block| {
            windows.buf.extend_from_slice(&block);
            if let Some(d) = req.deadline {
                d.set_audio(windows.seen());
            }
            windows.run_full()
        },
    );
    let summary = match summary {
        Err(_) if abort.load(Ordering::Relaxed) => return Err(SttError::Aborted.into()),
        r => r?,
    };
    Ok((windows.finish()?, summary.info))
}

/// The recording as it is decoded: the samples not yet transcribed, and the
/// transcripts of the windows before them.
struct Windows<'a> {
    model: &'a Model,
    vad: Option<&'a SileroVad>,
    opts: TranscribeOptions,
    abort: &'a AtomicBool,
    progress: &'a Progress,
    buf: Vec<f32>,
    /// Samples before `buf[0]`.
    offset: usize,
    /// Each window's start (in samples) and transcript.
    parts: Vec<(usize, Transcription)>,
}

impl Windows<'_> {
    /// Audio decoded so far.
    fn seen(&self) -> Duration {
        Duration::from_millis(((self.offset + self.buf.len()) * 1000 / RATE) as u64)
    }

    /// Transcribes every full window held.
    fn run_full(&mut self) -> Result<(), FileError> {
        let window = WINDOW_SECONDS * RATE;
        while self.buf.len() >= window + CUT_SEARCH_SECONDS * RATE {
            let cut = quiet_cut(&self.buf[..window], CUT_SEARCH_SECONDS * RATE);
            self.run(cut)?;
        }
        Ok(())
    }

    /// Transcribes `buf[..end]` as a recording of its own.
    fn run(&mut self, end: usize) -> Result<(), FileError> {
        self.progress.window_at((self.offset * 1000 / RATE) as i64);
        let t = crate::stt::transcribe(
            self.model,
            self.vad,
            &self.buf[..end],
            &self.opts,
            self.abort,
            self.progress,
        )?;
        // Later windows keep the language the first speech was detected in.
        if let (Language::Auto, false, Some(l)) = (&self.opts.language, t.no_speech, &t.language) {
            if let Ok(lang) = Language::parse(l) {
                self.opts.language = lang;
            }
        }
        self.parts.push((self.offset, t));
        self.buf.drain(..end);
        self.offset += end;
        // A window's transient buffers (chunk audio, mel spectrograms) are
        // freed: hand the pages back so a long recording's peak stays that
        // of one window.
        crate::heap::release_free();
        Ok(())
    }

    /// Transcribes what is left and joins the windows.
    fn finish(mut self) -> Result<Transcription, FileError> {
        if !self.buf.is_empty() || self.parts.is_empty() {
            if self.buf.is_empty() {
                return Err(AudioError::NoAudio(Some("no samples".into())).into());
            }
            self.run(self.buf.len())?;
        }
        let total = self.offset;
        Ok(join(self.parts, total))
    }
}

/// Where to end a window of `w.len()` samples: the middle of the quietest
/// 100 ms frame in its last `search` samples.
fn quiet_cut(w: &[f32], search: usize) -> usize {
    const FRAME: usize = RATE / 10;
    let from = w.len().saturating_sub(search);
    let mut best = (f32::INFINITY, w.len());
    let mut at = from;
    while at + FRAME <= w.len() {
        let energy: f32 = w[at..at + FRAME].iter().map(|v| v * v).sum();
        if energy < best.0 {
            best = (energy, at + FRAME / 2);
        }
        at += FRAME;
    }
    best.1.max(1)
}

/// One transcript from consecutive windows (`(start sample, transcript)`),
/// their times moved onto the whole recording's timeline.
fn join(parts: Vec<(usize, Transcription)>, total_samples: usize) -> Transcription {
    let mut parts = parts.into_iter();
    let Some((_, mut whole)) = parts.next() else {
        return Transcription::default();
    };
    let mut language_heard = !whole.no_speech;
    for (start, t) in parts {
        let shift = (start * 1000 / RATE) as i64;
        whole.segments.extend(t.segments.into_iter().map(|mut s| {
            s.start_ms += shift;
            s.end_ms += shift;
            for w in &mut s.words {
                w.start_ms += shift;
                w.end_ms += shift;
            }
            s
        }));
        if !t.text.is_empty() {
            if !whole.text.is_empty() {
                whole.text.push(' ');
            }
            whole.text.push_str(&t.text);
        }
        if !language_heard && !t.no_speech {
            whole.language = t.language.or(whole.language);
            language_heard = true;
        }
        whole.inference_ms += t.inference_ms;
    }
    whole.no_speech = whole.segments.is_empty();
    whole.duration_ms = (total_samples * 1000 / RATE) as u64;
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_ends_in_its_quietest_moment() {
        let mut w: Vec<f32> = (0..RATE * 40)
            .map(|i| ((i as f32) * 0.3).sin() * 0.5)
            .collect();
        let quiet = RATE * 25..RATE * 25 + RATE / 10;
        for v in &mut w[quiet.clone()] {
            *v *= 0.001;
        }
        let cut = quiet_cut(&w, RATE * 30);
        assert_eq!(cut, quiet.start + RATE / 20);
    }

    #[test]
    fn joined_windows_keep_the_whole_timeline() {
        let seg = |start_ms, end_ms, text: &str| crate::stt::Segment {
            start_ms,
            end_ms,
            text: text.into(),
            ..Default::default()
        };
        let part = |segments: Vec<crate::stt::Segment>, text: &str| Transcription {
            text: text.into(),
            no_speech: segments.is_empty(),
            segments,
            inference_ms: 10,
            ..Default::default()
        };
        let t = join(
            vec![
                (0, part(vec![seg(100, 900, "hola")], "hola")),
                (RATE * 600, part(vec![], "")),
                (RATE * 1200, part(vec![seg(50, 400, "adiós")], "adiós")),
            ],
            RATE * 1300,
        );
        assert_eq!(t.text, "hola adiós");
        assert_eq!(t.segments[1].start_ms, 1_200_050);
        assert_eq!(t.segments[1].end_ms, 1_200_400);
        assert_eq!(t.duration_ms, 1_300_000);
        assert_eq!(t.inference_ms, 30);
        assert!(!t.no_speech);
    }
}
