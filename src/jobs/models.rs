//! Models as the service manages them: what is known (catalog and disk),
//! downloads, deletion, and switching the active model.

use crate::models::catalog::Catalog;
use crate::models::download::{Downloader, ProgressView};
use crate::models::{list_installed, ModelName};
use crate::stt::Engine;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Errors of model management, each with an HTTP meaning.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    InvalidName(#[from] crate::models::name::InvalidModelName),
    /// The model is not on disk; the message says how to get it.
    #[error("{0}")]
    Missing(String),
    #[error("unknown model {0:?}: not in the catalog and not installed")]
    Unknown(String),
    #[error("model {0:?} is not installed")]
    NotInstalled(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Download(#[from] crate::models::download::DownloadError),
    #[error("{0}")]
    Load(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A model as listed by the admin API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelView {
    pub name: String,
    pub in_catalog: bool,
    /// Present on disk but not from the catalog (e.g. `susurro models import`).
    pub imported: bool,
    pub downloaded: bool,
    pub size_on_disk: Option<u64>,
    /// Downloaded and its checksum (SHA-1, or SHA-256 where that is what is
    /// published) matched the catalog.
    pub sha1_verified: bool,
    pub active: bool,
    pub loaded: bool,
    pub jobs_using: usize,
    pub approx_mb: Option<u64>,
    pub download: Option<ProgressView>,
}

/// Catalog + downloads + the engine's cache.
pub struct ModelManager {
    pub catalog: Catalog,
    pub downloads: Downloader,
    pub engine: Arc<Engine>,
    pub dir: PathBuf,
    pub auto_download: bool,
}

impl ModelManager {
    pub fn new(catalog: Catalog, engine: Arc<Engine>, dir: PathBuf, auto_download: bool) -> Self {
        Self {
            catalog,
            downloads: Downloader::new(dir.clone()),
            engine,
            dir,
            auto_download,
        }
    }

    /// Whether the file is on disk.
    pub fn installed(&self, name: &ModelName) -> bool {
        name.is_installed_in(&self.dir)
    }

    /// Whether `name` is an installed whisper model (not a VAD model):
    /// the only models an upload may name or activation may switch to.
    pub fn installed_whisper(&self, name: &ModelName) -> bool {
        self.installed(name)
            && crate::models::file::kind_of(&name.path_in(&self.dir))
                == Some(crate::models::file::ModelKind::Whisper)
    }

    /// Names of the installed whisper models, sorted.
    pub fn installed_names(&self) -> Vec<ModelName> {
        list_installed(&self.dir)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| self.installed_whisper(n))
            .collect()
    }

    /// Whether `name` is in the catalog or installed.
    pub fn known(&self, name: &ModelName) -> bool {
        self.catalog.get(name).is_some() || self.installed(name)
    }

    /// [`Self::list`] off the async runtime (it reads the models folder and
    /// checksum files).
    pub async fn list_off_runtime(self: &Arc<Self>) -> Result<Vec<ModelView>, ModelError> {
        let models = self.clone();
        tokio::task::spawn_blocking(move || models.list())
            .await
            .map_err(|e| ModelError::Io(std::io::Error::other(e)))
    }

    /// Every known model.
    pub fn list(&self) -> Vec<ModelView> {
        let installed = list_installed(&self.dir).unwrap_or_default();
        let mut names: Vec<ModelName> = self.catalog.entries().map(|e| e.name.clone()).collect();
        names.extend(installed.iter().map(|(n, _)| n.clone()));
        names.sort();
        names.dedup();
        let active = self.engine.active();
        names
            .into_iter()
            .map(|name| {
                let entry = self.catalog.get(&name);
                let size = installed.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
                let path = name.path_in(&self.dir);
                let verified = entry.is_some_and(|e| {
                    std::fs::read_to_string(path.with_extension(format!("bin.{}", e.digest.algo())))
                        .is_ok_and(|h| h.trim() == e.digest.hex())
                });
                ModelView {
                    in_catalog: entry.is_some(),
                    imported: entry.is_none() && size.is_some(),
                    downloaded: size.is_some(),
                    size_on_disk: size,
                    sha1_verified: size.is_some() && verified,
                    active: name == active,
                    loaded: self.engine.is_loaded(&name),
                    jobs_using: self.engine.in_use(&name),
                    approx_mb: entry.and_then(|e| e.approx_mb),
                    download: self.downloads.progress_of(name.as_str()),
                    name: name.to_string(),
                }
            })
            .collect()
    }

    /// Downloads a catalog model (or joins its download) and waits.
    pub async fn pull(&self, name: &ModelName) -> Result<PathBuf, ModelError> {
        let entry = self
            .catalog
            .get(name)
            .ok_or_else(|| ModelError::Unknown(name.to_string()))?;
        Ok(self.downloads.download(entry).await?)
    }

    /// Makes sure a job's model is on disk: downloads the active model when
    /// it is missing and `WHISPER_AUTO_DOWNLOAD` allows (no other model is
    /// ever downloaded because of a job). The error says how to get it.
    pub async fn ensure(&self, name: &ModelName) -> Result<(), ModelError> {
        if self.installed(name) {
            return Ok(());
        }
        let how = name.how_to_get(&self.dir);
        if self.auto_download && *name == self.engine.active() && self.catalog.get(name).is_some() {
            tracing::info!(model = %name, "model missing: downloading it (WHISPER_AUTO_DOWNLOAD)");
            return self.pull(name).await.map(|_| ()).map_err(|e| {
                ModelError::Missing(format!("could not download model {name:?} ({e}); {how}"))
            });
        }
        Err(ModelError::Missing(how))
    }

    /// Loads `name` and makes it active; the old model keeps serving if the
    /// load fails, and running jobs finish on the model they started with.
    pub async fn activate(&self, name: &ModelName) -> Result<(), ModelError> {
        if !self.known(name) {
            return Err(ModelError::Unknown(name.to_string()));
        }
        if !self.installed(name) {
            return Err(ModelError::NotInstalled(name.to_string()));
        }
        let (engine, n) = (self.engine.clone(), name.clone());
        tokio::task::spawn_blocking(move || engine.activate(&n))
            .await
            .map_err(|e| ModelError::Load(e.to_string()))?
            .map_err(|e| ModelError::Load(e.to_string()))
    }

    /// Deletes a model file. The active model is refused; one in use is
    /// refused unless `force`, which waits for its jobs to finish first.
    pub async fn delete(&self, name: &ModelName, force: bool) -> Result<(), ModelError> {
        if !self.installed(name) {
            return Err(if self.known(name) {
                ModelError::NotInstalled(name.to_string())
            } else {
                ModelError::Unknown(name.to_string())
            });
        }
        if self.engine.active() == *name {
            return Err(ModelError::Conflict(format!(
                "{name} is the active model: activate another one first"
            )));
        }
        while !self.engine.unload(name) {
            if !force {
                return Err(ModelError::Conflict(format!(
                    "{name} is in use by {} running job(s); retry later or use ?force=true",
                    self.engine.in_use(name)
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let path = name.path_in(&self.dir);
        tokio::fs::remove_file(&path).await?;
        for algo in ["sha1", "sha256"] {
            let _ = tokio::fs::remove_file(path.with_extension(format!("bin.{algo}"))).await;
        }
        tracing::info!(model = %name, "model deleted");
        Ok(())
    }
}
