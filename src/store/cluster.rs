//! The rows every node shares: `nodes` (one per running service, kept
//! fresh by its heartbeat, with the worker state it should follow) and
//! `cluster_settings` (the active model). Their SQL; the node's loop that
//! uses them is the node layer's (`node.rs`).

use super::Pool;
use crate::clock::rfc3339;
use serde::Serialize;
use sqlx::Row;

sql_enum!(
    /// What a node's workers should be doing.
    WorkersWanted {
        Running = "running",
        Stopped = "stopped",
    }
);

sql_enum!(
    /// A setting every node follows.
    SettingKey {
        ActiveModel = "active_model",
    }
);

/// A node as `GET /api/admin/nodes` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeView {
    pub id: String,
    /// Where its HTTP API answers.
    pub address: String,
    pub started: String,
    pub last_heartbeat: String,
    /// Jobs it runs at once at most.
    pub slots: i64,
    /// Jobs whose lease it holds now (the queue's count, filled in by the
    /// node layer above; the store reads no jobs).
    pub running_jobs: i64,
    pub workers: WorkersWanted,
    /// The model it transcribes new jobs with.
    pub model: String,
}

/// What a node tells the others about itself.
#[derive(Debug, Clone)]
pub struct NodeInfo<'a> {
    pub id: &'a str,
    pub address: &'a str,
    pub started_at: i64,
    pub slots: i64,
    pub workers: WorkersWanted,
    pub model: &'a str,
}

/// Adds (or refreshes) a node's row.
pub async fn register(pool: &Pool, n: &NodeInfo<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into nodes (id, address, started_at, heartbeat_at, slots, workers, model)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (id) do update set address = excluded.address, heartbeat_at = excluded.heartbeat_at,
                slots = excluded.slots, model = excluded.model",
    )
    .bind(n.id)
    .bind(n.address)
    .bind(n.started_at)
    .bind(now)
    .bind(n.slots)
    .bind(n.workers)
    .bind(n.model)
    .execute(pool)
    .await?;
    Ok(())
}

/// Refreshes a node's heartbeat and model; returns the worker state it
/// should follow, or `None` when its row is gone (register again).
pub async fn heartbeat(
    pool: &Pool,
    id: &str,
    model: &str,
    now: i64,
) -> Result<Option<WorkersWanted>, sqlx::Error> {
    sqlx::query_scalar(
        "update nodes set heartbeat_at = $1, model = $2 where id = $3 returning workers",
    )
    .bind(now)
    .bind(model)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Sets the wanted worker state of one node, or of every node when `id`
/// is `None`. Returns how many nodes it reached.
pub async fn set_workers(
    pool: &Pool,
    id: Option<&str>,
    wanted: WorkersWanted,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("update nodes set workers = $1 where $2 is null or id = $2")
        .bind(wanted)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

/// Removes a node's row (at its clean shutdown).
pub async fn leave(pool: &Pool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from nodes where id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes the rows of nodes whose heartbeat stopped before `before` (nodes
/// that died without leaving).
pub async fn forget_stale(pool: &Pool, before: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("delete from nodes where heartbeat_at < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

/// Nodes whose last heartbeat is at or after `since`, oldest first
/// (`running_jobs` left at 0).
pub async fn live(pool: &Pool, since: i64) -> Result<Vec<NodeView>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, address, started_at, heartbeat_at, slots, workers, model
           from nodes where heartbeat_at >= $1 order by started_at, id",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NodeView {
                id: r.try_get("id")?,
                address: r.try_get("address")?,
                started: rfc3339(r.try_get("started_at")?),
                last_heartbeat: rfc3339(r.try_get("heartbeat_at")?),
                slots: r.try_get("slots")?,
                running_jobs: 0,
                workers: r.try_get("workers")?,
                model: r.try_get("model")?,
            })
        })
        .collect()
}

/// A cluster setting and when it was set.
pub async fn setting(pool: &Pool, key: SettingKey) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select value from cluster_settings where key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

/// Sets a cluster setting.
pub async fn set_setting(
    pool: &Pool,
    key: SettingKey,
    value: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into cluster_settings (key, value, updated_at) values ($1, $2, $3)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
