//! WAV (RIFF/WAVE) demuxing, done here instead of by symphonia's reader so
//! that every header field is checked before it is used: symphonia's reader
//! panics on a zero sample rate and refuses the 16-byte `fmt ` chunks that
//! telephony tools write for G.711. Packets go to symphonia's PCM decoder.
//!
//! Read: PCM 8/16/24/32-bit, IEEE float 32/64-bit, G.711 µ-law and A-law,
//! plain or `WAVE_FORMAT_EXTENSIBLE`, with or without `fact`/`LIST` chunks.

use super::limits::{check_channels, check_sample_rate};
use super::AudioError;
use std::io::{BufReader, Read, Seek, SeekFrom};
use symphonia::core::audio::Channels;
use symphonia::core::codecs::{self, CodecParameters, CodecType};
use symphonia::core::formats::Packet;

/// Frames handed to the decoder per packet.
const FRAMES_PER_PACKET: u64 = 4096;
/// `fmt ` chunks are 16, 18 or 40 bytes; anything much larger is not a WAV.
const MAX_FMT_LEN: u32 = 1024;

/// A WAV file positioned at its samples.
pub struct WavReader<R> {
    src: BufReader<R>,
    /// Codec parameters for symphonia's PCM decoder.
    pub params: CodecParameters,
    bytes_per_frame: u64,
    data_left: u64,
    ts: u64,
}

/// The fields of a `fmt ` chunk that matter.
struct Fmt {
    codec: CodecType,
    channels: u16,
    sample_rate: u32,
    bits: u16,
}

fn malformed(msg: impl Into<String>) -> AudioError {
    AudioError::Malformed(format!("wav: {}", msg.into()))
}

fn parse_fmt(b: &[u8]) -> Result<Fmt, AudioError> {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut tag = u16_at(0);
    let channels = u16_at(2);
    let sample_rate = u32_at(4);
    let bits = u16_at(14);
    if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: cbSize, valid bits, channel mask, then the
        // sub-format GUID whose first two bytes are the real format tag.
        if b.len() < 40 {
            return Err(malformed("extensible fmt chunk shorter than 40 bytes"));
        }
        tag = u16_at(24);
    }
    check_channels(u32::from(channels))?;
    check_sample_rate(sample_rate)?;
    let codec = match (tag, bits) {
        (1, 8) => codecs::CODEC_TYPE_PCM_U8,
        (1, 16) => codecs::CODEC_TYPE_PCM_S16LE,
        (1, 24) => codecs::CODEC_TYPE_PCM_S24LE,
        (1, 32) => codecs::CODEC_TYPE_PCM_S32LE,
        (3, 32) => codecs::CODEC_TYPE_PCM_F32LE,
        (3, 64) => codecs::CODEC_TYPE_PCM_F64LE,
        (6, 8) => codecs::CODEC_TYPE_PCM_ALAW,
        (7, 8) => codecs::CODEC_TYPE_PCM_MULAW,
        (1 | 3 | 6 | 7, _) => {
            return Err(AudioError::InvalidField {
                field: "bits_per_sample",
                value: bits.to_string(),
            })
        }
        (2, _) | (0x11, _) => {
            return Err(AudioError::UnsupportedCodec("adpcm in wav".into()));
        }
        _ => {
            return Err(AudioError::UnsupportedCodec(format!(
                "wav format tag 0x{tag:04x}"
            )))
        }
    };
    Ok(Fmt {
        codec,
        channels,
        sample_rate,
        bits,
    })
}

impl<R: Read + Seek> WavReader<R> {
    /// Reads the header up to the `data` chunk. `len` is the file's size.
    pub fn open(src: R, len: u64) -> Result<Self, AudioError> {
        let mut src = BufReader::new(src);
        let mut head = [0u8; 12];
        read_exact(&mut src, &mut head)?;
        if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
            return Err(AudioError::UnsupportedFormat(None));
        }
        let mut pos = 12u64;
        let mut fmt: Option<Fmt> = None;
        loop {
            let mut ch = [0u8; 8];
            if len.saturating_sub(pos) < 8 {
                return Err(AudioError::NoAudio(Some("wav without a data chunk".into())));
            }
            read_exact(&mut src, &mut ch)?;
            pos += 8;
            let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
            match &ch[0..4] {
                b"fmt " => {
                    if !(16..=MAX_FMT_LEN).contains(&size) {
                        return Err(malformed(format!("fmt chunk of {size} bytes")));
                    }
                    let mut body = vec![0u8; size as usize];
                    read_exact(&mut src, &mut body)?;
                    pos += u64::from(size);
                    fmt = Some(parse_fmt(&body)?);
                    if size % 2 == 1 {
                        skip(&mut src, &mut pos, 1, len)?;
                    }
                }
                b"data" => {
                    let fmt = fmt.ok_or_else(|| malformed("data chunk before the fmt chunk"))?;
                    let available = len - pos;
                    // Streaming writers leave 0 or 0xFFFFFFFF: read to the end of the file.
                    let data_left = match u64::from(size) {
                        0 | 0xFFFF_FFFF => available,
                        n => n.min(available),
                    };
                    return Ok(Self::at_data(src, fmt, data_left));
                }
                _ => skip(
                    &mut src,
                    &mut pos,
                    u64::from(size) + u64::from(size % 2),
                    len,
                )?,
            }
        }
    }

    fn at_data(src: BufReader<R>, fmt: Fmt, data_left: u64) -> Self {
        let bytes_per_frame = u64::from(fmt.channels) * u64::from(fmt.bits / 8);
        let mut params = CodecParameters::new();
        params
            .for_codec(fmt.codec)
            .with_sample_rate(fmt.sample_rate)
            .with_channels(channel_mask(fmt.channels))
            .with_max_frames_per_packet(FRAMES_PER_PACKET)
            .with_n_frames(data_left / bytes_per_frame);
        if !matches!(
            fmt.codec,
            codecs::CODEC_TYPE_PCM_ALAW | codecs::CODEC_TYPE_PCM_MULAW
        ) {
            params
                .with_bits_per_sample(u32::from(fmt.bits))
                .with_bits_per_coded_sample(u32::from(fmt.bits));
        }
        Self {
            src,
            params,
            bytes_per_frame,
            data_left,
            ts: 0,
        }
    }

    /// The next packet of whole frames; `None` at the end of the samples.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, std::io::Error> {
        let frames = (self.data_left / self.bytes_per_frame).min(FRAMES_PER_PACKET);
        if frames == 0 {
            return Ok(None);
        }
        let mut buf = vec![0u8; (frames * self.bytes_per_frame) as usize];
        let n = read_up_to(&mut self.src, &mut buf)?;
        let frames = n as u64 / self.bytes_per_frame;
        if frames == 0 {
            return Ok(None);
        }
        buf.truncate((frames * self.bytes_per_frame) as usize);
        self.data_left -= frames * self.bytes_per_frame;
        let packet = Packet::new_from_boxed_slice(0, self.ts, frames, buf.into_boxed_slice());
        self.ts += frames;
        Ok(Some(packet))
    }
}

/// The first `n` WAVEFORMATEXTENSIBLE speaker positions (n was checked).
fn channel_mask(n: u16) -> Channels {
    Channels::from_bits_truncate(((1u64 << n) - 1) as u32)
}

fn read_exact<R: Read>(src: &mut R, buf: &mut [u8]) -> Result<(), AudioError> {
    src.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            AudioError::NoAudio(Some("truncated wav header".into()))
        }
        _ => AudioError::Io(e),
    })
}

fn skip<R: Seek>(src: &mut R, pos: &mut u64, n: u64, len: u64) -> Result<(), AudioError> {
    if len.saturating_sub(*pos) < n {
        return Err(AudioError::NoAudio(Some("wav without a data chunk".into())));
    }
    *pos += n;
    src.seek(SeekFrom::Start(*pos))?;
    Ok(())
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to<R: Read>(src: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A WAV with the given format fields and `data` bytes (16-byte fmt chunk).
    pub fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        let align = channels * bits.max(8) / 8;
        v.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        v.extend_from_slice(&align.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn open(bytes: Vec<u8>) -> Result<WavReader<Cursor<Vec<u8>>>, AudioError> {
        let len = bytes.len() as u64;
        WavReader::open(Cursor::new(bytes), len)
    }

    #[test]
    fn sixteen_byte_mulaw_fmt_without_fact_is_read() {
        let mut r = open(wav(7, 1, 16_000, 8, &[0xFF; 10_000])).unwrap();
        assert_eq!(r.params.codec, codecs::CODEC_TYPE_PCM_MULAW);
        assert_eq!(r.params.n_frames, Some(10_000));
        let mut frames = 0;
        while let Some(p) = r.next_packet().unwrap() {
            frames += p.dur;
        }
        assert_eq!(frames, 10_000);
    }

    #[test]
    fn impossible_fields_are_named() {
        let field = |b: Vec<u8>| match open(b) {
            Err(AudioError::InvalidField { field, .. }) => field,
            other => panic!("expected an invalid field, got {:?}", other.err()),
        };
        assert_eq!(field(wav(1, 1, 0, 16, &[0; 4])), "sample_rate");
        assert_eq!(field(wav(1, 0, 16_000, 16, &[0; 4])), "channels");
        assert_eq!(field(wav(1, 300, 16_000, 16, &[0; 4])), "channels");
        assert_eq!(field(wav(1, 1, 16_000, 12, &[0; 4])), "bits_per_sample");
        assert!(matches!(
            open(wav(2, 1, 16_000, 4, &[0; 4])),
            Err(AudioError::UnsupportedCodec(_))
        ));
    }

    #[test]
    fn header_only_has_no_frames_and_huge_chunks_are_refused() {
        let mut r = open(wav(1, 1, 16_000, 16, &[])).unwrap();
        assert!(r.next_packet().unwrap().is_none());
        // A chunk that claims 4 GB: nothing is allocated for it.
        let mut b = wav(1, 1, 16_000, 16, &[0; 8]);
        b[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(open(b), Err(AudioError::Malformed(_))));
        let mut b = wav(1, 1, 16_000, 16, &[0; 8]);
        b[12..16].copy_from_slice(b"junk");
        b[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(open(b), Err(AudioError::NoAudio(_))));
    }
}
