//! Poisson counts for the `Poisson` noise: a new mean for every pixel, so the sampler's set-up is paid
//! per draw. For means of 10 and more, W. Hörmann's transformed rejection with squeeze ("PTRS": The
//! transformed rejection method for generating Poisson random variables, Insurance: Mathematics and
//! Economics 12 (1993) 39–45), the method numpy's `poisson` uses there: its set-up is a square root
//! and two divisions, and about nine draws in ten are accepted by the squeeze from two uniform numbers,
//! without a logarithm. Below 10, `rand_distr`'s `Poisson` (Knuth's product of uniforms).

use rand::RngCore;
use rand_distr::{Distribution, Poisson};

/// The largest mean sampled ([`rand_distr::Poisson`]'s: beyond it the counts are not exact in f64).
pub(super) const MAX_MEAN: f64 = Poisson::<f64>::MAX_LAMBDA;

/// A uniform number in [0, 1) from the top 53 bits of one draw.
#[inline(always)]
fn uniform(rng: &mut dyn RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A Poisson count of mean `mean` (positive and at most [`MAX_MEAN`]), from `rng`.
#[inline(always)]
pub(super) fn count(mean: f64, rng: &mut dyn RngCore) -> f64 {
    if mean < 10.0 {
        return Poisson::new(mean).map_or(f64::NAN, |d| d.sample(rng));
    }
    // The hat's constants (Hörmann's table 1 fit).
    let root = mean.sqrt();
    let b = 0.931 + 2.53 * root;
    let a = -0.059 + 0.02483 * b;
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = uniform(rng) - 0.5;
        let v = uniform(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + mean + 0.43).floor();
        // The squeeze: inside it every k is accepted.
        if us >= 0.07 && v <= v_r {
            return k;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        // The exact test against the Poisson probability of k: log(v / α / (a / us² + b)) against
        // log(mean^k e^-mean / k!) (one logarithm on the left for Hörmann's three).
        let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        if (v * inv_alpha / (a / (us * us) + b)).ln() <= -mean + k * mean.ln() - ln_factorial(k) {
            return k;
        }
    }
}

/// `ln k!` for a count `k` (a non-negative integer): from a table below 16, beyond by Stirling's
/// series to `1/k⁷`, whose next term is below 1e-16 of the result there.
#[inline(always)]
fn ln_factorial(k: f64) -> f64 {
    /// `ln k!` for k = 0…15.
    const TABLE: [f64; 16] = [
        0.0,
        0.0,
        std::f64::consts::LN_2,
        1.791_759_469_228_055,
        3.178_053_830_347_945_8,
        4.787_491_742_782_046,
        6.579_251_212_010_101,
        8.525_161_361_065_415,
        10.604_602_902_745_25,
        12.801_827_480_081_469,
        15.104_412_573_075_516,
        17.502_307_845_873_887,
        19.987_214_495_661_885,
        22.552_163_853_123_42,
        25.191_221_182_738_683,
        27.899_271_383_840_894,
    ];
    if k < 16.0 {
        return TABLE[k as usize];
    }
    // ln Γ(x) with x = k + 1: (x − ½) ln x − x + ½ ln 2π + 1/(12x) − 1/(360x³) + 1/(1260x⁵) − 1/(1680x⁷).
    let x = k + 1.0;
    let r = 1.0 / x;
    let r2 = r * r;
    let series = r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)));
    (x - 0.5) * x.ln() - x + 0.918_938_533_204_672_8 + series
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// `ln k!` against libm's `lgamma(k + 1)` across the table's end and far out.
    #[test]
    fn ln_factorial_matches_lgamma() {
        for k in (0..200u64).chain([1000, 123_456, 1 << 40]) {
            let (ours, exact) = (ln_factorial(k as f64), libm::lgamma(k as f64 + 1.0));
            assert!((ours - exact).abs() <= 4e-16 * exact.abs().max(1.0), "{k}: {ours} against {exact}");
        }
    }

    /// The probability of `k` under a Poisson distribution of mean `mean`.
    fn pmf(k: u64, mean: f64) -> f64 {
        (-mean + k as f64 * mean.ln() - libm::lgamma(k as f64 + 1.0)).exp()
    }

    /// Counts of 400,000 draws against the probabilities: Pearson's χ² over the bins with an
    /// expected count of at least 20 (the tails pooled into one bin each) stays below the 99.9%
    /// quantile of its distribution (by the Wilson–Hilferty approximation), for means on both sides of
    /// the method's switch, around the squeeze's edges and far out.
    #[test]
    fn counts_follow_the_poisson_distribution() {
        let n = 400_000u64;
        for (seed, mean) in [(1u64, 0.3f64), (2, 9.99), (3, 10.0), (4, 37.5), (5, 1000.0), (6, 123456.7)] {
            let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
            let (lo, hi) =
                ((mean - 12.0 * mean.sqrt() - 12.0).max(0.0) as u64, (mean + 12.0 * mean.sqrt() + 12.0) as u64);
            let mut seen = vec![0u64; (hi - lo + 1) as usize];
            let (mut sum, mut sq) = (0.0, 0.0);
            for _ in 0..n {
                let k = count(mean, &mut rng);
                assert!(k >= 0.0 && k.fract() == 0.0, "mean {mean}: {k}");
                sum += k;
                sq += k * k;
                seen[(k as u64).clamp(lo, hi) as usize - lo as usize] += 1;
            }
            // Bins: runs of k merged until each expects at least 20 draws.
            let (mut chi2, mut bins, mut observed, mut expected) = (0.0, 0usize, 0.0, 0.0);
            for k in lo..=hi {
                observed += seen[(k - lo) as usize] as f64;
                expected += n as f64 * pmf(k, mean);
                if expected >= 20.0 {
                    chi2 += (observed - expected).powi(2) / expected;
                    bins += 1;
                    (observed, expected) = (0.0, 0.0);
                }
            }
            let dof = (bins - 1) as f64;
            let z = 3.09; // the standard normal's 99.9% quantile
            let limit = dof * (1.0 - 2.0 / (9.0 * dof) + z * (2.0 / (9.0 * dof)).sqrt()).powi(3);
            assert!(chi2 < limit, "mean {mean}: chi2 {chi2} over {bins} bins (limit {limit})");
            let (m, var) = (sum / n as f64, sq / n as f64 - (sum / n as f64).powi(2));
            assert!((m - mean).abs() < 5.0 * (mean / n as f64).sqrt(), "mean {mean}: sample mean {m}");
            assert!((var / mean - 1.0).abs() < 0.02, "mean {mean}: sample variance {var}");
        }
    }

    /// The same seed gives the same counts.
    #[test]
    fn counts_are_reproducible() {
        let draw = |seed| {
            let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
            (0..100).map(|i| count(5.0 + i as f64 * 40.0, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }
}
