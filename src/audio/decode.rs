//! Decoding with symphonia: probe from the bytes, decode the first audio
//! track, mix down to mono and stream into the 16 kHz resampler.

use super::limits;
use super::opus::{OpusDecoder, OPUS_RATE};
use super::resample::{To16k, TARGET_RATE};
use super::wav::WavReader;
use super::AudioError;
use std::fs::File;
use std::path::Path;
use std::sync::OnceLock;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{
    CodecParameters, CodecRegistry, Decoder, DecoderOptions, CODEC_TYPE_AAC, CODEC_TYPE_NULL,
    CODEC_TYPE_OPUS,
};

/// AAC encoders prime the stream with one frame of silence that decoders
/// must drop. (Trailing padding, at most one frame, is left: symphonia 0.5
/// does not expose MP4 edit lists, and ADTS carries no length.)
const AAC_PRIMING: usize = 1024;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, Packet};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::{Hint, Probe};

/// What a probe learns about a recording.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioInfo {
    /// Container, from the file's magic bytes (`wav`, `mp3`, `ogg`, …).
    pub container: String,
    /// Codec short name from symphonia (`pcm_s16le`, `mp3`, `vorbis`, …).
    pub codec: String,
    pub sample_rate: Option<u32>,
    pub channels: Option<usize>,
    /// Duration the container declares (frame count), in ms, when it does.
    #[serde(default)]
    pub declared_ms: Option<u64>,
}

/// A decoded recording.
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// 16 kHz mono samples in [-1, 1].
    pub samples: Vec<f32>,
    pub info: AudioInfo,
    /// Duration of the source, in ms.
    pub duration_ms: u64,
    /// Packets that failed to decode and were skipped.
    pub corrupt_packets: usize,
}

/// The container, from magic bytes. `None` when unrecognised.
pub fn sniff_container(head: &[u8]) -> Option<&'static str> {
    let at = |i: usize, m: &[u8]| head.len() >= i + m.len() && &head[i..i + m.len()] == m;
    Some(if at(0, b"RIFF") && at(8, b"WAVE") {
        "wav"
    } else if at(0, b"fLaC") {
        "flac"
    } else if at(0, b"OggS") {
        "ogg"
    } else if at(4, b"ftyp") {
        "mp4"
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        "matroska"
    } else if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        "aiff"
    } else if at(0, b"ID3") {
        "mp3"
    } else if head.len() >= 2 && head[0] == 0xFF && (head[1] & 0xF6) == 0xF0 {
        "adts"
    } else if head.len() >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 {
        "mp3"
    } else {
        return None;
    })
}

/// The readers symphonia may use: no WAV (ours checks its header first),
/// no CAF, and nothing that scans for a marker deep inside the bytes.
fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        use symphonia::default::formats::*;
        let mut p = Probe::default();
        p.register_all::<IsoMp4Reader>();
        p.register_all::<MkvReader>();
        p.register_all::<OggReader>();
        p.register_all::<FlacReader>();
        p.register_all::<MpaReader>();
        p.register_all::<AdtsReader>();
        p.register_all::<AiffReader>();
        p
    })
}

/// The decoders symphonia may build: the accepted codecs only (Opus goes
/// to libopus).
fn codecs() -> &'static CodecRegistry {
    static CODECS: OnceLock<CodecRegistry> = OnceLock::new();
    CODECS.get_or_init(|| {
        use symphonia::default::codecs::*;
        let mut r = CodecRegistry::new();
        r.register_all::<PcmDecoder>();
        r.register_all::<MpaDecoder>();
        r.register_all::<FlacDecoder>();
        r.register_all::<VorbisDecoder>();
        r.register_all::<AacDecoder>();
        r
    })
}

/// Runs `f`, turning a panic inside a decoder library into an error about
/// the file (the panic itself is logged).
fn guarded<T>(f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        tracing::warn!(panic = %msg, "a decoder library panicked on this file");
        Err(AudioError::Malformed(format!(
            "the decoder gave up on this file ({msg})"
        )))
    })
}

enum Dec {
    Symphonia(Box<dyn Decoder>),
    Opus(OpusDecoder),
}

/// The duration the track's parameters declare, in ms.
fn declared_ms(params: &symphonia::core::codecs::CodecParameters) -> Option<u64> {
    let frames = params.n_frames?;
    if let Some(tb) = params.time_base {
        let t = tb.calc_time(frames);
        return Some(t.seconds.saturating_mul(1000) + (t.frac * 1000.0) as u64);
    }
    let rate = u64::from(params.sample_rate?.max(1));
    Some((u128::from(frames) * 1000 / u128::from(rate)).min(u128::from(u64::MAX)) as u64)
}

/// What one demuxed packet gave.
enum Step {
    /// Mono samples at this rate were appended.
    Samples(u32),
    /// A packet of another track, or one without samples.
    Nothing,
    /// A packet that failed to decode (skipped).
    Corrupt,
    /// End of stream (or an unreadable tail).
    End(Option<std::io::Error>),
    /// More packets than the file's size allows.
    OverBudget,
}

struct Opened {
    demux: Demux,
    decoder: Dec,
    sample_buf: Option<SampleBuffer<f32>>,
    /// Leading samples (per channel) still to drop.
    skip: usize,
    track_id: u32,
    info: AudioInfo,
    /// Packets still allowed, of any track, empty or not: a file cannot
    /// make the demuxer loop for longer than its size allows.
    budget: u64,
    /// Empty packets seen, of any track.
    empty: u64,
}

/// Empty packets a file may hold, of all its tracks together.
const MAX_EMPTY_PACKETS: u64 = 1024;

/// Packets a file may yield: two per byte (a real packet holds at least a
/// byte of data; PCM packets hold thousands), plus a margin.
fn packet_budget(len: u64) -> u64 {
    len.saturating_mul(2).saturating_add(4096)
}

enum Demux {
    Symphonia(Box<dyn FormatReader>),
    Wav(Box<WavReader<File>>),
}

/// The decoder for an accepted codec, and the rate it decodes at.
fn decoder(
    params: &symphonia::core::codecs::CodecParameters,
    codec: &str,
) -> Result<(Dec, Option<u32>), AudioError> {
    Ok(if params.codec == CODEC_TYPE_OPUS {
        (Dec::Opus(OpusDecoder::new(params)?), Some(OPUS_RATE))
    } else {
        let dec = codecs()
            .make(params, &DecoderOptions::default())
            .map_err(|e| AudioError::Malformed(format!("{codec}: {e}")))?;
        (Dec::Symphonia(dec), params.sample_rate)
    })
}

/// Symphonia's demuxer over `file` (already checked by the guards) and its
/// audio track: the first with a codec and a sample rate, else the first
/// with a codec.
fn symphonia_demux(file: File) -> Result<(Demux, u32, CodecParameters), AudioError> {
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let probed = probe()
        .format(
            &Hint::new(),
            mss,
            &FormatOptions {
                enable_gapless: true,
                ..Default::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
                AudioError::Io(io)
            }
            SymError::IoError(_) => AudioError::NoAudio(Some("truncated".into())),
            SymError::Unsupported(what) => AudioError::UnsupportedFormat(Some(what.into())),
            other => AudioError::Malformed(other.to_string()),
        })?;
    let format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some())
        .or_else(|| {
            format
                .tracks()
                .iter()
                .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        })
        .ok_or(AudioError::NoAudioTrack)?;
    let (id, params) = (track.id, track.codec_params.clone());
    Ok((Demux::Symphonia(format), id, params))
}

fn open(file: File) -> Result<Opened, AudioError> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Err(AudioError::NoAudio(Some("the file is empty".into())));
    }
    let mut head = [0u8; 16];
    let n = std::os::unix::fs::FileExt::read_at(&file, &mut head, 0)?;
    let sniffed = sniff_container(&head[..n]).ok_or(AudioError::UnsupportedFormat(None))?;
    let container = super::guard::check(&file, len, sniffed)?;
    let (demux, track_id, params) = if container == "wav" {
        let wav = WavReader::open(file, len)?;
        let params = wav.params.clone();
        (Demux::Wav(Box::new(wav)), 0, params)
    } else {
        symphonia_demux(file)?
    };
    let codec = limits::accepted_codec(container, params.codec)?;
    limits::check_params(&params)?;
    let declared_ms = declared_ms(&params);
    let (decoder, rate) = decoder(&params, codec)?;
    Ok(Opened {
        track_id,
        info: AudioInfo {
            container: container.to_string(),
            codec: codec.to_string(),
            sample_rate: rate,
            channels: params.channels.map(|c| c.count()),
            declared_ms,
        },
        budget: packet_budget(len),
        empty: 0,
        demux,
        skip: if params.codec == CODEC_TYPE_AAC {
            AAC_PRIMING
        } else {
            0
        },
        decoder,
        sample_buf: None,
    })
}

impl Opened {
    /// Reads and decodes one packet, appending its mono mixdown to `mono`.
    fn step(&mut self, mono: &mut Vec<f32>) -> Step {
        let packet = match self.next_packet() {
            Ok(p) => p,
            Err(step) => return step,
        };
        if packet.track_id() != self.track_id {
            return Step::Nothing;
        }
        match &mut self.decoder {
            Dec::Opus(dec) => match dec.decode(&packet.data) {
                Ok([]) => Step::Nothing,
                Ok(s) => {
                    mono.extend_from_slice(s);
                    Step::Samples(OPUS_RATE)
                }
                Err(_) => Step::Corrupt,
            },
            Dec::Symphonia(dec) => match dec.decode(&packet) {
                Ok(decoded) => mix_down(
                    decoded,
                    &mut self.sample_buf,
                    &mut self.skip,
                    &mut self.info.channels,
                    mono,
                ),
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => Step::Corrupt,
                Err(_) => Step::End(None),
            },
        }
    }

    /// The next packet of any track, counted against the file's budget
    /// (empty ones against their own cap too); `Err` says how to go on.
    fn next_packet(&mut self) -> Result<Packet, Step> {
        if self.budget == 0 {
            return Err(Step::OverBudget);
        }
        self.budget -= 1;
        let next = match &mut self.demux {
            Demux::Symphonia(format) => format.next_packet().map(Some),
            Demux::Wav(wav) => wav.next_packet().map_err(SymError::IoError),
        };
        let packet = match next {
            Ok(Some(p)) => p,
            Ok(None) => return Err(Step::End(None)),
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(Step::End(None))
            }
            Err(SymError::IoError(e)) => return Err(Step::End(Some(e))),
            Err(SymError::DecodeError(_)) => return Err(Step::Corrupt),
            Err(_) => return Err(Step::End(None)),
        };
        if packet.data.is_empty() {
            // Real streams carry no empty packets (Opus DTX frames hold a
            // byte); a flood of them costs demuxing time for nothing.
            self.empty += 1;
            if self.empty > MAX_EMPTY_PACKETS {
                return Err(Step::OverBudget);
            }
        }
        Ok(packet)
    }
}

/// Appends the mono mixdown of a decoded symphonia buffer to `mono`, less
/// the `skip` frames still to drop (AAC priming); `sample_buf` is reused
/// while it is large enough; the first channel count seen is recorded.
fn mix_down(
    decoded: symphonia::core::audio::AudioBufferRef<'_>,
    sample_buf: &mut Option<SampleBuffer<f32>>,
    skip: &mut usize,
    channels_seen: &mut Option<usize>,
    mono: &mut Vec<f32>,
) -> Step {
    if decoded.frames() == 0 {
        return Step::Nothing;
    }
    let spec = *decoded.spec();
    let channels = spec.channels.count().max(1);
    channels_seen.get_or_insert(channels);
    let needed = decoded.capacity() as u64 * channels as u64;
    if sample_buf
        .as_ref()
        .is_none_or(|b| (b.capacity() as u64) < needed)
    {
        *sample_buf = Some(SampleBuffer::new(decoded.capacity() as u64, spec));
    }
    let Some(buf) = sample_buf.as_mut() else {
        return Step::Nothing;
    };
    buf.copy_interleaved_ref(decoded);
    let frames = buf.samples().len() / channels;
    let dropped = (*skip).min(frames);
    *skip -= dropped;
    if dropped == frames {
        return Step::Nothing;
    }
    mono.extend(
        buf.samples()[dropped * channels..]
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() / channels as f32),
    );
    Step::Samples(spec.rate)
}

/// Checks that a file is decodable audio: checks its structure, probes it
/// and decodes its first packets. Cheap; used at upload time.
pub fn probe_file(path: &Path) -> Result<AudioInfo, AudioError> {
    probe_open(File::open(path)?)
}

/// [`probe_file`] on an open file.
pub fn probe_open(file: File) -> Result<AudioInfo, AudioError> {
    guarded(|| {
        let mut o = open(file)?;
        let (mut decoded, mut errors) = (0, 0);
        let mut mono = Vec::new();
        while decoded < 3 && errors < 20 {
            mono.clear();
            match o.step(&mut mono) {
                Step::Samples(rate) => {
                    limits::check_sample_rate(rate)?;
                    o.info.sample_rate.get_or_insert(rate);
                    decoded += 1;
                }
                Step::Nothing => {}
                Step::Corrupt => errors += 1,
                Step::End(_) => break,
                Step::OverBudget => return Err(over_budget()),
            }
        }
        if decoded == 0 {
            return Err(AudioError::NoAudio(Some(format!(
                "{} {} stream yields no samples",
                o.info.container, o.info.codec
            ))));
        }
        Ok(o.info)
    })
}

fn over_budget() -> AudioError {
    AudioError::Malformed("more packets than a file of this size can hold".into())
}

/// What the decode loop does after a step.
enum Next {
    Rate(u32),
    Skip,
    Stop,
}

/// Classifies a step: samples at a rate, a packet to skip (counted when
/// corrupt; too many end the stream), or the end.
fn next_rate(step: Step, corrupt: &mut usize, source_frames: u64) -> Result<Next, AudioError> {
    Ok(match step {
        Step::Samples(rate) => Next::Rate(rate),
        Step::Nothing => Next::Skip,
        Step::Corrupt => {
            *corrupt += 1;
            if *corrupt > 1000 {
                Next::Stop
            } else {
                Next::Skip
            }
        }
        Step::OverBudget => return Err(over_budget()),
        Step::End(None) => Next::Stop,
        Step::End(Some(e)) if source_frames == 0 => return Err(AudioError::Io(e)),
        Step::End(Some(_)) => {
            *corrupt += 1;
            Next::Stop
        }
    })
}

/// What a streamed decode learned, once it ended.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DecodeSummary {
    pub info: AudioInfo,
    /// Duration of the source, in ms.
    pub duration_ms: u64,
    /// Packets that failed to decode and were skipped.
    pub corrupt_packets: usize,
    /// 16 kHz samples handed out in all.
    pub samples: u64,
}

/// Decodes a whole file to 16 kHz mono. Fails with [`AudioError::TooLong`]
/// past `max_seconds` of audio, without decoding the rest: memory is
/// bounded by `max_seconds` of 16 kHz samples plus one packet.
pub fn decode_file(path: &Path, max_seconds: u64) -> Result<DecodedAudio, AudioError> {
    let mut samples = Vec::new();
    let summary = decode_stream(
        path,
        max_seconds,
        |_| {},
        |block| {
            samples.extend_from_slice(block);
            Ok(())
        },
    )?;
    Ok(DecodedAudio {
        samples,
        info: summary.info,
        duration_ms: summary.duration_ms,
        corrupt_packets: summary.corrupt_packets,
    })
}

/// Decodes a file to 16 kHz mono, handing the samples to `sink` in blocks
/// of about a second as they come (memory: one block and one packet);
/// `opened` sees what the file is before the first block. Fails with
/// [`AudioError::TooLong`] past `max_seconds` of audio; every packet, of any
/// track, counts against the file's packet budget.
pub fn decode_stream(
    path: &Path,
    max_seconds: u64,
    opened: impl FnOnce(&AudioInfo),
    sink: impl FnMut(&[f32]) -> std::io::Result<()>,
) -> Result<DecodeSummary, AudioError> {
    decode_open(File::open(path)?, max_seconds, opened, sink)
}

/// [`decode_stream`] on an open file.
pub fn decode_open(
    file: File,
    max_seconds: u64,
    opened: impl FnOnce(&AudioInfo),
    mut sink: impl FnMut(&[f32]) -> std::io::Result<()>,
) -> Result<DecodeSummary, AudioError> {
    let mut o = guarded(|| open(file))?;
    opened(&o.info);
    let max_out = max_seconds.saturating_mul(u64::from(TARGET_RATE));
    let (mut resampler, mut mono): (Option<(u32, To16k)>, Vec<f32>) = (None, Vec::new());
    // Packets skipped as corrupt, frames decoded, 16 kHz samples handed on.
    let (mut corrupt, mut source_frames, mut handed) = (0usize, 0u64, 0u64);
    loop {
        mono.clear();
        let step = match guarded(|| Ok(o.step(&mut mono))) {
            Ok(step) => step,
            // A decoder that panics mid-stream: keep what came before, as
            // with a corrupt tail.
            Err(e) if source_frames > 0 => {
                tracing::warn!(error = %e, "decoding stopped early");
                corrupt += 1;
                break;
            }
            Err(e) => return Err(e),
        };
        let rate = match next_rate(step, &mut corrupt, source_frames)? {
            Next::Rate(rate) => rate,
            Next::Skip => continue,
            Next::Stop => break,
        };
        let Some(rs) = resampler_for(&mut resampler, rate)? else {
            corrupt += 1;
            continue;
        };
        source_frames += mono.len() as u64;
        rs.push(&mono);
        if handed + rs.output_len() as u64 > max_out {
            return Err(AudioError::TooLong(max_seconds));
        }
        if rs.output_len() >= TARGET_RATE as usize {
            let block = rs.take_ready();
            handed += block.len() as u64;
            sink(&block)?;
        }
    }
    let Some((rate, rs)) = resampler else {
        return Err(no_audio(corrupt));
    };
    if corrupt > 0 {
        tracing::warn!(corrupt, "skipped corrupt audio packets");
    }
    handed += flush(rs, handed, &mut sink)?;
    o.info.sample_rate.get_or_insert(rate);
    Ok(DecodeSummary {
        duration_ms: source_frames * 1000 / u64::from(rate),
        info: o.info,
        corrupt_packets: corrupt,
        samples: handed,
    })
}

/// The resampler of the stream's first sample rate, made on its first
/// samples; `None` for samples at another rate (a stream that changes rate
/// mid-way keeps the first rate's timeline; the caller counts them corrupt).
fn resampler_for(
    slot: &mut Option<(u32, To16k)>,
    rate: u32,
) -> Result<Option<&mut To16k>, AudioError> {
    let (first_rate, rs) = match slot {
        Some(r) => r,
        None => {
            limits::check_sample_rate(rate)?;
            let rs = To16k::new(rate).map_err(AudioError::InvalidParameters)?;
            slot.insert((rate, rs))
        }
    };
    Ok((rate == *first_rate).then_some(rs))
}

/// A file that gave no samples, saying whether its packets were corrupt.
fn no_audio(corrupt: usize) -> AudioError {
    AudioError::NoAudio(Some(if corrupt > 0 {
        format!("{corrupt} corrupt packets and no good ones")
    } else {
        "no samples".into()
    }))
}

/// Hands the resampler's last samples to `sink`; fails when the whole
/// decode gave none. Returns how many it handed.
fn flush(
    rs: To16k,
    handed: u64,
    sink: &mut impl FnMut(&[f32]) -> std::io::Result<()>,
) -> Result<u64, AudioError> {
    let rest = rs.finish();
    if handed + rest.len() as u64 == 0 {
        return Err(AudioError::NoAudio(Some("no samples".into())));
    }
    if !rest.is_empty() {
        sink(&rest)?;
    }
    Ok(rest.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_containers() {
        assert_eq!(sniff_container(b"RIFF\0\0\0\0WAVEfmt "), Some("wav"));
        assert_eq!(sniff_container(b"fLaC\0\0"), Some("flac"));
        assert_eq!(sniff_container(b"OggS\0\x02"), Some("ogg"));
        assert_eq!(sniff_container(b"\0\0\0\x20ftypM4A "), Some("mp4"));
        assert_eq!(
            sniff_container(&[0x1A, 0x45, 0xDF, 0xA3, 1]),
            Some("matroska")
        );
        assert_eq!(sniff_container(b"ID3\x04"), Some("mp3"));
        assert_eq!(sniff_container(&[0xFF, 0xFB, 0x90]), Some("mp3"));
        assert_eq!(sniff_container(&[0xFF, 0xF1, 0x50]), Some("adts"));
        assert_eq!(sniff_container(b"hello world, not audio"), None);
    }

    fn write_wav(path: &Path, rate: u32, channels: u16, secs: f32) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..(rate as f32 * secs) as usize {
            let v = ((i as f32 * 0.05).sin() * 8000.0) as i16;
            for _ in 0..channels {
                w.write_sample(v).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn decodes_wav_to_16k_with_the_right_duration() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        write_wav(&p, 44_100, 2, 1.5);
        let info = probe_file(&p).unwrap();
        assert_eq!(info.container, "wav");
        assert_eq!(info.channels, Some(2));
        let d = decode_file(&p, 60).unwrap();
        assert_eq!(d.duration_ms, 1500);
        assert_eq!(d.samples.len(), 24_000);
    }

    #[test]
    fn too_long_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        write_wav(&p, 8_000, 1, 3.0);
        assert!(matches!(decode_file(&p, 1), Err(AudioError::TooLong(1))));
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.mp3");
        std::fs::write(
            &p,
            b"this is just some text pretending to be an mp3 file\n".repeat(50),
        )
        .unwrap();
        let err = probe_file(&p).unwrap_err();
        assert!(!err.is_retryable());
        let empty = dir.path().join("empty.wav");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(probe_file(&empty), Err(AudioError::NoAudio(_))));
    }
}
