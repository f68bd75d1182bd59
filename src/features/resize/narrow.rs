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
    let mut columns = Columns::default();
    for part in [&mut columns.i0, &mut columns.i1, &mut columns.a0, &mut columns.a1] {
        *part = buffer::try_vec(row_len).ok_or_else(too_large)?;
    }
    for &(i0, i1, a0, a1) in &xs {
        let (a0, a1) = (fixed(a0), fixed(a1));
        for c in 0..channels {
            // Offsets below cols · channels, which `resize_u8`'s callers keep below 2^31 (the
            // image's size limit), so they are i32s.
            columns.i0.push((i0 * channels + c) as i32);
            columns.i1.push((i1 * channels + c) as i32);
            columns.a0.push(a0);
            columns.a1.push(a1);
        }
    }
    let mut out: Vec<u8> = buffer::try_vec(total).ok_or_else(too_large)?;
    // The two source rows an output row reads, resized along the columns (OpenCV's buffer rows).
    let zeros = |len: usize| -> Result<Vec<i32>> {
        let mut v = buffer::try_vec(len).ok_or_else(too_large)?;
        v.resize(len, 0);
        Ok(v)
    };
    let mut cache: [(usize, Vec<i32>); 2] = [(usize::MAX, zeros(row_len)?), (usize::MAX, zeros(row_len)?)];
    let src_len = cols * channels;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        let mut wide = zeros(src_len)?;
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        unsafe { passes_avx2(x, src_len, &columns, &ys, &mut cache, &mut wide, &mut out) };
        return Ok(TypedSamples::from_u8(out));
    }
    passes(x, src_len, row_len, &ys, &mut cache, &mut out, |src, dst| row(src, &columns, dst));
    Ok(TypedSamples::from_u8(out))
}

/// Per output sample of a row (in structure-of-arrays form, for vector loads): the offsets of its
/// two source samples in the source row, and their fixed-point weights.
#[derive(Default)]
struct Columns {
    i0: Vec<i32>,
    i1: Vec<i32>,
    a0: Vec<i32>,
    a1: Vec<i32>,
}

/// The source row `src` resized along the columns into `dst` (OpenCV's `HResizeLinear`).
#[inline(always)]
fn row(src: &[u8], c: &Columns, dst: &mut [i32]) {
    for (j, o) in dst.iter_mut().enumerate() {
        let (i0, i1) = (c.i0[j] as usize, c.i1[j] as usize);
        *o = i32::from(src[i0]) * c.a0[j] + i32::from(src[i1]) * c.a1[j];
    }
}

/// [`row`] with AVX2 gathers: the source row widened to 32-bit integers in `wide` (its length), then
/// eight outputs per step, each a gather of its two source samples and two products.
///
/// # Safety
/// The processor has AVX2; `wide` and `src` have the same length, every offset of `c` is below it,
/// and `c`'s four parts hold `dst.len()` entries.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn row_avx2(src: &[u8], wide: &mut [i32], c: &Columns, dst: &mut [i32]) {
    use std::arch::x86_64::*;
    for (w, &s) in wide.iter_mut().zip(src) {
        *w = i32::from(s);
    }
    let whole = dst.len() / 8 * 8;
    for j in (0..whole).step_by(8) {
        // SAFETY: j + 8 <= dst.len(), the length of each part of `c`, so the loads read entries of
        // `c` and the store writes entries of `dst`; the gathers read `wide` at offsets below its
        // length (the caller's promise); unaligned loads and stores need no alignment.
        unsafe {
            let load = |v: &Vec<i32>| _mm256_loadu_si256(v.as_ptr().add(j).cast());
            let s0 = _mm256_i32gather_epi32::<4>(wide.as_ptr(), load(&c.i0));
            let s1 = _mm256_i32gather_epi32::<4>(wide.as_ptr(), load(&c.i1));
            let v = _mm256_add_epi32(_mm256_mullo_epi32(s0, load(&c.a0)), _mm256_mullo_epi32(s1, load(&c.a1)));
            _mm256_storeu_si256(dst.as_mut_ptr().add(j).cast(), v);
        }
    }
    for (j, o) in dst.iter_mut().enumerate().skip(whole) {
        let (i0, i1) = (c.i0[j] as usize, c.i1[j] as usize);
        *o = wide[i0] * c.a0[j] + wide[i1] * c.a1[j];
    }
}

/// The blend of the source rows `x` (of `src_len` samples) into the rows of `out` ([`resize_u8`]'s
/// passes): each output row from two source rows resized along the columns (by `resize_row`, kept
/// in `cache`), weighted by its entry of `ys`.
#[inline(always)]
fn passes(
    x: &[u8],
    src_len: usize,
    row_len: usize,
    ys: &[(usize, usize, f64, f64)],
    cache: &mut [(usize, Vec<i32>); 2],
    out: &mut Vec<u8>,
    mut resize_row: impl FnMut(&[u8], &mut [i32]),
) {
    for &(r0, r1, b0, b1) in ys {
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                resize_row(&x[r * src_len..(r + 1) * src_len], &mut cache[slot].1);
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
}

/// [`passes`] compiled for AVX2, with [`row_avx2`]'s gathers (`wide`: a buffer of `src_len`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn passes_avx2(
    x: &[u8],
    src_len: usize,
    columns: &Columns,
    ys: &[(usize, usize, f64, f64)],
    cache: &mut [(usize, Vec<i32>); 2],
    wide: &mut [i32],
    out: &mut Vec<u8>,
) {
    let row_len = columns.i0.len();
    passes(x, src_len, row_len, ys, cache, out, |src, dst| {
        // SAFETY: AVX2 is enabled here; `wide` has `src_len` entries, as `src` (a source row); every
        // offset of `columns` is below `cols · channels = src_len` (`taps` gives columns below `cols`);
        // its parts and `dst` (a cached row) hold `row_len` entries.
        unsafe { row_avx2(src, wide, columns, dst) }
    });
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
