//! `e^{iθ}` over arrays of phases, for the Mie field's per-pixel spherical wave and propagation: one
//! sine and cosine per pixel of the grid, which through libm's `sin_cos` (a call per value, not
//! vectorised) cost more than the rest of the field. Here a branch-free kernel that the compiler
//! vectorises (AVX2 and FMA when the CPU has them, detected at run time): Cody–Waite reduction by
//! π/2 in three parts, then fdlibm's minimax polynomials of sine and cosine on [−π/4, π/4]. Within a
//! few units in the last place of libm's values for |θ| < [`LIMIT`]; larger or non-finite phases
//! are handed to libm.

// The constants are fdlibm's decimal literals as published (each rounds to the intended double).
#![allow(clippy::excessive_precision)]

/// The largest |θ| the reduction keeps exact (`n·PIO2_1` exact for `n < 2^20`); beyond, libm.
pub const LIMIT: f64 = 524_288.0 * std::f64::consts::FRAC_PI_2;

// π/2 in three parts, the first two of 33 significant bits (fdlibm's `__ieee754_rem_pio2`).
const PIO2_1: f64 = 1.570_796_326_734_125_614_17e+00;
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;
// Adding it rounds a double below 2^51 in magnitude to an integer held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

// fdlibm's `__kernel_sin` and `__kernel_cos` coefficients.
const S: [f64; 6] = [
    -1.666_666_666_666_663_243_48e-01,
    8.333_333_333_322_489_461_24e-03,
    -1.984_126_982_985_794_931_34e-04,
    2.755_731_370_707_006_767_89e-06,
    -2.505_076_025_340_686_341_95e-08,
    1.589_690_995_211_550_102_21e-10,
];
const C: [f64; 6] = [
    4.166_666_666_666_660_190_37e-02,
    -1.388_888_888_887_410_957_49e-03,
    2.480_158_728_947_672_941_78e-05,
    -2.755_731_435_139_066_330_35e-07,
    2.087_572_321_298_174_827_90e-09,
    -1.135_964_755_778_819_482_65e-11,
];

/// Writes `cos θ` to `re` and `sin θ` to `im` for every `θ` of `theta` (all three as long).
pub fn cis(theta: &[f64], re: &mut [f64], im: &mut [f64]) {
    assert!(re.len() == theta.len() && im.len() == theta.len(), "cis: slices of different lengths");
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (detected just above), all `cis_avx2` requires.
            unsafe { cis_avx2(theta, re, im) };
            return;
        }
    }
    kernel(theta, re, im);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn cis_avx2(theta: &[f64], re: &mut [f64], im: &mut [f64]) {
    kernel(theta, re, im);
}

/// [`cis`] compiled into its caller (with the caller's target features).
#[inline(always)]
pub(super) fn kernel(theta: &[f64], re: &mut [f64], im: &mut [f64]) {
    for ((&t, c), s) in theta.iter().zip(re.iter_mut()).zip(im.iter_mut()) {
        (*s, *c) = sin_cos(t);
    }
    // The rare phases the reduction does not cover (and NaN, ±∞): libm.
    for ((&t, c), s) in theta.iter().zip(re.iter_mut()).zip(im.iter_mut()) {
        if t.is_nan() || t.abs() >= LIMIT {
            (*s, *c) = t.sin_cos();
        }
    }
}

/// `(sin t, cos t)` for |t| < [`LIMIT`] (anything, branch-free, beyond).
#[inline(always)]
fn sin_cos(t: f64) -> (f64, f64) {
    let big = t * std::f64::consts::FRAC_2_PI + ROUND;
    let n = big - ROUND;
    let quadrant = big.to_bits() & 3;
    let r = ((t - n * PIO2_1) - n * PIO2_2) - n * PIO2_2T;
    let z = r * r;
    let s = r + r * z * (S[0] + z * (S[1] + z * (S[2] + z * (S[3] + z * (S[4] + z * S[5])))));
    let c = 1.0 - 0.5 * z + z * z * (C[0] + z * (C[1] + z * (C[2] + z * (C[3] + z * (C[4] + z * C[5])))));
    // Quadrant 1: (c, −s); 2: (−s, −c); 3: (−c, s).
    let (sin, cos) = if quadrant & 1 == 1 { (c, s) } else { (s, c) };
    let sin_sign = (quadrant & 2) << 62;
    let cos_sign = ((quadrant + 1) & 2) << 62;
    (f64::from_bits(sin.to_bits() ^ sin_sign), f64::from_bits(cos.to_bits() ^ cos_sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_libm() {
        // Phases across the reduction's range, both signs, quadrant edges, and beyond it.
        let mut theta: Vec<f64> = (0..20_000).map(|i| (i as f64 - 10_000.0) * 0.013_7).collect();
        theta.extend((0..2000).map(|i| (i as f64 * 263.7).powf(1.3) * if i % 2 == 0 { 1.0 } else { -1.0 }));
        theta.extend((-8..=8).map(|k| k as f64 * std::f64::consts::FRAC_PI_4));
        theta.extend([LIMIT * 0.999, LIMIT * 1.5, 1e300, f64::INFINITY, f64::NAN, -0.0, 1e-300]);
        let (mut re, mut im) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
        cis(&theta, &mut re, &mut im);
        let mut worst: f64 = 0.0;
        for ((&t, &c), &s) in theta.iter().zip(&re).zip(&im) {
            let (ls, lc) = t.sin_cos();
            if t.is_finite() {
                worst = worst.max((c - lc).abs()).max((s - ls).abs());
            } else {
                assert!(c.is_nan() && s.is_nan(), "{t}: {c}, {s}");
            }
        }
        assert!(worst < 1e-15, "largest difference from libm {worst:e}");
    }

    #[test]
    fn the_portable_kernel_agrees_too() {
        let theta: Vec<f64> = (0..4096).map(|i| (i as f64 - 2000.0) * 0.731).collect();
        let (mut re, mut im) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
        kernel(&theta, &mut re, &mut im);
        for ((&t, &c), &s) in theta.iter().zip(&re).zip(&im) {
            assert!((c - t.cos()).abs() < 1e-15 && (s - t.sin()).abs() < 1e-15, "{t}");
        }
    }
}
