//! The machine's cores as a budget shared by every transcription in the
//! process: a chunk holds one core while whisper runs on it, so that one
//! job alone spreads its chunks over all the cores, and jobs running at
//! once share them, never more whisper threads than cores (ggml's threads
//! spin while they wait: oversubscribed, it runs 10–30× slower).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// The process's budget for the jobs' chunks, shared by every engine in the
/// process. Tests run several services in one process: with a budget per
/// engine, two engines each ran multi-threaded whisper on the same cores,
/// their threads spinning against each other (in CI a live session was
/// silent for over a minute while another test's job ran).
pub fn for_jobs() -> Arc<Cores> {
    static JOBS: OnceLock<Arc<Cores>> = OnceLock::new();
    JOBS.get_or_init(|| Arc::new(Cores::new(super::cpu::cores())))
        .clone()
}

/// The process's budget for live dictation's decodes, shared by every
/// service in the process (see [`for_jobs`]).
pub fn for_live() -> Arc<Cores> {
    static LIVE: OnceLock<Arc<Cores>> = OnceLock::new();
    LIVE.get_or_init(|| Arc::new(Cores::new(super::cpu::cores())))
        .clone()
}

/// How often a waiting chunk looks at its abort flag.
const ABORT_CHECK: Duration = Duration::from_millis(50);

/// A counting semaphore over the cores, for blocking threads.
#[derive(Debug)]
pub struct Cores {
    total: usize,
    free: Mutex<usize>,
    freed: Condvar,
}

/// Cores held; given back when dropped.
#[derive(Debug)]
pub struct Held<'a> {
    cores: &'a Cores,
    n: usize,
}

impl Cores {
    /// A budget of `total` cores (at least one).
    pub fn new(total: usize) -> Self {
        let total = total.max(1);
        Self {
            total,
            free: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    /// Cores in the budget.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Cores held at this moment (a glance).
    pub fn held(&self) -> usize {
        self.total - self.free()
    }

    /// Cores free at this moment (a glance: others may take them next).
    pub fn free(&self) -> usize {
        *self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for `n` cores (at most all of them); `None` when `abort` is set
    /// first. Blocking: call it from the transcription's own threads.
    pub fn take(&self, n: usize, abort: &AtomicBool) -> Option<Held<'_>> {
        let n = n.clamp(1, self.total);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < n {
            if abort.load(Ordering::Relaxed) {
                return None;
            }
            free = self
                .freed
                .wait_timeout(free, ABORT_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= n;
        Some(Held { cores: self, n })
    }

    /// Waits for one core, then takes up to `max` of those free (at least
    /// one): for work that should start now with what it can get rather
    /// than wait for more. `None` when `abort` is set first.
    pub fn take_up_to(&self, max: usize, abort: &AtomicBool) -> Option<Held<'_>> {
        let mut held = self.take(1, abort)?;
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let more = (*free).min(max.clamp(1, self.total) - 1);
        *free -= more;
        held.n += more;
        Some(held)
    }
}

impl Held<'_> {
    /// Cores held.
    pub fn count(&self) -> usize {
        self.n
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut free = self.cores.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += self.n;
        self.cores.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn never_more_held_than_the_budget_and_abort_ends_a_wait() {
        let cores = Cores::new(2);
        let never = AtomicBool::new(false);
        let (busy, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let _held = cores.take(1, &never).unwrap();
                        let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        busy.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        let all = cores.take(5, &never).unwrap();
        assert_eq!(all.n, 2, "at most the whole budget");
        let abort = AtomicBool::new(true);
        assert!(cores.take(1, &abort).is_none());
        drop(all);
        assert!(cores.take(2, &abort).is_some(), "free cores need no wait");
    }

    #[test]
    fn take_up_to_starts_with_what_is_free() {
        let cores = Cores::new(4);
        let never = AtomicBool::new(false);
        let three = cores.take(3, &never).unwrap();
        let some = cores.take_up_to(4, &never).unwrap();
        assert_eq!(some.count(), 1, "only one was free");
        assert_eq!(cores.free(), 0);
        drop((three, some));
        let one = cores.take_up_to(1, &never).unwrap();
        assert_eq!(one.count(), 1, "never more than asked");
        assert_eq!(cores.take_up_to(9, &never).unwrap().count(), 3);
        let abort = AtomicBool::new(true);
        let _rest = cores.take(3, &never).unwrap();
        assert!(cores.take_up_to(2, &abort).is_none(), "none free: waits");
    }
}
