//! The machine's cores as a budget shared by every transcription in the
//! process: a chunk holds one core while whisper runs on it, so that one
//! job alone spreads its chunks over all the cores, and jobs running at
//! once share them, never more whisper threads than cores (ggml's threads
//! spin while they wait: oversubscribed, it runs 10–30× slower).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often a waiting chunk looks at its abort flag.
const ABORT_CHECK: Duration = Duration::from_millis(50);

/// A counting semaphore over the cores, for blocking threads. Urgent
/// takers (live dictation, whose words someone is waiting for) go first:
/// while one waits, no other taker gets a core.
#[derive(Debug)]
pub struct Cores {
    total: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug)]
struct State {
    free: usize,
    urgent_waiting: usize,
}

/// A transcription's claim on the budget: which budget, and whether it goes
/// before the others.
#[derive(Debug, Clone)]
pub struct Share {
    pub cores: Arc<Cores>,
    pub urgent: bool,
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
            state: Mutex::new(State {
                free: total,
                urgent_waiting: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// Cores in the budget.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Waits for `n` cores (at most all of them); `None` when `abort` is set
    /// first. `urgent`: before every taker that is not. Blocking: call it
    /// from the transcription's own threads.
    pub fn take(&self, n: usize, urgent: bool, abort: &AtomicBool) -> Option<Held<'_>> {
        let n = n.clamp(1, self.total);
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.urgent_waiting += usize::from(urgent);
        while st.free < n || (!urgent && st.urgent_waiting > 0) {
            if abort.load(Ordering::Relaxed) {
                st.urgent_waiting -= usize::from(urgent);
                self.freed.notify_all();
                return None;
            }
            st = self
                .freed
                .wait_timeout(st, ABORT_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.urgent_waiting -= usize::from(urgent);
        st.free -= n;
        // Others waiting behind an urgent taker may go now.
        self.freed.notify_all();
        Some(Held { cores: self, n })
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut st = self.cores.state.lock().unwrap_or_else(|e| e.into_inner());
        st.free += self.n;
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
                        let _held = cores.take(1, false, &never).unwrap();
                        let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        busy.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        let all = cores.take(5, false, &never).unwrap();
        assert_eq!(all.n, 2, "at most the whole budget");
        let abort = AtomicBool::new(true);
        assert!(cores.take(1, false, &abort).is_none());
        drop(all);
        assert!(
            cores.take(2, false, &abort).is_some(),
            "free cores need no wait"
        );
    }

    #[test]
    fn an_urgent_taker_goes_before_those_already_waiting() {
        let cores = Cores::new(1);
        let never = AtomicBool::new(false);
        let order = Mutex::new(Vec::new());
        let held = cores.take(1, false, &never).unwrap();
        std::thread::scope(|s| {
            // Waiting before the urgent taker comes, or not: either way
            // it goes second.
            s.spawn(|| {
                let _c = cores.take(1, false, &never).unwrap();
                order.lock().unwrap().push("normal");
            });
            s.spawn(|| {
                let _c = cores.take(1, true, &never).unwrap();
                order.lock().unwrap().push("urgent");
            });
            while cores.state.lock().unwrap().urgent_waiting == 0 {
                std::thread::yield_now();
            }
            drop(held);
        });
        assert_eq!(*order.lock().unwrap(), ["urgent", "normal"]);
    }
}
