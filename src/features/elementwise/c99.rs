//! The C99 complex functions of the C library (`cexp`, `casin`, …), which numpy's complex loops call
//! on the platforms that have them: the same results to the bit, with C99's branch cuts (the sign
//! of a zero imaginary part picks the side of a cut) and its infinities and NaNs (Annex G), which
//! `num_complex`'s formulas do not follow.

use rustfft::num_complex::Complex64;

// `Complex64` is `#[repr(C)]` with the real part first: the layout, and on the supported targets the
// calling convention, of C's `double _Complex`.
unsafe extern "C" {
    fn cexp(z: Complex64) -> Complex64;
    fn clog(z: Complex64) -> Complex64;
    fn csqrt(z: Complex64) -> Complex64;
    fn csin(z: Complex64) -> Complex64;
    fn ccos(z: Complex64) -> Complex64;
    fn ctan(z: Complex64) -> Complex64;
    fn csinh(z: Complex64) -> Complex64;
    fn ccosh(z: Complex64) -> Complex64;
    fn ctanh(z: Complex64) -> Complex64;
    fn casin(z: Complex64) -> Complex64;
    fn cacos(z: Complex64) -> Complex64;
    fn catan(z: Complex64) -> Complex64;
    fn casinh(z: Complex64) -> Complex64;
    fn cacosh(z: Complex64) -> Complex64;
    fn catanh(z: Complex64) -> Complex64;
    fn cpow(z: Complex64, w: Complex64) -> Complex64;
}

/// A complex function of the C library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    /// `cexp`.
    Exp,
    /// `clog`.
    Log,
    /// `clog` divided by ln 10 (numpy's `log10` of a complex number).
    Log10,
    /// `clog` divided by ln 2 (numpy's `log2`).
    Log2,
    /// `csqrt`.
    Sqrt,
    /// `csin`.
    Sin,
    /// `ccos`.
    Cos,
    /// `ctan`.
    Tan,
    /// `csinh`.
    Sinh,
    /// `ccosh`.
    Cosh,
    /// `ctanh`.
    Tanh,
    /// `casin`.
    Asin,
    /// `cacos`.
    Acos,
    /// `catan`.
    Atan,
    /// `casinh`.
    Asinh,
    /// `cacosh`.
    Acosh,
    /// `catanh`.
    Atanh,
}

/// `f(z)` by the C library.
pub(crate) fn apply(f: Function, z: Complex64) -> Complex64 {
    let c: unsafe extern "C" fn(Complex64) -> Complex64 = match f {
        Function::Exp => cexp,
        Function::Log | Function::Log10 | Function::Log2 => clog,
        Function::Sqrt => csqrt,
        Function::Sin => csin,
        Function::Cos => ccos,
        Function::Tan => ctan,
        Function::Sinh => csinh,
        Function::Cosh => ccosh,
        Function::Tanh => ctanh,
        Function::Asin => casin,
        Function::Acos => cacos,
        Function::Atan => catan,
        Function::Asinh => casinh,
        Function::Acosh => cacosh,
        Function::Atanh => catanh,
    };
    // SAFETY: a pure C99 function of a complex value (no pointers, no state); `Complex64` has the
    // layout of `double _Complex`.
    let w = unsafe { c(z) };
    match f {
        Function::Log10 => Complex64::new(w.re / std::f64::consts::LN_10, w.im / std::f64::consts::LN_10),
        Function::Log2 => Complex64::new(w.re / std::f64::consts::LN_2, w.im / std::f64::consts::LN_2),
        _ => w,
    }
}

/// `cpow(z, w)` of the C library (numpy's complex power for exponents other than small whole numbers).
pub(crate) fn pow(z: Complex64, w: Complex64) -> Complex64 {
    // SAFETY: a pure C99 function of two complex values (no pointers, no state); `Complex64` has the
    // layout of `double _Complex`.
    unsafe { cpow(z, w) }
}

/// numpy's product of complex numbers (its real part fused, as its vector loops compute it).
#[inline(always)]
pub(crate) fn mul(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(a.re.mul_add(b.re, -(a.im * b.im)), a.re.mul_add(b.im, a.im * b.re))
}

/// numpy's quotient of complex numbers (Smith's method, as its loop computes it).
#[inline(always)]
pub(crate) fn div(a: Complex64, b: Complex64) -> Complex64 {
    let (br, bi) = (b.re.abs(), b.im.abs());
    if br >= bi {
        if br == 0.0 && bi == 0.0 {
            return Complex64::new(a.re / br, a.im / bi);
        }
        let rat = b.im / b.re;
        let scl = 1.0 / (b.re + b.im * rat);
        Complex64::new((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
    } else {
        let rat = b.re / b.im;
        let scl = 1.0 / (b.im + b.re * rat);
        Complex64::new((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
    }
}

/// numpy's scalar product of complex numbers (its power's repeated products: not fused).
fn plain_mul(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// numpy's complex power `a ** b`: 1 for a zero exponent; for a zero base 0 when the exponent's
/// real part is positive, else NaN; repeated products for whole exponents below 100 in size (the reciprocal for
/// negative ones); `cpow` otherwise.
pub(crate) fn power(a: Complex64, b: Complex64) -> Complex64 {
    if b.re == 0.0 && b.im == 0.0 {
        return Complex64::new(1.0, 0.0);
    }
    if a.re == 0.0 && a.im == 0.0 {
        return if b.re > 0.0 { Complex64::new(0.0, 0.0) } else { Complex64::new(f64::NAN, f64::NAN) };
    }
    if b.im == 0.0 && b.re.fract() == 0.0 && b.re.abs() < 100.0 {
        let n = b.re as i64;
        match n {
            1 => return a,
            2 => return plain_mul(a, a),
            3 => return plain_mul(plain_mul(a, a), a),
            _ => {}
        }
        let (mut m, mut acc, mut p) = (n.unsigned_abs(), Complex64::new(1.0, 0.0), a);
        loop {
            if m & 1 == 1 {
                acc = plain_mul(acc, p);
            }
            m >>= 1;
            if m == 0 {
                break;
            }
            p = plain_mul(p, p);
        }
        return if n < 0 { div(Complex64::new(1.0, 0.0), acc) } else { acc };
    }
    pow(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_cuts_follow_the_sign_of_zero() {
        let above = apply(Function::Asin, Complex64::new(-3.0, 0.0));
        let below = apply(Function::Asin, Complex64::new(-3.0, -0.0));
        assert_eq!((above.re, below.re), (-std::f64::consts::FRAC_PI_2, -std::f64::consts::FRAC_PI_2));
        assert!(above.im > 0.0 && below.im < 0.0 && (above.im + below.im).abs() < 1e-15);
        assert_eq!(apply(Function::Exp, Complex64::new(1e200, -0.0)), Complex64::new(f64::INFINITY, -0.0));
        assert_eq!(apply(Function::Log10, Complex64::new(100.0, 0.0)).re, 2.0);
        assert_eq!(apply(Function::Sqrt, Complex64::new(-4.0, -0.0)), Complex64::new(0.0, -2.0));
    }
}
