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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pairs_have_the_bits_of_the_scalar_pass() {
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
            for k in 0..n {
                let i = offsets[k];
                let want = src[i] * weights[k][0] + src[i + 1] * weights[k][1];
                // SAFETY: every element was written by `pairs` (k < n) or initialised above.
                assert_eq!(unsafe { dst[k].assume_init() }.to_bits(), want.to_bits(), "tap {k} of {n}");
            }
        }
    }
}
