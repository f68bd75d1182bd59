//! A few freed large blocks, kept for the next allocation of about their size.
//!
//! Blocks of [`super::HUGE`] bytes or more come from the system allocator, which maps each one
//! afresh and unmaps it when freed: every image of 1024x1024 complex numbers (16 MiB) or 2048x2048
//! doubles (32 MiB) made and dropped per resolve then costs page faults and the kernel zeroing all
//! of its pages, more than the arithmetic of a normalisation, a clip or a conjugate. Keeping the last few freed blocks lets the
//! next image of that size reuse one with its pages already mapped.
//!
//! Bounded: at most [`SLOTS`] blocks and [`MAX_KEPT`] bytes in all are kept (a block larger than
//! that is freed at once), and a block is reused only for a request at most an eighth smaller than
//! it, so no request holds much more memory than it asked for. Only blocks of the system
//! allocator's natural alignment are kept. Lock-free (one atomic swap per slot), so a fork in any
//! state leaves a consistent cache: a child inherits the kept blocks with the rest of the memory.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// How many freed blocks are kept at most.
pub(super) const SLOTS: usize = 8;

/// How many bytes the kept blocks may hold in all.
pub(super) const MAX_KEPT: usize = 256 << 20;

/// The largest alignment of the blocks kept: what `malloc` guarantees, and so what the system
/// allocator asks of it without `posix_memalign`.
pub(super) const ALIGN: usize = 16;

/// The kept blocks (null: an empty slot). A kept block is free memory, so its first word is ours
/// to hold its size in bytes, written before the block is published.
static KEPT: [AtomicPtr<u8>; SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];

/// The bytes held by the kept blocks (reserved before a block is published, released after it
/// is taken back).
static KEPT_BYTES: AtomicUsize = AtomicUsize::new(0);

/// A kept block for `size` bytes, or null when none fits. The caller owns the block: it was made
/// by `malloc` for at least `size` bytes, and `free` releases it.
pub(super) fn take(size: usize) -> *mut u8 {
    for slot in &KEPT {
        if slot.load(Ordering::Relaxed).is_null() {
            continue;
        }
        let block = slot.swap(std::ptr::null_mut(), Ordering::Acquire);
        if block.is_null() {
            continue;
        }
        // SAFETY: a published block holds its size in its first word, written before the Release
        // store that published it, which the Acquire swap above synchronises with; the block is
        // at least 16-byte aligned and far larger than a word.
        let kept = unsafe { block.cast::<usize>().read() };
        if kept >= size && kept - size <= kept / 8 {
            KEPT_BYTES.fetch_sub(kept, Ordering::Relaxed);
            return block;
        }
        // Not this one: back to its slot, or freed if another block took the slot meanwhile.
        if slot.compare_exchange(std::ptr::null_mut(), block, Ordering::Release, Ordering::Relaxed).is_err() {
            KEPT_BYTES.fetch_sub(kept, Ordering::Relaxed);
            // SAFETY: the block came from `malloc` (only such blocks are kept) and is owned here.
            unsafe { libc::free(block.cast()) };
        }
    }
    std::ptr::null_mut()
}

/// The slot whose block the next eviction frees. Blocks are kept in the first empty slot and
/// evicted in turn, so the block evicted is about the oldest kept.
static NEXT_EVICTED: AtomicUsize = AtomicUsize::new(0);

/// Keeps the freed block `block` of `size` bytes (from `malloc`), making room by freeing the oldest
/// kept blocks when the slots or the bytes are full, and returns whether it did; the caller frees
/// it otherwise (a block larger than [`MAX_KEPT`]). Without eviction, blocks of a size no longer
/// asked for (another stage's images: `ElasticTransformation`'s, before a `Resize` to 2048x2048)
/// would hold the slots for good, and every newer image went back to the system, page faults on
/// each resolve (Resize(2048, 2048) took 6.2 ms instead of 3.5 after one ElasticTransformation).
pub(super) fn keep(block: *mut u8, size: usize) -> bool {
    if size > MAX_KEPT {
        return false;
    }
    let mut evicted = 0;
    while KEPT_BYTES
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
            held.checked_add(size).filter(|&total| total <= MAX_KEPT)
        })
        .is_err()
    {
        // Other threads may hold bytes between reserving and publishing: give up after a round.
        if evicted == SLOTS || !evict_one() {
            return false;
        }
        evicted += 1;
    }
    // SAFETY: the block is free and owned by the caller, at least `size` bytes (more than a word)
    // and 16-byte aligned: its first word may be written.
    unsafe { block.cast::<usize>().write(size) };
    for _ in 0..=SLOTS {
        for slot in &KEPT {
            if slot.compare_exchange(std::ptr::null_mut(), block, Ordering::Release, Ordering::Relaxed).is_ok() {
                return true;
            }
        }
        if !evict_one() {
            break;
        }
    }
    KEPT_BYTES.fetch_sub(size, Ordering::Relaxed);
    false
}

/// Frees the block of the next slot in turn that holds one, and returns whether one was freed.
fn evict_one() -> bool {
    for _ in 0..SLOTS {
        let slot = &KEPT[NEXT_EVICTED.fetch_add(1, Ordering::Relaxed) % SLOTS];
        let block = slot.swap(std::ptr::null_mut(), Ordering::Acquire);
        if block.is_null() {
            continue;
        }
        // SAFETY: a published block holds its size in its first word, written before the Release
        // store that published it, which the Acquire swap above synchronises with.
        let kept = unsafe { block.cast::<usize>().read() };
        KEPT_BYTES.fetch_sub(kept, Ordering::Relaxed);
        // SAFETY: the block came from `malloc` (only such blocks are kept) and is owned here, taken
        // out of its slot by the swap.
        unsafe { libc::free(block.cast()) };
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set in the child process that runs the test below alone.
    const CHILD: &str = "DEEPTRACK_REUSE_TEST_CHILD";

    #[test]
    fn kept_blocks_are_reused_for_requests_of_about_their_size_only() {
        // The cache is the process's: other tests of this binary, running meanwhile, free blocks of
        // 4 MiB and more into it (filling the slots, so that `keep` refuses this test's block) and
        // take blocks from it (this test's, or theirs for this test's requests). So the test runs
        // in a child process of its own, this binary again with only this test.
        if std::env::var_os(CHILD).is_none() {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["alloc::reuse::tests::kept_blocks_are_reused_for_requests_of_about_their_size_only"])
                .args(["--exact", "--test-threads=1"])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "the child failed:\n{stdout}\n{stderr}");
            assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
            return;
        }
        let size = 40 << 20;
        // SAFETY: plain malloc/free of a block owned by the test.
        let block = unsafe { libc::malloc(size) }.cast::<u8>();
        assert!(!block.is_null());
        assert!(keep(block, size));
        // Too large, or much smaller: not this block.
        for request in [size + 1, size / 2] {
            let got = take(request);
            assert_ne!(got, block);
            // SAFETY: a taken block is owned by the caller and came from malloc.
            unsafe { libc::free(got.cast()) };
        }
        // A little smaller: reused, and then gone from the cache.
        let got = take(size - size / 16);
        assert_eq!(got, block);
        let again = take(size - size / 16);
        assert_ne!(again, block);
        // SAFETY: as above.
        unsafe { libc::free(again.cast()) };
        // More than the bound is never kept.
        assert!(!keep(block, MAX_KEPT + 1));
        // SAFETY: the block is owned by the test again.
        unsafe { libc::free(block.cast()) };

        // Full slots of blocks no longer asked for make way for the newest: the oldest is freed.
        let small = 5 << 20;
        for _ in 0..SLOTS {
            // SAFETY: as above; the cache owns each block it keeps.
            let b = unsafe { libc::malloc(small) }.cast::<u8>();
            assert!(keep(b, small));
        }
        // SAFETY: as above.
        let newest = unsafe { libc::malloc(size) }.cast::<u8>();
        assert!(keep(newest, size), "full slots refused the newest block");
        assert_eq!(take(size), newest);
        // Full bytes too: blocks of 40 MiB up to the bound, then one more, kept by evicting.
        let mut kept = Vec::new();
        while KEPT_BYTES.load(Ordering::Relaxed) + size <= MAX_KEPT {
            // SAFETY: as above.
            let b = unsafe { libc::malloc(size) }.cast::<u8>();
            assert!(keep(b, size));
            kept.push(b);
        }
        assert!(keep(newest, size), "full bytes refused the newest block");
        assert!(KEPT_BYTES.load(Ordering::Relaxed) <= MAX_KEPT);
        // Empty the cache: every block it holds is freed.
        while evict_one() {}
        assert_eq!(KEPT_BYTES.load(Ordering::Relaxed), 0);
    }
}
