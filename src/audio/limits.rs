//! Bounds on what a file may declare, checked before anything is sized from
//! it, and the codecs accepted (an explicit list: nothing else reaches a
//! decoder).

use super::AudioError;
use symphonia::core::codecs::{self, CodecParameters, CodecType};

/// Sample rates accepted, in Hz.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 1_000..=384_000;
/// Channels accepted (symphonia names this many speaker positions).
pub const MAX_CHANNELS: u32 = 26;
/// Largest packet, in frames, a decoder may be sized for (FLAC's largest
/// block is 65 535; Vorbis 8 192; everything else is smaller).
pub const MAX_FRAMES_PER_PACKET: u64 = 1 << 17;

/// Checks a declared sample rate.
pub fn check_sample_rate(rate: u32) -> Result<(), AudioError> {
    if SAMPLE_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(AudioError::InvalidField {
            field: "sample_rate",
            value: format!("{rate} Hz"),
        })
    }
}

/// Checks a declared channel count.
pub fn check_channels(n: u32) -> Result<(), AudioError> {
    if (1..=MAX_CHANNELS).contains(&n) {
        Ok(())
    } else {
        Err(AudioError::InvalidField {
            field: "channels",
            value: n.to_string(),
        })
    }
}

const PCM: &[CodecType] = &[
    codecs::CODEC_TYPE_PCM_U8,
    codecs::CODEC_TYPE_PCM_S8,
    codecs::CODEC_TYPE_PCM_S16LE,
    codecs::CODEC_TYPE_PCM_S16BE,
    codecs::CODEC_TYPE_PCM_S24LE,
    codecs::CODEC_TYPE_PCM_S24BE,
    codecs::CODEC_TYPE_PCM_S32LE,
    codecs::CODEC_TYPE_PCM_S32BE,
    codecs::CODEC_TYPE_PCM_F32LE,
    codecs::CODEC_TYPE_PCM_F32BE,
    codecs::CODEC_TYPE_PCM_F64LE,
    codecs::CODEC_TYPE_PCM_F64BE,
];

/// The short name of an accepted codec in `container`, or why it is refused.
/// PCM and G.711 only come from WAV and AIFF; compressed codecs from any
/// container symphonia demuxes.
pub fn accepted_codec(container: &str, codec: CodecType) -> Result<&'static str, AudioError> {
    let uncompressed = matches!(container, "wav" | "aiff");
    let name = match codec {
        c if PCM.contains(&c) && uncompressed => "pcm",
        codecs::CODEC_TYPE_PCM_MULAW if container == "wav" => "pcm_mulaw",
        codecs::CODEC_TYPE_PCM_ALAW if container == "wav" => "pcm_alaw",
        codecs::CODEC_TYPE_MP3 => "mp3",
        codecs::CODEC_TYPE_MP2 => "mp2",
        codecs::CODEC_TYPE_MP1 => "mp1",
        codecs::CODEC_TYPE_FLAC => "flac",
        codecs::CODEC_TYPE_VORBIS => "vorbis",
        codecs::CODEC_TYPE_OPUS => "opus",
        codecs::CODEC_TYPE_AAC => "aac",
        other => {
            let name = symphonia::default::get_codecs()
                .get_codec(other)
                .map_or_else(|| other.to_string(), |d| d.short_name.to_string());
            return Err(AudioError::UnsupportedCodec(format!(
                "{name} in {container}"
            )));
        }
    };
    Ok(name)
}

/// Checks the parameters a decoder would be built from: rate, channels and
/// the packet size it would allocate for.
pub fn check_params(params: &CodecParameters) -> Result<(), AudioError> {
    if let Some(rate) = params.sample_rate {
        check_sample_rate(rate)?;
    }
    if let Some(ch) = params.channels {
        check_channels(ch.count() as u32)?;
    }
    if let Some(frames) = params.max_frames_per_packet {
        if frames == 0 || frames > MAX_FRAMES_PER_PACKET {
            return Err(AudioError::InvalidField {
                field: "frames_per_packet",
                value: frames.to_string(),
            });
        }
    }
    if let Some(bits) = params.bits_per_sample.or(params.bits_per_coded_sample) {
        if bits == 0 || bits > 64 {
            return Err(AudioError::InvalidField {
                field: "bits_per_sample",
                value: bits.to_string(),
            });
        }
    }
    if params.codec == codecs::CODEC_TYPE_VORBIS {
        if let Some(extra) = &params.extra_data {
            super::guard::vorbis::check_headers(extra)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_codecs_pass() {
        assert_eq!(
            accepted_codec("wav", codecs::CODEC_TYPE_PCM_MULAW).unwrap(),
            "pcm_mulaw"
        );
        assert_eq!(
            accepted_codec("mp4", codecs::CODEC_TYPE_AAC).unwrap(),
            "aac"
        );
        for (container, codec) in [
            ("mp4", codecs::CODEC_TYPE_ALAC),
            ("mp4", codecs::CODEC_TYPE_PCM_S16LE),
            ("matroska", codecs::CODEC_TYPE_PCM_S16LE),
            ("wav", codecs::CODEC_TYPE_ADPCM_IMA_WAV),
        ] {
            assert!(
                matches!(
                    accepted_codec(container, codec),
                    Err(AudioError::UnsupportedCodec(_))
                ),
                "{container} {codec}"
            );
        }
    }

    #[test]
    fn declared_sizes_are_bounded() {
        let mut p = CodecParameters::new();
        p.for_codec(codecs::CODEC_TYPE_AAC)
            .with_sample_rate(44_100)
            .with_max_frames_per_packet(u32::MAX as u64);
        assert!(matches!(
            check_params(&p),
            Err(AudioError::InvalidField {
                field: "frames_per_packet",
                ..
            })
        ));
        p.with_max_frames_per_packet(1024).with_sample_rate(0);
        assert!(matches!(
            check_params(&p),
            Err(AudioError::InvalidField {
                field: "sample_rate",
                ..
            })
        ));
    }
}
