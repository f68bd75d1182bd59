//! glibc's vector math library (libmvec, part of glibc on x86-64 Linux), found at run time with
//! `dlopen` so that the library never links to it: the AVX-512 variants (`_ZGVeN8v_log` and so
//! on, eight doubles per call, glibc 2.35 and later for most of them) where the processor has
//! AVX-512F, else the AVX2 ones (`_ZGVdN4v_log`, four doubles). glibc documents them within 4 ulp
//! of the exact result, as numpy's own SIMD loops.
//!
//! The functions are called from inline assembly rather than through an `extern "C" fn(__m512d)`:
//! passing an `__m512d` needs the `avx512f` target feature, stable only since Rust 1.89, above the
//! crate's minimum of 1.85. The x86-64 vector function ABI is the C calling convention with the
//! vector in `zmm0`/`ymm0` (argument and result), so the assembly loads the register, calls, and
//! stores it, with the C ABI's clobbers declared.

use std::sync::OnceLock;

use super::{PRIMS, Prim};

/// How many doubles one call of a tier's functions maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Width {
    /// `_ZGVeN8v_*`: eight doubles in `zmm0` (AVX-512F).
    Eight,
    /// `_ZGVdN4v_*`: four doubles in `ymm0` (AVX2).
    Four,
}

/// The addresses of one width's functions, in the order of [`PRIMS`].
#[derive(Clone, Copy)]
pub(super) struct Table([usize; PRIMS.len()]);

/// libmvec's tables: the AVX-512 one and the AVX2 one, each present only when the processor has
/// the instructions and libmvec has every function of [`PRIMS`] in that width.
pub(super) fn tables() -> &'static (Option<Table>, Option<Table>) {
    static TABLES: OnceLock<(Option<Table>, Option<Table>)> = OnceLock::new();
    TABLES.get_or_init(load)
}

fn load() -> (Option<Table>, Option<Table>) {
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    if !avx2 {
        return (None, None);
    }
    // SAFETY: the name is a NUL-terminated string; dlopen has no other precondition, and loading
    // libmvec runs no initialisation beyond glibc's own. The handle is never closed: the functions
    // stay valid for the life of the process.
    let handle = unsafe { libc::dlopen(c"libmvec.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return (None, None);
    }
    let table = |prefix: &str| -> Option<Table> {
        let mut out = [0usize; PRIMS.len()];
        for (slot, prim) in out.iter_mut().zip(PRIMS) {
            let name = std::ffi::CString::new(format!("{prefix}{}", prim.libm_name())).ok()?;
            // SAFETY: `handle` is a live handle from dlopen (never closed) and `name` a
            // NUL-terminated string.
            let sym = unsafe { libc::dlsym(handle, name.as_ptr()) };
            if sym.is_null() {
                return None;
            }
            *slot = sym as usize;
        }
        Some(Table(out))
    };
    (if avx512 { table("_ZGVeN8v_") } else { None }, table("_ZGVdN4v_"))
}

impl Table {
    /// `prim` of every sample of `src` into `dst` (of the same length, or the same buffer: the
    /// calls read each vector before they write it), `width` samples per call, the last few
    /// padded with the last sample.
    ///
    /// # Safety
    ///
    /// The table must be the one of `width` from [`tables`], whose functions need only the
    /// processor's AVX-512F (eight) or AVX2 (four), which [`load`] checked. `src` must be valid
    /// for reads and `dst` for writes of `len` doubles; they either do not overlap or are equal.
    pub(super) unsafe fn map(&self, width: Width, prim: Prim, src: *const f64, dst: *mut f64, len: usize) {
        let f = self.0[prim as usize];
        let lanes = match width {
            Width::Eight => 8,
            Width::Four => 4,
        };
        let whole = len / lanes;
        if whole > 0 {
            // SAFETY: `src` and `dst` hold `whole * lanes <= len` doubles (the caller's
            // contract); `f` is the function of this width, present on this processor.
            unsafe { call(width, f, src, dst, whole) };
        }
        let n = len - whole * lanes;
        if n > 0 {
            // SAFETY: the last `n` of the `len` doubles at `src` are readable (the caller's
            // contract), and `n >= 1`.
            let rest = unsafe { std::slice::from_raw_parts(src.add(whole * lanes), n) };
            let mut pad = [rest[n - 1]; 8];
            pad[..n].copy_from_slice(rest);
            let p = pad.as_mut_ptr();
            // SAFETY: as above, on a local array of 8 doubles (one call of either width).
            unsafe { call(width, f, p, p, 1) };
            // SAFETY: the last `n` of the `len` doubles at `dst` are writable (the caller's
            // contract), and `pad` is a local array, which does not overlap them.
            unsafe { std::ptr::copy_nonoverlapping(p, dst.add(whole * lanes), n) };
        }
    }
}

/// Calls the vector function at `f` on `chunks` consecutive vectors of `width` doubles at `src`,
/// each result stored at the same place in `dst`.
///
/// # Safety
///
/// `src` must be valid for reads and `dst` for writes of `chunks` vectors (`chunks > 0`), not
/// overlapping or equal, and `f` the address of a function of the x86-64 vector function ABI
/// taking and returning one vector of `width` doubles, runnable on this processor.
unsafe fn call(width: Width, f: usize, src: *const f64, dst: *mut f64, chunks: usize) {
    // The pointers, the count and the function live in callee-saved registers (r12-r15), which
    // the called function preserves; `clobber_abi("C")` declares everything it may change (the
    // vector registers, whole, and the caller-saved general ones). Without `nostack`, the stack
    // pointer is aligned for a call. `vzeroupper` leaves no dirty upper state behind.
    match width {
        // SAFETY: the caller's contract: 8 doubles readable at `src` and writable at `dst` per
        // chunk, and `f` an AVX-512 vector function of one `zmm` argument and result.
        Width::Eight => unsafe {
            std::arch::asm!(
                "2:",
                "vmovupd zmm0, zmmword ptr [r12]",
                "call r15",
                "vmovupd zmmword ptr [r14], zmm0",
                "add r12, 64",
                "add r14, 64",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") src => _,
                inout("r14") dst => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
        // SAFETY: as above with 4 doubles per chunk and a `ymm` argument and result (AVX2).
        Width::Four => unsafe {
            std::arch::asm!(
                "2:",
                "vmovupd ymm0, ymmword ptr [r12]",
                "call r15",
                "vmovupd ymmword ptr [r14], ymm0",
                "add r12, 32",
                "add r14, 32",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") src => _,
                inout("r14") dst => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
    }
}

/// A function computed around an AVX-512 primitive inside the call loop, so that the argument
/// and the result take no passes of their own (see `compose` for the forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fused {
    /// `sinh(x) = ±(e + e / (e + 1)) / 2` with `e = expm1(|x|)`; `|x| > 709.78` gives NaN or
    /// infinity, which the caller replaces.
    Sinh,
    /// `tanh(x) = ±(-e / (e + 2))` with `e = expm1(-2|x|)`.
    Tanh,
    /// `atanh(x) = ±log1p(a) / 2` with `a = 2t / (1 - t)`, `t = |x|`, written `2t + a t` below 1/2.
    Atanh,
}

impl Fused {
    /// The primitive called.
    fn prim(self) -> Prim {
        match self {
            Fused::Sinh | Fused::Tanh => Prim::Expm1,
            Fused::Atanh => Prim::Log1p,
        }
    }
}

impl Table {
    /// `fused` of every sample of `src` into `dst` (of length `len`) with the AVX-512 primitive,
    /// the last few samples padded with the last one.
    ///
    /// # Safety
    ///
    /// The table must be the AVX-512 one from [`tables`]. `src` must be valid for reads and `dst`
    /// for writes of `len` doubles, not overlapping.
    pub(super) unsafe fn map_fused(&self, fused: Fused, src: *const f64, dst: *mut f64, len: usize) {
        let f = self.0[fused.prim() as usize];
        let whole = len / 8;
        if whole > 0 {
            // SAFETY: `src` and `dst` hold `whole * 8 <= len` doubles (the caller's contract);
            // `f` is `fused`'s AVX-512 primitive, present on this processor.
            unsafe { call_fused(fused, f, src, dst, whole) };
        }
        let n = len - whole * 8;
        if n > 0 {
            // SAFETY: the last `n` of the `len` doubles at `src` are readable, and `n >= 1`.
            let rest = unsafe { std::slice::from_raw_parts(src.add(whole * 8), n) };
            let mut pad = [rest[n - 1]; 8];
            pad[..n].copy_from_slice(rest);
            let mut res = [0.0; 8];
            // SAFETY: as above, on local arrays of 8 doubles (one call).
            unsafe { call_fused(fused, f, pad.as_ptr(), res.as_mut_ptr(), 1) };
            // SAFETY: the last `n` of the `len` doubles at `dst` are writable, and `res` is a
            // local array, which does not overlap them.
            unsafe { std::ptr::copy_nonoverlapping(res.as_ptr(), dst.add(whole * 8), n) };
        }
    }
}

/// [`call`] of `fused`'s AVX-512 primitive at `f` with the argument and result computed around it:
/// constants are broadcast from `rax` at each use (every vector register and `rax` are the
/// callee's to change), the sign of the result is `x`'s, ORed into a magnitude that is never
/// negative.
///
/// # Safety
///
/// As [`call`], with `f` `fused`'s AVX-512 primitive, and `src` and `dst` not overlapping.
unsafe fn call_fused(fused: Fused, f: usize, src: *const f64, dst: *mut f64, chunks: usize) {
    match fused {
        // SAFETY: the caller's contract: 8 doubles readable at `src` and writable at `dst` per
        // chunk, and `f` the AVX-512 `expm1` (one `zmm` argument and result). Likewise below.
        Fused::Sinh => unsafe {
            std::arch::asm!(
                "2:",
                "mov rax, 0x7fffffffffffffff",
                "vpbroadcastq zmm1, rax",
                "vpandq zmm0, zmm1, zmmword ptr [r12]", // |x|
                "call r15",                             // e = expm1(|x|)
                "mov rax, 0x3ff0000000000000",
                "vpbroadcastq zmm1, rax",
                "vaddpd zmm1, zmm0, zmm1", // e + 1
                "vdivpd zmm1, zmm0, zmm1", // e / (e + 1)
                "vaddpd zmm0, zmm0, zmm1",
                "mov rax, 0x3fe0000000000000",
                "vpbroadcastq zmm1, rax",
                "vmulpd zmm0, zmm0, zmm1", // (e + e / (e + 1)) / 2
                "mov rax, 0x7fffffffffffffff",
                "vpbroadcastq zmm1, rax",
                "vpandnq zmm1, zmm1, zmmword ptr [r12]", // x's sign
                "vporq zmm0, zmm0, zmm1",
                "vmovupd zmmword ptr [r14], zmm0",
                "add r12, 64",
                "add r14, 64",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") src => _,
                inout("r14") dst => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
        // SAFETY: as above, with `f` the AVX-512 `log1p`.
        Fused::Atanh => unsafe {
            std::arch::asm!(
                "2:",
                "mov rax, 0x7fffffffffffffff",
                "vpbroadcastq zmm1, rax",
                "vpandq zmm2, zmm1, zmmword ptr [r12]", // t = |x|
                "mov rax, 0x3ff0000000000000",
                "vpbroadcastq zmm1, rax",
                "vsubpd zmm1, zmm1, zmm2",       // 1 - t
                "vaddpd zmm3, zmm2, zmm2",       // 2t
                "vdivpd zmm0, zmm3, zmm1",       // a = 2t / (1 - t)
                "vfmadd231pd zmm3, zmm0, zmm2",  // 2t + a t
                "mov rax, 0x3fe0000000000000",
                "vpbroadcastq zmm1, rax",
                "vcmppd k1, zmm2, zmm1, 1",      // t < 1/2
                "vmovapd zmm0 {{k1}}, zmm3",
                "call r15",                      // log1p(a): never negative, or NaN
                "mov rax, 0x3fe0000000000000",
                "vpbroadcastq zmm1, rax",
                "vmulpd zmm0, zmm0, zmm1",
                "mov rax, 0x7fffffffffffffff",
                "vpbroadcastq zmm1, rax",
                "vpandnq zmm1, zmm1, zmmword ptr [r12]", // x's sign
                "vporq zmm0, zmm0, zmm1",
                "vmovupd zmmword ptr [r14], zmm0",
                "add r12, 64",
                "add r14, 64",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") src => _,
                inout("r14") dst => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
        // SAFETY: as above.
        Fused::Tanh => unsafe {
            std::arch::asm!(
                "2:",
                "mov rax, 0x8000000000000000",
                "vpbroadcastq zmm1, rax",
                "vporq zmm0, zmm1, zmmword ptr [r12]", // -|x|
                "vaddpd zmm0, zmm0, zmm0",             // -2|x|
                "call r15",                            // e = expm1(-2|x|)
                "mov rax, 0x4000000000000000",
                "vpbroadcastq zmm1, rax",
                "vaddpd zmm1, zmm0, zmm1", // e + 2
                "vdivpd zmm0, zmm0, zmm1", // e / (e + 2), not positive
                "mov rax, 0x7fffffffffffffff",
                "vpbroadcastq zmm1, rax",
                "vpandq zmm0, zmm0, zmm1", // -e / (e + 2)
                "vpandnq zmm1, zmm1, zmmword ptr [r12]", // x's sign
                "vporq zmm0, zmm0, zmm1",
                "vmovupd zmmword ptr [r14], zmm0",
                "add r12, 64",
                "add r14, 64",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") src => _,
                inout("r14") dst => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
    }
}
