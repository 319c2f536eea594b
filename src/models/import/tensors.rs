//! The CTranslate2 → whisper.cpp tensor mapping.
//!
//! Fused projections are split by rows: self-attention `linear_0` is
//! [3d, d] → query, key, value; cross-attention `linear_1` is [2d, d] → key,
//! value. whisper has no key bias, so CTranslate2 stores zeros there: they are
//! checked and dropped.

use super::ct2::{Ct2Model, DType, Variable};
use super::ggml::HParams;
use super::ImportError;

/// How a tensor is stored in the ggml file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 2-D weight matrix: f16, or the quantized type.
    Matrix,
    /// Convolution weight: always f16 (whisper.cpp aborts on f32 conv weights).
    Conv,
    /// Biases, norms, conv biases and positional embeddings: f32.
    F32,
}

/// One output tensor: ggml name, numpy-order shape, storage kind and values.
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub kind: Kind,
    pub data: Vec<f32>,
}

fn shaped<'m>(
    m: &'m Ct2Model<'_>,
    name: &str,
    expected: &[usize],
) -> Result<&'m Variable<'m>, ImportError> {
    let v = m.require(name)?;
    if v.shape != expected {
        return Err(ImportError::UnexpectedShape {
            name: name.to_string(),
            got: v.shape.clone(),
            expected: expected.to_vec(),
        });
    }
    Ok(v)
}

/// Values of a variable as f32, dequantizing int8 weights with their
/// per-row `weight_scale` (CTranslate2 stores `round(w * scale)`).
fn values(m: &Ct2Model<'_>, name: &str, expected: &[usize]) -> Result<Vec<f32>, ImportError> {
    let v = shaped(m, name, expected)?;
    let mut data = v.to_f32();
    if v.dtype == DType::I8 || v.dtype == DType::I16 {
        let scale_name = format!("{name}_scale");
        let scale = m.get(&scale_name).ok_or_else(|| {
            ImportError::Unsupported(format!(
                "{name} is stored as {} without {scale_name}: this compute type cannot be imported; \
                 convert the model with --quantization float16 or float32",
                v.dtype.name()
            ))
        })?;
        let scale = scale.to_f32();
        let rows = expected.first().copied().unwrap_or(1);
        let cols = data.len() / rows.max(1);
        if scale.len() != rows && scale.len() != 1 {
            return Err(ImportError::Format(format!(
                "{scale_name} has {} values for {rows} rows",
                scale.len()
            )));
        }
        for (r, row) in data.chunks_mut(cols.max(1)).enumerate() {
            let s = if scale.len() == 1 { scale[0] } else { scale[r] };
            for x in row {
                *x /= s;
            }
        }
    }
    Ok(data)
}

fn count_layers(m: &Ct2Model<'_>, stack: &str) -> i32 {
    let prefix = format!("{stack}/layer_");
    m.names()
        .filter_map(|n| n.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('/').next()?.parse::<i32>().ok())
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

fn heads(m: &Ct2Model<'_>, stack: &str) -> Result<i32, ImportError> {
    let name = format!("{stack}/num_heads");
    m.require(&name)?
        .scalar_i64()
        .map(|v| v as i32)
        .ok_or_else(|| ImportError::Format(format!("{name} is not a scalar")))
}

/// Reads the hyper-parameters (ftype left at 0 for the caller).
pub fn hparams(m: &Ct2Model<'_>) -> Result<HParams, ImportError> {
    let conv1 = m.require("encoder/conv1/weight")?;
    let [d, n_mels, 3] = conv1.shape[..] else {
        return Err(ImportError::UnexpectedShape {
            name: "encoder/conv1/weight".into(),
            got: conv1.shape.clone(),
            expected: vec![0, 0, 3],
        });
    };
    let rows = |name: &str| -> Result<usize, ImportError> {
        let v = m.require(name)?;
        match v.shape[..] {
            [r, c] if c == d => Ok(r),
            _ => Err(ImportError::UnexpectedShape {
                name: name.into(),
                got: v.shape.clone(),
                expected: vec![0, d],
            }),
        }
    };
    let hp = HParams {
        n_vocab: rows("decoder/embeddings/weight")? as i32,
        n_audio_ctx: rows("encoder/position_encodings/encodings")? as i32,
        n_audio_state: d as i32,
        n_audio_head: heads(m, "encoder")?,
        n_audio_layer: count_layers(m, "encoder"),
        n_text_ctx: rows("decoder/position_encodings/encodings")? as i32,
        n_text_state: d as i32,
        n_text_head: heads(m, "decoder")?,
        n_text_layer: count_layers(m, "decoder"),
        n_mels: n_mels as i32,
        ftype: 0,
    };
    if hp.n_audio_layer == 0 || hp.n_text_layer == 0 {
        return Err(ImportError::Format(
            "model has no encoder or decoder layers".into(),
        ));
    }
    Ok(hp)
}

/// Splits `rows × d` row-major values into consecutive blocks of `d` rows.
fn split_rows(data: Vec<f32>, d: usize, parts: usize) -> Vec<Vec<f32>> {
    let per = data.len() / parts;
    debug_assert_eq!(per % d, 0);
    data.chunks(per).map(<[f32]>::to_vec).collect()
}

fn ensure_zero(name: &str, data: &[f32]) -> Result<(), ImportError> {
    match data.iter().position(|&v| v != 0.0) {
        None => Ok(()),
        Some(i) => Err(ImportError::Unsupported(format!(
            "{name}: the key bias is not zero (index {i} = {}); whisper.cpp has no key bias",
            data[i]
        ))),
    }
}

struct Emitter<'f, F: FnMut(Tensor) -> Result<(), ImportError>> {
    f: &'f mut F,
}

impl<F: FnMut(Tensor) -> Result<(), ImportError>> Emitter<'_, F> {
    fn emit(
        &mut self,
        name: String,
        shape: Vec<usize>,
        kind: Kind,
        data: Vec<f32>,
    ) -> Result<(), ImportError> {
        (self.f)(Tensor {
            name,
            shape,
            kind,
            data,
        })
    }

    /// A linear layer: weight [rows, cols] (matrix) and bias [rows] (f32).
    fn linear(
        &mut self,
        m: &Ct2Model<'_>,
        src: &str,
        dst: &str,
        rows: usize,
        cols: usize,
    ) -> Result<(), ImportError> {
        let w = values(m, &format!("{src}/weight"), &[rows, cols])?;
        self.emit(format!("{dst}.weight"), vec![rows, cols], Kind::Matrix, w)?;
        let b = values(m, &format!("{src}/bias"), &[rows])?;
        self.emit(format!("{dst}.bias"), vec![rows], Kind::F32, b)
    }

    fn norm(
        &mut self,
        m: &Ct2Model<'_>,
        src: &str,
        dst: &str,
        d: usize,
    ) -> Result<(), ImportError> {
        let g = values(m, &format!("{src}/gamma"), &[d])?;
        self.emit(format!("{dst}.weight"), vec![d], Kind::F32, g)?;
        let b = values(m, &format!("{src}/beta"), &[d])?;
        self.emit(format!("{dst}.bias"), vec![d], Kind::F32, b)
    }

    /// Fused [n·d, d] projection split into the named parts; a `None` bias
    /// part (the key) must be zero and is dropped.
    fn fused(
        &mut self,
        m: &Ct2Model<'_>,
        src: &str,
        parts: &[(String, bool)],
        d: usize,
    ) -> Result<(), ImportError> {
        let n = parts.len();
        let w = values(m, &format!("{src}/weight"), &[n * d, d])?;
        let b = values(m, &format!("{src}/bias"), &[n * d])?;
        let ws = split_rows(w, d, n);
        let bs = split_rows(b, 1, n);
        for (((dst, has_bias), w), b) in parts.iter().zip(ws).zip(bs) {
            self.emit(format!("{dst}.weight"), vec![d, d], Kind::Matrix, w)?;
            if *has_bias {
                self.emit(format!("{dst}.bias"), vec![d], Kind::F32, b)?;
            } else {
                ensure_zero(&format!("{src}/bias"), &b)?;
            }
        }
        Ok(())
    }

    fn ffn(&mut self, m: &Ct2Model<'_>, src: &str, dst: &str, d: usize) -> Result<(), ImportError> {
        self.linear(
            m,
            &format!("{src}/ffn/linear_0"),
            &format!("{dst}.mlp.0"),
            4 * d,
            d,
        )?;
        self.linear(
            m,
            &format!("{src}/ffn/linear_1"),
            &format!("{dst}.mlp.2"),
            d,
            4 * d,
        )?;
        self.norm(
            m,
            &format!("{src}/ffn/layer_norm"),
            &format!("{dst}.mlp_ln"),
            d,
        )
    }

    fn self_attention(
        &mut self,
        m: &Ct2Model<'_>,
        src: &str,
        dst: &str,
        d: usize,
    ) -> Result<(), ImportError> {
        let parts = [
            (format!("{dst}.attn.query"), true),
            (format!("{dst}.attn.key"), false),
            (format!("{dst}.attn.value"), true),
        ];
        self.fused(m, &format!("{src}/self_attention/linear_0"), &parts, d)?;
        self.linear(
            m,
            &format!("{src}/self_attention/linear_1"),
            &format!("{dst}.attn.out"),
            d,
            d,
        )?;
        self.norm(
            m,
            &format!("{src}/self_attention/layer_norm"),
            &format!("{dst}.attn_ln"),
            d,
        )
    }
}

/// Produces every whisper.cpp tensor in file order.
pub fn for_each<F>(m: &Ct2Model<'_>, hp: &HParams, mut f: F) -> Result<(), ImportError>
where
    F: FnMut(Tensor) -> Result<(), ImportError>,
{
    let mut e = Emitter { f: &mut f };
    e.encoder(m, hp)?;
    e.decoder(m, hp)
}

impl<F: FnMut(Tensor) -> Result<(), ImportError>> Emitter<'_, F> {
    fn encoder(&mut self, m: &Ct2Model<'_>, hp: &HParams) -> Result<(), ImportError> {
        let d = hp.n_audio_state as usize;
        let n_mels = hp.n_mels as usize;
        let actx = hp.n_audio_ctx as usize;
        let pe = values(m, "encoder/position_encodings/encodings", &[actx, d])?;
        self.emit(
            "encoder.positional_embedding".into(),
            vec![actx, d],
            Kind::F32,
            pe,
        )?;
        for (i, cin) in [(1, n_mels), (2, d)] {
            let w = values(m, &format!("encoder/conv{i}/weight"), &[d, cin, 3])?;
            self.emit(
                format!("encoder.conv{i}.weight"),
                vec![d, cin, 3],
                Kind::Conv,
                w,
            )?;
            let b = values(m, &format!("encoder/conv{i}/bias"), &[d])?;
            self.emit(format!("encoder.conv{i}.bias"), vec![d, 1], Kind::F32, b)?;
        }
        for l in 0..hp.n_audio_layer {
            let (src, dst) = (format!("encoder/layer_{l}"), format!("encoder.blocks.{l}"));
            self.self_attention(m, &src, &dst, d)?;
            self.ffn(m, &src, &dst, d)?;
        }
        self.norm(m, "encoder/layer_norm", "encoder.ln_post", d)
    }

    fn decoder(&mut self, m: &Ct2Model<'_>, hp: &HParams) -> Result<(), ImportError> {
        let d = hp.n_audio_state as usize;
        let tctx = hp.n_text_ctx as usize;
        let pe = values(m, "decoder/position_encodings/encodings", &[tctx, d])?;
        self.emit(
            "decoder.positional_embedding".into(),
            vec![tctx, d],
            Kind::F32,
            pe,
        )?;
        let nv = hp.n_vocab as usize;
        let te = values(m, "decoder/embeddings/weight", &[nv, d])?;
        self.emit(
            "decoder.token_embedding.weight".into(),
            vec![nv, d],
            Kind::Matrix,
            te,
        )?;
        for l in 0..hp.n_text_layer {
            let (src, dst) = (format!("decoder/layer_{l}"), format!("decoder.blocks.{l}"));
            self.self_attention(m, &src, &dst, d)?;
            self.cross_attention(m, &src, &dst, d)?;
            self.ffn(m, &src, &dst, d)?;
        }
        self.norm(m, "decoder/layer_norm", "decoder.ln", d)
    }

    fn cross_attention(
        &mut self,
        m: &Ct2Model<'_>,
        src: &str,
        dst: &str,
        d: usize,
    ) -> Result<(), ImportError> {
        self.linear(
            m,
            &format!("{src}/attention/linear_0"),
            &format!("{dst}.cross_attn.query"),
            d,
            d,
        )?;
        let parts = [
            (format!("{dst}.cross_attn.key"), false),
            (format!("{dst}.cross_attn.value"), true),
        ];
        self.fused(m, &format!("{src}/attention/linear_1"), &parts, d)?;
        self.linear(
            m,
            &format!("{src}/attention/linear_2"),
            &format!("{dst}.cross_attn.out"),
            d,
            d,
        )?;
        self.norm(
            m,
            &format!("{src}/attention/layer_norm"),
            &format!("{dst}.cross_attn_ln"),
            d,
        )
    }
}
