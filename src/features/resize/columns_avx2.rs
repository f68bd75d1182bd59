//! The column pass of a one-channel float64 `Resize` four output samples at a time with AVX2 (on
//! processors without AVX-512, whose windowed pass `windows.rs` is).
//!
//! Each output reads two adjacent source samples, `p = src[i]` and `q = src[i + 1]`: one 16-byte
//! load fetches the pair, two pairs fill a register, and the taps' weights `[a0, a1]` are already
//! stored in pairs, so two products give `p·a0, q·a1` for four outputs and one horizontal sum
//! (`vhaddpd`, then a permute into order) gives `p·a0 + q·a1`, the scalar pass's bits (a product each
//! then a sum, no fused multiply-add; the sum of two numbers is the same in either order). The
//! scalar pass loads each sample and each weight apart and sums in single lanes: about twice the
//! instructions.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// `dst[k] = src[offsets[k]] · weights[k][0] + src[offsets[k] + 1] · weights[k][1]` for every `k`
/// below `dst.len()`.
///
/// # Safety
///
/// The processor must have AVX2; `offsets` and `weights` hold at least `dst.len()` taps, and every
/// `offsets[k] + 1` with `k < dst.len()` is below `src.len()`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pairs(offsets: &[usize], weights: &[[f64; 2]], src: &[f64], dst: &mut [MaybeUninit<f64>]) {
    let n = dst.len();
    debug_assert!(offsets.len() >= n && weights.len() >= n);
    let (s, o, w, d) = (src.as_ptr(), offsets.as_ptr(), weights.as_ptr().cast::<f64>(), dst.as_mut_ptr().cast::<f64>());
    let mut k = 0;
    while k + 4 <= n {
        // SAFETY: k + 4 ≤ n, and `offsets`, `weights` (two f64 each) and `dst` hold at least n
        // elements; each pair load reads `src[offsets[j]]` and the next sample, both in `src` (the
        // caller's requirement). All loads and the store are unaligned ones.
        unsafe {
            let pair = |j: usize| _mm_loadu_pd(s.add(*o.add(j)));
            let lo = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(pair(k)), pair(k + 1));
            let hi = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(pair(k + 2)), pair(k + 3));
            let lo = _mm256_mul_pd(lo, _mm256_loadu_pd(w.add(2 * k)));
            let hi = _mm256_mul_pd(hi, _mm256_loadu_pd(w.add(2 * k + 4)));
            // Outputs k, k + 2, k + 1, k + 3, then in order.
            let sums = _mm256_hadd_pd(lo, hi);
            _mm256_storeu_pd(d.add(k), _mm256_permute4x64_pd::<0b11_01_10_00>(sums));
        }
        k += 4;
    }
    for k in k..n {
        // SAFETY: as above, for one tap k < n.
        unsafe {
            let i = *o.add(k);
            let (p, q) = (*s.add(i), *s.add(i + 1));
            d.add(k).write(p * *w.add(2 * k) + q * *w.add(2 * k + 1));
        }
    }
}

/// [`pairs`] of two source rows at once, `a` into `da` and `b` into `db`, which share each tap's
/// offset and weights (loaded once for both rows).
///
/// # Safety
///
/// As [`pairs`], for each of the two rows, and `da` and `db` have the same length.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pairs_two(
    offsets: &[usize],
    weights: &[[f64; 2]],
    (a, b): (&[f64], &[f64]),
    (da, db): (&mut [MaybeUninit<f64>], &mut [MaybeUninit<f64>]),
) {
    let n = da.len();
    debug_assert!(db.len() == n && offsets.len() >= n && weights.len() >= n);
    let (o, w) = (offsets.as_ptr(), weights.as_ptr().cast::<f64>());
    let rows = [(a.as_ptr(), da.as_mut_ptr().cast::<f64>()), (b.as_ptr(), db.as_mut_ptr().cast::<f64>())];
    let mut k = 0;
    while k + 4 <= n {
        // SAFETY: as in `pairs`, for each row (k + 4 ≤ n, the length of both outputs).
        unsafe {
            let (i0, i1, i2, i3) = (*o.add(k), *o.add(k + 1), *o.add(k + 2), *o.add(k + 3));
            let (w0, w1) = (_mm256_loadu_pd(w.add(2 * k)), _mm256_loadu_pd(w.add(2 * k + 4)));
            for (s, d) in rows {
                let lo =
                    _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(_mm_loadu_pd(s.add(i0))), _mm_loadu_pd(s.add(i1)));
                let hi =
                    _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(_mm_loadu_pd(s.add(i2))), _mm_loadu_pd(s.add(i3)));
                let sums = _mm256_hadd_pd(_mm256_mul_pd(lo, w0), _mm256_mul_pd(hi, w1));
                _mm256_storeu_pd(d.add(k), _mm256_permute4x64_pd::<0b11_01_10_00>(sums));
            }
        }
        k += 4;
    }
    // SAFETY: the remaining taps, from k, under the same requirements.
    unsafe {
        pairs(&offsets[k..], &weights[k..], a, &mut da[k..]);
        pairs(&offsets[k..], &weights[k..], b, &mut db[k..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pairs_of_one_and_of_two_rows_have_the_bits_of_the_scalar_pass() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        // Offsets of shrinking and enlarging (repeated, adjacent, skipping), awkward weights, every
        // tail length.
        let src: Vec<f64> =
            (0..300).map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 11.0 + (i as f64).sqrt() * 1e-9).collect();
        for n in 0..40 {
            let offsets: Vec<usize> = (0..n).map(|k| (k * 37 / 10 + k % 3) % 299).collect();
            let weights: Vec<[f64; 2]> = (0..n)
                .map(|k| {
                    let t = (k as f64 * 0.618_033_988_749).fract();
                    [1.0 - t, t]
                })
                .collect();
            let mut dst = vec![MaybeUninit::new(f64::NAN); n];
            // SAFETY: AVX2 checked above; every offset is below 299, so offset + 1 < 300.
            unsafe { pairs(&offsets, &weights, &src, &mut dst) };
            let other: Vec<f64> = src.iter().rev().map(|v| v * 1.5).collect();
            let (mut two_a, mut two_b) = (vec![MaybeUninit::new(f64::NAN); n], vec![MaybeUninit::new(f64::NAN); n]);
            // SAFETY: as above, for both rows of 300 samples.
            unsafe { pairs_two(&offsets, &weights, (&src, &other), (&mut two_a, &mut two_b)) };
            for k in 0..n {
                let i = offsets[k];
                let want = src[i] * weights[k][0] + src[i + 1] * weights[k][1];
                let want_b = other[i] * weights[k][0] + other[i + 1] * weights[k][1];
                // SAFETY: every element was written by `pairs` or `pairs_two` (k < n) or initialised above.
                let got = unsafe { [dst[k].assume_init(), two_a[k].assume_init(), two_b[k].assume_init()] };
                assert_eq!(got.map(f64::to_bits), [want, want, want_b].map(f64::to_bits), "tap {k} of {n}");
            }
        }
    }
}
