//! Prometheus metrics: every series the service exports, named in one
//! place, recorded through the `metrics` facade and rendered by
//! `metrics-exporter-prometheus` at `GET /metrics`. Counters and histograms
//! are recorded where the work happens; gauges of state that lives in the
//! database or the model cache (`susurro_jobs`, `susurro_model_loaded`) are
//! written at each scrape from that service's own state.
//!
//! The recorder is process-wide (one per process, installed by the first
//! server built); without it, recording is a no-op (the CLI).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

pub const JOBS: &str = "susurro_jobs";
pub const JOB_DURATION: &str = "susurro_job_duration_seconds";
pub const TRANSCRIBED_AUDIO: &str = "susurro_transcribed_audio_seconds_total";
pub const REALTIME_FACTOR: &str = "susurro_transcription_realtime_factor";
pub const UPLOADS: &str = "susurro_uploads_total";
/// Connections closed because `HTTP_MAX_CONNECTIONS` were open: the
/// longest idle one, to make room, or a new one when all were busy.
pub const CONNECTIONS_REFUSED: &str = "susurro_http_connections_refused_total";
pub const HTTP_REQUESTS: &str = "susurro_http_requests_total";
pub const HTTP_DURATION: &str = "susurro_http_request_duration_seconds";
pub const MODEL_LOADED: &str = "susurro_model_loaded";
pub const MODEL_DOWNLOADS: &str = "susurro_model_downloads_total";
pub const REALTIME_SESSIONS: &str = "susurro_realtime_sessions_total";
pub const REALTIME_UTTERANCES: &str = "susurro_realtime_utterances_total";
/// From the end of an utterance's speech reaching the server to its
/// `completed` event.
pub const REALTIME_LATENCY: &str = "susurro_realtime_completed_latency_seconds";

/// Seconds: from a millisecond HTTP answer to an hour-long transcription.
const SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];
/// Inference time ÷ audio time: under 1 is faster than real time.
const RATIOS: &[f64] = &[
    0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0,
];

static AUDIO_MS: AtomicU64 = AtomicU64::new(0);
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// Models that were ever reported loaded (so an unloaded one reads 0).
static SEEN_MODELS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Installs the process-wide recorder (once) and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(REALTIME_FACTOR.into()), RATIOS))
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder (a test harness's) may already be installed;
        // rendering then shows what this one saw, which is nothing.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "Time a job ran, by kind and outcome"
    );
    describe_counter!(TRANSCRIBED_AUDIO, Unit::Seconds, "Audio transcribed");
    describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections closed because HTTP_MAX_CONNECTIONS were open (the longest idle, or the new one)"
    );
    describe_histogram!(
        REALTIME_FACTOR,
        "Inference time divided by audio time, per transcription"
    );
    describe_counter!(
        UPLOADS,
        "Uploads, by outcome (accepted, too_large, unsupported, invalid)"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests, by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request time, by method, route template and status"
    );
    describe_counter!(
        MODEL_DOWNLOADS,
        "Model downloads, by model and outcome (verified, failed)"
    );
    describe_counter!(
        REALTIME_SESSIONS,
        "Live dictation sessions, by outcome (opened, refused)"
    );
    describe_counter!(REALTIME_UTTERANCES, "Live dictation utterances completed");
    describe_histogram!(
        REALTIME_LATENCY,
        Unit::Seconds,
        "Live dictation: from the end of speech reaching the server to the utterance's completed event"
    );
}

/// A job ended (`outcome`: completed, failed).
pub fn job_finished(kind: &'static str, outcome: &'static str, seconds: f64) {
    metrics::histogram!(JOB_DURATION, "kind" => kind, "outcome" => outcome).record(seconds);
}

/// A recording was transcribed.
pub fn transcribed(audio_ms: u64, inference_ms: u64) {
    // Counters are whole numbers: the total is kept in milliseconds and
    // exported in whole seconds, so no rounding adds up.
    let total = AUDIO_MS.fetch_add(audio_ms, Ordering::Relaxed) + audio_ms;
    metrics::counter!(TRANSCRIBED_AUDIO).absolute(total / 1000);
    let audio = audio_ms as f64 / 1000.0;
    if audio > 0.0 {
        metrics::histogram!(REALTIME_FACTOR).record(inference_ms as f64 / 1000.0 / audio);
    }
}

/// An upload was taken or refused.
pub fn upload(outcome: &'static str) {
    metrics::counter!(UPLOADS, "outcome" => outcome).increment(1);
}

/// A connection was closed because too many were open.
pub fn connection_refused() {
    metrics::counter!(CONNECTIONS_REFUSED).increment(1);
}

/// An HTTP request was answered.
pub fn http_request(method: &str, route: &str, status: u16, seconds: f64) {
    let labels = [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(seconds);
}

/// A live session was opened or refused (`outcome`).
pub fn realtime_session(outcome: &'static str) {
    metrics::counter!(REALTIME_SESSIONS, "outcome" => outcome).increment(1);
}

/// A live utterance completed, `seconds` after its speech ended.
pub fn realtime_utterance(seconds: f64) {
    metrics::counter!(REALTIME_UTTERANCES).increment(1);
    metrics::histogram!(REALTIME_LATENCY).record(seconds);
}

/// A model download ended (`outcome`: verified, failed).
pub fn model_download(model: &str, outcome: &'static str) {
    metrics::counter!(MODEL_DOWNLOADS, "model" => model.to_string(), "outcome" => outcome)
        .increment(1);
}

/// The exposition text: what the recorder holds, then this service's state
/// gauges (queue counts as `(kind, state, count)`, every kind × state with
/// zeros; the loaded models). The state gauges are written per scrape, not
/// kept in the process-wide recorder, so two services in one process (the
/// tests) never show each other's queue.
pub fn render(jobs: &[(String, String, i64)], loaded: &[String]) -> String {
    use std::fmt::Write;
    let mut out = install().render();
    let _ = writeln!(out, "# HELP {JOBS} Jobs in the queue, by kind and state");
    let _ = writeln!(out, "# TYPE {JOBS} gauge");
    for (kind, state, n) in jobs {
        let _ = writeln!(
            out,
            "{JOBS}{{kind=\"{}\",state=\"{}\"}} {n}",
            label(kind),
            label(state)
        );
    }
    let mut seen = SEEN_MODELS.lock().unwrap_or_else(|e| e.into_inner());
    seen.extend(loaded.iter().cloned());
    let _ = writeln!(
        out,
        "# HELP {MODEL_LOADED} 1 while a model is loaded in memory, by model"
    );
    let _ = writeln!(out, "# TYPE {MODEL_LOADED} gauge");
    for model in seen.iter() {
        let on = u8::from(loaded.contains(model));
        let _ = writeln!(out, "{MODEL_LOADED}{{model=\"{}\"}} {on}", label(model));
    }
    out
}

/// A label value escaped for the text format.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
