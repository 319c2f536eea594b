//! Crash safety of the real service: `susurro serve` is killed with SIGKILL
//! in the middle of a transcription; a restarted process finishes every job
//! and no event gets two transcripts.

mod common;

use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_susurro"))
        .arg("serve")
        .env("SUSURRO_ADDR", format!("127.0.0.1:{port}"))
        .env("SUSURRO_DATA_DIR", data)
        .env("WHISPER_MODELS_DIR", models_dir())
        .env("WHISPER_MODEL", "tiny.en")
        .env("WHISPER_MODELS_BASE_URL", "http://127.0.0.1:9")
        .env("WHISPER_THREADS", "1")
        .env("WORKER_MAX_CONCURRENT", "1")
        .env("WORKER_POLL_INTERVAL_MS", "200")
        .env("JOB_LEASE_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_up(client: &reqwest::Client, base: &str) {
    let start = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status(client: &reqwest::Client, base: &str, id: &str) -> serde_json::Value {
    client
        .get(format!("{base}/api/events/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_transcription_loses_nothing_and_duplicates_nothing() {
    require_model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(dir.path(), port);
    wait_up(&client, &base).await;

    let audio = std::fs::read(jfk_wav()).unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let form = reqwest::multipart::Form::new().part(
            "audio",
            reqwest::multipart::Part::bytes(audio.clone()).file_name("jfk.wav"),
        );
        let r = client
            .post(format!("{base}/api/events"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let v: serde_json::Value = r.json().await.unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    // Kill as soon as a transcription is under way.
    let start = Instant::now();
    loop {
        let mut busy = false;
        for id in &ids {
            busy |= status(&client, &base, id).await["status"] == "transcribing";
        }
        if busy {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no job started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(dir.path(), port);
    wait_up(&client, &base).await;
    let start = Instant::now();
    for id in &ids {
        loop {
            let ev = status(&client, &base, id).await;
            if ev["status"] == "transcribed" {
                assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());
                break;
            }
            assert_ne!(ev["status"], "failed", "{ev}");
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "not finished after restart: {ev}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let pool = susurro::db::connect(&format!(
        "sqlite://{}",
        dir.path().join("susurro.db").display()
    ))
    .await
    .unwrap();
    let per_event: Vec<i64> =
        sqlx::query_scalar("select count(t.id) from events e left join transcripts t on t.event_id = e.id group by e.id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(per_event, vec![1, 1, 1]);
    let stt: Vec<(String, i64)> =
        sqlx::query_as("select state, attempts from jobs where kind = 'stt' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(stt.iter().all(|(s, _)| s == "completed"), "{stt:?}");
    assert!(
        stt.iter().any(|(_, a)| *a == 2),
        "the killed job ran a second time: {stt:?}"
    );
    let extract: i64 = sqlx::query_scalar("select count(*) from jobs where kind = 'extract'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(extract, 3);
}
