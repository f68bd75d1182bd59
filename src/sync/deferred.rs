//! Drops that may run the host's code, deferred while the thread is inside the library.
//!
//! The library holds no lock while user code runs (see the module above), but an object of the
//! host's (`Value::Object` holding the host's pointer and release function) is let go wherever its
//! last copy goes: a property value replaced under its feature's lock, a cached result dropped while
//! a resolve holds it. Such a value is handed to [`drop_outside`]: on a thread inside the library
//! (an entry point of the C ABI, a batch's worker) it waits in a queue until the thread's outermost
//! [`Inside`] ends, when no lock of the library is held, and its release may call the library; each
//! thread keeps its own queue (a batch's workers drop theirs before the batch joins them).
//! Elsewhere it is dropped at once.

use std::any::Any;
use std::cell::{Cell, RefCell};

thread_local! {
    /// How many [`Inside`] scopes are open on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The values this thread let go inside the library, waiting for its outermost scope to end.
    static PENDING: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Marks the calling thread as inside the library while it lives; when the outermost one ends, the
/// values the thread deferred meanwhile are dropped.
pub(crate) struct Inside(());

impl Inside {
    /// Opens a scope on the calling thread.
    pub(crate) fn enter() -> Inside {
        DEPTH.with(|d| d.set(d.get() + 1));
        Inside(())
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let outermost = DEPTH.with(|d| {
            let now = d.get().saturating_sub(1);
            d.set(now);
            now == 0
        });
        if outermost {
            drop_pending();
        }
    }
}

/// Drops `value` now when the calling thread is outside the library, else when its outermost
/// [`Inside`] ends (see the module documentation).
pub(crate) fn drop_outside<T: 'static>(value: T) {
    if DEPTH.with(Cell::get) == 0 {
        drop(value);
        return;
    }
    let value: Box<dyn Any> = Box::new(value);
    // During the thread's exit the queue may be gone: the closure, and the value with it, is dropped
    // here then.
    let _ = PENDING.try_with(move |p| p.borrow_mut().push(value));
}

/// Drops the values this thread deferred, with no lock of the library held (its outermost scope has
/// ended): a drop that calls the library opens scopes of its own, whose ends drop what it deferred.
fn drop_pending() {
    loop {
        let values = PENDING.try_with(|p| std::mem::take(&mut *p.borrow_mut())).unwrap_or_default();
        if values.is_empty() {
            return;
        }
        drop(values);
    }
}

#[cfg(test)]
mod tests {
    use super::{Inside, drop_outside};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn outside_the_library_a_value_is_dropped_at_once() {
        let dropped = Arc::new(AtomicUsize::new(0));
        drop_outside(Counted(Arc::clone(&dropped)));
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn inside_it_waits_for_the_outermost_scope() {
        let dropped = Arc::new(AtomicUsize::new(0));
        {
            let _outer = Inside::enter();
            {
                let _inner = Inside::enter();
                drop_outside(Counted(Arc::clone(&dropped)));
            }
            assert_eq!(dropped.load(Ordering::SeqCst), 0, "dropped at the end of a nested scope");
        }
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_drop_that_defers_again_is_dropped_too() {
        struct Again(Arc<AtomicUsize>);
        impl Drop for Again {
            fn drop(&mut self) {
                let _inside = Inside::enter();
                drop_outside(Counted(Arc::clone(&self.0)));
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        {
            let _scope = Inside::enter();
            drop_outside(Again(Arc::clone(&dropped)));
        }
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }
}
