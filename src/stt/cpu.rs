//! The CPU whisper.cpp runs on, in words: its model and the vector
//! extensions ggml uses (AVX2, AVX-512 and its VNNI/BF16 parts, AMX), so
//! that every speed figure can say where it was measured. Read from
//! `/proc/cpuinfo` (Linux); elsewhere, or when it cannot be read, "unknown".

/// Extensions that change ggml's speed, in the order they are named:
/// (cpuinfo flag, name).
const EXTENSIONS: [(&str, &str); 8] = [
    ("fma", "FMA"),
    ("f16c", "F16C"),
    ("avx2", "AVX2"),
    ("avx512f", "AVX-512"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx512_bf16", "AVX-512 BF16"),
    ("amx_tile", "AMX"),
    ("amx_int8", "AMX-INT8"),
];

/// Cores this process may use (at most 8: whisper gains little beyond):
/// the jobs' default threads and their core budget.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8)
}

/// This machine's CPU, e.g. `AMD EPYC (family 25, model 17), 2 cores:
/// FMA, F16C, AVX2, AVX-512, AVX-512 VNNI, AVX-512 BF16; no AMX`.
pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match std::fs::read_to_string("/proc/cpuinfo") {
        Ok(info) => describe_cpuinfo(&info, cores),
        Err(_) => format!("unknown CPU, {cores} cores"),
    }
}

/// [`describe`] of a `/proc/cpuinfo` text.
pub fn describe_cpuinfo(info: &str, cores: usize) -> String {
    let field = |name: &str| {
        info.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").unwrap_or_else(|| "unknown CPU".into());
    let flags: Vec<String> = field("flags")
        .map(|f| f.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    let named: Vec<&str> = EXTENSIONS
        .iter()
        .filter(|(flag, _)| has(flag))
        .map(|(_, name)| *name)
        .collect();
    let family = match (field("cpu family"), field("model")) {
        (Some(f), Some(m)) => format!(" (family {f}, model {m})"),
        _ => String::new(),
    };
    let missing: Vec<&str> = [("avx512f", "AVX-512"), ("amx_tile", "AMX")]
        .iter()
        .filter(|(flag, _)| !has(flag))
        .map(|(_, name)| *name)
        .collect();
    let mut out = format!("{model}{family}, {cores} cores: ");
    out.push_str(
        if named.is_empty() {
            "no vector extensions ggml uses".to_string()
        } else {
            named.join(", ")
        }
        .as_str(),
    );
    if !missing.is_empty() {
        out.push_str(&format!("; no {}", missing.join(", no ")));
    }
    out
}

/// The machine's CPUs that nothing runs on at this moment: the online
/// CPUs less the runnable threads (`procs_running` of `/proc/stat`, the
/// least of three reads 1 ms apart, so that a thread awake for a moment is
/// not load) other than the caller and `ours` (threads this process runs
/// whisper on, which its core budgets count already). `None` where
/// `/proc/stat` cannot be read. Whisper's threads spin while they wait for
/// each other: two of them on a machine busy with other work ran a live
/// decode 2.6× slower than one (BENCHMARKS.md).
pub fn idle_cpus(ours: usize) -> Option<usize> {
    let mut least: Option<(usize, usize)> = None;
    for i in 0..3 {
        if i > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let (cpus, running) = parse_stat(&std::fs::read_to_string("/proc/stat").ok()?)?;
        least = Some(least.map_or((cpus, running), |(c, r)| (c, r.min(running))));
    }
    let (cpus, running) = least?;
    Some(idle(cpus, running, ours))
}

/// CPUs less the runnable threads that are neither the caller nor `ours`.
fn idle(cpus: usize, running: usize, ours: usize) -> usize {
    cpus.saturating_sub(running.saturating_sub(1 + ours))
}

/// The online CPUs (`cpuN` lines) and `procs_running` of a `/proc/stat`.
fn parse_stat(stat: &str) -> Option<(usize, usize)> {
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    let running = stat
        .lines()
        .find_map(|l| l.strip_prefix("procs_running "))?
        .trim()
        .parse()
        .ok()?;
    (cpus > 0).then_some((cpus, running))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cpus_and_the_runnable_threads() {
        let stat = "cpu  10 0 5 100\ncpu0 5 0 2 50\ncpu1 5 0 3 50\nintr 1 2\nprocs_running 3\nprocs_blocked 0\n";
        assert_eq!(parse_stat(stat), Some((2, 3)));
        assert_eq!(parse_stat("cpu  1 2 3\nprocs_running 1\n"), None);
        assert_eq!(parse_stat("cpu0 1\nprocs_running x\n"), None);
    }

    #[test]
    fn threads_busy_elsewhere_leave_fewer_cpus_idle() {
        let Some((cpus, _)) = parse_stat(&std::fs::read_to_string("/proc/stat").unwrap()) else {
            panic!("/proc/stat has no CPUs");
        };
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            // As many spinning threads as CPUs: none is idle.
            for _ in 0..cpus {
                s.spawn(|| {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            let idle = idle_cpus(0);
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(idle, Some(0));
        });
        // The caller and this process's own whisper threads are not load.
        assert_eq!(idle(2, 1, 0), 2);
        assert_eq!(idle(2, 3, 2), 2);
        assert_eq!(idle(2, 3, 1), 1);
        assert_eq!(idle(2, 9, 0), 0);
    }

    #[test]
    fn names_the_model_and_what_ggml_can_use() {
        let epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n\
                    model name\t: AMD EPYC\nflags\t\t: fpu fma f16c avx2 avx512f avx512_vnni avx512_bf16\n";
        assert_eq!(
            describe_cpuinfo(epyc, 2),
            "AMD EPYC (family 25, model 17), 2 cores: FMA, F16C, AVX2, AVX-512, AVX-512 VNNI, \
             AVX-512 BF16; no AMX"
        );
        let xeon =
            "cpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Platinum 8481C\n\
                    flags\t\t: fma f16c avx2 avx512f avx512_vnni avx512_bf16 amx_tile amx_int8\n";
        assert!(describe_cpuinfo(xeon, 2).ends_with("AVX-512 BF16, AMX, AMX-INT8"));
        let old = "model name\t: Old\nflags\t\t: sse2\n";
        assert_eq!(
            describe_cpuinfo(old, 1),
            "Old, 1 cores: no vector extensions ggml uses; no AVX-512, no AMX"
        );
    }
}
