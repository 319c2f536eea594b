//! Publishes a running stt job's segments to the database as they are
//! released in timeline order ([`crate::progress::Progress`]), so that
//! `GET /api/events/{id}/stream` on any node can send them before the
//! transcript is stored.

use crate::progress::Progress;
use crate::store::events::{self, EventId};
use crate::store::Pool;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The publishing task of one job attempt; stops when finished or dropped.
pub struct Publisher {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Publisher {
    /// Forgets what an earlier attempt published, then follows `progress`.
    pub async fn start(pool: Pool, event_id: EventId, progress: Arc<Progress>) -> Self {
        if let Err(e) = clear(&pool, &event_id).await {
            tracing::warn!("cannot clear the event's earlier segments: {e}");
        }
        let stop = CancellationToken::new();
        let task = tokio::spawn(follow(pool, event_id, progress, stop.clone()));
        Self {
            stop,
            task: Some(task),
        }
    }

    /// Publishes what is left and waits for it.
    pub async fn finish(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn clear(pool: &Pool, event_id: &EventId) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    events::clear_segments(&mut conn, event_id).await
}

/// Writes each newly released piece once, in order, until `stop`; then the
/// rest. A write that fails is tried again at the next release.
async fn follow(pool: Pool, event_id: EventId, progress: Arc<Progress>, stop: CancellationToken) {
    let mut released = progress.watch_released();
    let mut sent = 0usize;
    loop {
        let last = tokio::select! {
            changed = released.changed() => changed.is_err(),
            _ = stop.cancelled() => true,
        };
        let new = progress.released_from(sent);
        if !new.is_empty() {
            match events::append_segments(&pool, &event_id, sent as i64 + 1, &new).await {
                Ok(()) => sent += new.len(),
                Err(e) => tracing::warn!("cannot publish segments: {e}"),
            }
        }
        if last {
            return;
        }
    }
}
