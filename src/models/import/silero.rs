//! Silero VAD weights, as the `silero-vad` 6.x wheel ships them
//! (`silero_vad/data/silero_vad_16k.safetensors`: 15 f32 tensors), into
//! whisper.cpp's ggml VAD model: the header whisper.cpp's
//! `whisper_vad_init_with_params` reads (model type, version, window and
//! context, the encoder's four convolutions, LSTM and final convolution
//! sizes) and the tensors under whisper.cpp's names, convolution weights in
//! f16, the rest f32, in the order whisper.cpp's own converter writes them
//! (the file has the published `ggml-silero-v6.2.0.bin`'s exact size; the
//! 6.2.1–6.2.3 wheels carry retrained weights, so its bytes differ).

use super::ggml::{self, GgmlType};
use super::{io_err, persist, temp_file, ImportError, ImportReport};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

/// (safetensors name, whisper.cpp name, numpy shape, f16?) in file order.
const TENSORS: &[(&str, &str, &[usize], bool)] = &[
    (
        "conv1.weight",
        "_model.encoder.0.reparam_conv.weight",
        &[128, 129, 3],
        true,
    ),
    (
        "conv1.bias",
        "_model.encoder.0.reparam_conv.bias",
        &[128],
        false,
    ),
    (
        "conv2.weight",
        "_model.encoder.1.reparam_conv.weight",
        &[64, 128, 3],
        true,
    ),
    (
        "conv2.bias",
        "_model.encoder.1.reparam_conv.bias",
        &[64],
        false,
    ),
    (
        "conv3.weight",
        "_model.encoder.2.reparam_conv.weight",
        &[64, 64, 3],
        true,
    ),
    (
        "conv3.bias",
        "_model.encoder.2.reparam_conv.bias",
        &[64],
        false,
    ),
    (
        "conv4.weight",
        "_model.encoder.3.reparam_conv.weight",
        &[128, 64, 3],
        true,
    ),
    (
        "conv4.bias",
        "_model.encoder.3.reparam_conv.bias",
        &[128],
        false,
    ),
    (
        "lstm_cell.weight_ih",
        "_model.decoder.rnn.weight_ih",
        &[512, 128],
        false,
    ),
    (
        "lstm_cell.weight_hh",
        "_model.decoder.rnn.weight_hh",
        &[512, 128],
        false,
    ),
    (
        "lstm_cell.bias_ih",
        "_model.decoder.rnn.bias_ih",
        &[512],
        false,
    ),
    (
        "lstm_cell.bias_hh",
        "_model.decoder.rnn.bias_hh",
        &[512],
        false,
    ),
    (
        "final_conv.weight",
        "_model.decoder.decoder.2.weight",
        &[128],
        true,
    ),
    (
        "final_conv.bias",
        "_model.decoder.decoder.2.bias",
        &[],
        false,
    ),
    (
        "stft_conv.weight",
        "_model.stft.forward_basis_buffer",
        &[258, 1, 256],
        true,
    ),
];

/// Encoder convolutions: (in, out, kernel).
const ENCODER: [(i32, i32, i32); 4] = [(129, 128, 3), (128, 64, 3), (64, 64, 3), (64, 128, 3)];

/// One f32 tensor of a safetensors file.
struct Entry {
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// Reads a safetensors file (the `safetensors` crate checks the header and
/// every tensor's offsets against the file); every tensor must be f32.
fn parse(bytes: &[u8]) -> Result<HashMap<String, Entry>, ImportError> {
    let file = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| ImportError::Format(format!("safetensors: {e}")))?;
    let mut out = HashMap::new();
    for (name, view) in file.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(ImportError::Unsupported(format!(
                "{name}: dtype {:?} (expected F32)",
                view.dtype()
            )));
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let shape = view.shape().to_vec();
        out.insert(name, Entry { shape, data });
    }
    Ok(out)
}

fn i32le(w: &mut impl Write, v: i32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// whisper.cpp's VAD header.
fn write_header(w: &mut impl Write, version: [i32; 3]) -> std::io::Result<()> {
    w.write_all(&ggml::GGML_MAGIC.to_le_bytes())?;
    let kind = b"silero-16k";
    i32le(w, kind.len() as i32)?;
    w.write_all(kind)?;
    for v in version {
        i32le(w, v)?;
    }
    i32le(w, 512)?; // window (samples per probability)
    i32le(w, 64)?; // context carried between windows
    i32le(w, ENCODER.len() as i32)?;
    for (i, o, k) in ENCODER {
        for v in [i, o, k] {
            i32le(w, v)?;
        }
    }
    for v in [128, 128, 128, 1] {
        // LSTM input and hidden size, final convolution in and out
        i32le(w, v)?;
    }
    Ok(())
}

/// Parses `x.y.z`.
pub fn parse_version(s: &str) -> Result<[i32; 3], String> {
    let parts: Vec<i32> = s
        .split('.')
        .map(|p| {
            p.parse::<i32>()
                .map_err(|_| format!("invalid version {s:?}"))
        })
        .collect::<Result<_, _>>()?;
    <[i32; 3]>::try_from(parts).map_err(|_| format!("expected major.minor.patch, got {s:?}"))
}

/// Reads `src` (`silero_vad_16k.safetensors`) and writes
/// `dest_dir/ggml-<name>.bin`; `version` is recorded in the header.
pub fn import_silero(
    src: &Path,
    dest_dir: &Path,
    name: &str,
    version: [i32; 3],
    force: bool,
) -> Result<ImportReport, ImportError> {
    let name = crate::models::name::ModelName::parse(name)
        .map_err(|_| ImportError::InvalidName(name.to_string()))?;
    let bytes = std::fs::read(src).map_err(io_err(src))?;
    let tensors = parse(&bytes)?;
    for (from, _, shape, _) in TENSORS {
        let t = tensors
            .get(*from)
            .ok_or_else(|| ImportError::MissingVariable(from.to_string()))?;
        let elements: usize = shape.iter().product();
        if t.data.len() != elements {
            return Err(ImportError::UnexpectedShape {
                name: from.to_string(),
                got: t.shape.clone(),
                expected: shape.to_vec(),
            });
        }
    }
    std::fs::create_dir_all(dest_dir).map_err(io_err(dest_dir))?;
    let dest = name.path_in(dest_dir);
    if dest.exists() && !force {
        return Err(ImportError::DestinationExists(dest));
    }
    let mut w = BufWriter::new(temp_file(dest_dir, &name)?);
    write_header(&mut w, version).map_err(io_err(&dest))?;
    for (from, to, shape, half) in TENSORS {
        let ty = if *half { GgmlType::F16 } else { GgmlType::F32 };
        let data = &tensors[*from].data;
        ggml::write_tensor(&mut w, to, shape, ty, data).map_err(io_err(&dest))?;
    }
    let size = persist(w, &dest)?;
    Ok(ImportReport {
        name: name.to_string(),
        path: dest,
        hparams: ggml::HParams::default(),
        tensors: TENSORS.len(),
        bytes: size,
    })
}
