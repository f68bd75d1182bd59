//! Reductions of one contiguous run of samples (the reduced axes are the last ones): numpy's
//! pairwise `sum`, `var` without a temporary array, and `min`/`max` in independent lanes, so that
//! the loops vectorise (compiled for AVX2 too, used when the processor has it); numpy's sequential
//! `prod` of consecutive runs, several runs at a time.

/// Independent accumulators of [`min`] and [`max`] (enough to keep the vector units busy).
const LANES: usize = 8;

/// numpy's sum of a contiguous run: the pairwise sum of all its samples (numpy 2.4 sums a
/// contiguous run so, with these bits; 0 for an empty run).
pub fn sum(x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::sum_of(x, |v| v) };
    }
    sum_of(x, |v| v)
}

/// numpy's sum of a contiguous run of complex numbers given as interleaved parts (`x.len()` even):
/// `CDOUBLE_pairwise_sum`, which splits and sums the parts as [`sum`] does the samples (eight lanes
/// over the parts, blocks of 128, halves rounded to 8) and adds up the lanes of each part as
/// `(r0 + r2) + (r4 + r6)` and `(r1 + r3) + (r5 + r7)`. Same bits as numpy; `(-0.0, -0.0)` for none.
pub fn complex_sum(x: &[f64]) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::complex_sum(x) };
    }
    complex_sum_of(x)
}

#[inline(always)]
fn complex_sum_of(x: &[f64]) -> (f64, f64) {
    if x.len() <= 128 {
        return complex_block(x);
    }
    let mut half = x.len() / 2;
    half -= half % 8;
    let ((a, b), (c, d)) = (complex_sum_of(&x[..half]), complex_sum_of(&x[half..]));
    (a + c, b + d)
}

/// [`complex_sum`] of a block of at most 128 parts.
#[inline(always)]
fn complex_block(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    if n < 8 {
        let (mut re, mut im) = (-0.0, -0.0);
        for z in x.chunks_exact(2) {
            re += z[0];
            im += z[1];
        }
        return (re, im);
    }
    let mut r = [0.0; 8];
    r.copy_from_slice(&x[..8]);
    let whole = n - n % 8;
    for block in x[8..whole].chunks_exact(8) {
        for (acc, &v) in r.iter_mut().zip(block) {
            *acc += v;
        }
    }
    let (mut re, mut im) = ((r[0] + r[2]) + (r[4] + r[6]), (r[1] + r[3]) + (r[5] + r[7]));
    for z in x[whole..].chunks_exact(2) {
        re += z[0];
        im += z[1];
    }
    (re, im)
}

/// numpy's `var`: the mean of the squared deviations from the mean, summed as numpy sums the
/// array of squared deviations (same bits), without making it.
pub fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = sum(x) / n;
    let square = move |v: f64| (v - mean) * (v - mean);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::sum_of(x, square) } / n;
    }
    sum_of(x, square) / n
}

/// numpy's sum of `f` of every sample, with the bits numpy gives for the array of those values,
/// without making that array.
fn sum_of(x: &[f64], f: impl Fn(f64) -> f64 + Copy) -> f64 {
    if x.len() <= 128 {
        return block(x, f);
    }
    let mut half = x.len() / 2;
    half -= half % 8;
    sum_of(&x[..half], f) + sum_of(&x[half..], f)
}

/// numpy's pairwise summation of a block of at most 128 samples: 8 lanes, then the rest in order.
#[inline(always)]
fn block(x: &[f64], f: impl Fn(f64) -> f64 + Copy) -> f64 {
    let n = x.len();
    if n < 8 {
        let mut s = -0.0;
        for &v in x {
            s += f(v);
        }
        return s;
    }
    let mut r = [0.0; 8];
    for (acc, &v) in r.iter_mut().zip(&x[..8]) {
        *acc = f(v);
    }
    let whole = n - n % 8;
    for block in x[8..whole].chunks_exact(8) {
        for (acc, &v) in r.iter_mut().zip(block) {
            *acc += f(v);
        }
    }
    let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for &v in &x[whole..] {
        s += f(v);
    }
    s
}

/// numpy's products of the `out.len()` consecutive runs of `run` samples of `data`: each run
/// multiplied in order from 1 (numpy's `multiply.reduce` is sequential, not pairwise: same bits,
/// overflow and underflow included), [`LANES`] runs at a time in independent chains, so that the
/// multiplications overlap instead of waiting for each other.
pub fn products(data: &[f64], run: usize, out: &mut [f64]) {
    assert_eq!(data.len(), run * out.len());
    if run == 0 {
        out.fill(1.0);
        return;
    }
    for (group, o) in data.chunks(LANES * run).zip(out.chunks_mut(LANES)) {
        if o.len() < LANES {
            for (o, chunk) in o.iter_mut().zip(group.chunks(run)) {
                *o = chunk.iter().product();
            }
            continue;
        }
        let rows: [&[f64]; LANES] = std::array::from_fn(|l| &group[l * run..(l + 1) * run]);
        let mut acc = [1.0; LANES];
        // The same column of eight rows at each step: an index, not an iterator, reads them all.
        #[allow(clippy::needless_range_loop)]
        for j in 0..run {
            for l in 0..LANES {
                acc[l] *= rows[l][j];
            }
        }
        o.copy_from_slice(&acc);
    }
}

/// The minimum and the maximum of a non-empty run, NaN both when a sample is NaN (numpy's `ptp`
/// is their difference): both of each block of the run while it is in the L1 cache, so that the
/// run is read from memory once.
pub fn min_max(x: &[f64]) -> (f64, f64) {
    /// Samples per block (16 KiB).
    const BLOCK: usize = 2048;
    let (mut lo, mut hi) = (x[0], x[0]);
    for block in x.chunks(BLOCK) {
        let (l, h) = (min(block), max(block));
        lo = if takes_min(lo, l) { l } else { lo };
        hi = if takes_max(hi, h) { h } else { hi };
    }
    (lo, hi)
}

/// Whether `v` replaces `acc` as the minimum: smaller, or NaN (numpy's `minimum` propagates NaN;
/// a NaN `acc` stays, as nothing compares below it).
#[inline(always)]
pub fn takes_min(acc: f64, v: f64) -> bool {
    v < acc || v.is_nan()
}

/// [`takes_min`] for the maximum.
#[inline(always)]
pub fn takes_max(acc: f64, v: f64) -> bool {
    v > acc || v.is_nan()
}

/// The minimum of a non-empty run, NaN when a sample is NaN (numpy's `min`).
pub fn min(x: &[f64]) -> f64 {
    extreme::<false>(x)
}

/// The maximum of a non-empty run, NaN when a sample is NaN (numpy's `max`).
pub fn max(x: &[f64]) -> f64 {
    extreme::<true>(x)
}

/// [`min`] or, with `MAX`, [`max`].
fn extreme<const MAX: bool>(x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::extreme::<MAX>(x) };
    }
    extreme_in_lanes::<MAX>(x)
}

/// The extreme in independent lanes of plain comparisons (one vector instruction each), with a
/// sum of `v * 0` that is 0 exactly when every sample is finite; a run with NaN or infinities is
/// done again in order, with NaN propagating.
#[inline(always)]
fn extreme_in_lanes<const MAX: bool>(x: &[f64]) -> f64 {
    let better = |acc: f64, v: f64| if MAX { v > acc } else { v < acc };
    let mut best = [x[0]; LANES];
    let mut finite = [0.0; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let v = c[l];
            best[l] = if better(best[l], v) { v } else { best[l] };
            finite[l] += v * 0.0;
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        best[l] = if better(best[l], v) { v } else { best[l] };
        finite[l] += v * 0.0;
    }
    if finite.iter().sum::<f64>() == 0.0 {
        return best.into_iter().fold(best[0], |a, v| if better(a, v) { v } else { a });
    }
    let takes = if MAX { takes_max } else { takes_min };
    x.iter().fold(x[0], |a, &v| if takes(a, v) { v } else { a })
}

/// The kernels compiled for AVX2 (the portable ones, inlined into these).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    /// [`super::sum_of`].
    #[target_feature(enable = "avx2")]
    pub(super) fn sum_of(x: &[f64], f: impl Fn(f64) -> f64 + Copy) -> f64 {
        if x.len() <= 128 {
            return super::block(x, f);
        }
        let mut half = x.len() / 2;
        half -= half % 8;
        sum_of(&x[..half], f) + sum_of(&x[half..], f)
    }

    /// [`super::complex_sum_of`].
    #[target_feature(enable = "avx2")]
    pub(super) fn complex_sum(x: &[f64]) -> (f64, f64) {
        super::complex_sum_of(x)
    }

    /// [`super::extreme_in_lanes`].
    #[target_feature(enable = "avx2")]
    pub(super) fn extreme<const MAX: bool>(x: &[f64]) -> f64 {
        super::extreme_in_lanes::<MAX>(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_propagate_nan_from_any_lane_and_the_tail() {
        let mut x: Vec<f64> = (0..37).map(|i| ((i * 7) % 37) as f64 - 10.0).collect();
        assert_eq!((min(&x), max(&x)), (-10.0, 26.0));
        for at in [0, 5, 31, 36] {
            let mut y = x.clone();
            y[at] = f64::NAN;
            assert!(min(&y).is_nan() && max(&y).is_nan(), "NaN at {at}");
            y[at] = f64::NEG_INFINITY;
            assert_eq!((min(&y), max(&y)), (f64::NEG_INFINITY, 26.0), "-inf at {at}");
        }
        x.truncate(3);
        assert_eq!((min(&x), max(&x)), (-10.0, 4.0));
    }

    #[test]
    fn min_max_of_a_run_propagate_nan_and_infinities() {
        let x: Vec<f64> = (0..37).map(|i| ((i * 7) % 37) as f64 - 10.0).collect();
        assert_eq!(min_max(&x), (-10.0, 26.0));
        for at in [0, 5, 31, 36] {
            let mut y = x.clone();
            y[at] = f64::NAN;
            let (lo, hi) = min_max(&y);
            assert!(lo.is_nan() && hi.is_nan(), "NaN at {at}");
            y[at] = f64::INFINITY;
            let lo = if at == 0 { -9.0 } else { -10.0 }; // x[0] is the minimum, -10
            assert_eq!(min_max(&y), (lo, f64::INFINITY), "inf at {at}");
            y[at] = f64::NEG_INFINITY;
            assert_eq!(min_max(&y), (f64::NEG_INFINITY, 26.0), "-inf at {at}");
        }
        assert_eq!(min_max(&[3.0]), (3.0, 3.0));
        // Several blocks: the extremes and a NaN in later ones.
        let mut long: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 4999) as f64).collect();
        long[4321] = -5.0;
        long[2500] = 1e9;
        assert_eq!(min_max(&long), (-5.0, 1e9));
        long[4999] = f64::NAN;
        let (lo, hi) = min_max(&long);
        assert!(lo.is_nan() && hi.is_nan());
        assert_eq!(min_max(&x[..5]), (-10.0, 18.0));
    }

    #[test]
    fn products_multiply_each_run_in_order() {
        // 19 runs of 5 (two groups of eight and a ragged three), against the sequential product,
        // bit for bit, with an overflow that the order decides: 1e300 * 1e300 * 1e-300 is inf.
        let mut data: Vec<f64> = (0..95).map(|i| 1.0 + ((i * 13) % 17) as f64 * 0.37).collect();
        data[10..13].copy_from_slice(&[1e300, 1e300, 1e-300]);
        data[90..93].copy_from_slice(&[1e-300, 1e-300, 1e300]);
        let mut out = vec![0.0; 19];
        products(&data, 5, &mut out);
        for (i, o) in out.iter().enumerate() {
            let want: f64 = data[i * 5..(i + 1) * 5].iter().fold(1.0, |a, &v| a * v);
            assert_eq!(o.to_bits(), want.to_bits(), "run {i}");
        }
        assert_eq!(out[2], f64::INFINITY);
        assert_eq!(out[18], 0.0);
        let mut empty = vec![0.0; 9];
        products(&[], 0, &mut empty);
        assert_eq!(empty, vec![1.0; 9]);
    }

    #[test]
    fn variance_is_the_mean_squared_deviation() {
        let x: Vec<f64> = (0..1000).map(|i| 1e6 + (i % 10) as f64).collect();
        assert!((variance(&x) - 8.25).abs() < 1e-9, "{}", variance(&x));
        assert_eq!(sum(&[]), 0.0);
    }
}
