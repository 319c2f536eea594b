//! Retention: transcripts expire after `TRANSCRIPT_TTL_DAYS`; a cleanup task
//! (at start and every `CLEANUP_INTERVAL_HOURS`, never overlapping itself)
//! deletes expired transcripts, marks their events `expired`, deletes audio
//! that is no longer needed and orphaned files, and prunes finished jobs.
//! The SQL is the store's and the queue's; this module decides what goes.

use crate::clock::Clock;
use crate::jobs::payload::{self, Payload};
use crate::queue::Queue;
use crate::storage::{AudioStore, StorageError};
use crate::store::events;
use crate::store::Pool;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one purge removed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PurgeReport {
    pub purged_transcripts: u64,
    pub purged_audio_files: u64,
    pub bytes_freed: u64,
    pub pruned_jobs: u64,
}

/// The cleanup work and its settings.
#[derive(Clone)]
pub struct Retention {
    pub pool: Pool,
    pub queue: Queue,
    pub audio: AudioStore,
    /// Keep audio this long after transcription (0: delete at once).
    pub audio_retention: Duration,
    /// Prune completed/cancelled jobs after this, discarded ones after the second.
    pub job_retention: (Duration, Duration),
    pub clock: Clock,
}

/// Files younger than this are left alone by the orphan sweep (an upload
/// may be streaming into one).
const ORPHAN_GRACE_MS: i64 = 3_600_000;

/// Errors of a purge.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Retention {
    /// Runs one purge. `older_than` purges transcripts created before
    /// now − `older_than` as well as the expired ones.
    pub async fn purge(&self, older_than: Option<Duration>) -> Result<PurgeReport, RetentionError> {
        let now = self.clock.now_ms();
        let cutoff = older_than.map_or(i64::MIN, |d| {
            now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        });
        let mut report = PurgeReport {
            purged_transcripts: events::expire_transcripts(&self.pool, now, cutoff).await?,
            ..Default::default()
        };
        self.purge_audio(now, &mut report).await?;
        self.sweep_orphans(now, &mut report).await?;
        report.pruned_jobs = self
            .queue
            .prune(self.job_retention.0, self.job_retention.1)
            .await?;
        report.pruned_jobs += self.drop_stale_extract_jobs().await?;
        if report != PurgeReport::default() {
            tracing::info!(?report, "retention purge");
        }
        Ok(report)
    }

    /// Audio no longer needed: of transcribed and failed events after the
    /// retention period, and of expired ones.
    async fn purge_audio(&self, now: i64, report: &mut PurgeReport) -> Result<(), sqlx::Error> {
        let keep_until = now - self.audio_retention.as_millis() as i64;
        for (id, name) in events::audio_no_longer_needed(&self.pool, keep_until).await? {
            report.bytes_freed += self.audio.remove(&name).await;
            report.purged_audio_files += 1;
            events::clear_audio(&self.pool, &id).await?;
        }
        Ok(())
    }

    /// Orphans: stored audio that no event names (older than an hour, so
    /// uploads being stored are left alone), and staged uploads of a
    /// process that died before storing them. Compared by file name, so the
    /// data folder may be spelled any way.
    async fn sweep_orphans(
        &self,
        now: i64,
        report: &mut PurgeReport,
    ) -> Result<(), RetentionError> {
        let referenced = self.referenced_audio().await?;
        let old = |t: Option<std::time::SystemTime>| {
            t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .is_some_and(|t| (t.as_millis() as i64) < now - ORPHAN_GRACE_MS)
        };
        for audio in self.audio.list().await? {
            if !referenced.contains(&audio.name) && old(audio.modified) {
                report.bytes_freed += self.audio.remove(&audio.name).await;
                report.purged_audio_files += 1;
            }
        }
        if self.audio.local_dir().is_none() {
            let staging = AudioStore::local(self.audio.staging_dir().to_path_buf());
            for file in staging.list().await? {
                if old(file.modified) {
                    report.bytes_freed += staging.remove(&file.name).await;
                }
            }
        }
        Ok(())
    }

    /// `extract` jobs that can never deliver: their transcript is gone (or
    /// their payload names no event). Returns how many were deleted.
    async fn drop_stale_extract_jobs(&self) -> Result<u64, RetentionError> {
        let mut stale = Vec::new();
        for (id, p) in self.queue.available(payload::Extract::KIND).await? {
            let live = match payload::Extract::decode(&p) {
                Ok(x) => events::has_transcript(&self.pool, &x.event_id).await?,
                Err(_) => false,
            };
            if !live {
                stale.push(id);
            }
        }
        Ok(self.queue.delete_available(&stale).await?)
    }

    /// The file names of the audio events still point at (a data folder
    /// may be spelled any way, so names, not paths).
    async fn referenced_audio(&self) -> Result<HashSet<String>, RetentionError> {
        Ok(events::referenced_audio(&self.pool)
            .await?
            .iter()
            .filter_map(|p| Path::new(p).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect())
    }

    /// At start, before the API serves: uploads this node was still
    /// streaming or storing when it stopped (files in its staging folder
    /// that no event names) are deleted at once, not an hour later. Returns
    /// how many.
    pub async fn remove_partial_uploads(&self) -> Result<u64, RetentionError> {
        let referenced = self.referenced_audio().await?;
        let staging = AudioStore::local(self.audio.staging_dir().to_path_buf());
        let mut removed = 0;
        for file in staging.list().await? {
            if file.name.ends_with(".upload") && !referenced.contains(&file.name) {
                staging.remove(&file.name).await;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(
                files = removed,
                "removed uploads interrupted by the last stop"
            );
        }
        Ok(removed)
    }

    /// The periodic task: runs at once, then every `period`, until `stop`.
    pub async fn run(self, period: Duration, stop: CancellationToken) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = self.purge(None).await {
                tracing::error!(error = %e, "retention purge failed");
            }
        }
    }
}
