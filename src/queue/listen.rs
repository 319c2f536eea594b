//! Wake-ups across nodes (PostgreSQL): a commit that makes a job available
//! sends `NOTIFY susurro_jobs` in its transaction; every node `LISTEN`s and
//! wakes its runner at once instead of at its next poll. The poll interval
//! stays the fallback (a lost connection, SQLite).

use super::Queue;
use crate::db::{Conn, Dialect};
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The channel.
pub const CHANNEL: &str = "susurro_jobs";

/// Sends the wake-up inside `conn`'s transaction (delivered at commit).
pub(super) async fn notify_in(conn: &mut Conn) -> Result<(), sqlx::Error> {
    if Dialect::of_conn(conn) == Dialect::Postgres {
        sqlx::query("select pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Queue {
    /// On PostgreSQL, listens for wake-ups until `stop` (reconnecting after
    /// errors); `None` on SQLite, where the writers are in this process.
    pub fn listen(&self, stop: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        if self.dialect != Dialect::Postgres {
            return None;
        }
        let url = self.pool.connect_options().database_url.to_string();
        let queue = self.clone();
        Some(tokio::spawn(async move {
            loop {
                if let Err(e) = queue.listen_once(&url, &stop).await {
                    tracing::warn!(error = %e, "LISTEN connection lost; polling until it is back");
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }))
    }

    async fn listen_once(&self, url: &str, stop: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        // Jobs made available while no one listened.
        self.notify();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                // Not `recv`: it reconnects silently and loses what was sent
                // meanwhile; `try_recv` says `None` when the connection is
                // lost, and the caller connects anew and wakes the runner
                // once it listens again.
                n = listener.try_recv() => match n? {
                    Some(_) => self.notify(),
                    None => return Err(sqlx::Error::Protocol("LISTEN connection closed".into())),
                },
            }
        }
    }
}
