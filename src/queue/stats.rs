//! Queue statistics for `/health` and the admin API.

use super::{JobId, JobKind, JobState, Queue, QueueError};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// A job being worked on now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunningJob {
    pub id: JobId,
    pub kind: JobKind,
    pub attempt: i64,
    pub age_ms: i64,
    pub lease_owner: Option<String>,
}

/// Counts and ages of the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueStats {
    /// kind → state → count.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
    /// Age of the oldest job that is due and waiting.
    pub oldest_available_age_ms: Option<i64>,
    pub running: Vec<RunningJob>,
    pub completed_last_minute: i64,
    pub completed_last_hour: i64,
    pub failed_last_minute: i64,
    pub failed_last_hour: i64,
}

impl Queue {
    /// Current statistics.
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let now = self.clock.now_ms();
        let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for kind in JobKind::ALL {
            let per = counts.entry(kind.as_str().to_string()).or_default();
            for state in JobState::ALL {
                per.insert(state.as_str().to_string(), 0);
            }
        }
        let rows = sqlx::query("select kind, state, count(*) as n from jobs group by kind, state")
            .fetch_all(self.pool())
            .await?;
        for r in rows {
            let (kind, state, n): (String, String, i64) =
                (r.get("kind"), r.get("state"), r.get("n"));
            counts.entry(kind).or_default().insert(state, n);
        }
        let oldest: Option<i64> = sqlx::query_scalar(
            "select min(run_at) from jobs where state = 'available' and run_at <= $1",
        )
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        let running = sqlx::query(
            "select id, kind, attempts, started_at, lease_owner from jobs where state = 'running' order by started_at",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(RunningJob {
                id: r.get("id"),
                kind: JobKind::parse(r.get::<String, _>("kind").as_str())?,
                attempt: r.get("attempts"),
                age_ms: now - r.get::<Option<i64>, _>("started_at").unwrap_or(now),
                lease_owner: r.get("lease_owner"),
            })
        })
        .collect();
        let recent = |state: &'static str, since: i64| {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from jobs where state = $1 and finished_at >= $2",
            )
            .bind(state)
            .bind(since)
            .fetch_one(self.pool())
        };
        Ok(QueueStats {
            counts,
            oldest_available_age_ms: oldest.map(|t| now - t),
            running,
            completed_last_minute: recent("completed", now - 60_000).await?,
            completed_last_hour: recent("completed", now - 3_600_000).await?,
            failed_last_minute: recent("discarded", now - 60_000).await?,
            failed_last_hour: recent("discarded", now - 3_600_000).await?,
        })
    }
}

impl Queue {
    /// How many jobs each lease owner (node) runs now.
    pub async fn running_per_owner(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, QueueError> {
        let rows = sqlx::query(
            "select lease_owner, count(*) as n from jobs
              where state = 'running' and lease_owner is not null group by lease_owner",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("lease_owner"), r.get("n")))
            .collect())
    }
}
