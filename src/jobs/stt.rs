//! The `stt` job: transcribe the event's audio with the cached model on a
//! blocking thread (the span of the job follows it there), then in one
//! transaction store the transcript, mark the event transcribed, enqueue its
//! `extract` job (when an extractor is configured) and complete the job;
//! then delete the audio. Failures, cancellations and rescues are recorded
//! on the event in the queue's own transaction.

use super::payload::{self, Payload};
use super::{transcribe_file, FileError, FileRequest};
use crate::audio::{AudioError, AudioInfo};
use crate::config::{Settings, TranscribeSettings};
use crate::jobs::{ModelError, ModelManager};
use crate::models::name::ModelName;
use crate::queue::{
    EnqueueOptions, FailOutcome, FailedJob, Handler, Job, JobContext, JobError, JobKind, Queue,
};
use crate::storage::{AudioStore, StorageError};
use crate::store::events::{self, EventId, EventStatus, EventWork, Task};
use crate::store::{Conn, Pool};
use crate::stt::{Engine, Language, SttError, Transcription, VadOverrides};
use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The stt worker's dependencies.
#[derive(Clone)]
pub struct SttWorker {
    pub pool: Pool,
    pub engine: Arc<Engine>,
    pub models: Arc<ModelManager>,
    pub settings: Arc<SttSettings>,
    pub audio: AudioStore,
}

/// The part of the settings the `stt` job needs.
#[derive(Debug, Clone)]
pub struct SttSettings {
    /// How a file becomes a transcript.
    pub transcribe: TranscribeSettings,
    /// Whisper threads per job.
    pub threads: usize,
    /// The language of events that name none (`WHISPER_LANGUAGE`).
    pub language: Language,
    /// How long transcripts are kept (`TRANSCRIPT_TTL_DAYS`).
    pub transcript_ttl: std::time::Duration,
    /// How long audio is kept after transcription (`AUDIO_RETENTION_HOURS`).
    pub audio_retention: std::time::Duration,
    /// Whether transcripts are handed on to an `extract` job
    /// (`EXTRACT_WEBHOOK_URL` set).
    pub hand_off: bool,
}

impl SttSettings {
    /// The stt job's part of `settings`.
    pub fn of(settings: &Settings) -> Self {
        Self {
            transcribe: settings.transcribe.clone(),
            threads: settings.worker.job_threads(),
            language: settings.language.clone(),
            transcript_ttl: settings.retention.transcript_ttl,
            audio_retention: settings.retention.audio,
            hand_off: settings.extract.webhook_url.is_some(),
        }
    }
}

impl From<AudioError> for JobError {
    fn from(e: AudioError) -> Self {
        if e.is_retryable() {
            JobError::retryable(e.to_string())
        } else {
            JobError::permanent(e.to_string())
        }
    }
}

impl From<FileError> for JobError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Audio(a) => a.into(),
            FileError::Stt(s) => s.into(),
        }
    }
}

impl From<SttError> for JobError {
    fn from(e: SttError) -> Self {
        match e {
            SttError::NoSamples => JobError::permanent(e.to_string()),
            _ => JobError::retryable(e.to_string()),
        }
    }
}

impl From<ModelError> for JobError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::InvalidName(_) => JobError::permanent(e.to_string()),
            _ => JobError::retryable(e.to_string()),
        }
    }
}

fn db_err(e: impl std::fmt::Display) -> JobError {
    JobError::retryable(format!("database error: {e}"))
}

/// The event an `stt` job is for.
fn event_of(payload: &serde_json::Value) -> Result<EventId, JobError> {
    payload::Stt::decode(payload).map(|p| p.event_id)
}

impl SttWorker {
    async fn process(self, job: Job, ctx: JobContext) -> Result<(), JobError> {
        let event_id = event_of(&job.payload)?;
        let ev = events::work(&self.pool, &event_id)
            .await
            .map_err(db_err)?
            .ok_or_else(|| JobError::permanent(format!("event {event_id} not found")))?;
        if events::has_transcript(&self.pool, &event_id)
            .await
            .map_err(db_err)?
        {
            // A previous attempt already stored it: finish without a second transcript.
            ctx.queue.complete(&job.lease).await.map_err(db_err)?;
            return Ok(());
        }
        events::set_status(&self.pool, &event_id, EventStatus::Transcribing, None)
            .await
            .map_err(db_err)?;
        let started = Instant::now();
        let publisher = super::segments::Publisher::start(
            self.pool.clone(),
            event_id.clone(),
            ctx.progress.clone(),
        )
        .await;
        let done = self.transcribe(&ev, &ctx).await;
        publisher.finish().await;
        let (t, info) = done?;
        self.store(&ctx.queue, &job, &event_id, &t, &info).await?;
        crate::metrics::transcribed(t.duration_ms, t.inference_ms);
        tracing::info!(
            audio_ms = t.duration_ms,
            model = %t.model,
            language = t.language.as_deref().unwrap_or("?"),
            inference_ms = t.inference_ms,
            total_ms = started.elapsed().as_millis() as u64,
            no_speech = t.no_speech,
            "transcribed"
        );
        if let Some(name) = ev
            .audio_path
            .filter(|_| self.settings.audio_retention.is_zero())
        {
            self.audio.remove(&name).await;
            if let Err(e) = events::clear_audio(&self.pool, event_id.as_str()).await {
                tracing::warn!(error = %e, "could not clear the audio path");
            }
        }
        Ok(())
    }

    /// The event's settings: its model (made sure of), language and VAD options.
    async fn request_settings(
        &self,
        ev: &EventWork,
        deadline: &crate::queue::Deadline,
    ) -> Result<(ModelName, Language, TranscribeSettings), JobError> {
        let model = match ev.model.as_deref() {
            Some(m) => ModelName::parse(m).map_err(|e| JobError::permanent(e.to_string()))?,
            None => self.engine.active(),
        };
        {
            // A model download is not the job's work: it does not count.
            let _hold = deadline.hold();
            self.models.ensure(&model).await?;
        }
        let language = match ev.language.as_deref() {
            Some(l) => Language::parse(l).map_err(JobError::permanent)?,
            None => self.settings.language.clone(),
        };
        let mut settings = self.settings.transcribe.clone();
        if let Some(json) = ev.vad_options.as_deref() {
            let o: VadOverrides = serde_json::from_str(json)
                .map_err(|e| JobError::permanent(format!("stored VAD options: {e}")))?;
            settings.vad = settings.vad.with(&o);
        }
        Ok((model, language, settings))
    }

    /// Runs [`transcribe_file`] on a blocking thread, stopped by the job's
    /// cancellation.
    async fn transcribe(
        &self,
        ev: &EventWork,
        ctx: &JobContext,
    ) -> Result<(Transcription, AudioInfo), JobError> {
        let name = ev
            .audio_path
            .as_deref()
            .ok_or_else(|| JobError::permanent("the event's audio file is gone"))?;
        // Settings first: a job that cannot run does not download its audio.
        let (model, language, settings) = self.request_settings(ev, &ctx.deadline).await?;
        let local = self.audio.fetch(name).await.map_err(|e| match e {
            StorageError::Object(object_store::Error::NotFound { .. }) => {
                JobError::permanent("the event's audio file is gone")
            }
            e => JobError::retryable(e.to_string()),
        })?;
        let abort = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (abort, cancel) = (abort.clone(), ctx.cancel.clone());
            tokio::spawn(async move {
                cancel.cancelled().await;
                abort.store(true, Ordering::Relaxed);
            })
        };
        let (engine, progress) = (self.engine.clone(), ctx.progress.clone());
        let (deadline, threads) = (ctx.deadline.clone(), self.settings.threads);
        let (prompt, translate) = (ev.prompt.clone(), ev.task == Task::Translate);
        let span = tracing::Span::current();
        let work = tokio::task::spawn_blocking(move || {
            let _in_job = span.enter();
            let req = FileRequest {
                path: &local.path,
                model: &model,
                language,
                prompt: prompt.as_deref(),
                translate,
                threads,
                deadline: Some(&deadline),
            };
            transcribe_file(&engine, &settings, &req, &abort, &progress)
        })
        .await;
        watcher.abort();
        let (mut t, info) = match work {
            Ok(r) => r?,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => return Err(JobError::retryable(join.to_string())),
        };
        t.duration_ms = t.duration_ms.max(1);
        Ok((t, info))
    }

    /// Stores the transcript, the next stage's job and the job's completion
    /// in one transaction; a lost lease rolls it all back.
    async fn store(
        &self,
        queue: &Queue,
        job: &Job,
        event_id: &EventId,
        t: &Transcription,
        info: &AudioInfo,
    ) -> Result<(), JobError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let transcript_id = events::store_transcript(
            &mut tx,
            event_id,
            t,
            Some(info),
            self.settings.transcript_ttl,
        )
        .await
        .map_err(db_err)?;
        if self.settings.hand_off {
            let next = payload::Extract {
                event_id: event_id.clone(),
                transcript_id,
            };
            queue
                .enqueue_in(
                    &mut tx,
                    payload::Extract::KIND,
                    &next.encode(),
                    &EnqueueOptions {
                        unique_key: Some(event_id.to_string()),
                        ..Default::default()
                    },
                )
                .await
                .map_err(db_err)?;
        }
        match queue.complete_in(&mut tx, &job.lease).await {
            Ok(()) => {}
            Err(e @ crate::queue::QueueError::LeaseLost(_)) => {
                // Dropping the transaction rolls the transcript back.
                return Err(JobError::retryable(e.to_string()));
            }
            Err(e) => return Err(db_err(e)),
        }
        tx.commit().await.map_err(db_err)
    }
}

impl Handler for SttWorker {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::Stt]
    }

    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        let event_id = event_of(&job.payload).ok().map(|e| e.to_string());
        let span = tracing::info_span!(
            "stt",
            job_id = %job.id,
            event_id = event_id.as_deref(),
            attempt = job.attempt
        );
        Box::pin(self.clone().process(job, ctx).instrument(span))
    }

    fn record_failure_in<'a>(
        &'a self,
        conn: &'a mut Conn,
        failed: &'a FailedJob,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let Ok(event_id) = event_of(&failed.payload) else {
                return Ok(());
            };
            let (status, msg) = match failed.outcome {
                FailOutcome::Retrying { run_at } => (
                    EventStatus::Queued,
                    format!(
                        "attempt {} of {} failed: {}; retrying at {}",
                        failed.attempt,
                        failed.max_attempts,
                        failed.message,
                        crate::clock::rfc3339(run_at)
                    ),
                ),
                FailOutcome::Discarded => (EventStatus::Failed, failed.message.clone()),
                FailOutcome::Cancelled => (EventStatus::Failed, "cancelled".to_string()),
            };
            events::set_unfinished_status_in(conn, &event_id, status, &msg).await
        })
    }

    fn after_failure(&self, failed: FailedJob) -> BoxFuture<'static, ()> {
        let (pool, audio, retention) = (
            self.pool.clone(),
            self.audio.clone(),
            self.settings.audio_retention,
        );
        Box::pin(async move {
            if matches!(failed.outcome, FailOutcome::Retrying { .. }) || !retention.is_zero() {
                return;
            }
            let Ok(event_id) = event_of(&failed.payload) else {
                return;
            };
            // A failed event's audio goes at once (or after AUDIO_RETENTION_HOURS,
            // by the retention task): voice data is not kept past its use.
            match events::take_audio(&pool, &event_id).await {
                Ok(Some(name)) => {
                    audio.remove(&name).await;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not clear a failed event's audio"),
            }
        })
    }
}
