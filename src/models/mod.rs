//! Whisper models on disk: naming rules, file locations, and the importer.
//!
//! A model named `NAME` lives at `<WHISPER_MODELS_DIR>/ggml-NAME.bin`. Names
//! never come from a path: they are validated before touching the disk.

pub mod catalog;
pub mod download;
pub mod import;
mod manager;

pub use manager::{ModelError, ModelManager, ModelView};

use std::path::{Path, PathBuf};

/// Model names: 1–64 of `[A-Za-z0-9._-]`, not starting with '.'.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `ggml-<name>.bin`.
pub fn file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// Full path of a model in `dir`.
pub fn model_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(file_name(name))
}

/// Models present in `dir`, by name, sorted.
pub fn list_installed(dir: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let fname = entry.file_name();
        let Some(fname) = fname.to_str() else {
            continue;
        };
        if let Some(name) = fname
            .strip_prefix("ggml-")
            .and_then(|s| s.strip_suffix(".bin"))
        {
            if is_valid_name(name) {
                out.push((name.to_string(), entry.metadata()?.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How to obtain a missing model, for error messages.
pub fn how_to_get(name: &str, dir: &Path) -> String {
    format!(
        "model {name:?} is not installed: expected {}. Download it with `susurro models pull {name}` \
         (catalog models; jobs do this themselves when WHISPER_AUTO_DOWNLOAD is on), import a faster-whisper \
         (CTranslate2) model with `susurro models import <ct2-model-dir> --name {name}`, or copy a whisper.cpp \
         ggml-{name}.bin there",
        model_path(dir, name).display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_directory() {
        assert!(is_valid_name("base"));
        assert!(is_valid_name("large-v3-turbo_q5.0"));
        for bad in ["", "../etc/passwd", "a/b", ".hidden", "..", "x y", "a\\b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
