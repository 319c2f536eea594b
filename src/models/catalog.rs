//! The model catalog: whisper.cpp's published ggml models with their SHA-1,
//! plus entries from `WHISPER_MODELS_CATALOG` (a JSON file: mirrors,
//! fine-tunes, tests), plus models found on disk (imported ones).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Where whisper.cpp's models are published.
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// SHA-1 of each model as published in whisper.cpp's models/README.md.
const BUILTIN: &[(&str, &str, u64)] = &[
    ("tiny", "bd577a113a864445d4c299885e0cb97d4ba92b5f", 75),
    ("tiny.en", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df", 75),
    ("base", "465707469ff3a37a2b9b8d8f89f2f99de7299dac", 142),
    ("base.en", "137c40403d78fd54d454da0f9bd998f78703390c", 142),
    ("small", "55356645c2b361a969dfd0ef2c5a50d530afd8d5", 466),
    ("small.en", "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022", 466),
    ("medium", "fd9727b6e1217c2f614f9b698455c4ffd82463b4", 1500),
    (
        "medium.en",
        "8c30f0e44ce9560643ebd10bbe50cd20eafd3723",
        1500,
    ),
    ("large-v3", "ad82bf6a9043ceed055076d0fd39f5f186ff8062", 2900),
    (
        "large-v3-q5_0",
        "e6e2ed78495d403bef4b7cff42ef4aaadcfea8de",
        1100,
    ),
    (
        "large-v3-turbo",
        "4af2b29d7ec73d781377bfd1758ca957a807e941",
        1500,
    ),
    (
        "large-v3-turbo-q5_0",
        "e050f7970618a659205450ad97eb95a18d69c9ee",
        547,
    ),
];

/// One downloadable model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: String,
    /// Full download URL.
    pub url: String,
    /// Expected SHA-1 (hex), verified before the file is used.
    pub sha1: String,
    /// Exact size in bytes, verified when given (catalog files); built-in
    /// entries carry only the published approximate size, in `approx_mb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approx_mb: Option<u64>,
}

/// An override file entry: `url` may be left out (then base URL + file name).
#[derive(Debug, Deserialize)]
struct OverrideEntry {
    name: String,
    url: Option<String>,
    sha1: String,
    size: Option<u64>,
}

/// The catalog, by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: BTreeMap<String, CatalogEntry>,
}

impl Catalog {
    /// Built-in entries under `base_url`, then `override_file`'s entries.
    pub fn load(base_url: &str, override_file: Option<&Path>) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/');
        let mut entries = BTreeMap::new();
        for (name, sha1, mb) in BUILTIN {
            entries.insert(
                name.to_string(),
                CatalogEntry {
                    name: name.to_string(),
                    url: format!("{base}/{}", super::file_name(name)),
                    sha1: sha1.to_string(),
                    size: None,
                    approx_mb: Some(*mb),
                },
            );
        }
        if let Some(path) = override_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let list: Vec<OverrideEntry> = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not a JSON list of {{name, url, sha1, size}}: {e}",
                    path.display()
                )
            })?;
            for e in list {
                if !super::is_valid_name(&e.name) {
                    return Err(format!(
                        "{}: invalid model name {:?}",
                        path.display(),
                        e.name
                    ));
                }
                if e.sha1.len() != 40 || !e.sha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{}: {} has an invalid sha1",
                        path.display(),
                        e.name
                    ));
                }
                entries.insert(
                    e.name.clone(),
                    CatalogEntry {
                        url: e
                            .url
                            .unwrap_or_else(|| format!("{base}/{}", super::file_name(&e.name))),
                        name: e.name,
                        sha1: e.sha1.to_ascii_lowercase(),
                        size: e.size,
                        approx_mb: None,
                    },
                );
            }
        }
        Ok(Self { entries })
    }

    pub fn get(&self, name: &str) -> Option<&CatalogEntry> {
        self.entries.get(name)
    }

    pub fn entries(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_entries_and_overrides() {
        let c = Catalog::load(DEFAULT_BASE_URL, None).unwrap();
        let base = c.get("base").unwrap();
        assert_eq!(base.url, format!("{DEFAULT_BASE_URL}/ggml-base.bin"));
        assert_eq!(base.sha1, "465707469ff3a37a2b9b8d8f89f2f99de7299dac");
        assert_eq!(c.entries().count(), 12);

        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("catalog.json");
        std::fs::write(
            &f,
            r#"[{"name":"base","url":"http://127.0.0.1:9/x.bin","sha1":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","size":10},
                {"name":"mine","sha1":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]"#,
        )
        .unwrap();
        let c = Catalog::load("http://mirror.local/m/", Some(&f)).unwrap();
        assert_eq!(c.get("base").unwrap().url, "http://127.0.0.1:9/x.bin");
        assert_eq!(c.get("base").unwrap().sha1, "a".repeat(40));
        assert_eq!(c.get("base").unwrap().size, Some(10));
        assert_eq!(
            c.get("mine").unwrap().url,
            "http://mirror.local/m/ggml-mine.bin"
        );
        assert_eq!(
            c.get("tiny").unwrap().url,
            "http://mirror.local/m/ggml-tiny.bin"
        );

        std::fs::write(
            &f,
            r#"[{"name":"../x","sha1":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]"#,
        )
        .unwrap();
        assert!(Catalog::load(DEFAULT_BASE_URL, Some(&f)).is_err());
        std::fs::write(&f, "not json").unwrap();
        assert!(Catalog::load(DEFAULT_BASE_URL, Some(&f)).is_err());
    }
}
