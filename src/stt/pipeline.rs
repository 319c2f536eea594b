//! One recording to one transcript: find the speech (Silero VAD, or the
//! energy pause finder), cut it into chunks of at most
//! `WHISPER_CHUNK_SECONDS`, transcribe the chunks with a clip-sized encoder
//! window — several at once on separate whisper states when the job has
//! more than one thread — then put the segments back on the recording's
//! timeline and drop what whisper writes over non-speech. A recording
//! without speech gives an empty transcript with `no_speech` set.

use super::chunk::{self, Chunk};
use super::vad::{energy_speech, SileroVad, VadMode};
use super::{
    chunk_audio_ctx, clip_audio_ctx, filter, looks_repetitive, run_whisper, speech_bounds,
    Language, Model, Run, Segment, SttError, TranscribeOptions, Transcription, Window,
};
use crate::progress::Progress;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

const RATE: usize = 16_000;

/// Transcribes 16 kHz mono samples. `vad` is the loaded Silero model, if
/// any; `abort` stops whisper between steps; `progress` counts chunks.
pub fn transcribe(
    model: &Model,
    vad: Option<&SileroVad>,
    samples: &[f32],
    opts: &TranscribeOptions,
    abort: &AtomicBool,
    progress: &Progress,
) -> Result<Transcription, SttError> {
    if samples.is_empty() {
        return Err(SttError::NoSamples);
    }
    let started = Instant::now();
    let language = match (&opts.language, model.is_multilingual()) {
        (_, false) => Some("en"),
        (Language::Auto, true) => None,
        (Language::Code(c), true) => Some(c.as_str()),
    };
    let t_vad = Instant::now();
    let regions = speech_regions(vad, samples, opts)?;
    tracing::debug!(
        ms = t_vad.elapsed().as_millis() as u64,
        regions = regions.len(),
        "speech found"
    );
    let chunks = plan_chunks(samples, &regions, opts);
    progress.plan(chunks.len() as u32);
    let runs = run_chunks(model, samples, &chunks, opts, language, abort, progress)?;
    let mut segments = Vec::new();
    let mut spoken: Vec<(usize, Option<String>)> = Vec::new();
    for (c, run) in chunks.iter().zip(runs) {
        spoken.push((c.len(), run.language.clone()));
        segments.extend(run.segments);
    }
    progress.set_percent(100);
    let text = segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Transcription {
        no_speech: segments.is_empty(),
        text,
        language: majority_language(&spoken).or_else(|| language.map(str::to_string)),
        model: model.name.to_string(),
        segments,
        duration_ms: samples.len() as u64 * 1000 / RATE as u64,
        inference_ms: started.elapsed().as_millis() as u64,
        prompt: opts.prompt.clone().filter(|p| !p.trim().is_empty()),
    })
}

/// The chunks whisper runs on: the speech regions laid into balanced
/// chunks, or the whole recording as one piece without VAD.
fn plan_chunks(samples: &[f32], regions: &[Range<usize>], opts: &TranscribeOptions) -> Vec<Chunk> {
    if opts.vad.mode == VadMode::Off {
        return vec![Chunk {
            pieces: regions.to_vec(),
        }];
    }
    let mut chunks = chunk::plan(
        samples,
        regions,
        opts.vad.max_chunk(),
        opts.parallel.unwrap_or(opts.threads),
    );
    if let [one] = chunks.as_mut_slice() {
        *one = whole_span(one, samples.len(), opts.vad.max_chunk());
    }
    chunks
}

/// Speech that fits in one chunk keeps more audio around each region
/// (`SHORT_EXTRA_PAD` more on each side, up to the chunk length): a short
/// clip cut too close to its words loses accuracy (measured on the short
/// evaluation clips, BENCHMARKS.md), and the extra audio costs little.
fn whole_span(one: &Chunk, len: usize, max: usize) -> Chunk {
    const SHORT_EXTRA_PAD: usize = RATE / 5; // 200 ms
    let mut pieces: Vec<Range<usize>> = Vec::with_capacity(one.pieces.len());
    for p in &one.pieces {
        let r = p.start.saturating_sub(SHORT_EXTRA_PAD)..(p.end + SHORT_EXTRA_PAD).min(len);
        match pieces.last_mut() {
            Some(last) if r.start <= last.end => last.end = r.end,
            _ => pieces.push(r),
        }
    }
    let wider = Chunk { pieces };
    if wider.len() <= max.max(one.len()) {
        wider
    } else {
        one.clone()
    }
}

/// Where the speech is, by the configured mode.
fn speech_regions(
    vad: Option<&SileroVad>,
    samples: &[f32],
    opts: &TranscribeOptions,
) -> Result<Vec<Range<usize>>, SttError> {
    Ok(match (opts.vad.mode, vad) {
        (VadMode::Off, _) => {
            let (lo, hi) = if opts.trim_silence {
                speech_bounds(samples)
            } else {
                (0, samples.len())
            };
            std::iter::once(lo..hi).collect()
        }
        (VadMode::On | VadMode::Auto, Some(v)) => v.speech(samples, &opts.vad, opts.threads)?,
        (VadMode::On, None) => {
            return Err(SttError::ModelMissing(format!(
                "WHISPER_VAD=on but no VAD model ({}) is installed: run `susurro models pull {}` \
                 or import Silero weights with `susurro models import <silero_vad_16k.safetensors>`",
                opts.vad.model.as_deref().unwrap_or("silero-v*"),
                super::vad::CATALOG_VAD_MODEL
            )))
        }
        (VadMode::Auto, None) => energy_speech(samples, &opts.vad),
    })
}

/// Chunks at once and threads per chunk. With the core budget: up to one
/// chunk per core of it (at most `parallel`), each with its share of
/// `threads` (at least one), each waiting for its cores; without it,
/// `min(parallel or threads, chunks)` at a time sharing `threads`.
fn split(opts: &TranscribeOptions, chunks: usize) -> (usize, usize) {
    let threads = opts.threads.max(1);
    let at_most = opts.parallel.unwrap_or(usize::MAX).max(1);
    match &opts.cores {
        Some(c) => {
            let total = c.total();
            let workers = chunks.min(total).min(at_most).max(1);
            (workers, (threads.min(total) / workers).max(1))
        }
        None => {
            let workers = at_most.min(threads).min(chunks).max(1);
            (workers, (threads / workers).max(1))
        }
    }
}

/// Transcribes every chunk, as many at a time as [`split`] says, each on
/// its own whisper state.
fn run_chunks(
    model: &Model,
    samples: &[f32],
    chunks: &[Chunk],
    opts: &TranscribeOptions,
    language: Option<&str>,
    abort: &AtomicBool,
    progress: &Progress,
) -> Result<Vec<Run>, SttError> {
    let (workers, threads) = split(opts, chunks.len());
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Run, SttError>>>> =
        chunks.iter().map(|_| Mutex::new(None)).collect();
    let single = chunks.len() == 1;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut state = match model.state() {
                    Ok(s) => s,
                    Err(e) => return abort_with(&results, &next, e),
                };
                while let Some(i) = take(&next, chunks.len(), abort) {
                    // Held while whisper runs; `None` inside: aborted waiting.
                    let _cores = match opts.cores.as_deref().map(|c| c.take(threads, abort)) {
                        Some(None) => return,
                        held => held.flatten(),
                    };
                    let audio = chunks[i].samples(samples);
                    let percent = single.then(|| progress.percent_cell());
                    let run = run_chunk(
                        model, &mut state, &audio, opts, threads, language, abort, percent, single,
                    );
                    let run = run.map(|r| placed(r, i, &chunks[i], progress));
                    let failed = run.is_err();
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(run);
                    if failed {
                        return;
                    }
                    progress.step_done();
                }
            });
        }
    });
    if abort.load(Ordering::Relaxed) {
        return Err(SttError::Aborted);
    }
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or(Err(SttError::Aborted))
        })
        .collect()
}

/// Puts a finished chunk's segments on the recording's timeline, once: the
/// transcript and the progress shown while it runs get the same segments.
fn placed(mut run: Run, i: usize, chunk: &Chunk, progress: &Progress) -> Run {
    run.segments = chunk_segments(chunk, std::mem::take(&mut run.segments));
    progress.chunk_done(i, pieces(&run.segments));
    run
}

/// A chunk's segments on the recording's timeline, without what whisper
/// wrote over non-speech: what the transcript keeps of the chunk.
fn chunk_segments(c: &Chunk, segments: Vec<Segment>) -> Vec<Segment> {
    filter::speech_only(
        segments
            .into_iter()
            .flat_map(|s| on_timeline(c, s))
            .collect(),
    )
}

/// What a finished chunk adds to the transcript, as progress shows it
/// (the same segments the transcript keeps, in the same order).
fn pieces(segments: &[Segment]) -> Vec<crate::progress::Piece> {
    segments
        .iter()
        .map(|s| crate::progress::Piece {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.clone(),
        })
        .collect()
}

/// The next chunk for a worker to take, unless all are taken or the run
/// was aborted.
fn take(next: &AtomicUsize, len: usize, abort: &AtomicBool) -> Option<usize> {
    let i = next.fetch_add(1, Ordering::SeqCst);
    (i < len && !abort.load(Ordering::Relaxed)).then_some(i)
}

/// Records `e` for the first chunk not yet taken and stops the others.
fn abort_with(results: &[Mutex<Option<Result<Run, SttError>>>], next: &AtomicUsize, e: SttError) {
    let i = next.fetch_add(results.len(), Ordering::SeqCst);
    if let Some(slot) = results.get(i) {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Err(e));
    }
}

/// One chunk with the clip-sized window (`whole`: the chunk is all of the
/// recording's speech); a repetitive result is redone with whisper's full
/// window.
#[allow(clippy::too_many_arguments)]
fn run_chunk(
    model: &Model,
    state: &mut whisper_rs::WhisperState,
    audio: &[f32],
    opts: &TranscribeOptions,
    threads: usize,
    language: Option<&str>,
    abort: &AtomicBool,
    percent: Option<&std::sync::atomic::AtomicI32>,
    whole: bool,
) -> Result<Run, SttError> {
    // Without VAD a short clip keeps the wider margin it needs; speech cut by
    // VAD (padded) takes the tighter one (measured: same or better WER).
    let ctx = match (opts.window, whole && opts.vad.mode == VadMode::Off) {
        (Window::Full, _) => None,
        (Window::Clip, true) => clip_audio_ctx(audio.len()),
        (Window::Clip, false) => chunk_audio_ctx(audio.len()),
    };
    let mut run = run_whisper(
        model, state, audio, opts, threads, language, ctx, abort, percent,
    )?;
    // A chunk that repeats itself is redone alone: first with the wider
    // margin of a whole clip (usually enough, at about half the cost of the
    // full window), then with whisper's full window.
    if !opts.one_pass && ctx.is_some() {
        let wider = clip_audio_ctx(audio.len()).filter(|w| Some(*w) > ctx);
        for redo in wider.map(Some).into_iter().chain([None]) {
            if !looks_repetitive(&run.text()) {
                break;
            }
            tracing::info!(model = %model.name, window = redo.unwrap_or(1500), "repetitive output with a clip-sized window; redoing the chunk with a wider one");
            run = run_whisper(
                model, state, audio, opts, threads, language, redo, abort, percent,
            )?;
        }
    }
    Ok(run)
}

/// A segment of chunk `c` on the recording's timeline. A segment whose
/// words come from different pieces of the chunk (speech separated by a
/// pause that was left out) is split there, so that each stretch of speech
/// starts its own segment at its own time.
fn on_timeline(c: &Chunk, s: Segment) -> Vec<Segment> {
    let at = |ms: i64| (ms.max(0) as usize * RATE / 1000).min(c.len());
    let map = |ms: i64, start: bool| (c.to_source(at(ms), start) * 1000 / RATE) as i64;
    let mut parts: Vec<(usize, Vec<super::Word>)> = Vec::new();
    for w in &s.words {
        let piece = c.piece_at(at(w.start_ms));
        match parts.last_mut() {
            Some((p, words)) if *p == piece => words.push(w.clone()),
            _ => parts.push((piece, vec![w.clone()])),
        }
    }
    if parts.len() <= 1 {
        let mut s = s;
        s.start_ms = map(s.start_ms, true);
        s.end_ms = map(s.end_ms, false).max(s.start_ms);
        for w in &mut s.words {
            w.start_ms = map(w.start_ms, true);
            w.end_ms = map(w.end_ms, false).max(w.start_ms);
        }
        return vec![s];
    }
    parts
        .into_iter()
        .map(|(_, words)| {
            let words: Vec<super::Word> = words
                .into_iter()
                .map(|mut w| {
                    w.start_ms = map(w.start_ms, true);
                    w.end_ms = map(w.end_ms, false).max(w.start_ms);
                    w
                })
                .collect();
            Segment {
                start_ms: words.first().map_or(0, |w| w.start_ms),
                end_ms: words.last().map_or(0, |w| w.end_ms),
                text: words
                    .iter()
                    .map(|w| w.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                tokens: words
                    .iter()
                    .flat_map(|w| w.tokens.iter().copied())
                    .collect(),
                avg_logprob: s.avg_logprob,
                no_speech_prob: s.no_speech_prob,
                words,
            }
        })
        .collect()
}

/// The language spoken in most of the audio.
fn majority_language(spoken: &[(usize, Option<String>)]) -> Option<String> {
    let mut by: Vec<(String, usize)> = Vec::new();
    for (len, lang) in spoken {
        let Some(lang) = lang else { continue };
        match by.iter_mut().find(|(l, _)| l == lang) {
            Some((_, n)) => *n += len,
            None => by.push((lang.clone(), *len)),
        }
    }
    by.into_iter().max_by_key(|(_, n)| *n).map(|(l, _)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::cores::Cores;
    use std::sync::Arc;

    fn opts(threads: usize, parallel: Option<usize>, cores: Option<usize>) -> TranscribeOptions {
        TranscribeOptions {
            language: crate::stt::Language::Auto,
            prompt: None,
            threads,
            translate: false,
            window: Window::Clip,
            trim_silence: false,
            vad: crate::stt::VadSettings::default(),
            parallel,
            cores: cores.map(|n| Arc::new(Cores::new(n))),
            one_pass: false,
            beam_size: crate::stt::DEFAULT_BEAM_SIZE,
        }
    }

    #[test]
    fn chunks_spread_over_the_budget_and_a_single_chunk_keeps_its_threads() {
        // A job with one thread of two cores: its chunks take both.
        assert_eq!(split(&opts(1, None, Some(2)), 5), (2, 1));
        assert_eq!(split(&opts(1, None, Some(2)), 1), (1, 1));
        // One file with every core: two chunks at once, or one with both.
        assert_eq!(split(&opts(2, None, Some(2)), 5), (2, 1));
        assert_eq!(split(&opts(2, None, Some(2)), 1), (1, 2));
        // Live dictation: one chunk at a time with its threads.
        assert_eq!(split(&opts(2, Some(1), Some(2)), 3), (1, 2));
        // Never more threads than the budget.
        assert_eq!(split(&opts(8, None, Some(2)), 1), (1, 2));
        // Without the budget: threads shared by the chunks at once.
        assert_eq!(split(&opts(1, None, None), 5), (1, 1));
        assert_eq!(split(&opts(4, Some(2), None), 5), (2, 2));
    }
}
