//! Waiting that never hangs: the library's locks, the gates of callbacks that are not thread-safe,
//! the threads that batches start, and what a forked child inherits of them.
//!
//! * No lock is held while user code runs (callbacks, `free_userdata`), so a [`Lock`] waits only for
//!   a few instructions of library code.
//! * The only long waits are for a [`Gate`] (a callback not declared thread-safe, running on another
//!   thread) and for a batch's workers. Before a thread waits for a gate, the waits of every thread
//!   are followed: if they lead back to it, waiting would never end, and the caller gets
//!   `ErrorKind::Busy` instead. A batch's workers may run the callbacks whose gates the thread that
//!   waits for them holds (it runs none of them meanwhile), one at a time.
//! * A thread waits behind one call of such a callback at most a bounded time ([`host`]): the
//!   library cannot see what the callback itself waits for. When the host shuts down it closes
//!   callbacks ([`host::close`]).
//! * After `fork`, the child has one thread: the one that forked. A handler installed with
//!   `pthread_atfork` ([`watch_forks`]) moves the child to a new generation ([`generation`]): locks
//!   held by threads of an older generation are taken over ([`Recover`]), and gates and generators
//!   held by threads that did not survive ([`alive`]) count as free. The same handlers hold the
//!   allocator's locks through the fork (`crate::alloc::fork`, with the Cargo feature `mimalloc`).

pub(crate) mod deferred;
pub(crate) mod host;
mod lock;
mod waits;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub(crate) use lock::{Lock, LockGuard, Recover, overwrite};
pub(crate) use waits::{BatchWait, Gate, GateGuard, Lineage};

/// The fork generation: 1 in the process that loaded the library, one more in each forked child.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The current fork generation (see the module documentation).
#[inline]
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// The next thread token (0 means "no thread").
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
/// In a forked child: the first token given out after the fork (threads with smaller tokens are
/// gone, except [`FORKER`]).
static FIRST_LIVE: AtomicU64 = AtomicU64::new(0);
/// In a forked child: the token of the thread that forked (it lives on in the child).
static FORKER: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static TOKEN: Cell<u64> = const { Cell::new(0) };
}

/// A number naming the calling thread, never reused in this process (nor by a forked child).
#[inline]
pub(crate) fn token() -> u64 {
    TOKEN.with(|t| match t.get() {
        0 => {
            let new = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
            t.set(new);
            new
        }
        known => known,
    })
}

/// Whether the thread named by `token` exists in this process: false for the threads of the
/// parent that a forked child does not have.
pub(crate) fn alive(token: u64) -> bool {
    token != 0 && (token >= FIRST_LIVE.load(Ordering::Relaxed) || token == FORKER.load(Ordering::Relaxed))
}

static WATCHING: AtomicBool = AtomicBool::new(false);

/// Installs, once, the fork handlers (`pthread_atfork`). Called by every entry point of the C API
/// and by every feature's construction, so that they are in place before any lock or gate of the
/// library can be held. Never waits (a `Once` being run by a thread that a fork leaves behind would
/// block the child forever).
#[inline]
pub(crate) fn watch_forks() {
    if !WATCHING.load(Ordering::Relaxed) {
        install();
    }
}

#[cold]
fn install() {
    if WATCHING.swap(true, Ordering::AcqRel) {
        return;
    }
    #[cfg(unix)]
    {
        // SAFETY: the three handlers are plain functions of this library that never unwind; glibc
        // unregisters them if the library is unloaded.
        let failed = unsafe { libc::pthread_atfork(Some(before_fork), Some(in_parent), Some(in_child)) };
        if failed != 0 {
            // Out of memory for the handler list: try again at the next entry.
            WATCHING.store(false, Ordering::Relaxed);
        }
    }
}

/// `pthread_atfork` prepare handler: holds the wait registry through the fork, so that the child
/// gets it in a consistent state.
#[cfg(unix)]
extern "C" fn before_fork() {
    waits::before_fork();
    // Last: the library's own handler above may allocate.
    #[cfg(feature = "mimalloc")]
    crate::alloc::fork::before_fork();
}

/// `pthread_atfork` parent handler.
#[cfg(unix)]
extern "C" fn in_parent() {
    // First: what follows may allocate.
    #[cfg(feature = "mimalloc")]
    crate::alloc::fork::after_fork_in_parent();
    waits::after_fork_in_parent();
}

/// `pthread_atfork` child handler: a new generation, in which only this thread (and the threads it
/// starts later) are alive.
#[cfg(unix)]
extern "C" fn in_child() {
    // First: what follows may allocate.
    #[cfg(feature = "mimalloc")]
    crate::alloc::fork::after_fork_in_child();
    GENERATION.fetch_add(1, Ordering::Relaxed);
    // `try_with`: a thread forking while its thread-locals are torn down has no token to keep.
    let me = TOKEN.try_with(|_| token()).unwrap_or(0);
    FORKER.store(me, Ordering::Relaxed);
    FIRST_LIVE.store(NEXT_TOKEN.load(Ordering::Relaxed), Ordering::Relaxed);
    waits::after_fork_in_child();
}
