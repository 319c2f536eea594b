//! Handing freed heap pages back to the system after work that allocates a
//! lot for a short time (a transcription window, a live dictation session),
//! so that the service's resident memory follows its load back down instead
//! of keeping the high-water mark of its busiest moment.

/// Releases the free memory of every malloc arena to the system (glibc's
/// `malloc_trim`). It walks the heap: call it from blocking code, never on
/// the async runtime's threads.
pub fn release_free() {
    // SAFETY: malloc_trim only releases free heap memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Caps glibc's malloc arenas at the cores this process uses (at least
/// two; glibc's default is eight per core). Every arena keeps pages that
/// `malloc_trim` cannot always hand back, and a burst of live sessions
/// that happened to run on one thread more than the burst before left
/// the service 12–30 % above its resting memory
/// (`realtime::sessions_that_misbehave_leave_no_memory_behind` failed 5
/// times in 17 runs; with two arenas none failed in 8). Call it before
/// any thread starts; `MALLOC_ARENA_MAX` in the environment wins.
pub fn bound_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let arenas = crate::stt::cpu::cores().max(2) as libc::c_int;
    // SAFETY: mallopt only changes a malloc parameter; no thread has
    // started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}
