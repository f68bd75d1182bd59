//! Image-sized output buffers for the pixel kernels: allocated fallibly (a size that cannot be
//! allocated is an [`ErrorKind::OutOfMemory`] error, never an abort), zero-filled without touching
//! fresh memory, and, when large, advised to the kernel as transparent-huge-page memory, as numpy
//! does for its arrays. Writing a fresh 2048x2048 image then costs 16 page faults instead of 8192:
//! about 3 ms instead of 13 ms on the reference machine, more than the arithmetic of a whole
//! normalisation.

use std::alloc::Layout;

use crate::error::{Error, ErrorKind, Result};

/// Buffers of at least this many bytes are advised as huge-page memory (numpy's threshold).
const HUGE_PAGE_ADVICE: usize = 4 << 20;

/// `count` zeros, or an out-of-memory error naming the size.
pub(crate) fn zeroed(count: usize) -> Result<Vec<f64>> {
    let too_large = || Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of {count} elements"));
    if count == 0 {
        return Ok(Vec::new());
    }
    let layout = Layout::array::<f64>(count).map_err(|_| too_large())?;
    // SAFETY: the layout has a non-zero size (count > 0 elements of 8 bytes).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<f64>();
    if ptr.is_null() {
        return Err(too_large());
    }
    advise_huge_pages(ptr.cast::<u8>(), layout.size());
    // SAFETY: `ptr` was allocated by the global allocator with the layout of `count` f64s (the layout
    // `Vec<f64>` uses for capacity `count`), it is non-null, and its bytes are zero, which is the
    // f64 value 0.0, so all `count` elements are initialised.
    Ok(unsafe { Vec::from_raw_parts(ptr, count, count) })
}

/// An empty buffer with room for `count` samples, advised as [`zeroed`]'s, or an out-of-memory
/// error naming the size: for kernels that write every sample (`spare_capacity_mut`, then
/// `set_len`), sparing the zeroing.
pub(crate) fn with_capacity(count: usize) -> Result<Vec<f64>> {
    let mut out: Vec<f64> = try_vec(count)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of {count} elements")))?;
    if let Some(bytes) = count.checked_mul(size_of::<f64>()) {
        advise_huge_pages(out.as_mut_ptr().cast::<u8>(), bytes);
    }
    Ok(out)
}

/// An empty vector with room for exactly `count` items, or None when it cannot be allocated. The
/// same as `Vec::new()` then `try_reserve_exact(count)`, allocated directly: the growth path of
/// `try_reserve_exact` costs about 100 instructions, a good part of a small feature's update +
/// resolve (which allocates two such vectors).
pub(crate) fn try_vec<T>(count: usize) -> Option<Vec<T>> {
    let layout = Layout::array::<T>(count).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new()); // no allocation: no items, or items of no size
    }
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with `Layout::array::<T>(count)`, the layout
    // `Vec<T>` uses for capacity `count`; it is non-null, and the length 0 needs nothing initialised.
    Some(unsafe { Vec::from_raw_parts(ptr, 0, count) })
}

/// The real and imaginary parts of `values`, interleaved, in the same allocation (no copy of a
/// field that may be hundreds of MiB).
pub(crate) fn interleaved(values: Vec<rustfft::num_complex::Complex64>) -> Vec<f64> {
    let mut values = std::mem::ManuallyDrop::new(values);
    let (ptr, len, cap) = (values.as_mut_ptr(), values.len(), values.capacity());
    // SAFETY: `Complex<f64>` is `#[repr(C)]` with fields `re` and `im`: two `f64` with `f64`'s
    // alignment and no padding, so `len` complex numbers are `2·len` initialised `f64`, and the
    // allocation of `cap` complex numbers has the size and alignment of `2·cap` `f64` (the layout the
    // returned `Vec` frees with). `values` is not dropped, so the allocation has one owner.
    unsafe { Vec::from_raw_parts(ptr.cast::<f64>(), 2 * len, 2 * cap) }
}

/// Advises the whole pages inside `len` bytes at `ptr` as huge-page memory (Linux; only advice:
/// the contents and the allocation are unchanged, and a refusal is ignored).
#[cfg(target_os = "linux")]
pub(crate) fn advise_huge_pages(ptr: *mut u8, len: usize) {
    if len < HUGE_PAGE_ADVICE {
        return;
    }
    const PAGE: usize = 4096;
    let start = (ptr as usize).next_multiple_of(PAGE);
    let end = (ptr as usize + len) / PAGE * PAGE;
    if end > start {
        // SAFETY: the range [start, end) lies inside the live allocation of `len` bytes at `ptr`;
        // MADV_HUGEPAGE changes only how the kernel backs those pages, never their contents or
        // their mapping, so no reference to the memory is affected.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn advise_huge_pages(_: *mut u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_zeroed_and_impossible_sizes_are_errors() {
        assert!(zeroed(0).unwrap().is_empty());
        let small = zeroed(5).unwrap();
        assert_eq!(small, [0.0; 5]);
        let large = zeroed(1 << 20).unwrap();
        assert_eq!(large.len(), 1 << 20);
        assert!(large.iter().all(|&x| x == 0.0));
        let err = zeroed(usize::MAX / 4).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfMemory);
        assert!(err.to_string().contains("cannot allocate"), "{err}");
        assert_eq!(zeroed(1 << 60).unwrap_err().kind(), ErrorKind::OutOfMemory);
        let room = with_capacity(1 << 20).unwrap();
        assert!(room.is_empty() && room.capacity() >= 1 << 20);
        assert_eq!(with_capacity(usize::MAX / 4).unwrap_err().kind(), ErrorKind::OutOfMemory);
    }

    #[test]
    fn vectors_have_exactly_the_room_asked_for_or_none() {
        let mut v = try_vec::<String>(3).unwrap();
        assert_eq!((v.len(), v.capacity()), (0, 3));
        v.extend(["a", "b", "c"].map(String::from));
        assert_eq!(v.capacity(), 3, "filled without growing");
        assert_eq!(v.concat(), "abc");
        assert_eq!(try_vec::<f64>(0).unwrap().capacity(), 0);
        assert!(try_vec::<()>(5).unwrap().is_empty());
        assert!(try_vec::<f64>(usize::MAX / 4).is_none(), "more than the address space");
        assert!(try_vec::<f64>(1 << 60).is_none(), "more than the machine has");
    }
}
