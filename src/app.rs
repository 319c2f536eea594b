//! Wiring: builds the pool, queue, engine, worker runner and HTTP server from
//! [`Settings`], and runs them until a shutdown signal.

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::ingest::Intake;
use crate::jobs::extract::WebhookWorker;
use crate::jobs::stt::{SttSettings, SttWorker};
use crate::jobs::ModelManager;
use crate::models::name::ModelName;
use crate::node::Node;
use crate::queue::{Handlers, Queue, Runner};
use crate::storage::AudioStore;
use crate::stt::Engine;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built, bound, not yet serving application.
pub struct App {
    listener: TcpListener,
    state: AppState,
    stop: tokio_util::sync::CancellationToken,
    cleanup: tokio::task::JoinHandle<()>,
    node: tokio::task::JoinHandle<()>,
    listen: Option<tokio::task::JoinHandle<()>>,
}

impl App {
    /// Opens the database (migrating it), starts the workers and binds the
    /// listener. The model is loaded in the background so the first job
    /// does not wait for it.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, crate::clock::Clock::system()).await
    }

    /// [`build`](Self::build) on `clock`: the queue, runner, node and
    /// retention read the time from it (tests move a manual one).
    pub async fn build_with_clock(
        settings: Settings,
        clock: crate::clock::Clock,
    ) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        crate::metrics::install();
        let (audio, pool, db_file) = storage(&settings).await?;
        // A swap made on any node outlives restarts: it is the cluster's.
        let active = Node::cluster_model(&pool)
            .await?
            .unwrap_or_else(|| settings.models.active.clone());
        let (engine, models) = models(&settings.models, &active)?;
        let handlers = handlers(&settings, &pool, &engine, &models, &audio);
        let queue = Queue::new(pool.clone(), settings.worker.lease)
            .with_backoff(settings.worker.backoff)
            .with_hooks(handlers.clone())
            .with_clock(clock);
        let node_id = Node::new_id();
        let runner = runner(&settings.worker, &queue, handlers, &node_id);
        preload(&engine, &active);
        let stop = tokio_util::sync::CancellationToken::new();
        let (retention, cleanup) =
            retention(&settings.retention, &pool, &queue, &audio, &stop).await?;
        if settings.access.admin_token.is_none() {
            tracing::warn!("ADMIN_TOKEN is not set: /api/admin/* answers loopback clients only");
        }
        let listener = TcpListener::bind(settings.addr).await?;
        let port = listener.local_addr()?.port();
        let node = node(&settings.cluster, node_id, port, &pool, &runner, &models);
        let listen = queue.listen(stop.clone());
        tracing::info!(addr = %listener.local_addr()?, data_dir = %settings.data_dir.display(),
            model = %active, node = %node.id, audio = %audio.describe(),
            cpu = %crate::stt::cpu::describe(), "susurro listening");
        let shutdown = tokio_util::sync::CancellationToken::new();
        let intake = intake(&settings, &queue, &models, &audio, &db_file, &shutdown);
        Ok(Self {
            listener,
            cleanup,
            node: node.clone().start(stop.clone()).await?,
            listen,
            stop,
            state: AppState {
                node,
                pool,
                queue,
                engine,
                models,
                retention,
                settings: Arc::new(crate::api::ApiSettings::of(&settings)),
                runner,
                shutdown,
                intake,
                db_file,
                live: crate::api::realtime::Live::of(&settings),
            },
        })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Shared state (tests inspect the engine and queue through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves. Then, within
    /// `SHUTDOWN_GRACE_SECONDS`: stops taking requests (open `/v1` waits
    /// and uploads answer 503 at once), lets running jobs finish, releases
    /// the leases of those that do not, and closes what connections remain.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = api::router(self.state.clone());
        let token = self.state.shutdown.clone();
        let mut serve = tokio::spawn(api::serve::serve(
            self.listener,
            router,
            self.state.settings.http.clone(),
            token.clone(),
        ));
        let served_until = tokio::select! {
            _ = shutdown => None,
            r = &mut serve => Some(r),
        };
        token.cancel();
        let grace = self.state.settings.shutdown_grace;
        let http = async {
            if let Some(r) = served_until {
                return r.map_err(anyhow::Error::from)?.map_err(anyhow::Error::from);
            }
            match tokio::time::timeout(grace, &mut serve).await {
                Ok(r) => r.map_err(anyhow::Error::from)?.map_err(anyhow::Error::from),
                Err(_) => {
                    tracing::warn!("connections still open after the grace period: closing them");
                    serve.abort();
                    Ok(())
                }
            }
        };
        let jobs = async {
            tracing::info!("shutting down: finishing jobs");
            self.stop.cancel();
            let _ = self.cleanup.await;
            self.state.runner.shutdown(grace).await;
            let _ = self.node.await;
            if let Some(listen) = self.listen {
                let _ = listen.await;
            }
        };
        let (served, ()) = tokio::join!(http, jobs);
        self.state.pool.close().await;
        served
    }
}

/// The data folder, the audio store, the database pool (migrated) and the
/// SQLite file to watch.
async fn storage(
    settings: &Settings,
) -> anyhow::Result<(AudioStore, crate::store::Pool, Option<crate::db::DbFile>)> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let audio = audio_store(settings)?;
    let pool = crate::store::connect_with(
        &settings.storage.database_url,
        settings.storage.sqlite_synchronous,
    )
    .await?;
    let db_file = crate::db::DbFile::of_url(&settings.storage.database_url);
    Ok((audio, pool, db_file))
}

/// This node, advertised at `NODE_ADDRESS` or `<host name>:<port>`.
fn node(
    settings: &crate::config::ClusterSettings,
    id: String,
    port: u16,
    pool: &crate::store::Pool,
    runner: &crate::queue::RunnerHandle,
    models: &Arc<ModelManager>,
) -> Arc<Node> {
    let address = settings
        .node_address
        .clone()
        .unwrap_or_else(|| format!("{}:{port}", crate::queue::hostname()));
    Arc::new(Node::new(
        id,
        address,
        settings.sync_interval,
        pool.clone(),
        runner.clone(),
        models.clone(),
    ))
}

/// What uploads go through: the queue, installed models, the audio store
/// and the upload limits.
fn intake(
    settings: &Settings,
    queue: &Queue,
    models: &Arc<ModelManager>,
    audio: &AudioStore,
    db_file: &Option<crate::db::DbFile>,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Intake {
    Intake {
        queue: queue.clone(),
        models: models.clone(),
        audio: audio.clone(),
        max_upload_bytes: settings.http.max_upload_bytes,
        max_audio_seconds: settings.transcribe.max_audio_seconds,
        media: settings.transcribe.media.clone(),
        db_file: db_file.clone(),
        shutdown: shutdown.clone(),
    }
}

/// The worker runner over `queue`, started.
fn runner(
    settings: &crate::config::WorkerSettings,
    queue: &Queue,
    handlers: Arc<Handlers>,
    node_id: &str,
) -> crate::queue::RunnerHandle {
    Runner::new(queue.clone(), handlers)
        .poll_interval(settings.poll_interval)
        .max_concurrent(settings.max_concurrent)
        .deadline(settings.deadline)
        .owner(node_id.to_string())
        .spawn()
}

/// Expiry of transcripts, audio and finished jobs, on the queue's clock:
/// partial uploads left by a crash removed, then its periodic task started.
async fn retention(
    settings: &crate::config::RetentionSettings,
    pool: &crate::store::Pool,
    queue: &Queue,
    audio: &AudioStore,
    stop: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<(crate::retention::Retention, tokio::task::JoinHandle<()>)> {
    let retention = crate::retention::Retention {
        pool: pool.clone(),
        queue: queue.clone(),
        audio: audio.clone(),
        audio_retention: settings.audio,
        job_retention: (settings.jobs, settings.discarded_jobs),
        clock: queue.clock().clone(),
    };
    retention.remove_partial_uploads().await?;
    let task = tokio::spawn(retention.clone().run(settings.interval, stop.clone()));
    Ok((retention, task))
}

/// The audio store, with its local folder created.
fn audio_store(settings: &Settings) -> anyhow::Result<AudioStore> {
    let audio = settings.audio_store()?;
    audio.create_dirs()?;
    Ok(audio)
}

/// The model cache and the model manager.
fn models(
    settings: &crate::config::ModelSettings,
    active: &ModelName,
) -> anyhow::Result<(Arc<Engine>, Arc<ModelManager>)> {
    let engine = Arc::new(
        Engine::with_active(settings.dir.clone(), active, settings.max_loaded)
            .with_flash_attn(settings.flash_attn),
    );
    let catalog =
        crate::models::catalog::Catalog::load(&settings.base_url, settings.catalog.as_deref())
            .map_err(|e| anyhow::anyhow!("WHISPER_MODELS_CATALOG: {e}"))?;
    let models = Arc::new(ModelManager::new(
        catalog,
        engine.clone(),
        settings.dir.clone(),
        settings.auto_download,
    ));
    Ok((engine, models))
}

/// The job handlers: `stt` always, `extract` when a webhook is configured.
fn handlers(
    settings: &Arc<Settings>,
    pool: &crate::store::Pool,
    engine: &Arc<Engine>,
    models: &Arc<ModelManager>,
    audio: &AudioStore,
) -> Arc<Handlers> {
    let stt = SttWorker {
        pool: pool.clone(),
        engine: engine.clone(),
        models: models.clone(),
        settings: Arc::new(SttSettings::of(settings)),
        audio: audio.clone(),
    };
    let mut handlers: Vec<Arc<dyn crate::queue::Handler>> = vec![Arc::new(stt)];
    if let Some(url) = &settings.extract.webhook_url {
        handlers.push(Arc::new(WebhookWorker::new(
            pool.clone(),
            url.clone(),
            settings.extract.webhook_secret.clone(),
        )));
    }
    Arc::new(Handlers(handlers))
}

/// Loads the active model in the background.
fn preload(engine: &Arc<Engine>, model: &ModelName) {
    let (engine, model) = (engine.clone(), model.clone());
    tokio::task::spawn_blocking(move || {
        if let Err(e) = engine.model(&model) {
            tracing::warn!("{e}");
        }
    });
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
