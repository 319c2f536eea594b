//! Matroska/WebM (EBML): every element fits in its parent, only master
//! elements have an unknown size, and the frame sizes of laced blocks add
//! up to no more than the block.

use super::{check_fits, malformed, Bytes};
use crate::audio::AudioError;

/// The master elements symphonia descends into (its `element_ids.rs`).
const MASTERS: &[u32] = &[
    0x1A45DFA3, 0x18538067, 0x114D9B74, 0x4DBB, 0x1549A966, 0x1F43B675, 0xA0, 0x75A1, 0xA6,
    0x1654AE6B, 0xAE, 0xE0, 0xE1, 0x6D80, 0x6240, 0x5035, 0x47E7, 0x55B0, 0x55D0, 0x1C53BB6B, 0xBB,
    0xB7, 0x1043A770, 0x45B9, 0xB6, 0x80, 0x1254C367, 0x7373, 0x63C0, 0x67C8,
];
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK: u32 = 0xA1;
const MAX_DEPTH: usize = 16;

/// A variable-length integer at `pos`: (value without the marker, width).
fn vint(b: &Bytes, pos: u64) -> Result<(u64, u64), AudioError> {
    let first = b.at::<1>(pos)?[0];
    let width = u64::from(first.leading_zeros()) + 1;
    if width > 8 {
        return Err(malformed(format!("mkv: invalid length at offset {pos}")));
    }
    let mut v = u64::from(first) & (0xFF >> width);
    for i in 1..width {
        v = (v << 8) | u64::from(b.at::<1>(pos + i)?[0]);
    }
    Ok((v, width))
}

fn element_id(b: &Bytes, pos: u64) -> Result<(u32, u64), AudioError> {
    let first = b.at::<1>(pos)?[0];
    let width = first.leading_zeros() + 1;
    if width > 4 {
        return Err(malformed(format!(
            "mkv: invalid element id at offset {pos}"
        )));
    }
    let mut id = u32::from(first);
    for i in 1..u64::from(width) {
        id = (id << 8) | u32::from(b.at::<1>(pos + i)?[0]);
    }
    Ok((id, u64::from(width)))
}

/// Top-level elements: EBML header, Segment.
const TOP_LEVEL: &[u32] = &[0x1A45DFA3, 0x18538067];
/// The Segment's children (SeekHead, Info, Tracks, Cluster, Cues,
/// Attachments, Chapters, Tags).
const LEVEL_1: &[u32] = &[
    0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1F43B675, 0x1C53BB6B, 0x1941A469, 0x1043A770, 0x1254C367,
];

/// Whether element `id` ends an element of unknown size `open` (EBML: at
/// the first element that cannot be its child: a top-level one, or a
/// Segment child when `open` is not the Segment).
fn ends_unknown(open: u32, id: u32) -> bool {
    TOP_LEVEL.contains(&id) || (open != 0x18538067 && LEVEL_1.contains(&id))
}

/// Checks the elements from `pos` to `end`; `open` is the id of the
/// enclosing element when its size is unknown (streamed files, e.g. a
/// browser's MediaRecorder). Returns where the list ended.
fn list(
    b: &Bytes,
    mut pos: u64,
    end: u64,
    depth: usize,
    open: Option<u32>,
) -> Result<u64, AudioError> {
    if depth > MAX_DEPTH {
        return Err(malformed("mkv: elements nested too deeply"));
    }
    let end_in_file = end.min(b.len);
    while pos < end_in_file {
        let (id, id_len) = element_id(b, pos)?;
        if open.is_some_and(|o| ends_unknown(o, id)) {
            return Ok(pos);
        }
        let size_at = pos + id_len;
        let (size, size_len) = vint(b, size_at)?;
        // Unknown size: every value bit set, whatever the width.
        let unknown = size == (1u64 << (7 * size_len)) - 1;
        let data = size_at + size_len;
        let master = MASTERS.contains(&id);
        let stop = if unknown {
            if !master {
                return Err(malformed(format!("mkv: element {id:X} of unknown size")));
            }
            list(b, data, end, depth + 1, Some(id))?
        } else {
            check_fits(b, "mkv element", data, size, end)?;
            let stop = data.saturating_add(size).min(end);
            if master {
                list(b, data, stop, depth + 1, None)?;
            } else if id == SIMPLE_BLOCK || id == BLOCK {
                block(b, data, stop.min(b.len))?;
            }
            stop
        };
        if stop <= pos {
            break;
        }
        pos = stop;
    }
    Ok(pos)
}

/// A (Simple)Block: track number, timecode, flags, then laced frame sizes.
fn block(b: &Bytes, start: u64, end: u64) -> Result<(), AudioError> {
    let (_, track_len) = vint(b, start)?;
    let flags_at = start + track_len + 2;
    let flags = b.at::<1>(flags_at)?[0];
    let lacing = (flags >> 1) & 0b11;
    if lacing == 0 || lacing == 0b10 {
        return Ok(()); // none, or fixed-size (sizes derived from the block)
    }
    let frames = u64::from(b.at::<1>(flags_at + 1)?[0]);
    let mut pos = flags_at + 2;
    let mut total: u64 = 0;
    let mut last: i64 = 0;
    for i in 0..frames {
        let size = if lacing == 0b01 {
            // Xiph: runs of 255 plus a final byte.
            let mut s = 0u64;
            loop {
                let v = b.at::<1>(pos)?[0];
                pos += 1;
                s += u64::from(v);
                if v != 255 {
                    break;
                }
            }
            s as i64
        } else {
            let (v, w) = vint(b, pos)?;
            pos += w;
            if i == 0 {
                v as i64
            } else {
                let half = (1i64 << (w * 7 - 1)) - 1;
                last + (v as i64 - half)
            }
        };
        if size < 0 {
            return Err(malformed("mkv: negative laced frame size"));
        }
        last = size;
        total = total.saturating_add(size as u64);
    }
    if pos.saturating_add(total) > end {
        return Err(malformed(format!(
            "mkv: laced frames of {total} bytes in a block of {} bytes",
            end.saturating_sub(start)
        )));
    }
    Ok(())
}

/// Checks a Matroska/WebM file.
pub fn check(b: &Bytes) -> Result<(), AudioError> {
    list(b, 0, b.len, 0, None).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::super::tests::file_with;
    use super::*;

    fn run(bytes: &[u8]) -> Result<(), AudioError> {
        let (f, len) = file_with(bytes);
        let file = f.reopen().unwrap();
        check(&Bytes::new(&file, len))
    }

    #[test]
    fn oversized_elements_and_lacing_are_refused() {
        // Segment (unknown size) > Cluster (8 bytes) > SimpleBlock (4 bytes).
        let ok = [
            0x18, 0x53, 0x80, 0x67, 0xFF, 0x1F, 0x43, 0xB6, 0x75, 0x86, 0xA3, 0x84, 0x81, 0, 0, 0,
        ];
        run(&ok).unwrap();
        // A binary element claiming 2^48 bytes.
        let mut huge = ok.to_vec();
        huge.extend_from_slice(&[0x63, 0xA2, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(run(&huge).is_err());
        // EBML lacing whose first frame claims far more than the block holds.
        let laced = [
            0x18, 0x53, 0x80, 0x67, 0xFF, 0xA3, 0x87, 0x81, 0, 0, 0x06, 0x01, 0x7F, 0xFF,
        ];
        assert!(run(&laced).is_err());
    }

    #[test]
    fn streamed_files_with_unknown_sizes_are_accepted() {
        // As a browser's MediaRecorder writes WebM: a Segment and Clusters of
        // unknown size in 8-byte form; each Cluster ends where the next starts.
        let unknown8 = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        let mut f = vec![0x18, 0x53, 0x80, 0x67];
        f.extend_from_slice(&unknown8);
        for _ in 0..40 {
            f.extend_from_slice(&[0x1F, 0x43, 0xB6, 0x75]);
            f.extend_from_slice(&unknown8);
            f.extend_from_slice(&[0xE7, 0x81, 0x00]); // Timecode
            f.extend_from_slice(&[0xA3, 0x84, 0x81, 0, 0, 0]); // SimpleBlock
        }
        run(&f).unwrap();
        // A non-master element of unknown size is still refused.
        let mut bad = f.clone();
        bad.extend_from_slice(&[0xA3]);
        bad.extend_from_slice(&unknown8);
        assert!(run(&bad).is_err());
    }
}
