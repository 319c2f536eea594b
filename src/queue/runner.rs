//! The worker runner: claims jobs (polling every `WORKER_POLL_INTERVAL_MS`,
//! and at once when this process enqueues), runs at most
//! `WORKER_MAX_CONCURRENT` at a time, renews their leases while they run,
//! rescues jobs whose worker died, and shuts down gracefully.
//!
//! Each job runs in its own task: a panic there becomes a failed job, never
//! a dead runner.

use super::{FailedJob, Job, JobError, JobId, JobKind, Lease, Queue, QueueError};
use crate::db::Conn;
use crate::progress::Progress;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What a running job may use.
#[derive(Clone)]
pub struct JobContext {
    pub queue: Queue,
    /// Fired when the job must stop: cancelled, lease lost, or shutdown.
    pub cancel: CancellationToken,
    /// Progress (percent, chunks), shown in the admin API.
    pub progress: Arc<Progress>,
    /// When the job must have finished; the job may extend it by the
    /// audio it has ([`super::Deadline::set_audio`]).
    pub deadline: Arc<super::Deadline>,
}

/// Runs the jobs of some kinds.
pub trait Handler: Send + Sync + 'static {
    /// The kinds this handler runs; the runner claims only these.
    fn kinds(&self) -> Vec<JobKind>;

    /// Runs one job. On success the handler must have marked the job
    /// completed ([`Queue::complete_in`] inside the transaction that stores
    /// its results, or [`Queue::complete`]).
    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>>;

    /// Inside the queue's transaction that records a failure, a retry, a
    /// cancellation or a rescue of one of this handler's jobs: update the
    /// job's subject (e.g. mark its event failed) so both commit together.
    fn record_failure_in<'a>(
        &'a self,
        _conn: &'a mut Conn,
        _failed: &'a FailedJob,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async { Ok(()) })
    }

    /// After that transaction committed: side effects such as deleting files.
    fn after_failure(&self, _failed: FailedJob) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

struct InFlight {
    kind: JobKind,
    started: Instant,
    progress: Arc<Progress>,
    cancel: CancellationToken,
}

struct Inner {
    queue: Queue,
    handler: Arc<dyn Handler>,
    kinds: Vec<JobKind>,
    owner: String,
    poll: Duration,
    max: usize,
    deadline: super::DeadlinePolicy,
    slots: Arc<Semaphore>,
    enabled: AtomicBool,
    wake: Arc<Notify>,
    slot_freed: Notify,
    stop: CancellationToken,
    abort: CancellationToken,
    tracker: TaskTracker,
    in_flight: Mutex<HashMap<JobId, InFlight>>,
}

/// Builder for a runner.
pub struct Runner {
    queue: Queue,
    handler: Arc<dyn Handler>,
    poll: Duration,
    max: usize,
    deadline: super::DeadlinePolicy,
    enabled: bool,
    owner: Option<String>,
}

/// A job running in this process, for the admin API.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InFlightJob {
    pub id: JobId,
    pub kind: JobKind,
    pub running_ms: u64,
    pub progress: i32,
    /// Chunks transcribed so far and in all (0 and 0 before they are known).
    pub chunks_done: u32,
    pub chunks_total: u32,
}

/// Control of a started runner. Cloneable.
#[derive(Clone)]
pub struct RunnerHandle {
    inner: Arc<Inner>,
    main: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Runner {
    pub fn new(queue: Queue, handler: Arc<dyn Handler>) -> Self {
        Self {
            queue,
            handler,
            poll: Duration::from_secs(3),
            max: 2,
            deadline: super::DeadlinePolicy::default(),
            enabled: true,
            owner: None,
        }
    }

    /// The lease owner id of its claims (a node's id; default: host,
    /// process and a random part).
    pub fn owner(mut self, owner: String) -> Self {
        self.owner = Some(owner);
        self
    }

    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    pub fn max_concurrent(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// How long jobs may run.
    pub fn deadline(mut self, policy: super::DeadlinePolicy) -> Self {
        self.deadline = policy;
        self
    }

    /// Start with claiming paused (`start()` resumes).
    pub fn paused(mut self, paused: bool) -> Self {
        self.enabled = !paused;
        self
    }

    /// Spawns the claim loop and the rescuer; returns the handle.
    pub fn spawn(self) -> RunnerHandle {
        let owner = self.owner.unwrap_or_else(|| {
            format!(
                "{}:{}:{}",
                hostname(),
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            )
        });
        let inner = Arc::new(Inner {
            kinds: self.handler.kinds(),
            wake: self.queue.wake_handle(),
            queue: self.queue,
            handler: self.handler,
            owner,
            poll: self.poll,
            max: self.max,
            deadline: self.deadline,
            slots: Arc::new(Semaphore::new(self.max)),
            enabled: AtomicBool::new(self.enabled),
            slot_freed: Notify::new(),
            stop: CancellationToken::new(),
            abort: CancellationToken::new(),
            tracker: TaskTracker::new(),
            in_flight: Mutex::new(HashMap::new()),
        });
        let rescuer = inner.clone();
        inner
            .tracker
            .spawn(async move { rescue_loop(rescuer).await });
        let main = tokio::spawn(claim_loop(inner.clone()));
        RunnerHandle {
            inner,
            main: Arc::new(Mutex::new(Some(main))),
        }
    }
}

/// This machine's host name (for node ids).
pub fn hostname() -> String {
    Some(
        gethostname::gethostname()
            .to_string_lossy()
            .trim()
            .to_string(),
    )
    .filter(|s| !s.is_empty())
    .unwrap_or_else(|| "host".into())
}

async fn rescue_loop(inner: Arc<Inner>) {
    let period = (inner.queue.lease() / 2).max(Duration::from_millis(200));
    loop {
        match inner.queue.rescue_expired().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(jobs = n, "rescued jobs whose lease expired");
                inner.wake.notify_one();
            }
            Err(e) => tracing::error!(error = %e, "rescuing expired jobs failed"),
        }
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}

async fn claim_loop(inner: Arc<Inner>) {
    loop {
        if inner.stop.is_cancelled() {
            return;
        }
        let mut busy = false;
        if inner.enabled.load(Ordering::SeqCst) {
            let mut permits = Vec::new();
            while let Ok(p) = inner.slots.clone().try_acquire_owned() {
                permits.push(p);
            }
            if !permits.is_empty() {
                let asked = permits.len();
                match inner.queue.claim(&inner.owner, &inner.kinds, asked).await {
                    // Workers stopped while the claim was on its way: the
                    // jobs go back untouched (attempt not counted).
                    Ok(jobs) if !inner.enabled.load(Ordering::SeqCst) => {
                        give_back(&inner.queue, jobs).await;
                    }
                    Ok(jobs) => {
                        busy = jobs.len() == asked;
                        for (job, permit) in jobs.into_iter().zip(permits.drain(..)) {
                            spawn_job(&inner, job, permit);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
                }
            }
        }
        if busy {
            continue;
        }
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            _ = inner.wake.notified() => {}
            _ = inner.slot_freed.notified() => {}
            _ = tokio::time::sleep(inner.poll) => {}
        }
    }
}

/// Releases jobs claimed but not to be run here.
async fn give_back(queue: &Queue, jobs: Vec<Job>) {
    for job in jobs {
        if let Err(e) = queue.release(&job.lease).await {
            tracing::warn!(job_id = %job.id, error = %e, "could not give a claimed job back");
        }
    }
}

fn panic_message(err: tokio::task::JoinError) -> String {
    match err.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into()),
        Err(e) => e.to_string(),
    }
}

fn spawn_job(inner: &Arc<Inner>, job: Job, permit: tokio::sync::OwnedSemaphorePermit) {
    let inner = inner.clone();
    let cancel = inner.abort.child_token();
    let progress = Arc::new(Progress::default());
    let started = Instant::now();
    inner
        .in_flight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            job.id,
            InFlight {
                kind: job.kind,
                started,
                progress: progress.clone(),
                cancel: cancel.clone(),
            },
        );
    let tracker = inner.tracker.clone();
    tracker.spawn(async move {
        let _permit = permit;
        let lease = job.lease.clone();
        let heartbeat = spawn_heartbeat(&inner.queue, &lease, &cancel);
        let deadline = Arc::new(super::Deadline::start(inner.deadline));
        let ctx = JobContext {
            queue: inner.queue.clone(),
            cancel: cancel.clone(),
            progress,
            deadline: deadline.clone(),
        };
        let run = tokio::spawn(inner.handler.run(job.clone(), ctx));
        let result = within_deadline(run, &deadline, &cancel).await;
        heartbeat.abort();
        let error = job_error(job.id, result);
        let outcome = if error.is_some() {
            "failed"
        } else {
            "completed"
        };
        crate::metrics::job_finished(job.kind.as_str(), outcome, started.elapsed().as_secs_f64());
        if let Some(err) = error {
            record_failure(&inner, &job, &lease, &err).await;
        }
        inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&job.id);
        inner.slot_freed.notify_one();
    });
}

/// The job's error, if it failed: its own, a panic, or its deadline.
fn job_error(
    id: JobId,
    result: Result<Result<Result<(), JobError>, tokio::task::JoinError>, Duration>,
) -> Option<JobError> {
    match result {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(e),
        Ok(Err(join)) => {
            let msg = panic_message(join);
            tracing::error!(job_id = %id, panic = %msg, "job panicked");
            Some(JobError::permanent(format!(
                "internal error: the worker panicked: {msg}"
            )))
        }
        Err(allowed) => {
            tracing::warn!(job_id = %id, allowed_s = allowed.as_secs(), "job past its deadline: stopped");
            Some(JobError::permanent(format!(
                "deadline exceeded: the job ran for more than {} s (JOB_DEADLINE_BASE_SECONDS + JOB_DEADLINE_FACTOR x audio)",
                allowed.as_secs()
            )))
        }
    }
}

/// Waits for the job, or for its deadline: then fires its cancellation,
/// gives it two seconds to stop, and answers `Err(time allowed)` whether it
/// stopped or not (a job stuck where it cannot be stopped is left behind;
/// its slot is freed all the same).
async fn within_deadline(
    mut run: tokio::task::JoinHandle<Result<(), JobError>>,
    deadline: &super::Deadline,
    cancel: &CancellationToken,
) -> Result<Result<Result<(), JobError>, tokio::task::JoinError>, Duration> {
    loop {
        tokio::select! {
            r = &mut run => return Ok(r),
            _ = tokio::time::sleep_until(deadline.at().into()) => {
                if !deadline.passed() {
                    continue; // extended meanwhile
                }
                cancel.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(2), &mut run).await;
                return Err(deadline.allowed());
            }
        }
    }
}

/// Renews the job's lease every third of the lease time; cancels the job
/// when the lease is lost (the job was cancelled or rescued elsewhere).
fn spawn_heartbeat(
    queue: &Queue,
    lease: &Lease,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let (queue, lease, cancel) = (queue.clone(), lease.clone(), cancel.clone());
    let period = (queue.lease() / 3).max(Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            match queue.heartbeat(&lease).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost(id)) => {
                    tracing::warn!(
                        job_id = %id,
                        "lease lost (cancelled or rescued): stopping the job"
                    );
                    cancel.cancel();
                    return;
                }
                Err(e) => tracing::warn!(job_id = %lease.job_id, error = %e, "heartbeat failed"),
            }
        }
    })
}

/// Writes a job's failure: at shutdown the job is released for another
/// runner instead (its failure was the shutdown's doing).
async fn record_failure(inner: &Inner, job: &Job, lease: &Lease, err: &JobError) {
    if inner.abort.is_cancelled() {
        match inner.queue.release(lease).await {
            Ok(()) => tracing::info!(job_id = %job.id, "released job at shutdown"),
            Err(e) => tracing::warn!(job_id = %job.id, error = %e, "could not release job"),
        }
        return;
    }
    match inner.queue.fail(lease, err).await {
        Ok(outcome) => {
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempt,
                error = %err.message, ?outcome, "job failed");
        }
        Err(QueueError::LeaseLost(_)) => tracing::info!(
            job_id = %job.id,
            "job ended after losing its lease (cancelled or rescued); nothing written"
        ),
        Err(e) => tracing::error!(job_id = %job.id, error = %e, "recording the failure failed"),
    }
}

impl RunnerHandle {
    /// The queue this runner claims from.
    pub fn queue(&self) -> &Queue {
        &self.inner.queue
    }

    /// Resumes claiming.
    pub fn start(&self) {
        self.inner.enabled.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }

    /// Stops claiming; running jobs finish.
    pub fn stop(&self) {
        self.inner.enabled.store(false, Ordering::SeqCst);
    }

    /// Whether the runner claims new jobs.
    pub fn is_running(&self) -> bool {
        self.inner.enabled.load(Ordering::SeqCst) && !self.inner.stop.is_cancelled()
    }

    /// Maximum concurrent jobs.
    pub fn slots(&self) -> usize {
        self.inner.max
    }

    /// Jobs running in this process now.
    pub fn in_flight(&self) -> Vec<InFlightJob> {
        let map = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = map
            .iter()
            .map(|(id, f)| {
                let (chunks_done, chunks_total) = f.progress.steps();
                InFlightJob {
                    id: *id,
                    kind: f.kind,
                    running_ms: f.started.elapsed().as_millis() as u64,
                    progress: f.progress.percent(),
                    chunks_done,
                    chunks_total,
                }
            })
            .collect();
        v.sort_by_key(|j| j.id);
        v
    }

    /// Cancels a job: in the database, and at once if it runs here.
    pub async fn cancel_job(&self, id: JobId) -> Result<Option<super::JobState>, QueueError> {
        let prev = self.inner.queue.cancel(id).await?;
        if let Some(f) = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            f.cancel.cancel();
        }
        Ok(prev)
    }

    /// The lease owner id of this runner.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Graceful shutdown: stop claiming, let running jobs finish for up to
    /// `grace`, then stop them and release their leases so another worker
    /// takes them at once.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.stop.cancel();
        let main = self.main.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(main) = main {
            let _ = main.await;
        }
        self.inner.tracker.close();
        if tokio::time::timeout(grace, self.inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("jobs still running after the grace period: stopping them and releasing their leases");
            self.inner.abort.cancel();
            // A job stuck where it cannot be stopped does not hold the
            // process: its lease lapses and another node rescues it.
            if tokio::time::timeout(Duration::from_secs(3), self.inner.tracker.wait())
                .await
                .is_err()
            {
                tracing::error!("jobs still running after being stopped: leaving them");
            }
        }
    }
}

/// Several handlers behind one runner, chosen by job kind.
pub struct Handlers(pub Vec<Arc<dyn Handler>>);

impl Handlers {
    fn find(&self, kind: JobKind) -> Option<&Arc<dyn Handler>> {
        self.0.iter().find(|h| h.kinds().contains(&kind))
    }
}

impl Handler for Handlers {
    fn kinds(&self) -> Vec<JobKind> {
        self.0.iter().flat_map(|h| h.kinds()).collect()
    }

    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        match self.find(job.kind) {
            Some(h) => h.run(job, ctx),
            None => {
                let kind = job.kind;
                Box::pin(
                    async move { Err(JobError::permanent(format!("no worker for {kind} jobs"))) },
                )
            }
        }
    }

    fn record_failure_in<'a>(
        &'a self,
        conn: &'a mut Conn,
        failed: &'a FailedJob,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        match self.find(failed.kind) {
            Some(h) => h.record_failure_in(conn, failed),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn after_failure(&self, failed: FailedJob) -> BoxFuture<'static, ()> {
        match self.find(failed.kind) {
            Some(h) => h.after_failure(failed),
            None => Box::pin(async {}),
        }
    }
}
