//! The `stt` job: decode the event's audio, transcribe it with the cached
//! model on a blocking thread, then in one transaction store the transcript,
//! mark the event transcribed, enqueue its `extract` job and complete the job.

use super::{Engine, SttError};
use crate::audio::AudioError;
use crate::config::{Language, Settings};
use crate::events::{self, EventStatus};
use crate::jobs::{transcribe_file, FileError, FileRequest};
use crate::queue::{
    EnqueueOptions, FailOutcome, FailedJob, Handler, Job, JobContext, JobError, JobKind, Queue,
};
use futures_util::future::BoxFuture;
use sqlx::{SqliteConnection, SqlitePool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The stt worker's dependencies.
#[derive(Clone)]
pub struct SttWorker {
    pub pool: SqlitePool,
    pub engine: Arc<Engine>,
    pub models: Arc<crate::models::ModelManager>,
    pub settings: Arc<Settings>,
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
            SttError::NoSamples | SttError::InvalidModelName(_) => {
                JobError::permanent(e.to_string())
            }
            _ => JobError::retryable(e.to_string()),
        }
    }
}

fn db_err(e: impl std::fmt::Display) -> JobError {
    JobError::retryable(format!("database error: {e}"))
}

impl SttWorker {
    async fn process(self, job: Job, ctx: JobContext) -> Result<(), JobError> {
        let event_id = job
            .payload
            .get("event_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| JobError::permanent("stt job without event_id"))?
            .to_string();
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
        let path = ev
            .audio_path
            .as_deref()
            .map(|name| crate::retention::audio_file(&self.settings.audio_dir(), name))
            .ok_or_else(|| JobError::permanent("the event's audio file is gone"))?;
        events::set_status(&self.pool, &event_id, EventStatus::Transcribing, None)
            .await
            .map_err(db_err)?;

        let model_name = ev.model.clone().unwrap_or_else(|| self.engine.active());
        self.models.ensure(&model_name).await?;
        let language = match ev.language.as_deref() {
            Some(l) => Language::parse(l).map_err(JobError::permanent)?,
            None => self.settings.language.clone(),
        };
        let abort = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (abort, cancel) = (abort.clone(), ctx.cancel.clone());
            tokio::spawn(async move {
                cancel.cancelled().await;
                abort.store(true, Ordering::Relaxed);
            })
        };
        let (engine, settings, progress) = (
            self.engine.clone(),
            self.settings.clone(),
            ctx.progress.clone(),
        );
        let (prompt, translate) = (ev.prompt.clone(), ev.task == "translate");
        let settings = match ev.vad_options.as_deref() {
            None => settings,
            Some(json) => {
                let o: crate::stt::VadOverrides = serde_json::from_str(json)
                    .map_err(|e| JobError::permanent(format!("stored VAD options: {e}")))?;
                let mut s = (*settings).clone();
                s.vad = s.vad.with(&o);
                Arc::new(s)
            }
        };
        let started = Instant::now();
        let work = tokio::task::spawn_blocking(move || {
            let req = FileRequest {
                path: &path,
                model: &model_name,
                language,
                prompt: prompt.as_deref(),
                translate,
                threads: settings.threads,
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
        if t.duration_ms == 0 {
            t.duration_ms = 1;
        }

        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let transcript_id = events::store_transcript(
            &mut tx,
            &event_id,
            &t,
            Some(&info),
            self.settings.transcript_ttl,
        )
        .await
        .map_err(db_err)?;
        if self.settings.extract_webhook_url.is_some() {
            Queue::enqueue_in(
                &mut tx,
                JobKind::Extract,
                &serde_json::json!({ "event_id": event_id, "transcript_id": transcript_id }),
                &EnqueueOptions {
                    unique_key: Some(event_id.clone()),
                    ..Default::default()
                },
            )
            .await
            .map_err(db_err)?;
        }
        match Queue::complete_in(&mut tx, &job.lease).await {
            Ok(()) => {}
            Err(e @ crate::queue::QueueError::LeaseLost(_)) => {
                // Dropping the transaction rolls the transcript back.
                return Err(JobError::retryable(e.to_string()));
            }
            Err(e) => return Err(db_err(e)),
        }
        tx.commit().await.map_err(db_err)?;
        tracing::info!(
            event_id = %event_id,
            job_id = job.id,
            audio_ms = t.duration_ms,
            model = %t.model,
            language = t.language.as_deref().unwrap_or("?"),
            inference_ms = t.inference_ms,
            total_ms = started.elapsed().as_millis() as u64,
            "transcribed"
        );
        if let Some(name) = ev
            .audio_path
            .filter(|_| self.settings.audio_retention.is_zero())
        {
            crate::retention::remove_audio(&self.settings.audio_dir(), &name).await;
            if let Err(e) = events::clear_audio(&self.pool, &event_id).await {
                tracing::warn!(error = %e, "could not clear the audio path");
            }
        }
        Ok(())
    }
}

impl Handler for SttWorker {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::Stt]
    }

    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        tracing::info!(job_id = job.id, attempt = job.attempt, payload = %job.payload, "stt job started");
        Box::pin(self.clone().process(job, ctx))
    }

    fn record_failure_in<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        failed: &'a FailedJob,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let Some(event_id) = failed.payload.get("event_id").and_then(|v| v.as_str()) else {
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
                        crate::db::rfc3339(run_at)
                    ),
                ),
                FailOutcome::Discarded => (EventStatus::Failed, failed.message.clone()),
                FailOutcome::Cancelled => (EventStatus::Failed, "cancelled".to_string()),
            };
            events::set_unfinished_status_in(conn, event_id, status, &msg).await
        })
    }

    fn after_failure(&self, failed: FailedJob) -> BoxFuture<'static, ()> {
        let (pool, audio_dir, retention) = (
            self.pool.clone(),
            self.settings.audio_dir(),
            self.settings.audio_retention,
        );
        Box::pin(async move {
            if matches!(failed.outcome, FailOutcome::Retrying { .. }) || !retention.is_zero() {
                return;
            }
            let Some(event_id) = failed.payload.get("event_id").and_then(|v| v.as_str()) else {
                return;
            };
            // A failed event's audio goes at once (or after AUDIO_RETENTION_HOURS,
            // by the retention task): voice data is not kept past its use.
            match events::take_audio(&pool, event_id).await {
                Ok(Some(name)) => {
                    crate::retention::remove_audio(&audio_dir, &name).await;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not clear a failed event's audio"),
            }
        })
    }
}
