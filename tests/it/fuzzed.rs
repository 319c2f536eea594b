//! A bounded property test of probe + decode: a few hundred mutations of
//! real files of every supported format (bit flips, truncations, header
//! fields set to 0, to the maximum and to negative values), the hostile
//! fixtures and every regression file the fuzzer found (scripts/fuzz), each
//! decoded by `susurro decode` in its own process with 1 GB of address
//! space and 20 s: each ends with samples or a clear error, never a signal.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Real files of every supported format, made from generated speech.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let speech = espeak_wav("hola, hay que hacer deploy", "es");
    let formats: &[(&str, &[&str])] = &[
        ("wav", &["-ar", "16000", "-c:a", "pcm_s16le"]),
        ("wav", &["-ac", "2", "-c:a", "pcm_f32le"]),
        ("wav", &["-ar", "8000", "-c:a", "pcm_mulaw"]),
        ("wav", &["-ac", "3", "-c:a", "pcm_s24le"]),
        ("flac", &["-c:a", "flac"]),
        ("mp3", &["-c:a", "libmp3lame", "-b:a", "32k"]),
        ("ogg", &["-c:a", "libvorbis"]),
        ("opus", &["-c:a", "libopus"]),
        ("webm", &["-c:a", "libopus"]),
        ("m4a", &["-c:a", "aac"]),
        ("aac", &["-c:a", "aac", "-f", "adts"]),
        ("aiff", &["-c:a", "pcm_s16be"]),
    ];
    formats
        .iter()
        .map(|(ext, args)| {
            let path = ffmpeg(&speech, args, ext);
            (format!("{ext}{args:?}"), std::fs::read(path).unwrap())
        })
        .collect()
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutations of one file: header fields (in the first 512 bytes) set to
/// 0 / max / negative / i32::MAX, bit flips (mostly in the header),
/// truncations.
fn mutations(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let head = bytes.len().min(512);
    for value in [0u32, u32::MAX, 0x8000_0000, 0x7FFF_FFFF] {
        for _ in 0..3 {
            let mut m = bytes.to_vec();
            let at = rng.below(head.saturating_sub(4));
            let le = rng.next() & 1 == 0;
            let v = if le {
                value.to_le_bytes()
            } else {
                value.to_be_bytes()
            };
            m[at..at + 4].copy_from_slice(&v);
            out.push(m);
        }
    }
    for _ in 0..8 {
        let mut m = bytes.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = if rng.next().is_multiple_of(4) {
                rng.below(m.len())
            } else {
                rng.below(head)
            };
            m[at] ^= 1 << rng.below(8);
        }
        out.push(m);
    }
    for _ in 0..5 {
        out.push(bytes[..rng.below(bytes.len())].to_vec());
    }
    out
}

fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Decodes `file` in a child process with bounded memory and time; returns
/// (exit code, stderr's last line) or panics on a signal or a hang.
fn decode_bounded(file: &Path) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_susurro");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" decode \"$1\"")
        .arg(bin)
        .arg(file)
        .env("RUST_LOG", "error")
        .env("RUST_BACKTRACE", "0")
        .env("MAX_AUDIO_SECONDS", "600")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let Some(status) =
        crate::common::wait_blocking(Duration::from_secs(20), || child.try_wait().unwrap())
    else {
        child.kill().unwrap();
        panic!("{}: decoding did not finish in 20 s", file.display());
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "{}: killed by a signal ({status:?}); stderr: {err}",
            file.display()
        )
    });
    (code, err.lines().last().unwrap_or_default().to_string())
}

#[test]
fn mutated_real_files_end_in_samples_or_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (i, (name, bytes)) in seeds().into_iter().enumerate() {
        for (j, m) in mutations(&bytes, &mut rng).into_iter().enumerate() {
            let p = dir.path().join(format!("{i:02}-{j:02}.bin"));
            std::fs::write(&p, m).unwrap();
            files.push((format!("{name} #{j}"), p));
        }
    }
    for p in fixture_files("tests/fixtures/hostile")
        .into_iter()
        .chain(fixture_files("tests/fixtures/fuzz-regressions"))
    {
        files.push((p.display().to_string(), p));
    }
    assert!(files.len() >= 300, "{} files", files.len());
    let (mut decoded, mut refused) = (0, 0);
    for (name, path) in &files {
        let (code, last) = decode_bounded(path);
        match code {
            0 => decoded += 1,
            1 => {
                assert!(
                    last.starts_with("error: ") && last.len() > 10,
                    "{name}: unclear error {last:?}"
                );
                refused += 1;
            }
            other => panic!("{name}: exit code {other}: {last}"),
        }
    }
    eprintln!(
        "{} files: {decoded} decoded, {refused} refused with a reason",
        files.len()
    );
    assert!(decoded > 0 && refused > 0);
}
