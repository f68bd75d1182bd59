//! `Resize` of uint8 images as OpenCV's `cv2.resize` computes them with `INTER_LINEAR` (its generic
//! fixed-point path, bit for bit): the pixel-centre coordinates and weights in single precision (for
//! every number of channels), the weights as 11-bit integers (`cvRound(w · 2^11)`); each source row
//! resized along the columns (`HResizeLinear`: `s0 · a0 + s1 · a1`, kept as `>> 4`, 16 bits), then each
//! output sample blended from two such rows as OpenCV's `VResizeLinear` for uchar does with 16-bit
//! lanes: `((b0 · p) >> 16) + ((b1 · q) >> 16) + 2) >> 2`, saturated to 0..255.
//!
//! The passes have a portable form (here) and an AVX2 one (`fixed_avx2.rs`) with the same bits.

use std::mem::MaybeUninit;

use super::taps;
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};

/// A weight as OpenCV's fixed-point `short`: `cvRound(weight · 2^11)` (`INTER_RESIZE_COEF_SCALE`).
/// The weights are in 0..=1, so the result is in 0..=2048.
pub(super) fn fixed(weight: f64) -> i16 {
    (weight * 2048.0).round_ties_even() as i16
}

/// The error of a buffer of `what` too large to allocate.
pub(super) fn too_large(what: &str) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {what} of a resize"))
}

/// An empty output with room for `h` rows of `w` pixels of `channels` samples, with the length of a
/// row and the whole length: OutOfMemory naming the output when those cannot be counted or allocated.
pub(super) fn output<T>(h: usize, w: usize, channels: usize) -> Result<(Vec<T>, usize, usize)> {
    let row_len = w.checked_mul(channels).ok_or_else(|| too_large("the output"))?;
    let total = row_len.checked_mul(h).ok_or_else(|| too_large("the output"))?;
    let out = buffer::try_vec(total).ok_or_else(|| too_large("the output"))?;
    Ok((out, row_len, total))
}

/// Per output sample of a row (channels included, in structure-of-arrays form): the offsets of its
/// two source samples in the source row, and their fixed-point weights (OpenCV's `xofs` and
/// `alpha`).
pub(super) struct Columns {
    pub(super) i0: Vec<u32>,
    pub(super) i1: Vec<u32>,
    pub(super) a0: Vec<i16>,
    pub(super) a1: Vec<i16>,
}

impl Columns {
    /// The columns of `taps` (pixel indices and weights, as [`taps`] gives them) for `channels`
    /// channels. The offsets are below the source row's length, which the image's size limit keeps
    /// below 2^31.
    pub(super) fn new(taps: &[(usize, usize, f64, f64)], channels: usize) -> Result<Columns> {
        let n = taps.len().checked_mul(channels).ok_or_else(|| too_large("the column taps"))?;
        fn alloc<T>(n: usize) -> Result<Vec<T>> {
            buffer::try_vec(n).ok_or_else(|| too_large("the column taps"))
        }
        let mut c = Columns { i0: alloc(n)?, i1: alloc(n)?, a0: alloc(n)?, a1: alloc(n)? };
        for &(i0, i1, w0, w1) in taps {
            let (w0, w1) = (fixed(w0), fixed(w1));
            for k in 0..channels {
                c.i0.push((i0 * channels + k) as u32);
                c.i1.push((i1 * channels + k) as u32);
                c.a0.push(w0);
                c.a1.push(w1);
            }
        }
        Ok(c)
    }

    /// Output samples per row.
    pub(super) fn len(&self) -> usize {
        self.i0.len()
    }

    /// The output samples `from..to` of the source row `src` resized along the columns, into the
    /// same samples of `dst` (OpenCV's `HResizeLinear`, kept as `>> 4`: at most 255 · 2^12 / 2^4, an
    /// i16).
    #[inline(always)]
    pub(super) fn scalar(&self, src: &[u8], from: usize, to: usize, dst: &mut [i16]) {
        let (i0, i1, a0, a1) = (&self.i0[from..to], &self.i1[from..to], &self.a0[from..to], &self.a1[from..to]);
        for ((((o, &i0), &i1), &a0), &a1) in dst[from..to].iter_mut().zip(i0).zip(i1).zip(a0).zip(a1) {
            let p = i32::from(src[i0 as usize]) * i32::from(a0) + i32::from(src[i1 as usize]) * i32::from(a1);
            *o = (p >> 4) as i16;
        }
    }
}

/// The blend of two resized rows `p` and `q` with the fixed-point weights `b0`, `b1` into `dst`
/// (OpenCV's `VResizeLinear` for uchar: `mulhi`s, a rounding of 2 and a shift of 2, saturated).
#[inline(always)]
pub(super) fn blend_scalar(p: &[i16], q: &[i16], (b0, b1): (i16, i16), dst: &mut [MaybeUninit<u8>]) {
    let (b0, b1) = (i32::from(b0), i32::from(b1));
    for ((o, &p), &q) in dst.iter_mut().zip(p).zip(q) {
        let v = (((b0 * i32::from(p)) >> 16) + ((b1 * i32::from(q)) >> 16) + 2) >> 2;
        o.write(v.clamp(0, 255) as u8);
    }
}

/// The kernels of the two passes: the AVX2 ones, or the portable ones (the same bits).
pub(super) enum Kernels {
    /// The portable passes.
    Scalar,
    /// The AVX2 passes, with their shuffle tables.
    #[cfg(target_arch = "x86_64")]
    Avx2(super::fixed_avx2::Units),
}

impl Kernels {
    /// The kernels for `columns` on rows of `src_len` samples: AVX2's where `simd` and the processor
    /// has AVX2.
    fn new(columns: &Columns, src_len: usize, simd: bool) -> Result<Kernels> {
        #[cfg(target_arch = "x86_64")]
        if simd && std::arch::is_x86_feature_detected!("avx2") {
            return Ok(Kernels::Avx2(super::fixed_avx2::Units::new(columns, src_len)?));
        }
        let _ = (columns, src_len, simd);
        Ok(Kernels::Scalar)
    }

    /// The source row `src` resized along the columns into `dst` (every sample written).
    fn row(&self, src: &[u8], columns: &Columns, dst: &mut [i16]) {
        match self {
            Kernels::Scalar => columns.scalar(src, 0, dst.len(), dst),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(units) => units.row(src, columns, dst),
        }
    }

    /// [`blend_scalar`], with AVX2 where the kernels are AVX2's.
    fn blend(&self, p: &[i16], q: &[i16], weights: (i16, i16), dst: &mut [MaybeUninit<u8>]) {
        match self {
            Kernels::Scalar => blend_scalar(p, q, weights, dst),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(_) => super::fixed_avx2::blend(p, q, weights, dst),
        }
    }
}

/// `x` (uint8 samples, C order) of shape `(rows, cols, channels)` resized to `(h, w, channels)` by
/// OpenCV's fixed-point `INTER_LINEAR` (see the module); with the AVX2 kernels where `simd` and the
/// processor has AVX2, else the portable ones (the same bits).
pub(super) fn resize(
    x: &[u8],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
    simd: bool,
) -> Result<Vec<u8>> {
    let (mut out, row_len, total) = output::<u8>(h, w, channels)?;
    // OpenCV's generic path computes the coordinates of uint8 images in single precision.
    let (xs, ys) = (taps(cols, w, false, true)?, taps(rows, h, true, true)?);
    let columns = Columns::new(&xs, channels)?;
    let src_len = cols * channels;
    let kernels = Kernels::new(&columns, src_len, simd)?;
    // The two source rows an output row reads, resized along the columns (OpenCV's ring of rows).
    let zeros = || -> Result<Vec<i16>> {
        let mut v = buffer::try_vec(row_len).ok_or_else(|| too_large("a resized row"))?;
        v.resize(row_len, 0);
        Ok(v)
    };
    let mut cache: [(usize, Vec<i16>); 2] = [(usize::MAX, zeros()?), (usize::MAX, zeros()?)];
    let spare = &mut out.spare_capacity_mut()[..total];
    for (dst, &(r0, r1, b0, b1)) in spare.chunks_exact_mut(row_len.max(1)).zip(&ys) {
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                kernels.row(&x[r * src_len..(r + 1) * src_len], &columns, &mut cache[slot].1);
                cache[slot].0 = r;
            }
        }
        let row = |r: usize| &cache.iter().find(|(k, _)| *k == r).expect("a cached row").1[..];
        kernels.blend(row(r0), row(r1), (fixed(b0), fixed(b1)), dst);
    }
    // SAFETY: every one of the first `total` samples was written: `spare` is cut into `h` rows of
    // `row_len` samples (`ys` has `h` taps; no row when `row_len` is 0), and `blend` writes every
    // sample of the row it is given.
    unsafe { out.set_len(total) };
    Ok(out)
}
