//! Several nodes on one PostgreSQL and one S3 bucket (real servers, started
//! by `scripts/with-pg-s3`): a node killed mid-transcription loses nothing
//! and duplicates nothing, a model swap reaches every node, workers stop
//! and start on one node or all, the orphan sweep works on the bucket, a
//! node without a certificate store still reaches the bucket.
//! Ignored in the SQLite run; `scripts/test` runs them under
//! `scripts/with-pg-s3` with `--include-ignored`.

use crate::common::backend::{self, require_postgres};
use crate::common::process::{self, free_port, wait_up};
use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The database and audio store every node of one test shares.
fn shared(dir: &Path) -> [(&'static str, String); 2] {
    [
        ("DATABASE_URL", backend::database_url(dir)),
        ("AUDIO_STORE_URL", backend::audio_store_url(dir)),
    ]
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn wait_for(what: &str, limit: Duration, check: impl AsyncFnMut() -> bool) {
    eventually(limit, what, check).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn two_nodes_one_killed_mid_transcription_transcribe_every_upload_exactly_once() {
    require_postgres();
    require_model("tiny.en");
    let (_c, cluster) = temp_data();
    let shared = shared(&cluster);
    let (_a, data_a) = temp_data();
    let (_b, data_b) = temp_data();
    let (port_a, port_b) = (free_port(), free_port());
    let env: Vec<(&str, &str)> = shared
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain([
            ("CLUSTER_SYNC_INTERVAL_MS", "300"),
            ("JOB_LEASE_SECONDS", "2"),
        ])
        .collect();
    // Node A's media child takes a second before it decodes, so that a job
    // seen running on A is still running when A is killed (a jfk job can
    // otherwise finish between the look and the kill: nothing to rescue).
    let slow_child = data_a.join("slow-child.sh");
    std::fs::write(
        &slow_child,
        format!(
            "#!/bin/sh\nsleep 1\nexec {} \"$@\"\n",
            env!("CARGO_BIN_EXE_susurro")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &slow_child,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let slow = slow_child.display().to_string();
    let env_a: Vec<(&str, &str)> = env
        .iter()
        .copied()
        .chain([("MEDIA_CHILD_EXE", slow.as_str())])
        .collect();
    let mut node_a = process::serve(&data_a, port_a, &env_a);
    let mut node_b = process::serve(&data_b, port_b, &env);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (a, b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    wait_up(&client, &a).await;
    wait_up(&client, &b).await;
    wait_for("both nodes listed", Duration::from_secs(10), async || {
        let n = get(&client, format!("{b}/api/admin/nodes")).await;
        n["nodes"].as_array().unwrap().len() == 2
    })
    .await;

    // 20 uploads, alternating between the nodes.
    let audio = std::fs::read(jfk_wav()).unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { &a } else { &b };
        ids.push(process::upload(&client, base, &audio, "jfk.wav").await);
    }

    // Kill node A while it transcribes.
    wait_for("node A to run a job", Duration::from_secs(60), async || {
        let w = get(&client, format!("{a}/api/admin/workers")).await;
        !w["jobs"].as_array().unwrap().is_empty()
    })
    .await;
    let nodes = get(&client, format!("{b}/api/admin/nodes")).await;
    let a_id = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] != nodes["this_node"])
        .unwrap()["id"]
        .clone();
    node_a.kill().unwrap();
    node_a.wait().unwrap();

    // Node B transcribes everything, the killed node's job included.
    for id in &ids {
        let ev = process::wait_done(&client, &b, id, Duration::from_secs(240)).await;
        assert_eq!(ev["status"], "transcribed", "{ev}");
        assert!(ev["transcript"]["text"]
            .as_str()
            .unwrap()
            .contains("country"));
    }
    let pool = susurro::store::connect(&shared[0].1).await.unwrap();
    let (transcripts, events): (i64, i64) =
        sqlx::query_as("select count(*), count(distinct event_id) from transcripts")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((transcripts, events), (20, 20), "one transcript per upload");
    let completed: i64 =
        sqlx::query_scalar("select count(*) from jobs where kind = 'stt' and state = 'completed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(completed, 20);
    // The job the killed node held was rescued and run again (its second
    // attempt); completing clears its last error.
    let rescued: i64 =
        sqlx::query_scalar("select count(*) from jobs where kind = 'stt' and attempts > 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(rescued >= 1, "the killed node's job was rescued and rerun");

    // Stats are the cluster's: node B counts the jobs node A completed too.
    let q = get(&client, format!("{b}/api/admin/queue")).await;
    assert_eq!(q["counts"]["stt"]["completed"], 20, "{q}");
    let t = get(&client, format!("{b}/api/admin/transcripts")).await;
    assert_eq!(t["count"], 20, "{t}");

    // No audio left in the bucket (AUDIO_RETENTION_HOURS=0), after a purge too.
    let r = client
        .post(format!("{b}/api/admin/purge-transcripts"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let left = backend::stored_audio(&cluster).await;
    assert!(left.is_empty(), "audio objects left: {left:?}");

    // The dead node drops off the list; B's row stays.
    wait_for(
        "the dead node to drop off",
        Duration::from_secs(20),
        async || {
            let n = get(&client, format!("{b}/api/admin/nodes")).await;
            let ids: Vec<&Value> = n["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| &n["id"])
                .collect();
            ids.len() == 1 && *ids[0] != a_id
        },
    )
    .await;
    node_b.kill().unwrap();
    node_b.wait().unwrap();
}

/// Two in-process nodes on the shared database and bucket; `b_extra` adds
/// settings of node B.
async fn two_nodes(
    cluster: &Path,
    a: &Path,
    b: &Path,
    b_extra: &[(&str, &str)],
) -> (TestApp, TestApp) {
    let shared = shared(cluster);
    let extra: Vec<(&str, &str)> = shared
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain([("CLUSTER_SYNC_INTERVAL_MS", "200")])
        .collect();
    let with_b: Vec<(&str, &str)> = extra.iter().chain(b_extra).copied().collect();
    (
        TestApp::start(settings(a, &extra)).await,
        TestApp::start(settings(b, &with_b)).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn a_model_swap_on_one_node_reaches_the_other() {
    require_postgres();
    let tiny = require_model("tiny.en");
    let base = require_model("base");
    let (_c, cluster) = temp_data();
    let (_a, data_a) = temp_data();
    let (_b, data_b) = temp_data();
    // Node B has only tiny.en; its catalog offers base from a local server.
    let b_models = data_b.join("models");
    std::fs::create_dir_all(&b_models).unwrap();
    std::os::unix::fs::symlink(&tiny, b_models.join("ggml-tiny.en.bin")).unwrap();
    let server = crate::common::fileserver::FileServer::start().await;
    let bytes = std::fs::read(&base).unwrap();
    let sha1 = crate::common::fileserver::sha1_hex(&bytes);
    server.put("ggml-base.bin", bytes);
    let catalog = data_b.join("catalog.json");
    let entry =
        json!([{ "name": "base", "url": format!("{}/ggml-base.bin", server.base), "sha1": sha1 }]);
    std::fs::write(&catalog, entry.to_string()).unwrap();
    let (a, b) = two_nodes(
        &cluster,
        &data_a,
        &data_b,
        &[
            ("WHISPER_MODELS_DIR", b_models.to_str().unwrap()),
            ("WHISPER_MODELS_CATALOG", catalog.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(b.state.engine.active().as_str(), "tiny.en");

    let (s, body) = a
        .post_json("/api/admin/models/active", &json!({ "size": "base" }))
        .await;
    assert_eq!(s, 200, "{body}");
    wait_for(
        "node B to follow the swap",
        Duration::from_secs(30),
        async || {
            let (_, m) = b.get_json("/api/admin/models").await;
            m["active"] == "base"
        },
    )
    .await;
    assert!(
        b_models.join("ggml-base.bin").is_file(),
        "node B downloaded the model it lacked"
    );
    // Both report it at their next heartbeat.
    wait_for(
        "both nodes to report base",
        Duration::from_secs(10),
        async || {
            let (_, nodes) = b.get_json("/api/admin/nodes").await;
            let models: Vec<&Value> = nodes["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| &n["model"])
                .collect();
            models == [&json!("base"), &json!("base")]
        },
    )
    .await;

    // New jobs on B use it.
    a.post_json("/api/admin/workers/stop", &json!({})).await;
    let (s, up) = b.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let ev = b.wait_transcribed(up["id"].as_str().unwrap()).await;
    assert_eq!(ev["model"], "base", "{ev}");
    assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());

    // A node started later takes the cluster's model, not WHISPER_MODEL.
    let (_d, data_c) = temp_data();
    let shared = shared(&cluster);
    let c = TestApp::start(settings(
        &data_c,
        &[
            ("DATABASE_URL", shared[0].1.as_str()),
            ("AUDIO_STORE_URL", shared[1].1.as_str()),
        ],
    ))
    .await;
    assert_eq!(c.state.engine.active().as_str(), "base");
    for n in [a, b, c] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn workers_stop_and_start_on_the_node_asked_or_on_all() {
    require_postgres();
    require_model("tiny.en");
    let (_c, cluster) = temp_data();
    let (_a, data_a) = temp_data();
    let (_b, data_b) = temp_data();
    let (a, b) = two_nodes(&cluster, &data_a, &data_b, &[]).await;
    let running = async |n: &TestApp| n.get_json("/api/admin/workers").await.1["running"] == true;

    // Node scope: only A stops.
    let (s, w) = a.post_json("/api/admin/workers/stop", &json!({})).await;
    assert_eq!(
        (s.as_u16(), w["running"].clone(), w["nodes_reached"].clone()),
        (200, json!(false), json!(1))
    );
    crate::common::holds(Duration::from_millis(600), "B keeps running", async || {
        running(&b).await
    })
    .await;

    // Cluster scope: B follows within a few intervals; uploads wait.
    let (s, w) = a
        .post_json("/api/admin/workers/stop?scope=cluster", &json!({}))
        .await;
    assert_eq!((s.as_u16(), w["nodes_reached"].clone()), (200, json!(2)));
    wait_for("B to stop", Duration::from_secs(10), async || {
        !running(&b).await
    })
    .await;
    let (_, up) = b.upload(&jfk_wav(), &[]).await;
    let id = up["id"].as_str().unwrap().to_string();
    crate::common::holds(Duration::from_millis(800), "the upload waits", async || {
        b.get_json(&format!("/api/events/{id}")).await.1["status"] == "queued"
    })
    .await;

    let (s, _) = b
        .post_json("/api/admin/workers/start?scope=cluster", &json!({}))
        .await;
    assert_eq!(s, 200);
    wait_for("A to start", Duration::from_secs(10), async || {
        running(&a).await
    })
    .await;
    let ev = a.wait_transcribed(&id).await;
    assert_eq!(ev["status"], "transcribed");
    let (s, _) = b
        .post_json("/api/admin/workers/stop?scope=everywhere", &json!({}))
        .await;
    assert_eq!(s, 400);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn the_orphan_sweep_and_the_purge_delete_in_the_bucket() {
    require_postgres();
    let (_c, dir) = temp_data();
    let pool = susurro::store::connect(&backend::database_url(&dir))
        .await
        .unwrap();
    let queue = susurro::queue::Queue::new(pool.clone(), Duration::from_secs(30));
    let store =
        susurro::storage::AudioStore::open(&backend::audio_store_url(&dir), dir.join("staging"))
            .unwrap();
    store.create_dirs().unwrap();
    // A referenced recording and an orphan, streamed in as uploads are
    // (the orphan large enough to go up in several parts).
    for (name, size) in [("kept.upload", 1000usize), ("orphan.upload", 20 << 20)] {
        let staged = dir.join("staging").join(name);
        std::fs::write(&staged, vec![7u8; size]).unwrap();
        store.put_file(name, &staged).await.unwrap();
        assert!(!staged.exists(), "the staged file is removed once stored");
    }
    let fetched = store.fetch("orphan.upload").await.unwrap();
    assert_eq!(std::fs::metadata(&fetched.path).unwrap().len(), 20 << 20);
    drop(fetched);
    susurro::ingest::enqueue_event(&queue, &new_event("kept.upload", 1000))
        .await
        .unwrap();
    let retention = |ahead_ms: i64| susurro::retention::Retention {
        pool: pool.clone(),
        queue: queue.clone(),
        audio: store.clone(),
        audio_retention: Duration::ZERO,
        job_retention: (Duration::from_secs(86_400), Duration::from_secs(86_400)),
        clock: susurro::clock::Clock::from_fn(move || susurro::clock::now_ms() + ahead_ms),
    };
    // Fresh: left alone (it may be an upload being stored).
    retention(0).purge(None).await.unwrap();
    assert_eq!(
        backend::stored_audio(&dir).await,
        ["kept.upload", "orphan.upload"]
    );
    // Two hours later the orphan goes; the queued event's audio stays.
    let report = retention(7_200_000).purge(None).await.unwrap();
    assert_eq!(report.purged_audio_files, 1, "{report:?}");
    assert_eq!(report.bytes_freed, 20 << 20);
    assert_eq!(backend::stored_audio(&dir).await, ["kept.upload"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn the_nodes_ride_out_a_postgresql_restart() {
    require_postgres();
    require_model("tiny.en");
    let Ok(pg_ctl) = std::env::var("TEST_PG_CTL") else {
        skip(
            "cluster::the_nodes_ride_out_a_postgresql_restart",
            "TEST_DATABASE_URL is a server of your own (no TEST_PG_CTL to restart it)",
        );
        return;
    };
    let (_c, cluster) = temp_data();
    let (_a, data_a) = temp_data();
    let (_b, data_b) = temp_data();
    let shared = shared(&cluster);
    let on = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        shared
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(extra.iter().copied())
            .collect()
    };
    // A works and polls hourly: only a NOTIFY from B's uploads wakes it in time.
    let a = TestApp::start(settings(
        &data_a,
        &on(&[("WORKER_POLL_INTERVAL_MS", "3600000")]),
    ))
    .await;
    let b = TestApp::start(settings(&data_b, &on(&[]))).await;
    b.state.runner.stop();
    let transcribe_via_b = async || {
        let (s, up) = b.upload(&jfk_wav(), &[]).await;
        assert_eq!(s, 202, "{up}");
        let ev = a
            .wait_event(up["id"].as_str().unwrap(), Duration::from_secs(60), |e| {
                e["status"] == "transcribed"
            })
            .await;
        assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());
    };
    transcribe_via_b().await;

    let restart = std::process::Command::new("sh")
        .args(["-c", &format!("{pg_ctl} -m fast -w restart >/dev/null")])
        .status()
        .unwrap();
    assert!(restart.success(), "pg_ctl restart");

    // Both pools reconnect; A's listener reconnects and is woken again.
    transcribe_via_b().await;
    let (s, nodes) = b.get_json("/api/admin/nodes").await;
    assert_eq!(
        (s.as_u16(), nodes["nodes"].as_array().unwrap().len()),
        (200, 2),
        "{nodes}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn the_event_stream_on_one_node_follows_a_job_running_on_the_other() {
    require_postgres();
    require_model("tiny.en");
    let (_c, cluster) = temp_data();
    let (_a, data_a) = temp_data();
    let (_b, data_b) = temp_data();
    let (a, b) = two_nodes(&cluster, &data_a, &data_b, &[]).await;
    // Only A works: B takes the upload and streams it.
    let (s, _) = b.post_json("/api/admin/workers/stop", &json!({})).await;
    assert_eq!(s, 200);
    let (s, up) = b.upload(&repeated(&jfk_wav(), 5), &[]).await;
    assert_eq!(s, 202, "{up}");
    let id = up["id"].as_str().unwrap();
    let url = format!("{}/api/events/{id}/stream", b.base);
    let mut r = crate::common::sse::SseReader::open(&b.client, &url, None).await;
    let events = r.all(Duration::from_secs(180)).await;
    let stored_at = events
        .iter()
        .position(|e| e.event == "status" && e.json()["status"] == "transcribed")
        .expect("transcribed");
    let segment = |e: &&crate::common::sse::SseEvent| e.event == "segment";
    let live = events[..stored_at].iter().filter(segment).count();
    assert!(live > 0, "no segment from node A before the transcript");
    let texts: Vec<String> = events
        .iter()
        .filter(segment)
        .map(|e| e.json()["text"].as_str().unwrap().to_string())
        .collect();
    let done = events.last().unwrap();
    assert_eq!(done.event, "done");
    let t = &done.json()["transcript"];
    let stored: Vec<&str> = t["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, stored, "each segment once, in order");
    assert_eq!(b.get_json("/api/admin/workers").await.1["running"], false);
    a.stop().await;
    b.stop().await;
}

/// A node on a machine without a certificate store (a minimal container
/// without `ca-certificates`) still builds its S3 client, with the bundled
/// roots and the `AWS_*` client settings it was given (`AWS_ALLOW_HTTP` for
/// this bucket): the upload goes into the bucket and is transcribed from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and S3: scripts/with-pg-s3 (run by scripts/test)"]
async fn a_node_without_a_certificate_store_keeps_audio_in_the_bucket() {
    require_postgres();
    require_model("tiny.en");
    let (_d, data) = temp_data();
    let port = free_port();
    let log = data.join("node.log");
    let (no_file, no_dir) = (data.join("no-such-bundle.pem"), data.join("no-certs"));
    let env = [
        ("SSL_CERT_FILE", no_file.to_str().unwrap()),
        ("SSL_CERT_DIR", no_dir.to_str().unwrap()),
        ("RUST_LOG", "warn"),
    ];
    let mut cmd = process::command(&data, port, &env);
    cmd.stderr(std::fs::File::create(&log).unwrap());
    let _node = process::Server::from(cmd.spawn().unwrap());
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_up(&client, &base).await;
    let id = process::upload(
        &client,
        &base,
        &std::fs::read(jfk_wav()).unwrap(),
        "jfk.wav",
    )
    .await;
    let ev = process::wait_done(&client, &base, &id, Duration::from_secs(120)).await;
    assert_eq!(ev["status"], "transcribed", "{ev}");
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(stderr.contains("using the bundled roots"), "{stderr}");
}
