//! The API description: `/openapi.json` is valid OpenAPI 3.1 (checked by
//! `openapi-spec-validator`), covers every route, and the running service
//! keeps to it under schemathesis (both from PyPI, installed by
//! `scripts/test` into a virtualenv outside the clone, `SUSURRO_API_VENV`).

use crate::common::server::{settings, temp_data, TestApp};
use std::path::PathBuf;
use std::process::Command;

fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("SUSURRO_API_VENV").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/susurro/api-venv"),
        PathBuf::from,
    );
    let bin = venv.join("bin").join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/test (or scripts/fetch-test-tools)",
        bin.display()
    );
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_is_valid_complete_and_the_service_keeps_to_it() {
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(&data, &[])).await;
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/api/events",
        "/api/events/{id}",
        "/health",
        "/metrics",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
        "/v1/models",
        "/v1/models/{id}",
        "/api/admin/models",
        "/api/admin/models/download",
        "/api/admin/models/active",
        "/api/admin/models/{size}",
        "/api/admin/queue",
        "/api/admin/transcripts",
        "/api/admin/purge-transcripts",
        "/api/admin/workers",
        "/api/admin/workers/start",
        "/api/admin/workers/stop",
    ] {
        assert!(paths.contains_key(route), "{route} is not described");
    }
    // The interactive page is served from the binary.
    let r = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("swagger-ui-bundle.js") && !html.contains("://cdn"),
        "{html}"
    );
    let r = app
        .client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().len() > 100_000);

    let url = format!("{}/openapi.json", app.base);
    let python = venv_bin("python");
    let st = venv_bin("st");
    let (validated, fuzzed) = tokio::task::spawn_blocking(move || {
        let validated = Command::new(python)
            .args([
                "-c",
                "import json, sys, urllib.request\n\
                 from openapi_spec_validator import validate\n\
                 validate(json.load(urllib.request.urlopen(sys.argv[1])))\n\
                 print('valid')",
                &url,
            ])
            .output()
            .unwrap();
        // Every check but "schema-valid requests are accepted": a
        // schema-valid upload may still be bytes that are not audio (415).
        // Run from a temporary folder: schemathesis keeps a cache in its
        // working directory.
        let fuzzed = Command::new(st)
            .current_dir(std::env::temp_dir())
            .args(["run", &url, "--checks", "all"])
            .args(["--exclude-checks", "positive_data_acceptance"])
            .args(["--max-examples", "25", "--request-timeout", "30"])
            .args(["--generation-deterministic", "--no-color"])
            .output()
            .unwrap();
        (validated, fuzzed)
    })
    .await
    .unwrap();
    assert!(
        validated.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    let report = String::from_utf8_lossy(&fuzzed.stdout);
    assert!(
        fuzzed.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&fuzzed.stderr)
    );
    assert!(report.contains("passed"), "{report}");
    // The service is still well after the fuzzing.
    let (status, _) = app.get_json("/health").await;
    assert_eq!(status, 200);
    app.stop().await;
}
