//! `Resize` of narrow images, which keep their type as OpenCV's `cv2.resize` keeps it: uint8 by
//! OpenCV's fixed-point `INTER_LINEAR` (bit for bit), the other integer types as the float64
//! interpolation rounded to nearest (ties to even, OpenCV's `saturate_cast`) and saturated to the
//! type's range, floats rounded to their type.

use super::taps;
use crate::buffer;
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};
use crate::typed_samples::TypedSamples;

/// OpenCV's fixed-point scale of the interpolation weights (`INTER_RESIZE_COEF_SCALE`, 2^11).
const COEF_SCALE: f64 = 2048.0;

/// A weight as OpenCV's fixed-point `short`: `cvRound(weight · 2^11)`.
fn fixed(weight: f64) -> i32 {
    (weight * COEF_SCALE).round_ties_even() as i32
}

/// `x` (uint8 samples, C order) of shape `(rows, cols, channels)` resized to `(h, w, channels)` as
/// OpenCV's `INTER_LINEAR` for 8-bit images: weights in 11-bit fixed point, each source row resized
/// along the columns into integers (`s0 · a0 + s1 · a1`), then each output sample blended from two of
/// them as `((b0 · (r0 >> 4)) >> 16) + ((b1 · (r1 >> 4)) >> 16) + 2) >> 2` (OpenCV's `VResizeLinear`
/// for uchar), saturated to 0..255.
pub(super) fn resize_u8(
    x: &[u8],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
) -> Result<TypedSamples> {
    let too_large =
        || Error::new(ErrorKind::OutOfMemory, format!("a resized image of {h} x {w} x {channels} is too large"));
    let row_len = w.checked_mul(channels).ok_or_else(too_large)?;
    let total = row_len.checked_mul(h).ok_or_else(too_large)?;
    let single = rows == 1 || cols == 1 || !matches!(channels, 1 | 3 | 4);
    let (xs, ys) = (taps(cols, w, false, single)?, taps(rows, h, true, single)?);
    // Per output sample of a row: the offsets of its two source samples and their weights.
    let mut columns: Vec<(u32, u32, i32, i32)> = buffer::try_vec(row_len).ok_or_else(too_large)?;
    for &(i0, i1, a0, a1) in &xs {
        let (a0, a1) = (fixed(a0), fixed(a1));
        columns.extend((0..channels).map(|c| ((i0 * channels + c) as u32, (i1 * channels + c) as u32, a0, a1)));
    }
    let mut out: Vec<u8> = buffer::try_vec(total).ok_or_else(too_large)?;
    // The two source rows an output row reads, resized along the columns (OpenCV's buffer rows).
    let zeros = || -> Result<Vec<i32>> {
        let mut v = buffer::try_vec(row_len).ok_or_else(too_large)?;
        v.resize(row_len, 0);
        Ok(v)
    };
    let mut cache: [(usize, Vec<i32>); 2] = [(usize::MAX, zeros()?), (usize::MAX, zeros()?)];
    let src_len = cols * channels;
    let resize_row = |r: usize, dst: &mut [i32]| {
        let src = &x[r * src_len..(r + 1) * src_len];
        for (o, &(i0, i1, a0, a1)) in dst.iter_mut().zip(&columns) {
            *o = i32::from(src[i0 as usize]) * a0 + i32::from(src[i1 as usize]) * a1;
        }
    };
    for &(r0, r1, b0, b1) in &ys {
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                resize_row(r, &mut cache[slot].1);
                cache[slot].0 = r;
            }
        }
        let row = |r: usize| &cache.iter().find(|(k, _)| *k == r).expect("a cached row").1;
        // In i32 as OpenCV: |b| <= 2^11 and |p >> 4| < 2^15 (255 · 2^12 / 2^4), so no product overflows.
        let (b0, b1) = (fixed(b0), fixed(b1));
        let start = out.len();
        out.resize(start + row_len, 0);
        for ((o, &p), &q) in out[start..].iter_mut().zip(&row(r0)[..]).zip(&row(r1)[..]) {
            let v = (((b0 * (p >> 4)) >> 16) + ((b1 * (q >> 4)) >> 16) + 2) >> 2;
            *o = v.clamp(0, 255) as u8;
        }
    }
    Ok(TypedSamples::from_u8(out))
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
            let (lo, hi) = integer_range(dtype).expect("an integer type");
            for v in &mut out {
                // A convex combination of samples of the type stays in its range but for a rounding.
                *v = v.round_ties_even().clamp(lo, hi);
            }
            TypedSamples::cast(&out, dtype)
        }
    }
}
