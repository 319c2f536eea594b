//! How far a piece of work is: a percentage, the steps (chunks of a
//! recording) done out of how many, and the text found so far in timeline
//! order ([`Piece`]s: a chunk that finishes early is held until every chunk
//! before it is done). Shared between the threads doing the work and
//! whoever shows it (the admin API, the CLI, the stream of an event).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::Mutex;

/// Text of one stretch of the recording (a segment), on its timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Piece {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// Chunks' pieces: the released prefix, and those waiting for a gap. A
/// long recording is transcribed in windows, each planned on its own: their
/// chunks follow on (`base`), their times shifted by the window's start.
#[derive(Debug, Default)]
struct Pieces {
    base: usize,
    offset_ms: i64,
    next_chunk: usize,
    held: BTreeMap<usize, Vec<Piece>>,
    released: Vec<Piece>,
}

/// Progress of one job.
#[derive(Debug)]
pub struct Progress {
    percent: AtomicI32,
    done: AtomicU32,
    total: AtomicU32,
    pieces: Mutex<Pieces>,
    /// How many pieces are released; watched by whoever publishes them.
    released: tokio::sync::watch::Sender<usize>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            percent: AtomicI32::default(),
            done: AtomicU32::default(),
            total: AtomicU32::default(),
            pieces: Mutex::default(),
            released: tokio::sync::watch::channel(0).0,
        }
    }
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
        let mut p = self.lock_pieces();
        p.base = p.next_chunk;
    }

    /// The next planned chunks belong to a window starting `offset_ms` into
    /// the recording.
    pub fn window_at(&self, offset_ms: i64) {
        self.lock_pieces().offset_ms = offset_ms;
    }

    /// Chunk `chunk` (0-based in the last plan, in timeline order) is done
    /// with `pieces`: they are released with every held chunk that now
    /// follows without a gap.
    pub fn chunk_done(&self, chunk: usize, mut pieces: Vec<Piece>) {
        let mut p = self.lock_pieces();
        for x in &mut pieces {
            x.start_ms += p.offset_ms;
            x.end_ms += p.offset_ms;
        }
        let at = p.base + chunk;
        p.held.insert(at, pieces);
        loop {
            let next = p.next_chunk;
            let Some(ready) = p.held.remove(&next) else {
                break;
            };
            p.released.extend(ready);
            p.next_chunk += 1;
        }
        let n = p.released.len();
        drop(p);
        self.released.send_replace(n);
    }

    /// The released pieces from index `from` on.
    pub fn released_from(&self, from: usize) -> Vec<Piece> {
        self.lock_pieces()
            .released
            .get(from..)
            .map(<[Piece]>::to_vec)
            .unwrap_or_default()
    }

    /// Changes to the number of released pieces.
    pub fn watch_released(&self) -> tokio::sync::watch::Receiver<usize> {
        self.released.subscribe()
    }

    fn lock_pieces(&self) -> std::sync::MutexGuard<'_, Pieces> {
        self.pieces.lock().unwrap_or_else(|e| e.into_inner())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(t: &str) -> Piece {
        Piece {
            start_ms: 0,
            end_ms: 0,
            text: t.into(),
        }
    }

    #[test]
    fn chunks_finishing_out_of_order_are_released_in_order() {
        let p = Progress::default();
        p.plan(3);
        p.chunk_done(1, vec![piece("b")]);
        assert!(p.released_from(0).is_empty(), "held until chunk 0 is done");
        p.chunk_done(0, vec![piece("a"), piece("a2")]);
        let texts: Vec<String> = p.released_from(0).into_iter().map(|x| x.text).collect();
        assert_eq!(texts, ["a", "a2", "b"]);
        p.chunk_done(2, vec![]);
        assert_eq!(p.released_from(3), vec![]);
        assert_eq!(*p.watch_released().borrow(), 3);
        // A second window: its chunks follow on, its times shifted.
        p.window_at(30_000);
        p.plan(1);
        p.chunk_done(0, vec![piece("c")]);
        let c = &p.released_from(3)[0];
        assert_eq!((c.text.as_str(), c.start_ms), ("c", 30_000));
    }
}
