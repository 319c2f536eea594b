//! Streaming resampler to 16 kHz mono with rubato's FFT resampler (band
//! limited, not linear interpolation). Input arrives in pieces of any size;
//! memory is bounded by the 16 kHz output, not the decoded source.

use rubato::{FftFixedIn, Resampler};

/// Whisper's sample rate.
pub const TARGET_RATE: u32 = 16_000;
const CHUNK: usize = 1024;

/// Accumulates mono samples at the source rate and produces 16 kHz output.
pub struct To16k {
    rs: Option<FftFixedIn<f32>>,
    in_rate: u32,
    pending: Vec<f32>,
    out: Vec<f32>,
    /// Index, in the resampler's whole output, of `out[0]`.
    pos: usize,
    in_total: u64,
}

impl To16k {
    /// A resampler from `in_rate` Hz.
    pub fn new(in_rate: u32) -> Result<Self, String> {
        let rs = if in_rate == TARGET_RATE {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(in_rate as usize, TARGET_RATE as usize, CHUNK, 2, 1)
                    .map_err(|e| format!("cannot resample from {in_rate} Hz: {e}"))?,
            )
        };
        Ok(Self {
            rs,
            in_rate,
            pending: Vec::with_capacity(CHUNK * 2),
            out: Vec::new(),
            pos: 0,
            in_total: 0,
        })
    }

    /// Output samples produced so far (about; the filter delay is trimmed at the end).
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// Feeds mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        self.in_total += samples.len() as u64;
        let Some(rs) = self.rs.as_mut() else {
            self.out.extend_from_slice(samples);
            return;
        };
        let mut input = samples;
        // Fill a partial chunk first, then process whole chunks straight from the input.
        if !self.pending.is_empty() {
            let need = rs.input_frames_next() - self.pending.len();
            let take = need.min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == rs.input_frames_next() {
                if let Ok(o) = rs.process(&[&self.pending], None) {
                    self.out.extend_from_slice(&o[0]);
                }
                self.pending.clear();
            }
        }
        while input.len() >= rs.input_frames_next() {
            let n = rs.input_frames_next();
            if let Ok(o) = rs.process(&[&input[..n]], None) {
                self.out.extend_from_slice(&o[0]);
            }
            input = &input[n..];
        }
        self.pending.extend_from_slice(input);
    }

    /// Takes the output ready so far (the resampler's delay already cut),
    /// so that a stream holds no more than a chunk of it: the pieces taken
    /// followed by [`finish`](Self::finish) are what `finish` alone gives.
    pub fn take_ready(&mut self) -> Vec<f32> {
        let delay = self.rs.as_ref().map_or(0, |rs| rs.output_delay());
        if self.pos < delay {
            let cut = (delay - self.pos).min(self.out.len());
            self.out.drain(..cut);
            self.pos += cut;
            if self.pos < delay {
                return Vec::new();
            }
        }
        self.pos += self.out.len();
        std::mem::take(&mut self.out)
    }

    /// Flushes the filter and returns exactly `in_samples · 16000 / in_rate`
    /// samples (rounded), aligned with the input.
    pub fn finish(mut self) -> Vec<f32> {
        let expected = ((self.in_total as u128 * TARGET_RATE as u128 + self.in_rate as u128 / 2)
            / self.in_rate as u128) as usize;
        let Some(mut rs) = self.rs.take() else {
            return self.out;
        };
        let delay = rs.output_delay();
        if !self.pending.is_empty() {
            if let Ok(o) = rs.process_partial(Some(&[&self.pending]), None) {
                self.out.extend_from_slice(&o[0]);
            }
        }
        while self.pos + self.out.len() < delay + expected {
            match rs.process_partial::<Vec<f32>>(None, None) {
                Ok(o) if !o[0].is_empty() => self.out.extend_from_slice(&o[0]),
                _ => break,
            }
        }
        // Keep the whole output's [delay, delay + expected) part of `out`.
        let end = (delay + expected)
            .saturating_sub(self.pos)
            .min(self.out.len());
        let start = delay.saturating_sub(self.pos).min(end);
        self.out.drain(..start);
        self.out.truncate(end - start);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn keeps_duration_and_frequency_for_common_rates() {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let input = sine(rate, 440.0, 2.0);
            let mut r = To16k::new(rate).unwrap();
            for piece in input.chunks(777) {
                r.push(piece);
            }
            let out = r.finish();
            assert_eq!(out.len(), 32_000, "rate {rate}");
            // Zero crossings of a 440 Hz tone over 2 s: about 1760.
            let crossings = out[100..out.len() - 100]
                .windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count();
            assert!(
                (1740..=1765).contains(&crossings),
                "rate {rate}: {crossings}"
            );
            let peak = out[1000..31_000].iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((0.45..0.55).contains(&peak), "rate {rate}: peak {peak}");
        }
    }

    #[test]
    fn taking_output_as_it_comes_gives_the_same_samples() {
        for rate in [8_000, 16_000, 44_100, 48_000] {
            let input = sine(rate, 300.0, 3.0);
            let mut whole = To16k::new(rate).unwrap();
            let mut streamed = To16k::new(rate).unwrap();
            let mut taken = Vec::new();
            for piece in input.chunks(1500) {
                whole.push(piece);
                streamed.push(piece);
                taken.extend(streamed.take_ready());
            }
            taken.extend(streamed.finish());
            assert_eq!(taken, whole.finish(), "rate {rate}");
        }
    }

    #[test]
    fn removes_content_above_the_new_nyquist() {
        let input = sine(48_000, 12_000.0, 1.0);
        let mut r = To16k::new(48_000).unwrap();
        r.push(&input);
        let out = r.finish();
        let rms = (out.iter().map(|v| v * v).sum::<f32>() / out.len() as f32).sqrt();
        assert!(rms < 0.01, "aliasing left rms {rms}");
    }
}
