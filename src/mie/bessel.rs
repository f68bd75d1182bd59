//! Bessel functions of the first and second kind and the Hankel function of the first kind, of real
//! order ν and real or complex argument, with scipy.special's conventions (`jv`, `yv`, `hankel1`,
//! which DeepTrack2's `backend.polynomials` calls) at the edges of their domains.

use complex_bessel::Error as AmosError;
use rustfft::num_complex::Complex64;

/// An argument as scipy.special sees it: a real number (a float array: the real functions, NaN where
/// they are undefined, as for a negative argument of a non-integer order) or a complex one (the
/// analytic functions, on their principal branches).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg {
    /// A real argument.
    Real(f64),
    /// A complex argument.
    Complex(Complex64),
}

impl Arg {
    /// The argument as a complex number.
    pub fn complex(self) -> Complex64 {
        match self {
            Arg::Real(x) => Complex64::new(x, 0.0),
            Arg::Complex(z) => z,
        }
    }

    /// `sqrt(x)` as numpy computes it for this kind of number: the real square root (NaN below 0) or
    /// the principal complex one.
    pub(crate) fn sqrt_of(self, v: Complex64) -> Complex64 {
        match self {
            Arg::Real(_) => Complex64::new(v.re.sqrt(), 0.0),
            Arg::Complex(_) => v.sqrt(),
        }
    }
}

const NAN: Complex64 = Complex64::new(f64::NAN, f64::NAN);

/// `Some(n)` when `order` is an integer (within i64), for the exact reflection `f_{-n} = (-1)^n f_n`.
fn integer(order: f64) -> Option<i64> {
    (order.fract() == 0.0 && order.abs() < 9.0e15).then_some(order as i64)
}

/// `(-1)^n` as a float.
fn parity(n: i64) -> f64 {
    if n % 2 == 0 { 1.0 } else { -1.0 }
}

/// Amos's result, with its failures as scipy reports them: an overflow is `overflow`, a total loss of
/// precision or a failed convergence is NaN.
fn amos(result: Result<Complex64, AmosError>, overflow: Complex64) -> Complex64 {
    match result {
        Ok(v) => v,
        Err(AmosError::Overflow) => overflow,
        Err(_) => NAN,
    }
}

/// scipy's value of an overflowing J: infinite.
const J_OVERFLOW: Complex64 = Complex64::new(f64::INFINITY, f64::INFINITY);

/// scipy's value of an overflowing Y: −∞ on the positive real axis, NaN elsewhere.
fn y_overflow(z: Complex64) -> Complex64 {
    if z.im == 0.0 && z.re >= 0.0 { Complex64::new(f64::NEG_INFINITY, 0.0) } else { NAN }
}

/// The sign of `1 / Γ(ν + 1)` for a negative non-integer ν: the sign of `J_ν(x) ~ (x/2)^ν / Γ(ν+1)`
/// as `x → 0+`.
fn gamma_sign(order: f64) -> f64 {
    let s = order + 1.0;
    if s > 0.0 || (-s).ceil() as i64 % 2 == 0 { 1.0 } else { -1.0 }
}

/// J_ν(x), the Bessel function of the first kind (scipy's `jv`).
pub fn besselj(order: f64, x: Arg) -> Complex64 {
    if order.is_nan() {
        return NAN;
    }
    match x {
        Arg::Real(x) => {
            if x.is_nan() || x.is_infinite() {
                return Complex64::new(f64::NAN, 0.0);
            }
            let re = if x == 0.0 {
                match integer(order) {
                    Some(0) => 1.0,
                    Some(n) if n > 0 => 0.0,
                    Some(n) => parity(n) * 0.0,
                    None if order > 0.0 => 0.0,
                    None => gamma_sign(order) * f64::INFINITY,
                }
            } else if x < 0.0 {
                match integer(order) {
                    Some(n) => parity(n) * amos(complex_bessel::besselj(order, Complex64::new(-x, 0.0)), J_OVERFLOW).re,
                    None => f64::NAN,
                }
            } else {
                amos(complex_bessel::besselj(order, Complex64::new(x, 0.0)), J_OVERFLOW).re
            };
            Complex64::new(re, 0.0)
        }
        Arg::Complex(z) => {
            if z == Complex64::new(0.0, 0.0) {
                return match integer(order) {
                    Some(0) => Complex64::new(1.0, 0.0),
                    Some(n) => Complex64::new(parity(n.min(0)) * 0.0, 0.0),
                    None if order > 0.0 => Complex64::new(0.0, 0.0),
                    None => NAN,
                };
            }
            amos(complex_bessel::besselj(order, z), J_OVERFLOW)
        }
    }
}

/// Y_ν(x), the Bessel function of the second kind (scipy's `yv`).
pub fn bessely(order: f64, x: Arg) -> Complex64 {
    if order.is_nan() {
        return NAN;
    }
    // Y at 0: -inf for ν ≥ 0, and by the integer reflection for ν = -n.
    let at_zero = || match integer(order) {
        Some(n) if n < 0 => parity(n) * f64::NEG_INFINITY,
        _ => f64::NEG_INFINITY,
    };
    match x {
        Arg::Real(x) => {
            let re = if x.is_nan() || x < 0.0 || x.is_infinite() {
                f64::NAN
            } else if x == 0.0 {
                at_zero()
            } else {
                amos(complex_bessel::bessely(order, Complex64::new(x, 0.0)), y_overflow(Complex64::new(x, 0.0))).re
            };
            Complex64::new(re, 0.0)
        }
        Arg::Complex(z) => {
            if z == Complex64::new(0.0, 0.0) {
                return if order >= 0.0 || integer(order).is_some() {
                    Complex64::new(at_zero(), 0.0)
                } else {
                    Complex64::new(f64::NAN, 0.0)
                };
            }
            amos(complex_bessel::bessely(order, z), y_overflow(z))
        }
    }
}

/// H⁽¹⁾_ν(z), the Hankel function of the first kind (scipy's `hankel1`, which takes every argument as
/// complex; undefined at 0).
pub fn hankel1(order: f64, x: Arg) -> Complex64 {
    let z = x.complex();
    if order.is_nan() || z == Complex64::new(0.0, 0.0) || z.is_nan() {
        return NAN;
    }
    // scipy's hankel1 gives NaN on overflow.
    amos(complex_bessel::hankel1(order, z), NAN)
}

/// J'_ν(x) = (J_{ν-1}(x) − J_{ν+1}(x)) / 2 (DeepTrack2's `dbesselj`).
pub fn dbesselj(order: f64, x: Arg) -> Complex64 {
    0.5 * (besselj(order - 1.0, x) - besselj(order + 1.0, x))
}

/// Y'_ν(x) = (Y_{ν-1}(x) − Y_{ν+1}(x)) / 2 (DeepTrack2's `dbessely`).
pub fn dbessely(order: f64, x: Arg) -> Complex64 {
    0.5 * (bessely(order - 1.0, x) - bessely(order + 1.0, x))
}

/// H⁽¹⁾'_ν(z) = (H⁽¹⁾_{ν-1}(z) − H⁽¹⁾_{ν+1}(z)) / 2 (scipy's `h1vp(ν, z, 1)`).
pub fn dhankel1(order: f64, x: Arg) -> Complex64 {
    0.5 * (hankel1(order - 1.0, x) - hankel1(order + 1.0, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Complex64, re: f64, im: f64) -> bool {
        (a.re - re).abs() <= 1e-13 * re.abs().max(1.0) && (a.im - im).abs() <= 1e-13 * im.abs().max(1.0)
    }

    #[test]
    fn known_values() {
        // Abramowitz & Stegun, table 9.1.
        assert!(close(besselj(0.0, Arg::Real(1.0)), 0.765_197_686_557_966_6, 0.0));
        assert!(close(bessely(1.0, Arg::Real(2.0)), -0.107_032_431_540_937_5, 0.0));
        // J_{1/2}(x) = sqrt(2/(πx)) sin x.
        let x = 3.7_f64;
        let exact = (2.0 / (std::f64::consts::PI * x)).sqrt() * x.sin();
        assert!(close(besselj(0.5, Arg::Real(x)), exact, 0.0));
        // H1 = J + iY.
        let h = hankel1(2.5, Arg::Real(x));
        assert!(close(h, besselj(2.5, Arg::Real(x)).re, bessely(2.5, Arg::Real(x)).re));
    }

    #[test]
    fn integer_reflection_is_exact_and_domains_follow_scipy() {
        assert_eq!(besselj(-1.0, Arg::Real(5.0)).re, -besselj(1.0, Arg::Real(5.0)).re);
        assert_eq!(bessely(-1.0, Arg::Real(3.0)).re, -bessely(1.0, Arg::Real(3.0)).re);
        assert_eq!(besselj(0.0, Arg::Real(0.0)).re, 1.0);
        assert_eq!(besselj(2.0, Arg::Real(0.0)).re, 0.0);
        assert!(besselj(0.5, Arg::Real(-2.0)).re.is_nan());
        assert!(bessely(1.0, Arg::Real(-2.0)).re.is_nan());
        assert_eq!(bessely(0.0, Arg::Real(0.0)).re, f64::NEG_INFINITY);
        assert!(hankel1(1.5, Arg::Real(0.0)).re.is_nan());
        // A complex argument on the negative axis has a value.
        assert!(besselj(0.5, Arg::Complex(Complex64::new(-2.0, 0.0))).im > 0.5);
    }
}
