//! How far a piece of work is: a percentage, and the steps (chunks of a
//! recording) done out of how many. Shared between the thread doing the work
//! and whoever shows it (the admin API, the CLI).

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Progress of one job.
#[derive(Debug, Default)]
pub struct Progress {
    percent: AtomicI32,
    done: AtomicU32,
    total: AtomicU32,
}

impl Progress {
    /// Percent done (0–100).
    pub fn percent(&self) -> i32 {
        self.percent.load(Ordering::Relaxed)
    }

    /// (steps done, steps in all); (0, 0) before the work is planned.
    pub fn steps(&self) -> (u32, u32) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Sets the percentage.
    pub fn set_percent(&self, p: i32) {
        self.percent.store(p.clamp(0, 100), Ordering::Relaxed);
    }

    /// Starts `total` steps.
    pub fn plan(&self, total: u32) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    /// One more step done; the percentage follows.
    pub fn step_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed).max(1);
        self.set_percent((done * 100 / total) as i32);
    }

    /// Raw percentage cell for callbacks from C (whisper's progress).
    pub(crate) fn percent_cell(&self) -> &AtomicI32 {
        &self.percent
    }
}
