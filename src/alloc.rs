//! The C library's memory allocator, compiled only with the Cargo feature `mimalloc` (every build of
//! the C library and of the Python wheel turns it on; a Rust program that depends on the crate keeps
//! its own allocator): mimalloc, or the system's `malloc` when the environment variable
//! `DEEPTRACK_SYSTEM_ALLOCATOR` is set when the library first allocates (valgrind and the sanitizers
//! watch the system's `malloc`; the tests run the C programs under them that way).
//!
//! mimalloc keeps freed pages in thread-local heaps for a moment before returning them to the OS,
//! which spares a simulation that makes and drops buffers of the same sizes for every image most of
//! the page faults the system allocator causes, and lets batch workers scale. Its arenas are
//! committed on demand rather than eagerly, which keeps the resident memory of a batch near the
//! system allocator's.

pub(crate) mod fork;
mod reuse;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU8, Ordering};

/// The allocator chosen at the first allocation: 0 undecided, then one of these.
static CHOICE: AtomicU8 = AtomicU8::new(0);
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

/// `mi_option_arena_eager_commit` in mimalloc.h (v2, the version libmimalloc-sys 0.1.49 builds):
/// its position in `mi_option_e`.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// `mi_option_visit_abandoned` in mimalloc.h (v2): its position in `mi_option_e`. Kept off, so that
/// no arena's visitor lock is ever taken ([`fork`]).
const MI_OPTION_VISIT_ABANDONED: libmimalloc_sys::mi_option_t = 29;

#[inline]
fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        0 => decide(),
        chosen => chosen,
    }
}

#[cold]
fn decide() -> u8 {
    // SAFETY: getenv with a NUL-terminated name; it does not allocate. The result is only compared
    // with NULL.
    let system = unsafe { !libc::getenv(c"DEEPTRACK_SYSTEM_ALLOCATOR".as_ptr()).is_null() };
    let wanted = if system {
        SYSTEM
    } else {
        // SAFETY: setting an option is allowed at any time; this one applies to arenas created
        // later, and none is before the first allocation.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
        // SAFETY: as above; the option is read where abandoned segments are visited, and none is
        // before the first allocation.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_VISIT_ABANDONED, 0) };
        MIMALLOC
    };
    // Threads deciding at once agree (they read the same environment); the first one's stands.
    match CHOICE.compare_exchange(0, wanted, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => wanted,
        Err(chosen) => chosen,
    }
}

/// Blocks of this size or more (4 MiB: a 1024x1024 image of 32-bit samples; numpy's threshold for
/// huge pages too) always come from the system allocator, the last few freed kept for reuse
/// ([`reuse`]). They are few, and the kernel's overcommit check then refuses requests that cannot be
/// backed (mimalloc reserves address space without committing it, so a request for terabytes would
/// succeed and fault in later): an impossible image size stays an out-of-memory error instead of a
/// killed process. Below 32 MiB, mimalloc would also give each freed block of 16 MiB or more back to
/// the kernel, which then zeroes its pages again for the next image of that size (15% of a complex
/// `Conjugate` of 1024x1024 went to that); a kept block has its pages mapped already.
const HUGE: usize = 4 << 20;

/// Whether a freed system block of this layout may be kept for reuse ([`reuse`]): only when the
/// library runs on mimalloc (the system allocator is chosen for leak checkers, which must see every
/// free), and only blocks `malloc` made.
#[inline]
fn reusable(layout: Layout) -> bool {
    layout.align() <= reuse::ALIGN && layout.size() >= HUGE && choice() == MIMALLOC
}

/// Whether blocks of `size` bytes come from mimalloc.
#[inline]
fn from_mimalloc(size: usize) -> bool {
    size < HUGE && choice() == MIMALLOC
}

/// The global allocator of the library (see the module documentation).
pub(crate) struct Allocator;

// SAFETY: every block is freed by the allocator that made it: the choice is made once, before the
// first block, and never changes, and a block's size (known again at dealloc and realloc) decides
// between the two otherwise; both allocators honour `layout`'s size and alignment. A kept system
// block ([`reuse`]) is a `malloc` block of at least the size asked for, with `malloc`'s alignment
// (only layouts of at most that alignment take one), so the system allocator's `free` and
// `realloc` remain right for it.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if from_mimalloc(layout.size()) {
            // SAFETY: forwarded with the caller's guarantees (non-zero size).
            unsafe { libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast() }
        } else {
            if reusable(layout) {
                let block = reuse::take(layout.size());
                if !block.is_null() {
                    return block;
                }
            }
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if from_mimalloc(layout.size()) {
            // SAFETY: as in `alloc`.
            unsafe { libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast() }
        } else {
            if reusable(layout) {
                let block = reuse::take(layout.size());
                if !block.is_null() {
                    // SAFETY: the block is at least `layout.size()` bytes and owned here.
                    unsafe { block.write_bytes(0, layout.size()) };
                    return block;
                }
            }
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if from_mimalloc(layout.size()) {
            // SAFETY: a block of this size came from mimalloc (see the impl's safety comment).
            unsafe { libmimalloc_sys::mi_free(ptr.cast::<c_void>()) }
        } else if !(reusable(layout) && reuse::keep(ptr, layout.size())) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (from_mimalloc(layout.size()), from_mimalloc(new_size)) {
            // SAFETY: the block came from mimalloc and stays there; the alignment is kept.
            (true, true) => unsafe {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            },
            // SAFETY: the block came from the system allocator and stays there.
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            // Crossing the threshold: a new block from the other allocator, the contents moved.
            _ => {
                // SAFETY: `new_size` is non-zero and, rounded to `layout.align()`, does not
                // overflow (the caller's guarantees); the old block is valid for `layout.size()`
                // bytes and the new one for `new_size`, and they are distinct.
                unsafe {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

#[cfg(test)]
mod tests {
    #[test]
    fn blocks_move_between_the_allocators_when_they_grow_or_shrink_across_the_threshold() {
        let mut v: Vec<u8> = (0..=255).cycle().take(1000).collect();
        v.reserve_exact(super::HUGE); // grows past the threshold
        assert_eq!(v[999], (999 % 256) as u8);
        v.shrink_to_fit(); // and back
        assert_eq!(v.len(), 1000);
        assert!(v.iter().enumerate().all(|(i, &b)| b == (i % 256) as u8));
        // An impossible request is refused, not reserved.
        let mut huge: Vec<u8> = Vec::new();
        assert!(huge.try_reserve_exact(1 << 46).is_err());
    }

    #[test]
    fn the_choice_is_made_once_and_allocations_work() {
        let v: Vec<u64> = (0..100_000).collect();
        let chosen = super::CHOICE.load(std::sync::atomic::Ordering::Relaxed);
        assert!(chosen == super::MIMALLOC || chosen == super::SYSTEM);
        assert_eq!(v.iter().sum::<u64>(), 4_999_950_000);
        let big = vec![0u8; 1 << 20];
        assert!(big.iter().all(|&b| b == 0));
    }
}
