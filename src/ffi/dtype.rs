//! C ABI for images' types ([`Dtype`]): the number `AsType` tags an image with.

use libc::{c_char, c_void, size_t};

use super::image::{check_strides_out, deeptrack_image, image_into_c, write_strides};
use super::value::DEEPTRACK_MAX_NDIM;
use super::{borrow, check_out, deeptrack_status, guard, guard_or, slice_arg};
use crate::dtype::Dtype;
use crate::error::Error;
use crate::image::{Image, element_count};

/// `deeptrack_image_dtype()` of a float64 image (every image but `AsType`'s outputs).
pub const DEEPTRACK_DTYPE_FLOAT64: u32 = 0;
/// `deeptrack_image_dtype()` of float32 samples.
pub const DEEPTRACK_DTYPE_FLOAT32: u32 = 1;
/// `deeptrack_image_dtype()` of float16 samples.
pub const DEEPTRACK_DTYPE_FLOAT16: u32 = 2;
/// `deeptrack_image_dtype()` of int64 samples.
pub const DEEPTRACK_DTYPE_INT64: u32 = 3;
/// `deeptrack_image_dtype()` of int32 samples.
pub const DEEPTRACK_DTYPE_INT32: u32 = 4;
/// `deeptrack_image_dtype()` of int16 samples.
pub const DEEPTRACK_DTYPE_INT16: u32 = 5;
/// `deeptrack_image_dtype()` of int8 samples.
pub const DEEPTRACK_DTYPE_INT8: u32 = 6;
/// `deeptrack_image_dtype()` of uint64 samples.
pub const DEEPTRACK_DTYPE_UINT64: u32 = 7;
/// `deeptrack_image_dtype()` of uint32 samples.
pub const DEEPTRACK_DTYPE_UINT32: u32 = 8;
/// `deeptrack_image_dtype()` of uint16 samples.
pub const DEEPTRACK_DTYPE_UINT16: u32 = 9;
/// `deeptrack_image_dtype()` of uint8 samples.
pub const DEEPTRACK_DTYPE_UINT8: u32 = 10;
/// `deeptrack_image_dtype()` of booleans (samples 0 or 1).
pub const DEEPTRACK_DTYPE_BOOL: u32 = 11;

/// Writes to `*out` numpy's type of `img`'s samples, a `DEEPTRACK_DTYPE_*` number. An image of
/// another type than float64 (`deeptrack_image_new_typed`'s, `AsType`'s output, the comparisons'
/// bools, and what the kinds that only move samples make of them) holds exactly that type's
/// values (integers truncated toward zero and wrapped as numpy casts, floats rounded to float32 or
/// float16, booleans 0 or 1): `deeptrack_image_samples` lends them in that type, and
/// `deeptrack_image_data` as doubles. Kinds given such an image compute on the doubles and give
/// float64 images (the kinds that move samples, `Resize` and `AsType` excepted).
///
/// # Safety
/// `img` must be NULL or a live image; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_dtype(img: *const deeptrack_image, out: *mut u32) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let dtype = unsafe { borrow(img, "img")? }.dtype();
        // SAFETY: checked non-NULL.
        unsafe { *out = dtype as u32 };
        Ok(())
    })
}

/// Lends the samples of `img` where they are in memory, in the type the image holds them in, without
/// copying: `*dtype` receives that type (a `DEEPTRACK_DTYPE_*` number), `*data` the address of the
/// element at index 0 on every axis (NULL when there are no elements), and `strides[0..ndim]` the
/// signed distance in elements (of that type) between neighbours along each axis, so that element
/// `[i0, i1, …]` is at `data[i0 * strides[0] + i1 * strides[1] + …]`, and `*permuted` whether they
/// are not the C-order ones, as `deeptrack_image_layout` gives them: a view (a `Transpose`, a flip, a
/// crop) of a narrow image shares its samples and lends them in its type with its own strides
/// (negative along a reversed axis). An image of a narrow type
/// (`deeptrack_image_dtype` not `DEEPTRACK_DTYPE_FLOAT64`: `AsType`'s output, the comparisons' bools)
/// lends its samples of that type: `int8_t` … `uint64_t`, `float`, IEEE half-precision bits
/// (`uint16_t`) for float16, one byte 0 or 1 for bool, which is numpy's layout of the type. Any other
/// image lends doubles (`*dtype` is `DEEPTRACK_DTYPE_FLOAT64`): float64 images, and narrow-typed
/// values held as doubles (a whole-number `Value`), which the caller converts. The memory is owned by
/// the library and read-only, valid while `img` lives (and while any image sharing the samples
/// does); a float64 view of narrow samples is made once (`DEEPTRACK_STATUS_OUT_OF_MEMORY` when it
/// cannot be allocated) only where doubles are lent for them. `DEEPTRACK_STATUS_BUFFER_TOO_SMALL`
/// when `cap` is less than `deeptrack_image_ndim(img)` (nothing is written then); `strides` may be
/// NULL if `cap` is 0.
///
/// # Safety
/// `img` must be NULL or a live image; `data`, `dtype` and `permuted` NULL or writable; `strides`
/// NULL or `cap` writable `ptrdiff_t`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_samples(
    img: *const deeptrack_image,
    data: *mut *const c_void,
    dtype: *mut u32,
    strides: *mut libc::ptrdiff_t,
    cap: size_t,
    permuted: *mut bool,
) -> deeptrack_status {
    guard(|| {
        check_out(data, "data")?;
        check_out(dtype, "dtype")?;
        check_out(permuted, "permuted")?;
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        check_strides_out(img, strides, cap)?;
        let count = img.shape().iter().product::<usize>();
        let (address, lent) = match img.narrow_samples() {
            Some((samples, start)) => {
                // The byte offset of the sample at index 0 on every axis (`start < len` for an image
                // with samples; the signed strides walk from it inside the samples).
                let address = samples.as_ptr().wrapping_add(start * samples.item_size());
                (address.cast::<c_void>(), samples.dtype())
            }
            // The address of the sample at index 0, as `deeptrack_image_layout` lends it.
            None => (img.origin_ptr()?.cast::<c_void>(), Dtype::Float64),
        };
        // SAFETY: checked by `check_strides_out` above.
        unsafe { write_strides(img, strides) };
        // SAFETY: checked non-NULL.
        unsafe {
            *data = if count == 0 { std::ptr::null() } else { address };
            *dtype = lent as u32;
            *permuted = img.is_permuted();
        }
        Ok(())
    })
}

/// Creates an image by copying `data`, samples of the type numbered `dtype` (a `DEEPTRACK_DTYPE_*`
/// number) in C order of shape `shape[0..ndim]`, in numpy's layout of that type and the machine's
/// byte order: `int8_t` … `uint64_t`, `float`, `double`, IEEE half-precision bits (`uint16_t`) for
/// float16, one byte for bool (any byte but 0 is true, held as 1), at any alignment. The image holds
/// them in that type and is tagged with it (`deeptrack_image_dtype`, `deeptrack_image_samples`), as
/// an array of that dtype is in DeepTrack2: the kinds that only move samples (flips, crops,
/// `Transpose`, `Slice`, `Pad`, `Resize` of uint8, uint16, int16 and float32, …) give the same type,
/// and the kinds that compute read them as float64 (converted once, in the library) and give float64
/// images. `DEEPTRACK_DTYPE_FLOAT64` makes an ordinary float64 image, as `deeptrack_image_new`. It has
/// no properties. `data` may be NULL when the shape has no elements. On success `*out` receives a new
/// image owned by the caller (free it with `deeptrack_image_free`); the caller keeps `data`.
/// Errors, with `*out` not written: `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `out`, a NULL
/// `shape` with `ndim > 0` or a NULL `data` with elements; `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a
/// `dtype` that is no `DEEPTRACK_DTYPE_*` number or more than `DEEPTRACK_MAX_NDIM` dimensions;
/// `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count overflows or cannot be allocated.
///
/// # Safety
/// `shape` must be NULL or point to `ndim` sizes; `data` NULL or point to as many samples of the type
/// as their product; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_new_typed(
    data: *const c_void,
    dtype: u32,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let dtype = Dtype::from_u32(dtype).ok_or_else(|| {
            Error::invalid(format!("argument 'dtype' is {dtype}, which is no DEEPTRACK_DTYPE_* number"))
        })?;
        if ndim > DEEPTRACK_MAX_NDIM {
            return Err(Error::invalid(format!("argument 'ndim' is {ndim}; at most {DEEPTRACK_MAX_NDIM} dimensions")));
        }
        // SAFETY: forwarded contract.
        let dims = unsafe { slice_arg(shape, ndim, "shape")? };
        let bytes = element_count(dims)?.checked_mul(dtype.item_size()).ok_or_else(|| {
            Error::new(crate::error::ErrorKind::OutOfMemory, format!("an image of shape {dims:?} cannot be allocated"))
        })?;
        // SAFETY: per the contract, `data` holds the samples of the shape, `bytes` bytes (bytes are
        // never misaligned).
        let bytes = unsafe { slice_arg(data.cast::<u8>(), bytes, "data")? };
        let img = Image::from_ne_bytes(dims, dtype, bytes)?;
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(img) };
        Ok(())
    })
}

/// numpy's name of the type numbered `dtype` (`"float64"`, `"uint8"`, `"bool"`, …), a static
/// NUL-terminated string owned by the library; NULL for a number that is no `DEEPTRACK_DTYPE_*`.
#[unsafe(no_mangle)]
pub extern "C" fn deeptrack_dtype_name(dtype: u32) -> *const c_char {
    guard_or(std::ptr::null(), || Dtype::from_u32(dtype).map_or(std::ptr::null(), |d| c_name(d).as_ptr()))
}

/// The names as C strings, in the order of the numbers.
fn c_name(d: Dtype) -> &'static std::ffi::CStr {
    const NAMES: [&std::ffi::CStr; 12] = [
        c"float64", c"float32", c"float16", c"int64", c"int32", c"int16", c"int8", c"uint64", c"uint32", c"uint16",
        c"uint8", c"bool",
    ];
    NAMES[d as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_and_names_match_the_types() {
        let consts = [
            DEEPTRACK_DTYPE_FLOAT64,
            DEEPTRACK_DTYPE_FLOAT32,
            DEEPTRACK_DTYPE_FLOAT16,
            DEEPTRACK_DTYPE_INT64,
            DEEPTRACK_DTYPE_INT32,
            DEEPTRACK_DTYPE_INT16,
            DEEPTRACK_DTYPE_INT8,
            DEEPTRACK_DTYPE_UINT64,
            DEEPTRACK_DTYPE_UINT32,
            DEEPTRACK_DTYPE_UINT16,
            DEEPTRACK_DTYPE_UINT8,
            DEEPTRACK_DTYPE_BOOL,
        ];
        for (c, d) in consts.into_iter().zip(Dtype::ALL) {
            assert_eq!(c, d as u32);
            assert_eq!(c_name(d).to_str().unwrap(), d.name());
        }
    }
}
