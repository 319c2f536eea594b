//! Opus decoding with libopus (symphonia has no Opus decoder), fed packets
//! by symphonia's Ogg and Matroska demuxers. Decodes at Opus's 48 kHz clock
//! straight to mono (libopus downmixes) and drops the stream's pre-skip.

use super::AudioError;
use symphonia::core::codecs::CodecParameters;

/// Longest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;
/// Opus always decodes at this rate.
pub const OPUS_RATE: u32 = 48_000;

/// A mono libopus decoder with the remaining pre-skip.
pub struct OpusDecoder {
    inner: opus::Decoder,
    skip: usize,
    buf: Vec<f32>,
}

impl OpusDecoder {
    /// A decoder for the stream described by `params` (its `OpusHead` in
    /// `extra_data`, when present, gives the channel mapping and pre-skip).
    pub fn new(params: &CodecParameters) -> Result<Self, AudioError> {
        let head = params
            .extra_data
            .as_deref()
            .filter(|h| h.len() >= 19 && h.starts_with(b"OpusHead"));
        if let Some(h) = head {
            if h[18] > 1 {
                return Err(AudioError::UnsupportedCodec(format!(
                    "opus with channel mapping family {} (multistream)",
                    h[18]
                )));
            }
        }
        let pre_skip = head
            .map(|h| u16::from_le_bytes([h[10], h[11]]) as usize)
            .or(params.delay.map(|d| d as usize))
            .unwrap_or(0);
        let inner = opus::Decoder::new(OPUS_RATE, opus::Channels::Mono)
            .map_err(|e| AudioError::UnsupportedCodec(format!("opus: {e}")))?;
        Ok(Self {
            inner,
            skip: pre_skip,
            buf: vec![0.0; MAX_FRAME],
        })
    }

    /// Decodes one packet; returns its mono samples (after pre-skip).
    pub fn decode(&mut self, packet: &[u8]) -> Result<&[f32], String> {
        let n = self
            .inner
            .decode_float(packet, &mut self.buf, false)
            .map_err(|e| e.to_string())?;
        let skip = self.skip.min(n);
        self.skip -= skip;
        Ok(&self.buf[skip..n])
    }
}
