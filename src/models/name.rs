//! Model names and where their files live. A model named `NAME` is the file
//! `<WHISPER_MODELS_DIR>/ggml-NAME.bin`; a [`ModelName`] is checked when it
//! is made, so no path ever comes from a request or a setting.

use std::fmt;
use std::path::{Path, PathBuf};

/// A valid model name: 1–64 of `[A-Za-z0-9._-]`, not starting with '.'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ModelName(String);

/// A string that is not a model name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model name {0:?}: use 1 to 64 letters, digits, '.', '-' and '_'")]
pub struct InvalidModelName(pub String);

impl ModelName {
    /// Checks `name`.
    pub fn parse(name: &str) -> Result<Self, InvalidModelName> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(Self(name.to_string()))
        } else {
            Err(InvalidModelName(name.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ggml-<name>.bin`.
    pub fn file_name(&self) -> String {
        format!("ggml-{}.bin", self.0)
    }

    /// The model's file in `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(self.file_name())
    }

    /// Whether the model's file is in `dir`.
    pub fn is_installed_in(&self, dir: &Path) -> bool {
        self.path_in(dir).is_file()
    }

    /// How to obtain the model when its file is missing, for error messages.
    pub fn how_to_get(&self, dir: &Path) -> String {
        let name = &self.0;
        format!(
            "model {name:?} is not installed: expected {}. Download it with `susurro models pull {name}` \
             (catalog models; jobs do this themselves when WHISPER_AUTO_DOWNLOAD is on), import a faster-whisper \
             (CTranslate2) model with `susurro models import <ct2-model-dir> --name {name}`, or copy a whisper.cpp \
             ggml-{name}.bin there",
            self.path_in(dir).display()
        )
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ModelName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::ops::Deref for ModelName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ModelName {
    type Err = InvalidModelName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Models present in `dir`, with their sizes, sorted by name.
pub fn list_installed(dir: &Path) -> std::io::Result<Vec<(ModelName, u64)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let fname = entry.file_name();
        let Some(name) = fname
            .to_str()
            .and_then(|f| f.strip_prefix("ggml-"))
            .and_then(|s| s.strip_suffix(".bin"))
            .and_then(|n| ModelName::parse(n).ok())
        else {
            continue;
        };
        out.push((name, entry.metadata()?.len()));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_directory() {
        assert!(ModelName::parse("base").is_ok());
        assert!(ModelName::parse("large-v3-turbo_q5.0").is_ok());
        for bad in ["", "../etc/passwd", "a/b", ".hidden", "..", "x y", "a\\b"] {
            assert!(ModelName::parse(bad).is_err(), "{bad}");
        }
        let n = ModelName::parse("tiny.en").unwrap();
        assert_eq!(
            n.path_in(Path::new("/m")),
            PathBuf::from("/m/ggml-tiny.en.bin")
        );
    }
}
