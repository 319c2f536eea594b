//! Untrusted media parsed in a bounded child process. Probing (at upload)
//! and decoding (in the job) run in `susurro decode --ipc …`, a child of the
//! same binary with the same code (symphonia, libopus, rubato), so that no
//! parser bug — a loop that never ends, an allocation that never stops, an
//! abort inside native code — can stop the service:
//!
//! - the child gets the file as its standard input and can open nothing
//!   else (`RLIMIT_NOFILE` at 3, so no socket and no file), has no network
//!   namespace where the kernel allows one, dies with the thread that
//!   started it, and runs under address-space, CPU-time, core and file-size
//!   limits;
//! - a watchdog thread kills it when the job is stopped, when it has kept
//!   the parent waiting for longer than its time allows, or when it stalls;
//! - its samples (16 kHz mono f32) come back over a pipe in framed blocks,
//!   read as the caller consumes them, so a slow consumer holds the child
//!   back instead of buffering the recording.
//!
//! A child that dies, overruns or is killed gives [`AudioError::Sandbox`]:
//! the input's fault (422 at upload, a failed job that is not retried).

use super::{AudioError, AudioInfo, DecodeSummary};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first two arguments that make the binary a media child.
pub const CHILD_ARGS: [&str; 2] = ["decode", "--ipc"];

const TAG_INFO: u8 = b'I';
const TAG_SAMPLES: u8 = b'S';
const TAG_ERROR: u8 = b'E';
const TAG_DONE: u8 = b'D';
/// Largest frame the parent accepts (a sample block is ~64 KB).
const MAX_FRAME: usize = 1 << 22;
/// How long the child may keep the parent waiting for a single frame.
const STALL: Duration = Duration::from_secs(20);

/// How to run media children.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The program run as the child (this binary, or `MEDIA_CHILD_EXE`).
    pub exe: PathBuf,
    /// Address-space limit of a child, in bytes.
    pub memory_bytes: u64,
    /// Time a probe may take.
    pub probe_timeout: Duration,
}

impl Sandbox {
    /// Children run `exe` (`None`: this program) with `memory_mb` of
    /// address space; probes end after `probe_timeout`.
    pub fn new(
        exe: Option<PathBuf>,
        memory_mb: u64,
        probe_timeout: Duration,
    ) -> std::io::Result<Self> {
        let exe = match exe {
            Some(e) => e,
            None => std::env::current_exe()?,
        };
        Ok(Self {
            exe,
            memory_bytes: memory_mb.saturating_mul(1 << 20),
            probe_timeout,
        })
    }

    /// Probes `path` in a child: its structure, first packets and declared
    /// duration, which must not pass `max_seconds` ([`AudioError::TooLong`]).
    /// Blocking: call it off the async runtime.
    pub fn probe(&self, path: &Path, max_seconds: u64) -> Result<AudioInfo, AudioError> {
        let never = AtomicBool::new(false);
        let limits = Limits {
            waiting: self.probe_timeout,
            abort: &never,
        };
        let mut info = None;
        self.run("probe", path, max_seconds, &limits, |frame| {
            if let Frame::Info(i) = frame {
                info = Some(i);
            }
            Ok::<(), AudioError>(())
        })?;
        info.ok_or_else(|| AudioError::Sandbox("the probe ended without an answer".into()))
    }

    /// Decodes `path` in a child, handing 16 kHz mono blocks to `on_block`
    /// as they arrive (after `on_info`). `abort` kills the child at once.
    /// The child may keep the caller waiting for [`decode_time`] of this
    /// file in all. Blocking.
    pub fn decode<E: From<AudioError>>(
        &self,
        path: &Path,
        max_seconds: u64,
        abort: &AtomicBool,
        mut on_info: impl FnMut(&AudioInfo),
        mut on_block: impl FnMut(Vec<f32>) -> Result<(), E>,
    ) -> Result<DecodeSummary, E> {
        let len = std::fs::metadata(path).map_err(AudioError::Io)?.len();
        let limits = Limits {
            waiting: decode_time(len),
            abort,
        };
        let mut summary = None;
        self.run(
            "decode",
            path,
            max_seconds,
            &limits,
            |frame| -> Result<(), E> {
                match frame {
                    Frame::Info(i) => on_info(&i),
                    Frame::Samples(s) => on_block(s)?,
                    Frame::Done(d) => summary = Some(d),
                }
                Ok(())
            },
        )?;
        summary
            .ok_or_else(|| AudioError::Sandbox("the decoder ended without a summary".into()).into())
    }

    /// Runs one child to its end, passing each frame to `on_frame`.
    fn run<E: From<AudioError>>(
        &self,
        mode: &str,
        path: &Path,
        max_seconds: u64,
        limits: &Limits<'_>,
        mut on_frame: impl FnMut(Frame) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut child = self.spawn(mode, path, max_seconds, limits.waiting)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| AudioError::Sandbox("no pipe".into()))?;
        let stderr = child.stderr.take();
        let watch = Watch::new(limits.waiting, mode == "probe");
        let pid = child.id();
        let tail = Mutex::new(String::new());
        std::thread::scope(|s| {
            let watchdog = s.spawn(|| watch.run(pid, limits.abort));
            if let Some(mut err) = stderr {
                let tail = &tail;
                s.spawn(move || keep_tail(&mut err, tail));
            }
            let r = read_frames(BufReader::new(stdout), &watch, &mut on_frame);
            // A consumer error (or one of ours) stops the child too.
            watch.finish();
            let _ = child.kill();
            let status = child.wait();
            let _ = watchdog.join();
            let tail = tail.lock().map(|t| t.clone()).unwrap_or_default();
            match r {
                Ok(Ended::Clean) => Ok(()),
                Ok(Ended::Error(e)) => Err(E::from(e)),
                Ok(Ended::Eof) => Err(E::from(died(status, watch.reason(), &tail))),
                Err(Stop::Consumer(e)) => Err(e),
                Err(Stop::Protocol(m)) => Err(E::from(match watch.reason() {
                    Some(reason) => died(status, Some(reason), &tail),
                    None => AudioError::Sandbox(m),
                })),
            }
        })
    }

    fn spawn(
        &self,
        mode: &str,
        path: &Path,
        max_seconds: u64,
        time: Duration,
    ) -> Result<Child, AudioError> {
        let file = File::open(path)?;
        let mut cmd = Command::new(&self.exe);
        // The child sets its own limits before it reads a byte (no pre_exec
        // hook here, so the standard library can use posix_spawn: forking a
        // service that holds a model would copy its page tables).
        cmd.args(CHILD_ARGS)
            .arg(mode)
            .arg(max_seconds.to_string())
            .arg(self.memory_bytes.to_string())
            .arg((time.as_secs() + 5).to_string())
            .env_clear()
            .stdin(Stdio::from(file))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().map_err(|e| {
            AudioError::Io(std::io::Error::new(
                e.kind(),
                format!("could not start the decoder {}: {e}", self.exe.display()),
            ))
        })
    }
}

/// Reads a child's whole answer from `r` and returns the 16 kHz samples it
/// held: what the parent does with a child's output, on its own so that it
/// can be fuzzed with what a compromised child could send
/// (`fuzz/fuzz_targets/child.rs`). Never panics; frames are bounded.
pub fn read_answer(r: impl Read) -> Result<usize, AudioError> {
    let watch = Watch::new(Duration::MAX, false);
    let mut samples = 0;
    let ended = read_frames(r, &watch, &mut |frame| {
        if let Frame::Samples(s) = frame {
            samples += s.len();
        }
        Ok::<(), AudioError>(())
    });
    match ended {
        Ok(Ended::Clean) => Ok(samples),
        Ok(Ended::Error(e)) => Err(e),
        Ok(Ended::Eof) => Err(AudioError::Sandbox("the answer ended early".into())),
        Err(Stop::Consumer(e)) => Err(e),
        Err(Stop::Protocol(m)) => Err(AudioError::Sandbox(m)),
    }
}

/// Time a decode child may keep its parent waiting in all: 30 s plus 4 s
/// per MB (decoding runs at hundreds of times real time; the parent's
/// waits while it transcribes do not count).
pub fn decode_time(file_bytes: u64) -> Duration {
    Duration::from_secs(30 + file_bytes / (256 * 1024))
}

fn limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: value as libc::rlim_t,
        rlim_max: value as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass.
    if unsafe { libc::setrlimit(resource, &lim) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

struct Limits<'a> {
    /// Time the child may keep the parent waiting, in all.
    waiting: Duration,
    abort: &'a AtomicBool,
}

/// What the child sends.
enum Frame {
    Info(AudioInfo),
    Samples(Vec<f32>),
    Done(DecodeSummary),
}

enum Ended {
    /// The child finished and said so.
    Clean,
    /// The child refused the file.
    Error(AudioError),
    /// The pipe closed without an answer: the child died or was killed.
    Eof,
}

enum Stop<E> {
    Consumer(E),
    Protocol(String),
}

fn read_frames<E>(
    mut r: impl Read,
    watch: &Watch,
    on_frame: &mut impl FnMut(Frame) -> Result<(), E>,
) -> Result<Ended, Stop<E>> {
    loop {
        watch.waiting(true);
        let frame = read_frame(&mut r);
        watch.waiting(false);
        let (tag, payload) = match frame {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(Ended::Eof),
            Err(e) => return Err(Stop::Protocol(format!("decoder pipe: {e}"))),
        };
        let frame = match tag {
            TAG_INFO => Frame::Info(json(&payload)?),
            TAG_SAMPLES => Frame::Samples(samples_of(&payload)?),
            TAG_DONE => {
                on_frame(Frame::Done(json(&payload)?)).map_err(Stop::Consumer)?;
                return Ok(Ended::Clean);
            }
            TAG_ERROR => {
                let w: WireError = json(&payload)?;
                return Ok(Ended::Error(w.into()));
            }
            other => return Err(Stop::Protocol(format!("unknown frame tag {other}"))),
        };
        let is_info = matches!(frame, Frame::Info(_));
        on_frame(frame).map_err(Stop::Consumer)?;
        if is_info && watch.info_ends {
            return Ok(Ended::Clean);
        }
    }
}

fn json<T: serde::de::DeserializeOwned, E>(p: &[u8]) -> Result<T, Stop<E>> {
    serde_json::from_slice(p).map_err(|e| Stop::Protocol(e.to_string()))
}

fn samples_of<E>(payload: &[u8]) -> Result<Vec<f32>, Stop<E>> {
    if !payload.len().is_multiple_of(4) {
        return Err(Stop::Protocol("sample block of odd length".into()));
    }
    Ok(payload
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// One frame: tag byte, u32 LE length, payload. `None` at a clean end.
fn read_frame(r: &mut impl Read) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    r.read_exact(&mut head[1..])?;
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!("frame of {len} bytes")));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok(Some((head[0], payload)))
}

/// Keeps the last 2 KB of the child's standard error (for the log).
fn keep_tail(r: &mut impl Read, tail: &Mutex<String>) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Ok(mut t) = tail.lock() {
            t.push_str(&String::from_utf8_lossy(&buf[..n]));
            if t.len() > 2048 {
                let mut cut = t.len() - 2048;
                while !t.is_char_boundary(cut) {
                    cut += 1;
                }
                t.drain(..cut);
            }
        }
    }
}

/// Why the watchdog killed a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Aborted,
    OutOfTime,
    Stalled,
}

/// Shared between the reader and the watchdog thread.
struct Watch {
    started: Instant,
    allowed: Duration,
    /// ms since `started` when the current wait began (0: not waiting).
    waiting_since: AtomicU64,
    /// Time spent waiting before the current wait, in ms.
    waited: AtomicU64,
    done: AtomicBool,
    reason: Mutex<Option<Reason>>,
    /// The answer is one info frame (a probe).
    info_ends: bool,
}

impl Watch {
    fn new(allowed: Duration, info_ends: bool) -> Self {
        Self {
            info_ends,
            started: Instant::now(),
            allowed,
            waiting_since: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            done: AtomicBool::new(false),
            reason: Mutex::new(None),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64 + 1
    }

    fn waiting(&self, on: bool) {
        if on {
            self.waiting_since.store(self.now_ms(), Ordering::SeqCst);
        } else {
            let since = self.waiting_since.swap(0, Ordering::SeqCst);
            if since > 0 {
                self.waited
                    .fetch_add(self.now_ms().saturating_sub(since), Ordering::SeqCst);
            }
        }
    }

    fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }

    fn reason(&self) -> Option<Reason> {
        *self.reason.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Polls every 10 ms until the reader is done; kills the child when it
    /// must stop.
    fn run(&self, pid: u32, abort: &AtomicBool) {
        while !self.done.load(Ordering::SeqCst) {
            let since = self.waiting_since.load(Ordering::SeqCst);
            let now = self.now_ms();
            let current = if since > 0 {
                now.saturating_sub(since)
            } else {
                0
            };
            let waited = self.waited.load(Ordering::SeqCst) + current;
            let reason = if abort.load(Ordering::Relaxed) {
                Some(Reason::Aborted)
            } else if waited > self.allowed.as_millis() as u64 {
                Some(Reason::OutOfTime)
            } else if current > STALL.as_millis() as u64 {
                Some(Reason::Stalled)
            } else {
                None
            };
            if let Some(r) = reason {
                *self.reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                // SAFETY: kill takes a pid and a signal; the child is ours and
                // not yet reaped (the reader waits for it after we stop).
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn died(status: std::io::Result<ExitStatus>, reason: Option<Reason>, tail: &str) -> AudioError {
    use std::os::unix::process::ExitStatusExt;
    let how = match reason {
        Some(Reason::Aborted) => "it was stopped (job cancelled or past its deadline)".to_string(),
        Some(Reason::OutOfTime) => "it ran out of time".to_string(),
        Some(Reason::Stalled) => format!("it sent nothing for {} s", STALL.as_secs()),
        None => match status {
            Ok(s) => match s.signal() {
                Some(libc::SIGXCPU) => "it ran out of CPU time".into(),
                Some(sig) => format!("it was killed by signal {sig}"),
                None => format!("it exited with {s}"),
            },
            Err(e) => format!("its status is unknown ({e})"),
        },
    };
    let last = tail.lines().rev().find(|l| !l.trim().is_empty());
    if let Some(line) = last {
        tracing::warn!(stderr = %line, "media child: last line of its standard error");
    }
    let out_of_memory = tail.contains("memory allocation") || tail.contains("capacity overflow");
    AudioError::Sandbox(if out_of_memory {
        format!("the decoder gave up on this file: it ran out of memory ({how})")
    } else {
        format!("the decoder gave up on this file: {how}")
    })
}

/// An [`AudioError`] as the child sends it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireError {
    UnsupportedFormat { detail: Option<String> },
    UnsupportedCodec { detail: String },
    NoAudioTrack,
    NoAudio { detail: Option<String> },
    InvalidParameters { detail: String },
    InvalidField { field: String, value: String },
    Malformed { detail: String },
    TooLong { seconds: u64 },
    Io { detail: String },
    Sandbox { detail: String },
}

/// Field names the checks use, back as the `&'static str` the error holds.
const FIELDS: [&str; 6] = [
    "sample_rate",
    "channels",
    "frames_per_packet",
    "bits_per_sample",
    "block_align",
    "fmt",
];

impl From<&AudioError> for WireError {
    fn from(e: &AudioError) -> Self {
        match e {
            AudioError::UnsupportedFormat(d) => Self::UnsupportedFormat { detail: d.clone() },
            AudioError::UnsupportedCodec(d) => Self::UnsupportedCodec { detail: d.clone() },
            AudioError::NoAudioTrack => Self::NoAudioTrack,
            AudioError::NoAudio(d) => Self::NoAudio { detail: d.clone() },
            AudioError::InvalidParameters(d) => Self::InvalidParameters { detail: d.clone() },
            AudioError::InvalidField { field, value } => Self::InvalidField {
                field: field.to_string(),
                value: value.clone(),
            },
            AudioError::Malformed(d) => Self::Malformed { detail: d.clone() },
            AudioError::TooLong(s) => Self::TooLong { seconds: *s },
            AudioError::Io(e) => Self::Io {
                detail: e.to_string(),
            },
            AudioError::Sandbox(d) => Self::Sandbox { detail: d.clone() },
        }
    }
}

impl From<WireError> for AudioError {
    fn from(w: WireError) -> Self {
        match w {
            WireError::UnsupportedFormat { detail } => Self::UnsupportedFormat(detail),
            WireError::UnsupportedCodec { detail } => Self::UnsupportedCodec(detail),
            WireError::NoAudioTrack => Self::NoAudioTrack,
            WireError::NoAudio { detail } => Self::NoAudio(detail),
            WireError::InvalidParameters { detail } => Self::InvalidParameters(detail),
            WireError::InvalidField { field, value } => {
                match FIELDS.iter().find(|f| **f == field) {
                    Some(f) => Self::InvalidField { field: f, value },
                    None => {
                        Self::Malformed(format!("invalid {field} in the audio header: {value}"))
                    }
                }
            }
            WireError::Malformed { detail } => Self::Malformed(detail),
            WireError::TooLong { seconds } => Self::TooLong(seconds),
            WireError::Io { detail } => Self::Io(std::io::Error::other(detail)),
            WireError::Sandbox { detail } => Self::Sandbox(detail),
        }
    }
}

/// The child: `susurro decode --ipc <probe|decode> <max seconds> <memory
/// bytes> <cpu seconds>`, the file on standard input, framed answers on
/// standard output. Runs before any
/// runtime or setting exists.
pub fn child_main(args: &[String]) -> ExitCode {
    let number = |i: usize| args.get(i).and_then(|v| v.parse::<u64>().ok());
    let (Some(mode), Some(max), Some(memory), Some(cpu)) =
        (args.first(), number(1), number(2), number(3))
    else {
        eprintln!(
            "usage: susurro decode --ipc <probe|decode> <max-seconds> <memory-bytes> <cpu-seconds> < FILE"
        );
        return ExitCode::from(2);
    };
    if let Err(e) = lock_down(memory, cpu) {
        eprintln!("could not set the child's limits: {e}");
        return ExitCode::from(2);
    }
    let input = match std::io::stdin().lock().as_fd_file() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("standard input is not a file: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::with_capacity(1 << 17, std::io::stdout().lock());
    let r = match mode.as_str() {
        "probe" => child_probe(input, max, &mut out),
        "decode" => child_decode(input, max, &mut out),
        _ => {
            eprintln!("unknown mode {mode:?}");
            return ExitCode::from(2);
        }
    };
    let r = r.and_then(|()| out.flush());
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

trait AsFdFile {
    fn as_fd_file(&self) -> std::io::Result<File>;
}

impl AsFdFile for std::io::StdinLock<'_> {
    /// Standard input as a `File` (a duplicate of fd 0, made before the
    /// descriptor limit leaves no room: see [`lock_down`]).
    fn as_fd_file(&self) -> std::io::Result<File> {
        use std::os::fd::AsFd;
        Ok(File::from(self.as_fd().try_clone_to_owned()?))
    }
}

/// The child's own limits, set before it reads a byte: `memory` bytes of
/// address space, `cpu` seconds of CPU, no core dumps, no file writes, no
/// new descriptors past the four it holds (so no sockets and no files), no
/// network namespace where allowed, no new privileges, and death with the
/// parent thread.
fn lock_down(memory: u64, cpu: u64) -> std::io::Result<()> {
    // SAFETY: prctl and unshare take plain integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        // Only where the kernel lets this user have one; the descriptor
        // limit below already rules out sockets.
        let _ = libc::unshare(libc::CLONE_NEWNET);
        if libc::getppid() == 1 {
            libc::_exit(3);
        }
    }
    limit(libc::RLIMIT_AS, memory)?;
    limit(libc::RLIMIT_CPU, cpu)?;
    limit(libc::RLIMIT_CORE, 0)?;
    limit(libc::RLIMIT_FSIZE, 0)?;
    // 0, 1, 2 and the duplicate of standard input made next.
    limit(libc::RLIMIT_NOFILE, 4)
}

fn frame(out: &mut impl Write, tag: u8, payload: &[u8]) -> std::io::Result<()> {
    out.write_all(&[tag])?;
    out.write_all(&(payload.len() as u32).to_le_bytes())?;
    out.write_all(payload)
}

fn json_frame(out: &mut impl Write, tag: u8, v: &impl serde::Serialize) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    frame(out, tag, &bytes)
}

fn child_probe(input: File, max_seconds: u64, out: &mut impl Write) -> std::io::Result<()> {
    let r = super::decode::probe_open(input).and_then(|info| match info.declared_ms {
        Some(ms) if ms > max_seconds.saturating_mul(1000) => Err(AudioError::TooLong(max_seconds)),
        _ => Ok(info),
    });
    match r {
        Ok(info) => json_frame(out, TAG_INFO, &info),
        Err(e) => json_frame(out, TAG_ERROR, &WireError::from(&e)),
    }
}

fn child_decode(input: File, max_seconds: u64, out: &mut impl Write) -> std::io::Result<()> {
    let info = std::cell::RefCell::new(None);
    let mut bytes = Vec::new();
    let mut broken = None;
    let r = super::decode::decode_open(
        input,
        max_seconds,
        |i| *info.borrow_mut() = Some(i.clone()),
        |block| {
            if let Some(i) = info.borrow_mut().take() {
                json_frame(out, TAG_INFO, &i)?;
            }
            bytes.clear();
            bytes.extend(block.iter().flat_map(|v| v.to_le_bytes()));
            frame(out, TAG_SAMPLES, &bytes).inspect_err(|e| broken = Some(e.kind()))
        },
    );
    if let Some(kind) = broken {
        // The parent went away or stopped reading: nobody to answer.
        return Err(kind.into());
    }
    match r {
        Ok(summary) => json_frame(out, TAG_DONE, &summary),
        Err(e) => json_frame(out, TAG_ERROR, &WireError::from(&e)),
    }
}
