//! Shared test helpers: real models, real audio (from ../shared when present,
//! generated with espeak-ng otherwise), and a real server on port 0.
#![allow(dead_code)]

pub mod backend;
pub mod fileserver;
pub mod process;
pub mod server;
pub mod sse;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The JFK sentence of `../shared/samples/jfk.*`.
pub const JFK: &str =
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

/// A queued event's row for `audio_path` with default settings.
pub fn new_event(audio_path: &str, audio_bytes: i64) -> susurro::store::events::NewEvent {
    susurro::store::events::NewEvent {
        audio_path: audio_path.into(),
        audio_bytes,
        language: None,
        prompt: None,
        model: None,
        container: None,
        codec: None,
        priority: None,
        task: susurro::store::events::Task::Transcribe,
        vad: None,
    }
}

/// A model name (the test's own, known valid).
pub fn name(n: &str) -> susurro::models::name::ModelName {
    susurro::models::name::ModelName::parse(n).unwrap()
}

/// Where `scripts/fetch-test-models` put the models (`SUSURRO_TEST_MODELS`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("SUSURRO_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/susurro/test-models"))
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// Path of a test model; fails with the command that fetches it.
pub fn require_model(name: &str) -> PathBuf {
    let p = models_dir().join(format!("ggml-{name}.bin"));
    assert!(
        p.is_file(),
        "test model {} is missing: run scripts/fetch-test-models (or scripts/test)",
        p.display()
    );
    p
}

/// A CTranslate2 source model kept by the fetch script (`tiny.en`, `base`).
pub fn require_ct2(name: &str) -> PathBuf {
    let p = models_dir().join("ct2").join(name);
    assert!(
        p.join("model.bin").is_file(),
        "CTranslate2 test model {} is missing: run scripts/fetch-test-models",
        p.display()
    );
    p
}

/// How often [`poll`] looks again.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Polls `look` every 20 ms until it answers `Ok(value)`, and returns the
/// value; fails with `what` and the last `Err` it saw after `within`. The
/// one place tests wait for something that happens in another task or
/// process.
pub async fn poll<T, L: std::fmt::Display>(
    within: std::time::Duration,
    what: &str,
    mut look: impl AsyncFnMut() -> Result<T, L>,
) -> T {
    let start = std::time::Instant::now();
    loop {
        match look().await {
            Ok(v) => return v,
            Err(last) => assert!(
                start.elapsed() < within,
                "timed out after {within:?}: {what} (last seen: {last})"
            ),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Calls `look` every 5 ms, from a thread that may block, until it gives
/// `Some`; `None` after `within`.
pub fn wait_blocking<T>(
    within: std::time::Duration,
    mut look: impl FnMut() -> Option<T>,
) -> Option<T> {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = look() {
            return Some(v);
        }
        if start.elapsed() >= within {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Polls `cond` until it holds; fails with `what` after `within`.
pub async fn eventually(
    within: std::time::Duration,
    what: &str,
    mut cond: impl AsyncFnMut() -> bool,
) {
    poll(
        within,
        what,
        async || if cond().await { Ok(()) } else { Err("no") },
    )
    .await
}

/// Checks `cond` every 20 ms for all of `during` and fails the moment it
/// does not hold: how tests show that something does *not* happen (a
/// stopped worker claims nothing, a lock keeps a purge waiting), a
/// stronger check than one look after a fixed sleep.
pub async fn holds(during: std::time::Duration, what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < during {
        assert!(
            cond().await,
            "stopped holding after {:?}: {what}",
            start.elapsed()
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
    assert!(cond().await, "stopped holding at the end: {what}");
}

/// Whether a test that lacks what it needs may be skipped: never in CI
/// (`CI=true`), where a missing tool, service or data set is a failure that
/// says what is missing; elsewhere the test says "skipped" with its name and
/// why. Call as `skip("module::test", why); return;`, only where `why`
/// names something a developer's checkout may lack.
pub fn skip(test: &str, why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "{test}: {why} (CI=true: nothing is skipped in CI)");
    eprintln!("skipped: {test}: {why}");
}

/// `../shared`, when this checkout has one (`SUSURRO_NO_SHARED=1` acts as
/// if it had none, as in a user's fresh clone).
pub fn shared_dir() -> Option<PathBuf> {
    if std::env::var_os("SUSURRO_NO_SHARED").is_some() {
        return None;
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    p.join("samples/jfk.wav").is_file().then_some(p)
}

/// This test process's folder of generated audio. A test binary has no
/// teardown, so each run removes the folders of runs that have ended
/// (their process is gone from `/proc`) instead of leaving them to pile up.
fn fixtures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = std::env::temp_dir();
        remove_ended_runs_fixtures(&tmp);
        let d = tmp.join(format!("susurro-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn remove_ended_runs_fixtures(tmp: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("susurro-fixtures-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            // another run may be removing it too
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Speech made with espeak-ng (voice `en-us`, `es`, …) as a 22.05 kHz WAV.
pub fn espeak_wav(text: &str, voice: &str) -> PathBuf {
    let name = format!("{:x}-{voice}.wav", hash(text));
    let path = fixtures_dir().join(name);
    if !path.exists() {
        let tmp = fixtures_dir().join(format!("tmp-{}.wav", uuid_like()));
        run(Command::new("espeak-ng")
            .args(["-v", voice, "-s", "150", "-w"])
            .arg(&tmp)
            .arg(text));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// Converts audio with ffmpeg (`args` go between input and output).
pub fn ffmpeg(input: &Path, args: &[&str], ext: &str) -> PathBuf {
    let path = fixtures_dir().join(format!(
        "{:x}.{ext}",
        hash(&format!("{}{args:?}", input.display()))
    ));
    if !path.exists() {
        let tmp = fixtures_dir().join(format!("tmp-{}.{ext}", uuid_like()));
        run(Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(input)
            .args(args)
            .arg(&tmp));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

fn uuid_like() -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// jfk.wav from ../shared, or the same sentence spoken by espeak-ng.
pub fn jfk_wav() -> PathBuf {
    match shared_dir() {
        Some(s) => s.join("samples/jfk.wav"),
        None => espeak_wav(JFK, "en-us"),
    }
}

/// jfk.mp3 from ../shared, or generated speech encoded as MP3.
pub fn jfk_mp3() -> PathBuf {
    match shared_dir() {
        Some(s) => s.join("samples/jfk.mp3"),
        None => ffmpeg(
            &espeak_wav(JFK, "en-us"),
            &["-codec:a", "libmp3lame", "-b:a", "64k"],
            "mp3",
        ),
    }
}

/// Lowercase words without punctuation.
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Word error rate of `hyp` against `reference` (normalised words).
pub fn wer(reference: &str, hyp: &str) -> f64 {
    let (r, h) = (words(reference), words(hyp));
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hw) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(rw != hw))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}

/// Asserts that `hyp` says `reference`: exact words for ../shared's real
/// speech, WER ≤ 25 % for synthetic speech (espeak-ng is hard to hear).
pub fn assert_says(reference: &str, hyp: &str) {
    let limit = if shared_dir().is_some() { 0.0 } else { 0.25 };
    let w = wer(reference, hyp);
    assert!(
        w <= limit,
        "WER {w:.2} > {limit}: expected {reference:?}, got {hyp:?}"
    );
}

/// A WAV made by sox at 16 kHz mono: `args` go after the output file
/// (`synth 10 pinknoise`, …), or `inputs` are concatenated when given.
pub fn sox(inputs: &[&Path], args: &[&str]) -> PathBuf {
    let key = format!("{inputs:?}{args:?}");
    let path = fixtures_dir().join(format!("{:x}-sox.wav", hash(&key)));
    if !path.exists() {
        let tmp = fixtures_dir().join(format!("tmp-{}.wav", uuid_like()));
        let mut cmd = Command::new("sox");
        if inputs.is_empty() {
            cmd.args(["-n", "-r", "16000", "-c", "1"]);
        } else {
            cmd.args(inputs);
            cmd.args(["-r", "16000", "-c", "1"]);
        }
        run(cmd.arg(&tmp).args(args));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// `secs` of digital silence at espeak-ng's rate (22.05 kHz), so that it
/// concatenates with generated speech.
pub fn silence(secs: f32) -> PathBuf {
    let path = fixtures_dir().join(format!("silence-{secs}.wav"));
    if !path.exists() {
        let tmp = fixtures_dir().join(format!("tmp-{}.wav", uuid_like()));
        run(Command::new("sox")
            .args(["-n", "-r", "22050", "-c", "1", "-b", "16"])
            .arg(&tmp)
            .args(["trim", "0", &secs.to_string()]));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// Where speech starts in a WAV: the first 10 ms louder than −40 dBFS.
pub fn speech_onset_ms(wav: &Path) -> i64 {
    let mut r = hound::WavReader::open(wav).unwrap();
    let spec = r.spec();
    let samples: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    let win = (spec.sample_rate as usize / 100) * spec.channels as usize;
    let at = samples
        .chunks(win)
        .position(|w| (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt() > 0.01)
        .unwrap_or(0);
    at as i64 * 10
}

/// `input` repeated `times` times (sox), for long recordings.
pub fn repeated(input: &Path, times: usize) -> PathBuf {
    let path = fixtures_dir().join(format!(
        "{:x}-x{times}.wav",
        hash(&input.display().to_string())
    ));
    if !path.exists() {
        let tmp = fixtures_dir().join(format!("tmp-{}.wav", uuid_like()));
        let mut cmd = Command::new("sox");
        for _ in 0..times {
            cmd.arg(input);
        }
        run(cmd.arg(&tmp));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// Serialises in-process whisper runs of one test binary: two at once with
/// two threads each would oversubscribe a 2-core machine, where ggml's
/// spin-waiting threads run many times slower.
pub fn whisper_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decodes `audio` and transcribes it in process with `model` (2 threads,
/// default window and beams, no VAD), one whisper run at a time in this
/// binary.
pub fn transcribe_with(
    model: &susurro::stt::Model,
    audio: &Path,
    lang: &str,
) -> susurro::stt::Transcription {
    transcribe_beams(model, audio, lang, susurro::stt::DEFAULT_BEAM_SIZE)
}

/// [`transcribe_with`] with `beam_size` beams (1: greedy decoding).
pub fn transcribe_beams(
    model: &susurro::stt::Model,
    audio: &Path,
    lang: &str,
    beam_size: usize,
) -> susurro::stt::Transcription {
    let pcm = susurro::audio::decode_file(audio, 3600).unwrap().samples;
    let opts = susurro::stt::TranscribeOptions {
        language: susurro::stt::Language::parse(lang).unwrap(),
        prompt: None,
        threads: 2,
        translate: false,
        window: susurro::stt::Window::Clip,
        trim_silence: true,
        vad: susurro::stt::VadSettings {
            mode: susurro::stt::VadMode::Off,
            ..Default::default()
        },
        parallel: None,
        // The process's budget: the services other tests run in this
        // process take their cores from it too.
        cores: Some(susurro::stt::cores::for_jobs()),
        one_pass: false,
        beam_size,
    };
    let (abort, progress) = (Default::default(), Default::default());
    let _one_at_a_time = whisper_lock();
    susurro::stt::transcribe(model, None, &pcm, &opts, &abort, &progress).unwrap()
}
