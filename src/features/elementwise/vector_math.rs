//! The transcendental functions four samples at a time, from glibc's vector math library
//! (libmvec, part of glibc on x86-64 Linux: the AVX2 variants `_ZGVdN4v_log` and so on, within
//! 4 ulp of the exact result by glibc's documentation, as numpy's own SIMD loops), found at run
//! time with `dlopen`, so that the library never links to it: where it is missing (another libc,
//! an older glibc, a processor without AVX2) every function is the scalar one of [`super::Op`].
//! NaN, infinities and values out of a function's domain are handled by libmvec's scalar
//! fallbacks, with the scalar functions' results.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use super::Op;

/// The functions libmvec provides, with their names there.
const NAMES: [(Op, &std::ffi::CStr); 16] = [
    (Op::Arccos, c"_ZGVdN4v_acos"),
    (Op::Arccosh, c"_ZGVdN4v_acosh"),
    (Op::Arcsin, c"_ZGVdN4v_asin"),
    (Op::Arcsinh, c"_ZGVdN4v_asinh"),
    (Op::Arctan, c"_ZGVdN4v_atan"),
    (Op::Arctanh, c"_ZGVdN4v_atanh"),
    (Op::Cos, c"_ZGVdN4v_cos"),
    (Op::Cosh, c"_ZGVdN4v_cosh"),
    (Op::Exp, c"_ZGVdN4v_exp"),
    (Op::Log, c"_ZGVdN4v_log"),
    (Op::Log10, c"_ZGVdN4v_log10"),
    (Op::Log2, c"_ZGVdN4v_log2"),
    (Op::Sin, c"_ZGVdN4v_sin"),
    (Op::Sinh, c"_ZGVdN4v_sinh"),
    (Op::Tan, c"_ZGVdN4v_tan"),
    (Op::Tanh, c"_ZGVdN4v_tanh"),
];

#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::arch::x86_64::{__m256d, _mm256_loadu_pd, _mm256_storeu_pd};

    use super::*;

    /// A libmvec function: four doubles in, four out (the x86-64 vector function ABI passes and
    /// returns them in `ymm0`, as the C ABI does an `__m256d` for a caller with AVX, which every
    /// caller here has: `map_into`'s target feature).
    #[allow(improper_ctypes_definitions)]
    pub(super) type Fun = unsafe extern "C" fn(__m256d) -> __m256d;

    /// The functions found, in the order of [`NAMES`].
    pub(super) fn table() -> &'static [Option<Fun>; 16] {
        static TABLE: OnceLock<[Option<Fun>; 16]> = OnceLock::new();
        TABLE.get_or_init(load)
    }

    /// libmvec's functions, when the processor has AVX2 and the library is there. The handle is
    /// never closed: the functions stay valid for the life of the process.
    fn load() -> [Option<Fun>; 16] {
        let mut out = [None; 16];
        if !std::arch::is_x86_feature_detected!("avx2") {
            return out;
        }
        // SAFETY: the name is a NUL-terminated string; dlopen has no other precondition, and
        // loading libmvec runs no initialisation beyond glibc's own.
        let handle = unsafe { libc::dlopen(c"libmvec.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return out;
        }
        for (slot, (_, name)) in out.iter_mut().zip(NAMES) {
            // SAFETY: `handle` is a live handle from dlopen (never closed) and `name` a
            // NUL-terminated string.
            let sym = unsafe { libc::dlsym(handle, name.as_ptr()) };
            if !sym.is_null() {
                // SAFETY: the symbol is glibc's `_ZGVdN4v_<f>`, which by the x86-64 vector
                // function ABI takes four doubles in ymm0 and returns four in ymm0: the
                // signature of `Fun`.
                *slot = Some(unsafe { std::mem::transmute::<*mut libc::c_void, Fun>(sym) });
            }
        }
        out
    }

    /// `f` of every sample of `x` into `out` (of the same length), four at a time; the last few
    /// padded with the last sample.
    #[target_feature(enable = "avx2")]
    pub(super) fn map_into(f: Fun, x: &[f64], out: &mut [MaybeUninit<f64>]) {
        assert_eq!(x.len(), out.len());
        let mut chunks = x.chunks_exact(4);
        let mut outs = out.chunks_exact_mut(4);
        for (c, o) in (&mut chunks).zip(&mut outs) {
            // SAFETY: `c` holds 4 f64s (the unaligned load reads those); `f` is a libmvec
            // function of the processor's instruction set (AVX2, present: this function's
            // feature); `o` has room for 4 f64s (MaybeUninit<f64> has f64's layout).
            unsafe { _mm256_storeu_pd(o.as_mut_ptr().cast::<f64>(), f(_mm256_loadu_pd(c.as_ptr()))) };
        }
        let rest = chunks.remainder();
        if let Some(&last) = rest.last() {
            let mut pad = [last; 4];
            pad[..rest.len()].copy_from_slice(rest);
            // SAFETY: as above, on a local array of 4 f64s, read then written in place.
            unsafe { _mm256_storeu_pd(pad.as_mut_ptr(), f(_mm256_loadu_pd(pad.as_ptr()))) };
            for (o, &v) in outs.into_remainder().iter_mut().zip(&pad) {
                o.write(v);
            }
        }
    }
}

/// `op` of every sample of `x` with libmvec, or `None` when `op` is not one of its functions or
/// libmvec is not available here (the caller then uses the scalar function).
pub(super) fn map(op: Op, x: &[f64]) -> Option<crate::error::Result<Vec<f64>>> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    {
        let k = NAMES.iter().position(|(o, _)| *o == op)?;
        let f = imp::table()[k]?;
        let mut out = match crate::buffer::with_capacity(x.len()) {
            Ok(out) => out,
            Err(e) => return Some(Err(e)),
        };
        // SAFETY: a function is in the table only when the processor has AVX2 (checked by
        // `load`), the only requirement of the call.
        unsafe { imp::map_into(f, x, &mut out.spare_capacity_mut()[..x.len()]) };
        // SAFETY: `map_into` wrote every one of the first `x.len()` slots, within the capacity.
        unsafe { out.set_len(x.len()) };
        Some(Ok(out))
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
    {
        let _ = (op, x, NAMES);
        None
    }
}

#[cfg(all(test, target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    // glibc's scalar functions (libm), which numpy, and so DeepTrack2, uses where it has no SIMD loop.
    unsafe extern "C" {
        fn acos(x: f64) -> f64;
        fn acosh(x: f64) -> f64;
        fn asin(x: f64) -> f64;
        fn asinh(x: f64) -> f64;
        fn atan(x: f64) -> f64;
        fn atanh(x: f64) -> f64;
        fn cos(x: f64) -> f64;
        fn cosh(x: f64) -> f64;
        fn exp(x: f64) -> f64;
        fn log(x: f64) -> f64;
        fn log10(x: f64) -> f64;
        fn log2(x: f64) -> f64;
        fn sin(x: f64) -> f64;
        fn sinh(x: f64) -> f64;
        fn tan(x: f64) -> f64;
        fn tanh(x: f64) -> f64;
    }

    #[test]
    fn each_function_is_within_a_few_ulp_of_glibcs_scalar_one() {
        let scalar: [unsafe extern "C" fn(f64) -> f64; 16] =
            [acos, acosh, asin, asinh, atan, atanh, cos, cosh, exp, log, log10, log2, sin, sinh, tan, tanh];
        let mut xs: Vec<f64> = (0..4001).map(|i| (i as f64 - 2000.0) * 0.00731).collect();
        xs.extend((0..200).map(|i| 1.0 + i as f64 * 1e-6));
        xs.extend([0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 5e-324, 1e300, -1e300, 710.0, -745.0, 1e-8, 1e22]);
        xs.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0 + 1e-12, 0.999999]);
        let mut checked = 0;
        for ((op, _), f) in NAMES.iter().zip(scalar) {
            let Some(got) = map(*op, &xs) else { continue };
            checked += 1;
            for (&x, &g) in xs.iter().zip(&got.unwrap()) {
                // SAFETY: glibc's scalar math functions take and return a double, any double.
                let w = unsafe { f(x) };
                let ok = if w.is_nan() {
                    g.is_nan()
                } else if w.is_infinite() || w == 0.0 || w.abs() < 1e-300 {
                    g == w || (g - w).abs() <= 1e-300
                } else {
                    ((g - w) / w).abs() <= 1e-15
                };
                assert!(ok, "{op:?}({x:e}): {g:e}, scalar {w:e}");
            }
        }
        if std::arch::is_x86_feature_detected!("avx2")
            && std::path::Path::new("/lib/x86_64-linux-gnu/libmvec.so.1").exists()
        {
            assert_eq!(checked, 16, "libmvec is here: every function comes from it");
        }
    }
}
