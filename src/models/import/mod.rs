//! `susurro models import`: converts a CTranslate2 (faster-whisper) Whisper
//! model directory into a whisper.cpp `ggml-<name>.bin`, in pure Rust.
//!
//! The file is written to a temporary name in the destination directory and
//! renamed only once complete, so a failed import never leaves a partial
//! model where the service would load it.

pub mod ct2;
pub mod ggml;
pub mod mel;
pub mod silero;
mod tensors;
pub mod vocab;

use crate::models::name::ModelName;
use ct2::Ct2Model;
use ggml::{GgmlType, HParams, GGML_QNT_VERSION};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while importing, each with a specific message.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error(
        "{0} has no model.bin (expected a CTranslate2 model directory, as faster-whisper uses)"
    )]
    MissingModelBin(PathBuf),
    #[error("{0} is missing; a CTranslate2 Whisper model ships vocabulary.txt beside model.bin")]
    MissingVocabulary(PathBuf),
    #[error("not a Whisper model: the CTranslate2 spec is {0:?}, expected \"WhisperSpec\"")]
    NotWhisper(String),
    #[error("truncated model.bin: {0}")]
    Truncated(String),
    #[error("variable {name} has unknown dtype code {code}")]
    UnknownDType { name: String, code: u8 },
    #[error("model.bin has no variable {0}")]
    MissingVariable(String),
    #[error("unexpected shape for {name}: got {got:?}, expected {expected:?}")]
    UnexpectedShape {
        name: String,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("invalid model file: {0}")]
    Format(String),
    #[error("{0} already exists (use --force to overwrite)")]
    DestinationExists(PathBuf),
    #[error("invalid model name {0:?}: use letters, digits, '.', '-' and '_'")]
    InvalidName(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Weight quantization for the written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantize {
    /// ggml Q8_0 for 2-D weight matrices.
    Q8_0,
    /// ggml Q5_0 (5-bit blocks).
    Q5_0,
    /// ggml Q4_0 (4-bit blocks).
    Q4_0,
}

impl Quantize {
    /// whisper.cpp's `ftype` for a file mostly of this type.
    fn ftype(self) -> i32 {
        let t = match self {
            Self::Q8_0 => 7,
            Self::Q5_0 => 8,
            Self::Q4_0 => 2,
        };
        t + 1000 * GGML_QNT_VERSION
    }

    fn ggml_type(self) -> GgmlType {
        match self {
            Self::Q8_0 => GgmlType::Q8_0,
            Self::Q5_0 => GgmlType::Q5_0,
            Self::Q4_0 => GgmlType::Q4_0,
        }
    }
}

impl std::str::FromStr for Quantize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "q8_0" => Ok(Self::Q8_0),
            "q5_0" => Ok(Self::Q5_0),
            "q4_0" => Ok(Self::Q4_0),
            other => Err(format!(
                "unsupported quantization {other:?} (supported: q8_0, q5_0, q4_0)"
            )),
        }
    }
}

/// What to import and where.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Name of the written model: the file is `ggml-<name>.bin`. Derived from
    /// the model's size and vocabulary when absent.
    pub name: Option<String>,
    pub quantize: Option<Quantize>,
    /// Overwrite an existing destination file.
    pub force: bool,
}

/// The result of a successful import.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub name: String,
    pub path: PathBuf,
    /// The Whisper model's hyper-parameters (default for a VAD model).
    pub hparams: HParams,
    pub tensors: usize,
    pub bytes: u64,
}

/// `model.bin` and `vocabulary.txt` of a CTranslate2 model folder.
fn source_files(src_dir: &Path) -> Result<(PathBuf, PathBuf), ImportError> {
    if !src_dir.is_dir() {
        return Err(ImportError::NotADirectory(src_dir.to_path_buf()));
    }
    let bin = src_dir.join("model.bin");
    if !bin.is_file() {
        return Err(ImportError::MissingModelBin(src_dir.to_path_buf()));
    }
    let vocab_path = src_dir.join("vocabulary.txt");
    if !vocab_path.is_file() {
        return Err(ImportError::MissingVocabulary(vocab_path));
    }
    Ok((bin, vocab_path))
}

/// The ggml type a tensor is written as: matrices as asked, convolutions
/// f16, the rest f32; a quantized row must fill whole blocks.
fn tensor_type(t: &tensors::Tensor, matrix_type: GgmlType) -> Result<GgmlType, ImportError> {
    let ty = match t.kind {
        tensors::Kind::Matrix => matrix_type,
        tensors::Kind::Conv => GgmlType::F16,
        tensors::Kind::F32 => GgmlType::F32,
    };
    let quantized = !matches!(ty, GgmlType::F16 | GgmlType::F32);
    if quantized && t.shape.last().copied().unwrap_or(0) % ggml::QK8_0 != 0 {
        return Err(ImportError::Unsupported(format!(
            "{}: row length {:?} is not a multiple of 32, a quantized block cannot hold it",
            t.name,
            t.shape.last()
        )));
    }
    Ok(ty)
}

/// Reads `src_dir` (a CTranslate2 Whisper model) and writes
/// `dest_dir/ggml-<name>.bin`.
pub fn import(
    src_dir: &Path,
    dest_dir: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let (bin, vocab_path) = source_files(src_dir)?;
    let bytes = std::fs::read(&bin).map_err(io_err(&bin))?;
    let model = Ct2Model::parse(&bytes)?;
    let vocab_text = std::fs::read_to_string(&vocab_path).map_err(io_err(&vocab_path))?;
    let vocab = vocab::decode_vocabulary(&vocab_text)?;

    let mut hp = tensors::hparams(&model)?;
    hp.ftype = match opts.quantize {
        None => 1,
        Some(q) => q.ftype(),
    };
    if vocab.len() > hp.n_vocab as usize {
        return Err(ImportError::Format(format!(
            "vocabulary.txt has {} tokens but the embedding has only {} rows",
            vocab.len(),
            hp.n_vocab
        )));
    }
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => default_name(&hp),
    };
    let name = crate::models::name::ModelName::parse(&name)
        .map_err(|_| ImportError::InvalidName(name.clone()))?;
    std::fs::create_dir_all(dest_dir).map_err(io_err(dest_dir))?;
    let dest = name.path_in(dest_dir);
    if dest.exists() && !opts.force {
        return Err(ImportError::DestinationExists(dest));
    }

    let mut w = BufWriter::with_capacity(1 << 20, temp_file(dest_dir, &name)?);
    let filters = mel::filterbank(hp.n_mels as usize);
    ggml::write_header(&mut w, &hp, &filters, &vocab).map_err(io_err(&dest))?;
    let matrix_type = match opts.quantize {
        None => GgmlType::F16,
        Some(q) => q.ggml_type(),
    };
    let mut count = 0;
    tensors::for_each(&model, &hp, |t| {
        let ty = tensor_type(&t, matrix_type)?;
        ggml::write_tensor(&mut w, &t.name, &t.shape, ty, &t.data).map_err(io_err(&dest))?;
        count += 1;
        Ok(())
    })?;
    let size = persist(w, &dest)?;
    Ok(ImportReport {
        name: name.to_string(),
        path: dest,
        hparams: hp,
        tensors: count,
        bytes: size,
    })
}

/// `tiny`, `base.en`, `large-v3`, …, from the layer count and vocabulary size.
pub fn default_name(hp: &HParams) -> String {
    let size = match hp.n_audio_layer {
        4 => "tiny",
        6 => "base",
        12 => "small",
        24 => "medium",
        32 => "large",
        _ => "custom",
    };
    let mut name = size.to_string();
    if hp.n_vocab == 51866 {
        name.push_str("-v3");
    } else if hp.n_vocab == 51864 {
        name.push_str(".en");
    }
    name
}

/// A temporary file beside the destination, deleted unless persisted
/// (`tempfile`'s guard): a failed import never leaves a partial model.
pub(crate) fn temp_file(
    dir: &Path,
    name: &ModelName,
) -> Result<tempfile::NamedTempFile, ImportError> {
    tempfile::Builder::new()
        .prefix(&format!(".ggml-{name}.bin."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err(dir))
}

/// Flushes, syncs and renames the temporary file into place; returns its size.
pub(crate) fn persist(
    w: BufWriter<tempfile::NamedTempFile>,
    dest: &Path,
) -> Result<u64, ImportError> {
    let tmp = w.into_inner().map_err(|e| ImportError::Io {
        path: dest.to_path_buf(),
        source: e.into_error(),
    })?;
    tmp.as_file().sync_all().map_err(io_err(dest))?;
    let size = tmp.as_file().metadata().map_err(io_err(dest))?.len();
    tmp.persist(dest).map_err(|e| ImportError::Io {
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    Ok(size)
}
