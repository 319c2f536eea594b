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
