//! The CTranslate2 → ggml importer: a synthetic model built here (mapping,
//! shapes, vocabulary bytes, every error) and the real test models.

use crate::common::*;
use half::f16;
use std::collections::HashMap;
use std::path::Path;
use susurro::models::import::{import, mel, vocab, ImportError, ImportOptions, Quantize};

const D: usize = 64;
const N_MELS: usize = 80;
const N_VOCAB: usize = 51864;
const A_CTX: usize = 1500;
const T_CTX: usize = 448;

fn val(seed: usize, i: usize) -> f32 {
    (((i * 7919 + seed * 104_729) % 2001) as f32 / 1000.0 - 1.0) * 0.1
}

/// Writes a CTranslate2 `model.bin` with the given variables.
struct Ct2 {
    spec: String,
    vars: Vec<(String, Vec<usize>, u8, Vec<u8>)>,
}

impl Ct2 {
    fn f16(&mut self, name: &str, shape: &[usize]) {
        let n: usize = shape.iter().product();
        let seed = self.vars.len() + 1;
        let data = (0..n)
            .flat_map(|i| f16::from_f32(val(seed, i)).to_le_bytes())
            .collect();
        self.vars.push((name.into(), shape.to_vec(), 4, data));
    }
    fn raw(&mut self, name: &str, shape: &[usize], dtype: u8, data: Vec<u8>) {
        self.vars.push((name.into(), shape.to_vec(), dtype, data));
    }
    fn var(&self, name: &str) -> &(String, Vec<usize>, u8, Vec<u8>) {
        self.vars.iter().find(|v| v.0 == name).unwrap()
    }
    fn var_mut(&mut self, name: &str) -> &mut (String, Vec<usize>, u8, Vec<u8>) {
        self.vars.iter_mut().find(|v| v.0 == name).unwrap()
    }
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let s = |b: &mut Vec<u8>, s: &str| {
            b.extend(((s.len() + 1) as u16).to_le_bytes());
            b.extend(s.as_bytes());
            b.push(0);
        };
        b.extend(6u32.to_le_bytes());
        s(&mut b, &self.spec);
        b.extend(3u32.to_le_bytes());
        b.extend((self.vars.len() as u32).to_le_bytes());
        for (name, shape, dtype, data) in &self.vars {
            s(&mut b, name);
            b.push(shape.len() as u8);
            for d in shape {
                b.extend((*d as u32).to_le_bytes());
            }
            b.push(*dtype);
            b.extend((data.len() as u32).to_le_bytes());
            b.extend(data);
        }
        b.extend(1u32.to_le_bytes());
        s(&mut b, "decoder/projection/weight");
        s(&mut b, "decoder/embeddings/weight");
        b
    }
}

fn linear(m: &mut Ct2, p: &str, rows: usize, cols: usize) {
    m.f16(&format!("{p}/weight"), &[rows, cols]);
    m.f16(&format!("{p}/bias"), &[rows]);
}
fn norm(m: &mut Ct2, p: &str) {
    m.f16(&format!("{p}/gamma"), &[D]);
    m.f16(&format!("{p}/beta"), &[D]);
}
/// Zeroes rows `from..from+D` of a fused bias (whisper's missing key bias).
fn zero_key_bias(m: &mut Ct2, name: &str, from: usize) {
    let v = m.var_mut(name);
    for i in from..from + D {
        v.3[i * 2] = 0;
        v.3[i * 2 + 1] = 0;
    }
}

fn synthetic() -> Ct2 {
    let mut m = Ct2 {
        spec: "WhisperSpec".into(),
        vars: Vec::new(),
    };
    m.raw("encoder/num_heads", &[], 2, 2i16.to_le_bytes().to_vec());
    m.raw("decoder/num_heads", &[], 2, 2i16.to_le_bytes().to_vec());
    m.raw("decoder/activation", &[], 1, vec![1]);
    m.f16("encoder/conv1/weight", &[D, N_MELS, 3]);
    m.f16("encoder/conv1/bias", &[D]);
    m.f16("encoder/conv2/weight", &[D, D, 3]);
    m.f16("encoder/conv2/bias", &[D]);
    m.f16("encoder/position_encodings/encodings", &[A_CTX, D]);
    let e = "encoder/layer_0";
    linear(&mut m, &format!("{e}/self_attention/linear_0"), 3 * D, D);
    zero_key_bias(&mut m, &format!("{e}/self_attention/linear_0/bias"), D);
    linear(&mut m, &format!("{e}/self_attention/linear_1"), D, D);
    norm(&mut m, &format!("{e}/self_attention/layer_norm"));
    linear(&mut m, &format!("{e}/ffn/linear_0"), 4 * D, D);
    linear(&mut m, &format!("{e}/ffn/linear_1"), D, 4 * D);
    norm(&mut m, &format!("{e}/ffn/layer_norm"));
    norm(&mut m, "encoder/layer_norm");
    m.f16("decoder/embeddings/weight", &[N_VOCAB, D]);
    m.f16("decoder/position_encodings/encodings", &[T_CTX, D]);
    let d = "decoder/layer_0";
    linear(&mut m, &format!("{d}/self_attention/linear_0"), 3 * D, D);
    zero_key_bias(&mut m, &format!("{d}/self_attention/linear_0/bias"), D);
    linear(&mut m, &format!("{d}/self_attention/linear_1"), D, D);
    norm(&mut m, &format!("{d}/self_attention/layer_norm"));
    linear(&mut m, &format!("{d}/attention/linear_0"), D, D);
    linear(&mut m, &format!("{d}/attention/linear_1"), 2 * D, D);
    zero_key_bias(&mut m, &format!("{d}/attention/linear_1/bias"), 0);
    linear(&mut m, &format!("{d}/attention/linear_2"), D, D);
    norm(&mut m, &format!("{d}/attention/layer_norm"));
    linear(&mut m, &format!("{d}/ffn/linear_0"), 4 * D, D);
    linear(&mut m, &format!("{d}/ffn/linear_1"), D, 4 * D);
    norm(&mut m, &format!("{d}/ffn/layer_norm"));
    norm(&mut m, "decoder/layer_norm");
    m
}

const TOKENS: &[&[u8]] = &[
    b"!",
    b" hello",
    b"\n",
    "é".as_bytes(),
    b" deploy",
    b"\x00\xff",
];

fn write_model(dir: &Path, m: &Ct2) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("model.bin"), m.bytes()).unwrap();
    let mut v: String = TOKENS
        .iter()
        .map(|t| vocab::encode_token(t) + "\n")
        .collect();
    v.push_str("<|endoftext|>\n<|startoftranscript|>\n");
    std::fs::write(dir.join("vocabulary.txt"), v).unwrap();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
}

fn opts() -> ImportOptions {
    ImportOptions {
        name: Some("synth".into()),
        quantize: None,
        force: false,
    }
}

/// A parsed ggml file, read independently of the writer.
struct Ggml {
    hparams: Vec<i32>,
    filters: Vec<f32>,
    vocab: Vec<Vec<u8>>,
    tensors: HashMap<String, (Vec<usize>, i32, Vec<u8>)>,
}

struct Reader {
    b: Vec<u8>,
    pos: usize,
}

impl Reader {
    fn i32(&mut self) -> i32 {
        let v = i32::from_le_bytes(self.b[self.pos..self.pos + 4].try_into().unwrap());
        self.pos += 4;
        v
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let v = self.b[self.pos..self.pos + n].to_vec();
        self.pos += n;
        v
    }
}

fn read_ggml(path: &Path) -> Ggml {
    let mut r = Reader {
        b: std::fs::read(path).unwrap(),
        pos: 0,
    };
    assert_eq!(r.i32() as u32, 0x6767_6d6c);
    let hparams: Vec<i32> = (0..11).map(|_| r.i32()).collect();
    let (n_mel, n_fft) = (r.i32() as usize, r.i32() as usize);
    let filters = (0..n_mel * n_fft)
        .map(|_| f32::from_bits(r.i32() as u32))
        .collect();
    let n_vocab = r.i32();
    let vocab = (0..n_vocab)
        .map(|_| {
            let len = r.i32() as usize;
            r.bytes(len)
        })
        .collect();
    let mut tensors = HashMap::new();
    while r.pos < r.b.len() {
        let (n_dims, name_len, ty) = (r.i32() as usize, r.i32() as usize, r.i32());
        let dims: Vec<usize> = (0..n_dims).map(|_| r.i32() as usize).collect();
        let name = String::from_utf8(r.bytes(name_len)).unwrap();
        let n: usize = dims.iter().product();
        let size = match ty {
            0 => n * 4,
            1 => n * 2,
            8 => n / 32 * 34,
            t => panic!("type {t}"),
        };
        tensors.insert(name, (dims, ty, r.bytes(size)));
    }
    Ggml {
        hparams,
        filters,
        vocab,
        tensors,
    }
}

fn f16_rows(data: &[u8], from_row: usize, rows: usize, cols: usize) -> Vec<u8> {
    data[from_row * cols * 2..(from_row + rows) * cols * 2].to_vec()
}

#[test]
fn maps_every_tensor_with_whisper_cpp_names_shapes_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let m = synthetic();
    write_model(&dir.path().join("src"), &m);
    let out = dir.path().join("models");
    let report = import(&dir.path().join("src"), &out, &opts()).unwrap();
    assert_eq!(report.path, out.join("ggml-synth.bin"));
    assert_eq!(report.tensors, 7 + 15 + 4 + 24);
    let g = read_ggml(&report.path);
    assert_eq!(
        g.hparams,
        vec![N_VOCAB as i32, 1500, 64, 2, 1, 448, 64, 2, 1, 80, 1]
    );
    assert_eq!(g.filters, mel::filterbank(80));
    let expected_vocab: Vec<Vec<u8>> = TOKENS.iter().map(|t| t.to_vec()).collect();
    assert_eq!(g.vocab, expected_vocab);
    assert_eq!(g.tensors.len(), 50);

    let t = |n: &str| g.tensors.get(n).unwrap_or_else(|| panic!("missing {n}"));
    // ggml dims are numpy's reversed; types per whisper.cpp's loader.
    assert_eq!(t("encoder.conv1.weight").0, vec![3, N_MELS, D]);
    assert_eq!(t("encoder.conv1.weight").1, 1);
    assert_eq!(t("encoder.conv1.bias").0, vec![1, D]);
    assert_eq!(t("encoder.conv1.bias").1, 0);
    assert_eq!(t("encoder.positional_embedding").0, vec![D, A_CTX]);
    assert_eq!(t("encoder.positional_embedding").1, 0);
    assert_eq!(t("decoder.positional_embedding").1, 0);
    assert_eq!(t("decoder.token_embedding.weight").0, vec![D, N_VOCAB]);
    assert_eq!(t("decoder.token_embedding.weight").1, 1);
    assert_eq!(t("encoder.blocks.0.mlp.0.weight").0, vec![D, 4 * D]);
    assert_eq!(t("encoder.blocks.0.mlp.2.weight").0, vec![4 * D, D]);
    assert_eq!(t("encoder.blocks.0.attn_ln.bias").1, 0);
    assert!(!g.tensors.contains_key("encoder.blocks.0.attn.key.bias"));
    assert!(!g
        .tensors
        .contains_key("decoder.blocks.0.cross_attn.key.bias"));

    // Fused projections are split by rows; f16 bytes pass through unchanged.
    let fused = &m.var("encoder/layer_0/self_attention/linear_0/weight").3;
    assert_eq!(
        t("encoder.blocks.0.attn.query.weight").2,
        f16_rows(fused, 0, D, D)
    );
    assert_eq!(
        t("encoder.blocks.0.attn.key.weight").2,
        f16_rows(fused, D, D, D)
    );
    assert_eq!(
        t("encoder.blocks.0.attn.value.weight").2,
        f16_rows(fused, 2 * D, D, D)
    );
    let kv = &m.var("decoder/layer_0/attention/linear_1/weight").3;
    assert_eq!(
        t("decoder.blocks.0.cross_attn.key.weight").2,
        f16_rows(kv, 0, D, D)
    );
    assert_eq!(
        t("decoder.blocks.0.cross_attn.value.weight").2,
        f16_rows(kv, D, D, D)
    );
    // Biases become f32 of the same values.
    let vb = &m.var("encoder/layer_0/self_attention/linear_0/bias").3;
    let value_bias: Vec<u8> = vb[2 * D * 2..3 * D * 2]
        .chunks(2)
        .flat_map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32().to_le_bytes())
        .collect();
    assert_eq!(t("encoder.blocks.0.attn.value.bias").2, value_bias);
    // Norm gamma → weight, beta → bias.
    let gamma = &m.var("decoder/layer_norm/gamma").3;
    let as_f32: Vec<u8> = gamma
        .chunks(2)
        .flat_map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32().to_le_bytes())
        .collect();
    assert_eq!(t("decoder.ln.weight").2, as_f32);
}

#[test]
fn whisper_cpp_loads_the_imported_file() {
    let dir = tempfile::tempdir().unwrap();
    write_model(&dir.path().join("src"), &synthetic());
    let report = import(&dir.path().join("src"), dir.path(), &opts()).unwrap();
    let ctx = whisper_rs::WhisperContext::new_with_params(&report.path, Default::default())
        .expect("whisper.cpp accepts the file");
    assert_eq!(ctx.model_n_audio_state(), D as i32);
    assert_eq!(ctx.model_n_text_layer(), 1);
    assert!(!ctx.is_multilingual());
}

#[test]
fn q8_0_quantizes_matrices_only() {
    let dir = tempfile::tempdir().unwrap();
    write_model(&dir.path().join("src"), &synthetic());
    let f16_report = import(&dir.path().join("src"), dir.path(), &opts()).unwrap();
    let q = ImportOptions {
        name: Some("synth-q8".into()),
        quantize: Some(Quantize::Q8_0),
        force: false,
    };
    let report = import(&dir.path().join("src"), dir.path(), &q).unwrap();
    assert!(
        report.bytes < f16_report.bytes * 3 / 4,
        "{} vs {}",
        report.bytes,
        f16_report.bytes
    );
    let g = read_ggml(&report.path);
    assert_eq!(g.hparams[10], 2007);
    assert_eq!(g.tensors["encoder.blocks.0.attn.query.weight"].1, 8);
    assert_eq!(g.tensors["decoder.token_embedding.weight"].1, 8);
    assert_eq!(g.tensors["encoder.conv1.weight"].1, 1);
    assert_eq!(g.tensors["encoder.positional_embedding"].1, 0);
    assert_eq!(g.tensors["encoder.blocks.0.attn.query.bias"].1, 0);
    whisper_rs::WhisperContext::new_with_params(&report.path, Default::default()).expect("loads");
}

#[test]
fn int8_weights_are_dequantized_with_their_scale() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = synthetic();
    let name = "encoder/layer_0/ffn/linear_0/weight";
    let rows = 4 * D;
    let q: Vec<u8> = (0..rows * D)
        .map(|i| ((i % 255) as i32 - 127) as i8 as u8)
        .collect();
    *m.var_mut(name) = (name.into(), vec![rows, D], 1, q.clone());
    let scales: Vec<u8> = (0..rows)
        .flat_map(|r| (100.0f32 + r as f32).to_le_bytes())
        .collect();
    m.raw(&format!("{name}_scale"), &[rows], 0, scales);
    write_model(&dir.path().join("src"), &m);
    let report = import(&dir.path().join("src"), dir.path(), &opts()).unwrap();
    let g = read_ggml(&report.path);
    let data = &g.tensors["encoder.blocks.0.mlp.0.weight"].2;
    for (i, c) in data.chunks(2).enumerate().step_by(97) {
        let got = f16::from_le_bytes([c[0], c[1]]).to_f32();
        let want = (q[i] as i8 as f32) / (100.0 + (i / D) as f32);
        assert!((got - want).abs() < 1e-3, "{i}: {got} vs {want}");
    }

    // Without a scale the compute type is named and the import refused.
    let mut m = synthetic();
    *m.var_mut(name) = (name.into(), vec![rows, D], 1, q);
    write_model(&dir.path().join("noscale"), &m);
    let err = import(
        &dir.path().join("noscale"),
        dir.path(),
        &ImportOptions {
            force: true,
            ..opts()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("int8"), "{err}");
}

#[test]
fn every_error_is_specific() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let src = dir.path().join("src");
    write_model(&src, &synthetic());

    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    assert!(matches!(
        import(&file, &out, &opts()),
        Err(ImportError::NotADirectory(_))
    ));
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = import(&empty, &out, &opts()).unwrap_err();
    assert!(matches!(err, ImportError::MissingModelBin(_)), "{err}");

    let mut other = synthetic();
    other.spec = "TransformerSpec".into();
    write_model(&dir.path().join("nmt"), &other);
    let err = import(&dir.path().join("nmt"), &out, &opts()).unwrap_err();
    assert!(
        matches!(err, ImportError::NotWhisper(ref s) if s == "TransformerSpec"),
        "{err}"
    );

    let full = synthetic().bytes();
    for cut in [3, 10, 40, 1000, full.len() / 2, full.len() - 5] {
        let t = dir.path().join(format!("trunc{cut}"));
        write_model(&t, &synthetic());
        std::fs::write(t.join("model.bin"), &full[..cut]).unwrap();
        let err = import(&t, &out, &opts()).unwrap_err();
        assert!(
            matches!(err, ImportError::Truncated(_)),
            "cut at {cut}: {err}"
        );
    }

    let mut bad = synthetic();
    bad.var_mut("encoder/conv1/bias").2 = 9;
    write_model(&dir.path().join("dtype"), &bad);
    let err = import(&dir.path().join("dtype"), &out, &opts()).unwrap_err();
    assert!(
        matches!(err, ImportError::UnknownDType { code: 9, .. }),
        "{err}"
    );

    let mut shape = synthetic();
    let v = shape.var_mut("encoder/layer_0/ffn/linear_1/weight");
    v.1 = vec![4 * D, D];
    write_model(&dir.path().join("shape"), &shape);
    let err = import(&dir.path().join("shape"), &out, &opts()).unwrap_err();
    assert!(matches!(err, ImportError::UnexpectedShape { .. }), "{err}");
    assert!(err.to_string().contains("ffn/linear_1"), "{err}");

    let mut key_bias = synthetic();
    key_bias
        .var_mut("encoder/layer_0/self_attention/linear_0/bias")
        .3[D * 2 + 1] = 0x3c;
    write_model(&dir.path().join("kbias"), &key_bias);
    let err = import(&dir.path().join("kbias"), &out, &opts()).unwrap_err();
    assert!(err.to_string().contains("key bias"), "{err}");

    // Nothing partial was left by any failure.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .map(|r| r.flatten().collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    import(&src, &out, &opts()).unwrap();
    let err = import(&src, &out, &opts()).unwrap_err();
    assert!(matches!(err, ImportError::DestinationExists(_)), "{err}");
    assert!(err.to_string().contains("--force"));
    import(
        &src,
        &out,
        &ImportOptions {
            force: true,
            ..opts()
        },
    )
    .unwrap();
    let err = import(
        &src,
        &out,
        &ImportOptions {
            name: Some("../x".into()),
            ..opts()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::InvalidName(_)), "{err}");
}

fn transcribe(
    model_dir: &Path,
    name: &str,
    audio: &Path,
    lang: &str,
) -> susurro::stt::Transcription {
    let engine = susurro::stt::Engine::new(model_dir.to_path_buf());
    transcribe_with(
        &engine.model(&crate::common::name(name)).unwrap(),
        audio,
        lang,
    )
}

#[test]
fn imported_tiny_en_transcribes_jfk() {
    require_model("tiny.en");
    let t = transcribe(&models_dir(), "tiny.en", &jfk_wav(), "en");
    assert_says(JFK, &t.text);
}

#[test]
fn q8_0_tiny_en_is_smaller_and_still_right() {
    let src = require_ct2("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let q = ImportOptions {
        name: Some("tiny.en-q8_0".into()),
        quantize: Some(Quantize::Q8_0),
        force: false,
    };
    let report = import(&src, dir.path(), &q).unwrap();
    let f16_size = std::fs::metadata(require_model("tiny.en")).unwrap().len();
    assert!(
        report.bytes < f16_size * 2 / 3,
        "{} vs {f16_size}",
        report.bytes
    );
    let t = transcribe(dir.path(), "tiny.en-q8_0", &jfk_wav(), "en");
    assert_says(JFK, &t.text);
}

/// The f16 base and the 8-bit one (the default model; on a CPU with AMX its
/// matrix products run on the AMX kernels, vendor/whisper-rs-sys/SUSURRO.md).
#[test]
fn imported_base_transcribes_jfk_and_detects_spanish() {
    for name in ["base", "base-q8_0"] {
        require_model(name);
        base_transcribes_jfk_and_detects_spanish(name);
    }
}

fn base_transcribes_jfk_and_detects_spanish(name: &str) {
    let t = transcribe(&models_dir(), name, &jfk_mp3(), "auto");
    assert_eq!(t.language.as_deref(), Some("en"), "{name}");
    assert_says(JFK, &t.text);

    // Real Spanish speech from ../shared/eval/es when present (needs ../shared);
    // otherwise Spanish spoken by espeak-ng.
    let spanish = match shared_dir() {
        Some(s) => s.join("eval/es/picovoice_test_es.wav"),
        None => espeak_wav(
            "hay que hacer deploy del pull request antes de la reunión de mañana",
            "es",
        ),
    };
    let t = transcribe(&models_dir(), name, &spanish, "auto");
    assert_eq!(t.language.as_deref(), Some("es"), "{name}: {}", t.text);
    if shared_dir().is_some() {
        let reference = "Las arenas son blanquecinas de grano medio y tiene muy poca asistencia.";
        assert!(wer(reference, &t.text) < 0.5, "{name}: {}", t.text);
    }
}

/// The Silero weights the fetch script keeps (from the silero-vad wheel).
fn silero_safetensors() -> std::path::PathBuf {
    let p = models_dir().join("silero/silero_vad_16k.safetensors");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/fetch-test-models",
        p.display()
    );
    p
}

#[test]
fn silero_weights_import_into_a_vad_model_whisper_cpp_loads() {
    use susurro::models::import::silero::import_silero;
    let dir = tempfile::tempdir().unwrap();
    let r = import_silero(
        &silero_safetensors(),
        dir.path(),
        "silero-t",
        [6, 2, 3],
        false,
    )
    .unwrap();
    // whisper.cpp's own converter writes exactly this many bytes for these shapes.
    assert_eq!(r.bytes, 885_098);
    assert_eq!(r.tensors, 15);
    let vad = susurro::stt::SileroVad::load(&r.path).unwrap();
    let settings = susurro::stt::VadSettings::default();
    let speech = susurro::audio::decode_file(&jfk_wav(), 60).unwrap().samples;
    let found = vad.speech(&speech, &settings, 1).unwrap();
    let total: usize = found.iter().map(|r| r.len()).sum();
    assert!(total > speech.len() / 2, "{found:?}");
    let quiet = vec![0.0f32; 16_000 * 5];
    assert!(vad.speech(&quiet, &settings, 1).unwrap().is_empty());
    // An existing model is kept unless forced; a bad name is refused.
    assert!(matches!(
        import_silero(
            &silero_safetensors(),
            dir.path(),
            "silero-t",
            [6, 2, 3],
            false
        ),
        Err(ImportError::DestinationExists(_))
    ));
    assert!(matches!(
        import_silero(&silero_safetensors(), dir.path(), "../x", [6, 2, 3], true),
        Err(ImportError::InvalidName(_))
    ));
}

#[test]
fn broken_safetensors_are_refused_with_a_reason() {
    use susurro::models::import::silero::import_silero;
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(silero_safetensors()).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("header past the end", {
            let mut b = good.clone();
            b[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
            b
        }),
        ("not json", {
            let mut b = 5u64.to_le_bytes().to_vec();
            b.extend_from_slice(b"hello");
            b
        }),
        ("truncated data", good[..good.len() - 100].to_vec()),
        ("a tensor missing", {
            let mut b =
                br#"{"conv1.bias":{"dtype":"F32","shape":[128],"data_offsets":[0,512]}}"#.to_vec();
            let mut out = (b.len() as u64).to_le_bytes().to_vec();
            out.append(&mut b);
            out.extend(std::iter::repeat_n(0u8, 512));
            out
        }),
    ];
    for (name, bytes) in cases {
        let p = dir
            .path()
            .join(format!("{}.safetensors", name.replace(' ', "_")));
        std::fs::write(&p, bytes).unwrap();
        let err = import_silero(&p, dir.path(), "v", [6, 2, 3], true).unwrap_err();
        assert!(!err.to_string().is_empty(), "{name}");
        assert!(
            matches!(
                err,
                ImportError::Format(_) | ImportError::MissingVariable(_)
            ),
            "{name}: {err}"
        );
    }
    assert!(!dir.path().join("ggml-v.bin").exists());
}
