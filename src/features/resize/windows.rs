//! The column pass of `Resize` eight output samples at a time, on processors with AVX-512F: the
//! source samples of eight consecutive outputs lie within sixteen consecutive samples of the row
//! (when shrinking by up to 2, or enlarging), so two unaligned loads and two two-register permutes
//! (`vpermt2pd`) fetch them, where the scalar pass loads each one. Chunks whose samples do not fit
//! such a window (stronger shrinking, rows of fewer than 16 samples, the last partial chunk) are done
//! sample by sample. The arithmetic is the scalar pass's (`p · a0 + q · a1`, a product each then a
//! sum, no fused multiply-add), so every output has the same bits either way.

use std::mem::MaybeUninit;

use crate::buffer;
use crate::error::{Error, ErrorKind, Result};

/// Output samples per chunk: one AVX-512 register of f64.
const LANES: usize = 8;

/// Source samples per window: two registers.
const WINDOW: usize = 16;

/// `base` of a chunk done sample by sample.
const SCALAR: usize = usize::MAX;

/// The taps of a row's column pass by output sample (channels included), and their windows.
pub(super) struct Windows {
    /// The offsets in the source row of each output sample's two source samples.
    first: Vec<usize>,
    second: Vec<usize>,
    /// Their weights.
    a0: Vec<f64>,
    a1: Vec<f64>,
    /// Per chunk of [`LANES`] output samples: the offset of its window of [`WINDOW`] source samples,
    /// or [`SCALAR`].
    base: Vec<usize>,
    /// Per chunk: the positions in its window of the first and of the second source samples.
    positions: Vec<[[u8; LANES]; 2]>,
    /// Samples per source row.
    src_len: usize,
}

impl Windows {
    /// The windows of `taps` (pixel indices and weights along the columns, as `taps` computes them)
    /// for rows of `src_len` samples of `channels` channels; `None` where the processor (or the
    /// compiler) lacks AVX-512F, or when fewer than half of the chunks fit a window (strong shrinking:
    /// the scalar pass is then as fast).
    pub(super) fn new(taps: &[(usize, usize, f64, f64)], channels: usize, src_len: usize) -> Result<Option<Windows>> {
        if !has_avx512() {
            return Ok(None);
        }
        let n = taps.len() * channels;
        let chunks = n / LANES;
        let fail = || Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the {n} taps of a resize"));
        let (mut first, mut second) = (buffer::try_vec(n).ok_or_else(fail)?, buffer::try_vec(n).ok_or_else(fail)?);
        let (mut a0, mut a1) = (buffer::try_vec(n).ok_or_else(fail)?, buffer::try_vec(n).ok_or_else(fail)?);
        for &(i0, i1, w0, w1) in taps {
            for c in 0..channels {
                first.push(i0 * channels + c);
                second.push(i1 * channels + c);
                a0.push(w0);
                a1.push(w1);
            }
        }
        let mut base = buffer::try_vec(chunks).ok_or_else(fail)?;
        let mut positions = buffer::try_vec(chunks).ok_or_else(fail)?;
        let mut fitting = 0;
        for k in (0..chunks).map(|c| c * LANES) {
            let (f, s) = (&first[k..k + LANES], &second[k..k + LANES]);
            let low = f.iter().chain(s).copied().min().expect("a full chunk");
            let high = f.iter().chain(s).copied().max().expect("a full chunk");
            // The window starts at the lowest sample, or ends at the row's end.
            let start = low.min(src_len.saturating_sub(WINDOW));
            if src_len < WINDOW || high - start >= WINDOW {
                base.push(SCALAR);
                positions.push([[0; LANES]; 2]);
                continue;
            }
            fitting += 1;
            base.push(start);
            let at = |o: &[usize]| std::array::from_fn(|l| (o[l] - start) as u8);
            positions.push([at(f), at(s)]);
        }
        Ok((2 * fitting >= chunks && chunks > 0).then_some(Windows { first, second, a0, a1, base, positions, src_len }))
    }

    /// One source row, `src`, resized along the columns into `dst` (every sample written).
    pub(super) fn resize_row(&self, src: &[f64], dst: &mut [MaybeUninit<f64>]) {
        assert!(src.len() == self.src_len && dst.len() == self.first.len(), "the taps fit the rows");
        #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
        // SAFETY: a `Windows` is only made where the processor has AVX-512F (`new`); the lengths of
        // `src` and `dst` are those the taps were made for (asserted above).
        unsafe {
            avx512::resize_row(self, src, dst)
        }
        #[cfg(not(all(target_arch = "x86_64", deeptrack_avx512)))]
        self.scalar(src, dst, 0, dst.len());
    }

    /// The output samples `from..to` computed one at a time.
    #[inline(always)]
    fn scalar(&self, src: &[f64], dst: &mut [MaybeUninit<f64>], from: usize, to: usize) {
        for k in from..to {
            dst[k].write(src[self.first[k]] * self.a0[k] + src[self.second[k]] * self.a1[k]);
        }
    }
}

/// Whether the processor has AVX-512F and this build has the kernel for it.
fn has_avx512() -> bool {
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    return std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(all(target_arch = "x86_64", deeptrack_avx512)))]
    false
}

// The AVX-512 intrinsics are stable since Rust 1.89, above the crate's minimum: this module is
// compiled only by rustc 1.89 and later (`deeptrack_avx512`, set by build.rs).
#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
#[allow(clippy::incompatible_msrv)]
mod avx512 {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{LANES, SCALAR, WINDOW, Windows};

    /// [`Windows::resize_row`] with AVX-512F.
    ///
    /// # Safety
    ///
    /// The processor must have AVX-512F; `src` must have `w.src_len` samples and `dst` one per tap.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn resize_row(w: &Windows, src: &[f64], dst: &mut [MaybeUninit<f64>]) {
        for (c, (&base, [p, q])) in w.base.iter().zip(&w.positions).enumerate() {
            let k = c * LANES;
            if base == SCALAR {
                w.scalar(src, dst, k, k + LANES);
                continue;
            }
            // SAFETY: `base + WINDOW <= src.len()` (`Windows::new` keeps only such windows, and
            // `src.len()` is `src_len`); the chunk's `LANES` outputs and weights start at `k`, and
            // `k + LANES <= dst.len()` (only full chunks have a window); the positions are below
            // `WINDOW` = 16, the indices `vpermt2pd` takes from two registers.
            unsafe {
                debug_assert!(base + WINDOW <= src.len() && k + LANES <= dst.len());
                let lo = _mm512_loadu_pd(src.as_ptr().add(base));
                let hi = _mm512_loadu_pd(src.as_ptr().add(base + LANES));
                let ip = _mm512_cvtepu8_epi64(_mm_loadl_epi64(p.as_ptr().cast::<__m128i>()));
                let iq = _mm512_cvtepu8_epi64(_mm_loadl_epi64(q.as_ptr().cast::<__m128i>()));
                let first = _mm512_permutex2var_pd(lo, ip, hi);
                let second = _mm512_permutex2var_pd(lo, iq, hi);
                let a0 = _mm512_loadu_pd(w.a0.as_ptr().add(k));
                let a1 = _mm512_loadu_pd(w.a1.as_ptr().add(k));
                let out = _mm512_add_pd(_mm512_mul_pd(first, a0), _mm512_mul_pd(second, a1));
                _mm512_storeu_pd(dst.as_mut_ptr().add(k).cast::<f64>(), out);
            }
        }
        let done = w.base.len() * LANES;
        w.scalar(src, dst, done, dst.len());
    }
}
