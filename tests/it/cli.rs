//! The command line: `susurro transcribe` on real speech.

use crate::common::*;
use std::process::Command;

fn susurro() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_susurro"));
    c.env("WHISPER_MODELS_DIR", models_dir())
        .env("WHISPER_MODELS_BASE_URL", "http://127.0.0.1:9")
        .env("WHISPER_MODEL", "tiny.en");
    c
}

#[test]
fn transcribe_prints_the_sentence() {
    require_model("tiny.en");
    let out = susurro().arg("transcribe").arg(jfk_wav()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_says(JFK, &String::from_utf8_lossy(&out.stdout));
}

#[test]
fn transcribe_formats_json_srt_vtt() {
    require_model("tiny.en");
    let json = susurro()
        .args(["transcribe", "--format", "json"])
        .arg(jfk_mp3())
        .output()
        .unwrap();
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_says(JFK, v["text"].as_str().unwrap());
    assert_eq!(v["language"], "en");
    assert!(v["segments"][0]["end_ms"].as_i64().unwrap() > 0);

    let srt = susurro()
        .args(["transcribe", "--format", "srt"])
        .arg(jfk_wav())
        .output()
        .unwrap();
    let srt = String::from_utf8(srt.stdout).unwrap();
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");
    assert!(srt.contains(" --> "));

    let vtt = susurro()
        .args(["transcribe", "--format", "vtt"])
        .arg(jfk_wav())
        .output()
        .unwrap();
    assert!(String::from_utf8(vtt.stdout)
        .unwrap()
        .starts_with("WEBVTT\n\n00:00:"));
}

#[test]
fn bad_configuration_names_the_variable() {
    let out = susurro()
        .env("WORKER_MAX_CONCURRENT", "lots")
        .args(["models", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WORKER_MAX_CONCURRENT"));
}

#[test]
fn missing_model_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = susurro()
        .env("WHISPER_MODELS_DIR", dir.path())
        .arg("transcribe")
        .arg(jfk_wav())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("susurro models import"));
}
