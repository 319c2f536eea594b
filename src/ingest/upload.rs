//! Streaming an upload to disk: never held in memory, limited in size, stored
//! under a generated name, deleted again (`tempfile`'s guard) unless kept.

use super::fields::multipart_error;
use super::IngestError;
use axum::extract::multipart::Field;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// An upload on disk, deleted when dropped unless kept.
pub struct PendingFile {
    pub path: PathBuf,
    pub bytes: u64,
    guard: tempfile::TempPath,
}

impl PendingFile {
    /// Keeps the file and returns its path.
    pub fn keep(self) -> PathBuf {
        let _ = self.guard.keep();
        self.path
    }
}

/// Streams one multipart field into `dir/<uuid>.upload`, refusing more than
/// `max` bytes; fsyncs the file and the folder before returning.
pub async fn stream_to_disk(
    mut field: Field<'_>,
    dir: &Path,
    max: u64,
) -> Result<PendingFile, IngestError> {
    let internal = |e: std::io::Error| IngestError::storage(&e);
    tokio::fs::create_dir_all(dir).await.map_err(internal)?;
    let named = tempfile::Builder::new()
        .prefix(&uuid::Uuid::new_v4().simple().to_string())
        .suffix(".upload")
        .rand_bytes(0)
        .tempfile_in(dir)
        .map_err(internal)?;
    let (std_file, guard) = named.into_parts();
    let mut pending = PendingFile {
        path: guard.to_path_buf(),
        bytes: 0,
        guard,
    };
    let mut file = tokio::fs::File::from_std(std_file);
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        pending.bytes += chunk.len() as u64;
        if pending.bytes > max {
            return Err(IngestError::TooLarge(format!(
                "upload exceeds the limit of {} MB (MAX_UPLOAD_MB)",
                max / (1024 * 1024)
            )));
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    file.sync_data().await.map_err(internal)?;
    // The directory entry too: an acknowledged upload survives power loss.
    let dir = tokio::fs::File::open(dir).await.map_err(internal)?;
    dir.sync_all().await.map_err(internal)?;
    Ok(pending)
}
