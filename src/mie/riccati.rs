//! Riccati–Bessel functions ψ_l(x) = x j_l(x), χ_l(x) = −x y_l(x), ξ_l(x) = x h⁽¹⁾_l(x) and their
//! derivatives, written through the cylindrical functions of order l + 1/2 exactly as DeepTrack2's
//! `backend.polynomials` writes them (`ricbesj`, `dricbesj`, …), and the table of all ten functions
//! of that module ([`Function`]) that the C ABI and Python evaluate element-wise.

use std::f64::consts::PI;

use rustfft::num_complex::Complex64;

use super::bessel::{Arg, besselj, bessely, dbesselj, dbessely, dhankel1, hankel1};

/// `sqrt(π x / 2)`, as numpy computes it for `x`'s kind of number.
fn outer(x: Arg) -> Complex64 {
    x.sqrt_of(PI * x.complex() / 2.0)
}

/// `sqrt(π / x / 2)`, the factor of the derivatives.
fn inner(x: Arg) -> Complex64 {
    x.sqrt_of(PI / x.complex() / 2.0)
}

/// ψ_l(x) = sqrt(πx/2) J_{l+1/2}(x) (DeepTrack2's `ricbesj`).
pub fn ricbesj(l: f64, x: Arg) -> Complex64 {
    outer(x) * besselj(l + 0.5, x)
}

/// ψ'_l(x) (DeepTrack2's `dricbesj`).
pub fn dricbesj(l: f64, x: Arg) -> Complex64 {
    0.5 * inner(x) * besselj(l + 0.5, x) + outer(x) * dbesselj(l + 0.5, x)
}

/// χ_l(x) = −sqrt(πx/2) Y_{l+1/2}(x) (DeepTrack2's `ricbesy`).
pub fn ricbesy(l: f64, x: Arg) -> Complex64 {
    -outer(x) * bessely(l + 0.5, x)
}

/// χ'_l(x) (DeepTrack2's `dricbesy`).
pub fn dricbesy(l: f64, x: Arg) -> Complex64 {
    -0.5 * inner(x) * bessely(l + 0.5, x) - outer(x) * dbessely(l + 0.5, x)
}

/// ξ_l(x) = sqrt(πx/2) H⁽¹⁾_{l+1/2}(x) (DeepTrack2's `ricbesh`).
pub fn ricbesh(l: f64, x: Arg) -> Complex64 {
    outer(x) * hankel1(l + 0.5, x)
}

/// ξ'_l(x) (DeepTrack2's `dricbesh`).
pub fn dricbesh(l: f64, x: Arg) -> Complex64 {
    0.5 * inner(x) * hankel1(l + 0.5, x) + outer(x) * dhankel1(l + 0.5, x)
}

/// The functions of DeepTrack2's `backend.polynomials`, in the order of the C constants
/// `DEEPTRACK_BESSEL_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// `besselj`: J_ν(x).
    Besselj,
    /// `dbesselj`: J'_ν(x).
    Dbesselj,
    /// `bessely`: Y_ν(x).
    Bessely,
    /// `dbessely`: Y'_ν(x).
    Dbessely,
    /// `ricbesj`: ψ_l(x).
    Ricbesj,
    /// `dricbesj`: ψ'_l(x).
    Dricbesj,
    /// `ricbesy`: χ_l(x).
    Ricbesy,
    /// `dricbesy`: χ'_l(x).
    Dricbesy,
    /// `ricbesh`: ξ_l(x).
    Ricbesh,
    /// `dricbesh`: ξ'_l(x).
    Dricbesh,
}

impl Function {
    /// Every function, in the order of their codes.
    pub const ALL: [Function; 10] = [
        Function::Besselj,
        Function::Dbesselj,
        Function::Bessely,
        Function::Dbessely,
        Function::Ricbesj,
        Function::Dricbesj,
        Function::Ricbesy,
        Function::Dricbesy,
        Function::Ricbesh,
        Function::Dricbesh,
    ];

    /// The function of a C code (`DEEPTRACK_BESSEL_*`), if it is one.
    pub fn from_code(code: u32) -> Option<Function> {
        Function::ALL.get(code as usize).copied()
    }

    /// DeepTrack2's name of the function.
    pub fn name(self) -> &'static str {
        match self {
            Function::Besselj => "besselj",
            Function::Dbesselj => "dbesselj",
            Function::Bessely => "bessely",
            Function::Dbessely => "dbessely",
            Function::Ricbesj => "ricbesj",
            Function::Dricbesj => "dricbesj",
            Function::Ricbesy => "ricbesy",
            Function::Dricbesy => "dricbesy",
            Function::Ricbesh => "ricbesh",
            Function::Dricbesh => "dricbesh",
        }
    }

    /// Whether the function of a real argument is real (all but the Hankel ones, which scipy always
    /// computes as complex).
    pub fn real_for_real_argument(self) -> bool {
        !matches!(self, Function::Ricbesh | Function::Dricbesh)
    }

    /// The function at order `l` and argument `x`.
    pub fn eval(self, l: f64, x: Arg) -> Complex64 {
        match self {
            Function::Besselj => besselj(l, x),
            Function::Dbesselj => dbesselj(l, x),
            Function::Bessely => bessely(l, x),
            Function::Dbessely => dbessely(l, x),
            Function::Ricbesj => ricbesj(l, x),
            Function::Dricbesj => dricbesj(l, x),
            Function::Ricbesy => ricbesy(l, x),
            Function::Dricbesy => dricbesy(l, x),
            Function::Ricbesh => ricbesh(l, x),
            Function::Dricbesh => dricbesh(l, x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_of_order_one() {
        // ψ_1(x) = sin x / x − cos x, χ_1(x) = cos x / x + sin x.
        for x in [0.3_f64, 1.0, 4.2, 17.5] {
            let psi = x.sin() / x - x.cos();
            let chi = x.cos() / x + x.sin();
            let a = Arg::Real(x);
            assert!((ricbesj(1.0, a).re - psi).abs() < 1e-13, "{x}");
            assert!((ricbesy(1.0, a).re - chi).abs() < 1e-13, "{x}");
            // ξ = ψ − iχ with DeepTrack2's sign of χ (−x y_l).
            let xi = ricbesh(1.0, a);
            assert!((xi.re - psi).abs() < 1e-13 && (xi.im + chi).abs() < 1e-13, "{x}");
            // ψ'_1(x) = cos x / x − sin x / x² + sin x.
            let dpsi = x.cos() / x - x.sin() / (x * x) + x.sin();
            assert!((dricbesj(1.0, a).re - dpsi).abs() < 1e-13, "{x}");
        }
    }
}
