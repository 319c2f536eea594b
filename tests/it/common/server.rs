//! A real susurro server on 127.0.0.1:0 with its own data directory.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use susurro::app::App;
use susurro::config::Settings;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub state: susurro::api::AppState,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Settings for a test server: temp data dir, port 0, the test models,
/// tiny.en, fast polling. `extra` overrides.
pub fn settings(data_dir: &Path, extra: &[(&str, &str)]) -> Settings {
    let mut vars: Vec<(String, String)> = vec![
        ("SUSURRO_ADDR".into(), "127.0.0.1:0".into()),
        ("SUSURRO_DATA_DIR".into(), data_dir.display().to_string()),
        (
            "WHISPER_MODELS_DIR".into(),
            super::models_dir().display().to_string(),
        ),
        ("WHISPER_MODEL".into(), "tiny.en".into()),
        // Tests never reach out: catalog downloads point at a closed local port.
        (
            "WHISPER_MODELS_BASE_URL".into(),
            "http://127.0.0.1:9".into(),
        ),
        ("WHISPER_LANGUAGE".into(), "en".into()),
        ("WHISPER_THREADS".into(), "1".into()),
        ("WORKER_POLL_INTERVAL_MS".into(), "200".into()),
        ("SHUTDOWN_GRACE_SECONDS".into(), "20".into()),
        // The test binary cannot be the media child: the built susurro is.
        (
            "MEDIA_CHILD_EXE".into(),
            env!("CARGO_BIN_EXE_susurro").into(),
        ),
    ];
    for (k, v) in super::backend::env(data_dir) {
        vars.push((k.into(), v));
    }
    for (k, v) in extra {
        vars.retain(|(kk, _)| kk != k);
        vars.push((k.to_string(), v.to_string()));
    }
    Settings::from_lookup(|k| vars.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone())).unwrap()
}

impl TestApp {
    pub async fn start(settings: Settings) -> Self {
        Self::start_with_clock(settings, susurro::clock::Clock::system()).await
    }

    /// [`start`](Self::start) on `clock` (a manual one the test moves).
    pub async fn start_with_clock(settings: Settings, clock: susurro::clock::Clock) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            susurro::telemetry::init("info", susurro::telemetry::LogFormat::Text);
        }
        let app = App::build_with_clock(settings, clock)
            .await
            .expect("app builds");
        let addr = app.addr();
        let state = app.state().clone();
        let stop = CancellationToken::new();
        let s = stop.clone();
        let task = tokio::spawn(app.run_until_stopped(async move { s.cancelled().await }));
        Self {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            state,
            stop,
            task,
        }
    }

    /// Graceful stop; waits for the server and workers.
    pub async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap().unwrap();
    }

    pub async fn upload(
        &self,
        path: &Path,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, Value) {
        let bytes = std::fs::read(path).unwrap();
        self.upload_bytes(bytes, "upload.bin", fields).await
    }

    pub async fn upload_bytes(
        &self,
        bytes: Vec<u8>,
        filename: &str,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "audio",
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()),
        );
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let r = self
            .client
            .post(format!("{}/api/events", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POSTs `body` as JSON to `path`: the status and the JSON answer.
    pub async fn post_json(&self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (reqwest::StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Polls the event until `pred` holds; panics after `timeout`.
    pub async fn wait_event(
        &self,
        id: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        crate::common::poll(timeout, "the event", async || {
            let (status, ev) = self.get_json(&format!("/api/events/{id}")).await;
            assert_eq!(status, 200, "{ev}");
            if pred(&ev) {
                Ok(ev)
            } else {
                Err(ev)
            }
        })
        .await
    }

    /// Waits until the event is `transcribed` (or fails the test if it fails).
    pub async fn wait_transcribed(&self, id: &str) -> Value {
        let ev = self
            .wait_event(id, Duration::from_secs(180), |e| {
                matches!(e["status"].as_str(), Some("transcribed" | "failed"))
            })
            .await;
        assert_eq!(ev["status"], "transcribed", "{ev}");
        ev
    }
}

/// A fresh temp dir for a test's data.
pub fn temp_data() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    (d, p)
}
