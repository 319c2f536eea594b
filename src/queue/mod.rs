//! The durable job queue on SQLite: enqueue, atomic claim with leases,
//! heartbeat, complete, fail with backoff, cancel, rescue, prune and stats.
//!
//! All of the queue's SQL lives in this folder. Every write made on behalf of
//! a running job is conditional on `state = 'running'` and the job's lease
//! (owner and attempt): a worker that lost its lease gets
//! [`QueueError::LeaseLost`] and its write does not happen.

mod runner;
mod stats;
mod types;

pub use runner::{Handler, Handlers, InFlightJob, JobContext, Runner, RunnerHandle};
pub use stats::{QueueStats, RunningJob};
pub use types::*;

use crate::db::now_ms;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A cheap, cloneable handle to the queue.
#[derive(Clone)]
pub struct Queue {
    pool: SqlitePool,
    wake: Arc<Notify>,
    lease: Duration,
    backoff: Backoff,
}

impl Queue {
    /// A queue over `pool`; claimed jobs get leases of `lease`.
    pub fn new(pool: SqlitePool, lease: Duration) -> Self {
        Self {
            pool,
            wake: Arc::new(Notify::new()),
            lease,
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry backoff (tests use short ones).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The lease length given to claimed jobs.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The pool the queue writes to.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Wakes local runners now (after a commit that enqueued work).
    pub fn notify(&self) {
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    pub(crate) fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Enqueues inside the caller's transaction. Call [`notify`](Self::notify)
    /// after the commit. With a `unique_key` that an unfinished job of the same
    /// kind holds, returns that job's id instead of inserting.
    pub async fn enqueue_in(
        conn: &mut SqliteConnection,
        kind: JobKind,
        payload: &serde_json::Value,
        opts: &EnqueueOptions,
    ) -> Result<i64, QueueError> {
        let now = now_ms();
        let inserted: Option<i64> = sqlx::query_scalar(
            "insert into jobs (kind, state, payload, priority, run_at, max_attempts, unique_key, created_at)
             values (?1, 'available', ?2, ?3, ?4, ?5, ?6, ?7)
             on conflict do nothing
             returning id",
        )
        .bind(kind.as_str())
        .bind(payload.to_string())
        .bind(opts.priority.unwrap_or(PRIORITY_NORMAL))
        .bind(opts.run_at.unwrap_or(now))
        .bind(opts.max_attempts.unwrap_or(kind.default_max_attempts()))
        .bind(&opts.unique_key)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = inserted {
            return Ok(id);
        }
        let id = sqlx::query_scalar(
            "select id from jobs where kind = ?1 and unique_key = ?2 and state in ('available', 'running')",
        )
        .bind(kind.as_str())
        .bind(&opts.unique_key)
        .fetch_one(&mut *conn)
        .await?;
        Ok(id)
    }

    /// Enqueues one job in its own transaction and wakes local runners.
    pub async fn enqueue(
        &self,
        kind: JobKind,
        payload: &serde_json::Value,
        opts: &EnqueueOptions,
    ) -> Result<i64, QueueError> {
        let mut tx = self.pool.begin().await?;
        let id = Self::enqueue_in(&mut tx, kind, payload, opts).await?;
        tx.commit().await?;
        self.notify();
        Ok(id)
    }

    /// Atomically claims up to `n` due jobs of `kinds` for `owner`: one
    /// `UPDATE … RETURNING` statement, so concurrent claimers (tasks or
    /// processes) never get the same job.
    pub async fn claim(
        &self,
        owner: &str,
        kinds: &[JobKind],
        n: usize,
    ) -> Result<Vec<Job>, QueueError> {
        if n == 0 || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let kinds_json =
            serde_json::to_string(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())?;
        let rows = sqlx::query(
            "update jobs
                set state = 'running', attempts = attempts + 1, lease_owner = ?1,
                    lease_expires_at = ?2, started_at = ?3
              where id in (select id from jobs
                            where state = 'available' and run_at <= ?3
                              and kind in (select value from json_each(?4))
                            order by priority, run_at, id
                            limit ?5)
              returning id, kind, payload, priority, attempts, max_attempts",
        )
        .bind(owner)
        .bind(now + self.lease.as_millis() as i64)
        .bind(now)
        .bind(kinds_json)
        .bind(n as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get("id");
            let kind: String = row.get("kind");
            let payload: String = row.get("payload");
            let attempt: i64 = row.get("attempts");
            jobs.push(Job {
                id,
                kind: JobKind::parse(&kind).ok_or_else(|| {
                    QueueError::Db(sqlx::Error::Decode(
                        format!("unknown job kind {kind}").into(),
                    ))
                })?,
                payload: serde_json::from_str(&payload)?,
                priority: row.get("priority"),
                attempt,
                max_attempts: row.get("max_attempts"),
                lease: Lease {
                    job_id: id,
                    owner: owner.to_string(),
                    attempt,
                },
            });
        }
        jobs.sort_by_key(|j| (j.priority, j.id));
        Ok(jobs)
    }

    fn lease_checked(rows: u64, lease: &Lease) -> Result<(), QueueError> {
        if rows == 1 {
            Ok(())
        } else {
            Err(QueueError::LeaseLost(lease.job_id))
        }
    }

    /// Extends the lease of a running job.
    pub async fn heartbeat(&self, lease: &Lease) -> Result<(), QueueError> {
        let r = sqlx::query(
            "update jobs set lease_expires_at = ?1
              where id = ?2 and state = 'running' and lease_owner = ?3 and attempts = ?4",
        )
        .bind(now_ms() + self.lease.as_millis() as i64)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.pool)
        .await?;
        Self::lease_checked(r.rows_affected(), lease)
    }

    /// Marks the job completed inside the caller's transaction, so the job's
    /// results and its completion commit together or not at all.
    pub async fn complete_in(conn: &mut SqliteConnection, lease: &Lease) -> Result<(), QueueError> {
        let r = sqlx::query(
            "update jobs set state = 'completed', finished_at = ?1, lease_owner = null,
                    lease_expires_at = null, last_error = null
              where id = ?2 and state = 'running' and lease_owner = ?3 and attempts = ?4",
        )
        .bind(now_ms())
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&mut *conn)
        .await?;
        Self::lease_checked(r.rows_affected(), lease)
    }

    /// Marks the job completed.
    pub async fn complete(&self, lease: &Lease) -> Result<(), QueueError> {
        let mut conn = self.pool.acquire().await?;
        Self::complete_in(&mut conn, lease).await
    }

    /// Completes several jobs in one transaction (batch workers). Returns
    /// the leases that were no longer held; the others are completed.
    pub async fn complete_many(&self, leases: &[Lease]) -> Result<Vec<Lease>, QueueError> {
        let mut tx = self.pool.begin().await?;
        let mut lost = Vec::new();
        for lease in leases {
            match Self::complete_in(&mut tx, lease).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost(_)) => lost.push(lease.clone()),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(lost)
    }

    /// Records a failure: a retryable one with attempts left goes back to
    /// `available` after the backoff; otherwise the job is discarded.
    pub async fn fail(&self, lease: &Lease, err: &JobError) -> Result<FailOutcome, QueueError> {
        let now = now_ms();
        let run_at = now + self.backoff.delay(lease.attempt).as_millis() as i64;
        let retryable = err.failure == Failure::Retryable;
        let row = sqlx::query(
            "update jobs
                set state = case when ?1 and attempts < max_attempts then 'available' else 'discarded' end,
                    run_at = case when ?1 and attempts < max_attempts then ?2 else run_at end,
                    finished_at = case when ?1 and attempts < max_attempts then null else ?3 end,
                    last_error = ?4, lease_owner = null, lease_expires_at = null
              where id = ?5 and state = 'running' and lease_owner = ?6 and attempts = ?7
              returning state, run_at",
        )
        .bind(retryable)
        .bind(run_at)
        .bind(now)
        .bind(&err.message)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(QueueError::LeaseLost(lease.job_id))?;
        let state: String = row.get("state");
        Ok(if state == "available" {
            FailOutcome::Retrying {
                run_at: row.get("run_at"),
            }
        } else {
            FailOutcome::Discarded
        })
    }

    /// Gives a running job back without counting the attempt (graceful
    /// shutdown): another worker can take it at once.
    pub async fn release(&self, lease: &Lease) -> Result<(), QueueError> {
        let r = sqlx::query(
            "update jobs set state = 'available', attempts = attempts - 1, run_at = ?1,
                    lease_owner = null, lease_expires_at = null
              where id = ?2 and state = 'running' and lease_owner = ?3 and attempts = ?4",
        )
        .bind(now_ms())
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.pool)
        .await?;
        Self::lease_checked(r.rows_affected(), lease)
    }

    /// Cancels a job that has not finished. Returns the state it was in, or
    /// `None` if it had already finished. A running job's worker learns it at
    /// its next heartbeat (its lease is gone) and stops.
    pub async fn cancel(&self, id: i64) -> Result<Option<JobState>, QueueError> {
        for from in [JobState::Available, JobState::Running] {
            let r = sqlx::query(
                "update jobs set state = 'cancelled', finished_at = ?1, lease_owner = null,
                        lease_expires_at = null
                  where id = ?2 and state = ?3",
            )
            .bind(now_ms())
            .bind(id)
            .bind(from.as_str())
            .execute(&self.pool)
            .await?;
            if r.rows_affected() == 1 {
                return Ok(Some(from));
            }
        }
        self.job_state(id).await.map(|_| None)
    }

    /// Returns jobs whose lease expired (their worker died) to `available`,
    /// or to `discarded` when their attempts are used up. Returns how many.
    pub async fn rescue_expired(&self) -> Result<u64, QueueError> {
        let now = now_ms();
        let r = sqlx::query(
            "update jobs
                set state = case when attempts < max_attempts then 'available' else 'discarded' end,
                    finished_at = case when attempts < max_attempts then null else ?1 end,
                    run_at = ?1,
                    last_error = coalesce(last_error || '; ', '') || 'lease expired (worker lost)',
                    lease_owner = null, lease_expires_at = null
              where state = 'running' and lease_expires_at < ?1",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Deletes completed and cancelled jobs older than `finished_age`, and
    /// discarded ones older than `discarded_age`. Returns how many.
    pub async fn prune(
        &self,
        finished_age: Duration,
        discarded_age: Duration,
    ) -> Result<u64, QueueError> {
        let now = now_ms();
        let r = sqlx::query(
            "delete from jobs
              where (state in ('completed', 'cancelled') and finished_at < ?1)
                 or (state = 'discarded' and finished_at < ?2)",
        )
        .bind(now - finished_age.as_millis() as i64)
        .bind(now - discarded_age.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// State and last error of a job, for tests and admin views.
    pub async fn job_state(&self, id: i64) -> Result<(JobState, i64, Option<String>), QueueError> {
        let row = sqlx::query("select state, attempts, last_error from jobs where id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(QueueError::NotFound(id))?;
        let state: String = row.get("state");
        Ok((
            JobState::parse(&state).unwrap_or(JobState::Discarded),
            row.get("attempts"),
            row.get("last_error"),
        ))
    }
}
