//! Vorbis headers (identification + setup, as symphonia's decoder receives
//! them): the codebooks a decoder builds are sized by `entries ×
//! dimensions` from the setup header, so they are bounded here the way
//! libvorbis bounds them (`ilog(dimensions) + ilog(entries) <= 24`), with a
//! cap on the entries of all codebooks together.

use super::malformed;
use crate::audio::limits::{check_channels, check_sample_rate};
use crate::audio::AudioError;

/// All codebooks of a stream together (real encoders use well under 10^6).
const MAX_TOTAL_ENTRIES: u64 = 1 << 22;

/// LSB-first bit reader, as Vorbis packs its headers.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Result<u32, AudioError> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = self
                .data
                .get(self.pos / 8)
                .ok_or_else(|| malformed("vorbis: setup header ends early"))?;
            v |= u32::from((byte >> (self.pos % 8)) & 1) << i;
            self.pos += 1;
        }
        Ok(v)
    }

    fn skip(&mut self, n: u64) -> Result<(), AudioError> {
        let end = (self.pos as u64).saturating_add(n);
        if end > self.data.len() as u64 * 8 {
            return Err(malformed("vorbis: setup header ends early"));
        }
        self.pos = end as usize;
        Ok(())
    }
}

fn ilog(v: u32) -> u32 {
    32 - v.leading_zeros()
}

/// Checks identification + setup headers laid out back to back.
pub fn check_headers(extra: &[u8]) -> Result<(), AudioError> {
    if extra.len() < 30 || !extra.starts_with(b"\x01vorbis") {
        return Err(malformed("vorbis: missing identification header"));
    }
    check_channels(u32::from(extra[11]))?;
    check_sample_rate(u32::from_le_bytes([
        extra[12], extra[13], extra[14], extra[15],
    ]))?;
    let (bs0, bs1) = (extra[28] & 0x0F, extra[28] >> 4);
    if !(6..=13).contains(&bs0) || !(6..=13).contains(&bs1) || bs0 > bs1 {
        return Err(malformed("vorbis: invalid block sizes"));
    }
    let setup = &extra[30..];
    if !setup.starts_with(b"\x05vorbis") {
        return Err(malformed("vorbis: missing setup header"));
    }
    check_codebooks(&setup[7..])
}

fn check_codebooks(data: &[u8]) -> Result<(), AudioError> {
    let mut bits = Bits { data, pos: 0 };
    let count = bits.read(8)? + 1;
    let mut total: u64 = 0;
    for _ in 0..count {
        if bits.read(24)? != 0x564342 {
            return Err(malformed("vorbis: invalid codebook sync"));
        }
        let dims = bits.read(16)?;
        let entries = bits.read(24)?;
        if dims == 0 || entries == 0 || ilog(dims) + ilog(entries) > 24 {
            return Err(malformed(format!(
                "vorbis: codebook of {entries} entries × {dims} dimensions"
            )));
        }
        total += u64::from(entries);
        if total > MAX_TOTAL_ENTRIES {
            return Err(malformed("vorbis: codebooks too large"));
        }
        if bits.read(1)? == 1 {
            // Length-ordered: runs of lengths until all entries are covered.
            bits.skip(5)?;
            let mut cur = 0u32;
            while cur < entries {
                cur = cur.saturating_add(bits.read(ilog(entries - cur))?);
            }
            if cur > entries {
                return Err(malformed("vorbis: invalid codebook"));
            }
        } else if bits.read(1)? == 1 {
            for _ in 0..entries {
                if bits.read(1)? == 1 {
                    bits.skip(5)?;
                }
            }
        } else {
            bits.skip(5 * u64::from(entries))?;
        }
        match bits.read(4)? {
            0 => {}
            t @ (1 | 2) => {
                bits.skip(64)?;
                let value_bits = bits.read(4)? + 1;
                bits.skip(1)?;
                let values = if t == 1 {
                    lookup1_values(entries, dims)
                } else {
                    u64::from(entries) * u64::from(dims)
                };
                bits.skip(values * u64::from(value_bits))?;
            }
            _ => return Err(malformed("vorbis: invalid codebook lookup type")),
        }
    }
    Ok(())
}

/// The largest `v` with `v^dims <= entries`.
fn lookup1_values(entries: u32, dims: u32) -> u64 {
    let mut v = (f64::from(entries)).powf(1.0 / f64::from(dims)).floor() as u64;
    let pow = |x: u64| x.checked_pow(dims).unwrap_or(u64::MAX);
    while v > 0 && pow(v) > u64::from(entries) {
        v -= 1;
    }
    while pow(v + 1) <= u64::from(entries) {
        v += 1;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs (value, bits) pairs LSB-first.
    fn pack(fields: &[(u32, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = 0usize;
        for &(v, n) in fields {
            for i in 0..n {
                if pos.is_multiple_of(8) {
                    out.push(0);
                }
                if (v >> i) & 1 == 1 {
                    let last = out.len() - 1;
                    out[last] |= 1 << (pos % 8);
                }
                pos += 1;
            }
        }
        out
    }

    fn headers(codebook: &[(u32, u32)]) -> Vec<u8> {
        let mut ident = b"\x01vorbis".to_vec();
        ident.extend_from_slice(&[0, 0, 0, 0, 1]);
        ident.extend_from_slice(&16_000u32.to_le_bytes());
        ident.extend_from_slice(&[0; 12]);
        ident.push(0xB8);
        ident.push(1);
        let mut setup = b"\x05vorbis".to_vec();
        let mut fields = vec![(0, 8)];
        fields.extend_from_slice(codebook);
        setup.extend_from_slice(&pack(&fields));
        [ident, setup].concat()
    }

    #[test]
    fn small_codebooks_pass_and_huge_ones_do_not() {
        // 4 entries, 2 dims, dense lengths, no lookup.
        let mut ok = vec![(0x564342, 24), (2, 16), (4, 24), (0, 1), (0, 1)];
        ok.extend([(1, 5); 4]);
        ok.push((0, 4));
        check_headers(&headers(&ok)).unwrap();
        // 2^20 entries × 2^15 dimensions, length-ordered (a few bits for all).
        let huge = [
            (0x564342, 24),
            (1 << 15, 16),
            (1 << 20, 24),
            (1, 1),
            (0, 5),
            (1 << 20, 21),
            (0, 4),
        ];
        assert!(matches!(
            check_headers(&headers(&huge)),
            Err(AudioError::Malformed(_))
        ));
        assert_eq!(lookup1_values(16, 2), 4);
        assert_eq!(lookup1_values(17, 2), 4);
    }
}
