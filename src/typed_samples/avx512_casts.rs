//! numpy's casts of float64 samples to integer types of at most 32 bits, with AVX-512's
//! conversion instructions: one pass over the samples.
//!
//! `vcvttpd2dq` truncates eight doubles to 32-bit integers and gives `i32::MIN` for every sample
//! it cannot convert (NaN, infinities, magnitudes of 2^31 or more); the narrowing moves
//! (`vpmovdb`, `vpmovdw`) then keep the low bits, which is numpy's wrapping. A block in which some
//! result is `i32::MIN` is written again sample by sample by the exact cast (the result was a
//! truncated -2^31 or an unconvertible sample: the exact cast gives the right value for both).

// Compiled only by rustc 1.89 and later (`deeptrack_avx512`, set by build.rs), where the AVX-512
// intrinsics are stable: the crate's older minimum does not apply to this module.
#![allow(clippy::incompatible_msrv)]

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::{BLOCK, Int};

/// `x` cast to `T` (a type of 1, 2 or 4 bytes with `T::VIA_I32`) into `out`, `exact` of each
/// sample of a block that holds one the conversion instruction cannot convert.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(super) fn ints_into<T: Int>(x: &[f64], out: &mut [MaybeUninit<T>], exact: impl Fn(f64) -> T + Copy) {
    assert!(T::VIA_I32 && matches!(size_of::<T>(), 1 | 2 | 4) && x.len() == out.len());
    let min = _mm512_set1_epi32(i32::MIN);
    for (xs, os) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let whole = xs.len() / 16 * 16;
        let mut unconverted: __mmask16 = 0;
        for i in (0..whole).step_by(16) {
            // SAFETY: i + 16 <= whole <= xs.len() = os.len(): the two loads read 16 doubles of `xs`,
            // and the store below writes 16 elements of `T` to `os` from element i (its size is
            // checked above to be 1, 2 or 4 bytes, the width each store is chosen for); unaligned
            // loads and stores have no alignment requirement.
            unsafe {
                let lo = _mm512_cvttpd_epi32(_mm512_loadu_pd(xs.as_ptr().add(i)));
                let hi = _mm512_cvttpd_epi32(_mm512_loadu_pd(xs.as_ptr().add(i + 8)));
                let v = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
                unconverted |= _mm512_cmpeq_epi32_mask(v, min);
                let dst = os.as_mut_ptr().add(i).cast::<u8>();
                match size_of::<T>() {
                    4 => _mm512_storeu_si512(dst.cast(), v),
                    2 => _mm256_storeu_si256(dst.cast(), _mm512_cvtepi32_epi16(v)),
                    _ => _mm_storeu_si128(dst.cast(), _mm512_cvtepi32_epi8(v)),
                }
            }
        }
        let start = if unconverted == 0 { whole } else { 0 };
        for (o, &v) in os[start..].iter_mut().zip(&xs[start..]) {
            o.write(exact(v));
        }
    }
}
