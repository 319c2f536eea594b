//! Model files checked before whisper.cpp sees them. whisper.cpp trusts a
//! model's header: a bad type id or an absurd size ends in an abort
//! (`GGML_ASSERT`) or an allocation that cannot succeed, which no caller can
//! catch. So every file is read here first, without loading it: its kind
//! (a whisper model or a Silero VAD model: one is never loaded as the
//! other), hyper-parameters within the range of real models, bounded
//! filterbank and vocabulary, and each tensor's header (dimensions, known
//! type, name) with data that fits the file exactly. The weights the
//! hyper-parameters call for must also be in the file, so a small file
//! cannot make whisper.cpp allocate a large model.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

const GGML_MAGIC: u32 = 0x6767_6d6c;

/// What a model file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A whisper.cpp speech-to-text model.
    Whisper,
    /// A Silero voice-activity model in whisper.cpp's format.
    Vad,
}

/// A file that is not a model whisper.cpp can load safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable model file: {0}")]
pub struct BadModel(pub String);

fn bad(m: impl Into<String>) -> BadModel {
    BadModel(m.into())
}

/// The kind of `path` from its first bytes; `None` when it is neither.
pub fn kind_of(path: &Path) -> Option<ModelKind> {
    let mut head = [0u8; 18];
    let mut f = File::open(path).ok()?;
    f.read_exact(&mut head).ok()?;
    if u32::from_le_bytes([head[0], head[1], head[2], head[3]]) != GGML_MAGIC {
        return None;
    }
    let next = i32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if (1..=32).contains(&next) && head[8..].starts_with(b"silero") {
        Some(ModelKind::Vad)
    } else {
        Some(ModelKind::Whisper)
    }
}

struct Reader {
    r: BufReader<File>,
    len: u64,
}

impl Reader {
    fn open(path: &Path) -> Result<Self, BadModel> {
        let f = File::open(path).map_err(|e| bad(format!("cannot open: {e}")))?;
        let len = f.metadata().map_err(|e| bad(e.to_string()))?.len();
        Ok(Self {
            r: BufReader::new(f),
            len,
        })
    }

    fn pos(&mut self) -> Result<u64, BadModel> {
        self.r.stream_position().map_err(|e| bad(e.to_string()))
    }

    fn i32(&mut self, what: &str) -> Result<i32, BadModel> {
        let mut b = [0u8; 4];
        self.r
            .read_exact(&mut b)
            .map_err(|_| bad(format!("the file ends before its {what}")))?;
        Ok(i32::from_le_bytes(b))
    }

    fn ranged(
        &mut self,
        what: &str,
        range: std::ops::RangeInclusive<i32>,
    ) -> Result<i32, BadModel> {
        let v = self.i32(what)?;
        if range.contains(&v) {
            Ok(v)
        } else {
            Err(bad(format!("{what} = {v}, outside {range:?}")))
        }
    }

    /// Skips `n` bytes that must be inside the file.
    fn skip(&mut self, n: u64, what: &str) -> Result<(), BadModel> {
        let pos = self.pos()?;
        if pos.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(bad(format!("{what} runs past the end of the file")));
        }
        self.r
            .seek_relative(n as i64)
            .map_err(|e| bad(e.to_string()))
    }

    fn at_end(&mut self) -> Result<bool, BadModel> {
        Ok(self.pos()? >= self.len)
    }
}

/// ggml tensor types a model may hold: (block of elements, bytes a block).
fn type_size(t: i32) -> Option<(u64, u64)> {
    Some(match t {
        0 => (1, 4),      // F32
        1 => (1, 2),      // F16
        2 => (32, 18),    // Q4_0
        3 => (32, 20),    // Q4_1
        6 => (32, 22),    // Q5_0
        7 => (32, 24),    // Q5_1
        8 => (32, 34),    // Q8_0
        10 => (256, 84),  // Q2_K
        11 => (256, 110), // Q3_K
        12 => (256, 144), // Q4_K
        13 => (256, 176), // Q5_K
        14 => (256, 210), // Q6_K
        30 => (1, 2),     // BF16
        _ => return None,
    })
}

/// Reads every tensor header to the end of the file; returns the tensors'
/// element count.
fn tensors(r: &mut Reader) -> Result<u64, BadModel> {
    let (mut count, mut elements) = (0u32, 0u64);
    while !r.at_end()? {
        count += 1;
        if count > 10_000 {
            return Err(bad("more than 10000 tensors"));
        }
        // A scalar (0 dimensions) holds one element.
        let dims = r.ranged("tensor dimensions", 0..=4)?;
        let name_len = r.ranged("tensor name length", 1..=128)?;
        let ty = r.i32("tensor type")?;
        let (block, block_bytes) =
            type_size(ty).ok_or_else(|| bad(format!("tensor {count}: unknown type {ty}")))?;
        let mut n: u64 = 1;
        let mut ne0 = 1;
        for d in 0..dims {
            let e = r.ranged("tensor size", 1..=(1 << 24))? as u64;
            if d == 0 {
                ne0 = e;
            }
            n = n.saturating_mul(e);
        }
        if ne0 % block != 0 || n > 1 << 32 {
            return Err(bad(format!("tensor {count}: sizes do not fit type {ty}")));
        }
        let mut name = vec![0u8; name_len as usize];
        r.r.read_exact(&mut name)
            .map_err(|_| bad("the file ends inside a tensor name"))?;
        if !name.iter().all(|b| b.is_ascii_graphic()) {
            return Err(bad(format!("tensor {count}: name is not plain text")));
        }
        r.skip(n / block * block_bytes, "a tensor's data")?;
        elements += n;
    }
    if count == 0 {
        return Err(bad("no tensors"));
    }
    Ok(elements)
}

/// Checks a whisper model file.
pub fn check_whisper(path: &Path) -> Result<(), BadModel> {
    let mut r = Reader::open(path)?;
    if r.i32("magic")? as u32 != GGML_MAGIC {
        return Err(bad("no ggml magic at the start"));
    }
    if kind_of(path) == Some(ModelKind::Vad) {
        return Err(bad("this is a VAD model, not a whisper model"));
    }
    let n_vocab = r.ranged("n_vocab", 1..=52_000)?;
    let _audio_ctx = r.ranged("n_audio_ctx", 1..=1500)?;
    let audio_state = r.ranged("n_audio_state", 1..=1280)?;
    let audio_head = r.ranged("n_audio_head", 1..=20)?;
    let audio_layer = r.ranged("n_audio_layer", 1..=32)?;
    let _text_ctx = r.ranged("n_text_ctx", 1..=448)?;
    let text_state = r.ranged("n_text_state", 1..=1280)?;
    let text_head = r.ranged("n_text_head", 1..=20)?;
    let text_layer = r.ranged("n_text_layer", 1..=32)?;
    let n_mels = r.ranged("n_mels", 80..=128)?;
    let ftype = r.ranged("ftype", 0..=10_999)?;
    if audio_state % audio_head != 0 || text_state % text_head != 0 {
        return Err(bad("a state size is not a multiple of its head count"));
    }
    if ![0, 1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14].contains(&(ftype % 1000)) {
        return Err(bad(format!("ftype = {ftype}: unknown weight type")));
    }
    let mel = r.ranged("filterbank n_mel", n_mels..=n_mels)?;
    let fft = r.ranged("filterbank n_fft", 201..=201)?;
    r.skip(mel as u64 * fft as u64 * 4, "the filterbank")?;
    let tokens = r.ranged("vocabulary size", 0..=n_vocab)?;
    for _ in 0..tokens {
        let len = r.ranged("token length", 0..=1024)?;
        r.skip(len as u64, "the vocabulary")?;
    }
    let found = tensors(&mut r)?;
    // The layers' main matrices alone (attention 4·s², MLP 8·s²; the
    // decoder's cross-attention 4·s² more) and the token embedding.
    let (sa, st) = (audio_state as u64, text_state as u64);
    let expected =
        audio_layer as u64 * 12 * sa * sa + text_layer as u64 * 16 * st * st + n_vocab as u64 * st;
    if found < expected / 10 * 9 {
        return Err(bad(format!(
            "its header describes a model of about {expected} weights but it holds {found}"
        )));
    }
    Ok(())
}

/// Checks a Silero VAD model file (whisper.cpp's VAD format).
pub fn check_vad(path: &Path) -> Result<(), BadModel> {
    let mut r = Reader::open(path)?;
    if r.i32("magic")? as u32 != GGML_MAGIC {
        return Err(bad("no ggml magic at the start"));
    }
    let kind_len = r.ranged("model type length", 1..=32)?;
    let mut kind = vec![0u8; kind_len as usize];
    r.r.read_exact(&mut kind)
        .map_err(|_| bad("the file ends inside its model type"))?;
    if !kind.starts_with(b"silero") {
        return Err(bad("not a Silero VAD model"));
    }
    for what in ["major version", "minor version", "patch version"] {
        r.ranged(what, 0..=1000)?;
    }
    r.ranged("window size", 1..=4096)?;
    r.ranged("context size", 0..=4096)?;
    let layers = r.ranged("encoder layers", 1..=16)?;
    for _ in 0..layers * 3 {
        r.ranged("encoder dimension", 1..=4096)?;
    }
    for what in [
        "LSTM input",
        "LSTM hidden",
        "final conv in",
        "final conv out",
    ] {
        r.ranged(what, 1..=4096)?;
    }
    tensors(&mut r)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i32s(v: &[i32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn whisper_header(hp: [i32; 11]) -> Vec<u8> {
        let mut b = GGML_MAGIC.to_le_bytes().to_vec();
        b.extend(i32s(&hp));
        b
    }

    #[test]
    fn refuses_what_would_abort_whisper_cpp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.bin");
        let tiny = [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1];
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not a model at all".to_vec(), "magic"),
            (whisper_header(tiny), "filterbank"),
            (
                whisper_header([51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 77]),
                "ftype",
            ),
            (
                whisper_header([51864, 1500, 1 << 30, 6, 4, 448, 384, 6, 4, 80, 1]),
                "n_audio_state",
            ),
            (
                [whisper_header(tiny), i32s(&[80, 201])].concat(),
                "filterbank runs past",
            ),
            (
                [whisper_header(tiny), i32s(&[80, 1 << 30])].concat(),
                "n_fft",
            ),
        ];
        for (bytes, expect) in cases {
            std::fs::write(&p, &bytes).unwrap();
            let e = check_whisper(&p).unwrap_err();
            assert!(e.0.contains(expect), "{expect}: {e}");
        }
        let mut vad = GGML_MAGIC.to_le_bytes().to_vec();
        vad.extend(i32s(&[10]));
        vad.extend(b"silero-16k");
        std::fs::write(&p, &vad).unwrap();
        assert_eq!(kind_of(&p), Some(ModelKind::Vad));
        assert!(check_whisper(&p).unwrap_err().0.contains("VAD model"));
    }

    #[test]
    fn a_small_file_cannot_claim_a_large_model() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.bin");
        let mut b = whisper_header([51864, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128, 1]);
        b.extend(i32s(&[128, 201]));
        b.extend(vec![0u8; 128 * 201 * 4]);
        b.extend(i32s(&[0]));
        // One small tensor.
        b.extend(i32s(&[1, 1, 0, 4]));
        b.push(b'x');
        b.extend(vec![0u8; 16]);
        std::fs::write(&p, &b).unwrap();
        let e = check_whisper(&p).unwrap_err();
        assert!(e.0.contains("holds 4"), "{e}");
    }
}
