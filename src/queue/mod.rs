//! The durable job queue on SQLite or PostgreSQL: enqueue, atomic claim
//! with leases, heartbeat, complete, fail with backoff, cancel, rescue,
//! prune, stats, and wake-ups across nodes (`listen.rs`).
//!
//! All of the queue's SQL lives in this folder. Every write made on behalf of
//! a running job is conditional on `state = 'running'` and the job's lease
//! (owner and attempt): a worker that lost its lease gets
//! [`QueueError::LeaseLost`] and its write does not happen.

mod listen;
mod runner;
mod stats;
mod types;

pub use runner::{hostname, Handler, Handlers, InFlightJob, JobContext, Runner, RunnerHandle};

pub use stats::{QueueStats, RunningJob};
pub use types::*;

use crate::clock::Clock;
use crate::db::{Conn, Dialect, Pool};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A row's `kind` and `payload` columns, read back into their types.
fn kind_and_payload(row: &sqlx::any::AnyRow) -> Result<(JobKind, serde_json::Value), QueueError> {
    let kind: String = row.get("kind");
    let payload: String = row.get("payload");
    let kind = JobKind::parse(&kind)
        .ok_or_else(|| QueueError::Corrupt(format!("unknown job kind {kind:?}")))?;
    Ok((kind, serde_json::from_str(&payload)?))
}

impl FailedJob {
    fn from_row(
        row: &sqlx::any::AnyRow,
        outcome: FailOutcome,
        message: &str,
    ) -> Result<Self, QueueError> {
        let (kind, payload) = kind_and_payload(row)?;
        Ok(Self {
            id: row.get("id"),
            kind,
            payload,
            attempt: row.get("attempts"),
            max_attempts: row.get("max_attempts"),
            outcome,
            message: message.to_string(),
        })
    }
}

/// A cheap, cloneable handle to the queue.
#[derive(Clone)]
pub struct Queue {
    pool: Pool,
    dialect: Dialect,
    wake: Arc<Notify>,
    lease: Duration,
    backoff: Backoff,
    hooks: Option<Arc<dyn Handler>>,
    clock: Clock,
}

impl Queue {
    /// A queue over `pool`; claimed jobs get leases of `lease`.
    pub fn new(pool: Pool, lease: Duration) -> Self {
        Self {
            dialect: Dialect::of(&pool),
            pool,
            wake: Arc::new(Notify::new()),
            lease,
            backoff: Backoff::default(),
            hooks: None,
            clock: Clock::system(),
        }
    }

    /// Reads the time from `clock` (tests move a manual one) for run times,
    /// leases, backoffs and timestamps.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The queue's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The handlers whose failure hooks run when a job fails, is cancelled
    /// or is rescued ([`Handler::record_failure_in`] inside the queue's
    /// transaction, [`Handler::after_failure`] after it commits).
    pub fn with_hooks(mut self, hooks: Arc<dyn Handler>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Records `failed` through the hooks inside `conn`'s transaction.
    async fn record(&self, conn: &mut Conn, failed: &FailedJob) -> Result<(), QueueError> {
        if let Some(h) = &self.hooks {
            h.record_failure_in(conn, failed).await?;
        }
        Ok(())
    }

    /// Runs the after-commit hooks.
    async fn after(&self, failed: Vec<FailedJob>) {
        if let Some(h) = &self.hooks {
            for f in failed {
                h.after_failure(f).await;
            }
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
    pub fn pool(&self) -> &Pool {
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
        &self,
        conn: &mut Conn,
        kind: JobKind,
        payload: &serde_json::Value,
        opts: &EnqueueOptions,
    ) -> Result<JobId, QueueError> {
        let now = self.clock.now_ms();
        let inserted: Option<JobId> = sqlx::query_scalar(
            "insert into jobs (kind, state, payload, priority, run_at, max_attempts, unique_key, created_at)
             values ($1, 'available', $2, $3, $4, $5, $6, $7)
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
            listen::notify_in(conn).await?;
            return Ok(id);
        }
        let id = sqlx::query_scalar(
            "select id from jobs where kind = $1 and unique_key = $2 and state in ('available', 'running')",
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
    ) -> Result<JobId, QueueError> {
        let mut tx = self.pool.begin().await?;
        let id = self.enqueue_in(&mut tx, kind, payload, opts).await?;
        tx.commit().await?;
        self.notify();
        Ok(id)
    }

    /// The ids and payloads of the `available` jobs of `kind` (to find those
    /// that can no longer run).
    pub async fn available(
        &self,
        kind: JobKind,
    ) -> Result<Vec<(JobId, serde_json::Value)>, QueueError> {
        let rows =
            sqlx::query("select id, payload from jobs where kind = $1 and state = 'available'")
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.get("payload");
                Ok((r.get("id"), serde_json::from_str(&payload)?))
            })
            .collect()
    }

    /// Deletes those of `ids` that are still `available` (one claimed in the
    /// meantime is left alone); returns how many went.
    pub async fn delete_available(&self, ids: &[JobId]) -> Result<u64, QueueError> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for id in ids {
            n += sqlx::query("delete from jobs where id = $1 and state = 'available'")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
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
        let now = self.clock.now_ms();
        // The kinds are the enum's own constants, never request data.
        let kinds = kinds
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        // The due ids first (locked, skipping rows other claimers hold, on
        // PostgreSQL), then the update by primary key.
        let rows = sqlx::query(&format!(
            "with due as (select id from jobs
                           where state = 'available' and run_at <= $3 and kind in ({kinds})
                           order by priority, run_at, id
                           limit $4 {})
             update jobs
                set state = 'running', attempts = attempts + 1, lease_owner = $1,
                    lease_expires_at = $2, started_at = $3
               from due where jobs.id = due.id
             returning jobs.id, jobs.kind, jobs.payload, jobs.priority, jobs.attempts,
                       jobs.max_attempts",
            self.dialect.skip_locked()
        ))
        .bind(owner)
        .bind(now + self.lease.as_millis() as i64)
        .bind(now)
        .bind(n as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: JobId = row.get("id");
            let (kind, payload) = kind_and_payload(&row)?;
            let attempt: i64 = row.get("attempts");
            jobs.push(Job {
                id,
                kind,
                payload,
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
            "update jobs set lease_expires_at = $1
              where id = $2 and state = 'running' and lease_owner = $3 and attempts = $4",
        )
        .bind(self.clock.now_ms() + self.lease.as_millis() as i64)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.pool)
        .await?;
        Self::lease_checked(r.rows_affected(), lease)
    }

    /// Marks the job completed inside the caller's transaction, so the job's
    /// results and its completion commit together or not at all.
    pub async fn complete_in(&self, conn: &mut Conn, lease: &Lease) -> Result<(), QueueError> {
        let r = sqlx::query(
            "update jobs set state = 'completed', finished_at = $1, lease_owner = null,
                    lease_expires_at = null, last_error = null
              where id = $2 and state = 'running' and lease_owner = $3 and attempts = $4",
        )
        .bind(self.clock.now_ms())
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
        self.complete_in(&mut conn, lease).await
    }

    /// Completes several jobs in one transaction (batch workers). Returns
    /// the leases that were no longer held; the others are completed.
    pub async fn complete_many(&self, leases: &[Lease]) -> Result<Vec<Lease>, QueueError> {
        let mut tx = self.pool.begin().await?;
        let mut lost = Vec::new();
        for lease in leases {
            match self.complete_in(&mut tx, lease).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost(_)) => lost.push(lease.clone()),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(lost)
    }

    /// Records a failure: a retryable one with attempts left goes back to
    /// `available` after the backoff; otherwise the job is discarded. The
    /// hooks record it on the job's subject in the same transaction.
    pub async fn fail(&self, lease: &Lease, err: &JobError) -> Result<FailOutcome, QueueError> {
        let now = self.clock.now_ms();
        let run_at = now + self.backoff.delay(lease.attempt).as_millis() as i64;
        let retryable = err.failure == Failure::Retryable;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "update jobs
                set state = case when $1 and attempts < max_attempts then 'available' else 'discarded' end,
                    run_at = case when $1 and attempts < max_attempts then $2 else run_at end,
                    finished_at = case when $1 and attempts < max_attempts then null else $3 end,
                    last_error = $4, lease_owner = null, lease_expires_at = null
              where id = $5 and state = 'running' and lease_owner = $6 and attempts = $7
              returning id, kind, payload, attempts, max_attempts, state, run_at",
        )
        .bind(retryable)
        .bind(run_at)
        .bind(now)
        .bind(&err.message)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(QueueError::LeaseLost(lease.job_id))?;
        let outcome = if row.get::<String, _>("state") == "available" {
            FailOutcome::Retrying {
                run_at: row.get("run_at"),
            }
        } else {
            FailOutcome::Discarded
        };
        let failed = FailedJob::from_row(&row, outcome, &err.message)?;
        self.record(&mut tx, &failed).await?;
        tx.commit().await?;
        self.after(vec![failed]).await;
        Ok(outcome)
    }

    /// Gives a running job back without counting the attempt (graceful
    /// shutdown): another worker can take it at once.
    pub async fn release(&self, lease: &Lease) -> Result<(), QueueError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "update jobs set state = 'available', attempts = attempts - 1, run_at = $1,
                    lease_owner = null, lease_expires_at = null
              where id = $2 and state = 'running' and lease_owner = $3 and attempts = $4",
        )
        .bind(self.clock.now_ms())
        .bind(lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&mut *tx)
        .await?;
        Self::lease_checked(r.rows_affected(), lease)?;
        listen::notify_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a job that has not finished, recording it through the hooks.
    /// Returns the state it was in, or `None` if it had already finished. A
    /// running job's worker learns it at its next heartbeat (its lease is
    /// gone) and stops.
    pub async fn cancel(&self, id: JobId) -> Result<Option<JobState>, QueueError> {
        let mut tx = self.pool.begin().await?;
        for from in [JobState::Available, JobState::Running] {
            let row = sqlx::query(
                "update jobs set state = 'cancelled', finished_at = $1, lease_owner = null,
                        lease_expires_at = null
                  where id = $2 and state = $3
                  returning id, kind, payload, attempts, max_attempts",
            )
            .bind(self.clock.now_ms())
            .bind(id)
            .bind(from.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let failed = FailedJob::from_row(&row, FailOutcome::Cancelled, "cancelled")?;
                self.record(&mut tx, &failed).await?;
                tx.commit().await?;
                self.after(vec![failed]).await;
                return Ok(Some(from));
            }
        }
        drop(tx);
        self.job_state(id).await.map(|_| None)
    }

    /// Returns jobs whose lease expired (their worker died) to `available`,
    /// or to `discarded` when their attempts are used up, recording each
    /// through the hooks in the same transaction. Returns how many.
    pub async fn rescue_expired(&self) -> Result<u64, QueueError> {
        const LOST: &str = "lease expired (worker lost)";
        let now = self.clock.now_ms();
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "update jobs
                set state = case when attempts < max_attempts then 'available' else 'discarded' end,
                    finished_at = case when attempts < max_attempts then null else $1 end,
                    run_at = $1,
                    last_error = coalesce(last_error || '; ', '') || $2,
                    lease_owner = null, lease_expires_at = null
              where state = 'running' and lease_expires_at < $1
              returning id, kind, payload, attempts, max_attempts, state",
        )
        .bind(now)
        .bind(LOST)
        .fetch_all(&mut *tx)
        .await?;
        if !rows.is_empty() {
            listen::notify_in(&mut tx).await?;
        }
        let mut failed = Vec::with_capacity(rows.len());
        for row in &rows {
            let outcome = if row.get::<String, _>("state") == "available" {
                FailOutcome::Retrying { run_at: now }
            } else {
                FailOutcome::Discarded
            };
            let f = FailedJob::from_row(row, outcome, LOST)?;
            self.record(&mut tx, &f).await?;
            failed.push(f);
        }
        tx.commit().await?;
        let n = failed.len() as u64;
        self.after(failed).await;
        Ok(n)
    }

    /// Deletes completed and cancelled jobs older than `finished_age`, and
    /// discarded ones older than `discarded_age`. Returns how many.
    pub async fn prune(
        &self,
        finished_age: Duration,
        discarded_age: Duration,
    ) -> Result<u64, QueueError> {
        let now = self.clock.now_ms();
        let r = sqlx::query(
            "delete from jobs
              where (state in ('completed', 'cancelled') and finished_at < $1)
                 or (state = 'discarded' and finished_at < $2)",
        )
        .bind(now - finished_age.as_millis() as i64)
        .bind(now - discarded_age.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// The running job of `kind` with `unique_key`, if any.
    pub async fn running_with_key(
        &self,
        kind: JobKind,
        unique_key: &str,
    ) -> Result<Option<JobId>, QueueError> {
        Ok(sqlx::query_scalar(
            "select id from jobs where kind = $1 and unique_key = $2 and state = 'running'",
        )
        .bind(kind)
        .bind(unique_key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// State and last error of a job, for tests and admin views.
    pub async fn job_state(
        &self,
        id: JobId,
    ) -> Result<(JobState, i64, Option<String>), QueueError> {
        let row = sqlx::query("select state, attempts, last_error from jobs where id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(QueueError::NotFound(id))?;
        let state: String = row.get("state");
        Ok((
            JobState::parse(&state)
                .ok_or_else(|| QueueError::Corrupt(format!("job {id} has state {state:?}")))?,
            row.get("attempts"),
            row.get("last_error"),
        ))
    }
}
