//! Operability: Prometheus metrics after real transcriptions, JSON logs
//! with the ids of the work they describe.

use crate::common::fileserver::{sha1_hex, FileServer};
use crate::common::process::{command, event, free_port, wait_up};
use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::collections::HashMap;
use std::time::Duration;

/// Every sample of the exposition text: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

pub async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    samples(&r.text().await.unwrap())
}

pub fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_real_transcriptions_uploads_requests_and_downloads() {
    let (_tmp, data) = temp_data();
    // A models folder of its own (tiny.en linked in) so that the download
    // below does not land among the shared test models.
    let models = data.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(require_model("tiny.en"), models.join("ggml-tiny.en.bin")).unwrap();
    let files = FileServer::start().await;
    let blob: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
    files.put("ggml-metrics-probe.bin", blob.clone());
    let catalog = data.join("catalog.json");
    std::fs::write(
        &catalog,
        serde_json::json!([{ "name": "metrics-probe",
            "url": format!("{}/ggml-metrics-probe.bin", files.base), "sha1": sha1_hex(&blob) }])
        .to_string(),
    )
    .unwrap();
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODELS_DIR", models.to_str().unwrap()),
            ("WHISPER_MODELS_CATALOG", catalog.to_str().unwrap()),
        ],
    ))
    .await;
    let before = scrape(&app).await;

    // Two real transcriptions, one refused format, one empty file.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (s, ev) = app.upload(&jfk_wav(), &[]).await;
        assert_eq!(s, 202, "{ev}");
        ids.push(ev["id"].as_str().unwrap().to_string());
    }
    let mut audio_ms = 0;
    for id in &ids {
        audio_ms += app.wait_transcribed(id).await["duration_ms"]
            .as_u64()
            .unwrap();
    }
    let (s, _) = app
        .upload_bytes(b"just some text, not audio".repeat(20), "a.txt", &[])
        .await;
    assert_eq!(s, 415);
    let (s, _) = app.upload_bytes(Vec::new(), "empty.wav", &[]).await;
    assert_eq!(s, 422);
    // A verified model download through the admin API.
    let (status, _) = app
        .post_json(
            "/api/admin/models/download",
            &serde_json::json!({ "size": "metrics-probe" }),
        )
        .await;
    assert_eq!(status, 202);
    eventually(
        Duration::from_secs(30),
        "download did not finish",
        || async { models.join("ggml-metrics-probe.bin").exists() },
    )
    .await;
    let verified = r#"susurro_model_downloads_total{model="metrics-probe",outcome="verified"}"#;
    eventually(Duration::from_secs(5), "the download counted", async || {
        get(&scrape(&app).await, verified) == 1.0
    })
    .await;

    let after = scrape(&app).await;
    let moved = |k: &str| get(&after, k) - get(&before, k);
    // The queue gauge is this service's database: exactly the two jobs.
    assert_eq!(
        get(&after, r#"susurro_jobs{kind="stt",state="completed"}"#),
        2.0,
        "{after:?}"
    );
    assert_eq!(
        get(&after, r#"susurro_jobs{kind="stt",state="available"}"#),
        0.0
    );
    // Process-wide series (other tests run beside this one): at least ours.
    assert!(moved(r#"susurro_job_duration_seconds_count{kind="stt",outcome="completed"}"#) >= 2.0);
    assert!(moved(r#"susurro_job_duration_seconds_sum{kind="stt",outcome="completed"}"#) > 0.0);
    // The two recordings' audio (whole seconds of a running total).
    assert!(
        moved("susurro_transcribed_audio_seconds_total") >= (audio_ms / 1000) as f64 - 1.0,
        "{audio_ms} ms: {after:?}"
    );
    assert!(moved("susurro_transcription_realtime_factor_count") >= 2.0);
    let rtf = get(&after, "susurro_transcription_realtime_factor_sum")
        / get(&after, "susurro_transcription_realtime_factor_count");
    assert!(rtf > 0.0 && rtf < 10.0, "realtime factor {rtf}");
    assert!(moved(r#"susurro_uploads_total{outcome="accepted"}"#) >= 2.0);
    assert!(moved(r#"susurro_uploads_total{outcome="unsupported"}"#) >= 1.0);
    assert!(moved(r#"susurro_uploads_total{outcome="invalid"}"#) >= 1.0);
    // Requests by route template, never by id.
    assert!(
        moved(r#"susurro_http_requests_total{method="POST",route="/api/events",status="202"}"#)
            >= 2.0
    );
    assert!(
        moved(r#"susurro_http_requests_total{method="GET",route="/api/events/{id}",status="200"}"#)
            >= 2.0
    );
    assert!(
        moved(
            r#"susurro_http_request_duration_seconds_count{method="POST",route="/api/events",status="415"}"#
        ) >= 1.0
    );
    assert!(!after
        .keys()
        .any(|k| ids.iter().any(|id| k.contains(id.as_str()))));
    assert_eq!(get(&after, r#"susurro_model_loaded{model="tiny.en"}"#), 1.0);
    assert_eq!(
        get(
            &after,
            r#"susurro_model_downloads_total{model="metrics-probe",outcome="verified"}"#
        ),
        1.0
    );
    // The admin rule: through a proxy without ADMIN_TOKEN, refused.
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_with_job_and_request_ids() {
    let (_tmp, data) = temp_data();
    let port = free_port();
    let log = data.join("stderr.log");
    let mut child = command(
        &data,
        port,
        &[
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info,tower_http=debug"),
        ],
    )
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_up(&client, &base).await;
    let form = reqwest::multipart::Form::new().part(
        "audio",
        reqwest::multipart::Part::bytes(std::fs::read(jfk_wav()).unwrap()).file_name("jfk.wav"),
    );
    let r = client
        .post(format!("{base}/api/events"))
        .header("x-request-id", "req-under-test-1")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["x-request-id"], "req-under-test-1");
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    eventually(Duration::from_secs(120), "transcribed", async || {
        event(&client, &base, &id).await["status"] == "transcribed"
    })
    .await;
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines
        .iter()
        .all(|l| l["timestamp"].is_string() && l["level"].is_string()));
    let transcribed = lines
        .iter()
        .find(|l| l["message"] == "transcribed")
        .expect("a transcribed line");
    assert_eq!(
        transcribed["span"]["event_id"],
        id.as_str(),
        "{transcribed}"
    );
    assert!(transcribed["span"]["job_id"].is_string(), "{transcribed}");
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == "req-under-test-1"
                && l["span"]["path"] == "/api/events"),
        "no line in the request's span:\n{text}"
    );
}
