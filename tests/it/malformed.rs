//! Garbage over HTTP: every malformed upload gets a clear 4xx or a `failed`
//! event with a reason; nothing panics, no worker is lost, the server keeps
//! serving; over-limit uploads get 413 and leave no file behind.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::time::Duration;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let random: Vec<u8> = (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    v.push(("random bytes".into(), random));
    v.push(("zero bytes".into(), vec![0; 65_536]));
    v.push((
        "text named .mp3".into(),
        b"ID3 is not enough; this is text.\n".repeat(200),
    ));
    let source = espeak_wav("hola, hay que hacer deploy del pull request", "es");
    for (ext, args) in [
        ("mp3", &["-c:a", "libmp3lame"][..]),
        ("wav", &["-c:a", "pcm_s16le"][..]),
        ("ogg", &["-c:a", "libvorbis"][..]),
        ("m4a", &["-c:a", "aac"][..]),
        ("flac", &["-c:a", "flac"][..]),
        ("opus", &["-c:a", "libopus"][..]),
    ] {
        let bytes = std::fs::read(ffmpeg(&source, args, ext)).unwrap();
        for cut in [10, 100, 1000, bytes.len() / 2] {
            v.push((
                format!("{ext} truncated at {cut}"),
                bytes[..cut.min(bytes.len())].to_vec(),
            ));
        }
        if ext == "ogg" {
            // Break pages in the middle: corrupt bytes, checksums no longer match.
            let mut broken = bytes.clone();
            for i in (broken.len() / 3..broken.len() / 3 + 400).step_by(7) {
                broken[i] ^= 0x5a;
            }
            v.push(("ogg with a broken page".into(), broken));
        }
    }
    // A WAV header that declares gigabytes of data, followed by little.
    let mut wav = Vec::new();
    wav.extend(b"RIFF");
    wav.extend(0xFFFF_FFF0u32.to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(16_000u32.to_le_bytes());
    wav.extend(32_000u32.to_le_bytes());
    wav.extend(2u16.to_le_bytes());
    wav.extend(16u16.to_le_bytes());
    wav.extend(b"data");
    wav.extend(0xFFFF_FF00u32.to_le_bytes());
    wav.extend(std::iter::repeat_n(0u8, 3200));
    v.push(("WAV declaring gigabytes".into(), wav));
    // A zip archive (made with Python's zipfile) holding an audio file.
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("a.zip");
    let st = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(&zip)
        .arg(&source)
        .status()
        .unwrap();
    assert!(st.success());
    v.push(("zip file".into(), std::fs::read(&zip).unwrap()));
    // An MP4 with only a video track.
    let mp4 = dir.path().join("video.mp4");
    let st = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .args([
            "testsrc=duration=1:size=64x64:rate=5",
            "-c:v",
            "mpeg4",
            "-an",
        ])
        .arg(&mp4)
        .status()
        .unwrap();
    assert!(st.success());
    v.push(("MP4 without audio".into(), std::fs::read(&mp4).unwrap()));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_uploads_get_clear_errors_and_the_server_survives() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let mut accepted = Vec::new();
    for (name, bytes) in corpus() {
        let (status, body) = app.upload_bytes(bytes, "upload.mp3", &[]).await;
        if status == 202 {
            accepted.push((name, body["id"].as_str().unwrap().to_string()));
            continue;
        }
        assert!(status.is_client_error(), "{name}: {status} {body}");
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{name}: no reason in {body}");
        eprintln!("{name:<26} → {status} {msg}");
    }
    // Accepted ones (decodable beginnings) end transcribed or failed with a reason.
    for (name, id) in &accepted {
        let ev = app
            .wait_event(id, Duration::from_secs(120), |e| {
                matches!(e["status"].as_str(), Some("transcribed" | "failed"))
            })
            .await;
        if ev["status"] == "failed" {
            assert!(
                ev["error"].as_str().is_some_and(|m| !m.is_empty()),
                "{name}: {ev}"
            );
        }
        eprintln!("{name:<26} → 202, then {} {}", ev["status"], ev["error"]);
    }
    // Still serving, workers alive.
    let (s, health) = app.get_json("/health").await;
    assert_eq!(s, 200);
    assert_eq!(health["workers"]["running"], true);
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    app.wait_transcribed(body["id"].as_str().unwrap()).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_limit_upload_gets_413_and_leaves_no_file() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("MAX_UPLOAD_MB", "1")])).await;
    let big = repeated(&jfk_wav(), 4); // about 1.4 MB
    assert!(std::fs::metadata(&big).unwrap().len() > 1024 * 1024);
    let (status, body) = app.upload(&big, &[]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    let left: Vec<_> = std::fs::read_dir(data.join("audio")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // A small one still goes through.
    let (status, _) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(status, 202);
    app.stop().await;
}
