//! Reader for CTranslate2's `model.bin` (binary version 6).
//!
//! Layout: u32 version; string spec name; u32 spec revision; u32 variable
//! count; per variable: string name, u8 rank, u32 dims[rank], u8 dtype, u32
//! byte count, data; then u32 alias count and (alias, target) string pairs.
//! Strings are a u16 length followed by that many bytes, NUL-terminated.

use super::ImportError;
use half::{bf16, f16};
use std::collections::HashMap;

/// CTranslate2's `DataType` enum, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }

    /// The CTranslate2 compute-type name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::I8 => "int8",
            Self::I16 => "int16",
            Self::I32 => "int32",
            Self::F16 => "float16",
            Self::BF16 => "bfloat16",
        }
    }
}

/// One variable: its numpy-order shape, element type and raw little-endian bytes.
#[derive(Debug)]
pub struct Variable<'a> {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements (1 for a scalar).
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// The values as f32, whatever the stored type.
    pub fn to_f32(&self) -> Vec<f32> {
        let d = self.data;
        match self.dtype {
            DType::F32 => d
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            DType::F16 => d
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::BF16 => d
                .chunks_exact(2)
                .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::I8 => d.iter().map(|&b| b as i8 as f32).collect(),
            DType::I16 => d
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32)
                .collect(),
            DType::I32 => d
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
                .collect(),
        }
    }

    /// A scalar's value as an integer.
    pub fn scalar_i64(&self) -> Option<i64> {
        (self.elements() == 1).then(|| self.to_f32()[0] as i64)
    }
}

/// A parsed `model.bin`, borrowing the file's bytes.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    pub spec: String,
    pub revision: u32,
    vars: HashMap<String, Variable<'a>>,
    aliases: HashMap<String, String>,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImportError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                ImportError::Truncated(format!(
                    "model.bin ends at byte {} while reading {what} ({n} bytes at offset {})",
                    self.buf.len(),
                    self.pos
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ImportError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, ImportError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, ImportError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self, what: &str) -> Result<String, ImportError> {
        let n = self.u16(what)? as usize;
        let b = self.take(n, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec())
            .map_err(|_| ImportError::Format(format!("{what} is not valid UTF-8")))
    }
}

impl<'a> Ct2Model<'a> {
    /// Parses the whole file. Only binary version 6 (current CTranslate2) is accepted.
    pub fn parse(buf: &'a [u8]) -> Result<Self, ImportError> {
        let mut c = Cursor { buf, pos: 0 };
        let version = c.u32("binary version")?;
        if !(5..=6).contains(&version) {
            return Err(ImportError::Format(format!(
                "unsupported CTranslate2 binary version {version} (expected 6)"
            )));
        }
        let spec = c.string("spec name")?;
        if spec != "WhisperSpec" {
            return Err(ImportError::NotWhisper(spec));
        }
        let revision = c.u32("spec revision")?;
        let count = c.u32("variable count")?;
        let mut vars = HashMap::new();
        for _ in 0..count {
            let name = c.string("variable name")?;
            let rank = c.u8("rank")? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(c.u32("dimension")? as usize);
            }
            let code = c.u8("dtype")?;
            let dtype = DType::from_code(code).ok_or_else(|| ImportError::UnknownDType {
                name: name.clone(),
                code,
            })?;
            let nbytes = c.u32("byte count")? as usize;
            let elems: usize = shape.iter().product();
            if elems * dtype.size() != nbytes {
                return Err(ImportError::Format(format!(
                    "variable {name}: shape {shape:?} of {} needs {} bytes but the file says {nbytes}",
                    dtype.name(),
                    elems * dtype.size()
                )));
            }
            let data = c.take(nbytes, &format!("data of {name}"))?;
            vars.insert(name, Variable { shape, dtype, data });
        }
        let mut aliases = HashMap::new();
        // Older files may end without an alias table.
        if c.pos < buf.len() {
            let n = c.u32("alias count")?;
            for _ in 0..n {
                let alias = c.string("alias name")?;
                let target = c.string("alias target")?;
                aliases.insert(alias, target);
            }
        }
        Ok(Self {
            spec,
            revision,
            vars,
            aliases,
        })
    }

    /// Looks a variable up by name, following aliases.
    pub fn get(&self, name: &str) -> Option<&Variable<'a>> {
        self.vars
            .get(name)
            .or_else(|| self.aliases.get(name).and_then(|t| self.vars.get(t)))
    }

    /// Like [`get`](Self::get), but a missing variable is an error.
    pub fn require(&self, name: &str) -> Result<&Variable<'a>, ImportError> {
        self.get(name)
            .ok_or_else(|| ImportError::MissingVariable(name.to_string()))
    }

    /// Every variable name (aliases excluded).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}
