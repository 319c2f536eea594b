//! The mel filterbank whisper.cpp expects in a model file: librosa's Slaney
//! filterbank (`librosa.filters.mel(sr=16000, n_fft=400, n_mels=N)`, Slaney
//! mel scale and area normalisation), computed in f64 and stored as f32.

/// Number of FFT bins for whisper's n_fft of 400.
pub const N_FFT_BINS: usize = 201;
const SAMPLE_RATE: f64 = 16_000.0;

fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// Row-major `n_mels × 201` filterbank.
pub fn filterbank(n_mels: usize) -> Vec<f32> {
    let fft_freqs: Vec<f64> = (0..N_FFT_BINS)
        .map(|i| i as f64 * (SAMPLE_RATE / 2.0) / (N_FFT_BINS - 1) as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * N_FFT_BINS);
    for m in 0..n_mels {
        let (f0, f1, f2) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
        let enorm = 2.0 / (f2 - f0);
        for &f in &fft_freqs {
            let lower = (f - f0) / (f1 - f0);
            let upper = (f2 - f) / (f2 - f1);
            out.push((lower.min(upper).max(0.0) * enorm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str) -> Vec<f32> {
        let path = format!(
            "{}/vendor/mel_filters/{name}.f32le",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).expect("vendored reference filterbank");
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    fn check(n_mels: usize, name: &str) {
        let ours = filterbank(n_mels);
        let theirs = reference(name);
        assert_eq!(ours.len(), theirs.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-7, "max abs difference {worst}");
        assert!(theirs.iter().any(|&v| v > 0.0));
    }

    #[test]
    fn matches_openai_whisper_80() {
        check(80, "mel_80");
    }

    #[test]
    fn matches_openai_whisper_128() {
        check(128, "mel_128");
    }
}
