//! Calls into the host: how long a thread waits behind a callback running on another thread, and
//! the closing of callbacks when the host shuts down.
//!
//! * A callback not declared thread-safe runs on one thread at a time ([`super::Gate`]). The library
//!   cannot see what a running callback waits for (a callback joining a thread it started, which
//!   calls the library on a pipeline using the callback, would wait for itself). So a thread waits
//!   behind any one call of a callback at most [`wait_limit`] (10 s unless
//!   `deeptrack_set_callback_wait` changes it), and then gets `ErrorKind::Busy`.
//! * An interpreter that exits while its threads are inside callbacks ends those threads where they
//!   stand (Python 3.11 calls `pthread_exit` in a thread taking the interpreter lock during
//!   finalization). A forced unwind through the library's frames, which have destructors, is
//!   undefined (Rust RFC 2945: only frames without pending destructors may be forcibly unwound), and
//!   glibc aborts when the unwind is caught. So the host closes callbacks first ([`close`]): the
//!   library then calls none (each call that would run one fails with `CallbackFailed`, and
//!   `free_userdata` is not called: the process is ending), and the host waits a bounded time for
//!   the callbacks already running to return.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// The default of [`wait_limit`], in milliseconds.
pub(crate) const DEFAULT_WAIT_MS: u64 = 10_000;

static WAIT_MS: AtomicU64 = AtomicU64::new(DEFAULT_WAIT_MS);
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Callbacks running, on every thread.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Callbacks running on this thread (nested through library calls they make).
    static MINE: Cell<usize> = const { Cell::new(0) };
}

/// How long a thread waits behind one call of a callback running on another thread before it gets
/// `ErrorKind::Busy`.
pub(crate) fn wait_limit() -> Duration {
    Duration::from_millis(WAIT_MS.load(Ordering::Relaxed))
}

/// Sets [`wait_limit`] to `ms` milliseconds; returns the previous limit in milliseconds.
pub(crate) fn set_wait_limit(ms: u64) -> u64 {
    WAIT_MS.swap(ms, Ordering::Relaxed)
}

/// Whether callbacks are closed ([`close`]).
pub(crate) fn closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

fn closed_error(what: &str) -> Error {
    Error::new(
        ErrorKind::CallbackFailed,
        format!(
            "{what} was not called: callbacks are closed because the host is shutting down \
             (deeptrack_close_callbacks)"
        ),
    )
}

/// Fails with `CallbackFailed` when callbacks are closed (a quick check before waiting for a gate).
pub(crate) fn check_open(what: &str) -> Result<()> {
    if closed() { Err(closed_error(what)) } else { Ok(()) }
}

/// Counts a callback as running until dropped (see [`enter`]).
pub(crate) struct HostCall {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Counts a call of a callback (`what`, for the message) as running until the guard drops;
/// `CallbackFailed` when callbacks are closed.
pub(crate) fn enter(what: &str) -> Result<HostCall> {
    // Counted before the check: `close` sets the flag, then waits for the count, so a callback is
    // either refused or waited for.
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let _ = MINE.try_with(|m| m.set(m.get() + 1));
    let call = HostCall { _not_send: std::marker::PhantomData };
    if closed() {
        return Err(closed_error(what));
    }
    Ok(call)
}

impl Drop for HostCall {
    fn drop(&mut self) {
        let _ = MINE.try_with(|m| m.set(m.get().saturating_sub(1)));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Closes callbacks for good (see the module documentation) and waits at most `wait` for those
/// running on other threads to return (the calling thread's own are not waited for). Returns how
/// many are still running.
pub(crate) fn close(wait: Duration) -> usize {
    CLOSED.store(true, Ordering::SeqCst);
    let mine = MINE.try_with(Cell::get).unwrap_or(0);
    let others = || RUNNING.load(Ordering::SeqCst).saturating_sub(mine);
    let deadline = Instant::now().checked_add(wait);
    loop {
        let left = others();
        if left == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return left;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
