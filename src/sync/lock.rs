//! [`Lock`]: a mutex for the library's short critical sections that a forked child can always take.
//!
//! A `std::sync::Mutex` held by another thread when the process forks stays held forever in the
//! child, where that thread does not exist: the child's next resolve would wait forever. A [`Lock`]
//! records the fork generation ([`super::generation`]) of its holder instead of a bare "locked" bit;
//! a holder of an older generation is a thread that did not survive a fork, so the child takes the
//! lock over, and the value, which that thread may have left half-updated, is repaired first
//! ([`Recover`]). No lock is ever held while user code runs, so a lock waits only for a few
//! instructions of library code: waiting spins, then yields.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a value guarded by a [`Lock`] is repaired when a thread that did not survive a fork held the
/// lock: that thread may have stopped anywhere in the middle of an update, so `recover` must not
/// read, drop or follow anything that may be inconsistent (maps, vectors being grown). It overwrites
/// such parts with fresh values without dropping the old ones (`std::ptr::write`, leaking them).
pub(crate) trait Recover {
    /// Makes the value consistent again after its lock was abandoned in a fork.
    fn recover(&mut self);
}

/// Overwrites `*slot` with `fresh` without dropping (or reading) the old value: for [`Recover`].
pub(crate) fn overwrite<T>(slot: &mut T, fresh: T) {
    // SAFETY: `slot` is a valid, exclusive place; the old value is leaked rather than dropped, which
    // is always sound.
    unsafe { std::ptr::write(slot, fresh) };
}

/// A mutual-exclusion lock for short critical sections (see the module documentation).
pub(crate) struct Lock<T> {
    /// 0 when free, else the fork generation of the holder.
    word: AtomicU64,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a `LockGuard`, which exists only while its thread holds
// `word` (acquire on taking, release on giving back), so at most one thread accesses it at a time.
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: as above; moving the lock moves the value.
unsafe impl<T: Send> Send for Lock<T> {}

impl<T> Lock<T> {
    /// A free lock holding `value`.
    pub(crate) const fn new(value: T) -> Lock<T> {
        Lock { word: AtomicU64::new(0), value: UnsafeCell::new(value) }
    }

    /// The value, once its holder (if any) gives it back, or at once when the holder is a thread
    /// that did not survive a fork (the value is repaired first).
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T>
    where
        T: Recover,
    {
        let now = super::generation();
        if self.word.compare_exchange_weak(0, now, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow(now);
        }
        LockGuard { lock: self }
    }

    #[cold]
    fn lock_slow(&self, now: u64)
    where
        T: Recover,
    {
        let mut tries = 0u32;
        loop {
            let held = self.word.load(Ordering::Relaxed);
            if held == 0 {
                if self.word.compare_exchange_weak(0, now, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return;
                }
                continue;
            }
            if held != now {
                // Held by a thread of an older generation: gone with the fork. Only this process's
                // threads can race here, and they all agree that it is abandoned; one takes it.
                if self.word.compare_exchange(held, now, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    // SAFETY: this thread now holds the lock.
                    unsafe { (*self.value.get()).recover() };
                    return;
                }
                continue;
            }
            tries = tries.saturating_add(1);
            if tries < 64 {
                std::hint::spin_loop();
            } else if tries < 1024 {
                std::thread::yield_now();
            } else {
                // The holder is descheduled for long: sleep rather than burn a core.
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        }
    }

    /// Gives the lock back without a guard: for a fork handler that took it with [`Lock::lock`] and
    /// forgot the guard (the handler of the child, or of the parent, releases it).
    ///
    /// # Safety
    /// The calling thread must hold the lock through a forgotten guard.
    pub(crate) unsafe fn force_unlock(&self) {
        self.word.store(0, Ordering::Release);
    }
}

/// The value of a held [`Lock`]; gives the lock back when dropped (panics included).
pub(crate) struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock, and `&mut self` makes the borrow exclusive.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.word.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        n: u64,
        recovered: bool,
    }

    impl Recover for Counter {
        fn recover(&mut self) {
            self.recovered = true;
        }
    }

    #[test]
    fn excludes_other_threads() {
        let lock = Lock::new(Counter { n: 0, recovered: false });
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        lock.lock().n += 1;
                    }
                });
            }
        });
        let c = lock.lock();
        assert_eq!(c.n, 40_000);
        assert!(!c.recovered);
    }

    /// A lock held by another thread when the process forks: the child takes it over at once.
    #[cfg(unix)]
    #[test]
    fn a_child_forked_while_another_thread_holds_a_lock_takes_it_over() {
        super::super::watch_forks();
        let lock = Lock::new(Counter { n: 1, recovered: false });
        let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut c = lock.lock();
                c.n = 2;
                held.wait();
                release.wait();
            });
            held.wait();
            // SAFETY: the child only takes the lock and leaves with `_exit`.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                let c = lock.lock();
                let status = if c.recovered && c.n == 2 { 0 } else { 1 };
                // SAFETY: leaving the child at once, without running the parent's destructors.
                unsafe { libc::_exit(status) };
            }
            release.wait();
            let mut status = 0;
            // SAFETY: waiting for the child just forked.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child: status {status}");
        });
        assert!(!lock.lock().recovered, "the parent never takes over a live holder's lock");
    }

    #[test]
    fn a_holder_of_an_older_generation_is_taken_over_and_the_value_repaired() {
        let lock = Lock::new(Counter { n: 7, recovered: false });
        // As if a thread of a previous generation held it when the process forked.
        lock.word.store(super::super::generation() + 1, Ordering::Relaxed);
        let c = lock.lock();
        assert!(c.recovered);
        assert_eq!(c.n, 7);
    }
}
