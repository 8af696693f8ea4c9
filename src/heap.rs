//! Two hints to the C allocator, so that what a long import keeps resident is what it uses.
//!
//! - [`limit_arenas`]: glibc gives each thread that allocates an arena of its own (up to eight
//!   per core), and every arena keeps the memory it once held; two are plenty for timport's
//!   few threads. Call it first thing, before any thread starts.
//! - [`release_free_memory`]: after a scan, the pages it freed (each target's unsorted entries,
//!   sorted and then packed) go back to the system instead of staying in the heap's free lists.
//!
//! Owns nothing else; with another C library (musl, macOS, Windows) both do nothing.

/// Caps the allocator's arenas at two.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; any value is accepted
    // (a refusal returns 0 and changes nothing), and no memory is touched.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns freed heap pages to the system.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory that is already free; it is thread-safe (it
    // takes each arena's lock) and leaves every live allocation in place.
    unsafe {
        libc::malloc_trim(0);
    }
}
