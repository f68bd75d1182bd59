//! Which vector instruction sets the processor has, for the kernels compiled for several of them
//! (an AVX-512 variant, an AVX2 one and a portable one of the same code, chosen at run time).

/// Whether the AVX-512 variants can run: the compiler built them (`deeptrack_avx512`, set by
/// build.rs for rustc 1.89 and later) and the processor has AVX-512 F, BW, DQ and VL, the subsets
/// they are compiled for. The detection is cached by the standard library (one atomic load).
#[inline]
pub(crate) fn avx512() -> bool {
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(all(target_arch = "x86_64", deeptrack_avx512)))]
    {
        false
    }
}
