//! Models: verified, resumable downloads against a local HTTP server; the
//! admin API (list, download, delete, runtime swap); auto-download on first use.

use crate::common::fileserver::{sha1_hex, FileServer};
use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use susurro::jobs::{ModelError, ModelManager};
use susurro::models::catalog::Catalog;
use susurro::models::download::DownloadError;

fn blob(n: usize) -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

fn catalog_file(dir: &Path, entries: &[(&str, String, &str)]) -> std::path::PathBuf {
    let list: Vec<_> = entries
        .iter()
        .map(|(name, url, sha1)| serde_json::json!({ "name": name, "url": url, "sha1": sha1 }))
        .collect();
    let p = dir.join("catalog.json");
    std::fs::write(&p, serde_json::to_string(&list).unwrap()).unwrap();
    p
}

fn manager(dir: &Path, catalog: &Path) -> ModelManager {
    let models = dir.join("models");
    let engine = Arc::new(susurro::stt::Engine::with_active(
        models.clone(),
        &name("none"),
        1,
    ));
    ModelManager::new(
        Catalog::load("http://127.0.0.1:9", Some(catalog)).unwrap(),
        engine,
        models,
        true,
    )
}

/// Pulls `name` as a client would name it (a bad name is the manager's error).
async fn pull(m: &ModelManager, name: &str) -> Result<std::path::PathBuf, ModelError> {
    m.pull(&susurro::models::name::ModelName::parse(name)?)
        .await
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_verified_resumed_shared_and_fail_clearly() {
    let server = FileServer::start().await;
    let data = blob(3 * 1024 * 1024 + 17);
    server.put("ggml-good.bin", data.clone());
    let dir = tempfile::tempdir().unwrap();
    let url = |n: &str| format!("{}/ggml-{n}.bin", server.base);
    let sha = sha1_hex(&data);
    let cat = catalog_file(
        dir.path(),
        &[
            ("good", url("good"), &sha),
            (
                "bad-sum",
                url("good"),
                "0000000000000000000000000000000000000000",
            ),
            ("missing", url("missing"), &sha),
        ],
    );
    let m = manager(dir.path(), &cat);
    let models = dir.path().join("models");

    // OK, verified, atomically in place.
    let path = pull(&m, "good").await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    let v = m.list().into_iter().find(|v| v.name == "good").unwrap();
    assert!(v.downloaded && v.sha1_verified && v.in_catalog && !v.imported);
    assert_eq!(v.download.unwrap().state, "done");

    // Checksum mismatch: both hashes reported, nothing left behind.
    let err = pull(&m, "bad-sum").await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ModelError::Download(DownloadError::Checksum { .. })),
        "{msg}"
    );
    assert!(msg.contains(&sha) && msg.contains("0000000000"), "{msg}");
    assert!(!models.join("ggml-bad-sum.bin").exists());
    assert!(
        !leftovers(&models).iter().any(|f| f.contains("bad-sum")),
        "{:?}",
        leftovers(&models)
    );

    // 404: clear error.
    let err = pull(&m, "missing").await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert!(matches!(
        pull(&m, "not-in-catalog").await,
        Err(ModelError::Unknown(_))
    ));
    assert!(matches!(
        pull(&m, "../etc/passwd").await,
        Err(ModelError::InvalidName(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_download_resumes_with_a_range_request() {
    let server = FileServer::start().await;
    let data = blob(2 * 1024 * 1024);
    server.put("ggml-big.bin", data.clone());
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_file(
        dir.path(),
        &[(
            "big",
            format!("{}/ggml-big.bin", server.base),
            &sha1_hex(&data),
        )],
    );
    let m = manager(dir.path(), &cat);
    server
        .state
        .drop_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let path = pull(&m, "big").await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), data);
    let ranges = server.state.ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    let from: usize = ranges[0]
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(from > 0 && from < data.len(), "resumed from {from}");
    assert_eq!(server.gets(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_download() {
    let server = FileServer::start().await;
    let data = blob(1024 * 1024);
    server.put("ggml-shared.bin", data.clone());
    server
        .state
        .slow
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_file(
        dir.path(),
        &[(
            "shared",
            format!("{}/ggml-shared.bin", server.base),
            &sha1_hex(&data),
        )],
    );
    let m = Arc::new(manager(dir.path(), &cat));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { pull(&m, "shared").await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.gets(), 1, "one download for four requests");
}

fn link_or_copy(from: &Path, to: &Path) {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_swaps_the_model_without_dropping_jobs() {
    let (tiny, base) = (require_model("tiny.en"), require_model("base"));
    let (_tmp, data) = temp_data();
    let models = data.join("models");
    std::fs::create_dir_all(&models).unwrap();
    link_or_copy(&tiny, &models.join("ggml-tiny.en.bin"));
    link_or_copy(&base, &models.join("ggml-base.bin"));
    std::fs::write(models.join("ggml-broken.bin"), b"ggml? no, garbage").unwrap();
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODELS_DIR", models.to_str().unwrap()),
            ("WORKER_MAX_CONCURRENT", "1"),
        ],
    ))
    .await;
    let post = |path: &str, body: serde_json::Value| {
        let req = app.client.post(format!("{}{path}", app.base)).json(&body);
        async move {
            let r = req.send().await.unwrap();
            let s = r.status();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    // A long transcription on tiny.en is running when the swap happens.
    let (s, body) = app.upload(&repeated(&jfk_wav(), 3), &[]).await;
    assert_eq!(s, 202);
    let first = body["id"].as_str().unwrap().to_string();
    app.wait_event(&first, Duration::from_secs(60), |e| {
        e["status"] == "transcribing"
    })
    .await;
    let (s, body) = post(
        "/api/admin/models/active",
        serde_json::json!({"size": "base"}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["active"], "base");
    let ev = app.wait_transcribed(&first).await;
    assert_eq!(
        ev["transcript"]["model"], "tiny.en",
        "the running job finished on the old model"
    );
    let (s, body) = app.upload(&jfk_wav(), &[("language", "en")]).await;
    assert_eq!(s, 202, "{body}");
    let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
    assert_eq!(
        ev["transcript"]["model"], "base",
        "new jobs use the new model"
    );
    assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());

    // A corrupt model fails to load and the old one keeps serving.
    let (s, body) = post(
        "/api/admin/models/active",
        serde_json::json!({"size": "broken"}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("broken"));
    let (s, list) = app.get_json("/api/admin/models").await;
    assert_eq!(s, 200);
    assert_eq!(list["active"], "base");
    let tiny_view = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tiny.en")
        .unwrap()
        .clone();
    assert_eq!(tiny_view["downloaded"], true);
    let (s, body) = app.upload(&jfk_wav(), &[("language", "en")]).await;
    assert_eq!(s, 202);
    assert_eq!(
        app.wait_transcribed(body["id"].as_str().unwrap()).await["transcript"]["model"],
        "base"
    );

    // Per-upload model choice; unknown models refused.
    let (s, body) = app.upload(&jfk_wav(), &[("model", "tiny.en")]).await;
    assert_eq!(s, 202);
    assert_eq!(
        app.wait_transcribed(body["id"].as_str().unwrap()).await["transcript"]["model"],
        "tiny.en"
    );
    let (s, _) = app.upload(&jfk_wav(), &[("model", "nonexistent")]).await;
    assert_eq!(s, 400);

    // Delete: the active model is refused; bad names are 400; others go.
    let del = |name: &str| {
        app.client
            .delete(format!("{}/api/admin/models/{name}", app.base))
            .send()
    };
    assert_eq!(del("base").await.unwrap().status(), 409);
    assert_eq!(del("..%2F..%2Fetc%2Fpasswd").await.unwrap().status(), 400);
    assert_eq!(del("nonexistent").await.unwrap().status(), 404);
    assert_eq!(del("tiny.en").await.unwrap().status(), 200);
    assert!(!models.join("ggml-tiny.en.bin").exists());
    assert!(
        base.exists() && tiny.exists(),
        "the shared test models are untouched"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_model_is_downloaded_on_first_use() {
    let tiny = require_model("tiny.en");
    let bytes = std::fs::read(&tiny).unwrap();
    let server = FileServer::start().await;
    server.put("ggml-tiny.en.bin", bytes.clone());
    let (_tmp, data) = temp_data();
    let cat = catalog_file(
        &data,
        &[
            (
                "tiny.en",
                format!("{}/ggml-tiny.en.bin", server.base),
                &sha1_hex(&bytes),
            ),
            (
                "gone",
                format!("{}/ggml-gone.bin", server.base),
                &sha1_hex(b"x"),
            ),
        ],
    );
    let models = data.join("empty-models");
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODELS_DIR", models.to_str().unwrap()),
            ("WHISPER_MODELS_CATALOG", cat.to_str().unwrap()),
        ],
    ))
    .await;
    let (s, body) = app.upload(&jfk_wav(), &[]).await;
    assert_eq!(s, 202);
    let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
    assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());
    assert!(models.join("ggml-tiny.en.bin").is_file());
    assert!(server.gets() >= 1);

    // The admin download endpoint: 202, then progress to done.
    server.put("ggml-other.bin", blob(200_000));
    let (s, list) = app.get_json("/api/admin/models").await;
    assert_eq!(s, 200);
    assert!(list["models"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "tiny.en" && m["sha1_verified"] == true));
    let (status, _) = app
        .post_json(
            "/api/admin/models/download",
            &serde_json::json!({"size": "gone"}),
        )
        .await;
    // "gone" is not on the local server: accepted, then fails with a reason.
    assert_eq!(status, 202);
    let m = crate::common::poll(
        Duration::from_secs(60),
        "the download to fail",
        async || {
            let (_, list) = app.get_json("/api/admin/models").await;
            let models = list["models"].as_array().unwrap();
            let m = models.iter().find(|m| m["name"] == "gone").unwrap().clone();
            if m["download"]["state"] == "failed" {
                Ok(m)
            } else {
                Err(m)
            }
        },
    )
    .await;
    assert!(m["download"]["error"].as_str().unwrap().contains("404"));
    let (status, _) = app
        .post_json(
            "/api/admin/models/download",
            &serde_json::json!({"size": "../x"}),
        )
        .await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[test]
fn loaded_models_are_bounded_least_recently_used_first_never_one_in_use() {
    require_model("tiny.en");
    require_model("base");
    let (tiny_en, base) = (name("tiny.en"), name("base"));
    let engine = susurro::stt::Engine::with_active(models_dir(), &tiny_en, 1);
    let tiny = engine.model(&tiny_en).unwrap();
    // tiny.en is active and held: loading base keeps both.
    engine.activate(&base).unwrap();
    assert!(engine.is_loaded(&tiny_en) && engine.is_loaded(&base));
    assert_eq!(engine.in_use(&tiny_en), 1);
    assert!(!engine.unload(&tiny_en), "a model in use is not unloaded");
    drop(tiny);
    // Released and no longer active: the next load trims it.
    engine.model(&base).unwrap();
    engine.trim();
    assert!(!engine.is_loaded(&tiny_en));
    assert!(engine.is_loaded(&base));
    assert_eq!(engine.active(), base);
    assert_eq!(engine.load_count(), 2);
}

/// A machine without a certificate store (a minimal container without
/// `ca-certificates`): the HTTP client falls back to the bundled roots, so
/// the process neither panics nor refuses to download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_without_a_certificate_store_still_downloads() {
    let server = FileServer::start().await;
    let data = blob(64 * 1024 + 3);
    server.put("ggml-good.bin", data.clone());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/ggml-good.bin", server.base);
    let cat = catalog_file(dir.path(), &[("good", url, &sha1_hex(&data))]);
    let models = dir.path().join("models");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_susurro"))
        .args(["models", "pull", "good"])
        .env("WHISPER_MODELS_DIR", &models)
        .env("WHISPER_MODELS_CATALOG", &cat)
        .env("SSL_CERT_FILE", dir.path().join("no-such-bundle.pem"))
        .env("SSL_CERT_DIR", dir.path().join("no-such-dir"))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "models pull failed: {stderr}");
    assert!(stderr.contains("using the bundled roots"), "{stderr}");
    assert_eq!(std::fs::read(models.join("ggml-good.bin")).unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vad_model_downloads_verified_by_sha256_and_loads() {
    use sha2::Digest;
    let local = models_dir().join("ggml-silero-v6.2.3.bin");
    assert!(local.is_file(), "run scripts/fetch-test-models");
    let bytes = std::fs::read(&local).unwrap();
    let server = FileServer::start().await;
    server.put("vad.bin", bytes.clone());
    let (_tmp, data) = temp_data();
    let cat = data.join("catalog.json");
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    std::fs::write(
        &cat,
        serde_json::json!([
            { "name": "silero-test", "url": format!("{}/vad.bin", server.base), "sha256": sha256 },
            { "name": "silero-bad", "url": format!("{}/vad.bin", server.base), "sha256": "0".repeat(64) },
        ])
        .to_string(),
    )
    .unwrap();
    let m = manager(&data, &cat);
    let path = pull(&m, "silero-test").await.unwrap();
    let v = m
        .list()
        .into_iter()
        .find(|v| v.name == "silero-test")
        .unwrap();
    assert!(v.downloaded && v.sha1_verified, "{v:?}");
    assert!(m.engine.vad(Some(&name("silero-test"))).unwrap().is_some());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let err = pull(&m, "silero-bad").await.unwrap_err().to_string();
    assert!(err.contains("sha256"), "{err}");
    // The built-in catalog names whisper.cpp's published VAD model.
    let builtin = Catalog::load("http://127.0.0.1:9", None).unwrap();
    let e = builtin.get(susurro::models::catalog::VAD_MODEL).unwrap();
    assert_eq!(e.digest.algo(), "sha256");
    assert_eq!(e.size, Some(885_098));
}
