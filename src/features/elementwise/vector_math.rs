//! The transcendental functions of the element-wise kinds, on blocks of samples, by the fastest
//! of three tiers this machine has ([`Tier`]): glibc's vector math library (libmvec) in its
//! AVX-512 variants (eight samples a call), in its AVX2 variants (four), or the scalar functions
//! (everywhere else, and on any processor). All give results within a few ulp of the exact ones,
//! as numpy's own SIMD loops and libm do.
//!
//! `Arcsinh`, `Arccosh`, `Arctanh`, `Sinh` and `Tanh` are composed from `log1p` and `expm1` on
//! every tier (module `compose`): faster than libmvec's own functions, and accurate near 0 and the
//! domain edges, where Rust's `f64::acosh` is not. NaN, infinities and arguments out of a
//! function's domain give numpy's results (libmvec handles them in its scalar fallbacks).

mod compose;
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod libmvec;

use std::mem::MaybeUninit;

use compose::Composition;

use crate::error::Result;

/// The functions mapped here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Function {
    /// `arccos`.
    Acos,
    /// `arccosh`.
    Acosh,
    /// `arcsin`.
    Asin,
    /// `arcsinh`.
    Asinh,
    /// `arctan`.
    Atan,
    /// `arctanh`.
    Atanh,
    /// `cos`.
    Cos,
    /// `cosh`.
    Cosh,
    /// `exp`.
    Exp,
    /// `log` (natural).
    Log,
    /// `log10`.
    Log10,
    /// `log2`.
    Log2,
    /// `sin`.
    Sin,
    /// `sinh`.
    Sinh,
    /// `tan`.
    Tan,
    /// `tanh`.
    Tanh,
}

/// The primitives: the functions each tier provides, which [`Function`]s are or are composed of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prim {
    Acos,
    Asin,
    Atan,
    Cos,
    Cosh,
    Exp,
    Expm1,
    Log,
    Log10,
    Log1p,
    Log2,
    Sin,
    Tan,
}

/// Every primitive, in the order of their discriminants (the order of libmvec's tables).
pub(super) const PRIMS: [Prim; 13] = [
    Prim::Acos,
    Prim::Asin,
    Prim::Atan,
    Prim::Cos,
    Prim::Cosh,
    Prim::Exp,
    Prim::Expm1,
    Prim::Log,
    Prim::Log10,
    Prim::Log1p,
    Prim::Log2,
    Prim::Sin,
    Prim::Tan,
];

impl Prim {
    /// The function's name in libm (and, prefixed, in libmvec).
    #[cfg_attr(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")), allow(dead_code))]
    fn libm_name(self) -> &'static str {
        match self {
            Prim::Acos => "acos",
            Prim::Asin => "asin",
            Prim::Atan => "atan",
            Prim::Cos => "cos",
            Prim::Cosh => "cosh",
            Prim::Exp => "exp",
            Prim::Expm1 => "expm1",
            Prim::Log => "log",
            Prim::Log10 => "log10",
            Prim::Log1p => "log1p",
            Prim::Log2 => "log2",
            Prim::Sin => "sin",
            Prim::Tan => "tan",
        }
    }

    /// The scalar function (Rust's, which are the platform's libm).
    fn scalar(self) -> fn(f64) -> f64 {
        match self {
            Prim::Acos => f64::acos,
            Prim::Asin => f64::asin,
            Prim::Atan => f64::atan,
            Prim::Cos => f64::cos,
            Prim::Cosh => f64::cosh,
            Prim::Exp => f64::exp,
            Prim::Expm1 => f64::exp_m1,
            Prim::Log => f64::ln,
            Prim::Log10 => f64::log10,
            Prim::Log1p => f64::ln_1p,
            Prim::Log2 => f64::log2,
            Prim::Sin => f64::sin,
            Prim::Tan => f64::tan,
        }
    }
}

impl Function {
    /// The primitive that computes the function, and the composition around it, if any.
    fn plan(self) -> (Prim, Option<Composition>) {
        let composed = |c: Composition| (c.prim(), Some(c));
        match self {
            Function::Acos => (Prim::Acos, None),
            Function::Acosh => composed(Composition::Acosh),
            Function::Asin => (Prim::Asin, None),
            Function::Asinh => composed(Composition::Asinh),
            Function::Atan => (Prim::Atan, None),
            Function::Atanh => composed(Composition::Atanh),
            Function::Cos => (Prim::Cos, None),
            Function::Cosh => (Prim::Cosh, None),
            Function::Exp => (Prim::Exp, None),
            Function::Log => composed(Composition::Log),
            Function::Log10 => (Prim::Log10, None),
            Function::Log2 => (Prim::Log2, None),
            Function::Sin => (Prim::Sin, None),
            Function::Sinh => composed(Composition::Sinh),
            Function::Tan => (Prim::Tan, None),
            Function::Tanh => composed(Composition::Tanh),
        }
    }
}

/// Where the primitives come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tier {
    /// libmvec's AVX-512 variants (x86-64 Linux with glibc 2.35 or later, a processor with
    /// AVX-512F).
    Avx512,
    /// libmvec's AVX2 variants (x86-64 Linux with glibc, a processor with AVX2).
    Avx2,
    /// The scalar functions.
    Scalar,
}

impl Tier {
    /// Every tier, the fastest first.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) const ALL: [Tier; 3] = [Tier::Avx512, Tier::Avx2, Tier::Scalar];

    /// The fastest tier this machine has.
    pub(super) fn best() -> Tier {
        if Kernel::of(Tier::Avx512).is_some() {
            Tier::Avx512
        } else if Kernel::of(Tier::Avx2).is_some() {
            Tier::Avx2
        } else {
            Tier::Scalar
        }
    }
}

/// A tier's primitives, ready to call.
#[derive(Clone, Copy)]
enum Kernel {
    /// libmvec's functions of one width.
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    Libmvec(libmvec::Table, libmvec::Width),
    /// The scalar functions.
    Scalar,
}

impl Kernel {
    /// The kernel of `tier`, when this machine has it.
    fn of(tier: Tier) -> Option<Kernel> {
        match tier {
            Tier::Scalar => Some(Kernel::Scalar),
            #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
            Tier::Avx512 => Some(Kernel::Libmvec(libmvec::tables().0?, libmvec::Width::Eight)),
            #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
            Tier::Avx2 => Some(Kernel::Libmvec(libmvec::tables().1?, libmvec::Width::Four)),
            #[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
            Tier::Avx512 | Tier::Avx2 => None,
        }
    }

    /// `prim` of every sample of `buf`, in place.
    #[inline(always)]
    fn apply(self, prim: Prim, buf: &mut [f64]) {
        let p = buf.as_mut_ptr();
        // SAFETY: `p` is valid for reads and writes of `buf.len()` doubles, source and
        // destination alike.
        unsafe { self.apply_raw(prim, p, p, buf.len()) }
    }

    /// `prim` of every sample of `x` into `out` (of the same length), read and written once.
    #[inline(always)]
    fn apply_into(self, prim: Prim, x: &[f64], out: &mut [MaybeUninit<f64>]) {
        assert_eq!(x.len(), out.len());
        // SAFETY: `x` is valid for reads and `out` (a distinct, mutably borrowed buffer) for
        // writes of `x.len()` doubles; `MaybeUninit<f64>` has the layout of `f64`.
        unsafe { self.apply_raw(prim, x.as_ptr(), out.as_mut_ptr().cast::<f64>(), x.len()) }
    }

    /// `prim` of the `len` samples at `src` into `dst`.
    ///
    /// # Safety
    ///
    /// `src` must be valid for reads and `dst` for writes of `len` doubles, not overlapping or
    /// equal.
    #[inline(always)]
    unsafe fn apply_raw(self, prim: Prim, src: *const f64, dst: *mut f64, len: usize) {
        match self {
            #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
            // SAFETY: the table is the one of `width` from `libmvec::tables` (`Kernel::of`), and
            // the pointers are as `map` requires (this function's contract).
            Kernel::Libmvec(table, width) => unsafe { table.map(width, prim, src, dst, len) },
            Kernel::Scalar => {
                let f = prim.scalar();
                for i in 0..len {
                    // SAFETY: `i < len`, within both buffers (this function's contract); each
                    // sample is read before it is written.
                    unsafe { *dst.add(i) = f(*src.add(i)) };
                }
            }
        }
    }
}

/// `f` of every sample of `x`, into a new buffer, by the fastest tier here.
pub(super) fn map(f: Function, x: &[f64]) -> Result<Vec<f64>> {
    map_with(Tier::best(), f, x).expect("the best tier is available")
}

/// `f` of every sample of `x`, into a new buffer, by `tier`'s primitives; `None` when this
/// machine does not have `tier` (the tests compare every tier the machine has).
pub(super) fn map_with(tier: Tier, f: Function, x: &[f64]) -> Option<Result<Vec<f64>>> {
    let kernel = Kernel::of(tier)?;
    let mut out = match crate::buffer::with_capacity(x.len()) {
        Ok(out) => out,
        Err(e) => return Some(Err(e)),
    };
    let spare = &mut out.spare_capacity_mut()[..x.len()];
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    let done = if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the processor has AVX-512F (checked just above), the only requirement.
        unsafe { run_avx512(kernel, f, x, spare) };
        true
    } else {
        false
    };
    #[cfg(not(all(target_arch = "x86_64", deeptrack_avx512)))]
    let done = false;
    #[cfg(target_arch = "x86_64")]
    let done = done
        || if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
            unsafe { run_avx2(kernel, f, x, spare) };
            true
        } else {
            false
        };
    #[cfg(not(target_arch = "x86_64"))]
    let done = false;
    if !done {
        run(kernel, f, x, spare);
    }
    // SAFETY: `run` wrote every one of the first `x.len()` slots (it fills `spare`, of exactly
    // that length, block by block), within the capacity.
    unsafe { out.set_len(x.len()) };
    Some(Ok(out))
}

/// Samples per block: a block's argument, primitive and result passes stay in the L1 cache.
const BLOCK: usize = 1024;

/// [`run`] compiled for AVX2, so that the compositions' passes are vectorised four wide.
///
/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(kernel: Kernel, f: Function, x: &[f64], out: &mut [MaybeUninit<f64>]) {
    run(kernel, f, x, out)
}

/// [`run`] compiled for AVX-512F, so that the compositions' passes are vectorised eight wide:
/// their divisions and square roots take half the time of AVX2's. Built by a rustc that has the
/// AVX-512 target features (1.89 and later, `deeptrack_avx512` from build.rs).
///
/// # Safety
///
/// The processor must have AVX-512F.
#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
#[target_feature(enable = "avx512f")]
unsafe fn run_avx512(kernel: Kernel, f: Function, x: &[f64], out: &mut [MaybeUninit<f64>]) {
    run(kernel, f, x, out)
}

/// `f` of every sample of `x` into `out` (of the same length), block by block.
#[inline(always)]
fn run(kernel: Kernel, f: Function, x: &[f64], out: &mut [MaybeUninit<f64>]) {
    assert_eq!(x.len(), out.len());
    let (prim, composition) = f.plan();
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    if let (Kernel::Libmvec(table, libmvec::Width::Eight), Some(c)) = (kernel, composition) {
        let fused = match c {
            Composition::Sinh => Some(libmvec::Fused::Sinh),
            Composition::Tanh => Some(libmvec::Fused::Tanh),
            Composition::Atanh => Some(libmvec::Fused::Atanh),
            _ => None,
        };
        if let Some(fused) = fused {
            for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
                // SAFETY: the table is the AVX-512 one (`Kernel::of`); `xb` is valid for reads and
                // `ob`, a distinct buffer of the same length, for writes.
                unsafe { table.map_fused(fused, xb.as_ptr(), ob.as_mut_ptr().cast::<f64>(), xb.len()) };
                if fused == libmvec::Fused::Sinh {
                    // SAFETY: `map_fused` wrote every element of `ob`; `MaybeUninit<f64>` has the
                    // layout of `f64`.
                    let y = unsafe { &mut *(ob as *mut [MaybeUninit<f64>] as *mut [f64]) };
                    compose::sinh_beyond_expm1(xb, y);
                }
            }
            return;
        }
    }
    for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        match composition {
            None => kernel.apply_into(prim, xb, ob),
            Some(c) => c.run(xb, ob, |buf| kernel.apply(prim, buf), |x, o| kernel.apply_into(prim, x, o)),
        }
    }
}

/// Writes `g` of every sample of `x` into `out` (of the same length) and returns it, initialised.
#[inline(always)]
fn fill<'a>(x: &[f64], out: &'a mut [MaybeUninit<f64>], g: impl Fn(f64) -> f64) -> &'a mut [f64] {
    assert_eq!(x.len(), out.len());
    out.iter_mut().zip(x).for_each(|(o, &v)| {
        o.write(g(v));
    });
    // SAFETY: every element of `out` was written just above, and `MaybeUninit<f64>` has the
    // layout of `f64`.
    unsafe { &mut *(out as *mut [MaybeUninit<f64>] as *mut [f64]) }
}

#[cfg(test)]
mod tests;
