//! Job kinds, states, options and errors of the queue.

use std::time::Duration;

sql_enum!(
    /// What a job does; each kind has its own worker.
    JobKind {
        /// Speech to text for one event.
        Stt = "stt",
        /// Hand a transcript to the product's next stage.
        Extract = "extract",
    }
);

sql_enum!(
    /// Where a job is in its life.
    JobState {
        /// Waiting; claimable once `run_at` has passed (a retry waits this way).
        Available = "available",
        /// Claimed by a worker that holds the lease.
        Running = "running",
        /// Done.
        Completed = "completed",
        /// Dead: failed permanently or out of attempts.
        Discarded = "discarded",
        /// Cancelled by an operator.
        Cancelled = "cancelled",
    }
);

impl JobKind {
    /// Attempts before a job of this kind is discarded.
    pub fn default_max_attempts(self) -> i64 {
        match self {
            JobKind::Stt => 3,
            JobKind::Extract => 8,
        }
    }
}

/// A job's id (the row id of `jobs`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct JobId(pub i64);

impl utoipa::PartialSchema for JobId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        i64::schema()
    }
}
impl utoipa::ToSchema for JobId {}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Priority for interactive requests (lower runs first).
pub const PRIORITY_HIGH: i64 = 10;
/// Default priority.
pub const PRIORITY_NORMAL: i64 = 100;

/// Options of [`Queue::enqueue`](super::Queue::enqueue).
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// Lower runs first; defaults to [`PRIORITY_NORMAL`].
    pub priority: Option<i64>,
    /// Not before this time (ms since the epoch).
    pub run_at: Option<i64>,
    /// Defaults to the kind's [`JobKind::default_max_attempts`].
    pub max_attempts: Option<i64>,
    /// At most one unfinished job per (kind, key): enqueue returns the existing one.
    pub unique_key: Option<String>,
}

/// A claimed job. Its lease is the proof of ownership for every later write.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub priority: i64,
    pub attempt: i64,
    pub max_attempts: i64,
    pub lease: Lease,
}

/// Who holds a running job: owner id plus the attempt it was claimed for, so
/// a re-claim of the same job (even by the same owner) invalidates old leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: JobId,
    pub owner: String,
    pub attempt: i64,
}

/// How a failure should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Try again later (I/O, model not ready, …) while attempts remain.
    Retryable,
    /// Bad input: discard now.
    Permanent,
}

/// A job's error, classified.
#[derive(Debug, Clone)]
pub struct JobError {
    pub failure: Failure,
    pub message: String,
}

impl JobError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            failure: Failure::Retryable,
            message: message.into(),
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            failure: Failure::Permanent,
            message: message.into(),
        }
    }
}

/// What [`Queue::fail`](super::Queue::fail) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back to `available`, due at this time (ms).
    Retrying { run_at: i64 },
    /// Out of attempts or permanent: `discarded`.
    Discarded,
    /// An operator cancelled the job while it ran.
    Cancelled,
}

/// A job that failed, was cancelled or was rescued, as the failure hooks
/// see it.
#[derive(Debug, Clone)]
pub struct FailedJob {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    /// The attempt that failed (1-based).
    pub attempt: i64,
    pub max_attempts: i64,
    pub outcome: FailOutcome,
    /// Why.
    pub message: String,
}

/// Queue errors.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The job is no longer running under this lease (expired and rescued,
    /// cancelled, or claimed again): the write was not made.
    #[error("lease lost on job {0}: it was rescued, cancelled or claimed again")]
    LeaseLost(JobId),
    #[error("job {0} not found")]
    NotFound(JobId),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("bad job payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// A stored value outside what the schema allows.
    #[error("corrupt queue row: {0}")]
    Corrupt(String),
}

/// How long a job may run: `base`, plus `per_audio_second` seconds for
/// each second of audio the job reports ([`Deadline::set_audio`]).
#[derive(Debug, Clone, Copy)]
pub struct DeadlinePolicy {
    pub base: Duration,
    pub per_audio_second: f64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(120),
            per_audio_second: 3.0,
        }
    }
}

/// A running job's deadline. It starts at the policy's base and grows as
/// the job learns how much audio it has; the runner stops the job when it
/// passes.
#[derive(Debug)]
pub struct Deadline {
    started: std::time::Instant,
    policy: DeadlinePolicy,
    /// Time added for the audio, in ms.
    extra_ms: std::sync::atomic::AtomicU64,
    /// Time spent on hold (waiting on something that is not the job's
    /// work, such as a model download), in ms, and the hold under way.
    held_ms: std::sync::atomic::AtomicU64,
    holding: std::sync::Mutex<Option<std::time::Instant>>,
}

/// While it lives, the deadline's clock is stopped ([`Deadline::hold`]).
pub struct Hold<'a>(&'a Deadline);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let mut holding = self.0.holding.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(since) = holding.take() {
            self.0.held_ms.fetch_add(
                since.elapsed().as_millis() as u64,
                std::sync::atomic::Ordering::SeqCst,
            );
        }
    }
}

impl Deadline {
    /// A deadline counted from now.
    pub fn start(policy: DeadlinePolicy) -> Self {
        Self {
            started: std::time::Instant::now(),
            policy,
            extra_ms: std::sync::atomic::AtomicU64::new(0),
            held_ms: std::sync::atomic::AtomicU64::new(0),
            holding: std::sync::Mutex::new(None),
        }
    }

    /// Stops the clock until the returned guard is dropped: for waits that
    /// are not the job's own work (downloading the model it needs).
    pub fn hold(&self) -> Hold<'_> {
        let mut holding = self.holding.lock().unwrap_or_else(|e| e.into_inner());
        holding.get_or_insert_with(std::time::Instant::now);
        Hold(self)
    }

    /// The job has (at least) `audio` of audio: its deadline is the base
    /// plus the policy's allowance for that much (it never shrinks).
    pub fn set_audio(&self, audio: Duration) {
        let extra = (audio.as_secs_f64() * self.policy.per_audio_second * 1000.0) as u64;
        self.extra_ms
            .fetch_max(extra, std::sync::atomic::Ordering::SeqCst);
    }

    /// The whole time allowed so far (time on hold not counted).
    pub fn allowed(&self) -> Duration {
        self.policy.base
            + Duration::from_millis(self.extra_ms.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// When the job must have finished: the time allowed plus the time on
    /// hold (a hold under way counts up to now).
    pub fn at(&self) -> std::time::Instant {
        let holding = *self.holding.lock().unwrap_or_else(|e| e.into_inner());
        let held = Duration::from_millis(self.held_ms.load(std::sync::atomic::Ordering::SeqCst))
            + holding.map_or(Duration::ZERO, |since| since.elapsed());
        self.started + self.allowed() + held
    }

    /// Whether the deadline has passed (never while on hold).
    pub fn passed(&self) -> bool {
        let holding = self
            .holding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        !holding && std::time::Instant::now() >= self.at()
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;

    #[test]
    fn a_hold_stops_the_clock_and_audio_extends_it() {
        let d = Deadline::start(DeadlinePolicy {
            base: Duration::from_millis(50),
            per_audio_second: 2.0,
        });
        {
            let _hold = d.hold();
            std::thread::sleep(Duration::from_millis(80));
            assert!(!d.passed(), "passed while on hold");
        }
        assert!(!d.passed(), "the hold was counted");
        d.set_audio(Duration::from_millis(100));
        assert_eq!(d.allowed(), Duration::from_millis(250));
        std::thread::sleep(Duration::from_millis(300));
        assert!(d.passed());
    }
}

/// Exponential backoff with jitter: `base · 2^(attempt-1)`, capped, ±10 %.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// Delay after the `attempt`-th failed attempt (1-based), before jitter.
    pub fn nominal(&self, attempt: i64) -> Duration {
        let exp = attempt.clamp(1, 30) as u32 - 1;
        self.base.saturating_mul(1u32 << exp.min(20)).min(self.cap)
    }

    /// Delay with ±10 % jitter.
    pub fn delay(&self, attempt: i64) -> Duration {
        let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.9..=1.1);
        self.nominal(attempt).mul_f64(jitter)
    }
}
