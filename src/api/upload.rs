//! Streaming an upload to disk: never held in memory, limited in size, stored
//! under a generated name, removed again if anything goes wrong.

use super::ApiError;
use axum::extract::multipart::Field;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A file that is deleted when dropped, unless kept.
pub struct PendingFile {
    pub path: PathBuf,
    pub bytes: u64,
    keep: bool,
}

impl PendingFile {
    /// Keeps the file and returns its path.
    pub fn keep(mut self) -> PathBuf {
        self.keep = true;
        std::mem::take(&mut self.path)
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.keep && !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams one multipart field into `dir/<uuid>.upload`, refusing more than `max` bytes.
pub async fn stream_to_disk(
    mut field: Field<'_>,
    dir: &Path,
    max: u64,
) -> Result<PendingFile, ApiError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(ApiError::internal)?;
    let path = dir.join(format!("{}.upload", uuid::Uuid::new_v4().simple()));
    let mut pending = PendingFile {
        path: path.clone(),
        bytes: 0,
        keep: false,
    };
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(ApiError::internal)?;
    while let Some(chunk) = field.chunk().await.map_err(ApiError::multipart)? {
        pending.bytes += chunk.len() as u64;
        if pending.bytes > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "upload exceeds the limit of {} MB (MAX_UPLOAD_MB)",
                max / (1024 * 1024)
            )));
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    file.sync_data().await.map_err(ApiError::internal)?;
    // The directory entry too: an acknowledged upload survives power loss.
    let dir = tokio::fs::File::open(dir)
        .await
        .map_err(ApiError::internal)?;
    dir.sync_all().await.map_err(ApiError::internal)?;
    Ok(pending)
}
