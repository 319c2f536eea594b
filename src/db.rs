//! The database: one pool over SQLite (the embedded default: WAL journal,
//! busy timeout, foreign keys, `synchronous=FULL`) or PostgreSQL (many
//! nodes), chosen by `DATABASE_URL`, and the embedded migrations of each
//! (`migrations/sqlite`, `migrations/postgres`).
//!
//! Statements are written once for both backends (`$1` parameters, integer
//! milliseconds for times, TEXT for enums and JSON). Where the two differ,
//! [`Dialect`] gives the fragment. The SQL itself lives with the code that
//! owns it: [`crate::store`] (events, transcripts, nodes) and
//! [`crate::queue`] (jobs).

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
use sqlx::Executor;
use std::str::FromStr;
use std::time::Duration;

/// The database pool, whichever the backend.
pub type Pool = sqlx::AnyPool;
/// One connection of the pool (or a transaction, through `&mut *tx`).
pub type Conn = sqlx::AnyConnection;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which SQL the database speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The backend a `DATABASE_URL` names.
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(
                "expected sqlite://path/to/file.db or postgres://user:password@host/database"
                    .into(),
            )
        }
    }

    /// The backend of a pool.
    pub fn of(pool: &Pool) -> Self {
        Self::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Self::Sqlite)
    }

    /// The backend of a connection.
    pub fn of_conn(conn: &Conn) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// Appended to the claim's inner `select`: row locks that concurrent
    /// claimers skip (PostgreSQL); SQLite serialises writers instead.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => "for update skip locked",
        }
    }

    /// The text at `key` of a JSON object stored in the TEXT column `col`.
    pub fn json_text(self, col: &str, key: &str) -> String {
        match self {
            Self::Sqlite => format!("json_extract({col}, '$.{key}')"),
            Self::Postgres => format!("(({col})::json ->> '{key}')"),
        }
    }

    /// Starts a transaction that will write: SQLite takes the write lock at
    /// once (no upgrade deadlock), PostgreSQL's row locks need nothing.
    pub fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "begin immediate",
            Self::Postgres => "begin",
        }
    }
}

/// Opens (creating if needed) the database and applies its migrations.
/// SQLite runs with `synchronous` (`FULL`: an acknowledged upload survives
/// power loss; `NORMAL` is faster and can lose the last commits, never
/// corrupt the database).
pub async fn connect_with(url: &str, synchronous: SqliteSynchronous) -> anyhow::Result<Pool> {
    sqlx::any::install_default_drivers();
    match Dialect::of_url(url).map_err(anyhow::Error::msg)? {
        Dialect::Sqlite => {
            let file = SqliteConnectOptions::from_str(url)?;
            if let Some(parent) = file.get_filename().parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
            let opts = sqlite_file(url).await?;
            let sync = match synchronous {
                SqliteSynchronous::Normal => "normal",
                _ => "full",
            };
            let pragmas = format!(
                "pragma journal_mode = wal; pragma synchronous = {sync};
                 pragma busy_timeout = 30000; pragma foreign_keys = on;"
            );
            let pool = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    let pragmas = pragmas.clone();
                    Box::pin(async move {
                        conn.execute(pragmas.as_str()).await?;
                        Ok(())
                    })
                })
                .connect_with(opts)
                .await?;
            SQLITE.run(&pool).await?;
            Ok(pool)
        }
        Dialect::Postgres => {
            let opts = AnyConnectOptions::from_str(url)?;
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            POSTGRES.run(&pool).await?;
            Ok(pool)
        }
    }
}

/// How the pool connects to the SQLite file of `url`. Any connects from the
/// URL: one connection with `mode=rwc` creates the file, then the pool's
/// connections open it `mode=rw`, so that a file removed under the service
/// is not silently re-created empty by the next new connection (uploads
/// answer 503 and /health says it was removed: [`DbFile`]). A URL that
/// names its own `mode` is used as it is.
async fn sqlite_file(url: &str) -> anyhow::Result<AnyConnectOptions> {
    use sqlx::{ConnectOptions, Connection};
    let mut opts = AnyConnectOptions::from_str(url)?;
    if !opts.database_url.query_pairs().any(|(k, _)| k == "mode") {
        let mut create = opts.clone();
        create
            .database_url
            .query_pairs_mut()
            .append_pair("mode", "rwc");
        create.connect().await?.close().await?;
        opts.database_url
            .query_pairs_mut()
            .append_pair("mode", "rw");
    }
    Ok(opts)
}

/// The SQLite file a pool was opened on, to notice it removed or replaced
/// under the running service (SQLite keeps writing to the old inode, so
/// every later commit would be lost).
#[derive(Debug, Clone)]
pub struct DbFile {
    path: std::path::PathBuf,
    id: (u64, u64),
}

impl DbFile {
    /// The file of a `sqlite:` URL, as it is now; `None` for PostgreSQL or
    /// a file that cannot be read.
    pub fn of_url(url: &str) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        if Dialect::of_url(url).ok()? != Dialect::Sqlite {
            return None;
        }
        let path = SqliteConnectOptions::from_str(url)
            .ok()?
            .get_filename()
            .to_path_buf();
        let m = std::fs::metadata(&path).ok()?;
        Some(Self {
            path,
            id: (m.dev(), m.ino()),
        })
    }

    /// Why the database can no longer be written safely, if it cannot.
    pub fn problem(&self) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(&self.path) {
            Err(_) => Some(format!(
                "the database file {} was removed while the service runs: restart the service",
                self.path.display()
            )),
            Ok(m) if (m.dev(), m.ino()) != self.id => Some(format!(
                "the database file {} was replaced while the service runs: restart the service",
                self.path.display()
            )),
            Ok(_) => None,
        }
    }
}

/// Whether a database error says the disk (or the database) is full.
pub fn is_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("13") || d.message().contains("database or disk is full")
        }
        sqlx::Error::Io(io) => io_is_full(io),
        _ => false,
    }
}

/// Whether an I/O error says the disk (or the quota) is full.
pub fn io_is_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Opens the database with `synchronous=FULL` on SQLite.
pub async fn connect(url: &str) -> anyhow::Result<Pool> {
    connect_with(url, SqliteSynchronous::Full).await
}
