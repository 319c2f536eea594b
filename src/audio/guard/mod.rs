//! Structure checks that run before symphonia sees a file.
//!
//! symphonia's demuxers size buffers from header fields (atom and element
//! lengths, table entry counts, comment lengths) before reading the bytes
//! those fields describe. A failed allocation aborts the process, which no
//! handler can catch, so every such field is checked here first against
//! the bytes that actually follow it. Nothing here allocates more than a
//! small, fixed amount; files are read with positioned reads.

mod mkv;
mod mp4;
pub(super) mod vorbis;
mod xiph;

use super::AudioError;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// A declared size that runs past the end of a truncated file is tolerated
/// up to this (the reader fails at the end of the file after allocating it).
const TRUNCATION_SLACK: u64 = 16 << 20;

/// Positioned, bounds-checked reads of a file.
pub(super) struct Bytes<'a> {
    file: &'a File,
    /// The file's length.
    pub len: u64,
}

impl<'a> Bytes<'a> {
    pub fn new(file: &'a File, len: u64) -> Self {
        Self { file, len }
    }

    /// `N` bytes at `pos`; an error at the end of the file.
    pub fn at<const N: usize>(&self, pos: u64) -> Result<[u8; N], AudioError> {
        let mut buf = [0u8; N];
        self.fill(pos, &mut buf)?;
        Ok(buf)
    }

    /// Fills `buf` from `pos`.
    pub fn fill(&self, pos: u64, buf: &mut [u8]) -> Result<(), AudioError> {
        if pos.saturating_add(buf.len() as u64) > self.len {
            return Err(truncated());
        }
        self.file.read_exact_at(buf, pos)?;
        Ok(())
    }

    /// Up to `max` bytes at `pos` (fewer at the end of the file).
    pub fn up_to(&self, pos: u64, max: usize) -> Result<Vec<u8>, AudioError> {
        let n = (self.len.saturating_sub(pos)).min(max as u64) as usize;
        let mut buf = vec![0u8; n];
        self.fill(pos, &mut buf)?;
        Ok(buf)
    }

    pub fn be_u32(&self, pos: u64) -> Result<u32, AudioError> {
        self.at::<4>(pos).map(u32::from_be_bytes)
    }

    pub fn be_u64(&self, pos: u64) -> Result<u64, AudioError> {
        self.at::<8>(pos).map(u64::from_be_bytes)
    }
}

pub(super) fn truncated() -> AudioError {
    AudioError::NoAudio(Some("truncated file".into()))
}

pub(super) fn malformed(msg: impl Into<String>) -> AudioError {
    AudioError::Malformed(msg.into())
}

/// Checks that a size declared at `pos` fits in `end` (the end of what
/// contains it), or, past the end of the file, stays small.
pub(super) fn check_fits(
    b: &Bytes,
    what: &str,
    pos: u64,
    size: u64,
    end: u64,
) -> Result<(), AudioError> {
    let stop = pos.saturating_add(size);
    if stop <= end || (end >= b.len && size <= TRUNCATION_SLACK) {
        Ok(())
    } else {
        Err(malformed(format!(
            "{what} declares {size} bytes at offset {pos}, past the end of what contains it ({end})"
        )))
    }
}

/// Checks the structure of a file whose first bytes name `container`
/// (see [`super::sniff_container`]). Returns the container after any
/// leading ID3v2 tag (`mp3`, or e.g. `flac` for FLAC behind an ID3 tag).
pub fn check(file: &File, len: u64, container: &'static str) -> Result<&'static str, AudioError> {
    let b = Bytes::new(file, len);
    let mut start = 0;
    let mut container = container;
    if &b.up_to(0, 3)?[..] == b"ID3" {
        start = id3v2_end(&b)?;
        let head = b.up_to(start, 16)?;
        container = match super::sniff_container(&head) {
            Some("flac") => "flac",
            Some("adts") => "adts",
            _ => "mp3",
        };
    }
    match container {
        "mp4" => mp4::check(&b)?,
        "matroska" => mkv::check(&b)?,
        "flac" => xiph::check_flac(&b, start)?,
        "ogg" => xiph::check_ogg(&b)?,
        // MP3/ADTS frames and AIFF chunks are sized by small header fields
        // or checked by symphonia itself against their parent.
        _ => {}
    }
    Ok(container)
}

/// The end of a leading ID3v2 tag, after checking its frames fit in it.
fn id3v2_end(b: &Bytes) -> Result<u64, AudioError> {
    let h = b.at::<10>(0)?;
    let syncsafe = |x: &[u8]| {
        x.iter()
            .fold(0u64, |acc, v| (acc << 7) | u64::from(v & 0x7F))
    };
    let size = syncsafe(&h[6..10]);
    let end = 10 + size + if h[5] & 0x10 != 0 { 10 } else { 0 };
    check_fits(b, "ID3v2 tag", 10, size, b.len)?;
    // Frames: 10-byte headers (v2.3/2.4), 6-byte (v2.2). Sizes must fit in the tag.
    let (hdr, version) = if h[3] == 2 { (6u64, 2) } else { (10u64, h[3]) };
    let mut pos = 10u64;
    if h[5] & 0x40 != 0 && version >= 3 {
        // Extended header: its size is checked like a frame's.
        let n = u64::from(b.be_u32(pos)?);
        let n = if version == 4 {
            syncsafe(&b.at::<4>(pos)?)
        } else {
            n + 4
        };
        check_fits(b, "ID3v2 extended header", pos, n, 10 + size)?;
        pos += n;
    }
    while pos + hdr <= 10 + size {
        let f = b.up_to(pos, hdr as usize)?;
        if f.len() < hdr as usize || f[0] == 0 {
            break; // padding
        }
        let n = match version {
            2 => u64::from(f[3]) << 16 | u64::from(f[4]) << 8 | u64::from(f[5]),
            4 => syncsafe(&f[4..8]),
            _ => u64::from(u32::from_be_bytes([f[4], f[5], f[6], f[7]])),
        };
        check_fits(b, "ID3v2 frame", pos + hdr, n, 10 + size)?;
        pos += hdr + n;
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(super) fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, u64) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        (f, bytes.len() as u64)
    }

    #[test]
    fn id3_frames_must_fit_in_the_tag() {
        let mut tag = b"ID3\x03\x00\x00\x00\x00\x00\x20".to_vec();
        tag.extend_from_slice(b"TIT2\x00\x00\x00\x05\x00\x00\x00abcd");
        tag.resize(10 + 32, 0);
        tag.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        let (f, len) = file_with(&tag);
        assert_eq!(check(f.as_file(), len, "mp3").unwrap(), "mp3");
        tag[14..18].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        let (f, len) = file_with(&tag);
        assert!(matches!(
            check(f.as_file(), len, "mp3"),
            Err(AudioError::Malformed(_))
        ));
    }
}
