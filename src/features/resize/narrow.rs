//! `Resize` of narrow images, which keep their type as OpenCV's `cv2.resize` keeps it: uint8 as
//! OpenCV computes it (bit for bit), the other integer types as the float64
//! interpolation rounded to nearest (ties to even, OpenCV's `saturate_cast`) and saturated to the
//! type's range, floats rounded to their type.

use super::{fixed, halve};
use crate::buffer;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::typed_samples::TypedSamples;

/// `x` (uint8 samples, C order) of shape `(rows, cols, channels)` resized to `(h, w, channels)` as
/// OpenCV's `cv2.resize` with `INTER_LINEAR` gives it, bit for bit: an exact halving of both axes as
/// its `INTER_AREA` fast path (`halve.rs`), the same size as a copy, any other size by its fixed-point
/// interpolation (`fixed.rs`).
pub(super) fn resize_u8(
    x: &[u8],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
) -> Result<TypedSamples> {
    resize_u8_with(x, (rows, cols, channels), (h, w), true).map(TypedSamples::from_u8)
}

/// [`resize_u8`]'s samples, with the AVX2 kernels where `simd` and the processor has AVX2, else the
/// portable ones (the same bits; the tests compare both).
pub(super) fn resize_u8_with(
    x: &[u8],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
    simd: bool,
) -> Result<Vec<u8>> {
    if (h, w) == (rows, cols) {
        // OpenCV copies an image resized to its own size (the interpolation's weights would be 1 and 0).
        let mut out = buffer::try_vec(x.len()).ok_or_else(|| fixed::too_large("the output"))?;
        out.extend_from_slice(x);
        return Ok(out);
    }
    if halve::is_halving((rows, cols), (h, w)) {
        return halve::halve(x, (rows, cols, channels), simd);
    }
    fixed::resize(x, (rows, cols, channels), (h, w), simd)
}

/// The range of an integer type, `None` for the others.
fn integer_range(dtype: Dtype) -> Option<(f64, f64)> {
    Some(match dtype {
        Dtype::Int8 => (i8::MIN.into(), i8::MAX.into()),
        Dtype::Int16 => (i16::MIN.into(), i16::MAX.into()),
        Dtype::Int32 => (i32::MIN.into(), i32::MAX.into()),
        // The largest float64 below 2^63 (and 2^64): i64::MAX and u64::MAX round up out of range.
        Dtype::Int64 => (i64::MIN as f64, 9_223_372_036_854_774_784.0),
        Dtype::UInt8 => (0.0, 255.0),
        Dtype::UInt16 => (0.0, 65535.0),
        Dtype::UInt32 => (0.0, u32::MAX.into()),
        Dtype::UInt64 => (0.0, 18_446_744_073_709_549_568.0),
        _ => return None,
    })
}

/// The resized samples `out` (float64) in the input's type `dtype`: integers rounded to nearest,
/// ties to even, and saturated to the type's range; floats rounded to the type. `None` for float64
/// and bool (which stay float64).
pub(super) fn in_type(mut out: Vec<f64>, dtype: Dtype) -> Result<Option<TypedSamples>> {
    match dtype {
        Dtype::Float64 | Dtype::Bool => Ok(None),
        Dtype::Float32 | Dtype::Float16 => TypedSamples::cast(&out, dtype),
        _ => {
            let range = integer_range(dtype).expect("an integer type");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
                unsafe { round_avx2(&mut out, range) };
                return TypedSamples::cast(&out, dtype);
            }
            round(&mut out, range);
            TypedSamples::cast(&out, dtype)
        }
    }
}

/// Each sample rounded to nearest, ties to even, and clamped to `lo..=hi` (a convex combination of
/// samples of the type stays in its range but for a rounding).
#[inline(always)]
fn round(out: &mut [f64], (lo, hi): (f64, f64)) {
    for v in out {
        *v = v.round_ties_even().clamp(lo, hi);
    }
}

/// [`round`] compiled for AVX2, whose `vroundpd` rounds four samples at a time (the portable build's
/// `round_ties_even` is a library call per sample).
///
/// # Safety
/// The processor has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn round_avx2(out: &mut [f64], range: (f64, f64)) {
    round(out, range)
}
