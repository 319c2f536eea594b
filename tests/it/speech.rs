//! Speech detection over real HTTP with the default model (base, 8-bit): recordings
//! without speech (silence, noise, room tone, mains hum, synthetic music)
//! give an empty transcript marked `no_speech`, in Spanish and with
//! language detection; speech separated by a long pause comes back once
//! each, on the right timeline; trailing silence adds nothing; live dictation's Silero stream, heard in
//! pieces, matches one pass; beam search and greedy decoding both give the
//! words.

use crate::common::server::{settings, temp_data, TestApp};
use crate::common::*;
use std::path::PathBuf;

fn base_app_settings(data: &std::path::Path) -> susurro::config::Settings {
    settings(
        data,
        &[
            ("WHISPER_MODEL", "base-q8_0"),
            ("WHISPER_LANGUAGE", "es"),
            ("WHISPER_THREADS", "2"),
            ("WORKER_MAX_CONCURRENT", "1"),
        ],
    )
}

fn non_speech() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("digital silence", silence(10.0)),
        (
            "pink noise",
            sox(&[], &["synth", "10", "pinknoise", "vol", "0.3"]),
        ),
        (
            "room tone",
            sox(&[], &["synth", "10", "brownnoise", "vol", "0.05"]),
        ),
        (
            "mains hum",
            sox(
                &[],
                &["synth", "10", "sine", "50", "sine", "150", "vol", "0.3"],
            ),
        ),
        (
            "synthetic music",
            sox(
                &[],
                &[
                    "synth", "10", "pluck", "C4", "pluck", "E4", "pluck", "G4", "tremolo", "3",
                    "40",
                ],
            ),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_without_speech_give_an_empty_transcript() {
    require_model("base-q8_0");
    let (_tmp, data) = temp_data();
    let app = TestApp::start(base_app_settings(&data)).await;
    for (name, wav) in non_speech() {
        for lang in ["es", "auto"] {
            let (s, body) = app.upload(&wav, &[("language", lang)]).await;
            assert_eq!(s, 202, "{name}: {body}");
            let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
            let t = &ev["transcript"];
            assert_eq!(t["text"], "", "{name} ({lang}): {t}");
            assert_eq!(t["no_speech"], true, "{name} ({lang})");
            assert!(t["segments"].as_array().unwrap().is_empty());
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_around_a_long_pause_is_transcribed_once_each_on_its_own_time() {
    require_model("base-q8_0");
    // espeak-ng's Spanish, in words base hears back.
    let first = espeak_wav(
        "Buenos días a todos. Hoy revisamos el presupuesto del proyecto.",
        "es",
    );
    let second = espeak_wav(
        "Después de la reunión, todos escribieron el informe final.",
        "es",
    );
    let pause = silence(25.0);
    let wav = sox(&[&first, &pause, &second], &[]);
    let second_at = {
        let len = |p: &std::path::Path| {
            let r = hound::WavReader::open(p).unwrap();
            r.duration() as i64 * 1000 / r.spec().sample_rate as i64
        };
        len(&first) + 25_000 + speech_onset_ms(&second)
    };
    let (_tmp, data) = temp_data();
    let app = TestApp::start(base_app_settings(&data)).await;
    let (s, body) = app.upload(&wav, &[]).await;
    assert_eq!(s, 202);
    let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
    let t = &ev["transcript"];
    let text = t["text"].as_str().unwrap().to_lowercase();
    for (word, n) in [("presupuesto", 1), ("reunión", 1), ("informe", 1)] {
        assert_eq!(text.matches(word).count(), n, "{word:?} in {text:?}");
    }
    let segs = t["segments"].as_array().unwrap();
    let starts: Vec<i64> = segs
        .iter()
        .filter(|s| {
            s["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("reunión")
        })
        .map(|s| s["start_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(starts.len(), 1, "{segs:?}");
    assert!(
        (starts[0] - second_at).abs() <= 500,
        "second utterance at {} ms, truth {second_at} ms",
        starts[0]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_silence_adds_nothing() {
    require_model("base-q8_0");
    let said = "La semana que viene terminamos el proyecto.";
    let note = espeak_wav(said, "es");
    let wav = sox(&[&note, &silence(40.0)], &[]);
    let (_tmp, data) = temp_data();
    let app = TestApp::start(base_app_settings(&data)).await;
    let (s, body) = app.upload(&wav, &[]).await;
    assert_eq!(s, 202);
    let ev = app.wait_transcribed(body["id"].as_str().unwrap()).await;
    let t = &ev["transcript"];
    let text = t["text"].as_str().unwrap();
    let w = wer(said, text);
    assert!(w <= 0.25, "WER {w:.2}: {text:?}");
    assert!(
        words(text).len() <= words(said).len() + 2,
        "invented text: {text:?}"
    );
    let last_end = t["segments"].as_array().unwrap().last().unwrap()["end_ms"]
        .as_i64()
        .unwrap();
    let speech_ms = {
        let r = hound::WavReader::open(&note).unwrap();
        r.duration() as i64 * 1000 / r.spec().sample_rate as i64
    };
    assert!(last_end <= speech_ms + 1_000, "segment at {last_end} ms");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_recordings_report_chunks_and_openai_chunking_strategy_is_accepted() {
    require_model("base-q8_0");
    let minute = repeated(&jfk_wav(), 6);
    let (_tmp, data) = temp_data();
    let app = TestApp::start(settings(
        &data,
        &[
            ("WHISPER_MODEL", "base-q8_0"),
            ("WHISPER_LANGUAGE", "en"),
            ("WHISPER_THREADS", "2"),
            ("WORKER_MAX_CONCURRENT", "1"),
        ],
    ))
    .await;
    let (s, body) = app.upload(&minute, &[]).await;
    assert_eq!(s, 202);
    let id = body["id"].as_str().unwrap().to_string();
    // The workers view counts chunks while it runs.
    let total = crate::common::poll(
        std::time::Duration::from_secs(60),
        "chunks known",
        async || {
            let (_, w) = app.get_json("/api/admin/workers").await;
            let j = &w["jobs"][0];
            match j["chunks_total"].as_u64() {
                Some(total) if total > 0 => {
                    assert!(j["chunks_done"].as_u64().unwrap() <= total);
                    Ok(total)
                }
                _ => Err(w),
            }
        },
    )
    .await;
    assert!(total >= 4, "a minute of speech in {total} chunks");
    let ev = app.wait_transcribed(&id).await;
    let text = ev["transcript"]["text"].as_str().unwrap().to_lowercase();
    assert_eq!(text.matches("fellow americans").count(), 6, "{text}");

    // OpenAI's chunking_strategy: "auto" and a server_vad object.
    for strategy in [
        "auto",
        r#"{"type":"server_vad","prefix_padding_ms":300,"silence_duration_ms":500,"threshold":0.4}"#,
    ] {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(std::fs::read(jfk_wav()).unwrap())
                    .file_name("jfk.wav"),
            )
            .text("chunking_strategy", strategy.to_string());
        let r = app
            .client
            .post(format!("{}/v1/audio/transcriptions", app.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{strategy}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_says(JFK, v["text"].as_str().unwrap());
    }
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(jfk_wav()).unwrap()).file_name("a.wav"),
        )
        .text("chunking_strategy", r#"{"type":"client_vad"}"#);
    let r = app
        .client
        .post(format!("{}/v1/audio/transcriptions", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

/// Live dictation's Silero stream: audio heard 100 ms at a time gives the
/// probabilities that one pass over the whole recording gives (the state
/// carried between pieces), from a clean state (a new whisper.cpp VAD
/// context's state is not zeroed: its first probabilities were noise).
#[test]
fn a_silero_stream_heard_in_pieces_matches_one_pass() {
    use susurro::stt::listen::WINDOW;
    let vad = susurro::stt::vad::SileroVad::load(&require_model("silero-v6.2.3")).unwrap();
    let audio = susurro::audio::decode_file(&jfk_wav(), 600)
        .unwrap()
        .samples;
    let whole = vad.stream().unwrap().hear(&audio).unwrap();
    assert_eq!(whole.len(), audio.len() / WINDOW);
    let mut stream = vad.stream().unwrap();
    let mut pieces = Vec::new();
    // 1600 samples a piece: windows straddle the pieces' edges.
    let mut heard = 0;
    for end in (1600..audio.len()).step_by(1600) {
        let from = heard * WINDOW;
        let new = stream.hear(&audio[from..end]).unwrap();
        heard += new.len();
        pieces.extend(new);
    }
    assert_eq!(
        pieces[..],
        whole[..pieces.len()],
        "state carried across pieces"
    );
    // JFK opens with ~0.3 s of silence, then speaks.
    let opening = whole[..5].iter().sum::<f32>() / 5.0;
    assert!(opening < 0.15, "{:?}", &whole[..8]);
    assert!(whole.iter().filter(|&&p| p > 0.9).count() > whole.len() / 2);
    stream.reset();
    assert_eq!(stream.hear(&audio[..WINDOW * 4]).unwrap(), whole[..4]);
    let regions = susurro::stt::listen::regions(&whole, 0.5, 16_000 / 2, 4_000);
    assert!(
        regions.len() >= 2,
        "JFK's long pauses split it: {regions:?}"
    );
}

/// Beam search (the jobs' default, `WHISPER_BEAM_SIZE`; its beams take the
/// most probable tokens and it ends when its best beam has ended,
/// `vendor/whisper-rs-sys/SUSURRO.md` changes 8 and 11) and
/// greedy decoding (live dictation, `WHISPER_BEAM_SIZE=1`) both give the
/// words of speech with the default model, up to the most beams allowed.
#[test]
fn beam_search_and_greedy_decoding_both_give_the_words() {
    require_model("base-q8_0");
    let engine = susurro::stt::Engine::new(models_dir());
    let model = engine.model(&name("base-q8_0")).unwrap();
    let audio = espeak_wav(JFK, "en-us");
    for beams in [1, 3, 8] {
        let got = transcribe_beams(&model, &audio, "en", beams).text;
        let e = wer(JFK, &got);
        assert!(e < 0.15, "{beams} beams: WER {e:.2} for {got:?}");
    }
}
