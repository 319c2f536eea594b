//! The job queue on a real SQLite file: exactly-once under contention (tasks
//! and OS processes), leases, backoff, priorities, cancellation, shutdown.

use crate::common::eventually;
use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use susurro::clock::ManualClock;
use susurro::queue::*;

async fn open(path: &std::path::Path, lease: Duration) -> Queue {
    let pool = susurro::store::connect(&crate::common::backend::database_url_of_file(path))
        .await
        .unwrap();
    sqlx::query(
        "create table if not exists effects (job_id bigint not null, worker text not null)",
    )
    .execute(&pool)
    .await
    .unwrap();
    Queue::new(pool, lease).with_backoff(Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_secs(1),
    })
}

/// [`open`] with a manual clock that the test moves instead of sleeping.
async fn open_at(path: &std::path::Path, lease: Duration) -> (Queue, ManualClock) {
    let clock = ManualClock::starting_now();
    let q = open(path, lease).await.with_clock(clock.clock());
    (q, clock)
}

fn job() -> serde_json::Value {
    serde_json::json!({ "n": 1 })
}

/// Records an effect and completes the job in one transaction.
struct Effect {
    worker: String,
}

impl Handler for Effect {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::Extract]
    }
    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        let worker = self.worker.clone();
        Box::pin(async move {
            let mut tx = ctx
                .queue
                .pool()
                .begin()
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
            sqlx::query("insert into effects (job_id, worker) values ($1, $2)")
                .bind(job.id)
                .bind(&worker)
                .execute(&mut *tx)
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
            ctx.queue
                .complete_in(&mut tx, &job.lease)
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
            tx.commit()
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
            Ok(())
        })
    }
}

async fn unfinished(q: &Queue) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where state in ('available', 'running')")
        .fetch_one(q.pool())
        .await
        .unwrap()
}

async fn run_until_drained(q: Queue, name: &str, runners: usize) {
    let handles: Vec<_> = (0..runners)
        .map(|i| {
            Runner::new(
                q.clone(),
                Arc::new(Effect {
                    worker: format!("{name}-{i}"),
                }),
            )
            .poll_interval(Duration::from_millis(20))
            .max_concurrent(8)
            .spawn()
        })
        .collect();
    eventually(Duration::from_secs(240), "queue did not drain", || async {
        unfinished(&q).await == 0
    })
    .await;
    for h in handles {
        h.shutdown(Duration::from_secs(5)).await;
    }
}

/// Child-process mode of this test binary, not a test of its own: drains the
/// queue at `SUSURRO_QUEUE_CHILD_DB` for
/// `exactly_once_across_tasks_and_processes`, which runs it by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child-process entry of queue::exactly_once_across_tasks_and_processes"]
async fn child_worker() {
    let db = std::env::var_os("SUSURRO_QUEUE_CHILD_DB").expect(
        "queue::child_worker is the child process of queue::exactly_once_across_tasks_and_processes",
    );
    let q = open(std::path::Path::new(&db), Duration::from_secs(30)).await;
    // Wait (a bounded time) until the parent has enqueued, then drain.
    eventually(Duration::from_secs(10), "the parent's jobs", async || {
        unfinished(&q).await > 0
    })
    .await;
    run_until_drained(q, &format!("proc{}", std::process::id()), 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_across_tasks_and_processes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let q = open(&db, Duration::from_secs(30)).await;
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "queue::child_worker",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("SUSURRO_QUEUE_CHILD_DB", &db)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    const N: i64 = 3000;
    let mut tx = q.pool().begin().await.unwrap();
    for i in 0..N {
        q.enqueue_in(
            &mut tx,
            JobKind::Extract,
            &serde_json::json!({ "i": i }),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    q.notify();
    run_until_drained(q.clone(), "parent", 3).await;
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let done: i64 = sqlx::query_scalar("select count(*) from jobs where state = 'completed'")
        .fetch_one(q.pool())
        .await
        .unwrap();
    assert_eq!(done, N);
    let effects: i64 = sqlx::query_scalar("select count(*) from effects")
        .fetch_one(q.pool())
        .await
        .unwrap();
    let distinct: i64 = sqlx::query_scalar("select count(distinct job_id) from effects")
        .fetch_one(q.pool())
        .await
        .unwrap();
    assert_eq!(
        (effects, distinct),
        (N, N),
        "every job's effect exactly once"
    );
    let workers: Vec<String> = sqlx::query_scalar("select distinct worker from effects")
        .fetch_all(q.pool())
        .await
        .unwrap();
    let processes = workers
        .iter()
        .map(|w| w.split('-').next().unwrap_or(w))
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(
        processes >= 2,
        "work was shared between processes ({processes})"
    );
    let by_children: i64 =
        sqlx::query_scalar("select count(*) from effects where worker like 'proc%'")
            .fetch_one(q.pool())
            .await
            .unwrap();
    assert!(by_children > 0, "the child processes did some of the work");
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let (q, clock) = open_at(&dir.path().join("q.db"), Duration::from_millis(50)).await;
    let id = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let a = q.claim("a", &[JobKind::Stt], 1).await.unwrap().remove(0);
    assert_eq!(a.id, id);
    assert_eq!(q.rescue_expired().await.unwrap(), 0, "lease still held");
    clock.advance(Duration::from_millis(80));
    assert_eq!(q.rescue_expired().await.unwrap(), 1);
    let b = q.claim("b", &[JobKind::Stt], 1).await.unwrap().remove(0);
    assert_eq!(b.attempt, 2);
    assert!(matches!(
        q.complete(&a.lease).await,
        Err(QueueError::LeaseLost(_))
    ));
    assert!(matches!(
        q.fail(&a.lease, &JobError::retryable("x")).await,
        Err(QueueError::LeaseLost(_))
    ));
    assert!(matches!(
        q.heartbeat(&a.lease).await,
        Err(QueueError::LeaseLost(_))
    ));
    // Even the same owner with an old attempt is refused.
    let stale = Lease {
        owner: "b".into(),
        attempt: 1,
        job_id: id,
    };
    assert!(matches!(
        q.complete(&stale).await,
        Err(QueueError::LeaseLost(_))
    ));
    q.heartbeat(&b.lease).await.unwrap();
    q.complete(&b.lease).await.unwrap();
    assert_eq!(q.job_state(id).await.unwrap().0, JobState::Completed);
}

#[tokio::test]
async fn rescue_discards_when_attempts_are_used_up() {
    let dir = tempfile::tempdir().unwrap();
    let (q, clock) = open_at(&dir.path().join("q.db"), Duration::from_millis(10)).await;
    let opts = EnqueueOptions {
        max_attempts: Some(1),
        ..Default::default()
    };
    let id = q.enqueue(JobKind::Stt, &job(), &opts).await.unwrap();
    q.claim("a", &[JobKind::Stt], 1).await.unwrap();
    clock.advance(Duration::from_millis(30));
    q.rescue_expired().await.unwrap();
    let (state, _, err) = q.job_state(id).await.unwrap();
    assert_eq!(state, JobState::Discarded);
    assert!(err.unwrap().contains("lease expired"));
}

#[test]
fn backoff_doubles_is_capped_and_jittered() {
    let b = Backoff {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
    };
    let nominal: Vec<u64> = (1..=7).map(|a| b.nominal(a).as_secs()).collect();
    assert_eq!(nominal, vec![2, 4, 8, 16, 32, 60, 60]);
    for attempt in 1..6 {
        for _ in 0..50 {
            let d = b.delay(attempt).as_secs_f64();
            let n = b.nominal(attempt).as_secs_f64();
            assert!(d >= n * 0.9 - 1e-9 && d <= n * 1.1 + 1e-9, "{d} vs {n}");
        }
    }
}

#[tokio::test]
async fn retryable_errors_back_off_then_discard_and_permanent_ones_discard_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (q, clock) = open_at(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let id = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let mut due_in = Duration::ZERO;
    for attempt in 1..=3 {
        clock.advance(due_in);
        let j = q.claim("w", &[JobKind::Stt], 1).await.unwrap().remove(0);
        assert_eq!(j.attempt, attempt);
        assert_eq!(j.max_attempts, 3, "stt default");
        let before = clock.clock().now_ms();
        let out = q
            .fail(&j.lease, &JobError::retryable("disk hiccup"))
            .await
            .unwrap();
        match out {
            FailOutcome::Retrying { run_at } => {
                assert!(attempt < 3);
                let wait = run_at - before;
                let nominal = 50 * (1 << (attempt - 1));
                assert!(
                    wait >= nominal * 9 / 10 - 1 && wait <= nominal * 11 / 10 + 1,
                    "{wait} vs {nominal}"
                );
                // Not claimable before its time, claimable at it.
                clock.advance(Duration::from_millis(wait as u64 - 1));
                assert!(q.claim("w", &[JobKind::Stt], 1).await.unwrap().is_empty());
                due_in = Duration::from_millis(1);
            }
            FailOutcome::Discarded => assert_eq!(attempt, 3),
            FailOutcome::Cancelled => unreachable!(),
        }
    }
    let (state, attempts, err) = q.job_state(id).await.unwrap();
    assert_eq!(
        (state, attempts, err.as_deref()),
        (JobState::Discarded, 3, Some("disk hiccup"))
    );

    let id = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let j = q.claim("w", &[JobKind::Stt], 1).await.unwrap().remove(0);
    let out = q
        .fail(&j.lease, &JobError::permanent("unsupported codec: foo"))
        .await
        .unwrap();
    assert_eq!(out, FailOutcome::Discarded);
    assert_eq!(q.job_state(id).await.unwrap().0, JobState::Discarded);
}

#[tokio::test]
async fn unique_keys_priority_and_run_at() {
    let dir = tempfile::tempdir().unwrap();
    let (q, clock) = open_at(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let key = EnqueueOptions {
        unique_key: Some("event-1".into()),
        ..Default::default()
    };
    let a = q.enqueue(JobKind::Stt, &job(), &key).await.unwrap();
    let b = q.enqueue(JobKind::Stt, &job(), &key).await.unwrap();
    assert_eq!(a, b, "dedupe returns the existing job");
    let other_kind = q.enqueue(JobKind::Extract, &job(), &key).await.unwrap();
    assert_ne!(a, other_kind);
    let j = q.claim("w", &[JobKind::Stt], 1).await.unwrap().remove(0);
    assert_eq!(
        q.enqueue(JobKind::Stt, &job(), &key).await.unwrap(),
        a,
        "running still dedupes"
    );
    q.complete(&j.lease).await.unwrap();
    let c = q.enqueue(JobKind::Stt, &job(), &key).await.unwrap();
    assert_ne!(c, a, "a finished job frees its key");
    q.cancel(c).await.unwrap();

    let low = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let high = q
        .enqueue(
            JobKind::Stt,
            &job(),
            &EnqueueOptions {
                priority: Some(PRIORITY_HIGH),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let later = q
        .enqueue(
            JobKind::Stt,
            &job(),
            &EnqueueOptions {
                run_at: Some(clock.clock().now_ms() + 300),
                priority: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let order: Vec<JobId> = q
        .claim("w", &[JobKind::Stt], 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(
        order,
        vec![high, low],
        "priority first; the future job waits"
    );
    clock.advance(Duration::from_millis(299));
    assert!(q.claim("w", &[JobKind::Stt], 10).await.unwrap().is_empty());
    clock.advance(Duration::from_millis(1));
    let due = q.claim("w", &[JobKind::Stt], 10).await.unwrap();
    assert_eq!(due.iter().map(|j| j.id).collect::<Vec<_>>(), vec![later]);
    // Kinds filter.
    assert!(q.claim("w", &[JobKind::Stt], 10).await.unwrap().is_empty());
    assert_eq!(
        q.claim("w", &[JobKind::Extract], 10).await.unwrap().len(),
        1
    );
}

/// Waits for cancellation (or `ms`), then completes.
struct Slow {
    ms: u64,
    started: Arc<AtomicUsize>,
    cancelled: Arc<AtomicUsize>,
    panic_on: Option<i64>,
}

impl Handler for Slow {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::Stt]
    }
    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        let (ms, started, cancelled, panic_on) = (
            self.ms,
            self.started.clone(),
            self.cancelled.clone(),
            self.panic_on,
        );
        Box::pin(async move {
            started.fetch_add(1, Ordering::SeqCst);
            if panic_on == job.payload["n"].as_i64() {
                panic!("boom in job");
            }
            tokio::select! {
                _ = ctx.cancel.cancelled() => {
                    cancelled.fetch_add(1, Ordering::SeqCst);
                    Err(JobError::retryable("stopped"))
                }
                _ = tokio::time::sleep(Duration::from_millis(ms)) => {
                    ctx.queue.complete(&job.lease).await.map_err(|e| JobError::retryable(e.to_string()))
                }
            }
        })
    }
}

async fn wait_state(q: &Queue, id: JobId, want: JobState) {
    let what = format!("job {id} to become {want}");
    eventually(Duration::from_secs(20), &what, async || {
        q.job_state(id).await.unwrap().0 == want
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_queued_and_running_jobs_and_panics_fail_the_job_only() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let queued = q
        .enqueue(
            JobKind::Stt,
            &job(),
            &EnqueueOptions {
                run_at: Some(i64::MAX / 2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(q.cancel(queued).await.unwrap(), Some(JobState::Available));
    assert_eq!(q.job_state(queued).await.unwrap().0, JobState::Cancelled);
    assert_eq!(q.cancel(queued).await.unwrap(), None, "already finished");
    assert!(matches!(
        q.cancel(JobId(999_999)).await,
        Err(QueueError::NotFound(_))
    ));

    let (started, cancelled) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let handler = Slow {
        ms: 60_000,
        started: started.clone(),
        cancelled: cancelled.clone(),
        panic_on: Some(7),
    };
    let runner = Runner::new(q.clone(), Arc::new(handler))
        .poll_interval(Duration::from_millis(20))
        .max_concurrent(1)
        .spawn();
    let running = q
        .enqueue(
            JobKind::Stt,
            &serde_json::json!({"n": 1}),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    wait_state(&q, running, JobState::Running).await;
    let next = q
        .enqueue(
            JobKind::Stt,
            &serde_json::json!({"n": 7}),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        runner.cancel_job(running).await.unwrap(),
        Some(JobState::Running)
    );
    // The slot frees and the next job (which panics) runs and fails alone.
    wait_state(&q, next, JobState::Discarded).await;
    assert_eq!(cancelled.load(Ordering::SeqCst), 1);
    assert_eq!(q.job_state(running).await.unwrap().0, JobState::Cancelled);
    let (_, _, err) = q.job_state(next).await.unwrap();
    assert!(err.unwrap().contains("boom in job"));
    // The runner is still alive after the panic.
    let after = q
        .enqueue(
            JobKind::Stt,
            &serde_json::json!({"n": 2}),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    wait_state(&q, after, JobState::Running).await;
    runner.cancel_job(after).await.unwrap();
    runner.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_releases_leases_of_unfinished_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let started = Arc::new(AtomicUsize::new(0));
    let handler = Slow {
        ms: 60_000,
        started: started.clone(),
        cancelled: Default::default(),
        panic_on: None,
    };
    let runner = Runner::new(q.clone(), Arc::new(handler))
        .poll_interval(Duration::from_millis(20))
        .max_concurrent(2)
        .spawn();
    let quick = Slow {
        ms: 10,
        started: Default::default(),
        cancelled: Default::default(),
        panic_on: None,
    };
    let a = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let b = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    wait_state(&q, a, JobState::Running).await;
    wait_state(&q, b, JobState::Running).await;
    let t = Instant::now();
    runner.shutdown(Duration::from_millis(300)).await;
    assert!(t.elapsed() < Duration::from_secs(5));
    for id in [a, b] {
        let (state, attempts, _) = q.job_state(id).await.unwrap();
        assert_eq!(
            (state, attempts),
            (JobState::Available, 0),
            "released without counting the attempt"
        );
    }
    // Another worker takes them at once.
    let other = Runner::new(q.clone(), Arc::new(quick))
        .poll_interval(Duration::from_millis(20))
        .spawn();
    wait_state(&q, a, JobState::Completed).await;
    wait_state(&q, b, JobState::Completed).await;
    other.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_workers_claim_nothing_until_started() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let quick = Slow {
        ms: 1,
        started: Default::default(),
        cancelled: Default::default(),
        panic_on: None,
    };
    let runner = Runner::new(q.clone(), Arc::new(quick))
        .poll_interval(Duration::from_millis(20))
        .spawn();
    runner.stop();
    assert!(!runner.is_running());
    let id = q
        .enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    crate::common::holds(
        Duration::from_millis(200),
        "a stopped runner claims nothing",
        async || q.job_state(id).await.unwrap().0 == JobState::Available,
    )
    .await;
    runner.start();
    wait_state(&q, id, JobState::Completed).await;
    runner.shutdown(Duration::from_secs(1)).await;
}

/// A job enqueued after `stop()` returned is not started, even by a claim
/// that was already on its way to the database (here: waiting for a pooled
/// connection, as the test holds them all and enqueues on one of them after
/// the stop): a claim takes only jobs due when it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_in_flight_when_workers_stop_takes_no_later_job() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    let started = Arc::new(AtomicUsize::new(0));
    let quick = Slow {
        ms: 1,
        started: started.clone(),
        cancelled: Default::default(),
        panic_on: None,
    };
    let mut held = Vec::new();
    for _ in 0..q.pool().options().get_max_connections() {
        held.push(q.pool().acquire().await.unwrap());
    }
    let runner = Runner::new(q.clone(), Arc::new(quick))
        .poll_interval(Duration::from_millis(20))
        .spawn();
    // Its first claim is soon waiting for a connection; nothing starts.
    crate::common::holds(Duration::from_millis(200), "nothing starts", async || {
        started.load(Ordering::SeqCst) == 0
    })
    .await;
    runner.stop();
    let id = q
        .enqueue_in(
            &mut held[0],
            JobKind::Stt,
            &job(),
            &EnqueueOptions::default(),
        )
        .await
        .unwrap();
    drop(held);
    crate::common::holds(
        Duration::from_millis(400),
        "a stopped runner's late claim gives the job back",
        async || {
            let (state, attempts, _) = q.job_state(id).await.unwrap();
            (state, attempts, started.load(Ordering::SeqCst)) == (JobState::Available, 0, 0)
        },
    )
    .await;
    runner.start();
    wait_state(&q, id, JobState::Completed).await;
    runner.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn stats_and_pruning() {
    let dir = tempfile::tempdir().unwrap();
    let (q, clock) = open_at(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    for _ in 0..3 {
        q.enqueue(JobKind::Stt, &job(), &EnqueueOptions::default())
            .await
            .unwrap();
    }
    q.enqueue(JobKind::Extract, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    let claimed = q.claim("w", &[JobKind::Stt], 2).await.unwrap();
    q.complete(&claimed[0].lease).await.unwrap();
    q.fail(&claimed[1].lease, &JobError::permanent("bad"))
        .await
        .unwrap();
    let running = q.claim("w", &[JobKind::Stt], 1).await.unwrap();
    let s = q.stats().await.unwrap();
    assert_eq!(s.counts["stt"]["completed"], 1);
    assert_eq!(s.counts["stt"]["discarded"], 1);
    assert_eq!(s.counts["stt"]["running"], 1);
    assert_eq!(s.counts["extract"]["available"], 1);
    assert_eq!(s.running.len(), 1);
    assert_eq!(s.running[0].id, running[0].id);
    assert!(s.oldest_available_age_ms.is_some());
    assert_eq!((s.completed_last_minute, s.failed_last_hour), (1, 1));
    clock.advance(Duration::from_millis(20));
    // Completed pruned after a short age; discarded kept longer.
    assert_eq!(
        q.prune(Duration::from_millis(1), Duration::from_secs(3600))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        q.prune(Duration::from_millis(1), Duration::from_millis(1))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn batch_complete_reports_lost_leases() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dir.path().join("q.db"), Duration::from_secs(30)).await;
    for _ in 0..10 {
        q.enqueue(JobKind::Extract, &job(), &EnqueueOptions::default())
            .await
            .unwrap();
    }
    let jobs = q.claim("w", &[JobKind::Extract], 10).await.unwrap();
    q.cancel(jobs[3].id).await.unwrap();
    let leases: Vec<Lease> = jobs.iter().map(|j| j.lease.clone()).collect();
    let lost = q.complete_many(&leases).await.unwrap();
    assert_eq!(lost, vec![jobs[3].lease.clone()]);
    assert_eq!(q.stats().await.unwrap().counts["extract"]["completed"], 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/with-pg-s3 (run by scripts/test)"]
async fn an_idle_node_wakes_on_notify_long_before_its_poll() {
    crate::common::backend::require_postgres();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    // Two nodes: separate pools on one database; the worker polls hourly.
    let producer = open(&db, Duration::from_secs(30)).await;
    let worker = open(&db, Duration::from_secs(30)).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let listen = worker.listen(stop.clone()).expect("PostgreSQL listens");
    let runner = Runner::new(
        worker.clone(),
        Arc::new(Effect {
            worker: "idle".into(),
        }),
    )
    .poll_interval(Duration::from_secs(3600))
    .spawn();
    // A first job shows the runner at work; once it is done, the runner's
    // next claim finds nothing and it goes idle.
    let first = producer
        .enqueue(JobKind::Extract, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    wait_state(&producer, first, JobState::Completed).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let id = producer
        .enqueue(JobKind::Extract, &job(), &EnqueueOptions::default())
        .await
        .unwrap();
    wait_state(&producer, id, JobState::Completed).await;
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "woken by NOTIFY, not by the hourly poll"
    );
    runner.shutdown(Duration::from_secs(5)).await;
    stop.cancel();
    listen.await.unwrap();
}
