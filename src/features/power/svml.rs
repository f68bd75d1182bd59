//! numpy's own AVX-512 `pow` of float64: Intel's SVML `__svml_pow8_ha` (high accuracy, eight
//! doubles per call), as numpy bundles it (github.com/numpy/SVML, commit 32bf2a9, BSD-3-Clause:
//! SVML-LICENSE next to this file) and calls it for `np.power` of float64 arrays on processors with
//! AVX512_SKX (AVX-512 F, CD, BW, DQ and VL). The assembly is the file numpy compiles, unchanged,
//! assembled into the library; its symbols are hidden (not exported from the shared library).
//!
//! Its results are within about 0.6 ulp of the exact power, and differ from glibc's `pow` (within
//! about 0.52 ulp) in the last bit of about one sample in twenty: no other implementation gives
//! numpy's results bit for bit.

use std::sync::OnceLock;

std::arch::global_asm!(
    include_str!("svml_z0_pow_d_ha.s"),
    ".hidden __svml_pow8_ha",
    ".hidden __svml_dpow_ha_cout_rare_internal",
    ".hidden __svml_dpow_ha_data_internal_avx512",
    ".hidden __dpow_ha_CoutTab",
    ".text",
    options(att_syntax, raw)
);

unsafe extern "C" {
    /// SVML's entry point. It takes the bases in `zmm0` and the exponents in `zmm1` and returns
    /// the powers in `zmm0` (the C calling convention with vector arguments); never called as a
    /// Rust function, only from [`pow8`]'s assembly.
    fn __svml_pow8_ha();
}

/// Whether the processor runs numpy's AVX-512 kernels (AVX512_SKX), checked once.
pub(super) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512cd")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    })
}

/// How the eight lanes of an operand advance from one call to the next.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Eight new samples per call.
    Row,
    /// The same eight lanes (one number repeated) at every call.
    Same,
}

/// `out[i] = x[i] ** y[i]` for `chunks` consecutive vectors of eight doubles at `out`, by SVML; an
/// operand of [`Step::Same`] is the same eight doubles for every vector.
///
/// # Safety
///
/// [`available`] must have returned true; `chunks > 0`; `x` and `y` must be valid for reads of
/// `chunks * 8` doubles (eight for [`Step::Same`]) and `out` for writes of `chunks * 8`, not
/// overlapping them.
pub(super) unsafe fn pow_chunks(x: *const f64, sx: Step, y: *const f64, sy: Step, out: *mut f64, chunks: usize) {
    // SAFETY (every block): the caller checked AVX512_SKX, all the function needs, and the extents
    // of the pointers. The pointers and the count live in callee-saved registers (r12-r15), which
    // the function preserves; `clobber_abi("C")` declares everything it may change (the vector and
    // mask registers, the caller-saved general ones). Without `nostack`, the stack pointer is
    // aligned for a call. `vzeroupper` leaves no dirty upper state behind.
    macro_rules! run {
        ($($step:literal),*) => {
            unsafe {
                std::arch::asm!(
                    "2:",
                    "vmovupd zmm0, zmmword ptr [r12]",
                    "vmovupd zmm1, zmmword ptr [r13]",
                    "call {f}",
                    "vmovupd zmmword ptr [r14], zmm0",
                    $($step,)*
                    "add r14, 64",
                    "dec r15",
                    "jnz 2b",
                    "vzeroupper",
                    f = sym __svml_pow8_ha,
                    inout("r12") x => _,
                    inout("r13") y => _,
                    inout("r14") out => _,
                    inout("r15") chunks => _,
                    clobber_abi("C"),
                )
            }
        };
    }
    match (sx, sy) {
        (Step::Row, Step::Row) => run!("add r12, 64", "add r13, 64"),
        (Step::Row, Step::Same) => run!("add r12, 64"),
        (Step::Same, Step::Row) => run!("add r13, 64"),
        (Step::Same, Step::Same) => run!(),
    }
}
