//! In-process transcription of a short real clip (jfk.wav, 11 s) at thread
//! counts 1 … available_parallelism + 1, for tiny.en and base, and chunked
//! transcription of a minute of speech at each split of the cores into
//! chunks at once × threads per chunk. The models come from
//! `scripts/fetch-test-models`.

use criterion::{criterion_group, BenchmarkId, Criterion};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use susurro::models::name::ModelName;
use susurro::progress::Progress;
use susurro::stt::Language;
use susurro::stt::{transcribe, Engine, TranscribeOptions, VadMode, VadSettings, Window};

fn models_dir() -> PathBuf {
    std::env::var_os("SUSURRO_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/susurro/test-models")
        })
}

fn clip() -> PathBuf {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/jfk.wav");
    if shared.is_file() {
        return shared;
    }
    let out = std::env::temp_dir().join("susurro-bench-jfk.wav");
    if !out.is_file() {
        let text = "And so my fellow Americans, ask not what your country can do for you, \
                    ask what you can do for your country.";
        let ok = std::process::Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&out)
            .arg(text)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "no ../shared/samples/jfk.wav and espeak-ng failed: install espeak-ng"
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let dir = models_dir();
    let samples = susurro::audio::decode_file(&clip(), 600).unwrap().samples;
    let max_threads = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let engine = Engine::new(dir.clone());
    let mut g = c.benchmark_group("transcribe_jfk");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for name in ["tiny.en", "base"] {
        let model = match engine.model(&ModelName::parse(name).expect("a valid name")) {
            Ok(m) => m,
            Err(e) => {
                eprintln!(
                    "skipping {name}: {e}\nfetch the test models with: scripts/fetch-test-models"
                );
                continue;
            }
        };
        // One above the core count shows the cost of oversubscription (ggml's
        // threads spin-wait): measured for tiny.en only, as it is very slow.
        let top = if name == "tiny.en" {
            max_threads
        } else {
            max_threads - 1
        };
        for (threads, window) in (1..=top)
            .map(|t| (t, Window::Clip))
            .chain(std::iter::once((max_threads - 1, Window::Full)))
        {
            let opts = TranscribeOptions {
                language: Language::Code("en".into()),
                prompt: None,
                threads,
                translate: false,
                window,
                trim_silence: false,
                vad: VadSettings {
                    mode: VadMode::Off,
                    ..Default::default()
                },
                parallel: None,
                cores: None,
                one_pass: false,
                beam_size: susurro::stt::DEFAULT_BEAM_SIZE,
            };
            g.bench_with_input(
                BenchmarkId::new(name, format!("threads={threads}/{window:?}")),
                &threads,
                |b, _| {
                    b.iter(|| {
                        let (abort, progress) = (AtomicBool::new(false), Progress::default());
                        transcribe(&model, None, &samples, &opts, &abort, &progress).unwrap()
                    })
                },
            );
        }
    }
    g.finish();
}

/// About a minute of real speech (the long English recording of
/// ../shared, cut), or generated speech.
fn minute() -> Vec<f32> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/eval/derived/long_en_concat_16k_mono_48kbps.mp3");
    let mut s = if shared.is_file() {
        susurro::audio::decode_file(&shared, 3600).unwrap().samples
    } else {
        let one = susurro::audio::decode_file(&clip(), 600).unwrap().samples;
        one.repeat(6)
    };
    s.truncate(16_000 * 60);
    s
}

/// Chunked transcription of a minute of speech with base (the default 8-bit
/// one and f16) and Silero VAD (scripts/fetch-test-models), at every split
/// of the cores into chunks at once × threads per chunk.
fn chunked(c: &mut Criterion) {
    let engine = Engine::new(models_dir());
    let Ok(vad) = engine.vad(None) else {
        eprintln!("skipping chunked: the VAD model is missing (scripts/fetch-test-models)");
        return;
    };
    let samples = minute();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for name in ["base-q8_0", "base"] {
        let Ok(model) = engine.model(&ModelName::parse(name).expect("a valid name")) else {
            eprintln!("skipping chunked {name}: missing (scripts/fetch-test-models)");
            continue;
        };
        let mut g = c.benchmark_group(format!("chunked_minute_{name}"));
        g.sample_size(10).measurement_time(Duration::from_secs(40));
        for parallel in (1..=cores).filter(|p| cores.is_multiple_of(*p)) {
            let opts = TranscribeOptions {
                language: Language::Code("en".into()),
                prompt: None,
                threads: cores,
                translate: false,
                window: Window::Clip,
                trim_silence: false,
                vad: VadSettings::default(),
                parallel: Some(parallel),
                cores: None,
                one_pass: false,
                beam_size: susurro::stt::DEFAULT_BEAM_SIZE,
            };
            g.bench_function(format!("{parallel}x{}", cores / parallel), |b| {
                b.iter(|| {
                    let (abort, progress) = (AtomicBool::new(false), Progress::default());
                    transcribe(&model, vad.as_deref(), &samples, &opts, &abort, &progress).unwrap()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench, chunked);
/// criterion_main!, after a line naming the CPU the numbers come from.
fn main() {
    println!("CPU: {}", susurro::stt::cpu::describe());
    benches();
    Criterion::default().configure_from_args().final_summary();
}
