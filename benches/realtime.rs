//! Live dictation latency (`cargo bench --bench realtime`): 1, 2 and 4
//! simultaneous sessions, each streaming real recordings (FLEURS English
//! clips from `../shared/eval/en`, or jfk.wav) at real-time pace in 100 ms
//! frames of 16 kHz PCM16, with 1.5 s pauses, through `/v1/realtime` of an
//! in-process service with its default model and settings
//! (`REALTIME_MAX_SESSIONS=4` so that four fit). Prints, per row: the
//! utterances completed, the median and p95 time from the end of speech
//! (the VAD's end of the utterance reaching the server) to `completed`, and
//! the median delay of an utterance's first `delta` after its speech began.
//! A last row runs 2 sessions while two 10-minute recordings are being
//! transcribed as jobs (every job slot busy).
//! A measurement, not a test: it asserts nothing.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const RATE: usize = 16_000;
/// The live decoder keeps this much audio after the speech it found.
const TAIL_PAD_MS: u64 = 200;

fn models_dir() -> PathBuf {
    std::env::var_os("SUSURRO_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/susurro/test-models")
        })
}

/// Real English speech, 16 kHz mono.
fn clips() -> Vec<Vec<f32>> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let mut files: Vec<PathBuf> = (0..10)
        .map(|i| shared.join(format!("eval/en/fleurs_en_{i:03}.ogg")))
        .filter(|p| p.is_file())
        .collect();
    if files.is_empty() {
        files.push(shared.join("samples/jfk.wav"));
    }
    files
        .iter()
        .map(|f| susurro::audio::decode_file(f, 600).expect("a clip").samples)
        .collect()
}

/// What one session saw: per utterance, end-of-speech → completed, and
/// speech start → first delta.
#[derive(Default)]
struct Seen {
    completed: Vec<f64>,
    first_delta: Vec<f64>,
}

async fn session(base: String, audio: Vec<f32>) -> Seen {
    let url = format!("{}/v1/realtime", base.replace("http://", "ws://"));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let (mut tx, mut rx) = ws.split();
    let update = json!({ "type": "transcription_session.update", "session": {
        "input_audio_sample_rate": 16000,
        "input_audio_transcription": { "model": "whisper-1", "language": "en" } } });
    tx.send(Message::Text(update.to_string().into()))
        .await
        .unwrap();
    let start = Instant::now();
    let frames = audio.len().div_ceil(RATE / 10);
    let sender = tokio::spawn(async move {
        use base64::Engine as _;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        for f in audio.chunks(RATE / 10) {
            tick.tick().await;
            let pcm: Vec<u8> = f
                .iter()
                .flat_map(|s| ((s * 32767.0) as i16).to_le_bytes())
                .collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(pcm);
            let ev = json!({ "type": "input_audio_buffer.append", "audio": b64 });
            tx.send(Message::Text(ev.to_string().into())).await.unwrap();
        }
        tx
    });
    // Frame k leaves at start + k × 100 ms (the interval's pace).
    let sent_at = |ms: u64| start + Duration::from_millis(ms.div_ceil(100) * 100);
    let mut seen = Seen::default();
    let (mut began, mut ended) = (
        std::collections::HashMap::new(),
        std::collections::HashMap::new(),
    );
    let mut delta_seen = std::collections::HashSet::new();
    let deadline = start + Duration::from_millis(frames as u64 * 100 + 15_000);
    while let Ok(Some(Ok(Message::Text(t)))) =
        tokio::time::timeout_at(deadline.into(), rx.next()).await
    {
        let ev: Value = serde_json::from_str(t.as_str()).unwrap();
        let item = ev["item_id"].as_str().unwrap_or_default().to_string();
        match ev["type"].as_str().unwrap_or_default() {
            "input_audio_buffer.speech_started" => {
                began.insert(item, ev["audio_start_ms"].as_u64().unwrap());
            }
            "input_audio_buffer.speech_stopped" => {
                ended.insert(item, ev["audio_end_ms"].as_u64().unwrap());
            }
            "conversation.item.input_audio_transcription.delta" => {
                if let (Some(ms), true) = (began.get(&item), delta_seen.insert(item.clone())) {
                    let after = Instant::now().saturating_duration_since(sent_at(*ms));
                    seen.first_delta.push(after.as_secs_f64());
                }
            }
            "conversation.item.input_audio_transcription.completed" => {
                if let Some(ms) = ended.get(&item) {
                    let spoke = sent_at(ms.saturating_sub(TAIL_PAD_MS));
                    seen.completed.push(
                        Instant::now()
                            .saturating_duration_since(spoke)
                            .as_secs_f64(),
                    );
                }
            }
            _ => {}
        }
    }
    let _ = sender.await;
    seen
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Each session's audio: three clips (a different start per session), each
/// followed by 1.5 s of silence.
fn recording(clips: &[Vec<f32>], session: usize) -> Vec<f32> {
    let mut out = Vec::new();
    for k in 0..3 {
        out.extend_from_slice(&clips[(session * 3 + k) % clips.len()]);
        out.extend(std::iter::repeat_n(0.0, RATE * 3 / 2));
    }
    out
}

/// Ten minutes of the clips end to end as a WAV file (a long job to run
/// beside the sessions).
fn long_wav(clips: &[Vec<f32>], dir: &Path) -> PathBuf {
    let path = dir.join("long.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    let mut written = 0;
    for clip in clips.iter().cycle() {
        for v in clip {
            w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
                .unwrap();
        }
        written += clip.len();
        if written >= RATE * 600 {
            break;
        }
    }
    w.finalize().unwrap();
    path
}

/// Uploads `file` as an event (an stt job).
async fn upload(base: &str, file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    let part = reqwest::multipart::Part::bytes(bytes).file_name("long.wav");
    let form = reqwest::multipart::Form::new().part("audio", part);
    let r = reqwest::Client::new()
        .post(format!("{base}/api/events"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(
        status,
        202,
        "upload: {}",
        r.text().await.unwrap_or_default()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list of benchmarks
    }
    let data = tempfile::tempdir().unwrap();
    let models = models_dir();
    let settings = susurro::config::Settings::from_lookup(|k| match k {
        "SUSURRO_ADDR" => Some("127.0.0.1:0".into()),
        "SUSURRO_DATA_DIR" => Some(data.path().display().to_string()),
        "WHISPER_MODELS_DIR" => Some(models.display().to_string()),
        "REALTIME_MAX_SESSIONS" => Some("4".into()),
        // Uploads are probed and decoded by the susurro binary's media
        // child (this bench's own executable is not one).
        "MEDIA_CHILD_EXE" => Some(env!("CARGO_BIN_EXE_susurro").into()),
        _ => None,
    })
    .expect("settings");
    let model = settings.models.active.to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let app = susurro::app::App::build(settings).await.expect("service");
        let base = format!("http://{}", app.addr());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let clips = clips();
        println!("CPU: {}", susurro::stt::cpu::describe());
        println!("model {model}, default settings, {} cores", susurro::config::available_cores());
        session(base.clone(), recording(&clips, 9)).await; // warm-up: models loaded
        println!("| sessions | utterances | end of speech → completed, median | p95 | first delta after speech start, median |");
        println!("|---|---|---|---|---|");
        let long = long_wav(&clips, data.path());
        for (n, jobs) in [(1usize, 0), (2, 0), (4, 0), (2, 2)] {
            // Jobs already running on every core when the sessions start.
            for _ in 0..jobs {
                upload(&base, &long).await;
            }
            if jobs > 0 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let runs = (0..n).map(|i| session(base.clone(), recording(&clips, i)));
            let seen = futures_util::future::join_all(runs).await;
            let mut done: Vec<f64> = seen.iter().flat_map(|s| s.completed.clone()).collect();
            let mut first: Vec<f64> = seen.iter().flat_map(|s| s.first_delta.clone()).collect();
            let label = if jobs > 0 {
                format!("{n}, with {jobs} jobs of 10 min running")
            } else {
                n.to_string()
            };
            println!(
                "| {label} | {} | {:.2} s | {:.2} s | {:.2} s |",
                done.len(),
                quantile(&mut done, 0.5),
                quantile(&mut done, 0.95),
                quantile(&mut first, 0.5)
            );
        }
    });
}
