//! End to end over real HTTP: upload → SQLite queue → in-process whisper →
//! stored transcript, with a real model and real speech.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_is_transcribed_and_survives_a_restart() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;

    let (status, body) = app.upload(&jfk_mp3(), &[("language", "en")]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    let id = body["id"].as_str().unwrap().to_string();

    let ev = app.wait_transcribed(&id).await;
    let t = &ev["transcript"];
    assert_says(JFK, t["text"].as_str().unwrap());
    assert_eq!(t["model"], "tiny.en");
    assert_eq!(t["language"], "en");
    assert!(!t["segments"].as_array().unwrap().is_empty());
    let seg = &t["segments"][0];
    assert!(seg["end_ms"].as_i64().unwrap() > seg["start_ms"].as_i64().unwrap());
    let dur = ev["duration_ms"].as_i64().unwrap();
    assert!((5_000..=15_000).contains(&dur), "duration {dur}");
    assert_eq!(ev["container"], "mp3");
    assert!(t["expires_at"].as_str().unwrap() > t["created_at"].as_str().unwrap());

    // No extractor is configured: no extract job is queued for nobody. The
    // audio is gone.
    let stats = app.state.queue.stats().await.unwrap();
    let extract_rows: i64 = sqlx::query_scalar("select count(*) from jobs where kind = 'extract'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(extract_rows, 0, "{:?}", stats.counts);
    assert_eq!(stats.counts["stt"]["completed"], 1);
    let leftover = crate::common::backend::stored_audio(&data).await;
    assert!(leftover.is_empty(), "audio left behind: {leftover:?}");

    // The list shows it, newest first.
    let (s, list) = app.get_json("/api/events?status=transcribed&limit=5").await;
    assert_eq!(s, 200);
    assert_eq!(list["events"][0]["id"], id.as_str());

    app.stop().await;

    // Same data dir, new process state: the event and transcript are still there.
    let app = TestApp::start(settings(&data, &[])).await;
    let (s, again) = app.get_json(&format!("/api/events/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(again["status"], "transcribed");
    assert_eq!(again["transcript"]["text"], t["text"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_jobs_share_one_loaded_model() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[("WORKER_MAX_CONCURRENT", "2"), ("WHISPER_THREADS", "1")],
    ))
    .await;
    let (wav, mp3) = (jfk_wav(), jfk_mp3());
    let (a, b) = tokio::join!(app.upload(&wav, &[]), app.upload(&mp3, &[]));
    assert_eq!(a.0, 202);
    assert_eq!(b.0, 202);
    for body in [a.1, b.1] {
        let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
        assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());
    }
    let (_, health) = app.get_json("/health").await;
    assert_eq!(health["model_loaded"], true);
    assert_eq!(health["model_loads"], 1, "{health}");
    assert_eq!(app.state.engine.load_count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_audio_is_refused_and_the_server_keeps_serving() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;

    let (status, body) = app
        .upload_bytes(
            b"just some text, not audio at all\n".repeat(40),
            "notes.mp3",
            &[],
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(status, 415, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported"),
        "{body}"
    );

    let (status, body) = app.upload_bytes(Vec::new(), "empty.wav", &[]).await;
    assert!(status.is_client_error(), "{status} {body}");

    let (status, body) = app.upload(&jfk_wav(), &[("language", "klingon")]).await;
    assert_eq!(status, 400, "{body}");

    // Missing audio field.
    let form = reqwest::multipart::Form::new().text("language", "en");
    let r = app
        .client
        .post(format!("{}/api/events", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Nothing was stored or enqueued for the refused uploads.
    let stats = app.state.queue.stats().await.unwrap();
    assert_eq!(
        stats.counts["stt"]["available"] + stats.counts["stt"]["running"],
        0
    );
    assert!(crate::common::backend::stored_audio(&data).await.is_empty());

    let (s, _) = app.get_json("/health").await;
    assert_eq!(s, 200);
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    app.wait_transcribed(body["id"].as_str().unwrap()).await;

    let (s, body) = app.get_json("/api/events/does-not-exist").await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_model_is_reported_with_how_to_get_it() {
    let (_tmp, data) = temp_data();
    let empty_models = data.join("no-models");
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODELS_DIR", empty_models.to_str().unwrap()),
            ("WHISPER_MODEL", "base"),
        ],
    ))
    .await;
    let (s, health) = app.get_json("/health").await;
    assert_eq!(s, 200);
    assert_eq!(health["model_available"], false);
    assert_eq!(health["model_loaded"], false);
    assert!(health["model_error"]
        .as_str()
        .unwrap()
        .contains("susurro models import"));

    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap();
    let ev = app
        .wait_event(id, Duration::from_secs(30), |e| {
            e["error"]
                .as_str()
                .is_some_and(|m| m.contains("susurro models import"))
        })
        .await;
    assert!(ev["transcript"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_with_a_cursor() {
    let (_tmp, data) = temp_data();
    // Workers paused through an absent model: events stay queued.
    let app = TestApp::start(settings(&data, &[("WHISPER_MODELS_DIR", "/nonexistent")])).await;
    let wav = jfk_wav();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (s, b) = app.upload(&wav, &[]).await;
        assert_eq!(s, 202);
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = app
            .get_json(&format!("/api/events?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(s, 200);
        for e in page["events"].as_array().unwrap() {
            seen.push(e["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let (s, _) = app.get_json("/api/events?limit=500").await;
    assert_eq!(s, 400);
    let (s, _) = app.get_json("/api/events?status=bogus").await;
    assert_eq!(s, 400);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_transcription_aborts_whisper_and_frees_the_slot() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[("WORKER_MAX_CONCURRENT", "1"), ("WHISPER_THREADS", "1")],
    ))
    .await;
    let long = repeated(&jfk_wav(), 12);
    let (s, body) = app.upload(&long, &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    app.wait_event(&id, Duration::from_secs(60), |e| {
        e["status"] == "transcribing"
    })
    .await;
    // Once whisper is under way (its chunks are known), cancel through the runner.
    eventually(Duration::from_secs(30), "whisper under way", async || {
        app.state
            .runner
            .in_flight()
            .first()
            .is_some_and(|j| j.chunks_total > 0)
    })
    .await;
    let running = app.state.runner.in_flight();
    assert_eq!(running.len(), 1);
    let prev = app.state.runner.cancel_job(running[0].id).await.unwrap();
    assert_eq!(prev, Some(susurro::queue::JobState::Running));
    let ev = app
        .wait_event(&id, Duration::from_secs(60), |e| e["status"] == "failed")
        .await;
    assert_eq!(ev["error"], "cancelled");
    assert!(ev["transcript"].is_null());
    // The event is failed in the cancelling transaction; whisper stops at its
    // next abort check and frees the slot.
    eventually(
        Duration::from_secs(10),
        "the slot stays taken",
        async || app.state.runner.in_flight().is_empty(),
    )
    .await;

    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    app.wait_transcribed(body["id"].as_str().unwrap()).await;
    app.stop().await;
}
