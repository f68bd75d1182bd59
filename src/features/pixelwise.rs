//! Whole-image passes of the math features: an element-wise map into a new buffer, the range, and
//! the mean and standard deviation. Each is one pass over contiguous memory in interleaved lanes that
//! the compiler vectorises, run as an AVX2 build when the processor has it.

use std::mem::MaybeUninit;

use crate::buffer;
use crate::error::Result;

/// `f` applied to every sample of `x`, into a new buffer.
pub(crate) fn map(x: &[f64], f: impl Fn(f64) -> f64) -> Result<Vec<f64>> {
    let mut out = buffer::with_capacity(x.len())?;
    let spare = &mut out.spare_capacity_mut()[..x.len()];
    #[cfg(target_arch = "x86_64")]
    let done = if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        unsafe { avx2::map_into(x, spare, &f) };
        true
    } else {
        false
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = false;
    if !done {
        map_into(x, spare, f);
    }
    // SAFETY: `map_into` wrote every one of the first `x.len()` slots (it zips `x` with a slice of
    // exactly that length), and the capacity is at least that.
    unsafe { out.set_len(x.len()) };
    Ok(out)
}

#[inline(always)]
fn map_into(x: &[f64], out: &mut [MaybeUninit<f64>], f: impl Fn(f64) -> f64) {
    assert_eq!(x.len(), out.len());
    out.iter_mut().zip(x).for_each(|(o, &v)| {
        o.write(f(v));
    });
}

/// Lanes of the reductions: independent partial results that the compiler keeps in vector registers.
const LANES: usize = 8;

/// The smallest and the largest sample when every sample is finite (`(inf, -inf)` for no sample),
/// `None` when one is NaN or infinite.
pub(crate) fn finite_range(x: &[f64]) -> Option<(f64, f64)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::finite_range(x) };
    }
    finite_range_in_lanes(x)
}

#[inline(always)]
fn finite_range_in_lanes(x: &[f64]) -> Option<(f64, f64)> {
    // `v * 0` is 0 for a finite sample and NaN for any other, and a NaN stays in its sum; the
    // extremes need not care for NaN then.
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    let mut finite = [0.0; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let v = c[l];
            lo[l] = lo[l].min(v);
            hi[l] = hi[l].max(v);
            finite[l] += v * 0.0;
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        lo[l] = lo[l].min(v);
        hi[l] = hi[l].max(v);
        finite[l] += v * 0.0;
    }
    if finite.iter().sum::<f64>() != 0.0 {
        return None;
    }
    Some((lo.into_iter().fold(f64::INFINITY, f64::min), hi.into_iter().fold(f64::NEG_INFINITY, f64::max)))
}

/// The mean and the population standard deviation of `x`, as numpy's two passes give them, in one
/// pass in the common case: the sums of `x - shift` and of its square, `shift` being the mean of a
/// strided sample, lose no digits when the shift is within a standard deviation of the mean (the
/// squared offset is then at most the variance it is subtracted from). Otherwise (or with NaN or
/// infinite samples) a second pass sums the squared deviations from the mean itself.
pub(crate) fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let step = (x.len() / 1024).max(1);
    let shift = x.iter().step_by(step).sum::<f64>() / x.iter().step_by(step).count().max(1) as f64;
    let (s1, s2) = shifted_sums(x, shift);
    let offset = s1 / n;
    let mean = shift + offset;
    let var = s2 / n - offset * offset;
    if offset * offset <= var {
        return (mean, var.sqrt());
    }
    (mean, (sum_by(x, |v| (v - mean) * (v - mean)) / n).sqrt())
}

/// `Σ (x - shift)` and `Σ (x - shift)²`.
fn shifted_sums(x: &[f64], shift: f64) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::shifted_sums(x, shift) };
    }
    shifted_sums_in_lanes(x, shift)
}

#[inline(always)]
fn shifted_sums_in_lanes(x: &[f64], shift: f64) -> (f64, f64) {
    let (mut s1, mut s2) = ([0.0; LANES], [0.0; LANES]);
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let d = c[l] - shift;
            s1[l] += d;
            s2[l] += d * d;
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        s1[l] += v - shift;
        s2[l] += (v - shift) * (v - shift);
    }
    (s1.iter().sum(), s2.iter().sum())
}

/// `Σ f(x)` over `LANES` interleaved partial sums (as accurate as a sequential sum or more).
fn sum_by(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        acc[l] += f(v);
    }
    acc.iter().sum()
}

/// The passes compiled for AVX2 (twice the vector width of the baseline x86-64 target). Each is the
/// same operations in the same order as its portable version (Rust never fuses a multiply and an add
/// into an FMA on its own), so the results are identical.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[target_feature(enable = "avx2")]
    pub(super) fn map_into(x: &[f64], out: &mut [std::mem::MaybeUninit<f64>], f: impl Fn(f64) -> f64) {
        super::map_into(x, out, f)
    }

    /// The range with explicit vector instructions: the compiler does not vectorise the portable
    /// version's selects well. The extremes of finite samples do not depend on the order in which
    /// they are compared, so the result is the portable version's.
    #[target_feature(enable = "avx2")]
    pub(super) fn finite_range(x: &[f64]) -> Option<(f64, f64)> {
        use std::arch::x86_64::*;
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        let (mut lo, mut hi) = ([_mm256_set1_pd(f64::INFINITY); 2], [_mm256_set1_pd(f64::NEG_INFINITY); 2]);
        let (mut finite, zero) = ([_mm256_setzero_pd(); 2], _mm256_setzero_pd());
        for c in chunks {
            for (h, half) in c.chunks_exact(4).enumerate() {
                // SAFETY: `half` holds 4 f64s, which is what the unaligned load reads.
                let v = unsafe { _mm256_loadu_pd(half.as_ptr()) };
                lo[h] = _mm256_min_pd(lo[h], v);
                hi[h] = _mm256_max_pd(hi[h], v);
                finite[h] = _mm256_add_pd(finite[h], _mm256_mul_pd(v, zero));
            }
        }
        let lanes = |v: [__m256d; 2]| -> [f64; 8] {
            // SAFETY: two vectors of 4 f64s are 8 f64s, and every bit pattern is an f64.
            unsafe { std::mem::transmute(v) }
        };
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut nonfinite = lanes(finite).iter().sum::<f64>();
        for (&a, &b) in lanes(lo).iter().zip(&lanes(hi)) {
            (min, max) = (min.min(a), max.max(b));
        }
        for &v in rest {
            (min, max) = (min.min(v), max.max(v));
            nonfinite += v * 0.0;
        }
        if nonfinite != 0.0 { None } else { Some((min, max)) }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn shifted_sums(x: &[f64], shift: f64) -> (f64, f64) {
        super::shifted_sums_in_lanes(x, shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_std_are_accurate_in_one_pass_or_two() {
        // Two passes with compensated (Neumaier) sums: correct to the last digits or so.
        let exact_sum = |values: &mut dyn Iterator<Item = f64>| {
            let (mut sum, mut lost) = (0.0_f64, 0.0_f64);
            for v in values {
                let t = sum + v;
                lost += if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
                sum = t;
            }
            sum + lost
        };
        let two_pass = |x: &[f64]| {
            let n = x.len() as f64;
            let mean = exact_sum(&mut x.iter().copied()) / n;
            (mean, (exact_sum(&mut x.iter().map(|v| (v - mean) * (v - mean))) / n).sqrt())
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || (a.is_nan() && b.is_nan());
        let cases: Vec<Vec<f64>> = vec![
            (0..5000).map(|i| ((i * 7919) % 1000) as f64 / 1000.0).collect(),
            // A large offset and a small spread (the shifted sums must not cancel).
            (0..3000).map(|i| 1e9 + (i % 7) as f64 * 1e-3).collect(),
            // A ramp: the sample mean is far from the first samples.
            (0..4099).map(|i| i as f64).collect(),
            // Background and one bright block at the end (the strided sample misses most of it).
            (0..10000).map(|i| if i > 9990 { 1e6 } else { 0.0 }).collect(),
            // The strided sample sees only the zeros: the shift is far from the mean (second pass).
            (0..10000).map(|i| if i % 9 == 0 { 0.0 } else { 5.0 + (i % 5) as f64 * 1e-4 }).collect(),
            vec![1.0, 3.0],
            vec![2.0; 9],
        ];
        for x in &cases {
            let (m, s) = mean_std(x);
            let (em, es) = two_pass(x);
            assert!(close(m, em) && close(s, es), "({m}, {s}) vs ({em}, {es})");
        }
        assert!(mean_std(&[1.0, f64::NAN]).1.is_nan());
        assert!(mean_std(&[1.0, f64::INFINITY]).1.is_nan());
    }

    #[test]
    fn ranges_and_sums_cover_every_lane_and_the_remainder() {
        for n in [0, 1, 7, 8, 9, 23] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let (lo, hi) = finite_range(&x).unwrap();
            assert_eq!(lo, x.iter().copied().fold(f64::INFINITY, f64::min), "n = {n}");
            assert_eq!(hi, x.iter().copied().fold(f64::NEG_INFINITY, f64::max), "n = {n}");
            assert_eq!(sum_by(&x, |v| v * v), x.iter().map(|v| v * v).sum::<f64>(), "n = {n}");
        }
    }

    #[test]
    fn a_nan_or_an_infinity_anywhere_has_no_finite_range() {
        for n in [1, 3, 8, 13, 40] {
            for at in [0, n / 2, n - 1] {
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut x: Vec<f64> = (0..n).map(|i| i as f64 * 3.0 - 7.0).collect();
                    x[at] = bad;
                    assert_eq!(finite_range(&x), None, "{bad} at {at} of {n}");
                }
            }
        }
        assert_eq!(finite_range(&[1.0, 1e308, -2.0]), Some((-2.0, 1e308)));
        assert_eq!(finite_range(&[]), Some((f64::INFINITY, f64::NEG_INFINITY)));
    }

    #[test]
    fn portable_and_dispatched_passes_agree_exactly() {
        // With AVX2 the dispatch runs the AVX2 builds; the portable ones must give the same results.
        for n in [0_usize, 1, 3, 4, 7, 8, 9, 15, 16, 17, 100] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 7.0 - 6.0).collect();
            assert_eq!(finite_range(&x), finite_range_in_lanes(&x), "n = {n}");
            assert_eq!(shifted_sums(&x, 0.3), shifted_sums_in_lanes(&x, 0.3), "n = {n}");
            for at in [0, n / 2, n.saturating_sub(1)].into_iter().filter(|_| n > 0) {
                let mut y = x.clone();
                y[at] = f64::NAN;
                assert_eq!(finite_range(&y), None);
                assert_eq!(finite_range_in_lanes(&y), None);
            }
        }
    }

    #[test]
    fn map_applies_to_every_sample() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(map(&x, |v| v * 2.0 + 1.0).unwrap(), x.iter().map(|v| v * 2.0 + 1.0).collect::<Vec<_>>());
        assert!(map(&[], |v| v).unwrap().is_empty());
    }
}
