//! The model catalog: whisper.cpp's published ggml models with their SHA-1,
//! plus entries from `WHISPER_MODELS_CATALOG` (a JSON file: mirrors,
//! fine-tunes, tests), plus models found on disk (imported ones).

use super::ModelName;
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

/// whisper.cpp's quantized models that susurro recommends, with the SHA-256
/// and exact size Hugging Face lists for the files of whisper.cpp's
/// repository (its README has SHA-1s for the f16 files only): base q8_0 is
/// the default model.
const BUILTIN_SHA256: &[(&str, &str, u64)] = &[(
    "base-q8_0",
    "c577b9a86e7e048a0b7eada054f4dd79a56bbfa911fbdacf900ac5b567cbb7d9",
    81_768_585,
)];

/// whisper.cpp's Silero VAD model in ggml form, as its VAD repository
/// publishes it (the SHA-256 is the published one; no SHA-1 is published).
pub const VAD_MODEL: &str = "silero-v6.2.0";
const VAD_URL: &str =
    "https://huggingface.co/ggml-org/whisper-vad/resolve/main/ggml-silero-v6.2.0.bin";
const VAD_SHA256: &str = "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987";
const VAD_SIZE: u64 = 885_098;

/// The checksum a download must match, hex.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    Sha1(String),
    Sha256(String),
}

impl Digest {
    /// `sha1` or `sha256`.
    pub fn algo(&self) -> &'static str {
        match self {
            Self::Sha1(_) => "sha1",
            Self::Sha256(_) => "sha256",
        }
    }

    /// The expected value, lowercase hex.
    pub fn hex(&self) -> &str {
        match self {
            Self::Sha1(h) | Self::Sha256(h) => h,
        }
    }

    /// The same digest of a file, hex (blocking).
    pub fn of_file(&self, path: &Path) -> std::io::Result<String> {
        match self {
            Self::Sha1(_) => hash_file::<sha1::Sha1>(path),
            Self::Sha256(_) => hash_file::<sha2::Sha256>(path),
        }
    }
}

fn hash_file<D: sha1::Digest>(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = D::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// One downloadable model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: ModelName,
    /// Full download URL.
    pub url: String,
    /// Expected checksum, verified before the file is used.
    #[serde(flatten)]
    pub digest: Digest,
    /// Exact size in bytes, verified when given (catalog files); built-in
    /// entries carry only the published approximate size, in `approx_mb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approx_mb: Option<u64>,
}

/// An override file entry: `url` may be left out (then base URL + file
/// name); `sha1` or `sha256`.
#[derive(Debug, Deserialize)]
struct OverrideEntry {
    name: String,
    url: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
    size: Option<u64>,
}

fn hex_of_len(s: &str, len: usize) -> Option<String> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// The catalog, by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: BTreeMap<String, CatalogEntry>,
}

/// The entries of a `WHISPER_MODELS_CATALOG` file: a JSON list of
/// `{name, url, sha1 | sha256, size}` (a missing url is `base`'s).
fn overrides(path: &Path, base: &str) -> Result<Vec<CatalogEntry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let list: Vec<OverrideEntry> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a JSON list of {{name, url, sha1, size}}: {e}",
            path.display()
        )
    })?;
    let mut entries = Vec::with_capacity(list.len());
    for e in list {
        let name = ModelName::parse(&e.name).map_err(|err| format!("{}: {err}", path.display()))?;
        let digest = match (&e.sha1, &e.sha256) {
            (Some(h), None) => hex_of_len(h, 40).map(Digest::Sha1),
            (None, Some(h)) => hex_of_len(h, 64).map(Digest::Sha256),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "{}: {} needs one valid sha1 (40 hex digits) or sha256 (64)",
                path.display(),
                e.name
            )
        })?;
        entries.push(CatalogEntry {
            url: e
                .url
                .unwrap_or_else(|| format!("{base}/{}", name.file_name())),
            name,
            digest,
            size: e.size,
            approx_mb: None,
        });
    }
    Ok(entries)
}

impl Catalog {
    /// Built-in entries under `base_url`, then `override_file`'s entries.
    pub fn load(base_url: &str, override_file: Option<&Path>) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/');
        let mut entries = BTreeMap::new();
        let published = |name: &str, digest: Digest, size: Option<u64>, mb: u64| {
            let name = ModelName::parse(name).map_err(|e| e.to_string())?;
            Ok::<_, String>(CatalogEntry {
                url: format!("{base}/{}", name.file_name()),
                name,
                digest,
                size,
                approx_mb: Some(mb),
            })
        };
        let sha1 = BUILTIN
            .iter()
            .map(|(name, h, mb)| published(name, Digest::Sha1(h.to_string()), None, *mb));
        let sha256 = BUILTIN_SHA256.iter().map(|(name, h, size)| {
            published(name, Digest::Sha256(h.to_string()), Some(*size), size >> 20)
        });
        for entry in sha1.chain(sha256) {
            let entry = entry?;
            entries.insert(entry.name.to_string(), entry);
        }
        entries.insert(
            VAD_MODEL.to_string(),
            CatalogEntry {
                name: ModelName::parse(VAD_MODEL).map_err(|e| e.to_string())?,
                url: VAD_URL.to_string(),
                digest: Digest::Sha256(VAD_SHA256.to_string()),
                size: Some(VAD_SIZE),
                approx_mb: Some(1),
            },
        );
        if let Some(path) = override_file {
            for entry in overrides(path, base)? {
                entries.insert(entry.name.to_string(), entry);
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
        assert_eq!(
            base.digest,
            Digest::Sha1("465707469ff3a37a2b9b8d8f89f2f99de7299dac".into())
        );
        let q8 = c.get("base-q8_0").unwrap();
        assert_eq!(q8.url, format!("{DEFAULT_BASE_URL}/ggml-base-q8_0.bin"));
        assert_eq!(q8.digest.algo(), "sha256");
        assert_eq!(q8.size, Some(81_768_585));
        assert_eq!(c.entries().count(), 14);
        assert_eq!(c.get(VAD_MODEL).unwrap().digest.algo(), "sha256");

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
        assert_eq!(c.get("base").unwrap().digest, Digest::Sha1("a".repeat(40)));
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
