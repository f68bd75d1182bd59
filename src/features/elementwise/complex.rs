//! One-pass kernels on the interleaved parts of a complex image (`re, im, re, im, …`): each writes
//! every sample of a fresh buffer ([`buffer::with_capacity`], advised as huge pages as numpy's are)
//! in one loop the compiler vectorises, without zero-filling it first or copying the input.

use crate::buffer;
use crate::error::Result;
use rustfft::num_complex::Complex64;

/// numpy's `abs` of each complex number: `sqrt(re² + im²)` in one vectorised pass, then numpy's
/// `hypot` (within an ulp of which the square root is) where the sum of squares is not a normal
/// number below 1e300 (where it would overflow, underflow or lose precision), which a second pass
/// fixes only when there is such a number.
pub(crate) fn abs(parts: &[f64]) -> Result<Vec<f64>> {
    let n = parts.len() / 2;
    let mut out = buffer::with_capacity(n)?;
    let spare = &mut out.spare_capacity_mut()[..n];
    #[cfg(target_arch = "x86_64")]
    let all_exact = if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        unsafe { abs_into_avx2(parts, spare) }
    } else {
        abs_into(parts, spare)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let all_exact = abs_into(parts, spare);
    // SAFETY: `abs_into` wrote each of the first `n` slots (it zips them with the `n` pairs of parts).
    unsafe { out.set_len(n) };
    if !all_exact {
        for (o, z) in out.iter_mut().zip(parts.chunks_exact(2)) {
            if !exact(z[0] * z[0] + z[1] * z[1]) {
                *o = z[0].hypot(z[1]);
            }
        }
    }
    Ok(out)
}

/// Whether the square root of a sum of squares `s` is within an ulp of `hypot`: `s` normal, below
/// 1e300 (comparisons, which vectorise, rather than `is_normal`).
#[inline(always)]
#[allow(clippy::manual_range_contains)] // two comparisons joined without a branch, which vectorise
fn exact(s: f64) -> bool {
    (s >= f64::MIN_POSITIVE) & (s < 1e300)
}

/// Writes `sqrt(re² + im²)` of each pair of `parts` into `out`; whether every sum was [`exact`].
#[inline(always)]
fn abs_into(parts: &[f64], out: &mut [std::mem::MaybeUninit<f64>]) -> bool {
    let mut all_exact = true;
    for (o, z) in out.iter_mut().zip(parts.chunks_exact(2)) {
        let s = z[0] * z[0] + z[1] * z[1];
        all_exact &= exact(s);
        o.write(s.sqrt());
    }
    all_exact
}

/// [`abs_into`] compiled for AVX2 (four square roots per instruction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn abs_into_avx2(parts: &[f64], out: &mut [std::mem::MaybeUninit<f64>]) -> bool {
    abs_into(parts, out)
}

/// `(f(re), g(im))` of each complex number (`Conjugate`: `(re, -im)`; a complex image plus a number:
/// `(re + v, im)`), in one pass.
pub(crate) fn map_parts(parts: &[f64], f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64) -> Result<Vec<f64>> {
    let len = parts.len() & !1;
    let mut out = buffer::with_capacity(len)?;
    let spare = &mut out.spare_capacity_mut()[..len];
    // Past the cache for large images (bound by memory: the product with a number, `Conjugate`).
    let stream = crate::streaming::worth_streaming(8 * len, 8 * len);
    crate::streaming::fill(spare, 2, stream, |offset, block| {
        map_parts_block(&parts[offset..offset + block.len()], block, &f, &g)
    });
    // SAFETY: `fill` had every one of the first `len` slots written (`map_parts_block` writes each
    // slot of its block, two per pair of parts).
    unsafe { out.set_len(len) };
    Ok(out)
}

/// [`map_parts`] of one block of whole numbers, with the widest instructions the processor has.
fn map_parts_block(
    parts: &[f64],
    out: &mut [std::mem::MaybeUninit<f64>],
    f: impl Fn(f64) -> f64,
    g: impl Fn(f64) -> f64,
) {
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    if crate::simd::avx512() {
        // SAFETY: the processor has AVX-512 F, BW, DQ and VL (checked just above), the only
        // requirement of the call.
        unsafe { map_parts_into_avx512(parts, out, &f, &g) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        unsafe { map_parts_into_avx2(parts, out, &f, &g) };
        return;
    }
    map_parts_into(parts, out, f, g);
}

/// [`map_parts`]' loop, indexed so that the compiler vectorises the interleaved parts.
#[inline(always)]
fn map_parts_into(
    parts: &[f64],
    out: &mut [std::mem::MaybeUninit<f64>],
    f: impl Fn(f64) -> f64,
    g: impl Fn(f64) -> f64,
) {
    assert_eq!(parts.len(), out.len());
    for i in 0..parts.len() / 2 {
        out[2 * i].write(f(parts[2 * i]));
        out[2 * i + 1].write(g(parts[2 * i + 1]));
    }
}

#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn map_parts_into_avx512(
    parts: &[f64],
    out: &mut [std::mem::MaybeUninit<f64>],
    f: impl Fn(f64) -> f64,
    g: impl Fn(f64) -> f64,
) {
    map_parts_into(parts, out, f, g)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn map_parts_into_avx2(
    parts: &[f64],
    out: &mut [std::mem::MaybeUninit<f64>],
    f: impl Fn(f64) -> f64,
    g: impl Fn(f64) -> f64,
) {
    map_parts_into(parts, out, f, g)
}

/// `f` of each complex number of the interleaved `parts`, into a fresh buffer of parts (the first
/// error of `f` stops it).
pub(crate) fn map_numbers(parts: &[f64], f: impl Fn(Complex64) -> Result<Complex64>) -> Result<Vec<f64>> {
    let mut out = buffer::with_capacity(parts.len() & !1)?;
    for z in parts.chunks_exact(2) {
        let w = f(Complex64::new(z[0], z[1]))?;
        out.extend_from_slice(&[w.re, w.im]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_map_is_the_same_past_the_cache() {
        // Small images are written directly, large ones (input and output beyond the last-level
        // cache) through `streaming`'s blocks: the same values, number for number.
        for n in [3usize, 1 + (64 << 20) / 16] {
            let parts: Vec<f64> = (0..2 * n).map(|i| i as f64 * 0.5 - 7.0).collect();
            let out = map_parts(&parts, |re| re, |im| -im).unwrap();
            assert_eq!(out.len(), parts.len());
            for (k, (o, p)) in out.chunks_exact(2).zip(parts.chunks_exact(2)).enumerate() {
                assert!(o[0].to_bits() == p[0].to_bits() && o[1].to_bits() == (-p[1]).to_bits(), "number {k}");
            }
        }
    }

    #[test]
    fn abs_is_hypot_within_an_ulp_and_exactly_at_the_edges() {
        let parts =
            [3.0, 4.0, 1e200, 1e200, 1e-200, -1e-200, 0.0, -0.0, f64::INFINITY, f64::NAN, -2.5, 0.5, f64::NAN, 1.0];
        let out = abs(&parts).unwrap();
        for (o, z) in out.iter().zip(parts.chunks_exact(2)) {
            let h = z[0].hypot(z[1]);
            assert!((o - h).abs() <= h * f64::EPSILON || o.to_bits() == h.to_bits(), "{z:?}: {o} vs {h}");
        }
        assert_eq!(out[0], 5.0);
        assert_eq!(out[4], f64::INFINITY);
        assert!(out[6].is_nan());
        assert_eq!(map_parts(&[1.0, 2.0, -3.0, 0.0], |x| x, |y| -y).unwrap(), [1.0, -2.0, -3.0, -0.0]);
    }
}
