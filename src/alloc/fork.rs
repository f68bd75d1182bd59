//! mimalloc's locks through `fork`: held by the forking thread, so that a forked child never inherits
//! one locked by a thread it does not have.
//!
//! mimalloc (v2.3.2, which libmimalloc-sys 0.1.49 builds; the version is pinned in Cargo.toml) is
//! lock-free on its fast paths, and installs no fork handler. The locks it has, and why each is
//! safe in a child:
//!
//! * `abandoned_os_lock` and `abandoned_os_visit_lock` of the process's sub-process
//!   (`mi_subproc_t`, include/mimalloc/types.h): a thread that exits while blocks of its segments
//!   are still alive (a batch worker whose images the caller keeps) abandons those segments, and
//!   one that needs a segment reclaims abandoned ones. Segments in mimalloc's arenas go through
//!   atomic bitmaps; segments that came straight from the OS (when no arena can be reserved, e.g.
//!   under an address-space limit, or with `MIMALLOC_DISALLOW_ARENA_ALLOC`) go through a list
//!   under `abandoned_os_lock`, which an exiting thread takes and waits for. A child forked while
//!   another thread held it would wait forever at its own first such thread exit or reclaim. The
//!   handlers here take both locks (in mimalloc's order: the visitor's lock first) before `fork`,
//!   release them in the parent and reset them in the child, as glibc does with its `malloc` arenas.
//! * Each arena's `abandoned_visit_lock`: taken only when the option `visit_abandoned` is on, which
//!   [`super::decide`] turns off (it is off by default; this keeps `MIMALLOC_VISIT_ABANDONED` from
//!   turning it on).
//! * The lock of the message buffer (options.c) and the once-lock of mimalloc's process
//!   initialisation: used only while mimalloc prints a message or initialises (when the library is
//!   loaded), never by the library's work.
//!
//! The handlers run inside the library's own (`crate::sync`): the mimalloc locks are taken after
//! everything else (the library's prepare handler may allocate) and released before anything else.

use std::ffi::c_void;

use super::{MIMALLOC, choice};

/// The start of mimalloc's `struct mi_subproc_s` (include/mimalloc/types.h of v2.3.2): two counters,
/// then the two locks, each a `mi_lock_t`, which is `struct { pthread_mutex_t mutex; }` where
/// mimalloc uses pthreads (include/mimalloc/atomic.h, every Unix). Only the locks are used.
#[repr(C)]
struct SubprocHead {
    _abandoned_count: usize,
    _abandoned_os_list_count: usize,
    abandoned_os_lock: libc::pthread_mutex_t,
    abandoned_os_visit_lock: libc::pthread_mutex_t,
}

unsafe extern "C" {
    /// mimalloc's internal `_mi_subproc_from_id` (src/init.c): NULL gives the process's default
    /// sub-process, a static of mimalloc's that lives as long as the library.
    fn _mi_subproc_from_id(id: *mut c_void) -> *mut SubprocHead;
}

/// The two locks, in the order mimalloc takes them (the visitor's lock, then the list's), or None
/// when the library does not allocate with mimalloc.
fn locks() -> Option<[*mut libc::pthread_mutex_t; 2]> {
    if choice() != MIMALLOC {
        return None;
    }
    // SAFETY: with NULL, `_mi_subproc_from_id` returns the address of mimalloc's static default
    // sub-process without reading anything.
    let subproc = unsafe { _mi_subproc_from_id(std::ptr::null_mut()) };
    // SAFETY: `subproc` points to a live `mi_subproc_t`, whose first fields `SubprocHead` repeats;
    // only addresses are taken here.
    unsafe { Some([&raw mut (*subproc).abandoned_os_visit_lock, &raw mut (*subproc).abandoned_os_lock]) }
}

/// Before `fork`: takes mimalloc's locks (waiting for a thread that holds one to let it go; mimalloc
/// holds them for a few list operations and calls nothing meanwhile).
pub(crate) fn before_fork() {
    if let Some(locks) = locks() {
        for lock in locks {
            // SAFETY: a mutex of mimalloc's, initialised statically (zeroes, which is
            // PTHREAD_MUTEX_INITIALIZER with glibc and musl) or by mimalloc; a normal mutex this
            // thread does not hold (mimalloc code never runs a fork handler).
            unsafe { libc::pthread_mutex_lock(lock) };
        }
    }
}

/// After `fork`, in the parent: releases what [`before_fork`] took.
pub(crate) fn after_fork_in_parent() {
    if let Some(locks) = locks() {
        for lock in locks.into_iter().rev() {
            // SAFETY: this thread took it in `before_fork`.
            unsafe { libc::pthread_mutex_unlock(lock) };
        }
    }
}

/// After `fork`, in the child: the locks as new (this thread, the only one, held them).
pub(crate) fn after_fork_in_child() {
    if let Some(locks) = locks() {
        for lock in locks {
            // SAFETY: no other thread exists in the child, and this one held the lock: nobody uses
            // it while it is reset to its initial state, as mimalloc itself initialises it.
            unsafe { lock.write(libc::PTHREAD_MUTEX_INITIALIZER) };
        }
    }
}

#[cfg(test)]
mod tests {
    /// The handlers pair up: after a prepare and a parent handler the locks are free again, and
    /// mimalloc's list of abandoned OS segments (which takes them) works.
    #[test]
    fn the_locks_are_taken_and_given_back() {
        let _warm: Vec<u8> = vec![1; 1000];
        super::before_fork();
        let locks = super::locks();
        if let Some(locks) = locks {
            for lock in locks {
                // SAFETY: a live mutex of mimalloc's, held by this thread now.
                assert_ne!(unsafe { libc::pthread_mutex_trylock(lock) }, 0, "held through the fork");
            }
        }
        super::after_fork_in_parent();
        if let Some(locks) = locks {
            for lock in locks {
                // SAFETY: a live mutex of mimalloc's, free now.
                assert_eq!(unsafe { libc::pthread_mutex_trylock(lock) }, 0, "given back after the fork");
                // SAFETY: taken just above.
                unsafe { libc::pthread_mutex_unlock(lock) };
            }
        }
        // A thread that exits with live blocks abandons its segments, and they are reclaimed.
        let kept = std::thread::spawn(|| vec![7u8; 100_000]).join().unwrap();
        assert!(kept.iter().all(|&b| b == 7));
    }

    /// A fork while another thread holds mimalloc's list lock (as an exiting thread does for a few
    /// instructions) waits for it, and the child finds the lock free: without the handlers it
    /// would inherit it held by a thread it does not have, and wait forever at its first use.
    #[test]
    fn a_child_never_inherits_the_lock_held() {
        let Some([_, list]) = super::locks() else { return }; // the system allocator: nothing to do
        crate::sync::watch_forks();
        let list = list as usize;
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let list = list as *mut libc::pthread_mutex_t;
            // SAFETY: mimalloc's mutex, free now; taken and released by this thread.
            unsafe { libc::pthread_mutex_lock(list) };
            held_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200));
            // SAFETY: taken above by this thread.
            unsafe { libc::pthread_mutex_unlock(list) };
        });
        held_rx.recv().unwrap();
        // SAFETY: the child only tries the lock and leaves with `_exit` (async-signal-safe calls).
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above; in the child the lock is free unless it was inherited held.
            let free = unsafe { libc::pthread_mutex_trylock(list as *mut libc::pthread_mutex_t) } == 0;
            // SAFETY: leaves the child at once.
            unsafe { libc::_exit(if free { 0 } else { 1 }) };
        }
        assert!(pid > 0, "fork failed");
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        holder.join().unwrap();
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child inherited the lock held");
    }
}
