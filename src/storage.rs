//! Stored audio (`AUDIO_STORE_URL`): uploads under generated names
//! (`<uuid>.upload`) in a local folder (`file:///path`, the default
//! `<data dir>/audio`) or in an S3-compatible bucket (`s3://bucket/prefix`,
//! through `object_store`; endpoint and credentials from the standard
//! `AWS_*` variables; TLS roots from the system, or the bundled ones where
//! it has none, as in [`crate::http_client`]). The database keeps the name,
//! never a path. Rows from before names were stored hold absolute paths,
//! which the local store keeps as they are.
//!
//! Uploads are first streamed to a local staging file (size-limited and
//! probed there), then [`AudioStore::put_file`] moves it in: a rename
//! locally, a streamed multipart upload to a bucket (never whole in memory).
//! Workers read through [`AudioStore::fetch`]: the file itself locally, a
//! streamed download to a temporary file from a bucket.

use futures_util::StreamExt;
use object_store::aws::AmazonS3ConfigKey;
use object_store::path::Path as ObjectPath;
use object_store::{Certificate, ClientOptions};
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::io::AsyncWriteExt;

/// An error of the audio store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("AUDIO_STORE_URL: {0}")]
    Config(String),
    #[error("audio store: {0}")]
    Object(#[from] object_store::Error),
    #[error("audio store: {0}")]
    Io(#[from] std::io::Error),
}

/// Where audio lives. Cheap to clone.
#[derive(Clone)]
pub struct AudioStore {
    backend: Backend,
    /// Local folder for uploads being received and audio being read.
    staging: PathBuf,
}

#[derive(Clone)]
enum Backend {
    Local(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: ObjectPath,
        url: String,
    },
}

/// A stored recording as a local file, for as long as this value lives.
pub struct LocalAudio {
    pub path: PathBuf,
    _temp: Option<tempfile::TempPath>,
}

/// One stored recording, as listed.
#[derive(Debug, Clone)]
pub struct StoredAudio {
    pub name: String,
    pub modified: Option<SystemTime>,
    pub bytes: u64,
}

impl AudioStore {
    /// A local folder (created if missing).
    pub fn local(dir: PathBuf) -> Self {
        Self {
            staging: dir.clone(),
            backend: Backend::Local(dir),
        }
    }

    /// The store an `AUDIO_STORE_URL` names; `staging` is a local folder
    /// for uploads on their way to a bucket.
    pub fn open(url: &str, staging: PathBuf) -> Result<Self, StorageError> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(StorageError::Config("file:// needs a path".into()));
            }
            return Ok(Self::local(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(StorageError::Config(format!(
                "expected file:///path or s3://bucket/prefix, got {url:?}"
            )));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::Config("s3:// needs a bucket".into()));
        }
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if !crate::http_client::system_roots_usable() {
            builder = builder.with_client_options(client_options_with_bundled_roots());
        }
        let store = builder.build()?;
        Ok(Self {
            staging,
            backend: Backend::Object {
                store: Arc::new(store),
                prefix: ObjectPath::from(prefix.trim_matches('/')),
                url: url.to_string(),
            },
        })
    }

    /// Creates its local folder (the audio folder itself, or the staging
    /// folder of a bucket).
    pub fn create_dirs(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.staging)
    }

    /// Where uploads are streamed before [`put_file`](Self::put_file).
    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// The local folder audio lives in, when the store is one.
    pub fn local_dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Local(dir) => Some(dir),
            Backend::Object { .. } => None,
        }
    }

    /// For logs: the folder or the bucket URL.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local(dir) => dir.display().to_string(),
            Backend::Object { url, .. } => url.clone(),
        }
    }

    fn object(prefix: &ObjectPath, name: &str) -> ObjectPath {
        prefix.clone().join(name)
    }

    /// Stores the staged file `file` under `name` (its file name). Locally
    /// it already is in place; to a bucket it is streamed in parts, then the
    /// staged file is deleted.
    pub async fn put_file(&self, name: &str, file: &Path) -> Result<(), StorageError> {
        let Backend::Object { store, prefix, .. } = &self.backend else {
            return Ok(());
        };
        let mut src = tokio::fs::File::open(file).await?;
        let mut dst = object_store::buffered::BufWriter::with_capacity(
            store.clone(),
            Self::object(prefix, name),
            8 * 1024 * 1024,
        );
        if let Err(e) = tokio::io::copy(&mut src, &mut dst).await {
            let _ = dst.abort().await;
            return Err(e.into());
        }
        dst.shutdown().await?;
        let _ = tokio::fs::remove_file(file).await;
        Ok(())
    }

    /// The recording `name` as a local file.
    pub async fn fetch(&self, name: &str) -> Result<LocalAudio, StorageError> {
        let (store, prefix) = match &self.backend {
            Backend::Local(dir) => {
                return Ok(LocalAudio {
                    path: dir.join(name),
                    _temp: None,
                })
            }
            Backend::Object { store, prefix, .. } => (store, prefix),
        };
        tokio::fs::create_dir_all(&self.staging).await?;
        let temp = tempfile::Builder::new()
            .prefix("fetch-")
            .suffix(".audio")
            .tempfile_in(&self.staging)?
            .into_temp_path();
        let mut out = tokio::fs::File::create(&temp).await?;
        let mut body = store.get(&Self::object(prefix, name)).await?.into_stream();
        while let Some(chunk) = body.next().await {
            out.write_all(&chunk?).await?;
        }
        out.flush().await?;
        Ok(LocalAudio {
            path: temp.to_path_buf(),
            _temp: Some(temp),
        })
    }

    /// Deletes a stored recording (a missing one is fine); returns bytes freed.
    pub async fn remove(&self, name: &str) -> u64 {
        match &self.backend {
            Backend::Local(dir) => remove_file(&dir.join(name)).await,
            Backend::Object { store, prefix, .. } => {
                let path = Self::object(prefix, name);
                let size = store.head(&path).await.map(|m| m.size).unwrap_or(0);
                match store.delete(&path).await {
                    Ok(()) => size,
                    Err(e) => {
                        tracing::warn!(error = %e, name, "could not delete stored audio");
                        0
                    }
                }
            }
        }
    }

    /// Every stored recording.
    pub async fn list(&self) -> Result<Vec<StoredAudio>, StorageError> {
        let mut out = Vec::new();
        match &self.backend {
            Backend::Local(dir) => {
                let Ok(mut rd) = tokio::fs::read_dir(dir).await else {
                    return Ok(out);
                };
                while let Some(entry) = rd.next_entry().await? {
                    let meta = entry.metadata().await.ok();
                    out.push(StoredAudio {
                        name: entry.file_name().to_string_lossy().into_owned(),
                        modified: meta.as_ref().and_then(|m| m.modified().ok()),
                        bytes: meta.map_or(0, |m| m.len()),
                    });
                }
            }
            Backend::Object { store, prefix, .. } => {
                let mut objects = store.list(Some(prefix));
                while let Some(meta) = objects.next().await {
                    let meta = meta?;
                    let Some(name) = meta.location.filename() else {
                        continue;
                    };
                    out.push(StoredAudio {
                        name: name.to_string(),
                        modified: Some(SystemTime::from(meta.last_modified)),
                        bytes: meta.size,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Deletes `path`; returns its size if it was deleted.
pub async fn remove_file(path: &Path) -> u64 {
    let size = tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    match tokio::fs::remove_file(path).await {
        Ok(()) => size,
        Err(_) => 0,
    }
}

/// The `AWS_*` client settings `AmazonS3Builder::from_env` reads (which
/// `with_client_options` would drop), plus the bundled root certificates,
/// for a machine whose own certificate store cannot be loaded.
fn client_options_with_bundled_roots() -> ClientOptions {
    let mut options = ClientOptions::new();
    for (key, value) in std::env::vars_os() {
        let (Some(key), Some(value)) = (key.to_str(), value.to_str()) else {
            continue;
        };
        if !key.starts_with("AWS_") {
            continue;
        }
        if let Ok(AmazonS3ConfigKey::Client(key)) = key.to_ascii_lowercase().parse() {
            options = options.with_config(key, value);
        }
    }
    crate::http_client::bundled_der()
        .filter_map(|der| Certificate::from_der(der).ok())
        .fold(options, ClientOptions::with_root_certificate)
}
