//! FLAC metadata blocks and Ogg header packets: block lengths fit in the
//! file, STREAMINFO's rate and channels are possible, and every length
//! inside a Vorbis comment or FLAC picture fits in its block or packet.

use super::{check_fits, malformed, truncated, Bytes};
use crate::audio::limits::{check_channels, check_sample_rate};
use crate::audio::AudioError;
use std::collections::HashMap;

/// Largest metadata block or header packet read into memory here.
const MAX_HEADER: usize = 16 << 20;
/// Ogg pages looked at for header packets.
const MAX_HEADER_PAGES: usize = 512;

/// Checks a native FLAC stream starting at `start` (after any ID3 tag).
pub fn check_flac(b: &Bytes, start: u64) -> Result<(), AudioError> {
    if b.at::<4>(start)? != *b"fLaC" {
        return Err(malformed("flac: missing stream marker"));
    }
    let mut pos = start + 4;
    loop {
        let h = b.at::<4>(pos)?;
        let (last, kind) = (h[0] & 0x80 != 0, h[0] & 0x7F);
        let len = u64::from(u32::from_be_bytes([0, h[1], h[2], h[3]]));
        pos += 4;
        check_fits(b, "flac metadata block", pos, len, b.len)?;
        if matches!(kind, 0 | 4 | 6) {
            let mut body = vec![0u8; len.min(MAX_HEADER as u64) as usize];
            b.fill(pos, &mut body)?;
            metadata_block(kind, &body)?;
        }
        pos += len;
        if last {
            return Ok(());
        }
        if pos >= b.len {
            return Err(truncated());
        }
    }
}

/// STREAMINFO (0), VORBIS_COMMENT (4) or PICTURE (6).
fn metadata_block(kind: u8, body: &[u8]) -> Result<(), AudioError> {
    match kind {
        0 => {
            if body.len() < 18 {
                return Err(malformed("flac: short STREAMINFO"));
            }
            let rate = (u32::from(body[10]) << 12)
                | (u32::from(body[11]) << 4)
                | (u32::from(body[12]) >> 4);
            check_sample_rate(rate)?;
            check_channels(u32::from((body[12] >> 1) & 0x07) + 1)?;
            Ok(())
        }
        4 => vorbis_comment(body),
        _ => picture(body),
    }
}

fn field(body: &[u8], pos: &mut usize, n: usize) -> Result<usize, AudioError> {
    let end = pos
        .checked_add(n)
        .filter(|&e| e <= body.len())
        .ok_or_else(|| malformed("comment or picture lengths run past their block"))?;
    *pos = end;
    Ok(end)
}

fn le_len(body: &[u8], pos: &mut usize) -> Result<usize, AudioError> {
    let at = *pos;
    field(body, pos, 4)?;
    Ok(u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]) as usize)
}

fn be_len(body: &[u8], pos: &mut usize) -> Result<usize, AudioError> {
    let at = *pos;
    field(body, pos, 4)?;
    Ok(u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]) as usize)
}

/// A Vorbis comment block: vendor, count, then length-prefixed comments.
pub fn vorbis_comment(body: &[u8]) -> Result<(), AudioError> {
    let mut pos = 0;
    let vendor = le_len(body, &mut pos)?;
    field(body, &mut pos, vendor)?;
    let count = le_len(body, &mut pos)?;
    for _ in 0..count {
        let n = le_len(body, &mut pos)?;
        field(body, &mut pos, n)?;
    }
    Ok(())
}

/// A FLAC PICTURE block: type, MIME, description, 16 bytes, data.
fn picture(body: &[u8]) -> Result<(), AudioError> {
    let mut pos = 4;
    let mime = be_len(body, &mut pos)?;
    field(body, &mut pos, mime)?;
    let desc = be_len(body, &mut pos)?;
    field(body, &mut pos, desc)?;
    field(body, &mut pos, 16)?;
    let data = be_len(body, &mut pos)?;
    field(body, &mut pos, data)?;
    Ok(())
}

/// Checks the header packets of every logical stream of an Ogg file.
pub fn check_ogg(b: &Bytes) -> Result<(), AudioError> {
    let mut streams: HashMap<u32, (usize, Vec<u8>)> = HashMap::new();
    let mut pos = 0u64;
    for _ in 0..MAX_HEADER_PAGES {
        if pos + 27 > b.len {
            break;
        }
        let h = b.at::<27>(pos)?;
        if &h[0..4] != b"OggS" {
            break; // symphonia resynchronises; the rest is audio pages
        }
        let serial = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
        let nseg = h[26] as usize;
        let mut lacing = vec![0u8; nseg];
        b.fill(pos + 27, &mut lacing)?;
        let mut body_pos = pos + 27 + nseg as u64;
        let (done, packet) = streams.entry(serial).or_default();
        for &l in &lacing {
            if *done < 3 {
                if packet.len() + l as usize > MAX_HEADER {
                    return Err(malformed("ogg: header packet too large"));
                }
                let mut seg = vec![0u8; l as usize];
                b.fill(body_pos, &mut seg).map_err(|_| truncated())?;
                packet.extend_from_slice(&seg);
                if l < 255 {
                    header_packet(packet)?;
                    packet.clear();
                    *done += 1;
                }
            }
            body_pos += u64::from(l);
        }
        pos = body_pos;
        if streams.values().all(|(done, _)| *done >= 3) {
            break;
        }
    }
    Ok(())
}

fn header_packet(p: &[u8]) -> Result<(), AudioError> {
    if let Some(rest) = p.strip_prefix(b"\x03vorbis") {
        vorbis_comment(rest)
    } else if let Some(rest) = p.strip_prefix(b"OpusTags") {
        vorbis_comment(rest)
    } else if let Some(rest) = p.strip_prefix(b"OpusHead") {
        check_channels(u32::from(*rest.get(1).unwrap_or(&0)))
    } else if let Some(rest) = p.strip_prefix(b"\x7FFLAC") {
        // Mapping header (9 bytes) then "fLaC" and the STREAMINFO block.
        match rest.get(12..) {
            Some(block) => metadata_block(0, block),
            None => Err(malformed("ogg: short FLAC mapping header")),
        }
    } else if p.first().is_some_and(|&t| t & 0x7F == 4 || t & 0x7F == 6) && p.len() >= 4 {
        // FLAC-in-Ogg metadata packets are plain metadata blocks.
        metadata_block(p[0] & 0x7F, &p[4..])
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_lengths_must_fit() {
        let mut ok = Vec::new();
        ok.extend_from_slice(&3u32.to_le_bytes());
        ok.extend_from_slice(b"abc");
        ok.extend_from_slice(&1u32.to_le_bytes());
        ok.extend_from_slice(&5u32.to_le_bytes());
        ok.extend_from_slice(b"A=bcd");
        vorbis_comment(&ok).unwrap();
        let mut bad = ok.clone();
        bad[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(vorbis_comment(&bad).is_err());
        let mut bad = ok;
        bad[11..15].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(vorbis_comment(&bad).is_err());
    }
}
