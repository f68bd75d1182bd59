//! C ABI for images' types ([`Dtype`]): the number `AsType` tags an image with.

use libc::c_char;

use super::image::deeptrack_image;
use super::{borrow, check_out, deeptrack_status, guard, guard_or};
use crate::dtype::Dtype;

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

/// Writes to `*out` numpy's type of `img`'s samples, a `DEEPTRACK_DTYPE_*` number. The samples are
/// always read as doubles (`deeptrack_image_data`); an image of another type than float64
/// (`AsType`'s output) holds exactly that type's values (integers truncated toward zero and wrapped
/// as numpy casts, floats rounded to float32 or float16, booleans 0 or 1), ready to be converted.
/// Kinds given such an image compute on the doubles and give float64 images.
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
