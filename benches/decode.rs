//! Decode + resample to 16 kHz mono of a 60 s MP3 (44.1 kHz stereo, 128 kb/s)
//! and a 60 s 48 kHz stereo WAV. Throughput is in seconds of audio per second,
//! i.e. "elem/s" reads as × real time. `scripts/bench-decode` times ffmpeg on
//! the same files and prints the ratio.
//!
//! `short_clip_media_path`: what an upload of a short clip costs before
//! inference, probe (at upload) plus decode (in the job), in process and
//! through the bounded media child (`susurro decode --ipc`, as the service
//! runs it): the difference is the child's cost, to set against the clip's
//! bare inference time (`benches/transcribe.rs`, `transcribe_jfk`).

use criterion::{criterion_group, Criterion, Throughput};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn run(cmd: &mut Command) {
    let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "{cmd:?} failed (needs espeak-ng, sox and ffmpeg)");
}

/// Builds the two 60-second fixtures once (in the temp dir).
pub fn fixtures() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join("susurro-bench-decode");
    std::fs::create_dir_all(&dir).unwrap();
    let (mp3, wav) = (
        dir.join("speech-60s-44k-stereo.mp3"),
        dir.join("speech-60s-48k-stereo.wav"),
    );
    if mp3.is_file() && wav.is_file() {
        return (mp3, wav);
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/jfk.wav");
    let speech = if shared.is_file() {
        shared
    } else {
        let p = dir.join("speech.wav");
        run(Command::new("espeak-ng").args(["-v", "en-us", "-w"]).arg(&p).arg(
            "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
        ));
        p
    };
    let long = dir.join("long.wav");
    let mut sox = Command::new("sox");
    for _ in 0..12 {
        sox.arg(&speech);
    }
    run(sox.arg(&long).args(["trim", "0", "60"]));
    let ff = |out: &Path, args: &[&str]| {
        run(Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(&long)
            .args(args)
            .arg(out));
    };
    ff(
        &mp3,
        &[
            "-ar",
            "44100",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
        ],
    );
    ff(&wav, &["-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le"]);
    (mp3, wav)
}

fn bench(c: &mut Criterion) {
    let (mp3, wav) = fixtures();
    let mut g = c.benchmark_group("decode_resample_60s");
    g.throughput(Throughput::Elements(60));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, path) in [("mp3_44k_stereo", &mp3), ("wav_48k_stereo", &wav)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let d = susurro::audio::decode_file(path, 3600).unwrap();
                assert!((59_000..=61_000).contains(&d.duration_ms));
                d.samples.len()
            })
        });
    }
    g.finish();
}

/// An 11 s clip as users upload it: jfk.mp3 of ../shared, or generated.
fn short_clip() -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/jfk.mp3");
    if shared.is_file() {
        return shared;
    }
    let (mp3, _) = fixtures();
    let out = mp3.with_file_name("speech-11s.mp3");
    if !out.is_file() {
        run(Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-t", "11", "-i"])
            .arg(&mp3)
            .arg(&out));
    }
    out
}

fn bench_media_path(c: &mut Criterion) {
    let clip = short_clip();
    let sandbox = susurro::audio::Sandbox::new(
        Some(PathBuf::from(env!("CARGO_BIN_EXE_susurro"))),
        512,
        Duration::from_secs(10),
    )
    .unwrap();
    let mut g = c.benchmark_group("short_clip_media_path");
    g.sample_size(20).measurement_time(Duration::from_secs(6));
    g.bench_function("in_process", |b| {
        b.iter(|| {
            susurro::audio::probe_file(&clip).unwrap();
            susurro::audio::decode_file(&clip, 3600)
                .unwrap()
                .samples
                .len()
        })
    });
    g.bench_function("media_child", |b| {
        b.iter(|| {
            sandbox.probe(&clip, 3600).unwrap();
            let never = std::sync::atomic::AtomicBool::new(false);
            let mut n = 0;
            sandbox
                .decode(
                    &clip,
                    3600,
                    &never,
                    |_| {},
                    |block| {
                        n += block.len();
                        Ok::<(), susurro::audio::AudioError>(())
                    },
                )
                .unwrap();
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_media_path);
/// criterion_main!, after a line naming the CPU the numbers come from.
fn main() {
    println!("CPU: {}", susurro::stt::cpu::describe());
    benches();
    Criterion::default().configure_from_args().final_summary();
}
