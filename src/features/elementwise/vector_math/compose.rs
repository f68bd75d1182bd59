//! The functions composed from a faster vector primitive, as the classic libm (fdlibm) computes
//! them from `log1p` and `expm1`, so that every result keeps its relative accuracy (a few ulp):
//! near 0 (`arcsinh(1e-300)` is `1e-300`), near the domain edges (`arccosh(1 + 1e-15)`,
//! `arctanh(1 - 1e-16)`) and for large arguments (`arcsinh(1e300)`, where `x * x` would
//! overflow). libmvec's own `asinh`, `acosh`, `atanh`, `sinh` and `tanh` take 2-8× the time of
//! its `log1p` and `expm1` (some of them falling back to scalar code on ordinary arguments), and
//! numpy's AVX-512 loops beat them; these compositions cost one primitive plus a few vectorised
//! operations on a block in cache.
//!
//! Each composition is three passes over a block: the primitive's argument from `x`, the
//! primitive in place, the result from `x` and the primitive's value (`Log` is two: `log2` from
//! `x`, then the product). With libmvec's AVX-512 variants, `Sinh`, `Tanh` and `Atanh` are instead
//! computed inside the call loop (`libmvec::Fused`), in the same forms. NaN, infinities and
//! out-of-domain samples give numpy's results (NaN, ±inf, ±0 with `x`'s sign).

use std::mem::MaybeUninit;

use super::{Prim, fill};

/// `ln 2`.
const LN2: f64 = std::f64::consts::LN_2;

/// 2^28: above it, `asinh(x)` is `ln(2x)` and `acosh(x)` is `ln(2x)` to far below an ulp (the
/// neglected terms are of order `1/x^2`).
const HUGE: f64 = 268_435_456.0;

/// Above it, `expm1(|x|)` may overflow where `sinh(x)` does not (709.78 < |x| < 710.48): those
/// samples take the scalar `sinh`.
const SINH_LIMIT: f64 = 709.0;

/// A function computed from a primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Composition {
    /// `asinh(x) = ±log1p(a)`.
    Asinh,
    /// `acosh(x) = log1p(a)` (NaN below 1).
    Acosh,
    /// `atanh(x) = ±log1p(a) / 2`.
    Atanh,
    /// `sinh(x) = ±(e + e / (e + 1)) / 2` with `e = expm1(|x|)`.
    Sinh,
    /// `tanh(x) = ±(-e / (e + 2))` with `e = expm1(-2|x|)`.
    Tanh,
    /// `ln(x) = log2(x) · ln 2`: libmvec's AVX-512 `log2` takes two thirds of the time of its
    /// `log`, and the product adds at most an ulp (`log2` keeps its relative accuracy near 1).
    Log,
}

impl Composition {
    /// The primitive this composition calls.
    pub(super) fn prim(self) -> Prim {
        match self {
            Composition::Asinh | Composition::Acosh | Composition::Atanh => Prim::Log1p,
            Composition::Sinh | Composition::Tanh => Prim::Expm1,
            Composition::Log => Prim::Log2,
        }
    }

    /// The function of every sample of `x` into `out` (of the same length), `prim` mapping a
    /// buffer in place by [`Composition::prim`], `prim_into` from `x` into `out`.
    #[inline(always)]
    pub(super) fn run(
        self,
        x: &[f64],
        out: &mut [MaybeUninit<f64>],
        prim: impl FnOnce(&mut [f64]),
        prim_into: impl FnOnce(&[f64], &mut [MaybeUninit<f64>]),
    ) {
        match self {
            Composition::Log => {
                prim_into(x, &mut *out);
                // SAFETY: `prim_into` wrote every element of `out`, and `MaybeUninit<f64>` has the
                // layout of `f64`.
                let y = unsafe { &mut *(out as *mut [MaybeUninit<f64>] as *mut [f64]) };
                y.iter_mut().for_each(|y| *y *= LN2);
            }
            Composition::Asinh => {
                let y = fill(x, out, asinh_arg);
                prim(y);
                y.iter_mut().zip(x).for_each(|(y, &v)| *y = asinh_result(v, *y));
            }
            Composition::Acosh => {
                let y = fill(x, out, acosh_arg);
                prim(y);
                y.iter_mut().zip(x).for_each(|(y, &v)| *y = acosh_result(v, *y));
            }
            Composition::Atanh => {
                let y = fill(x, out, atanh_arg);
                prim(y);
                y.iter_mut().zip(x).for_each(|(y, &v)| *y = (0.5 * *y).copysign(v));
            }
            Composition::Sinh => {
                let y = fill(x, out, f64::abs);
                prim(y);
                y.iter_mut().zip(x).for_each(|(y, &v)| *y = (0.5 * (*y + *y / (*y + 1.0))).copysign(v));
                sinh_beyond_expm1(x, y);
            }
            Composition::Tanh => {
                let y = fill(x, out, |v| -2.0 * v.abs());
                prim(y);
                y.iter_mut().zip(x).for_each(|(y, &v)| *y = (-*y / (*y + 2.0)).copysign(v));
            }
        }
    }
}

/// Replaces `y`'s samples whose `x` is beyond [`SINH_LIMIT`] (where `expm1(|x|)` may overflow
/// though `sinh(x)` does not) by the scalar `sinh(x)`: one vectorised test of the block, the scalar
/// pass only when a sample is that large.
#[inline(always)]
pub(super) fn sinh_beyond_expm1(x: &[f64], y: &mut [f64]) {
    if x.iter().fold(false, |big, v| big | (v.abs() > SINH_LIMIT)) {
        for (y, &v) in y.iter_mut().zip(x) {
            if v.abs() > SINH_LIMIT {
                *y = v.sinh();
            }
        }
    }
}

/// `a` with `asinh(|x|) = log1p(a)`, or `ln(2|x|) = log1p(a) + ln 2` above [`HUGE`]:
/// `t + sqrt(1 + t²) - 1` written without cancellation for `t < 2` (`t + t² / (1 + r)`), and
/// without overflow above (`2t - 1 + 1 / (t + r)`), with `r = sqrt(1 + t²)`. Every form is
/// computed and one selected, so that the loop vectorises; the two forms share one division.
#[inline(always)]
fn asinh_arg(x: f64) -> f64 {
    let t = x.abs();
    let s = t * t;
    let r = (1.0 + s).sqrt();
    let small = t < 2.0;
    let q = if small { s } else { 1.0 } / if small { 1.0 + r } else { t + r };
    if small {
        t + q
    } else if t < HUGE {
        2.0 * t - 1.0 + q
    } else {
        t - 1.0
    }
}

/// `asinh(x)` from `log1p(asinh_arg(x))`.
#[inline(always)]
fn asinh_result(x: f64, y: f64) -> f64 {
    (if x.abs() >= HUGE { y + LN2 } else { y }).copysign(x)
}

/// `a` with `acosh(x) = log1p(a)` (`ln(2x) = log1p(a) + ln 2` above [`HUGE`]): `x - 1 +
/// sqrt(x² - 1)`, from `t = x - 1` (exact near 1) and `x² - 1 = t (t + 2)` below 2, as
/// `2x - 1 / (x + sqrt(x² - 1)) - 1` (no cancellation) up to [`HUGE`]. Every form is computed
/// and one selected, so that the loop vectorises.
#[inline(always)]
fn acosh_arg(x: f64) -> f64 {
    let t = x - 1.0;
    let r = (t * (t + 2.0)).sqrt();
    let small = t + r;
    let mid = 2.0 * x - 1.0 / (x + r) - 1.0;
    if x < 2.0 {
        small
    } else if x < HUGE {
        mid
    } else {
        t
    }
}

/// `acosh(x)` from `log1p(acosh_arg(x))`: NaN below 1 (and for NaN).
#[inline(always)]
fn acosh_result(x: f64, y: f64) -> f64 {
    if x < 1.0 {
        f64::NAN
    } else if x >= HUGE {
        y + LN2
    } else {
        y
    }
}

/// `a` with `atanh(|x|) = log1p(a) / 2`: `2t / (1 - t)`, written as `2t + 2t² / (1 - t)` below
/// 1/2 to keep `a`'s relative accuracy. `|x| = 1` gives `inf` (so `atanh` is ±inf), `|x| > 1` a
/// value below -1 or NaN (so NaN).
#[inline(always)]
fn atanh_arg(x: f64) -> f64 {
    let t = x.abs();
    let q = 2.0 * t / (1.0 - t);
    if t < 0.5 { 2.0 * t + q * t } else { q }
}
