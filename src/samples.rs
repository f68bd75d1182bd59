//! Samples an image reads in place from memory its caller owns ([`Borrowed`]): a resolve of a large
//! array then costs no copy of it, as DeepTrack2 reads numpy arrays in place.
//!
//! The memory is never written, never freed and never turned into a `Vec` here: the caller's
//! release action runs exactly once, on whichever thread drops the last image (or result) sharing
//! the samples.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// What runs when the samples are no longer needed (exactly once).
pub type Release = Box<dyn FnOnce() + Send>;

/// `len` doubles at `ptr` that belong to the caller, with the action that gives them back.
pub struct Borrowed {
    ptr: *const f64,
    len: usize,
    release: Option<Release>,
}

// SAFETY: the samples are only read, and the creator of a `Borrowed` promises (see `Borrowed::new`)
// that they stay valid and are not written while any image shares them, from any thread. The
// release action is `Send` and is reached only through `&mut self` in `drop`, so sharing a
// `&Borrowed` between threads never touches it.
unsafe impl Send for Borrowed {}
// SAFETY: as above: `&Borrowed` gives only reads of memory nobody writes meanwhile.
unsafe impl Sync for Borrowed {}

impl Borrowed {
    /// Borrows `len` doubles at `ptr`; `release` runs exactly once when the result is dropped, also
    /// when this returns an error (a NULL or misaligned `ptr` with `len > 0`, or more bytes than an
    /// allocation can have).
    ///
    /// # Safety
    /// Unless an error is returned, `ptr` must point to `len` initialised doubles that stay valid,
    /// and are not written by anyone, until `release` runs; `ptr` may dangle when `len` is 0.
    pub unsafe fn new(ptr: *const f64, len: usize, release: Release) -> Result<Borrowed> {
        // Built first, so that every error below runs the release action as the value drops.
        let borrowed = Borrowed { ptr, len, release: Some(release) };
        if len > 0 && ptr.is_null() {
            return Err(Error::new(
                ErrorKind::NullArgument,
                format!("the pointer is NULL but there are {len} elements"),
            ));
        }
        if len > 0 && !ptr.is_aligned() {
            return Err(Error::invalid(format!(
                "the pointer {ptr:p} is not aligned to {} bytes (the alignment of a double)",
                align_of::<f64>()
            )));
        }
        if len > (isize::MAX as usize) / size_of::<f64>() {
            return Err(Error::new(ErrorKind::OutOfMemory, format!("{len} elements exceed memory")));
        }
        Ok(borrowed)
    }

    /// The samples.
    pub fn as_slice(&self) -> &[f64] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `new` checked the pointer (non-NULL, aligned) and the size (at most isize::MAX
        // bytes), and its caller promised `len` initialised doubles, valid and unwritten while
        // `self` lives (the release, which ends that, runs only when `self` drops).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

impl fmt::Debug for Borrowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Borrowed").field("ptr", &self.ptr).field("len", &self.len).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counter() -> (Arc<AtomicUsize>, Release) {
        let count = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&count);
        (
            count,
            Box::new(move || {
                c.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[test]
    fn release_runs_once_when_dropped_on_any_thread() {
        let data = [1.0, 2.0, 3.0];
        let (count, release) = counter();
        // SAFETY: `data` outlives the borrow and is not written.
        let b = Arc::new(unsafe { Borrowed::new(data.as_ptr(), 3, release) }.unwrap());
        assert_eq!(b.as_slice(), [1.0, 2.0, 3.0]);
        let other = Arc::clone(&b);
        drop(b);
        assert_eq!(count.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || drop(other)).join().unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn errors_release_too() {
        let (count, release) = counter();
        // SAFETY: the pointer is rejected before any read.
        let err = unsafe { Borrowed::new(std::ptr::null(), 4, release) }.unwrap_err();
        assert!(err.to_string().contains("NULL"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let data = [0u8; 16];
        let (count, release) = counter();
        // SAFETY: as above (misaligned by one byte).
        let err = unsafe { Borrowed::new(data.as_ptr().wrapping_add(1).cast(), 1, release) }.unwrap_err();
        assert!(err.to_string().contains("not aligned"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let (count, release) = counter();
        // SAFETY: as above (too many elements).
        let err = unsafe { Borrowed::new(data.as_ptr().cast(), usize::MAX / 4, release) }.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfMemory);
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let (count, release) = counter();
        // SAFETY: no elements: the pointer is never read.
        let empty = unsafe { Borrowed::new(std::ptr::null(), 0, release) }.unwrap();
        assert!(empty.is_empty() && empty.as_slice().is_empty());
        drop(empty);
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
