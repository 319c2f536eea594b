//! In-process transcription of a short real clip (jfk.wav, 11 s) at thread
//! counts 1 … available_parallelism + 1, for tiny.en and base. The models come
//! from `scripts/fetch-test-models`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32};
use std::time::Duration;
use susurro::config::Language;
use susurro::stt::{engine_transcribe, Engine, TranscribeOptions, Window};

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
        let model = match engine.model(name) {
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
            };
            g.bench_with_input(
                BenchmarkId::new(name, format!("threads={threads}/{window:?}")),
                &threads,
                |b, _| {
                    b.iter(|| {
                        let (abort, progress) = (AtomicBool::new(false), AtomicI32::new(0));
                        engine_transcribe(&model, &samples, &opts, &abort, &progress).unwrap()
                    })
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
