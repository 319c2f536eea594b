//! Streamed results: `GET /api/events/{id}/stream` (Server-Sent Events)
//! over a real socket with a real model and real speech, the reconnect with
//! `Last-Event-ID`, and OpenAI's `stream=true` read by the official client.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::sse::{SseEvent, SseReader};
use crate::common::*;
use std::path::PathBuf;
use std::time::Duration;

/// Times JFK's 11 s in the recording: about two minutes of speech, eight
/// or nine 15 s chunks run two at a time. With five (four chunks) the
/// stream once saw no segment before the stored transcript (CI's
/// PostgreSQL pass, other tests running beside it): segments can only come
/// early between the first pair's publication and the end, one pair's time
/// (~0.65 s with tiny.en here, three or four looks); twelve make it four.
const REPEATS: usize = 12;

/// A service whose one job runs its chunks two at a time (they can finish
/// out of order), and a recording of several chunks.
async fn app_and_recording(data: &std::path::Path) -> (TestApp, PathBuf) {
    require_model("tiny.en");
    let app = TestApp::start(settings(
        data,
        &[
            ("WHISPER_THREADS", "2"),
            ("WORKER_MAX_CONCURRENT", "1"),
            ("WHISPER_LANGUAGE", "en"),
        ],
    ))
    .await;
    (app, repeated(&jfk_wav(), REPEATS))
}

async fn upload(app: &TestApp, audio: &std::path::Path) -> String {
    let (s, body) = app.upload(audio, &[]).await;
    assert_eq!(s, 202, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn stream_url(app: &TestApp, id: &str) -> String {
    format!("{}/api/events/{id}/stream", app.base)
}

/// The segment events' (seq, text), checking each id is its seq.
fn segments(events: &[SseEvent]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter(|e| e.event == "segment")
        .map(|e| {
            let d = e.json();
            let seq = d["seq"].as_i64().unwrap();
            assert_eq!(e.id.as_deref(), Some(seq.to_string().as_str()));
            (seq, d["text"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The stored transcript's segment texts, from the final `done` event.
fn stored(done: &SseEvent) -> (Vec<String>, String) {
    assert_eq!(done.event, "done", "{done:?}");
    let t = &done.json()["transcript"];
    let texts = t["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    (texts, t["text"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_each_segment_once_in_order_while_transcribing_then_done() {
    let (_tmp, data) = temp_data();
    let (app, audio) = app_and_recording(&data).await;
    let id = upload(&app, &audio).await;
    let mut r = SseReader::open(&app.client, &stream_url(&app, &id), None).await;
    let events = r.all(Duration::from_secs(180)).await;

    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "done").count(), 1);
    // Segments arrived while the job ran, before the event was transcribed.
    let transcribed_at = events
        .iter()
        .position(|e| e.event == "status" && e.json()["status"] == "transcribed")
        .expect("a status event says transcribed");
    let live = segments(&events[..transcribed_at]).len();
    assert!(
        live > 0,
        "no segment before the transcript was stored: {names:?}"
    );
    assert!(names.contains(&"status"));

    let got = segments(&events);
    let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=got.len() as i64).collect::<Vec<_>>(),
        "once, in order"
    );
    let (texts, text) = stored(events.last().unwrap());
    let streamed: Vec<String> = got.into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        streamed, texts,
        "the stream's segments are the transcript's"
    );
    assert!(texts.len() >= 5, "a multi-chunk recording: {texts:?}");
    assert_eq!(streamed.join(" "), text);
    assert!(wer(&[JFK; REPEATS].join(" "), &text) < 0.2, "{text}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_with_last_event_id_repeats_no_segment() {
    let (_tmp, data) = temp_data();
    let (app, audio) = app_and_recording(&data).await;
    let id = upload(&app, &audio).await;
    let url = stream_url(&app, &id);

    // The first connection leaves after its first segment.
    let mut r = SseReader::open(&app.client, &url, None).await;
    let first = loop {
        let ev = r.next().await.expect("a segment before the end");
        let stored = ev.event == "status" && ev.json()["status"] == "transcribed";
        assert!(!stored, "no segment while the job ran");
        if ev.event == "segment" {
            break ev;
        }
    };
    drop(r);
    let last = first.id.clone().unwrap();
    assert_eq!(last, "1");
    let mut r = SseReader::open(&app.client, &url, Some(&last)).await;
    let rest = r.all(Duration::from_secs(180)).await;
    let got = segments(&rest);
    let (texts, _) = stored(rest.last().unwrap());
    let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (2..=texts.len() as i64).collect::<Vec<_>>());
    let mut all = vec![first.json()["text"].as_str().unwrap().to_string()];
    all.extend(got.into_iter().map(|(_, t)| t));
    assert_eq!(all, texts);

    // After the end: from the last segment, only the status and `done`;
    // a Last-Event-ID that is not a number starts from the beginning.
    let n = texts.len().to_string();
    let after = SseReader::open(&app.client, &url, Some(&n))
        .await
        .all(Duration::from_secs(10))
        .await;
    assert!(segments(&after).is_empty());
    assert_eq!(after.last().unwrap().event, "done");
    let again = SseReader::open(&app.client, &url, Some("x".repeat(5000).as_str()))
        .await
        .all(Duration::from_secs(10))
        .await;
    assert_eq!(segments(&again).len(), texts.len());

    let (s, body) = app
        .get_json("/api/events/00000000-0000-0000-0000-000000000000/stream")
        .await;
    assert_eq!(s, 404, "{body}");
    let (s, _) = app.get_json("/api/events/..%2f/stream").await;
    assert_eq!(s, 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_reads_streamed_deltas_that_add_up_to_the_text() {
    let python = tokio::task::spawn_blocking(crate::openai::openai_python)
        .await
        .unwrap();
    let (_tmp, data) = temp_data();
    let (app, audio) = app_and_recording(&data).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/openai_stream.py");
    let r = crate::openai::run_client(python, script, &app.base, audio).await;
    let deltas: Vec<&str> = r["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(deltas.len() >= 5, "{r}");
    let types = r["types"].as_array().unwrap();
    assert_eq!(types.last().unwrap(), "transcript.text.done", "{r}");
    let done = r["done"][0].as_str().unwrap();
    assert_eq!(deltas.concat(), done);
    assert_eq!(done, r["plain"].as_str().unwrap());
    assert!(wer(&[JFK; REPEATS].join(" "), done) < 0.2, "{done}");
    let err = &r["err_srt"];
    assert_eq!(err["status"], 400, "{r}");
    assert_eq!(err["body"]["type"], "invalid_request_error", "{r}");
    assert_eq!(err["body"]["param"], "response_format", "{r}");
    app.stop().await;
}
