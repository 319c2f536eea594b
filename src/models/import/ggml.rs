//! Writer for whisper.cpp's legacy `ggml` model file, and ggml's Q8_0 blocks.
//!
//! Header: magic `0x67676d6c`, eleven i32 hyper-parameters (the last is
//! `ftype`), the mel filterbank, the vocabulary, then every tensor as
//! (i32 n_dims, i32 name length, i32 type, i32 dims (ggml order: numpy
//! reversed), name bytes, data).

use half::f16;
use std::io::{self, Write};

/// File magic, `"ggml"` read as a little-endian u32.
pub const GGML_MAGIC: u32 = 0x6767_6d6c;
/// ggml's quantization version, multiplied by 1000 into a quantized `ftype`.
pub const GGML_QNT_VERSION: i32 = 2;
/// Elements per Q8_0 block.
pub const QK8_0: usize = 32;

/// Tensor element types this writer emits, with ggml's type ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q5_0 = 6,
    Q8_0 = 8,
}

/// whisper.cpp's hyper-parameters, in header order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HParams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

fn i32le(w: &mut impl Write, v: i32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// Writes magic, hyper-parameters, filterbank and vocabulary.
pub fn write_header(
    w: &mut impl Write,
    hp: &HParams,
    filters: &[f32],
    vocab: &[Vec<u8>],
) -> io::Result<()> {
    w.write_all(&GGML_MAGIC.to_le_bytes())?;
    for v in [
        hp.n_vocab,
        hp.n_audio_ctx,
        hp.n_audio_state,
        hp.n_audio_head,
        hp.n_audio_layer,
        hp.n_text_ctx,
        hp.n_text_state,
        hp.n_text_head,
        hp.n_text_layer,
        hp.n_mels,
        hp.ftype,
    ] {
        i32le(w, v)?;
    }
    i32le(w, hp.n_mels)?;
    i32le(w, super::mel::N_FFT_BINS as i32)?;
    for f in filters {
        w.write_all(&f.to_le_bytes())?;
    }
    i32le(w, vocab.len() as i32)?;
    for tok in vocab {
        i32le(w, tok.len() as i32)?;
        w.write_all(tok)?;
    }
    Ok(())
}

/// Writes one tensor. `shape` is in numpy order (outermost first).
pub fn write_tensor(
    w: &mut impl Write,
    name: &str,
    shape: &[usize],
    ty: GgmlType,
    data: &[f32],
) -> io::Result<()> {
    i32le(w, shape.len() as i32)?;
    i32le(w, name.len() as i32)?;
    i32le(w, ty as i32)?;
    for &d in shape.iter().rev() {
        i32le(w, d as i32)?;
    }
    w.write_all(name.as_bytes())?;
    match ty {
        GgmlType::F32 => {
            for v in data {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        GgmlType::F16 => {
            let mut buf = Vec::with_capacity(data.len() * 2);
            for v in data {
                buf.extend_from_slice(&f16::from_f32(*v).to_le_bytes());
            }
            w.write_all(&buf)?;
        }
        GgmlType::Q8_0 => w.write_all(&quantize_q8_0(data))?,
        GgmlType::Q5_0 => w.write_all(&quantize_q5_0(data))?,
        GgmlType::Q4_0 => w.write_all(&quantize_q4_0(data))?,
    }
    Ok(())
}

/// The value of largest magnitude in a block, with its sign.
fn signed_max(block: &[f32]) -> f32 {
    block
        .iter()
        .fold(0.0f32, |m, &v| if v.abs() > m.abs() { v } else { m })
}

/// ggml's reference Q4_0: per block of 32, an f16 scale `d = max / -8`,
/// then 16 bytes of 4-bit values `x / d + 8` (low nibbles: the first 16).
pub fn quantize_q4_0(data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / QK8_0 * 18);
    for block in data.chunks(QK8_0) {
        let d = signed_max(block) / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
        for j in 0..QK8_0 / 2 {
            out.push(q(block[j]) | (q(block[j + QK8_0 / 2]) << 4));
        }
    }
    out
}

/// ggml's reference Q5_0: per block of 32, an f16 scale `d = max / -16`,
/// the 32 fifth bits (u32), then 16 bytes of low nibbles of `x / d + 16`.
pub fn quantize_q5_0(data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / QK8_0 * 22);
    for block in data.chunks(QK8_0) {
        let d = signed_max(block) / -16.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        let q = |v: f32| ((v * id + 16.5) as i8).min(31) as u8;
        let mut qh = 0u32;
        let mut qs = [0u8; QK8_0 / 2];
        for j in 0..QK8_0 / 2 {
            let (a, b) = (q(block[j]), q(block[j + QK8_0 / 2]));
            qs[j] = (a & 0x0F) | ((b & 0x0F) << 4);
            qh |= u32::from((a & 0x10) >> 4) << j;
            qh |= u32::from((b & 0x10) >> 4) << (j + QK8_0 / 2);
        }
        out.extend_from_slice(&qh.to_le_bytes());
        out.extend_from_slice(&qs);
    }
    out
}

/// ggml's reference Q8_0: per block of 32, an f16 scale `d = amax / 127`
/// then 32 × i8 `round(x / d)`. `data.len()` must be a multiple of 32.
pub fn quantize_q8_0(data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / QK8_0 * (2 + QK8_0));
    for block in data.chunks(QK8_0) {
        let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        for v in block {
            out.push((v * id).round() as i8 as u8);
        }
    }
    out
}

/// Inverse of [`quantize_q8_0`], for tests.
pub fn dequantize_q8_0(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks(2 + QK8_0)
        .flat_map(|b| {
            let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
            b[2..].iter().map(move |&q| q as i8 as f32 * d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_round_trips_within_half_a_step() {
        let data: Vec<f32> = (0..64).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
        let q = quantize_q8_0(&data);
        assert_eq!(q.len(), 2 * 34);
        let back = dequantize_q8_0(&q);
        for (block, qblock) in data.chunks(32).zip(back.chunks(32)) {
            let step = block.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
            for (a, b) in block.iter().zip(qblock) {
                assert!((a - b).abs() <= step * 0.51 + 1e-3, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn zero_block_has_zero_scale() {
        let q = quantize_q8_0(&[0.0; 32]);
        assert!(q.iter().all(|&b| b == 0));
    }
}
