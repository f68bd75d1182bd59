//! C ABI for the mathematics of Mie scattering (`crate::mie`): DeepTrack2's `backend.polynomials`
//! (Bessel and Riccati–Bessel functions, element-wise over arrays) and `backend.mie` (coefficients
//! and angular harmonics). Arrays in, arrays out: every input is read from the caller's buffers and
//! every result written to the caller's buffers, nothing is allocated for the caller.
//!
//! Complex numbers cross as two doubles, real part first: the layout of C99's `double complex`, of
//! C++'s `std::complex<double>` and of numpy's `complex128`.

use libc::size_t;
use rustfft::num_complex::Complex64;

use super::{check_out, deeptrack_status, guard, slice_arg};
use crate::error::{Error, ErrorKind};
use crate::mie::{self, Arg, Function};

/// Which function `deeptrack_bessel_evaluate` computes: one of the `DEEPTRACK_BESSEL_*` codes.
pub type deeptrack_bessel_function = u32;

/// J_ν(x), the Bessel function of the first kind (DeepTrack2's `besselj`, scipy's `jv`).
pub const DEEPTRACK_BESSEL_J: deeptrack_bessel_function = 0;
/// J'_ν(x) = (J_{ν-1}(x) − J_{ν+1}(x)) / 2 (`dbesselj`).
pub const DEEPTRACK_BESSEL_J_DERIVATIVE: deeptrack_bessel_function = 1;
/// Y_ν(x), the Bessel function of the second kind (`bessely`, scipy's `yv`).
pub const DEEPTRACK_BESSEL_Y: deeptrack_bessel_function = 2;
/// Y'_ν(x) (`dbessely`).
pub const DEEPTRACK_BESSEL_Y_DERIVATIVE: deeptrack_bessel_function = 3;
/// ψ_l(x) = sqrt(πx/2) J_{l+1/2}(x), the Riccati–Bessel function of the first kind (`ricbesj`).
pub const DEEPTRACK_BESSEL_RICCATI_J: deeptrack_bessel_function = 4;
/// ψ'_l(x) (`dricbesj`).
pub const DEEPTRACK_BESSEL_RICCATI_J_DERIVATIVE: deeptrack_bessel_function = 5;
/// χ_l(x) = −sqrt(πx/2) Y_{l+1/2}(x), the Riccati–Bessel function of the second kind (`ricbesy`).
pub const DEEPTRACK_BESSEL_RICCATI_Y: deeptrack_bessel_function = 6;
/// χ'_l(x) (`dricbesy`).
pub const DEEPTRACK_BESSEL_RICCATI_Y_DERIVATIVE: deeptrack_bessel_function = 7;
/// ξ_l(x) = sqrt(πx/2) H⁽¹⁾_{l+1/2}(x), the Riccati–Bessel function of the third kind (`ricbesh`).
pub const DEEPTRACK_BESSEL_RICCATI_H: deeptrack_bessel_function = 8;
/// ξ'_l(x) (`dricbesh`).
pub const DEEPTRACK_BESSEL_RICCATI_H_DERIVATIVE: deeptrack_bessel_function = 9;

/// `2 * n`, or an error naming the argument.
fn doubled(n: usize, arg: &str) -> Result<usize, Error> {
    n.checked_mul(2).ok_or_else(|| Error::invalid(format!("argument '{arg}': {n} complex numbers cannot be a buffer")))
}

/// Reads `n` complex numbers (2n doubles) at `p`.
///
/// # Safety
/// `p` must be NULL or point to `2 n` readable doubles.
unsafe fn complex_arg<'a>(p: *const f64, n: usize, arg: &str) -> Result<&'a [f64], Error> {
    // SAFETY: forwarded contract.
    unsafe { slice_arg(p, doubled(n, arg)?, arg) }
}

/// Borrows the caller's output buffer of `len` doubles at `p` (NULL only when `len` is 0).
///
/// # Safety
/// `p` must be NULL or point to `len` writable doubles that nothing else reads or writes during the call.
unsafe fn out_arg<'a>(p: *mut f64, len: usize, arg: &str) -> Result<&'a mut [f64], Error> {
    if len == 0 {
        return Ok(&mut []);
    }
    check_out(p, arg)?;
    // SAFETY: `slice_arg` checks alignment and size; the caller's contract gives `len` writable doubles.
    let s = unsafe { slice_arg(p.cast_const(), len, arg)? };
    // SAFETY: the same memory, writable and unaliased per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(s.as_ptr().cast_mut(), len) })
}

/// Evaluates one of DeepTrack2's Bessel and Riccati–Bessel functions (`function`: a
/// `DEEPTRACK_BESSEL_*` code) at `n` points: `out[k] = f(orders[k], x[k])`.
///
/// - `orders`: `n` real orders (any real number; an integer order reflects exactly, `f_{-n} = ±f_n`).
/// - `x`: the `n` arguments. With `real_argument` true, `n` doubles: real numbers, with scipy's
///   conventions for float input (NaN where the real function is undefined: a negative argument of
///   a non-integer order, of Y, and of the square root in the Riccati–Bessel functions). With
///   `real_argument` false, `n` complex numbers (`2 n` doubles, real part first): the analytic
///   functions on their principal branches, for absorbing particles (`m x` with `m = n + iκ`).
/// - `out`: `n` complex numbers (`2 n` doubles, real part first), written on success only. The
///   functions of a real argument have imaginary part 0, except the Hankel ones (`RICCATI_H…`).
///
/// Complex arguments are computed with Amos's algorithm (TOMS 644), as scipy does, with scipy's values
/// where it fails: an overflow of J is infinite, of Y −∞ on the positive real axis and NaN elsewhere,
/// of H NaN; a total loss of precision is NaN. Every pointer may be NULL when `n` is 0. Returns
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` (an unknown `function`, or misaligned buffers) or `OK`.
///
/// # Safety
/// `orders` must point to `n` doubles, `x` to `n` (real) or `2 n` (complex) doubles, `out` to `2 n`
/// writable doubles that do not overlap the inputs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_bessel_evaluate(
    function: deeptrack_bessel_function,
    orders: *const f64,
    x: *const f64,
    n: size_t,
    real_argument: bool,
    out: *mut f64,
) -> deeptrack_status {
    guard(|| {
        let f = Function::from_code(function).ok_or_else(|| {
            Error::invalid(format!(
                "argument 'function' is {function}, not one of the DEEPTRACK_BESSEL_* codes (0 to {})",
                Function::ALL.len() - 1
            ))
        })?;
        // SAFETY: forwarded contract (n doubles).
        let orders = unsafe { slice_arg(orders, n, "orders")? };
        let args = if real_argument {
            // SAFETY: forwarded contract (n doubles).
            unsafe { slice_arg(x, n, "x")? }
        } else {
            // SAFETY: forwarded contract (2n doubles).
            unsafe { complex_arg(x, n, "x")? }
        };
        // SAFETY: forwarded contract (2n writable doubles).
        let out = unsafe { out_arg(out, doubled(n, "out")?, "out")? };
        for k in 0..n {
            let arg = if real_argument {
                Arg::Real(args[k])
            } else {
                Arg::Complex(Complex64::new(args[2 * k], args[2 * k + 1]))
            };
            let v = f.eval(orders[k], arg);
            out[2 * k] = v.re;
            out[2 * k + 1] = v.im;
        }
        Ok(())
    })
}

/// Computes the Mie coefficients a_l and b_l, l = 1 … `max_order`, of a sphere of `layers`
/// concentric layers (DeepTrack2's `backend.mie.stratified_coefficients`; one layer is
/// `backend.mie.coefficients`).
///
/// - `m`: `layers` relative refractive indices (particle / medium) as complex numbers (`2 layers`
///   doubles, real part first), the innermost layer first;
/// - `a`: `layers` size parameters (k × the layer's outer radius), in the same order;
/// - `an`, `bn`: `max_order` complex numbers each (`2 max_order` doubles), written on success only.
///
/// Numbers are not checked: NaN and values outside the physical domain give NaN, as in DeepTrack2.
/// Returns `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`layers` is 0), `OUT_OF_MEMORY` (the matrices of
/// `layers` layers) or `OK`. The work is `max_order × (2 layers)³`.
///
/// # Safety
/// `m` must point to `2 layers` doubles, `a` to `layers` doubles, `an` and `bn` to `2 max_order`
/// writable doubles each, not overlapping each other or the inputs (NULL when `max_order` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_mie_coefficients(
    m: *const f64,
    a: *const f64,
    layers: size_t,
    max_order: size_t,
    an: *mut f64,
    bn: *mut f64,
) -> deeptrack_status {
    guard(|| {
        if layers == 0 {
            return Err(Error::invalid("argument 'layers' is 0: a sphere has at least one layer"));
        }
        // SAFETY: forwarded contract.
        let m = unsafe { complex_arg(m, layers, "m")? };
        // SAFETY: forwarded contract.
        let a = unsafe { slice_arg(a, layers, "a")? };
        let len = doubled(max_order, "an")?;
        // SAFETY: forwarded contract.
        let an_out = unsafe { out_arg(an, len, "an")? };
        // SAFETY: forwarded contract.
        let bn_out = unsafe { out_arg(bn, len, "bn")? };
        let mut indices = Vec::new();
        indices.try_reserve_exact(layers).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("mie coefficients: cannot allocate {layers} layers"))
        })?;
        indices.extend(m.chunks_exact(2).map(|c| Complex64::new(c[0], c[1])));
        let (a_l, b_l) = mie::stratified_coefficients(&indices, a, max_order)?;
        for (l, (x, y)) in a_l.iter().zip(&b_l).enumerate() {
            an_out[2 * l] = x.re;
            an_out[2 * l + 1] = x.im;
            bn_out[2 * l] = y.re;
            bn_out[2 * l + 1] = y.im;
        }
        Ok(())
    })
}

/// Computes the angular functions of the Mie field π_l(x) and τ_l(x), l = 1 … `max_order`, at `n`
/// points `x` (cosines of the polar angle; DeepTrack2's `backend.mie.harmonics`).
///
/// `pi` and `tau` receive `max_order × n` doubles each, row-major: order l's values at all points
/// are row l − 1. Written on success only. `max_order` 1 gives π_1 = 1, τ_1 = x (DeepTrack2 2.0.1
/// needs at least 2). Returns `NULL_ARGUMENT`, `INVALID_ARGUMENT` (sizes that cannot be a buffer) or
/// `OK`.
///
/// # Safety
/// `x` must point to `n` doubles, `pi` and `tau` to `max_order × n` writable doubles each, not
/// overlapping each other or `x` (NULL when that is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_mie_harmonics(
    x: *const f64,
    n: size_t,
    max_order: size_t,
    pi: *mut f64,
    tau: *mut f64,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let x = unsafe { slice_arg(x, n, "x")? };
        let len = n
            .checked_mul(max_order)
            .ok_or_else(|| Error::invalid(format!("{max_order} orders of {n} points cannot be a buffer")))?;
        // SAFETY: forwarded contract.
        let pi = unsafe { out_arg(pi, len, "pi")? };
        // SAFETY: forwarded contract.
        let tau = unsafe { out_arg(tau, len, "tau")? };
        mie::harmonics::fill(x, max_order, pi, tau);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_deeptrack2s_functions_in_order() {
        let codes = [
            (DEEPTRACK_BESSEL_J, "besselj"),
            (DEEPTRACK_BESSEL_J_DERIVATIVE, "dbesselj"),
            (DEEPTRACK_BESSEL_Y, "bessely"),
            (DEEPTRACK_BESSEL_Y_DERIVATIVE, "dbessely"),
            (DEEPTRACK_BESSEL_RICCATI_J, "ricbesj"),
            (DEEPTRACK_BESSEL_RICCATI_J_DERIVATIVE, "dricbesj"),
            (DEEPTRACK_BESSEL_RICCATI_Y, "ricbesy"),
            (DEEPTRACK_BESSEL_RICCATI_Y_DERIVATIVE, "dricbesy"),
            (DEEPTRACK_BESSEL_RICCATI_H, "ricbesh"),
            (DEEPTRACK_BESSEL_RICCATI_H_DERIVATIVE, "dricbesh"),
        ];
        for (code, name) in codes {
            assert_eq!(Function::from_code(code).map(Function::name), Some(name));
        }
        assert_eq!(Function::from_code(codes.len() as u32), None);
    }
}
