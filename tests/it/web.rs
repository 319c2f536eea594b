//! The web page in a real browser: headless Chromium (Debian's `chromium`)
//! driven by `playwright-core` (npm, installed by `scripts/test` outside the
//! clone, `SUSURRO_NODE_MODULES`) uploads a clip through the page and
//! records from a fake microphone fed by a WAV file; screenshots go to
//! `target/browser/`.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::path::PathBuf;

fn node_modules() -> PathBuf {
    let dir = std::env::var_os("SUSURRO_NODE_MODULES").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/susurro/node/node_modules"),
        PathBuf::from,
    );
    assert!(
        dir.join("playwright-core").is_dir(),
        "playwright-core is missing in {}: run scripts/test (or scripts/fetch-test-tools)",
        dir.display()
    );
    dir
}

fn chromium() -> PathBuf {
    let p = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        p.is_file(),
        "{} is missing: apt-get install chromium (scripts/test does)",
        p.display()
    );
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_uploads_a_file_and_records_the_microphone_with_a_token() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("API_TOKEN", "page-token-1")])).await;
    // The page itself is public; the API behind it needs the token.
    let r = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/v1/realtime"));
    let (status, _) = app.get_json("/api/events").await;
    assert_eq!(status, 401);

    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&shots).unwrap();
    for f in ["web-page.png", "web-page-recorded.png"] {
        let _ = std::fs::remove_file(shots.join(f));
    }
    // Chromium's fake capture reads 16-bit PCM WAV.
    let mic = sox(&[&jfk_wav()], &[]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/browser/page.mjs");
    let args = (
        script,
        app.base.clone(),
        jfk_mp3(),
        mic,
        shots.clone(),
        node_modules(),
        chromium(),
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(&args.0)
            .arg(&args.1)
            .arg(&args.2)
            .arg(&args.3)
            .arg(&args.4)
            .env("SUSURRO_NODE_MODULES", &args.5)
            .env("CHROMIUM", &args.6)
            .env("PAGE_TOKEN", "page-token-1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no {name} step in {stdout}"))
            .clone()
    };
    assert!(!steps.iter().any(|s| s["step"] == "pageerror"), "{stdout}");
    // The language defaults to the service's WHISPER_LANGUAGE (en here).
    assert_eq!(step("opened")["language"], "en");
    let uploaded = step("uploaded");
    assert_says(JFK, uploaded["text"].as_str().unwrap());
    assert!(uploaded["segments"].as_u64().unwrap() >= 1, "{uploaded}");
    assert!(uploaded["recent"].as_u64().unwrap() >= 1, "{uploaded}");
    assert_eq!(
        uploaded["streamed"], true,
        "the page follows the event's stream"
    );
    // Words showed while the microphone was still recording.
    let live = step("live");
    assert_eq!(live["recording"], true, "{live}");
    assert!(!live["text"].as_str().unwrap().trim().is_empty(), "{live}");
    // The dictation was saved as an event and shown.
    let recorded = step("recorded");
    assert_eq!(recorded["status"], "transcribed", "{recorded}");
    let text = recorded["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("country"), "{recorded}");
    let id = recorded["event"].as_str().unwrap();
    let ev: serde_json::Value = app
        .client
        .get(format!("{}/api/events/{id}", app.base))
        .bearer_auth("page-token-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ev["codec"], "pcm_s16le", "the saved live session: {ev}");
    assert!(shots.join("web-page.png").is_file());
    app.stop().await;
}
