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
    /// `prim` of every sample of `buf`, in place, `width` samples per call (the last few padded
    /// with the last sample).
    ///
    /// # Safety
    ///
    /// The table must be the one of `width` from [`tables`], whose functions need only the
    /// processor's AVX-512F (eight) or AVX2 (four), which [`load`] checked.
    pub(super) unsafe fn map_in_place(&self, width: Width, prim: Prim, buf: &mut [f64]) {
        let f = self.0[prim as usize];
        let lanes = match width {
            Width::Eight => 8,
            Width::Four => 4,
        };
        let whole = buf.len() / lanes;
        if whole > 0 {
            // SAFETY: `buf` holds `whole * lanes` doubles from its start; `f` is the function of
            // this width (the caller's contract), present on this processor.
            unsafe { call(width, f, buf.as_mut_ptr(), whole) };
        }
        let rest = &mut buf[whole * lanes..];
        if let Some(&last) = rest.last() {
            let mut pad = [last; 8];
            pad[..rest.len()].copy_from_slice(rest);
            // SAFETY: as above, on a local array of 8 doubles (one call of either width).
            unsafe { call(width, f, pad.as_mut_ptr(), 1) };
            let n = rest.len();
            rest.copy_from_slice(&pad[..n]);
        }
    }
}

/// Calls the vector function at `f` on `chunks` consecutive vectors of `width` doubles at `ptr`,
/// each replaced by the result.
///
/// # Safety
///
/// `ptr` must be valid for reads and writes of `chunks` vectors (`chunks > 0`), and `f` the
/// address of a function of the x86-64 vector function ABI taking and returning one vector of
/// `width` doubles, runnable on this processor.
unsafe fn call(width: Width, f: usize, ptr: *mut f64, chunks: usize) {
    // The pointer, the count and the function live in callee-saved registers (r12, r13, r15),
    // which the called function preserves; `clobber_abi("C")` declares everything it may change
    // (the vector registers, whole, and the caller-saved general ones). Without `nostack`, the
    // stack pointer is aligned for a call. `vzeroupper` leaves no dirty upper state behind.
    match width {
        // SAFETY: the caller's contract: 8 doubles readable and writable per chunk at `ptr`, and
        // `f` an AVX-512 vector function of one `zmm` argument and result.
        Width::Eight => unsafe {
            std::arch::asm!(
                "2:",
                "vmovupd zmm0, zmmword ptr [r12]",
                "call r15",
                "vmovupd zmmword ptr [r12], zmm0",
                "add r12, 64",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") ptr => _,
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
                "vmovupd ymmword ptr [r12], ymm0",
                "add r12, 32",
                "dec r13",
                "jnz 2b",
                "vzeroupper",
                inout("r12") ptr => _,
                inout("r13") chunks => _,
                in("r15") f,
                clobber_abi("C"),
            )
        },
    }
}
