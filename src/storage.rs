//! Stored audio: uploads live in the audio folder under generated names
//! (`<uuid>.upload`); the database keeps the name, never a path. Rows from
//! before names were stored hold absolute paths, which [`AudioStore::path`]
//! keeps as they are.

use std::path::{Path, PathBuf};

/// The audio folder.
#[derive(Debug, Clone)]
pub struct AudioStore {
    dir: PathBuf,
}

impl AudioStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a stored name.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Deletes a stored file (a missing one is fine); returns bytes freed.
    pub async fn remove(&self, name: &str) -> u64 {
        remove_file(&self.path(name)).await
    }

    /// Every file in the folder: (name, modified, path).
    pub async fn files(&self) -> Vec<(std::ffi::OsString, Option<std::time::SystemTime>, PathBuf)> {
        let mut out = Vec::new();
        let Ok(mut dir) = tokio::fs::read_dir(&self.dir).await else {
            return out;
        };
        while let Ok(Some(entry)) = dir.next_entry().await {
            let modified = entry.metadata().await.ok().and_then(|m| m.modified().ok());
            out.push((entry.file_name(), modified, entry.path()));
        }
        out
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
