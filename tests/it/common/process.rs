//! `susurro serve` as a child process on a free port, for tests that kill
//! or signal the real binary.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `susurro serve` on `port` with its data in `data`: tiny.en, one
/// job at a time with one thread, short leases; `env` adds or overrides.
pub fn serve(data: &Path, port: u16, env: &[(&str, &str)]) -> Server {
    Server(command(data, port, env).spawn().unwrap())
}

/// A served child that is killed when dropped: a test that fails midway
/// leaves no server running (and loading the machine) behind it.
pub struct Server(Child);

impl From<Child> for Server {
    fn from(child: Child) -> Self {
        Self(child)
    }
}

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The command [`serve`] runs (output discarded; callers may redirect it).
pub fn command(data: &Path, port: u16, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_susurro"));
    cmd.arg("serve")
        .env("SUSURRO_ADDR", format!("127.0.0.1:{port}"))
        .env("SUSURRO_DATA_DIR", data)
        .env("WHISPER_MODELS_DIR", super::models_dir())
        .env("WHISPER_MODEL", "tiny.en")
        .env("WHISPER_MODELS_BASE_URL", "http://127.0.0.1:9")
        .env("WHISPER_THREADS", "1")
        .env("WORKER_MAX_CONCURRENT", "1")
        .env("WORKER_POLL_INTERVAL_MS", "200")
        .env("JOB_LEASE_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in super::backend::env(data) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Waits until the server answers `/health`.
pub async fn wait_up(client: &reqwest::Client, base: &str) {
    let health = format!("{base}/health");
    crate::common::poll(Duration::from_secs(30), "the server to start", async || {
        client.get(&health).send().await.map(drop)
    })
    .await
}

/// Polls the event until it is `transcribed` or `failed`, and returns it.
pub async fn wait_done(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    within: Duration,
) -> serde_json::Value {
    crate::common::poll(within, "the event to finish", async || {
        let ev = event(client, base, id).await;
        match ev["status"].as_str() {
            Some("transcribed" | "failed") => Ok(ev),
            _ => Err(ev),
        }
    })
    .await
}

/// Waits (polling) until `child` exits; fails after `within`.
pub async fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    crate::common::poll(within, "the process to exit", async || {
        child.try_wait().unwrap().ok_or("running")
    })
    .await
}

/// Uploads `audio` to `POST {base}/api/events`; expects 202 and returns
/// the event id.
pub async fn upload(client: &reqwest::Client, base: &str, audio: &[u8], name: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "audio",
        reqwest::multipart::Part::bytes(audio.to_vec()).file_name(name.to_string()),
    );
    let r = client
        .post(format!("{base}/api/events"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v: serde_json::Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// An event as the API shows it.
pub async fn event(client: &reqwest::Client, base: &str, id: &str) -> serde_json::Value {
    client
        .get(format!("{base}/api/events/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The resident set size of process `pid` now, in bytes.
pub fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}
