//! Hostile input and faults over real HTTP: crafted files whose headers
//! declare huge buffers or impossible values get a clear 4xx and the server
//! keeps answering; real G.711 telephony WAVs transcribe; the admin API
//! refuses proxied requests without a token; uploads name only installed
//! models; field sizes, NUL bytes and numeric inputs are bounded; a rescued
//! job's event fails and its audio goes; the purge survives a concurrent
//! writer; the orphan sweep does not depend on how the data dir is spelled.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// Each crafted file (scripts/craft-hostile), the status it must get and a
/// word its message must contain.
const HOSTILE: &[(&str, u16, &str)] = &[
    ("alac_frame_length.m4a", 415, "alac"),
    ("alac_stco_count.m4a", 422, "stco"),
    ("pcm_lpcm_frames_per_packet.mov", 415, "pcm"),
    ("pcm_stsz_sample_size.mov", 422, "sample"),
    ("wav_channels_65535.wav", 422, "channels"),
    ("wav_sample_rate_0.wav", 422, "sample_rate"),
    ("wav_fmt_size_4gb.wav", 422, "fmt"),
    ("wav_header_only.wav", 422, "no decodable audio"),
    ("flac_sample_rate_0.flac", 422, "sample_rate"),
    ("flac_picture_4gb.flac", 422, "picture"),
    ("ogg_vorbis_comment_4gb.ogg", 422, "comment"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_headers_get_a_clear_4xx_and_the_server_keeps_answering() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    for (name, status, word) in HOSTILE {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let (s, body) = app.upload_bytes(bytes, name, &[]).await;
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        eprintln!("{name:<34} → {s} {msg}");
        assert_eq!(s.as_u16(), *status, "{name}: {body}");
        assert!(msg.contains(word), "{name}: {msg:?} lacks {word:?}");
        let (h, _) = app.get_json("/health").await;
        assert_eq!(h, 200, "{name}: the server stopped answering");
    }
    let left: Vec<_> = std::fs::read_dir(data.join("audio")).unwrap().collect();
    assert!(left.is_empty(), "refused uploads left files: {left:?}");
    app.stop().await;
}

/// Rewrites a WAV as telephony SDKs write G.711: a 16-byte `fmt ` chunk
/// without `cbSize`, no `fact` chunk, then the samples.
fn telephony_wav(ffmpeg_wav: &Path, format_tag: u16) -> PathBuf {
    let b = std::fs::read(ffmpeg_wav).unwrap();
    let data_at = b.windows(4).position(|w| w == b"data").unwrap();
    let samples = &b[data_at + 8..];
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&format_tag.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    out.extend_from_slice(samples);
    let path = ffmpeg_wav.with_extension(format!("telephony-{format_tag}.wav"));
    std::fs::write(&path, out).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g711_wavs_as_telephony_tools_write_them_are_transcribed() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    for (codec, tag) in [("pcm_mulaw", 7u16), ("pcm_alaw", 6u16)] {
        let g711 = ffmpeg(
            &jfk_wav(),
            &["-ar", "16000", "-ac", "1", "-c:a", codec],
            "wav",
        );
        let wav = telephony_wav(&g711, tag);
        let head = std::fs::read(&wav).unwrap();
        assert_eq!(&head[16..20], &16u32.to_le_bytes(), "16-byte fmt chunk");
        assert!(!head.windows(4).any(|w| w == b"fact"));
        let (s, body) = app.upload(&wav, &[]).await;
        assert_eq!(s, 202, "{codec}: {body}");
        let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
        assert_eq!(ev["codec"], codec);
        let text = ev["transcript"]["text"].as_str().unwrap();
        let w = wer(JFK, text);
        assert!(w <= 0.25, "{codec}: WER {w:.2}: {text}");
    }
    app.stop().await;
}

async fn admin_status(app: &TestApp, base: &str, header: Option<(&str, &str)>) -> u16 {
    let mut r = app.client.get(format!("{base}/api/admin/queue"));
    if let Some((k, v)) = header {
        r = r.header(k, v);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_without_token_refuses_proxied_requests_and_knows_mapped_loopback() {
    let (_tmp, data) = temp_data();
    // Dual-stack bind: IPv4 clients arrive as ::ffff:127.0.0.1.
    let app = TestApp::start(settings(&data, &[("SUSURRO_ADDR", "[::]:0")])).await;
    let v4 = format!("http://127.0.0.1:{}", app.addr.port());
    assert_eq!(admin_status(&app, &v4, None).await, 200);
    for proxy in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        assert_eq!(admin_status(&app, &v4, Some(proxy)).await, 403, "{proxy:?}");
    }
    app.stop().await;
    // With a token, a proxied request with the token is fine.
    let app = TestApp::start(settings(&data, &[("ADMIN_TOKEN", "t0k")])).await;
    let r = app
        .client
        .get(format!("{}/api/admin/queue", app.base))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth("t0k")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_name_only_installed_models_and_fields_are_bounded() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let clip = std::fs::read(jfk_wav()).unwrap();
    // A catalog model that is not installed: 400 listing what is, no download.
    let (s, body) = app
        .upload_bytes(clip.clone(), "a.wav", &[("model", "large-v3")])
        .await;
    assert_eq!(s, 400, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("tiny.en") && msg.contains("large-v3"), "{msg}");
    assert!(!models_dir().join("ggml-large-v3.bin.part").exists());
    assert!(app.state.models.downloads.progress_of("large-v3").is_none());

    // A 1 MB text field: refused while it streams, not echoed back.
    let huge = "x".repeat(1 << 20);
    for field in ["language", "prompt", "response_format", "anything"] {
        let (s, body) = app
            .upload_bytes(clip.clone(), "a.wav", &[(field, &huge)])
            .await;
        assert_eq!(s, 400, "{field}: {body}");
        assert!(body.to_string().len() < 300, "{field}: echoed: {body}");
    }
    // NUL bytes and non-UTF-8.
    let (s, body) = app
        .upload_bytes(clip.clone(), "a.wav", &[("language", "e\0s")])
        .await;
    assert_eq!(s, 400, "{body}");
    let form = reqwest::multipart::Form::new()
        .part(
            "audio",
            reqwest::multipart::Part::bytes(clip.clone()).file_name("a.wav"),
        )
        .part("prompt", reqwest::multipart::Part::bytes(vec![0xC3, 0x28]));
    let r = app
        .client
        .post(format!("{}/api/events", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The same bound on /v1.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(clip.clone()).file_name("a.wav"),
        )
        .text("response_format", huge.clone());
    let r = app
        .client
        .post(format!("{}/v1/audio/transcriptions", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().len() < 400);

    // Numeric admin inputs.
    for days in [json!(-1), json!(1e308), json!(36_501)] {
        let r = app
            .client
            .post(format!("{}/api/admin/purge-transcripts", app.base))
            .json(&json!({ "older_than_days": days }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{days}");
    }
    let (s, _) = app.get_json("/api/events?limit=100000").await;
    assert_eq!(s, 400);
    // Nothing was stored for any refused upload.
    let left: Vec<_> = std::fs::read_dir(data.join("audio")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescued_job_out_of_attempts_fails_its_event_and_deletes_its_audio() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("JOB_LEASE_SECONDS", "1")])).await;
    app.state.runner.stop();
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(std::fs::read_dir(data.join("audio")).unwrap().count(), 1);
    // A worker that claims the job on its last attempt and dies.
    sqlx::query("update jobs set max_attempts = 1 where kind = 'stt'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let claimed = app
        .state
        .queue
        .claim("ghost", &[susurro::queue::JobKind::Stt], 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // The service's own rescuer (every lease/2) discards it.
    let ev = app
        .wait_event(&id, Duration::from_secs(20), |e| e["status"] == "failed")
        .await;
    assert!(
        ev["error"].as_str().unwrap().contains("lease expired"),
        "{ev}"
    );
    // The file goes right after the transaction that failed the event
    // commits (a file cannot be part of it).
    crate::common::poll(
        Duration::from_secs(5),
        "a failed event's audio deleted",
        async || {
            let left: Vec<_> = std::fs::read_dir(data.join("audio")).unwrap().collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    )
    .await;
    let (path,): (Option<String>,) = sqlx::query_as("select audio_path from events where id = $1")
        .bind(&id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(path, None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_waits_for_a_concurrent_writer_instead_of_failing() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let other = susurro::store::connect(&format!("sqlite://{}", data.join("susurro.db").display()))
        .await
        .unwrap();
    // Another writer holds the write lock for a while.
    let mut tx = other.begin().await.unwrap();
    sqlx::query("update jobs set priority = priority")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "insert into events (id, status, created_at, updated_at) values ('x', 'queued', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let purge = tokio::spawn({
        let r = app.state.retention.clone();
        async move { r.purge(Some(Duration::ZERO)).await }
    });
    crate::common::holds(
        Duration::from_millis(200),
        "the purge waits for the writer's lock",
        async || !purge.is_finished(),
    )
    .await;
    tx.commit().await.unwrap();
    let report = purge.await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    other.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orphan_sweep_keeps_queued_audio_however_the_data_dir_is_spelled() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    app.state.runner.stop();
    let (s, _) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    // Not due for a long while: the restarted service leaves it queued.
    sqlx::query("update jobs set run_at = 9000000000000")
        .execute(&app.state.pool)
        .await
        .unwrap();
    app.stop().await;
    // An orphan, and the queued upload, both older than the sweep's grace.
    let orphan = data.join("audio/left-behind.upload");
    std::fs::write(&orphan, b"x").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3 * 3600);
    for e in std::fs::read_dir(data.join("audio")).unwrap() {
        let f = std::fs::File::options()
            .write(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(old).unwrap();
    }
    // Restarted with the same folder spelled another way: the cleanup task's
    // first purge (at start) sweeps the orphan. (Creating the orphan after
    // the start would race that purge.)
    std::fs::create_dir_all(data.join("sub")).unwrap();
    let spelled = format!("{}/sub/../.", data.display());
    let app = TestApp::start(settings(&data, &[("SUSURRO_DATA_DIR", &spelled)])).await;
    eventually(
        Duration::from_secs(20),
        "the orphan was not swept",
        async || !orphan.exists(),
    )
    .await;
    // A purge run by hand finds nothing more to sweep.
    let report = app.state.retention.purge(None).await.unwrap();
    assert_eq!(report.purged_audio_files, 0, "{report:?}");
    let kept: Vec<_> = std::fs::read_dir(data.join("audio")).unwrap().collect();
    assert_eq!(kept.len(), 1, "the queued upload was swept: {kept:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn translations_detect_the_spoken_language() {
    require_model("base");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[("WHISPER_MODEL", "base"), ("WHISPER_LANGUAGE", "fr")],
    ))
    .await;
    let spanish = espeak_wav(
        "Hola a todos. Mañana hay que hacer deploy del pull request de la aplicación.",
        "es",
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(&spanish).unwrap()).file_name("nota.wav"),
        )
        .text("response_format", "verbose_json");
    let r = app
        .client
        .post(format!("{}/v1/audio/translations", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["language"], "spanish", "{v}");
    assert_eq!(v["task"], "translate");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_uploads_are_synced_to_disk() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let level: i64 = sqlx::query_scalar("pragma synchronous")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(level, 2, "synchronous=FULL by default");
    app.stop().await;
    let app = TestApp::start(settings(&data, &[("SQLITE_SYNCHRONOUS", "normal")])).await;
    let level: i64 = sqlx::query_scalar("pragma synchronous")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(level, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_field_is_answered_while_the_client_is_still_sending() {
    // The server refuses a field at 4 KiB but reads the rest of the body
    // before answering, so a client that sends slowly gets the 400 instead
    // of a connection closed under it.
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let boundary = "susurro-slow-boundary";
    let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\n");
    let tail = format!("\r\n--{boundary}--\r\n");
    let chunks: Vec<Vec<u8>> = std::iter::once(head.into_bytes())
        .chain((0..64).map(|_| vec![b'x'; 256 * 1024]))
        .chain(std::iter::once(tail.into_bytes()))
        .collect();
    let body = futures_util::stream::iter(chunks).then(|c| async move {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok::<_, std::io::Error>(c)
    });
    let r = app
        .client
        .post(format!("{}/api/events", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("the answer arrives");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("prompt"),
        "{body}"
    );
    app.stop().await;
}
