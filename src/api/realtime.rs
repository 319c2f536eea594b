//! `/v1/realtime`: live dictation over a WebSocket, in OpenAI's Realtime
//! transcription protocol. The client sends `session.update` (or
//! `transcription_session.update`), `input_audio_buffer.append` (base64
//! PCM16 mono, 24 kHz, or 16 kHz when the session says so),
//! `input_audio_buffer.commit` and `.clear`; the server answers
//! `input_audio_buffer.speech_started` / `speech_stopped` / `committed`,
//! `conversation.item.input_audio_transcription.delta` (new words while the
//! utterance is still open) and `.completed`, and `error` events with a
//! code. With `"save": true` in the session, the session's audio and text
//! become a transcribed event when it closes; a client that ends it with
//! `{"type": "session.close"}` (this service's addition) gets the last
//! utterance's text and then `{"type": "session.saved", "saved_event_id"}`. The audio logic is
//! [`crate::live`]; here is the protocol, the session limit
//! (`REALTIME_MAX_SESSIONS`), the idle timeout and the bounds on messages.

use super::{AppState, OpenAiError};
use crate::live::save::Utterance;
use crate::live::{self, Decoding, Dictation, Step, TurnDetection};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Largest client message: an append of about 60 s of 24 kHz audio.
const MAX_MESSAGE: usize = 4 << 20;
/// A client that does not take an event within this is let go.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// New audio that makes a new analysis step worth it.
const STEP_MS: usize = 100;

/// The live sessions' shared limits.
#[derive(Clone)]
pub struct Live {
    slots: Arc<Semaphore>,
    /// `REALTIME_MAX_SESSIONS`.
    pub max_sessions: usize,
    /// `REALTIME_IDLE_SECONDS`.
    pub idle: Duration,
    /// The service's speech detection (which Silero model).
    pub vad: crate::stt::VadSettings,
    /// `TRANSCRIPT_TTL_DAYS`, for saved sessions.
    pub ttl: Duration,
    /// The cores the sessions' decodes share (`live::Decoding::cores`).
    pub cores: Arc<crate::stt::cores::Cores>,
}

impl Live {
    /// The live part of `settings`.
    pub fn of(settings: &crate::config::Settings) -> Self {
        let max = settings.realtime.max_sessions;
        Self {
            slots: Arc::new(Semaphore::new(max)),
            max_sessions: max,
            idle: settings.realtime.idle,
            vad: settings.transcribe.vad.clone(),
            ttl: settings.retention.transcript_ttl,
            cores: crate::stt::cores::for_live(),
        }
    }

    /// Whisper threads for one partial decode: the cores shared by the open
    /// sessions (more threads than cores in all is many times slower:
    /// ggml's threads spin while they wait).
    fn threads(&self) -> usize {
        let open = self.max_sessions - self.slots.available_permits();
        (crate::config::available_cores() / open.max(1)).max(1)
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/realtime", get(realtime))
}

/// The API token as a browser can send it: `Authorization: Bearer`, the
/// subprotocol `openai-insecure-api-key.<token>`, or `?api_key=`.
fn presented_token(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(b) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(b.trim().to_string());
    }
    let protocols = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(t) = protocols
        .split(',')
        .find_map(|p| p.trim().strip_prefix("openai-insecure-api-key."))
    {
        return Some(t.to_string());
    }
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("api_key="))
        .map(str::to_string)
}

#[utoipa::path(get, path = "/v1/realtime", tag = "openai",
    responses(
        (status = 101, description = "A WebSocket speaking OpenAI's Realtime transcription protocol (see README: Live dictation)"),
        (status = 400, description = "Not a WebSocket upgrade request", body = super::openapi::OpenAiErrorBody),
        (status = 401, description = "API_TOKEN is set and was not given", body = super::openapi::OpenAiErrorBody),
    ))]
pub(super) async fn realtime(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Result<Response, OpenAiError> {
    let token = presented_token(&headers, &uri);
    super::auth::authorize_api(st.settings.api_token.as_deref(), token.as_deref())?;
    let permit = st.live.slots.clone().try_acquire_owned().ok();
    let ws = ws
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .protocols(["realtime"]);
    Ok(ws.on_upgrade(move |socket| async move {
        match permit {
            Some(permit) => {
                Session::new(st, socket, permit).run().await;
                // A session's audio and messages are freed now: hand the
                // pages back (a burst of sessions must not keep its peak).
                let _ = tokio::task::spawn_blocking(crate::heap::release_free).await;
            }
            None => refuse(socket).await,
        }
    }))
}

/// Beyond `REALTIME_MAX_SESSIONS`: an error event, then the close.
async fn refuse(mut socket: WebSocket) {
    crate::metrics::realtime_session("refused");
    let e = error_event(
        "session_limit_reached",
        "all live dictation sessions are in use (REALTIME_MAX_SESSIONS); try again later",
    );
    let _ = tokio::time::timeout(SEND_TIMEOUT, async {
        let _ = socket.send(Message::Text(e.to_string().into())).await;
        let _ = socket.send(Message::Close(None)).await;
    })
    .await;
}

fn error_event(code: &str, message: &str) -> Value {
    json!({ "type": "error", "error": { "type": "invalid_request_error", "code": code, "message": message } })
}

/// The utterance being spoken.
struct Open {
    item: String,
    /// Where it starts and its last decode.
    utterance: live::OpenUtterance,
    /// The text sent as deltas so far.
    said: String,
}

/// What a step of analysis found, with the generation it ran in (a result
/// computed before a `clear` is dropped).
struct Analysed {
    generation: u64,
    step: Result<Step, crate::stt::SttError>,
    /// The session's Silero stream, given back.
    ears: live::Ears,
}

/// A step of analysis running on a blocking thread.
type Analysis = tokio::task::JoinHandle<Analysed>;

struct Session {
    st: AppState,
    socket: WebSocket,
    _permit: OwnedSemaphorePermit,
    decoding: Decoding,
    save: bool,
    rate: u32,
    resampler: Option<crate::audio::resample::To16k>,
    dict: Dictation,
    open: Option<Open>,
    utterances: Vec<Utterance>,
    previous_item: Option<String>,
    analysis: Option<Analysis>,
    generation: u64,
    commit: bool,
    /// When each appended block ended (session sample, arrival).
    arrivals: std::collections::VecDeque<(usize, Instant)>,
    received: usize,
    last_speech: Instant,
    events: u64,
    /// The client asked to end the session (`session.close`): it waits
    /// for the last text and, with `save`, the saved event's id.
    closing: bool,
}

impl Session {
    fn new(st: AppState, socket: WebSocket, permit: OwnedSemaphorePermit) -> Self {
        let decoding = Decoding {
            model: st.engine.active(),
            language: st.settings.language.clone(),
            prompt: None,
            turn: Some(TurnDetection::default()),
            threads: 1,
            cores: st.live.cores.clone(),
            vad: st.live.vad.clone(),
        };
        Self {
            st,
            socket,
            _permit: permit,
            decoding,
            save: false,
            rate: 24_000,
            resampler: crate::audio::resample::To16k::new(24_000).ok(),
            dict: Dictation::default(),
            open: None,
            utterances: Vec::new(),
            previous_item: None,
            analysis: None,
            generation: 0,
            commit: false,
            arrivals: Default::default(),
            received: 0,
            last_speech: Instant::now(),
            events: 0,
            closing: false,
        }
    }

    /// Sends `v` (with an event id); fails when the client does not take it
    /// in time or is gone.
    async fn send(&mut self, mut v: Value) -> Result<(), ()> {
        self.events += 1;
        v["event_id"] = json!(format!("event_{}", self.events));
        let msg = Message::Text(v.to_string().into());
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }

    async fn error(&mut self, code: &str, message: &str) -> Result<(), ()> {
        self.send(error_event(code, message)).await
    }

    async fn run(mut self) {
        crate::metrics::realtime_session("opened");
        let created =
            json!({ "type": "transcription_session.created", "session": self.describe() });
        if self.send(created).await.is_ok() {
            self.serve().await;
        }
        self.finish().await;
    }

    /// Reads the client and the analysis until either ends.
    async fn serve(&mut self) {
        loop {
            let idle = tokio::time::Instant::from_std(self.last_speech + self.st.live.idle);
            let ok = tokio::select! {
                msg = self.socket.recv() => match msg {
                    Some(Ok(Message::Text(t))) => self.on_client(t.as_str()).await,
                    Some(Ok(Message::Binary(_))) => self.error("invalid_event", "send events as JSON text").await,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(()),
                },
                done = next_step(&mut self.analysis) => self.on_step(done).await,
                _ = tokio::time::sleep_until(idle) => {
                    let _ = self.error("idle_timeout", "no speech for REALTIME_IDLE_SECONDS: closing").await;
                    Err(())
                }
                _ = self.st.shutdown.cancelled() => Err(()),
            };
            if ok.is_err() {
                return;
            }
            self.start_step();
        }
    }

    /// The session as `*.created` / `*.updated` show it.
    fn describe(&self) -> Value {
        let turn = self.decoding.turn.as_ref().map(|t| {
            json!({ "type": "server_vad", "threshold": t.threshold,
                    "prefix_padding_ms": t.prefix_padding_ms, "silence_duration_ms": t.silence_duration_ms })
        });
        json!({
            "object": "realtime.transcription_session",
            "input_audio_format": "pcm16",
            "input_audio_sample_rate": self.rate,
            "input_audio_transcription": {
                "model": self.decoding.model.as_str(),
                "language": self.decoding.language.as_str(),
                "prompt": self.decoding.prompt.clone().unwrap_or_default(),
            },
            "turn_detection": turn,
            "save": self.save,
        })
    }
}

/// The analysis' result when one is running; never otherwise.
async fn next_step(a: &mut Option<Analysis>) -> Analysed {
    let Some(handle) = a.as_mut() else {
        return std::future::pending().await;
    };
    let r = handle.await;
    *a = None;
    r.unwrap_or_else(|e| Analysed {
        generation: u64::MAX,
        step: Err(crate::stt::SttError::Inference(e.to_string())),
        ears: Default::default(),
    })
}

impl Session {
    /// One client event.
    async fn on_client(&mut self, text: &str) -> Result<(), ()> {
        let Ok(ev) = serde_json::from_str::<Value>(text) else {
            return self.error("invalid_json", "the event is not JSON").await;
        };
        match ev["type"].as_str().unwrap_or_default() {
            "input_audio_buffer.append" => self.append(&ev).await,
            "input_audio_buffer.commit" => {
                if self.open.is_none() && self.dict.unanalysed_ms() < STEP_MS {
                    let msg = "the buffer has no new audio to commit";
                    return self.error("input_audio_buffer_commit_empty", msg).await;
                }
                self.commit = true;
                Ok(())
            }
            "session.close" => {
                self.closing = true;
                Err(())
            }
            "input_audio_buffer.clear" => {
                self.dict.clear();
                self.open = None;
                self.generation += 1;
                self.send(json!({ "type": "input_audio_buffer.cleared" }))
                    .await
            }
            kind @ ("session.update" | "transcription_session.update") => {
                let updated = kind.replace(".update", ".updated");
                match self.update(&ev["session"]).await {
                    Ok(()) => {
                        let session = self.describe();
                        self.send(json!({ "type": updated, "session": session }))
                            .await
                    }
                    Err(msg) => self.error("invalid_session", &msg).await,
                }
            }
            other => {
                let msg = format!("unknown event type {}", crate::ingest::echo(other));
                self.error("unknown_event", &msg).await
            }
        }
    }

    /// `input_audio_buffer.append`: base64 PCM16 little-endian mono.
    async fn append(&mut self, ev: &Value) -> Result<(), ()> {
        use base64::Engine as _;
        let Some(b64) = ev["audio"].as_str() else {
            return self
                .error("invalid_audio", "audio must be a base64 string")
                .await;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return self
                .error("invalid_audio", "audio is not valid base64")
                .await;
        };
        if bytes.len() % 2 != 0 {
            let msg = "PCM16 audio has an even number of bytes";
            return self.error("invalid_audio_length", msg).await;
        }
        let pcm: Vec<f32> = bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect();
        let samples = match &mut self.resampler {
            Some(r) => {
                r.push(&pcm);
                r.take_ready()
            }
            None => pcm,
        };
        if !self.dict.push(&samples) {
            let msg = "too much audio is waiting for analysis: send at most real time";
            return self.error("buffer_full", msg).await;
        }
        self.received += samples.len();
        self.arrivals.push_back((self.received, Instant::now()));
        if self.arrivals.len() > 4096 {
            self.arrivals.pop_front();
        }
        Ok(())
    }

    /// A session object of either protocol version: the beta
    /// (`input_audio_transcription`, `turn_detection`, `input_audio_format`)
    /// or the GA one (`audio.input.{transcription, turn_detection, format}`).
    async fn update(&mut self, s: &Value) -> Result<(), String> {
        let input = &s["audio"]["input"];
        let pick = |beta: &str, ga: &str| {
            let v = &s[beta];
            if v.is_null() {
                input[ga].clone()
            } else {
                v.clone()
            }
        };
        let t = pick("input_audio_transcription", "transcription");
        if let Some(m) = t["model"].as_str() {
            self.decoding.model = model(&self.st, m).await?;
        }
        if let Some(l) = t["language"].as_str().filter(|l| !l.is_empty()) {
            self.decoding.language = crate::stt::Language::parse(l)?;
        }
        if let Some(p) = t["prompt"].as_str() {
            let p: String = p.chars().take(1000).collect();
            self.decoding.prompt = Some(p).filter(|p| !p.trim().is_empty());
        }
        let has_turn = s.get("turn_detection").is_some() || input.get("turn_detection").is_some();
        if has_turn {
            self.decoding.turn = turn_detection(&pick("turn_detection", "turn_detection"))?;
        }
        let rate = s["input_audio_sample_rate"]
            .as_u64()
            .or(input["format"]["rate"].as_u64());
        if let Some(rate) = rate {
            self.set_rate(rate)?;
        }
        if let Some(save) = s["save"].as_bool() {
            self.save = save;
            if save {
                self.dict.keep_all();
            }
        }
        Ok(())
    }

    fn set_rate(&mut self, rate: u64) -> Result<(), String> {
        match rate {
            16_000 => self.resampler = None,
            24_000 => self.resampler = crate::audio::resample::To16k::new(24_000).ok(),
            other => return Err(format!("input audio rate {other} Hz: use 24000 or 16000")),
        }
        self.rate = rate as u32;
        Ok(())
    }
}

/// `whisper-1` and OpenAI's transcription model names mean the active
/// model; any other name must be installed.
async fn model(st: &AppState, m: &str) -> Result<crate::models::name::ModelName, String> {
    if m == "whisper-1" || m.starts_with("gpt-4o") {
        return Ok(st.engine.active());
    }
    st.intake.installed(m).await.map_err(|e| e.to_string())
}

/// `turn_detection`: null (commit by hand) or `server_vad` with bounds.
fn turn_detection(v: &Value) -> Result<Option<TurnDetection>, String> {
    if v.is_null() {
        return Ok(None);
    }
    if v["type"].as_str() != Some("server_vad") {
        return Err("turn_detection must be null or {\"type\": \"server_vad\", …}".into());
    }
    let d = TurnDetection::default();
    let num = |k: &str| v[k].as_f64();
    let t = TurnDetection {
        threshold: num("threshold").map_or(d.threshold, |x| x as f32),
        prefix_padding_ms: num("prefix_padding_ms").map_or(d.prefix_padding_ms, |x| x as u32),
        silence_duration_ms: num("silence_duration_ms").map_or(d.silence_duration_ms, |x| x as u32),
    };
    if !(t.threshold > 0.0 && t.threshold < 1.0) {
        return Err("threshold must be between 0 and 1".into());
    }
    if t.prefix_padding_ms > 2_000 || !(100..=10_000).contains(&t.silence_duration_ms) {
        return Err(
            "prefix_padding_ms must be at most 2000, silence_duration_ms 100 to 10000".into(),
        );
    }
    Ok(Some(t))
}

impl Session {
    /// Starts an analysis step when none runs and there is new audio (or a
    /// commit).
    fn start_step(&mut self) {
        if self.analysis.is_some() || !(self.commit || self.dict.unanalysed_ms() >= STEP_MS) {
            return;
        }
        let commit = std::mem::take(&mut self.commit);
        let mut snap = self.dict.snapshot();
        let open = self.open.as_ref().map(|o| o.utterance.clone());
        let mut d = self.decoding.clone();
        d.threads = self.st.live.threads();
        let (engine, generation) = (self.st.engine.clone(), self.generation);
        self.analysis = Some(tokio::task::spawn_blocking(move || {
            let step = live::analyse(&engine, &d, &mut snap, open.as_ref(), commit);
            Analysed {
                generation,
                step,
                ears: snap.ears,
            }
        }));
    }

    async fn on_step(&mut self, a: Analysed) -> Result<(), ()> {
        self.dict.restore(a.ears, a.generation == self.generation);
        if a.generation != self.generation {
            return Ok(()); // computed before a clear
        }
        match a.step {
            Err(e) => {
                tracing::warn!("live dictation: {e}");
                self.error("transcription_failed", &e.to_string()).await
            }
            Ok(Step::Silence { drop_to }) => {
                self.dict.drop_to(drop_to);
                Ok(())
            }
            Ok(Step::Speaking { start, partial }) => self.speaking(start, partial).await,
            Ok(Step::Ended { range, text }) => self.ended(range, text).await,
        }
    }

    /// Speech goes on: a new item when it just started; new words of a
    /// partial decode as a delta.
    async fn speaking(&mut self, start: usize, partial: Option<live::Partial>) -> Result<(), ()> {
        self.last_speech = Instant::now();
        if self.open.is_none() {
            self.started(start).await?;
        }
        let (Some(p), Some(open)) = (partial, self.open.as_mut()) else {
            return Ok(());
        };
        let text = p.text.clone();
        open.utterance.decoded = Some(p);
        let Some(delta) = live::new_words(&open.said, &text, false) else {
            return Ok(());
        };
        open.said.push_str(&delta);
        let item = open.item.clone();
        self.send(
            json!({ "type": "conversation.item.input_audio_transcription.delta",
                          "item_id": item, "content_index": 0, "delta": delta }),
        )
        .await
    }

    /// A new utterance: its item, and `speech_started` when the server
    /// detects turns.
    async fn started(&mut self, start: usize) -> Result<(), ()> {
        let item = format!("item_{}", uuid::Uuid::new_v4().simple());
        self.open = Some(Open {
            item: item.clone(),
            utterance: live::OpenUtterance {
                start,
                decoded: None,
            },
            said: String::new(),
        });
        if self.decoding.turn.is_none() {
            return Ok(());
        }
        let at = self.dict.session_ms(start);
        self.send(json!({ "type": "input_audio_buffer.speech_started",
                          "audio_start_ms": at, "item_id": item }))
            .await
    }
}

impl Session {
    /// An utterance ended: `speech_stopped` (with turn detection),
    /// `committed`, the last new words, `completed`.
    async fn ended(&mut self, range: std::ops::Range<usize>, text: String) -> Result<(), ()> {
        self.last_speech = Instant::now();
        if self.open.is_none() {
            self.started(range.start).await?;
        }
        let open = self.open.take().expect("opened above");
        let end_ms = self.dict.session_ms(range.end);
        let spoke_until = self.arrival_of(self.dict.session_sample(range.end));
        self.utterances.push(Utterance {
            start_ms: self.dict.session_ms(range.start),
            end_ms,
            text: text.trim().to_string(),
        });
        self.dict.drop_to(range.end);
        // What follows may hold the next utterance already (a step that
        // ran late): it is looked at again even if no audio comes.
        self.dict.reanalyse();
        let item = open.item.clone();
        if self.decoding.turn.is_some() {
            self.send(json!({ "type": "input_audio_buffer.speech_stopped",
                              "audio_end_ms": end_ms, "item_id": item }))
                .await?;
        }
        let previous = self.previous_item.replace(item.clone());
        self.send(json!({ "type": "input_audio_buffer.committed",
                          "item_id": item, "previous_item_id": previous }))
            .await?;
        if let Some(delta) = live::new_words(&open.said, &text, true) {
            self.send(
                json!({ "type": "conversation.item.input_audio_transcription.delta",
                              "item_id": item, "content_index": 0, "delta": delta }),
            )
            .await?;
        }
        let transcript = text.trim().to_string();
        self.send(
            json!({ "type": "conversation.item.input_audio_transcription.completed",
                          "item_id": item, "content_index": 0, "transcript": transcript }),
        )
        .await?;
        crate::metrics::realtime_utterance(spoke_until.elapsed().as_secs_f64());
        Ok(())
    }

    /// When the session's sample `at` arrived (the first block that held it).
    fn arrival_of(&self, at: usize) -> Instant {
        self.arrivals
            .iter()
            .find(|(end, _)| *end >= at)
            .map_or_else(Instant::now, |(_, t)| *t)
    }

    /// The session ends: the running step is awaited (no task outlives the
    /// session); with `save`, the last speech is finished and the session
    /// stored as an event.
    async fn finish(mut self) {
        if let Some(a) = self.analysis.take() {
            if let Ok(a) = a.await {
                let _ = self.on_step(a).await;
            }
        }
        let last = self.open.is_some() || self.dict.unanalysed_ms() >= 300;
        if last && (self.save || self.closing) {
            self.commit = true;
            self.start_step();
            let a = next_step(&mut self.analysis).await;
            let _ = self.on_step(a).await;
        }
        let saved = if self.save { self.store().await } else { None };
        if self.closing {
            if let Some(id) = saved {
                let _ = self
                    .send(json!({ "type": "session.saved", "saved_event_id": id.to_string() }))
                    .await;
            }
            let _ =
                tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Close(None))).await;
        }
    }

    /// Stores the session as an event; its id.
    async fn store(&mut self) -> Option<crate::store::events::EventId> {
        let audio = self.dict.kept()?;
        let session = live::save::Session {
            audio,
            utterances: &self.utterances,
            model: self.decoding.model.to_string(),
            language: Some(self.decoding.language.as_str().to_string()),
            ttl: self.st.live.ttl,
            now_ms: self.st.queue.clock().now_ms(),
        };
        match live::save::save(&self.st.pool, &self.st.intake.audio, &session).await {
            Ok(id) => {
                tracing::info!(event = %id, "live dictation saved");
                Some(id)
            }
            Err(e) => {
                tracing::warn!("live dictation not saved: {e}");
                None
            }
        }
    }
}
