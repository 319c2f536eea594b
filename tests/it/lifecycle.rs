//! Transcript lifecycle and admin: TTL and purge, the cleanup loop under a
//! controlled clock, admin auth, worker control, glossary, extract webhook.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use axum::http::HeaderMap;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn get_status(app: &TestApp, path: &str, token: Option<&str>) -> u16 {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn post(app: &TestApp, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
    let mut req = app.client.post(format!("{}{path}", app.base)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_expire_and_purge_deletes_them_and_their_audio() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    // TTL of half a day; audio kept an hour after transcription; time moves
    // only when the test says.
    let clock = susurro::clock::ManualClock::starting_now();
    let app = TestApp::start_with_clock(
        settings(
            &data,
            &[
                ("TRANSCRIPT_TTL_DAYS", "0.5"),
                ("AUDIO_RETENTION_HOURS", "1"),
            ],
        ),
        clock.clock(),
    )
    .await;
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    app.wait_transcribed(&id).await;
    let (_, stats) = app.get_json("/api/admin/transcripts").await;
    assert_eq!(stats["count"], 1, "{stats}");
    assert_eq!(stats["by_language"]["en"], 1);
    assert!(stats["total_audio_ms"].as_i64().unwrap() > 5_000);
    assert_eq!(stats["expiring_in_24h"], 1);
    assert_eq!(
        crate::common::backend::stored_audio(&data).await.len(),
        1,
        "audio kept (AUDIO_RETENTION_HOURS)"
    );

    // Nothing to purge before expiry; a day later it has expired.
    let (s, report) = post(&app, "/api/admin/purge-transcripts", json!({}), None).await;
    assert_eq!(
        (s, &report["purged_transcripts"]),
        (200, &json!(0)),
        "{report}"
    );
    clock.advance(Duration::from_secs(86_400));
    let (s, report) = post(&app, "/api/admin/purge-transcripts", json!({}), None).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["purged_transcripts"], 1, "{report}");
    assert_eq!(report["purged_audio_files"], 1, "{report}");
    assert!(report["bytes_freed"].as_u64().unwrap() > 100_000);
    assert!(crate::common::backend::stored_audio(&data).await.is_empty());

    let (_, ev) = app.get_json(&format!("/api/events/{id}")).await;
    assert_eq!(ev["status"], "expired");
    assert!(ev["transcript"].is_null());
    let (_, stats) = app.get_json("/api/admin/transcripts").await;
    assert_eq!(stats["count"], 0);
    let (_, list) = app.get_json("/api/events?status=expired").await;
    assert_eq!(list["events"][0]["id"], id.as_str());

    // older_than_days purges fresh transcripts too.
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    app.wait_transcribed(body["id"].as_str().unwrap()).await;
    let (_, report) = post(
        &app,
        "/api/admin/purge-transcripts",
        json!({"older_than_days": 0}),
        None,
    )
    .await;
    assert_eq!(report["purged_transcripts"], 1, "{report}");
    let (s, _) = post(
        &app,
        "/api/admin/purge-transcripts",
        json!({"older_than_days": -1}),
        None,
    )
    .await;
    assert_eq!(s, 400);
    app.stop().await;
}

/// A database for the data folder `dir` and a queue over it.
async fn queue_in(dir: &std::path::Path) -> (susurro::store::Pool, susurro::queue::Queue) {
    let pool = susurro::store::connect(&crate::common::backend::database_url(dir))
        .await
        .unwrap();
    let queue = susurro::queue::Queue::new(pool.clone(), Duration::from_secs(30));
    (pool, queue)
}

/// Retention over `queue`'s database with the default periods (audio a day,
/// jobs a week, discarded ones 30 days), audio in `audio_dir`.
fn retention_of(
    queue: &susurro::queue::Queue,
    audio_dir: std::path::PathBuf,
    clock: susurro::clock::Clock,
) -> susurro::retention::Retention {
    susurro::retention::Retention {
        pool: queue.pool().clone(),
        queue: queue.clone(),
        audio: susurro::storage::AudioStore::local(audio_dir),
        audio_retention: Duration::from_secs(24 * 3600),
        job_retention: (
            Duration::from_secs(7 * 86_400),
            Duration::from_secs(30 * 86_400),
        ),
        clock,
    }
}

/// `extract` jobs whose transcript is gone, or whose payload names no
/// event, are pruned by a purge; one whose transcript is stored stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_drops_extract_jobs_that_can_never_deliver() {
    use susurro::jobs::payload::{Extract, Payload};
    use susurro::queue::{EnqueueOptions, JobState};
    let dir = tempfile::tempdir().unwrap();
    let (pool, queue) = queue_in(dir.path()).await;
    let event = |name: &str| new_event(name, 10);
    let kept = susurro::ingest::enqueue_event(&queue, &event("kept.upload"))
        .await
        .unwrap();
    let gone = susurro::ingest::enqueue_event(&queue, &event("gone.upload"))
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let transcript = susurro::store::events::store_transcript(
        &mut tx,
        &kept,
        &susurro::stt::Transcription::default(),
        None,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let extract = |event_id: &susurro::store::events::EventId| Extract {
        event_id: event_id.clone(),
        transcript_id: transcript.clone(),
    };
    let opts = EnqueueOptions::default();
    let live = queue
        .enqueue(Extract::KIND, &extract(&kept).encode(), &opts)
        .await
        .unwrap();
    let stale = queue
        .enqueue(Extract::KIND, &extract(&gone).encode(), &opts)
        .await
        .unwrap();
    let garbled = queue
        .enqueue(Extract::KIND, &json!({ "event_id": 42 }), &opts)
        .await
        .unwrap();
    let retention = retention_of(&queue, dir.path().join("audio"), queue.clock().clone());
    let report = retention.purge(None).await.unwrap();
    assert_eq!(report.pruned_jobs, 2, "{report:?}");
    assert_eq!(queue.job_state(live).await.unwrap().0, JobState::Available);
    for id in [stale, garbled] {
        assert!(
            matches!(
                queue.job_state(id).await,
                Err(susurro::queue::QueueError::NotFound(_))
            ),
            "job {id} still there"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cleanup_loop_purges_on_its_schedule_under_a_controlled_clock() {
    let dir = tempfile::tempdir().unwrap();
    // The audio stays in a local folder here (the S3 store's sweep is in cluster.rs).
    let (pool, queue) = queue_in(dir.path()).await;
    let audio_dir = dir.path().join("audio");
    std::fs::create_dir_all(&audio_dir).unwrap();
    let audio = audio_dir.join("a.upload");
    std::fs::write(&audio, vec![1u8; 1000]).unwrap();
    let id = susurro::ingest::enqueue_event(&queue, &new_event(&audio.to_string_lossy(), 1000))
        .await
        .unwrap();
    let t = susurro::stt::Transcription {
        text: "hola".into(),
        language: Some("es".into()),
        model: "base".into(),
        segments: vec![],
        duration_ms: 1000,
        inference_ms: 1,
        prompt: None,
        no_speech: false,
    };
    let mut tx = pool.begin().await.unwrap();
    susurro::store::events::store_transcript(&mut tx, &id, &t, None, Duration::from_secs(3600))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The clock starts now; the loop ticks every 50 ms of real time.
    let clock = susurro::clock::ManualClock::starting_now();
    let retention = retention_of(&queue, audio_dir, clock.clock());
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(retention.run(Duration::from_millis(50), stop.clone()));
    let status = |pool: susurro::store::Pool, id: susurro::store::events::EventId| async move {
        sqlx::query_scalar::<_, String>("select status from events where id = $1")
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    // Four ticks with the clock standing still: nothing expires.
    holds(Duration::from_millis(200), "not expired yet", async || {
        status(pool.clone(), id.clone()).await == "transcribed" && audio.exists()
    })
    .await;

    // A file no event points at, fresh: left alone (it may be an upload in progress).
    let orphan = dir.path().join("audio").join("orphan.upload");
    std::fs::write(&orphan, vec![0u8; 500]).unwrap();
    holds(
        Duration::from_millis(150),
        "a fresh orphan is left alone",
        async || orphan.exists(),
    )
    .await;

    // Move the clock past the TTL (and the orphan grace hour): the next ticks purge.
    clock.advance(Duration::from_secs(7_200));
    eventually(Duration::from_secs(5), "the loop did not purge", || async {
        status(pool.clone(), id.clone()).await == "expired"
    })
    .await;
    let n: i64 = sqlx::query_scalar("select count(*) from transcripts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    eventually(
        Duration::from_secs(5),
        "expired audio not deleted",
        || async { !audio.exists() },
    )
    .await;
    eventually(
        Duration::from_secs(5),
        "orphaned file not deleted",
        || async { !orphan.exists() },
    )
    .await;
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_and_api_tokens_are_enforced() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[("ADMIN_TOKEN", "adm-s3cret"), ("API_TOKEN", "api-t0ken")],
    ))
    .await;
    for path in [
        "/api/admin/queue",
        "/api/admin/models",
        "/api/admin/workers",
        "/api/admin/transcripts",
    ] {
        assert_eq!(get_status(&app, path, None).await, 401, "{path}");
        assert_eq!(get_status(&app, path, Some("wrong")).await, 401, "{path}");
        assert_eq!(
            get_status(&app, path, Some("adm-s3cret")).await,
            200,
            "{path}"
        );
    }
    let (s, _) = post(
        &app,
        "/api/admin/workers/stop",
        json!({}),
        Some("api-t0ken"),
    )
    .await;
    assert_eq!(s, 401, "the API token is not an admin token");
    let r = app
        .client
        .get(format!("{}/api/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(
        get_status(&app, "/api/events", Some("api-t0ken")).await,
        200
    );
    assert_eq!(
        get_status(&app, "/health", None).await,
        200,
        "health stays open"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_workers_leave_uploads_queued_until_started() {
    require_model("tiny.en");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let (s, w) = post(&app, "/api/admin/workers/stop", json!({}), None).await;
    assert_eq!(s, 200);
    assert_eq!(w["running"], false);
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    holds(
        Duration::from_millis(500),
        "the upload stays queued",
        async || app.get_json(&format!("/api/events/{id}")).await.1["status"] == "queued",
    )
    .await;
    let (_, q) = app.get_json("/api/admin/queue").await;
    assert_eq!(q["counts"]["stt"]["available"], 1, "{q}");
    assert!(q["oldest_available_age_ms"].as_i64().unwrap() >= 500);
    let (s, w) = post(&app, "/api/admin/workers/start", json!({}), None).await;
    assert_eq!(s, 200);
    assert_eq!(w["running"], true);
    app.wait_transcribed(&id).await;
    let (_, w) = app.get_json("/api/admin/workers").await;
    assert_eq!(w["slots"], 2);
    app.stop().await;
}

/// A workers/stop must stick: a heartbeat that read the wanted state just
/// before the change must not apply the old state after it (seen once in CI
/// on PostgreSQL, at start-up under load: a transcription started after
/// `workers/stop`; `Node` now orders reading and writing the state). Many
/// stops at the shortest sync interval; this did not reproduce the CI
/// failure on an idle machine, it guards the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_racing_the_heartbeat_sticks() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("CLUSTER_SYNC_INTERVAL_MS", "100")])).await;
    for round in 0..25 {
        let (s, w) = post(&app, "/api/admin/workers/stop", json!({}), None).await;
        assert_eq!((s, &w["running"]), (200, &json!(false)));
        // For two beats and more (a different phase each round) the node
        // must stay stopped.
        let during = Duration::from_millis(230 + (round * 37) % 100);
        let what = format!("round {round}: restarted by a stale beat");
        holds(during, &what, async || {
            app.get_json("/api/admin/workers").await.1["running"] == false
        })
        .await;
        let (s, _) = post(&app, "/api/admin/workers/start", json!({}), None).await;
        assert_eq!(s, 200);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glossary_reaches_whisper_and_spanish_stays_spanish() {
    require_model("base");
    let (_tmp, data) = temp_data();
    let glossary = data.join("glossary.txt");
    std::fs::write(
        &glossary,
        "# términos técnicos\ndeploy\npull request\nKubernetes\nstaging\n",
    )
    .unwrap();
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODEL", "base"),
            ("WHISPER_LANGUAGE", "es"),
            ("WHISPER_GLOSSARY", glossary.to_str().unwrap()),
            (
                "WHISPER_INITIAL_PROMPT",
                "Notas de voz del equipo de desarrollo.",
            ),
            ("WHISPER_THREADS", "2"),
        ],
    ))
    .await;
    // Real Spanish speech from ../shared when present (needs ../shared), else espeak-ng.
    let (clip, reference) = match shared_dir() {
        Some(s) => (
            s.join("eval/es/picovoice_test_es.wav"),
            "Las arenas son blanquecinas de grano medio y tiene muy poca asistencia.",
        ),
        None => (
            espeak_wav("hay que hacer deploy del pull request en staging", "es"),
            "hay que hacer deploy del pull request en staging",
        ),
    };
    let (s, body) = app
        .upload(&clip, &[("prompt", "revisión del sprint")])
        .await;
    assert_eq!(s, 202);
    let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
    let t = &ev["transcript"];
    assert_eq!(t["language"], "es");
    let prompt = t["prompt"].as_str().unwrap();
    assert!(
        prompt.starts_with("deploy, pull request, Kubernetes, staging."),
        "{prompt}"
    );
    assert!(
        prompt.contains("Notas de voz") && prompt.ends_with("revisión del sprint"),
        "{prompt}"
    );
    let text = t["text"].as_str().unwrap();
    if shared_dir().is_some() {
        assert!(wer(reference, text) < 0.5, "{text}");
    } else {
        // espeak-ng's Spanish is hard to hear: ask for some of its words back.
        let heard = words(text);
        let hits = words(reference)
            .iter()
            .filter(|w| heard.contains(w))
            .count();
        assert!(hits >= 3, "{text}");
    }
    app.stop().await;
}

#[derive(Default)]
struct Receiver {
    calls: AtomicUsize,
    fail_first: usize,
    always_fail: bool,
    accepted: Mutex<Vec<(HeaderMap, Vec<u8>)>>,
}

async fn receiver(state: Arc<Receiver>) -> String {
    use axum::extract::State;
    use axum::routing::post;
    async fn hook(
        State(st): State<Arc<Receiver>>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> axum::http::StatusCode {
        let n = st.calls.fetch_add(1, Ordering::SeqCst);
        if st.always_fail || n < st.fail_first {
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        st.accepted.lock().unwrap().push((headers, body.to_vec()));
        axum::http::StatusCode::NO_CONTENT
    }
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extract_webhook_gets_a_signed_payload_after_retries() {
    require_model("tiny.en");
    let ok = Arc::new(Receiver {
        fail_first: 2,
        ..Default::default()
    });
    let ok_url = receiver(ok.clone()).await;
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[
            ("EXTRACT_WEBHOOK_URL", &ok_url),
            ("EXTRACT_WEBHOOK_SECRET", "whsec"),
            ("JOB_BACKOFF_BASE_MS", "50"),
            ("JOB_BACKOFF_MAX_MS", "200"),
        ],
    ))
    .await;
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    app.wait_transcribed(&id).await;
    eventually(
        Duration::from_secs(30),
        "webhook never accepted",
        || async { !ok.accepted.lock().unwrap().is_empty() },
    )
    .await;
    assert_eq!(
        ok.calls.load(Ordering::SeqCst),
        3,
        "two failures, then accepted"
    );
    let (headers, body) = ok.accepted.lock().unwrap()[0].clone();
    let ts: i64 = headers["x-susurro-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sig = headers["x-susurro-signature"].to_str().unwrap();
    assert_eq!(sig, susurro::jobs::extract::sign("whsec", ts, &body));
    assert!((susurro::clock::now_ms() / 1000 - ts).abs() < 60);
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["event"]["id"], id.as_str());
    assert_says(
        JFK,
        payload["event"]["transcript"]["text"].as_str().unwrap(),
    );
    assert!(payload["transcript_id"].is_string());
    eventually(
        Duration::from_secs(10),
        "an extract job completed",
        async || {
            let (_, q) = app.get_json("/api/admin/queue").await;
            q["counts"]["extract"]["completed"] == 1
        },
    )
    .await;
    app.stop().await;

    // A receiver that always fails: the job is discarded with the reason.
    let bad = Arc::new(Receiver {
        always_fail: true,
        ..Default::default()
    });
    let bad_url = receiver(bad.clone()).await;
    let (_tmp2, data2) = temp_data();
    let app = TestApp::start(settings(
        &data2,
        &[
            ("EXTRACT_WEBHOOK_URL", &bad_url),
            ("JOB_BACKOFF_BASE_MS", "20"),
            ("JOB_BACKOFF_MAX_MS", "100"),
        ],
    ))
    .await;
    let (_, body) = app.upload(&jfk_wav(), &[]).await;
    app.wait_transcribed(body["id"].as_str().unwrap()).await;
    eventually(
        Duration::from_secs(30),
        "an extract job discarded",
        async || {
            let (_, q) = app.get_json("/api/admin/queue").await;
            q["counts"]["extract"]["discarded"] == 1
        },
    )
    .await;
    let (state, attempts, err): (String, i64, String) =
        sqlx::query_as("select state, attempts, last_error from jobs where kind = 'extract'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("discarded", 8));
    assert!(err.contains("500"), "{err}");
    assert_eq!(bad.calls.load(Ordering::SeqCst), 8);
    app.stop().await;
}
