//! The store: the SQLite pool (WAL journal, busy timeout, foreign keys,
//! `synchronous=FULL`), the embedded migrations, and the SQL of events and
//! transcripts ([`events`], [`view`]). The queue's SQL is in `queue/`.

pub mod events;
pub mod view;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Opens (creating if needed) the database with `synchronous=FULL` (an
/// acknowledged upload survives power loss) and applies migrations.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    connect_with(url, SqliteSynchronous::Full).await
}

/// Opens the database with the given `synchronous` level
/// (`SQLITE_SYNCHRONOUS`: `normal` is faster and can lose the last
/// commits, never corrupt the database, on power loss).
pub async fn connect_with(url: &str, synchronous: SqliteSynchronous) -> anyhow::Result<SqlitePool> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true);
    if let Some(parent) = opts.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
