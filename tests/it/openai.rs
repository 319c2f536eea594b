//! The OpenAI-compatible API, checked with the official `openai` Python
//! client (installed from PyPI into a virtualenv at test set-up).

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// A virtualenv with the `openai` package, made once and reused.
pub fn openai_python() -> PathBuf {
    let venv = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/susurro/openai-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import openai"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        let _lock = whisper_lock();
        let st = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(st.success(), "python3 -m venv failed");
        let st = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "openai"])
            .status()
            .unwrap();
        assert!(st.success(), "pip install openai failed");
    }
    python
}

/// Runs `script BASE AUDIO` with the venv's `python` on a blocking thread;
/// the one JSON object it prints.
pub async fn run_client(python: PathBuf, script: PathBuf, base: &str, audio: PathBuf) -> Value {
    let base = base.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(base)
            .arg(audio)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn parse_srt_like(s: &str, sep: char) -> Vec<(f64, f64)> {
    let secs = |t: &str| -> f64 {
        let t = t.trim().replace(sep, ".");
        let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    s.lines()
        .filter(|l| l.contains(" --> "))
        .map(|l| {
            let (a, b) = l.split_once(" --> ").unwrap();
            (secs(a), secs(b))
        })
        .collect()
}

fn assert_increasing(cues: &[(f64, f64)]) {
    assert!(!cues.is_empty());
    let mut last = 0.0;
    for &(a, b) in cues {
        assert!(a >= last && b > a, "{cues:?}");
        last = b;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_works_against_susurro() {
    require_model("tiny.en");
    let python = tokio::task::spawn_blocking(openai_python).await.unwrap();
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[("API_TOKEN", "test-key")])).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/openai_client.py");
    let r = run_client(python, script, &app.base, jfk_wav()).await;

    assert_says(JFK, r["json"].as_str().unwrap());
    assert_says(JFK, r["text"].as_str().unwrap());
    assert_says(JFK, r["translation"].as_str().unwrap());
    let srt = r["srt"].as_str().unwrap();
    assert!(srt.starts_with("1\n"), "{srt}");
    assert_increasing(&parse_srt_like(srt, ','));
    let vtt = r["vtt"].as_str().unwrap();
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert_increasing(&parse_srt_like(vtt, '.'));

    let v = &r["verbose"];
    assert_eq!(v["task"], "transcribe");
    assert_eq!(v["language"], "english");
    let expected = susurro::audio::decode_file(&jfk_wav(), 600)
        .unwrap()
        .duration_ms as f64
        / 1000.0;
    assert!(
        (v["duration"].as_f64().unwrap() - expected).abs() < 0.05,
        "{v}"
    );
    assert_says(JFK, v["text"].as_str().unwrap());
    let segs = v["segments"].as_array().unwrap();
    assert!(!segs.is_empty());
    let mut last = 0.0;
    for s in segs {
        let (a, b) = (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
        assert!(a >= last && b > a, "{s}");
        last = b;
        assert!(!s["tokens"].as_array().unwrap().is_empty());
        assert!(s["avg_logprob"].as_f64().unwrap() < 0.0);
        assert!(s["compression_ratio"].as_f64().unwrap() > 0.0);
        let nsp = s["no_speech_prob"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&nsp));
    }

    // Word timestamps: the sentence's words, in order, with increasing times.
    let words = r["words"].as_array().unwrap();
    let said: Vec<String> = words
        .iter()
        .map(|w| w["word"].as_str().unwrap().to_string())
        .collect();
    assert_says(JFK, &said.join(" "));
    let mut last = 0.0;
    for w in words {
        let (a, b) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
        assert!(a >= last - 0.05 && b >= a && b <= 12.0, "{w}");
        last = a;
    }

    let models: Vec<&str> = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        models.contains(&"whisper-1") && models.contains(&"tiny.en"),
        "{models:?}"
    );
    assert_eq!(r["model_whisper_1"], "whisper-1");

    for (key, class, status) in [
        ("err_unknown_model", "BadRequestError", 400),
        ("err_format", "BadRequestError", 400),
        ("err_no_file", "BadRequestError", 400),
        ("err_model_retrieve", "NotFoundError", 404),
    ] {
        let e = &r[key];
        assert_eq!(e["class"], class, "{key}: {e}");
        assert_eq!(e["status"], status, "{key}: {e}");
        let body = &e["body"];
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{key}: {e}"
        );
        assert!(body["type"].is_string(), "{key}: {e}");
        assert!(
            body.get("param").is_some() && body.get("code").is_some(),
            "{key}: {e}"
        );
    }
    // An upload may name only installed models, and is told which there are.
    let m = r["err_unknown_model"]["body"]["message"].as_str().unwrap();
    assert!(m.contains("tiny.en") && m.contains("no-such-model"), "{m}");
    let e = &r["err_not_audio"];
    assert_eq!(e["class"], "BadRequestError", "{e}");
    assert_eq!(e["body"]["code"], "invalid_file_format", "{e}");
    assert_eq!(e["body"]["param"], "file", "{e}");

    // Without the token: the client's authentication error.
    let resp = app
        .client
        .get(format!("{}/v1/models", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
    app.stop().await;
}
