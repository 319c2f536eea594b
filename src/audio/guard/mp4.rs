//! ISO-BMFF (MP4, M4A, MOV) atoms: every atom fits in its parent, every
//! table's entry count fits in its atom, every sample size fits in the
//! file, and no atom is shorter than the fixed fields symphonia subtracts
//! from its length.

use super::{check_fits, malformed, Bytes};
use crate::audio::AudioError;

/// Atoms whose payload is a list of atoms.
const CONTAINERS: &[&[u8; 4]] = &[
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"mvex", b"moof",
    b"traf", b"mfra", b"sinf", b"schi", b"wave",
];

/// Atoms never read into memory: they may run past the end of a truncated file.
const STREAMED: &[&[u8; 4]] = &[b"mdat", b"free", b"skip", b"wide"];

/// Audio sample entries inside `stsd` (children follow the fixed fields).
const SOUND_ENTRIES: &[&[u8; 4]] = &[
    b"mp4a", b"alac", b"Opus", b"fLaC", b".mp3", b"ac-3", b"lpcm", b"sowt", b"twos", b"raw ",
    b"in24", b"in32", b"fl32", b"fl64", b"ulaw", b"alaw",
];

/// Deepest nesting walked (real files use under 10).
const MAX_DEPTH: usize = 16;

struct Walk<'a, 'b> {
    b: &'a Bytes<'b>,
}

/// One atom: its type, where its payload starts and ends.
struct Atom {
    kind: [u8; 4],
    data: u64,
    end: u64,
}

impl Walk<'_, '_> {
    /// Reads the atom header at `pos` inside a parent ending at `end`.
    fn header(&self, pos: u64, end: u64) -> Result<Atom, AudioError> {
        let size = u64::from(self.b.be_u32(pos)?);
        let kind = self.b.at::<4>(pos + 4)?;
        let (hdr, total) = match size {
            0 => (8, end - pos),
            1 => (16, self.b.be_u64(pos + 8)?),
            n => (8, n),
        };
        if total < hdr {
            return Err(malformed(format!(
                "mp4: atom {} of {total} bytes",
                String::from_utf8_lossy(&kind)
            )));
        }
        if !(STREAMED.contains(&&kind) && end >= self.b.len) {
            check_fits(self.b, "mp4 atom", pos, total, end)?;
        }
        Ok(Atom {
            kind,
            data: pos + hdr,
            end: (pos + total).min(end).min(self.b.len),
        })
    }

    /// Walks the atoms in `[pos, end)`.
    fn list(&self, mut pos: u64, end: u64, depth: usize) -> Result<(), AudioError> {
        if depth > MAX_DEPTH {
            return Err(malformed("mp4: atoms nested too deeply"));
        }
        while pos + 8 <= end.min(self.b.len) {
            let atom = self.header(pos, end)?;
            self.atom(&atom, depth)?;
            if atom.end <= pos {
                break;
            }
            pos = atom.end;
        }
        Ok(())
    }

    fn atom(&self, a: &Atom, depth: usize) -> Result<(), AudioError> {
        let need = |n: u64| need(a, n);
        match &a.kind {
            k if CONTAINERS.contains(&k) => self.list(a.data, a.end, depth + 1)?,
            b"ilst" => self.ilst(a, depth)?,
            b"meta" => {
                need(4)?;
                self.list(a.data + 4, a.end, depth + 1)?;
            }
            b"stsd" => {
                need(8)?;
                self.sample_entries(a.data + 8, a.end, depth)?;
            }
            b"hdlr" => need(24)?,
            b"data" => need(8)?,
            b"mean" | b"name" => need(4)?,
            b"stco" | b"stss" => self.table(a, 4)?,
            b"co64" | b"stts" | b"ctts" => self.table(a, 8)?,
            b"stsc" => self.table(a, 12)?,
            b"elst" => self.elst(a)?,
            b"stsz" => self.stsz(a)?,
            b"trun" => self.trun(a)?,
            b"tfhd" => self.tfhd(a)?,
            b"trex" => {
                need(24)?;
                self.sample_size(u64::from(self.b.be_u32(a.data + 16)?))?;
            }
            b"esds" => {
                need(4)?;
                self.descriptors(a.data + 4, a.end, 0)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Metadata items: each holds `data`, `mean` and `name` atoms.
    fn ilst(&self, a: &Atom, depth: usize) -> Result<(), AudioError> {
        let mut pos = a.data;
        while pos + 8 <= a.end {
            let item = self.header(pos, a.end)?;
            self.list(item.data, item.end, depth + 2)?;
            if item.end <= pos {
                break;
            }
            pos = item.end;
        }
        Ok(())
    }

    /// An edit list: entries of 20 bytes (version 1) or 12.
    fn elst(&self, a: &Atom) -> Result<(), AudioError> {
        need(a, 8)?;
        let width = if self.b.at::<1>(a.data)?[0] == 1 {
            20
        } else {
            12
        };
        self.table(a, width)
    }

    /// A full atom of `count` entries of `width` bytes after version/flags.
    fn table(&self, a: &Atom, width: u64) -> Result<(), AudioError> {
        let count = u64::from(self.b.be_u32(a.data + 4)?);
        let room = (a.end - a.data).saturating_sub(8);
        if count.saturating_mul(width) > room {
            return Err(malformed(format!(
                "mp4: {} declares {count} entries in {room} bytes",
                String::from_utf8_lossy(&a.kind)
            )));
        }
        Ok(())
    }

    fn sample_size(&self, size: u64) -> Result<(), AudioError> {
        if size > self.b.len {
            return Err(malformed(format!(
                "mp4: a sample of {size} bytes in a file of {}",
                self.b.len
            )));
        }
        Ok(())
    }

    fn stsz(&self, a: &Atom) -> Result<(), AudioError> {
        let fixed = u64::from(self.b.be_u32(a.data + 4)?);
        let count = u64::from(self.b.be_u32(a.data + 8)?);
        if fixed != 0 {
            return self.sample_size(fixed);
        }
        let room = (a.end - a.data).saturating_sub(12);
        if count.saturating_mul(4) > room {
            return Err(malformed(format!(
                "mp4: stsz declares {count} samples in {room} bytes"
            )));
        }
        let mut pos = a.data + 12;
        let stop = pos + count * 4;
        while pos < stop {
            let chunk = self.b.up_to(pos, (stop - pos).min(1 << 16) as usize)?;
            for s in chunk.chunks_exact(4) {
                self.sample_size(u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]])))?;
            }
            pos += chunk.len() as u64;
        }
        Ok(())
    }

    fn tfhd(&self, a: &Atom) -> Result<(), AudioError> {
        let flags = u32::from_be_bytes(self.b.at::<4>(a.data)?) & 0x00FF_FFFF;
        // track id, then optional fields in order: base offset (8), description
        // index (4), default duration (4), default size (4).
        let mut pos = a.data + 8;
        for (bit, width) in [(0x01, 8), (0x02, 4), (0x08, 4)] {
            if flags & bit != 0 {
                pos += width;
            }
        }
        if flags & 0x10 != 0 {
            check_fits(self.b, "mp4 tfhd", pos, 4, a.end)?;
            self.sample_size(u64::from(self.b.be_u32(pos)?))?;
        }
        Ok(())
    }

    fn trun(&self, a: &Atom) -> Result<(), AudioError> {
        let flags = u32::from_be_bytes(self.b.at::<4>(a.data)?) & 0x00FF_FFFF;
        let count = u64::from(self.b.be_u32(a.data + 4)?);
        let mut pos = a.data + 8;
        pos += if flags & 0x01 != 0 { 4 } else { 0 };
        pos += if flags & 0x04 != 0 { 4 } else { 0 };
        let fields = [0x100, 0x200, 0x400, 0x800]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count() as u64;
        if fields == 0 {
            // Sizes from the defaults: each sample still takes a byte of the
            // file at least (a demuxer walks every declared sample).
            if count > self.b.len {
                return Err(malformed(format!(
                    "mp4: trun declares {count} samples in a file of {} bytes",
                    self.b.len
                )));
            }
            return Ok(());
        }
        let room = a.end.saturating_sub(pos);
        if count.saturating_mul(4 * fields) > room {
            return Err(malformed(format!(
                "mp4: trun declares {count} samples in {room} bytes"
            )));
        }
        if flags & 0x200 != 0 {
            let before = if flags & 0x100 != 0 { 4 } else { 0 };
            for i in 0..count {
                let at = pos + i * 4 * fields + before;
                self.sample_size(u64::from(self.b.be_u32(at)?))?;
            }
        }
        Ok(())
    }

    /// `stsd` entries; sound entries hold atoms after their fixed fields.
    fn sample_entries(&self, mut pos: u64, end: u64, depth: usize) -> Result<(), AudioError> {
        while pos + 8 <= end.min(self.b.len) {
            let e = self.header(pos, end)?;
            if SOUND_ENTRIES.contains(&&e.kind) && e.end - e.data >= 28 {
                let version = u16::from_be_bytes(self.b.at::<2>(e.data + 8)?);
                let fixed = match version {
                    0 => 28,
                    1 => 44,
                    _ => 64,
                };
                if e.data + fixed < e.end {
                    self.list(e.data + fixed, e.end, depth + 2)?;
                }
            }
            if e.end <= pos {
                break;
            }
            pos = e.end;
        }
        Ok(())
    }

    /// MPEG-4 descriptors inside `esds`: each length fits in its parent.
    fn descriptors(&self, mut pos: u64, end: u64, depth: usize) -> Result<(), AudioError> {
        if depth > 4 {
            return Ok(());
        }
        while pos + 2 <= end {
            let tag = self.b.at::<1>(pos)?[0];
            pos += 1;
            let mut len = 0u64;
            for _ in 0..4 {
                let v = self.b.at::<1>(pos)?[0];
                pos += 1;
                len = (len << 7) | u64::from(v & 0x7F);
                if v & 0x80 == 0 {
                    break;
                }
            }
            check_fits(self.b, "mp4 esds descriptor", pos, len, end)?;
            let body = pos;
            pos += len;
            match tag {
                // ES_Descriptor: id (2), flags (1), then optional fields, then children.
                0x03 => {
                    let flags = self.b.at::<1>(body + 2)?[0];
                    let mut child = body + 3;
                    if flags & 0x80 != 0 {
                        child += 2;
                    }
                    if flags & 0x40 != 0 {
                        child += 1 + u64::from(self.b.at::<1>(child)?[0]);
                    }
                    if flags & 0x20 != 0 {
                        child += 2;
                    }
                    self.descriptors(child, pos.min(end), depth + 1)?;
                }
                // DecoderConfigDescriptor: 13 fixed bytes, then DecoderSpecificInfo.
                0x04 => self.descriptors(body + 13, pos.min(end), depth + 1)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Checks an MP4/M4A/MOV file.
pub fn check(b: &Bytes) -> Result<(), AudioError> {
    Walk { b }.list(0, b.len, 0)
}

/// Refuses an atom whose payload is shorter than `n` bytes.
fn need(a: &Atom, n: u64) -> Result<(), AudioError> {
    let payload = a.end - a.data;
    if payload < n {
        Err(malformed(format!(
            "mp4: {} atom of {payload} bytes, needs {n}",
            String::from_utf8_lossy(&a.kind)
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::file_with;
    use super::*;

    fn atom(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn run(bytes: &[u8]) -> Result<(), AudioError> {
        let (f, len) = file_with(bytes);
        let file = f.reopen().unwrap();
        check(&Bytes::new(&file, len))
    }

    #[test]
    fn tables_must_fit_their_atoms() {
        let ok = atom(b"stco", &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9]);
        let moov = atom(b"moov", &atom(b"trak", &ok));
        run(&moov).unwrap();
        let bad = atom(b"stco", &[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 9]);
        let moov = atom(b"moov", &atom(b"trak", &bad));
        assert!(matches!(run(&moov), Err(AudioError::Malformed(_))));
    }

    #[test]
    fn sample_sizes_and_short_atoms_are_refused() {
        let stsz = atom(b"stsz", &[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 1]);
        assert!(run(&atom(b"moov", &stsz)).is_err());
        let hdlr = atom(b"hdlr", &[0; 10]);
        assert!(run(&atom(b"moov", &hdlr)).is_err());
        // A child larger than its parent.
        let mut inner = atom(b"trak", &[0; 8]);
        inner[0..4].copy_from_slice(&1000u32.to_be_bytes());
        let mut file = atom(b"moov", &inner);
        file.extend_from_slice(&atom(b"free", &[0; 2000]));
        assert!(run(&file).is_err());
    }
}
