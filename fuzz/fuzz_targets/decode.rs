//! Probe + decode of arbitrary bytes: every input must end in samples or an
//! error — never a panic that escapes, an abort, a hang or a huge
//! allocation (run with `-malloc_limit_mb`, see `scripts/fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    // Panics inside decoder libraries are caught and become errors (the
    // service's behaviour); libfuzzer-sys's hook would abort on them.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    // The decoder reads files: one per fuzzing process, rewritten each time.
    thread_local! {
        static PATH: std::path::PathBuf = std::env::temp_dir()
            .join(format!("susurro-fuzz-{}.bin", std::process::id()));
    }
    PATH.with(|path| {
        let mut f = std::fs::File::create(path).expect("temp file");
        f.write_all(data).expect("write temp file");
        drop(f);
        if susurro::audio::probe_file(path).is_ok() {
            // 60 s at most: bounded work per input.
            let _ = susurro::audio::decode_file(path, 60);
        }
    });
});
