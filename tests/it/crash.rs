//! Crash safety of the real service: `susurro serve` is killed with SIGKILL
//! in the middle of a transcription; a restarted process finishes every job
//! and no event gets two transcripts.

use crate::common::process::{self, event as status, free_port, wait_up};
use crate::common::*;
use std::time::{Duration, Instant};

fn serve(data: &std::path::Path, port: u16) -> process::Server {
    // A webhook nobody answers: extract jobs are enqueued (once per event) and wait.
    process::serve(
        data,
        port,
        &[("EXTRACT_WEBHOOK_URL", "http://127.0.0.1:9/hook")],
    )
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
        ids.push(process::upload(&client, &base, &audio, "jfk.wav").await);
    }
    // Kill as soon as a transcription is under way.
    eventually(Duration::from_secs(60), "no job started", async || {
        let mut busy = false;
        for id in &ids {
            busy |= status(&client, &base, id).await["status"] == "transcribing";
        }
        busy
    })
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(dir.path(), port);
    wait_up(&client, &base).await;
    for id in &ids {
        let ev = process::wait_done(&client, &base, id, Duration::from_secs(120)).await;
        assert_eq!(ev["status"], "transcribed", "after restart: {ev}");
        assert_says(JFK, ev["transcript"]["text"].as_str().unwrap());
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let pool = susurro::store::connect(&crate::common::backend::database_url(dir.path()))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_an_open_v1_wait_and_a_slow_upload_exits_in_time() {
    require_model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let grace = 2;
    let mut child = process::serve(
        dir.path(),
        port,
        &[("SHUTDOWN_GRACE_SECONDS", &grace.to_string())],
    );
    wait_up(&client, &base).await;
    // A /v1 client waiting on a recording that takes a while to transcribe.
    let long = std::fs::read(repeated(&jfk_wav(), 6)).unwrap();
    let waiting = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(long).file_name("a.wav"),
            );
            client
                .post(format!("{base}/v1/audio/transcriptions"))
                .multipart(form)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    let id = poll(Duration::from_secs(60), "no job started", async || {
        let list: serde_json::Value = client
            .get(format!("{base}/api/events?status=transcribing"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["events"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or(list)
    })
    .await;
    // An upload that sends its headers and a little of its body, then stalls.
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = "POST /api/events HTTP/1.1\r\nHost: x\r\n\
                Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 10000000\r\n\r\n\
                --B\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut slow, head.as_bytes())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut slow, &[0u8; 4096])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let exited = process::wait_exit(&mut child, Duration::from_secs(grace + 10)).await;
    let took = signalled.elapsed();
    assert!(exited.success(), "{exited:?}");
    assert!(
        took < Duration::from_secs(grace + 5),
        "exit took {took:?} with a grace of {grace} s"
    );
    // The waiting client was told to come back (503), not left hanging.
    let answer = waiting.await.unwrap();
    assert!(matches!(answer, Ok(503) | Err(_)), "{answer:?}");
    drop(slow);

    // After a restart the released job runs again and finishes.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = process::serve(dir.path(), port, &[]);
    wait_up(&client, &base).await;
    let ev = process::wait_done(&client, &base, &id, Duration::from_secs(120)).await;
    assert_eq!(ev["status"], "transcribed", "{ev}");
    child.kill().unwrap();
    child.wait().unwrap();
}
