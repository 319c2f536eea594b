//! Nothing a client sends can stop the service, over real HTTP: a VAD
//! model or a non-model named as `model` is refused and the process lives;
//! a media child that hangs, crashes or never answers gives a clear 422 or
//! a failed job and frees its slot (and is killed); a job past its deadline
//! fails; a running job is cancelled within a second; slow or silent
//! clients cannot hold the server; other sites cannot drive it.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A stand-in media child: answers probes with the real one, and for
/// decoding runs `decode_body` (a shell line).
fn fake_child(dir: &Path, name: &str, probe_body: &str, decode_body: &str) -> PathBuf {
    let p = dir.join(name);
    let real = env!("CARGO_BIN_EXE_susurro");
    let probe = if probe_body.is_empty() {
        format!("exec {real} \"$@\"")
    } else {
        probe_body.to_string()
    };
    std::fs::write(
        &p,
        format!("#!/bin/sh\nif [ \"$3\" = probe ]; then {probe}; fi\n{decode_body}\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(marker)
                })
                .unwrap_or(false)
        })
        .count()
}

async fn event_id(app: &TestApp, audio: &Path) -> String {
    let (s, body) = app.upload(audio, &[]).await;
    assert_eq!(s, 202, "{body}");
    body["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_whisper_models_may_be_named_and_bad_files_never_reach_whisper_cpp() {
    let (_tmp, data) = temp_data();
    let models = data.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let src = models_dir();
    for f in ["ggml-tiny.en.bin", "ggml-silero-v6.2.3.bin"] {
        std::os::unix::fs::symlink(src.join(f), models.join(f)).unwrap();
    }
    std::fs::write(
        models.join("ggml-notes.bin"),
        b"just some text, not a model",
    )
    .unwrap();
    // A whisper header with an absurd state size, then nothing.
    let mut absurd = 0x6767_6d6cu32.to_le_bytes().to_vec();
    for v in [51864i32, 1500, 1 << 30, 6, 4, 448, 384, 6, 4, 80, 1] {
        absurd.extend(v.to_le_bytes());
    }
    std::fs::write(models.join("ggml-absurd.bin"), &absurd).unwrap();
    let m = models.display().to_string();
    let app = TestApp::start(settings(&data, &[("WHISPER_MODELS_DIR", &m)])).await;
    for name in ["silero-v6.2.3", "notes", "x"] {
        let (s, body) = app.upload(&jfk_wav(), &[("model", name)]).await;
        assert_eq!(s, 400, "{name}: {body}");
        let msg = body["error"]["message"].as_str().unwrap();
        let listed = msg.split("installed models:").nth(1).unwrap_or_default();
        assert!(!listed.contains("silero"), "the VAD model is listed: {msg}");
        assert!(listed.contains("tiny.en"), "{msg}");
    }
    // The OpenAI route takes the same names.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(jfk_wav()).unwrap()).file_name("a.wav"),
        )
        .text("model", "silero-v6.2.3");
    let r = app
        .client
        .post(format!("{}/v1/audio/transcriptions", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 400, "{body}");
    let listed = body.split("installed models:").nth(1).unwrap_or_default();
    assert!(!listed.contains("silero"), "{body}");
    // Activation checks the file before whisper.cpp sees it.
    for name in ["silero-v6.2.3", "absurd"] {
        let (s, body) = app
            .post_json("/api/admin/models/active", &json!({ "name": name }))
            .await;
        assert!(
            s.is_client_error() || s.is_server_error(),
            "{name}: {s} {body}"
        );
        let msg = body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains("not a usable model file"), "{name}: {msg}");
    }
    let (s, h) = app.get_json("/health").await;
    assert_eq!(s, 200);
    assert_eq!(h["model"], "tiny.en", "{h}");
    // An upload naming the absurd file (it looks like a whisper model) fails
    // as a job, with the reason, and the process keeps transcribing.
    let (s, body) = app.upload(&jfk_wav(), &[("model", "absurd")]).await;
    assert_eq!(s, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let ev = app
        .wait_event(&id, Duration::from_secs(60), |e| {
            e["status"] == "failed"
                || e["error"]
                    .as_str()
                    .is_some_and(|m| m.contains("n_audio_state"))
        })
        .await;
    assert!(ev.to_string().contains("n_audio_state"), "{ev}");
    let id = event_id(&app, &jfk_wav()).await;
    app.wait_transcribed(&id).await;
    app.stop().await;

    // Started on a model that cannot load: /health says degraded, and why.
    let (_tmp2, data2) = temp_data();
    let app = TestApp::start(settings(
        &data2,
        &[("WHISPER_MODELS_DIR", &m), ("WHISPER_MODEL", "absurd")],
    ))
    .await;
    poll(
        Duration::from_secs(20),
        "degraded, saying why",
        async || {
            let (_, h) = app.get_json("/health").await;
            let why = h["model_error"].as_str().unwrap_or_default();
            if h["status"] == "degraded" && why.contains("n_audio_state") {
                Ok(())
            } else {
                Err(h)
            }
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_child_that_hangs_or_crashes_at_upload_gets_a_clear_422_quickly() {
    let (tmp, data) = temp_data();
    for (body, word) in [
        ("exec /bin/sleep 6101", "ran out of time"),
        ("kill -SEGV $$", "signal 11"),
        ("exit 0", "exited with"),
    ] {
        let child = fake_child(tmp.path(), "child.sh", body, "exit 1");
        let exe = child.display().to_string();
        let app = TestApp::start(settings(
            &data,
            &[("MEDIA_CHILD_EXE", &exe), ("PROBE_TIMEOUT_SECONDS", "1")],
        ))
        .await;
        let started = Instant::now();
        let (s, body) = app.upload(&jfk_wav(), &[]).await;
        assert_eq!(s, 422, "{body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(word), "{msg:?} lacks {word:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(app.get_json("/health").await.0, 200);
        app.stop().await;
    }
    assert_eq!(
        processes_with("sleep 6101"),
        0,
        "the hung probe was left running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_past_their_deadline_fail_free_their_slot_and_leave_no_child() {
    let (tmp, data) = temp_data();
    let child = fake_child(tmp.path(), "child.sh", "", "exec /bin/sleep 6102");
    let exe = child.display().to_string();
    let app = TestApp::start(settings(
        &data,
        &[
            ("MEDIA_CHILD_EXE", &exe),
            ("WORKER_MAX_CONCURRENT", "1"),
            ("JOB_DEADLINE_BASE_SECONDS", "2"),
            ("JOB_DEADLINE_FACTOR", "0"),
        ],
    ))
    .await;
    let started = Instant::now();
    let a = event_id(&app, &jfk_wav()).await;
    let b = event_id(&app, &jfk_wav()).await;
    for id in [&a, &b] {
        let ev = app
            .wait_event(id, Duration::from_secs(30), |e| e["status"] == "failed")
            .await;
        assert!(
            ev["error"].as_str().unwrap().contains("deadline exceeded"),
            "{ev}"
        );
    }
    // One slot: the second job ran only after the first freed it.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    eventually(
        Duration::from_secs(1),
        "a decoder child outlived its job",
        async || processes_with("sleep 6102") == 0,
    )
    .await;
    // The slot is given back once the job's failure is recorded: the event
    // can show `failed` a moment before the worker lets the job go.
    eventually(
        Duration::from_secs(2),
        "the workers list no job",
        async || {
            let (_, q) = app.get_json("/api/admin/workers").await;
            q["jobs"].as_array().is_some_and(|j| j.is_empty())
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_is_cancelled_within_a_second() {
    let (tmp, data) = temp_data();
    let child = fake_child(tmp.path(), "child.sh", "", "exec /bin/sleep 6103");
    let exe = child.display().to_string();
    let app = TestApp::start(settings(&data, &[("MEDIA_CHILD_EXE", &exe)])).await;
    let id = event_id(&app, &jfk_wav()).await;
    let job = poll(Duration::from_secs(20), "the job running", async || {
        let (_, w) = app.get_json("/api/admin/workers").await;
        w["jobs"][0]["id"].as_i64().ok_or(w)
    })
    .await;
    eventually(Duration::from_secs(20), "its decoder child", async || {
        processes_with("sleep 6103") == 1
    })
    .await;
    let asked = Instant::now();
    let (s, body) = app
        .post_json(&format!("/api/admin/jobs/{job}/cancel"), &Value::Null)
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["was"], "running", "{body}");
    poll(
        Duration::from_secs(1),
        "the job gone within a second",
        async || {
            let (_, w) = app.get_json("/api/admin/workers").await;
            if w["jobs"].as_array().unwrap().is_empty() {
                Ok(())
            } else {
                Err(w)
            }
        },
    )
    .await;
    assert!(asked.elapsed() < Duration::from_secs(1));
    let ev = app
        .wait_event(&id, Duration::from_secs(5), |e| e["status"] == "failed")
        .await;
    assert_eq!(ev["error"], "cancelled", "{ev}");
    assert_eq!(processes_with("sleep 6103"), 0);
    let (s, _) = app
        .post_json(&format!("/api/admin/jobs/{job}/cancel"), &Value::Null)
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .post_json("/api/admin/jobs/999999/cancel", &Value::Null)
        .await;
    assert_eq!(s, 404);
    app.stop().await;
}

/// Writes the start of a request and keeps the connection open.
fn slow_client(addr: std::net::SocketAddr) -> Option<std::net::TcpStream> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    let _ = s.write_all(b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    Some(s)
}

/// Uploads `audio` with a fresh connection, trying again while the
/// server closes it (a slot is being freed); the status and the answer.
async fn upload_soon(base: &str, audio: &Path, within: Duration) -> (u16, Value) {
    poll(within, "an answer to the upload", async || {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let form = reqwest::multipart::Form::new().part(
            "audio",
            reqwest::multipart::Part::bytes(std::fs::read(audio).unwrap()).file_name("a.wav"),
        );
        match client
            .post(format!("{base}/api/events"))
            .multipart(form)
            .send()
            .await
        {
            Ok(r) => {
                let s = r.status().as_u16();
                Ok((s, r.json().await.unwrap_or(Value::Null)))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_the_server() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[
            ("HTTP_MAX_CONNECTIONS", "20"),
            ("HTTP_HEADER_TIMEOUT_SECONDS", "30"),
            ("HTTP_BODY_IDLE_TIMEOUT_SECONDS", "1"),
        ],
    ))
    .await;
    let slow: Vec<_> = (0..200).filter_map(|_| slow_client(app.addr)).collect();
    assert!(slow.len() > 100);
    // While they hold on, a real upload takes the slot of the longest idle.
    let started = Instant::now();
    let (s, body) = upload_soon(&app.base, &jfk_wav(), Duration::from_secs(10)).await;
    assert_eq!(s, 202, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    app.wait_transcribed(body["id"].as_str().unwrap()).await;
    // The server holds no more than its limit of them.
    let mut open = 0;
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut buf = [0u8; 16];
        if let Err(e) = s.read(&mut buf) {
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut
            {
                open += 1;
            }
        }
    }
    assert!(open <= 20, "{open} slow connections kept open");
    // A body that stops half way fails after the idle timeout.
    let mut s = std::net::TcpStream::connect(app.addr).unwrap();
    s.write_all(
        b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n--XX\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\r\nRIFF",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let sent = Instant::now();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(
        sent.elapsed() < Duration::from_secs(4),
        "{:?}",
        sent.elapsed()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_on_1100_connections_leave_room_under_1024_descriptors() {
    let (_tmp, data) = temp_data();
    let port = crate::common::process::free_port();
    let mut cmd = crate::common::process::command(&data, port, &[]);
    // SAFETY: setrlimit in the forked child before exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            let lim = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut server = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    crate::common::process::wait_up(&client, &base).await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let slow: Vec<_> = (0..1100).filter_map(|_| slow_client(addr)).collect();
    assert!(slow.len() >= 1000, "{} connections", slow.len());
    let started = Instant::now();
    let (s, body) = upload_soon(&base, &jfk_wav(), Duration::from_secs(10)).await;
    assert_eq!(s, 202, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let h = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    drop(slow);
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sites_and_foreign_host_names_are_refused() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("ALLOWED_HOSTS", "stt.example.org")])).await;
    let send = |method: reqwest::Method, path: &str, headers: &[(&str, &str)]| {
        let mut r = app.client.request(method, format!("{}{path}", app.base));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send()
    };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;
    let stop = "/api/admin/workers/stop";
    // DNS rebinding: a name that is not ours.
    let r = send(get.clone(), "/health", &[("host", "evil.example")])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for host in ["localhost:1234", "stt.example.org", "127.0.0.1"] {
        let r = send(get.clone(), "/health", &[("host", host)])
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    // A cross-site form post (text/plain, no preflight) to the admin API.
    for headers in [
        vec![
            ("origin", "https://evil.example"),
            ("content-type", "text/plain"),
        ],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null")],
    ] {
        let r = send(post.clone(), stop, &headers).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    assert!(
        app.state.runner.is_running(),
        "a refused request stopped the workers"
    );
    // A cross-site upload is refused too; a cross-site read is not a write.
    let form = reqwest::multipart::Form::new().part(
        "audio",
        reqwest::multipart::Part::bytes(std::fs::read(jfk_wav()).unwrap()).file_name("a.wav"),
    );
    let r = app
        .client
        .post(format!("{}/api/events", app.base))
        .header("origin", "https://evil.example")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = send(
        get.clone(),
        "/health",
        &[("origin", "https://evil.example")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // The service's own page is same-origin.
    let origin = app.base.clone();
    let r = send(
        post.clone(),
        stop,
        &[("origin", &origin), ("sec-fetch-site", "same-origin")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!app.state.runner.is_running());
    app.stop().await;

    // With tokens set, a request from another site that carries one passes.
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("ADMIN_TOKEN", "adm1n")])).await;
    let r = app
        .client
        .post(format!("{}{stop}", app.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post(format!("{}{stop}", app.base))
        .header("origin", "https://dashboard.example")
        .bearer_auth("adm1n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

/// The atoms in `b[start..end]`: (offset, size, type).
fn atoms(b: &[u8], start: usize, end: usize) -> Vec<(usize, usize, [u8; 4])> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos + 8 <= end {
        let size = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = b[pos + 4..pos + 8].try_into().unwrap();
        if size < 8 || pos + size > end {
            break;
        }
        out.push((pos, size, kind));
        pos += size;
    }
    out
}

fn child_atoms(
    b: &[u8],
    parent: (usize, usize, [u8; 4]),
    kind: &[u8; 4],
) -> Vec<(usize, usize, [u8; 4])> {
    atoms(b, parent.0 + 8, parent.0 + parent.1)
        .into_iter()
        .filter(|a| &a.2 == kind)
        .collect()
}

/// A real fragmented MP4 (two AAC tracks, made by ffmpeg) whose second
/// track's `trun` in fragment `fragment` declares `count` samples of 0
/// bytes (default size 0, no per-sample fields): a demuxer that does not
/// count the other track's packets loops for ever (2³²−1), or for as many
/// empty packets as there are (fewer than the file has bytes).
fn sample_flood(dir: &Path, fragment: usize, count: u32) -> Vec<u8> {
    let src = dir.join(format!("frag{fragment}.m4a"));
    let ok = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .args(["-f", "lavfi", "-i", "sine=frequency=660:duration=2"])
        .args(["-map", "0", "-map", "1", "-c:a", "aac", "-ar", "16000"])
        .args(["-movflags", "frag_keyframe+empty_moov+default_base_moof"])
        .args(["-frag_duration", "500000"])
        .arg(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut b = std::fs::read(&src).unwrap();
    let top = atoms(&b, 0, b.len());
    let moov = *top.iter().find(|a| &a.2 == b"moov").unwrap();
    let mvex = child_atoms(&b, moov, b"mvex")[0];
    let trex = child_atoms(&b, mvex, b"trex")[1];
    b[trex.0 + 24..trex.0 + 28].copy_from_slice(&0u32.to_be_bytes());
    let moof = *top
        .iter()
        .filter(|a| &a.2 == b"moof")
        .nth(fragment)
        .unwrap();
    let traf = child_atoms(&b, moof, b"traf")[1];
    let tfhd = child_atoms(&b, traf, b"tfhd")[0];
    let flags = u32::from_be_bytes(b[tfhd.0 + 8..tfhd.0 + 12].try_into().unwrap()) & 0xFF_FFFF;
    if flags & 0x10 != 0 {
        let mut at = tfhd.0 + 16;
        for (bit, width) in [(0x01, 8), (0x02, 4), (0x08, 4)] {
            if flags & bit != 0 {
                at += width;
            }
        }
        b[at..at + 4].copy_from_slice(&0u32.to_be_bytes());
    }
    let trun = child_atoms(&b, traf, b"trun")[0];
    let data_offset = b[trun.0 + 16..trun.0 + 20].to_vec();
    let mut flood = 20u32.to_be_bytes().to_vec();
    flood.extend(b"trun");
    flood.extend(1u32.to_be_bytes()); // version 0, flags: data offset only
    flood.extend(count.to_be_bytes());
    flood.extend(&data_offset);
    let rest = trun.1 - 20;
    flood.extend((rest as u32).to_be_bytes());
    flood.extend(b"free");
    flood.extend(vec![0u8; rest - 8]);
    b[trun.0..trun.0 + trun.1].copy_from_slice(&flood);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_floods_and_tiny_files_declaring_hours_are_answered_within_seconds() {
    let (tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    for (fragment, count, word) in [
        (0, u32::MAX, "trun declares 4294967295 samples"),
        (3, u32::MAX, "trun declares 4294967295 samples"),
        (0, 20_000, "more packets than a file of this size"),
        (3, 20_000, "more packets than a file of this size"),
    ] {
        let started = Instant::now();
        let flood = sample_flood(tmp.path(), fragment, count);
        let (s, body) = app.upload_bytes(flood, "flood.m4a", &[]).await;
        let outcome = match s.as_u16() {
            202 => {
                let id = body["id"].as_str().unwrap();
                let ev = app
                    .wait_event(id, Duration::from_secs(30), |e| e["status"] == "failed")
                    .await;
                ev["error"].as_str().unwrap().to_string()
            }
            422 => body["error"]["message"].as_str().unwrap().to_string(),
            other => panic!("fragment {fragment}: {other} {body}"),
        };
        eprintln!(
            "{count} samples in fragment {fragment}: {s} {outcome} in {:?}",
            started.elapsed()
        );
        assert!(outcome.contains(word), "{outcome}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    // A 0.5 s FLAC whose STREAMINFO declares 2^36 - 1 samples: refused at
    // upload by its declared duration, before anything decodes it.
    let flac = ffmpeg(&jfk_wav(), &["-t", "0.5"], "flac");
    let mut b = std::fs::read(flac).unwrap();
    assert_eq!(&b[..4], b"fLaC");
    b[21] |= 0x0F;
    b[22..26].copy_from_slice(&[0xFF; 4]);
    let (s, body) = app.upload_bytes(b, "hours.flac", &[]).await;
    assert_eq!(s, 413, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too long"),
        "{body}"
    );
    // And the service goes on transcribing.
    let id = event_id(&app, &jfk_wav()).await;
    app.wait_transcribed(&id).await;
    app.stop().await;
}

/// A `susurro serve` child on a free port with `env`; its base URL.
async fn serve_process(
    data: &Path,
    env: &[(&str, &str)],
) -> (crate::common::process::Server, String) {
    let port = crate::common::process::free_port();
    let child = crate::common::process::serve(data, port, env);
    let base = format!("http://127.0.0.1:{port}");
    crate::common::process::wait_up(&reqwest::Client::new(), &base).await;
    (child, base)
}

/// Runs `work` while sampling the RSS of `pid` every 100 ms; the peak.
async fn peak_rss_during<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, u64) {
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let rss = crate::common::process::rss_of(pid);
                peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let out = work.await;
    sampler.abort();
    (out, peak.load(std::sync::atomic::Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_small_files_that_decode_to_hours_keep_the_service_under_a_gigabyte() {
    // 3.9 hours of digital silence at 8 kHz: a ~2.6 MB FLAC, its STREAMINFO
    // length cleared (0: unknown) so that only decoding finds the length.
    let (tmp, data) = temp_data();
    let flac = tmp.path().join("hours.flac");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args([
            "-i",
            "anullsrc=r=8000:cl=mono",
            "-t",
            "14000",
            "-c:a",
            "flac",
        ])
        .arg(&flac)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut b = std::fs::read(&flac).unwrap();
    b[21] &= 0xF0;
    b[22..26].copy_from_slice(&[0; 4]);
    assert!(b.len() < 4_000_000, "{} bytes", b.len());
    let (mut server, base) = serve_process(&data, &[("WORKER_MAX_CONCURRENT", "2")]).await;
    let client = reqwest::Client::new();
    let pid = server.id();
    let (events, peak) = peak_rss_during(pid, async {
        let mut ids = Vec::new();
        for _ in 0..2 {
            ids.push(crate::common::process::upload(&client, &base, &b, "hours.flac").await);
        }
        let mut done = Vec::new();
        for id in &ids {
            let within = Duration::from_secs(400);
            done.push(crate::common::process::wait_done(&client, &base, id, within).await);
        }
        done
    })
    .await;
    let _ = server.kill();
    let _ = server.wait();
    for ev in &events {
        assert_eq!(ev["status"], "transcribed", "{ev}");
        assert!(ev["duration_ms"].as_u64().unwrap() >= 13_900_000, "{ev}");
    }
    eprintln!(
        "two 3.9-hour decodes at once: peak RSS {} MB",
        peak / 1_000_000
    );
    assert!(peak < 1_000_000_000, "peak RSS {peak}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_many_unknown_fields_are_refused_without_being_kept() {
    let (_tmp, data) = temp_data();
    let (mut server, base) = serve_process(&data, &[]).await;
    let pid = server.id();
    let (statuses, peak) = peak_rss_during(pid, async {
        let uploads = (0..8).map(|_| {
            let base = base.clone();
            async move {
                // ~98 MB of 24,000 small unknown fields, streamed.
                let boundary = "XyZzy";
                let part = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"junk\"\r\n\r\n{}\r\n",
                    "x".repeat(4000)
                );
                let parts = 24_000;
                let tail = format!("--{boundary}--\r\n");
                let len = part.len() * parts + tail.len();
                let part = bytes::Bytes::from(part);
                let body = futures_util::stream::iter((0..=parts).map(move |i| {
                    Ok::<_, std::io::Error>(if i < parts {
                        part.clone()
                    } else {
                        bytes::Bytes::from(tail.clone())
                    })
                }));
                let r = reqwest::Client::new()
                    .post(format!("{base}/api/events"))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .header("content-length", len)
                    .body(reqwest::Body::wrap_stream(body))
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        (s, r.text().await.unwrap_or_default())
                    }
                    Err(e) => (0, e.to_string()),
                }
            }
        });
        futures_util::future::join_all(uploads).await
    })
    .await;
    let client = reqwest::Client::new();
    let h = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let _ = server.kill();
    let _ = server.wait();
    for (s, body) in &statuses {
        assert_eq!(*s, 400, "{body}");
        assert!(body.contains("more than 64 parts"), "{body}");
    }
    eprintln!(
        "8 bodies of unknown fields: peak RSS {} MB",
        peak / 1_000_000
    );
    assert!(peak < 600_000_000, "peak RSS {peak}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_the_process_within_grace_while_a_job_is_stuck_in_decode() {
    let (tmp, data) = temp_data();
    let child = fake_child(tmp.path(), "child.sh", "", "exec /bin/sleep 6104");
    let exe = child.display().to_string();
    let (mut server, base) = serve_process(
        &data,
        &[("MEDIA_CHILD_EXE", &exe), ("SHUTDOWN_GRACE_SECONDS", "2")],
    )
    .await;
    let client = reqwest::Client::new();
    let audio = std::fs::read(jfk_wav()).unwrap();
    crate::common::process::upload(&client, &base, &audio, "a.wav").await;
    eventually(Duration::from_secs(20), "the job never started", || async {
        processes_with("sleep 6104") > 0
    })
    .await;
    // SAFETY: kill with a pid we own.
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    let signalled = Instant::now();
    // Grace (2 s) + 5 s.
    let status = crate::common::process::wait_exit(&mut server, Duration::from_secs(7)).await;
    eprintln!("exited {status} after {:?}", signalled.elapsed());
    eventually(
        Duration::from_millis(500),
        "the decoder child outlived the service",
        async || processes_with("sleep 6104") == 0,
    )
    .await;
}

#[test]
fn a_media_child_over_its_memory_limit_is_a_clear_error() {
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_susurro"));
    let roomy =
        susurro::audio::Sandbox::new(Some(exe.clone()), 512, Duration::from_secs(5)).unwrap();
    let never = std::sync::atomic::AtomicBool::new(false);
    let mut samples = 0;
    let summary = roomy
        .decode::<susurro::audio::AudioError>(
            &jfk_mp3(),
            60,
            &never,
            |_| {},
            |b| {
                samples += b.len();
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(summary.samples as usize, samples);
    assert!(samples > 16_000, "{samples}");
    // 16 MB of address space: the child cannot hold its buffers.
    let mut tight = roomy.clone();
    tight.memory_bytes = 16 << 20;
    let err = tight
        .decode::<susurro::audio::AudioError>(&jfk_mp3(), 60, &never, |_| {}, |_| Ok(()))
        .unwrap_err();
    assert!(
        matches!(err, susurro::audio::AudioError::Sandbox(_)),
        "{err}"
    );
    assert!(err.to_string().contains("ran out of memory"), "{err}");
}
