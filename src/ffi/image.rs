//! C ABI for images and their property dicts.

use std::sync::Arc;

use libc::{c_char, c_void, size_t};

use super::value::{DEEPTRACK_MAX_NDIM, array_arg, as_c, deeptrack_value, into_c, value_ref};
use super::{
    Handle, borrow, borrow_mut, check_out, deeptrack_status, guard, guard_or, null, slice_arg, str_arg, take,
    write_string,
};
use crate::error::{Error, ErrorKind};
use crate::image::{Image, element_count};
use crate::properties::PropertyDict;
use crate::samples::{Borrowed, Release};
use crate::value::Value;

/// An image: an n-d float array (C order) plus the list of property dicts that produced it.
/// Owned by the caller when returned by `deeptrack_image_new` or `deeptrack_feature_resolve`; free it
/// with `deeptrack_image_free`. Images are never modified by the library once returned, except by the
/// explicit property calls (`merge_properties_from`, `append_properties`).
pub struct deeptrack_image {
    _private: [u8; 0],
}

impl Handle for deeptrack_image {
    type Inner = Image;
    const TAG: u64 = 0x4454_494D_4147_4531; // "DTIMAGE1"
    const NAME: &'static str = "deeptrack_image";
}

/// A property dict: the ordered `key -> value` map one computation of a feature used. Always borrowed
/// (from an image, or passed to a custom feature's `get`): never freed by the caller. Its identity (the
/// pointer) is what `deeptrack_image_merge_properties_from` compares.
pub struct deeptrack_property_dict {
    _private: [u8; 0],
}

pub(crate) fn dict_as_c(d: &Arc<PropertyDict>) -> *const deeptrack_property_dict {
    Arc::as_ptr(d).cast()
}

/// Borrows a dict.
///
/// # Safety
/// `p` must be NULL or a dict pointer from this library whose owner is alive.
pub(crate) unsafe fn dict_ref<'a>(p: *const deeptrack_property_dict, arg: &str) -> Result<&'a PropertyDict, Error> {
    if p.is_null() {
        return Err(null(arg));
    }
    if !p.cast::<PropertyDict>().is_aligned() {
        return Err(Error::new(ErrorKind::InvalidHandle, format!("argument '{arg}' is not a deeptrack_property_dict")));
    }
    // SAFETY: per the caller's contract.
    Ok(unsafe { &*p.cast::<PropertyDict>() })
}

/// Recovers the shared dict behind a pointer handed out by this library (keeping its identity).
///
/// # Safety
/// `p` must be a dict pointer from this library whose owner is alive.
unsafe fn dict_arc(p: *const deeptrack_property_dict, arg: &str) -> Result<Arc<PropertyDict>, Error> {
    // SAFETY: forwarded contract.
    unsafe { dict_ref(p, arg)? };
    let raw = p.cast::<PropertyDict>();
    // SAFETY: every dict pointer this library hands out is `Arc::as_ptr` of a live `Arc`.
    unsafe {
        Arc::increment_strong_count(raw);
        Ok(Arc::from_raw(raw))
    }
}

pub(crate) fn image_into_c(img: Image) -> *mut deeptrack_image {
    super::new_handle::<deeptrack_image>(img)
}

/// Creates an image by copying `data` (C order) of shape `shape[0..ndim]`; it has no properties.
/// `data` may be NULL when the shape has no elements. On success `*out` receives a new image owned by
/// the caller. Errors: `DEEPTRACK_STATUS_INVALID_ARGUMENT` for more than `DEEPTRACK_MAX_NDIM`
/// dimensions; `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count overflows or cannot be
/// allocated.
///
/// # Safety
/// `shape` must point to `ndim` sizes and `data` to as many doubles as their product; `out` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_new(
    data: *const f64,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let array = unsafe { array_arg(data, shape, ndim)? };
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(Image::new(array)) };
        Ok(())
    })
}

/// The release action of a borrowed image: `release(ctx)`, run when dropped (exactly once, since
/// it is never copied).
struct CRelease {
    release: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
}

// SAFETY: `deeptrack_image_borrow`'s contract lets `release(ctx)` run on any thread.
unsafe impl Send for CRelease {}

impl Drop for CRelease {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the caller of `deeptrack_image_borrow` gave this function and context to be
            // called once, from any thread; `drop` runs once.
            unsafe { release(self.ctx) };
        }
    }
}

/// Creates an image that reads `data` (C order) of shape `shape[0..ndim]` in place, without a copy;
/// it has no properties. On success `*out` receives a new image owned by the caller (free it with
/// `deeptrack_image_free`), and the samples are shared, never copied, by the results that keep
/// them unchanged (`Squeeze`, `Unsqueeze`, `Real`, a `Slice` that is a contiguous block…): those
/// keep the memory in use after the image itself is freed.
///
/// `release` (may be NULL: nothing is called) is called with `ctx` exactly once, in every case:
/// - on success, when neither the image nor any result or copy sharing its samples needs the memory
///   any more: on whichever thread frees the last of them, possibly inside a later call of this
///   library (`deeptrack_image_free`, `deeptrack_feature_free`, a resolve or update that drops a
///   cached result), possibly after this library's other threads have used the memory;
/// - on any error (NULL `out`, more than `DEEPTRACK_MAX_NDIM` dimensions, a NULL `shape` with
///   `ndim > 0`, a NULL or misaligned `data` with elements, an element count that overflows), or
///   panic, before this function returns; `*out` is then not written.
///
/// `release` must not unwind, and it must not wait for other threads' calls into this library
/// (it may free images). Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT`, `DEEPTRACK_STATUS_INVALID_ARGUMENT`,
/// `DEEPTRACK_STATUS_OUT_OF_MEMORY`.
///
/// # Safety
/// `shape` must point to `ndim` sizes; `data` to as many doubles as their product (8-byte aligned;
/// it may be NULL when there are none), which must stay valid, and must not be written, from the
/// call until `release` is called, except between calls of this library that use the image or a
/// result of it (a result that shares the samples then shows the new values, as a numpy view
/// would). `out` must be NULL or writable; `release(ctx)` must be safe to call from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_borrow(
    data: *const f64,
    shape: *const size_t,
    ndim: size_t,
    release: Option<unsafe extern "C" fn(ctx: *mut c_void)>,
    ctx: *mut c_void,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    // Owned from here on: every return, error and panic below drops it, which calls `release`.
    let owner = CRelease { release, ctx };
    guard(move || {
        check_out(out, "out")?;
        if ndim > DEEPTRACK_MAX_NDIM {
            return Err(Error::invalid(format!("argument 'ndim' is {ndim}; at most {DEEPTRACK_MAX_NDIM} dimensions")));
        }
        // SAFETY: forwarded contract.
        let dims = unsafe { slice_arg(shape, ndim, "shape")? };
        let count = element_count(dims)?;
        let give_back: Release = Box::new(move || drop(owner));
        // SAFETY: per this function's contract, `data` holds `count` doubles that stay valid and
        // unwritten until `release` runs, which is when the `Borrowed` drops.
        let samples = unsafe { Borrowed::new(data, count, give_back) }
            .map_err(|e| Error::new(e.kind(), format!("argument 'data': {e}")))?;
        let img = Image::borrowed(dims, Arc::new(samples))?;
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(img) };
        Ok(())
    })
}

/// Creates a new image sharing `img`'s data and holding the same property dicts (a new list of the
/// same dicts, as DeepTrack's `Image(img)`). On success `*out` is owned by the caller.
///
/// # Safety
/// `img` must be NULL or a live image; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_clone(
    img: *const deeptrack_image,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let copy = unsafe { borrow(img, "img")? }.clone();
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(copy) };
        Ok(())
    })
}

/// Returns the number of dimensions of `img` (0 for NULL or an invalid handle).
///
/// # Safety
/// `img` must be NULL or a live image.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_ndim(img: *const deeptrack_image) -> size_t {
    // SAFETY: forwarded contract.
    guard_or(0, || unsafe { borrow(img, "img") }.map_or(0, |i| i.shape().len()))
}

/// Copies the shape of `img` into `shape[0..ndim]`. `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` when `cap` is
/// less than `deeptrack_image_ndim(img)` (nothing is written then). `shape` may be NULL if `cap` is 0.
///
/// # Safety
/// `img` must be NULL or a live image; `shape` NULL or `cap` writable sizes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_shape(
    img: *const deeptrack_image,
    shape: *mut size_t,
    cap: size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let dims = unsafe { borrow(img, "img")? }.shape();
        if cap < dims.len() {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("argument 'cap' is {cap} but the image has {} dimensions", dims.len()),
            ));
        }
        if !dims.is_empty() {
            check_out(shape, "shape")?;
            // SAFETY: `shape` holds at least `cap >= dims.len()` sizes.
            unsafe { std::ptr::copy_nonoverlapping(dims.as_ptr(), shape, dims.len()) };
        }
        Ok(())
    })
}

/// Borrows the elements of `img` (C order): `*data` receives a pointer valid while `img` lives (do not
/// free or modify), `*len` the element count. The elements of a view of another image (a `Transpose`,
/// `MoveAxis`, flip, crop or complex part, which share their input's memory: see
/// `deeptrack_image_layout`) are
/// copied into C order on the first call, and that copy is kept, and shared by every call, while any
/// image shares the samples (`DEEPTRACK_STATUS_OUT_OF_MEMORY` when it cannot be allocated).
///
/// # Safety
/// `img` must be NULL or a live image; `data` and `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_data(
    img: *const deeptrack_image,
    data: *mut *const f64,
    len: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(data, "data")?;
        check_out(len, "len")?;
        // SAFETY: forwarded contract.
        let s = unsafe { borrow(img, "img")? }.contiguous()?;
        // SAFETY: checked non-NULL.
        unsafe {
            *data = s.as_ptr();
            *len = s.len();
        }
        Ok(())
    })
}

/// Borrows the elements of `img` where they are in memory, without copying, as numpy's strided arrays
/// do: `*data` receives the address of the element at index 0 on every axis (NULL when there are no
/// elements), valid while `img` lives (do not free or modify), and `strides[0..ndim]` the signed
/// distance in elements between neighbours along each axis, so that element `[i0, i1, …]` is at
/// `data[i0 * strides[0] + i1 * strides[1] + …]`. They are the C-order strides unless the image is a
/// view of another image's memory (`*permuted` receives whether it is): a `Transpose` or `MoveAxis`
/// (permuted strides), a `FlipLR` or `FlipUD` (a negative stride: the elements of a reversed axis
/// run backwards from `data`), a `Crop` or `CropToMultiplesOf` (the input's strides: the elements are
/// not contiguous), or `Real` / `Imag` of a complex image (every other double). The caller may assume
/// only that distinct indices are distinct elements, all inside one live block of memory; for the
/// elements in C order use `deeptrack_image_data`. `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` when `cap` is
/// less than `deeptrack_image_ndim(img)` (nothing is written then); `strides` may be NULL if `cap` is
/// 0. An image holding samples of a narrow type (`AsType`'s, a comparison's, or a view of one) lends
/// their float64 values, converted once and kept while the samples are shared
/// (`DEEPTRACK_STATUS_OUT_OF_MEMORY` when that cannot be allocated; nothing is written then), with the
/// same strides; `deeptrack_image_samples` lends the narrow samples themselves.
///
/// # Safety
/// `img` must be NULL or a live image; `data` and `permuted` NULL or writable; `strides` NULL or `cap`
/// writable `ptrdiff_t`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_layout(
    img: *const deeptrack_image,
    data: *mut *const f64,
    strides: *mut libc::ptrdiff_t,
    cap: size_t,
    permuted: *mut bool,
) -> deeptrack_status {
    guard(|| {
        check_out(data, "data")?;
        check_out(permuted, "permuted")?;
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        check_strides_out(img, strides, cap)?;
        let origin = img.origin_ptr()?;
        // SAFETY: checked by `check_strides_out` above.
        unsafe { write_strides(img, strides) };
        // SAFETY: checked non-NULL.
        unsafe {
            *data = origin;
            *permuted = img.is_permuted();
        }
        Ok(())
    })
}

/// Checks a caller's strides buffer for [`write_strides`]: `BufferTooSmall` when `cap` is less than
/// the image's dimensions, `NullPointer` when `strides` is NULL for an image of at least one axis.
pub(super) fn check_strides_out(img: &Image, strides: *mut libc::ptrdiff_t, cap: size_t) -> Result<(), Error> {
    let ndim = img.shape().len();
    if cap < ndim {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("argument 'cap' is {cap} but the image has {ndim} dimensions"),
        ));
    }
    if ndim > 0 {
        check_out(strides, "strides")?;
    }
    Ok(())
}

/// Writes the image's strides (in elements, signed) into `strides`.
///
/// # Safety
/// `strides` must have passed [`check_strides_out`] for `img`: writable for the image's dimensions.
pub(super) unsafe fn write_strides(img: &Image, strides: *mut libc::ptrdiff_t) {
    for (i, &s) in img.strides().iter().enumerate() {
        // Strides of an image in memory fit in isize (its byte size does).
        // SAFETY: `strides` holds at least `ndim > i` values (the caller's contract).
        unsafe { *strides.add(i) = s as libc::ptrdiff_t };
    }
}

/// Copies the elements of `img` (C order) into `buf`, which holds `len` doubles.
/// `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` when `len` is less than the element count (nothing is written).
/// A view (see `deeptrack_image_layout`) is copied into C order as `deeptrack_image_data` does.
///
/// # Safety
/// `img` must be NULL or a live image; `buf` NULL or `len` writable doubles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_copy_to(
    img: *const deeptrack_image,
    buf: *mut f64,
    len: size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        let n = img.len();
        if len < n {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("argument 'len' is {len} but the image has {n} elements"),
            ));
        }
        if n > 0 {
            check_out(buf, "buf")?;
            // SAFETY: `buf` holds at least `n` writable doubles, which the caller does not share
            // with the image (it is theirs to write).
            let out = unsafe { std::slice::from_raw_parts_mut(buf, n) };
            img.copy_c_order_to(out)?;
        }
        Ok(())
    })
}

/// Returns the number of property dicts of `img` (0 for NULL or an invalid handle).
///
/// # Safety
/// `img` must be NULL or a live image.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_property_count(img: *const deeptrack_image) -> size_t {
    // SAFETY: forwarded contract.
    guard_or(0, || unsafe { borrow(img, "img") }.map_or(0, |i| i.properties().len()))
}

/// Borrows property dict `index` of `img` (in order): valid while `img` lives and its property list is
/// not changed; never freed by the caller. `DEEPTRACK_STATUS_OUT_OF_RANGE` for a bad index. Reading
/// every index of a long list costs its length once: the first read lays the list out in one array,
/// which `img` keeps until its list changes (without the memory for it, each read walks the list).
///
/// # Safety
/// `img` must be NULL or a live image; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_property_dict(
    img: *const deeptrack_image,
    index: size_t,
    out: *mut *const deeptrack_property_dict,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let props = unsafe { borrow(img, "img")? }.properties();
        let d = props.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfRange,
                format!("index {index} is out of range: the image has {} dicts", props.len()),
            )
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *out = dict_as_c(d) };
        Ok(())
    })
}

/// Returns the number of entries of `d` (0 for NULL).
///
/// # Safety
/// `d` must be NULL or a live dict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_property_dict_len(d: *const deeptrack_property_dict) -> size_t {
    // SAFETY: forwarded contract.
    guard_or(0, || unsafe { dict_ref(d, "d") }.map_or(0, PropertyDict::len))
}

/// Borrows the key of entry `index` of `d` as NUL-terminated UTF-8, valid while `d` lives.
/// `DEEPTRACK_STATUS_OUT_OF_RANGE` for a bad index.
///
/// # Safety
/// `d` must be NULL or a live dict; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_property_dict_key(
    d: *const deeptrack_property_dict,
    index: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let d = unsafe { dict_ref(d, "d")? };
        let (k, _) = d.entry(index).ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfRange,
                format!("index {index} is out of range: the dict has {} entries", d.len()),
            )
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *out = k.as_c_ptr() };
        Ok(())
    })
}

/// Borrows the value of `key` in `d`, valid while `d` lives (do not free).
/// `DEEPTRACK_STATUS_NOT_FOUND` when `d` has no such key.
///
/// # Safety
/// `d` must be NULL or a live dict; `key` NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_property_dict_get(
    d: *const deeptrack_property_dict,
    key: *const c_char,
    out: *mut *const deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let d = unsafe { dict_ref(d, "d")? };
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        let v = d.get(key).ok_or_else(|| Error::not_found(format!("the dict has no key '{key}'")))?;
        // SAFETY: checked non-NULL.
        unsafe { *out = as_c(v) };
        Ok(())
    })
}

/// Writes a Python-like rendering of `d` (`{'position': array([1.0, 2.0]), 'name': 'Particle'}`) into
/// `buf`, with the buffer contract of `deeptrack_last_error_message`.
///
/// # Safety
/// `d` must be NULL or a live dict; `buf` NULL or `len` writable bytes; `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_property_dict_repr(
    d: *const deeptrack_property_dict,
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let text = unsafe { dict_ref(d, "d")? }.to_string();
        // SAFETY: forwarded contract.
        unsafe { write_string(&text, buf, len, needed) }
    })
}

/// Looks `key` up in the dicts of `img`. With `get_one` true, `*out` receives a copy of the value in
/// the first dict (in order) that has the key; with `get_one` false, a LIST of the values of every
/// dict that has it, in order. `*out` is owned by the caller (free with `deeptrack_value_free`).
/// `DEEPTRACK_STATUS_NOT_FOUND` when no dict has the key (bindings map that to their `default`).
///
/// # Safety
/// `img` must be NULL or a live image; `key` NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_get_property(
    img: *const deeptrack_image,
    key: *const c_char,
    get_one: bool,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        let missing = || Error::not_found(format!("no property dict of the image has '{key}'"));
        let value = if get_one {
            img.get_property(key).ok_or_else(missing)?.clone()
        } else {
            let all = img.get_properties(key)?;
            if all.is_empty() {
                return Err(missing());
            }
            let mut values = Vec::new();
            values.try_reserve_exact(all.len()).map_err(|_| {
                Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} values", all.len()))
            })?;
            values.extend(all.into_iter().cloned());
            Value::List(values)
        };
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(value) };
        Ok(())
    })
}

/// Writes to `*out` whether `img` holds complex numbers: its last axis (of length 2) then holds the
/// real and imaginary parts of each sample (`ComplexGaussian`'s output, or an input marked with
/// `deeptrack_image_set_complex`). Kinds other than the complex-aware ones compute on the two parts
/// as real numbers and give real images.
///
/// # Safety
/// `img` must be NULL or a live image; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_is_complex(img: *const deeptrack_image, out: *mut bool) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let complex = unsafe { borrow(img, "img")? }.is_complex();
        // SAFETY: checked non-NULL.
        unsafe { *out = complex };
        Ok(())
    })
}

/// Marks `img` as complex (its last axis, which must have length 2, holds the real and imaginary
/// parts) or as real. `DEEPTRACK_STATUS_INVALID_ARGUMENT` when `is_complex` is true and the last axis
/// is not of length 2 (the image is then unchanged). (The argument is not named `complex`, which
/// `<complex.h>` defines as a macro.)
///
/// # Safety
/// `img` must be NULL or a live image.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_set_complex(img: *mut deeptrack_image, is_complex: bool) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { borrow_mut(img, "img")? }
            .set_complex(is_complex)
            .map_err(|e| Error::new(e.kind(), format!("argument 'img': {e}")))
    })
}

/// Appends to `dst` every dict of `src` that `dst` does not already hold *as the same dict* (identity,
/// never equality), in order. `src` is unchanged; `dst == src` is a no-op. Linear in the two lengths
/// (constant when one list was built from the other by appends). `DEEPTRACK_STATUS_OUT_OF_MEMORY`
/// when the merge cannot be allocated; `dst` is then unchanged.
///
/// # Safety
/// `dst` and `src` must be NULL or live images.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_merge_properties_from(
    dst: *mut deeptrack_image,
    src: *const deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let other = unsafe { borrow(src, "src")? }.clone();
        // SAFETY: forwarded contract; `other` is an independent clone, so `dst` may alias `src`.
        unsafe { borrow_mut(dst, "dst")? }.merge_properties_from(&other)?;
        Ok(())
    })
}

/// Appends dict `d` to the property list of `img` (no deduplication, like DeepTrack's `append`); the
/// image shares the dict, so it keeps its identity. `d` must come from this library (an image's dict or
/// a custom feature's `properties`).
///
/// # Safety
/// `img` must be NULL or a live image; `d` NULL or a live dict from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_append_properties(
    img: *mut deeptrack_image,
    d: *const deeptrack_property_dict,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let dict = unsafe { dict_arc(d, "d")? };
        // SAFETY: forwarded contract.
        unsafe { borrow_mut(img, "img")? }.append(dict);
        Ok(())
    })
}

/// Appends to `img`'s property list a new dict of `n` entries `keys[i] -> copy of values[i]`, in order
/// (the values stay the caller's): how a binding attaches dicts of its own (e.g. Python's
/// `image.append({...})`) to an image it passes to a pipeline. When `out` is not NULL, `*out` receives
/// the new dict, borrowed: valid while `img` lives and its property list is kept, and identical (for
/// `deeptrack_image_merge_properties_from`) wherever a pipeline carries it. `n` 0 appends an empty
/// dict. Errors, with nothing appended: `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `img`, a NULL
/// `keys` or `values` with `n > 0`, or a NULL key or value (the message names the index);
/// `DEEPTRACK_STATUS_INVALID_UTF8` for a key that is not UTF-8; `DEEPTRACK_STATUS_INVALID_ARGUMENT`
/// for an empty or repeated key.
///
/// # Safety
/// `img` must be NULL or a live image; `keys` and `values` NULL or pointing to `n` pointers each, every
/// key NULL or NUL-terminated and every value NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_push_properties(
    img: *mut deeptrack_image,
    keys: *const *const c_char,
    values: *const *const deeptrack_value,
    n: size_t,
    out: *mut *const deeptrack_property_dict,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow_mut(img, "img")? };
        // SAFETY: forwarded contract.
        let keys = unsafe { slice_arg(keys, n, "keys")? };
        // SAFETY: forwarded contract.
        let values = unsafe { slice_arg(values, n, "values")? };
        let mut dict = PropertyDict::new();
        for (i, (&k, &v)) in keys.iter().zip(values).enumerate() {
            // SAFETY: forwarded contract.
            let key = unsafe { str_arg(k, &format!("keys[{i}]"))? };
            // SAFETY: forwarded contract.
            let value = unsafe { value_ref(v, &format!("values[{i}]"))? };
            if key.is_empty() {
                return Err(Error::invalid(format!("keys[{i}] is empty")));
            }
            if dict.contains(key) {
                return Err(Error::invalid(format!("keys[{i}]: the key '{key}' is repeated")));
            }
            dict.insert(key, value.clone());
        }
        let dict = Arc::new(dict);
        let ptr = dict_as_c(&dict);
        img.append(dict);
        if !out.is_null() {
            // SAFETY: checked non-NULL; writable per the contract.
            unsafe { *out = ptr };
        }
        Ok(())
    })
}

/// Writes `img` to `path` as a 16-bit grayscale PNG: a 2-D image, or one channel `(H, W, 1)`, scaled
/// linearly so that its minimum is 0 and its maximum 65535 (a constant image is written as zeros).
/// When `min_max` is not NULL, `min_max[0]` and `min_max[1]` receive the mapped minimum and maximum.
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for another shape or when the file cannot be written (the
/// message says why); `DEEPTRACK_STATUS_INVALID_UTF8` for a path that is not UTF-8.
///
/// # Safety
/// `img` must be NULL or a live image; `path` NULL or NUL-terminated; `min_max` NULL or 2 writable
/// doubles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_save_png(
    img: *const deeptrack_image,
    path: *const c_char,
    min_max: *mut f64,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(path, "path")? };
        let (min, max) = img.save_png(std::path::Path::new(path))?;
        if !min_max.is_null() {
            // SAFETY: two writable doubles per the contract.
            unsafe {
                *min_max = min;
                *min_max.add(1) = max;
            }
        }
        Ok(())
    })
}

/// Writes `img` to `path` as a 16-bit grayscale TIFF: a 2-D image `(H, W)` is one page, a 3-D image
/// `(H, W, N)` is `N` pages (frames along the last axis). With `scale`, values are mapped linearly
/// so that the stack's minimum is 0 and its maximum 65535 (a constant image is written as zeros);
/// without, they are written as they are, rounded and clipped to 0 … 65535 (a camera's ADU). NaN is
/// written as 0. When `min_max` is not NULL, `min_max[0]` and `min_max[1]` receive the minimum and
/// maximum of the image's finite values. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for another shape or
/// when the file cannot be written (the message says why); `DEEPTRACK_STATUS_INVALID_UTF8` for a
/// path that is not UTF-8.
///
/// # Safety
/// `img` must be NULL or a live image; `path` NULL or NUL-terminated; `min_max` NULL or 2 writable
/// doubles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_save_tiff(
    img: *const deeptrack_image,
    path: *const c_char,
    scale: bool,
    min_max: *mut f64,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(path, "path")? };
        let (min, max) = img.save_tiff(std::path::Path::new(path), scale)?;
        if !min_max.is_null() {
            // SAFETY: two writable doubles per the contract.
            unsafe {
                *min_max = min;
                *min_max.add(1) = max;
            }
        }
        Ok(())
    })
}

/// Frees an image owned by the caller. NULL is a no-op. A handle of another type, or one freed among
/// the last 4096 frees of handles, is recognised: the call records an error and does nothing (older
/// stale handles cannot be told apart: do not use a handle after freeing it).
///
/// # Safety
/// `img` must be NULL or an image from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_free(img: *mut deeptrack_image) {
    guard_or((), || {
        if !img.is_null() {
            // SAFETY: forwarded contract.
            if let Err(e) = unsafe { take(img, "img") } {
                super::record(&e);
            }
        }
    })
}
