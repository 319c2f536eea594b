//! The child-process path: each input is probed and decoded through
//! [`susurro::audio::Sandbox`] (a real `susurro decode --ipc` child, the
//! binary named by `SUSURRO_BIN`), and read as the answer a compromised
//! child could send ([`susurro::audio::sandbox::read_answer`]). Every input
//! must end in samples or an error within the child's limits — never a
//! panic, a hang or a huge allocation in the parent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    static SANDBOX: std::sync::OnceLock<susurro::audio::Sandbox> = std::sync::OnceLock::new();
    let sandbox = SANDBOX.get_or_init(|| {
        let exe = std::env::var_os("SUSURRO_BIN").expect("SUSURRO_BIN: the susurro binary");
        susurro::audio::Sandbox::new(Some(exe.into()), 512, Duration::from_secs(5))
            .expect("sandbox")
    });
    thread_local! {
        static PATH: std::path::PathBuf = std::env::temp_dir()
            .join(format!("susurro-fuzz-child-{}.bin", std::process::id()));
    }
    PATH.with(|path| {
        let mut f = std::fs::File::create(path).expect("temp file");
        f.write_all(data).expect("write temp file");
        drop(f);
        if sandbox.probe(path, 60).is_ok() {
            let never = std::sync::atomic::AtomicBool::new(false);
            let _ = sandbox.decode::<susurro::audio::AudioError>(path, 60, &never, |_| {}, |_| Ok(()));
        }
    });
    let _ = susurro::audio::sandbox::read_answer(data);
});
