//! Audio ingest: every format people record in × sample rates × channel
//! counts (generated with espeak-ng + ffmpeg), the real files of
//! ../shared/eval when present, and decode errors.

use crate::common::*;
use std::path::Path;
use susurro::audio::{decode_file, probe_file};
use susurro::stt::{Engine, Model};

/// (name, extension, ffmpeg output arguments)
const FORMATS: &[(&str, &str, &[&str])] = &[
    ("wav-u8", "wav", &["-c:a", "pcm_u8"]),
    ("wav-s16", "wav", &["-c:a", "pcm_s16le"]),
    ("wav-s24", "wav", &["-c:a", "pcm_s24le"]),
    ("wav-s32", "wav", &["-c:a", "pcm_s32le"]),
    ("wav-f32", "wav", &["-c:a", "pcm_f32le"]),
    ("wav-f64", "wav", &["-c:a", "pcm_f64le"]),
    ("mp3", "mp3", &["-c:a", "libmp3lame", "-b:a", "64k"]),
    ("flac", "flac", &["-c:a", "flac"]),
    ("ogg-vorbis", "ogg", &["-c:a", "libvorbis"]),
    ("ogg-opus", "opus", &["-c:a", "libopus", "-b:a", "32k"]),
    ("webm-opus", "webm", &["-c:a", "libopus", "-b:a", "32k"]),
    ("webm-vorbis", "webm", &["-c:a", "libvorbis"]),
    ("m4a-aac", "m4a", &["-c:a", "aac", "-b:a", "96k"]),
    (
        "adts-aac",
        "aac",
        &["-c:a", "aac", "-b:a", "96k", "-f", "adts"],
    ),
    ("aiff", "aiff", &["-c:a", "pcm_s16be"]),
];
const RATES: &[u32] = &[8_000, 22_050, 44_100, 48_000];

fn wav_seconds(p: &Path) -> f64 {
    let r = hound::WavReader::open(p).unwrap();
    r.duration() as f64 / r.spec().sample_rate as f64
}

fn transcribe(model: &Model, path: &Path, lang: &str) -> String {
    transcribe_with(model, path, lang).text
}

#[test]
fn every_format_rate_and_channel_count_decodes_and_transcribes() {
    require_model("tiny.en");
    let source = espeak_wav(JFK, "en-us");
    let expected = wav_seconds(&source);
    let engine = Engine::new(models_dir());
    let model = engine.model(&name("tiny.en")).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, ext, args) in FORMATS {
        for &rate in RATES {
            for channels in [1u32, 2] {
                let (r, c) = (rate.to_string(), channels.to_string());
                let mut a: Vec<&str> = vec!["-ar", &r, "-ac", &c];
                if *ext == "opus" || (*ext == "webm" && name.contains("opus")) {
                    // Opus encodes at 48 kHz whatever the source rate.
                    a = vec!["-ac", &c];
                }
                a.extend_from_slice(args);
                let src = if rate == 22_050 || a[0] == "-ac" {
                    source.clone()
                } else {
                    // Resample the source first so the codec sees that rate.
                    ffmpeg(&source, &["-ar", &r], "wav")
                };
                let file = ffmpeg(&src, &a, ext);
                let label = format!("{name} {rate} Hz {channels} ch");
                count += 1;
                let info = match probe_file(&file) {
                    Ok(i) => i,
                    Err(e) => {
                        failures.push(format!("{label}: probe: {e}"));
                        continue;
                    }
                };
                let d = match decode_file(&file, 3600) {
                    Ok(d) => d,
                    Err(e) => {
                        failures.push(format!("{label}: decode: {e}"));
                        continue;
                    }
                };
                let secs = d.duration_ms as f64 / 1000.0;
                let out_secs = d.samples.len() as f64 / 16_000.0;
                // AAC keeps up to one frame (1024 samples) of encoder padding at the end.
                let slack = if info.codec == "aac" {
                    1024.0 / rate as f64
                } else {
                    0.0
                };
                let off = secs - expected;
                if off.abs() > expected * 0.01 && !(off > 0.0 && off <= slack + expected * 0.01)
                    || (out_secs - secs).abs() > 0.002
                {
                    failures.push(format!(
                        "{label}: duration {secs:.3}s (16 kHz output {out_secs:.3}s), expected {expected:.3}s ±1%"
                    ));
                }
                let text = transcribe(&model, &file, "en");
                let w = wer(JFK, &text);
                if w > 0.25 {
                    failures.push(format!("{label}: WER {w:.2}: {text:?}"));
                }
                eprintln!(
                    "{label:<28} {:<6} {:<10} {secs:.3}s WER {w:.2}",
                    info.container, info.codec
                );
            }
        }
    }
    assert_eq!(count, FORMATS.len() * RATES.len() * 2);
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(engine.load_count(), 1);
}

/// The real recordings of ../shared/eval/formats and derived (needs ../shared:
/// skipped without it, a failure in CI).
#[test]
fn real_files_in_shared_eval_decode_and_transcribe() {
    let Some(shared) = shared_dir() else {
        skip(
            "audio::real_files_in_shared_eval_decode_and_transcribe",
            "../shared is absent (the real recordings it decodes live there)",
        );
        return;
    };
    require_model("tiny.en");
    require_model("base");
    let engine = Engine::new(models_dir());
    let manifest = std::fs::read_to_string(shared.join("eval/MANIFEST.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, lang, duration, reference) = (cols[0], cols[1], cols[6], cols[13]);
        if !(file.starts_with("formats/") || file.starts_with("derived/")) {
            continue;
        }
        checked += 1;
        let path = shared.join("eval").join(file);
        let expected: f64 = duration.parse().unwrap();
        let d = match decode_file(&path, 3600) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let secs = d.duration_ms as f64 / 1000.0;
        // For raw ADTS the manifest's duration is ffprobe's estimate from the
        // bit rate, not a count of samples: only a loose check there.
        let tolerance = if file.ends_with(".aac") { 0.05 } else { 0.01 };
        if (secs - expected).abs() > (expected * tolerance).max(0.06) {
            failures.push(format!(
                "{file}: duration {secs:.3}s, manifest {expected:.3}s"
            ));
        }
        let has_reference = reference != "NO REFERENCE" && !reference.starts_with("LEFT:");
        if expected > 40.0 || !has_reference {
            continue;
        }
        let model = engine
            .model(&name(if lang == "en" { "tiny.en" } else { "base" }))
            .unwrap();
        let text = transcribe(&model, &path, lang);
        let w = wer(reference, &text);
        eprintln!("{file:<60} {secs:>8.3}s WER {w:.2}");
        if w > 0.35 {
            failures.push(format!("{file}: WER {w:.2}: {text:?}"));
        }
    }
    assert!(checked >= 20, "only {checked} files in the manifest");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decode_errors_name_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let text = write("notes.mp3", &b"hola, esto no es audio\n".repeat(100));
    assert!(probe_file(&text)
        .unwrap_err()
        .to_string()
        .contains("unsupported"));
    let zeros = write("zeros.wav", &[0u8; 4096]);
    assert!(probe_file(&zeros).is_err());
    let empty = write("empty.ogg", b"");
    assert!(probe_file(&empty)
        .unwrap_err()
        .to_string()
        .contains("empty"));

    let video = ffmpeg_lavfi(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=64x64:rate=5",
            "-c:v",
            "mpeg4",
            "-an",
        ],
        "mp4",
    );
    let err = probe_file(&video).unwrap_err();
    assert!(err.to_string().contains("no audio track"), "{err}");
    assert!(!err.is_retryable());
}

/// Runs ffmpeg with its own inputs (lavfi sources) into a fixture file.
fn ffmpeg_lavfi(args: &[&str], ext: &str) -> std::path::PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let out = dir.join(format!("out.{ext}"));
    let st = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}
