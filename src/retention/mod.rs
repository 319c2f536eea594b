//! Retention: transcripts expire after `TRANSCRIPT_TTL_DAYS`; a cleanup task
//! (at start and every `CLEANUP_INTERVAL_HOURS`, never overlapping itself)
//! deletes expired transcripts, marks their events `expired`, deletes audio
//! that is no longer needed and orphaned files, and prunes finished jobs.

use crate::queue::Queue;
use serde::Serialize;
use sqlx::{Row, SqlitePool};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Milliseconds since the epoch; injectable for tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What one purge removed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PurgeReport {
    pub purged_transcripts: u64,
    pub purged_audio_files: u64,
    pub bytes_freed: u64,
    pub pruned_jobs: u64,
}

/// The cleanup work and its settings.
#[derive(Clone)]
pub struct Retention {
    pub pool: SqlitePool,
    pub queue: Queue,
    pub audio_dir: PathBuf,
    /// Keep audio this long after transcription (0: delete at once).
    pub audio_retention: Duration,
    /// Prune completed/cancelled jobs after this, discarded ones after the second.
    pub job_retention: (Duration, Duration),
    pub clock: Clock,
}

const ORPHAN_GRACE_MS: i64 = 3_600_000;

/// Errors of a purge.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
}

/// The file of a stored audio name. Names are relative to the audio folder;
/// rows written before names were relative hold absolute paths, which
/// `join` keeps as they are.
pub fn audio_file(audio_dir: &Path, name: &str) -> PathBuf {
    audio_dir.join(name)
}

/// Deletes a stored audio file (a missing one is fine); returns bytes freed.
pub async fn remove_audio(audio_dir: &Path, name: &str) -> u64 {
    remove(&audio_file(audio_dir, name)).await
}

impl Retention {
    /// Runs one purge. `older_than` purges transcripts created before
    /// now − `older_than` as well as the expired ones.
    pub async fn purge(&self, older_than: Option<Duration>) -> Result<PurgeReport, RetentionError> {
        let now = (self.clock)();
        let cutoff = older_than.map_or(i64::MIN, |d| {
            now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        });
        let mut report = PurgeReport {
            purged_transcripts: self.expire_transcripts(now, cutoff).await?,
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

    /// Deletes expired transcripts and marks their events `expired`, in one
    /// transaction that holds the write lock from its start (a read that
    /// later upgrades to a write fails at once when another write is in
    /// progress; SQLite does not retry it).
    async fn expire_transcripts(&self, now: i64, cutoff: i64) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin_with("begin immediate").await?;
        let expired = sqlx::query(
            "update events set status = 'expired', updated_at = ?1
              where id in (select event_id from transcripts where expires_at <= ?1 or created_at <= ?2)",
        )
        .bind(now)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("delete from transcripts where expires_at <= ?1 or created_at <= ?2")
            .bind(now)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(expired)
    }

    /// Audio no longer needed: of transcribed and failed events after the
    /// retention period, and of expired ones.
    async fn purge_audio(&self, now: i64, report: &mut PurgeReport) -> Result<(), sqlx::Error> {
        let keep_until = now - self.audio_retention.as_millis() as i64;
        let rows = sqlx::query(
            "select id, audio_path from events where audio_path is not null
                and (status = 'expired' or (status in ('transcribed', 'failed') and updated_at <= ?1))",
        )
        .bind(keep_until)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let (id, name): (String, String) = (r.get("id"), r.get("audio_path"));
            report.bytes_freed += remove_audio(&self.audio_dir, &name).await;
            report.purged_audio_files += 1;
            crate::events::clear_audio(&self.pool, &id).await?;
        }
        Ok(())
    }

    /// Orphans: files in the audio folder that no event names (older than an
    /// hour, so uploads being written are left alone). Compared by file
    /// name, so the data folder may be spelled any way.
    async fn sweep_orphans(&self, now: i64, report: &mut PurgeReport) -> Result<(), sqlx::Error> {
        let referenced: HashSet<std::ffi::OsString> = sqlx::query_scalar::<_, String>(
            "select audio_path from events where audio_path is not null",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .filter_map(|p| Path::new(p).file_name().map(|n| n.to_os_string()))
        .collect();
        let Ok(mut dir) = tokio::fs::read_dir(&self.audio_dir).await else {
            return Ok(());
        };
        while let Ok(Some(entry)) = dir.next_entry().await {
            if referenced.contains(&entry.file_name()) {
                continue;
            }
            let old = entry
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .is_some_and(|t| (t.as_millis() as i64) < now - ORPHAN_GRACE_MS);
            if old {
                report.bytes_freed += remove(&entry.path()).await;
                report.purged_audio_files += 1;
            }
        }
        Ok(())
    }

    /// `extract` jobs that can never deliver: their transcript is gone.
    async fn drop_stale_extract_jobs(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query(
            "delete from jobs where kind = 'extract' and state = 'available'
                and not exists (select 1 from transcripts t
                                 where t.event_id = json_extract(jobs.payload, '$.event_id'))",
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
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

async fn remove(path: &std::path::Path) -> u64 {
    let size = tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    match tokio::fs::remove_file(path).await {
        Ok(()) => size,
        Err(_) => 0,
    }
}

/// Transcript statistics for the admin API.
pub async fn transcript_stats(
    pool: &SqlitePool,
    now: i64,
) -> Result<serde_json::Value, sqlx::Error> {
    let row = sqlx::query(
        "select count(*) as n, min(t.created_at) as oldest, max(t.created_at) as newest,
                coalesce(sum(e.duration_ms), 0) as audio_ms,
                sum(case when t.expires_at <= ?1 then 1 else 0 end) as expiring
           from transcripts t join events e on e.id = t.event_id",
    )
    .bind(now + 86_400_000)
    .fetch_one(pool)
    .await?;
    let by_language: Vec<(Option<String>, i64)> = sqlx::query_as(
        "select language, count(*) from transcripts group by language order by 2 desc",
    )
    .fetch_all(pool)
    .await?;
    let by_language: serde_json::Map<String, serde_json::Value> = by_language
        .into_iter()
        .map(|(l, n)| (l.unwrap_or_else(|| "unknown".into()), n.into()))
        .collect();
    let oldest: Option<i64> = row.get("oldest");
    let newest: Option<i64> = row.get("newest");
    Ok(serde_json::json!({
        "count": row.get::<i64, _>("n"),
        "by_language": by_language,
        "total_audio_ms": row.get::<i64, _>("audio_ms"),
        "oldest": oldest.map(crate::db::rfc3339),
        "newest": newest.map(crate::db::rfc3339),
        "expiring_in_24h": row.get::<Option<i64>, _>("expiring").unwrap_or(0),
    }))
}
