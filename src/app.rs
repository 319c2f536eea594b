//! Wiring: builds the pool, queue, engine, worker runner and HTTP server from
//! [`Settings`], and runs them until a shutdown signal.

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::queue::{Queue, Runner};
use crate::stt::{worker::SttWorker, Engine};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built, bound, not yet serving application.
pub struct App {
    listener: TcpListener,
    state: AppState,
    stop: tokio_util::sync::CancellationToken,
    cleanup: tokio::task::JoinHandle<()>,
}

impl App {
    /// Opens the database (migrating it), starts the workers and binds the
    /// listener. The model is loaded in the background so the first job
    /// does not wait for it.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        std::fs::create_dir_all(&settings.data_dir)?;
        std::fs::create_dir_all(settings.audio_dir())?;
        let pool =
            crate::db::connect_with(&settings.database_url, settings.sqlite_synchronous).await?;
        let engine = Arc::new(
            Engine::with_active(
                settings.models_dir.clone(),
                &settings.model,
                settings.max_loaded_models,
            )
            .with_flash_attn(settings.flash_attn),
        );
        let catalog = crate::models::catalog::Catalog::load(
            &settings.models_base_url,
            settings.models_catalog.as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("WHISPER_MODELS_CATALOG: {e}"))?;
        let models = Arc::new(crate::models::ModelManager::new(
            catalog,
            engine.clone(),
            settings.models_dir.clone(),
            settings.auto_download,
        ));
        let worker = SttWorker {
            pool: pool.clone(),
            engine: engine.clone(),
            models: models.clone(),
            settings: settings.clone(),
        };
        let mut handlers: Vec<Arc<dyn crate::queue::Handler>> = vec![Arc::new(worker)];
        if let Some(url) = &settings.extract_webhook_url {
            handlers.push(Arc::new(crate::extract::WebhookWorker::new(
                pool.clone(),
                url.clone(),
                settings.extract_webhook_secret.clone(),
            )));
        }
        let handlers = Arc::new(crate::queue::Handlers(handlers));
        let queue = Queue::new(pool.clone(), settings.job_lease)
            .with_backoff(settings.backoff)
            .with_hooks(handlers.clone());
        let runner = Runner::new(queue.clone(), handlers)
            .poll_interval(settings.poll_interval)
            .max_concurrent(settings.max_concurrent)
            .spawn();
        let preload = (engine.clone(), settings.model.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = preload.0.model(&preload.1) {
                tracing::warn!("{e}");
            }
        });
        let retention = crate::retention::Retention {
            pool: pool.clone(),
            queue: queue.clone(),
            audio_dir: settings.audio_dir(),
            audio_retention: settings.audio_retention,
            job_retention: (settings.job_retention, settings.discarded_job_retention),
            clock: Arc::new(crate::db::now_ms),
        };
        let stop = tokio_util::sync::CancellationToken::new();
        let cleanup = tokio::spawn(
            retention
                .clone()
                .run(settings.cleanup_interval, stop.clone()),
        );
        if settings.admin_token.is_none() {
            tracing::warn!("ADMIN_TOKEN is not set: /api/admin/* answers loopback clients only");
        }
        let listener = TcpListener::bind(settings.addr).await?;
        tracing::info!(addr = %listener.local_addr()?, data_dir = %settings.data_dir.display(),
            model = %settings.model, "susurro listening");
        Ok(Self {
            listener,
            stop,
            cleanup,
            state: AppState {
                pool,
                queue,
                engine,
                models,
                retention,
                settings,
                runner,
                shutdown: tokio_util::sync::CancellationToken::new(),
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
        let mut serve = tokio::spawn(
            axum::serve(
                self.listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(token.clone().cancelled_owned())
            .into_future(),
        );
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
        };
        let (served, ()) = tokio::join!(http, jobs);
        self.state.pool.close().await;
        served
    }
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
