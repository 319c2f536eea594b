//! This process as a node of the cluster. Its id is also the lease owner of
//! the jobs it claims. Every `CLUSTER_SYNC_INTERVAL_MS` it writes its
//! heartbeat (with its model and slots, for `GET /api/admin/nodes`) and
//! follows what the database says for all nodes: the worker state admins
//! asked for (`workers/stop?scope=cluster`) and the active model (a swap on
//! any node reaches every node within one interval; jobs running on the old
//! model finish on it). A single SQLite node runs the same loop.

use crate::clock::Clock;
use crate::jobs::ModelManager;
use crate::models::name::ModelName;
use crate::queue::RunnerHandle;
use crate::store::cluster::{self, NodeInfo, NodeView, SettingKey, WorkersWanted};
use crate::store::Pool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rows of nodes silent this long are deleted by the others…
const FORGET_AFTER_MS: i64 = 3_600_000;
/// … every this many beats.
const FORGET_EVERY_BEATS: u64 = 30;

/// This node.
pub struct Node {
    pub id: String,
    pub address: String,
    started_at: i64,
    clock: Clock,
    interval: Duration,
    pool: Pool,
    runner: RunnerHandle,
    models: Arc<ModelManager>,
    /// A model being fetched or loaded to follow a swap.
    following: AtomicBool,
    /// The last model that could not be followed (not retried until the
    /// setting changes).
    failed: Mutex<Option<String>>,
    /// The worker state last asked for in the database: a change of it is
    /// followed (a runner stopped in-process stays stopped until asked).
    wanted: Mutex<Option<WorkersWanted>>,
    /// Held while the worker state is read and followed (a beat) or written
    /// and applied (an admin request), so that a beat that read the state
    /// just before a change cannot apply the old state after it.
    workers_order: tokio::sync::Mutex<()>,
}

/// Which nodes an admin action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The node asked.
    #[default]
    Node,
    /// Every live node.
    Cluster,
}

impl Node {
    /// A new id: host, process and a random part.
    pub fn new_id() -> String {
        format!(
            "{}:{}:{}",
            crate::queue::hostname(),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )
    }

    /// This node as `id` at `address`, beating every `interval`; its
    /// timestamps are read from `runner`'s queue's clock.
    pub fn new(
        id: String,
        address: String,
        interval: Duration,
        pool: Pool,
        runner: RunnerHandle,
        models: Arc<ModelManager>,
    ) -> Self {
        let clock = runner.queue().clock().clone();
        Self {
            id,
            address,
            started_at: clock.now_ms(),
            clock,
            interval,
            pool,
            runner,
            models,
            following: AtomicBool::new(false),
            failed: Mutex::new(None),
            wanted: Mutex::new(None),
            workers_order: tokio::sync::Mutex::new(()),
        }
    }

    /// The active model the cluster agreed on, if one was ever set.
    pub async fn cluster_model(pool: &Pool) -> Result<Option<ModelName>, sqlx::Error> {
        Ok(cluster::setting(pool, SettingKey::ActiveModel)
            .await?
            .and_then(|m| ModelName::parse(&m).ok()))
    }

    /// Records `name` as every node's active model (after it loaded here).
    pub async fn publish_model(&self, name: &ModelName) -> Result<(), sqlx::Error> {
        cluster::set_setting(
            &self.pool,
            SettingKey::ActiveModel,
            name.as_str(),
            self.clock.now_ms(),
        )
        .await
    }

    async fn register(&self) -> Result<(), sqlx::Error> {
        let model = self.models.engine.active();
        let workers = if self.runner.is_running() {
            WorkersWanted::Running
        } else {
            WorkersWanted::Stopped
        };
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = Some(workers);
        let info = NodeInfo {
            id: &self.id,
            address: &self.address,
            started_at: self.started_at,
            slots: self.runner.slots() as i64,
            workers,
            model: model.as_str(),
        };
        cluster::register(&self.pool, &info, self.clock.now_ms()).await
    }

    /// One beat: heartbeat, worker state, active model.
    async fn beat(self: &Arc<Self>) -> Result<(), sqlx::Error> {
        let now = self.clock.now_ms();
        let model = self.models.engine.active();
        {
            let _order = self.workers_order.lock().await;
            match cluster::heartbeat(&self.pool, &self.id, model.as_str(), now).await? {
                None => self.register().await?,
                Some(wanted) => self.apply(wanted),
            }
        }
        if let Some(name) = Self::cluster_model(&self.pool).await? {
            self.follow(name);
        }
        Ok(())
    }

    /// Follows `wanted` when it differs from what was last asked.
    fn apply(&self, wanted: WorkersWanted) {
        let last = self
            .wanted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(wanted);
        if last == Some(wanted) {
            return;
        }
        match wanted {
            WorkersWanted::Stopped if self.runner.is_running() => {
                tracing::info!("workers stopped (cluster)");
                self.runner.stop();
            }
            WorkersWanted::Running if !self.runner.is_running() => {
                tracing::info!("workers started (cluster)");
                self.runner.start();
            }
            _ => {}
        }
    }

    /// Loads `name` (downloading a catalog model first when missing) and
    /// makes it active here, in the background.
    fn follow(self: &Arc<Self>, name: ModelName) {
        if name == self.models.engine.active()
            || self
                .failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_deref()
                == Some(name.as_str())
            || self.following.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let node = self.clone();
        tokio::spawn(async move {
            tracing::info!(model = %name, "following the cluster's active model");
            let r = async {
                if !node.models.installed(&name) {
                    node.models.pull(&name).await?;
                }
                node.models.activate(&name).await
            }
            .await;
            if let Err(e) = r {
                tracing::warn!(model = %name, error = %e, "could not follow the cluster's active model");
                *node.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(name.to_string());
            }
            node.following.store(false, Ordering::Release);
        });
    }

    /// Registers (before the API serves, so that its worker state is the
    /// one admins change), then beats every interval until `stop`; the row
    /// is removed at the end.
    pub async fn start(
        self: Arc<Self>,
        stop: CancellationToken,
    ) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
        self.register().await?;
        Ok(tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for beat in 0u64.. {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {}
                }
                if let Err(e) = self.beat().await {
                    tracing::warn!(error = %e, "node heartbeat failed");
                }
                if beat % FORGET_EVERY_BEATS == 0 {
                    let stale = self.clock.now_ms() - FORGET_AFTER_MS;
                    if let Err(e) = cluster::forget_stale(&self.pool, stale).await {
                        tracing::warn!(error = %e, "could not remove dead nodes' rows");
                    }
                }
            }
            if let Err(e) = cluster::leave(&self.pool, &self.id).await {
                tracing::warn!(error = %e, "could not remove the node's row");
            }
        }))
    }

    /// Stops or starts workers here, or on every node: the wish is stored
    /// (each node follows it at its next beat) and applied here at once.
    pub async fn set_workers(
        &self,
        scope: Scope,
        wanted: WorkersWanted,
    ) -> Result<u64, sqlx::Error> {
        let id = (scope == Scope::Node).then_some(self.id.as_str());
        let _order = self.workers_order.lock().await;
        let n = cluster::set_workers(&self.pool, id, wanted).await?;
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = Some(wanted);
        match wanted {
            WorkersWanted::Running => self.runner.start(),
            WorkersWanted::Stopped => self.runner.stop(),
        }
        Ok(n)
    }

    /// Live nodes: those whose heartbeat is at most five intervals (and at
    /// least ten seconds) old.
    pub async fn live(&self) -> Result<Vec<NodeView>, crate::queue::QueueError> {
        let window = (self.interval * 5).max(Duration::from_secs(10));
        let mut nodes =
            cluster::live(&self.pool, self.clock.now_ms() - window.as_millis() as i64).await?;
        let running = self.runner.queue().running_per_owner().await?;
        for n in &mut nodes {
            n.running_jobs = running.get(&n.id).copied().unwrap_or(0);
        }
        Ok(nodes)
    }
}
