//! Verified, resumable model downloads: streamed to `<file>.part`, resumed
//! with an HTTP Range request after an interruption, retried with backoff,
//! checked against the catalog's size and SHA-1, then renamed into place.
//! Concurrent requests for one model share one download.

use super::catalog::CatalogEntry;
use crate::queue::Backoff;
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

/// Why a download failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DownloadError {
    #[error("{url} answered 404 Not Found: the catalog entry for {name} points nowhere")]
    NotFound { name: String, url: String },
    #[error(
        "checksum mismatch for {name}: expected {algo} {expected}, got {got}; the file was deleted"
    )]
    Checksum {
        name: String,
        algo: &'static str,
        expected: String,
        got: String,
    },
    #[error(
        "size mismatch for {name}: expected {expected} bytes, got {got}; the file was deleted"
    )]
    Size {
        name: String,
        expected: u64,
        got: u64,
    },
    #[error("download of {name} failed: {reason}")]
    Failed { name: String, reason: String },
}

/// Progress of one download, for the admin API and the CLI.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressView {
    pub name: String,
    pub state: &'static str,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    pub bytes_per_second: u64,
    pub error: Option<String>,
}

struct Task {
    done: AtomicU64,
    total: AtomicU64,
    started: Instant,
    result: watch::Sender<Option<Result<PathBuf, DownloadError>>>,
}

/// Runs and tracks downloads into one directory.
pub struct Downloader {
    client: reqwest::Client,
    dir: PathBuf,
    tasks: Mutex<HashMap<String, Arc<Task>>>,
    /// Attempts per download (each resumes where the last stopped).
    attempts: u32,
}

enum Attempt {
    Retry(String),
    Fatal(DownloadError),
}

impl Downloader {
    pub fn new(dir: PathBuf) -> Self {
        let client = crate::http_client::build(|b| {
            b.connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
                .user_agent(concat!("susurro/", env!("CARGO_PKG_VERSION")))
        })
        .expect("a TLS-capable HTTP client");
        Self {
            client,
            dir,
            tasks: Mutex::new(HashMap::new()),
            attempts: 5,
        }
    }

    /// Downloads `entry` (or joins the download already running) and waits.
    pub async fn download(&self, entry: &CatalogEntry) -> Result<PathBuf, DownloadError> {
        let (task, start) = {
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            match tasks.get(entry.name.as_str()) {
                Some(t) if t.result.borrow().is_none() => (t.clone(), false),
                _ => {
                    let (tx, _) = watch::channel(None);
                    let t = Arc::new(Task {
                        done: AtomicU64::new(0),
                        total: AtomicU64::new(0),
                        started: Instant::now(),
                        result: tx,
                    });
                    tasks.insert(entry.name.to_string(), t.clone());
                    (t, true)
                }
            }
        };
        let mut rx = task.result.subscribe();
        if start {
            // Spawned: a client that goes away does not stop the download.
            let (client, dir, entry, task, attempts) = (
                self.client.clone(),
                self.dir.clone(),
                entry.clone(),
                task.clone(),
                self.attempts,
            );
            tokio::spawn(async move {
                let r = run(&client, &dir, &entry, &task, attempts).await;
                let outcome = if r.is_ok() { "verified" } else { "failed" };
                crate::metrics::model_download(entry.name.as_str(), outcome);
                match &r {
                    Ok(p) => {
                        tracing::info!(model = %entry.name, path = %p.display(), "model downloaded and verified")
                    }
                    Err(e) => {
                        tracing::warn!(model = %entry.name, error = %e, "model download failed")
                    }
                }
                task.result.send_replace(Some(r));
            });
        }
        loop {
            if let Some(r) = rx.borrow().clone() {
                return r;
            }
            if rx.changed().await.is_err() {
                return Err(DownloadError::Failed {
                    name: entry.name.to_string(),
                    reason: "download task ended".into(),
                });
            }
        }
    }

    /// Progress of every download seen since start.
    pub fn progress(&self) -> Vec<ProgressView> {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<ProgressView> = tasks
            .iter()
            .map(|(name, t)| {
                let done = t.done.load(Ordering::Relaxed);
                let total = t.total.load(Ordering::Relaxed);
                let result = t.result.borrow();
                let (state, error) = match &*result {
                    None => ("downloading", None),
                    Some(Ok(_)) => ("done", None),
                    Some(Err(e)) => ("failed", Some(e.to_string())),
                };
                ProgressView {
                    name: name.clone(),
                    state,
                    bytes_done: done,
                    bytes_total: (total > 0).then_some(total),
                    bytes_per_second: (done as f64 / t.started.elapsed().as_secs_f64().max(1e-3))
                        as u64,
                    error,
                }
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Progress of one model's download, if any.
    pub fn progress_of(&self, name: &str) -> Option<ProgressView> {
        self.progress().into_iter().find(|p| p.name == name)
    }
}

async fn run(
    client: &reqwest::Client,
    dir: &Path,
    entry: &CatalogEntry,
    task: &Task,
    attempts: u32,
) -> Result<PathBuf, DownloadError> {
    let failed = |reason: String| DownloadError::Failed {
        name: entry.name.to_string(),
        reason,
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let dest = entry.name.path_in(dir);
    let part = dest.with_extension("bin.part");
    let mut last = String::new();
    for attempt in 1..=attempts {
        match fetch(client, entry, &part, task).await {
            Ok(()) => {
                verify(entry, &part).await?;
                tokio::fs::rename(&part, &dest)
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                let marker = dest.with_extension(format!("bin.{}", entry.digest.algo()));
                let _ = tokio::fs::write(marker, entry.digest.hex()).await;
                return Ok(dest);
            }
            Err(Attempt::Fatal(e)) => return Err(e),
            Err(Attempt::Retry(reason)) => {
                tracing::warn!(model = %entry.name, attempt, %reason, "download interrupted; will resume");
                last = reason;
                tokio::time::sleep(RETRY.delay(attempt as i64)).await;
            }
        }
    }
    Err(failed(format!("gave up after {attempts} attempts: {last}")))
}

/// Waits between interrupted download attempts.
const RETRY: Backoff = Backoff {
    base: Duration::from_millis(400),
    cap: Duration::from_secs(3),
};

/// What an answer other than success means: a missing or refused file ends
/// the download, a server error is tried again.
fn refused(entry: &CatalogEntry, status: reqwest::StatusCode) -> Result<(), Attempt> {
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(Attempt::Fatal(DownloadError::NotFound {
            name: entry.name.to_string(),
            url: entry.url.clone(),
        }));
    }
    if status.is_client_error() {
        return Err(Attempt::Fatal(DownloadError::Failed {
            name: entry.name.to_string(),
            reason: format!("{} answered {status}", entry.url),
        }));
    }
    if !status.is_success() {
        return Err(Attempt::Retry(format!("{} answered {status}", entry.url)));
    }
    Ok(())
}

/// One HTTP request: resumes from the part file's length when there is one.
async fn fetch(
    client: &reqwest::Client,
    entry: &CatalogEntry,
    part: &Path,
    task: &Task,
) -> Result<(), Attempt> {
    let have = tokio::fs::metadata(part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let mut req = client.get(&entry.url);
    if have > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let resp = req
        .send()
        .await
        .map_err(|e| Attempt::Retry(e.to_string()))?;
    let status = resp.status();
    if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE && have > 0 {
        return Ok(()); // the part file is already complete
    }
    refused(entry, status)?;
    let resumed = status == reqwest::StatusCode::PARTIAL_CONTENT;
    let start = if resumed { have } else { 0 };
    if let Some(len) = resp.content_length() {
        task.total.store(start + len, Ordering::Relaxed);
    }
    task.done.store(start, Ordering::Relaxed);
    let io = |e: std::io::Error| Attempt::Retry(e.to_string());
    let mut file = if resumed {
        tokio::fs::OpenOptions::new()
            .append(true)
            .open(part)
            .await
            .map_err(io)?
    } else {
        tokio::fs::File::create(part).await.map_err(io)?
    };
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Attempt::Retry(format!("connection lost: {e}")))?;
        file.write_all(&chunk).await.map_err(io)?;
        task.done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    let got = tokio::fs::metadata(part).await.map_err(io)?.len();
    let total = task.total.load(Ordering::Relaxed);
    if total > 0 && got < total {
        return Err(Attempt::Retry(format!(
            "stream ended at {got} of {total} bytes"
        )));
    }
    Ok(())
}

async fn verify(entry: &CatalogEntry, part: &Path) -> Result<(), DownloadError> {
    let size = tokio::fs::metadata(part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    if let Some(expected) = entry.size {
        if size != expected {
            let _ = tokio::fs::remove_file(part).await;
            return Err(DownloadError::Size {
                name: entry.name.to_string(),
                expected,
                got: size,
            });
        }
    }
    let (path, digest) = (part.to_path_buf(), entry.digest.clone());
    let got = tokio::task::spawn_blocking(move || digest.of_file(&path))
        .await
        .map_err(|e| DownloadError::Failed {
            name: entry.name.to_string(),
            reason: e.to_string(),
        })?
        .map_err(|e| DownloadError::Failed {
            name: entry.name.to_string(),
            reason: e.to_string(),
        })?;
    if got != entry.digest.hex() {
        let _ = tokio::fs::remove_file(part).await;
        return Err(DownloadError::Checksum {
            name: entry.name.to_string(),
            algo: entry.digest.algo(),
            expected: entry.digest.hex().to_string(),
            got,
        });
    }
    Ok(())
}
