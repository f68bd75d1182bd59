//! `Resize` of float32, uint16 and int16 images of 1, 3 or 4 channels (more than one row and column)
//! as `cv2.resize` computes them with `INTER_LINEAR` in DeepTrack2's OpenCV, whose build hands these
//! to Intel IPP's linear resize: the pixel-centre coordinates `(d + 0.5) · (n / m) - 0.5` in double
//! precision and their fractions `t` rounded to single precision (a fraction that rounds to 1 stays
//! 1); each source row resized along the columns as `fma(t, s1 - s0, s0)` in single precision, then
//! each output sample blended from two such rows as `fma(t, r1 - r0, r0)`, and written in the
//! input's type (integers rounded to nearest, ties to even, and saturated). In float32 images of 3
//! or 4 channels, IPP blends the edge pixels clamped to the first or last source pixel two at a time
//! without the fused multiply-add (`EdgePairs`). In int16 images, IPP computes the border pixels
//! clamped along one axis only (not the corners, which copy a pixel) as the interpolation along
//! the other axis between source samples `a` and `b`, with the fraction `t` of that axis, by
//! rounding the step rather than the sum: `a + rint(t · (b - a))`, the product rounded to single
//! precision and then to nearest, ties to even (`Border16`; uint16 rounds the sum, as the inner
//! pixels do). Bit for bit for float32, uint16 and int16 (checked against cv2 by
//! tests/resize_narrow.rs) as IPP computes them on processors with AVX2 (its `l9` code); the
//! SSE4.2 code (`y8`, processors without AVX2) blends without the fused multiply-add (README).
//!
//! The source is read in its own type (in place), the rows resized along the columns are single
//! precision, and the output is written in its type directly: no float64 copy of either.

use std::mem::MaybeUninit;

use super::fixed::{output, too_large};
use crate::buffer;
use crate::error::Result;

/// A sample type resized in single precision.
pub(super) trait Sample: Copy + Send + Sync {
    /// The sample as float32 (exact for the three types).
    fn to_f32(self) -> f32;
    /// A float32 result in the type: as is, or rounded to nearest (ties to even) and saturated.
    fn from_f32(v: f32) -> Self;
    /// Which of the three types it is (for the AVX2 stores).
    const KIND: Kind;
    /// The sum of a 2 x 2 block as OpenCV's `INTER_AREA` fast path adds it, `((a + b) + c) + d`:
    /// in single precision for float32, exactly for the integers (at most 2^18 in magnitude).
    fn block_sum(block: [Self; 4]) -> f32;
}

/// The three sample types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// float32.
    F32,
    /// uint16.
    U16,
    /// int16.
    I16,
}

impl Sample for f32 {
    const KIND: Kind = Kind::F32;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v
    }
    fn block_sum([a, b, c, d]: [f32; 4]) -> f32 {
        ((a + b) + c) + d
    }
}

impl Sample for u16 {
    const KIND: Kind = Kind::U16;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        // `as` saturates (a rounding of a convex combination may leave the range by a hair).
        v.round_ties_even() as u16
    }
    fn block_sum(block: [u16; 4]) -> f32 {
        block.iter().map(|&v| i32::from(v)).sum::<i32>() as f32
    }
}

impl Sample for i16 {
    const KIND: Kind = Kind::I16;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v.round_ties_even() as i16
    }
    fn block_sum(block: [i16; 4]) -> f32 {
        block.iter().map(|&v| i32::from(v)).sum::<i32>() as f32
    }
}

/// Whether an image of `(rows, cols, channels)` takes this path (IPP's: 1, 3 or 4 channels, more
/// than one row and column).
pub(super) fn applies((rows, cols, channels): (usize, usize, usize)) -> bool {
    rows > 1 && cols > 1 && matches!(channels, 1 | 3 | 4)
}

/// The taps of IPP's linear resize of an axis of `n` samples to `m`: the pixel-centre coordinate
/// `(d + 0.5) · (n / m) - 0.5` in double precision (IPP's scale is `n / m`, not OpenCV's
/// `1 / (m / n)`: the two differ in the last bit, which decides the pixel when the exact coordinate
/// is a whole number), its fraction rounded to single precision (which may round to 1: the blend
/// then takes `fma(1, b - a, a)`, as IPP does). Along the columns a coordinate before the first
/// pixel or at or after the last is clamped to it with fraction 0; along the rows (`rows`) only the
/// pixel indices are clamped. Each tap is `(i0, i1, t)`.
fn ipp_taps(n: usize, m: usize, rows: bool) -> Result<Vec<(usize, usize, f32)>> {
    let last = n as i64 - 1;
    let mut out = buffer::try_vec(m).ok_or_else(|| too_large("the taps"))?;
    out.extend((0..m).map(|d| {
        let f = coordinate(d, n, m);
        let s = f.floor();
        let (mut i, mut t) = (s as i64, (f - s) as f32);
        if !rows && (i < 0 || i >= last) {
            (i, t) = (i.clamp(0, last), 0.0);
        }
        (i.clamp(0, last) as usize, (i + 1).clamp(0, last) as usize, t)
    }));
    Ok(out)
}

/// The source coordinate of the centre of output pixel `d` of an axis of `n` samples resized to `m`,
/// as IPP computes it (see [`ipp_taps`]).
fn coordinate(d: usize, n: usize, m: usize) -> f64 {
    (d as f64 + 0.5) * (n as f64 / m as f64) - 0.5
}

/// The output pixels of a row whose float32 samples IPP blends from the two rows without a fused
/// multiply-add (`p + t · (q - p)`, two roundings) in images of 3 or 4 channels: the edge pixels
/// clamped to the first source pixel, and those clamped to the last, taken two at a time from the
/// first of each run (an odd one left at the run's end takes the fused blend, as the inner pixels
/// do); of 3 channels, only the first two samples of each such pixel (the third is fused). The
/// ranges are of pixels; `samples` is the number of samples of each pixel concerned (0: none).
#[derive(Clone, Copy)]
struct EdgePairs {
    runs: [(usize, usize); 2],
    samples: usize,
}

impl EdgePairs {
    /// The pairs of a row of `cols` pixels of `channels` samples resized to `w` pixels.
    fn new(cols: usize, w: usize, channels: usize) -> EdgePairs {
        let samples = match channels {
            3 => 2,
            4 => 4,
            _ => 0,
        };
        // The coordinates increase with the pixel: the edge pixels are a run at each end.
        let left = (0..w).take_while(|&d| coordinate(d, cols, w) < 0.0).count();
        let right = (0..w).rev().take_while(|&d| coordinate(d, cols, w).floor() >= (cols - 1) as f64).count();
        let start = w - right;
        EdgePairs { runs: [(0, left / 2 * 2), (start, start + right / 2 * 2)], samples }
    }

    /// The samples of the pairs in `dst` (a row of `channels`-sample pixels, float32) blended again
    /// from the rows `p` and `q` without a fused multiply-add.
    fn reblend<T: Sample>(&self, p: &[f32], q: &[f32], t: f32, channels: usize, dst: &mut [MaybeUninit<T>]) {
        if self.samples == 0 || T::KIND != Kind::F32 {
            return;
        }
        for &(from, to) in &self.runs {
            for pixel in from..to {
                for k in pixel * channels..pixel * channels + self.samples {
                    // Two roundings: the product, then the sum (Rust does not contract them).
                    dst[k].write(T::from_f32(p[k] + t * (q[k] - p[k])));
                }
            }
        }
    }
}

/// The border pixels of an int16 image clamped along one axis only, as IPP's 16-bit signed code
/// computes them: the interpolation from `a` toward `b` with fraction `t` along the other axis as
/// `a + rint(t · (b - a))` (the product rounded to single precision, then to nearest, ties to even),
/// where the inner pixels round the blended sum. Measured against cv2 (see the module's
/// documentation): for `a = 8753, b = 6137, t = 1/16` IPP gives `8753 + rint(-163.5) = 8589`, where
/// the sum `8589.5` rounds to `8590`.
struct Border16;

impl Border16 {
    /// Whether images of samples `T` have these border pixels (int16's).
    fn applies<T: Sample>() -> bool {
        T::KIND == Kind::I16
    }

    /// The step from `a` to `b` at fraction `t`, rounded, added to `a` (exact in single precision:
    /// integers of at most 2^16 in magnitude).
    #[inline(always)]
    fn step<T: Sample>(a: T, b: T, t: f32) -> T {
        let (a, b) = (a.to_f32(), b.to_f32());
        // Two roundings: the product to single precision (Rust does not contract it with the sum),
        // then to an integer. Between `a` and `b`, so in the type's range.
        T::from_f32(a + (t * (b - a)).round_ties_even())
    }

    /// An output row whose source rows are both `src` (clamped to the first or last row), resized
    /// along the columns into `dst` (every sample written): a step along the row for the inner
    /// columns (the clamped columns before `left` have fraction 0, which gives the first pixel), the
    /// last pixel from `inner` on.
    fn clamped_row<T: Sample>(columns: &Columns, src: &[T], channels: usize, dst: &mut [MaybeUninit<T>]) {
        let inner = columns.inner;
        let taps = columns.offsets.iter().zip(&columns.t);
        for (o, (&i, &t)) in dst[..inner].iter_mut().zip(taps) {
            // Before `inner` a tap's pixel has a next one in the row (`Columns::new`).
            let i = i as usize;
            o.write(Self::step(src[i], src[i + channels], t));
        }
        let last = &src[src.len() - channels..];
        for (k, o) in dst.iter_mut().enumerate().skip(inner) {
            o.write(last[k % channels]);
        }
    }

    /// The samples of an inner output row (blended from source rows `p` and `q` with fraction `t`)
    /// whose columns are clamped to the first or last pixel, in `dst` (already written), as steps
    /// from `p` to `q`.
    fn clamped_columns<T: Sample>(columns: &Columns, (p, q): (&[T], &[T]), t: f32, dst: &mut [MaybeUninit<T>]) {
        let clamped = (0..columns.left).chain(columns.inner..dst.len());
        for k in clamped {
            let i = columns.offsets[k] as usize;
            dst[k].write(Self::step(p[i], q[i], t));
        }
    }
}

/// Output samples per chunk of the AVX2 column pass: one register of f32.
const LANES: usize = 8;

/// Source samples per window of a chunk: two registers.
const WINDOW: usize = 16;

/// The window of a chunk whose samples do not fit one (gathered instead).
const GATHER: u32 = u32::MAX;

/// The column taps by output sample (channels included): the offset of the first source sample
/// (the second is one pixel on) and the fraction `t`; the samples before `left` read only the row's
/// first pixel (fraction 0), those from `inner` on only its last. Per chunk of [`LANES`] samples before `inner`: the offset of the window of
/// [`WINDOW`] source samples that holds both samples of each (or [`GATHER`]), and the positions of
/// the first samples in it.
struct Columns {
    offsets: Vec<i32>,
    t: Vec<f32>,
    left: usize,
    inner: usize,
    bases: Vec<u32>,
    positions: Vec<[i32; LANES]>,
}

impl Columns {
    /// The taps of a row of `cols` pixels of `channels` samples resized to `w` pixels.
    fn new(cols: usize, w: usize, channels: usize) -> Result<Columns> {
        let xs = ipp_taps(cols, w, false)?;
        let n = w * channels;
        let fail = || too_large("the column taps");
        let mut offsets = buffer::try_vec(n).ok_or_else(fail)?;
        let mut t = buffer::try_vec(n).ok_or_else(fail)?;
        let pixels = xs.iter().position(|x| x.0 >= cols - 1).unwrap_or(xs.len());
        for &(i0, _, f) in &xs {
            for c in 0..channels {
                // Below the source row's length, which the image size limit keeps below 2^31.
                offsets.push((i0 * channels + c) as i32);
                t.push(f);
            }
        }
        let inner = pixels * channels;
        // The coordinates increase with the pixel: those before the first pixel are a run at the start.
        let left = (0..w).take_while(|&d| coordinate(d, cols, w) < 0.0).count() * channels;
        let src_len = cols * channels;
        let chunks = inner / LANES;
        let mut bases = buffer::try_vec(chunks).ok_or_else(fail)?;
        let mut positions = buffer::try_vec(chunks).ok_or_else(fail)?;
        for chunk in offsets[..chunks * LANES].chunks_exact(LANES) {
            let low = *chunk.iter().min().expect("a chunk") as usize;
            let high = *chunk.iter().max().expect("a chunk") as usize + channels;
            // The window starts at the lowest sample, or ends at the row's end.
            let start = low.min(src_len.saturating_sub(WINDOW));
            if src_len < WINDOW || high - start >= WINDOW {
                bases.push(GATHER);
                positions.push([0; LANES]);
            } else {
                bases.push(start as u32);
                positions.push(std::array::from_fn(|l| chunk[l] - start as i32));
            }
        }
        Ok(Columns { offsets, t, left, inner, bases, positions })
    }

    /// The source row `src` (float32) resized along the columns into `dst`, every sample written.
    fn resize_row(&self, src: &[f32], channels: usize, dst: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            // SAFETY: the processor has AVX2 and FMA (checked just above).
            return unsafe { avx2::resize_row(self, src, channels, dst) };
        }
        self.scalar(src, channels, 0, dst)
    }

    /// [`Self::resize_row`]'s samples from `from` on, one at a time.
    #[inline(always)]
    fn scalar(&self, src: &[f32], channels: usize, from: usize, dst: &mut [f32]) {
        assert!(dst.len() == self.offsets.len() && src.len() >= channels, "the taps fit the rows");
        let taps = self.offsets[..self.inner].iter().zip(&self.t).skip(from);
        for (o, (&i, &t)) in dst[..self.inner].iter_mut().skip(from).zip(taps) {
            let (a, b) = (src[i as usize], src[i as usize + channels]);
            *o = t.mul_add(b - a, a);
        }
        let last = &src[src.len() - channels..];
        for (k, o) in dst.iter_mut().enumerate().skip(self.inner.max(from)) {
            *o = last[k % channels];
        }
    }
}

/// Whether the processor has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// `x` (C order) of shape `(rows, cols, channels)` resized to `(h, w, channels)` in its type `T`
/// (see the module's documentation); `(rows, cols, channels)` is one that [`applies`].
pub(super) fn resize<T: Sample>(
    x: &[T],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
) -> Result<Vec<T>> {
    let (mut out, row_len, total) = output::<T>(h, w, channels)?;
    let columns = Columns::new(cols, w, channels)?;
    let pairs = EdgePairs::new(cols, w, channels);
    let ys = ipp_taps(rows, h, true)?;
    let src_len = cols * channels;
    let mut wide: Vec<f32> = buffer::try_vec(src_len).ok_or_else(|| too_large("a row"))?;
    wide.resize(src_len, 0.0);
    let zeroed = || -> Result<Vec<f32>> {
        let mut v = buffer::try_vec(row_len).ok_or_else(|| too_large("a row"))?;
        v.resize(row_len, 0.0);
        Ok(v)
    };
    // Source rows resized along the columns, two at a time (an output row reads two), each computed
    // once per run of output rows that reads it.
    let mut cache = [(usize::MAX, zeroed()?), (usize::MAX, zeroed()?)];
    let border = Border16::applies::<T>();
    let source = |r: usize| &x[r * src_len..(r + 1) * src_len];
    let spare = &mut out.spare_capacity_mut()[..total];
    for (dst, &(r0, r1, t)) in spare.chunks_exact_mut(row_len).zip(&ys) {
        if border && r0 == r1 {
            // A row clamped to the first or last source row (int16).
            Border16::clamped_row(&columns, source(r0), channels, dst);
            continue;
        }
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                widen(source(r), &mut wide);
                columns.resize_row(&wide, channels, &mut cache[slot].1);
                cache[slot].0 = r;
            }
        }
        let row = |r: usize| &cache.iter().find(|(k, _)| *k == r).expect("a cached row").1[..];
        blend(row(r0), row(r1), t, dst);
        pairs.reblend(row(r0), row(r1), t, channels, dst);
        if border {
            Border16::clamped_columns(&columns, (source(r0), source(r1)), t, dst);
        }
    }
    // SAFETY: every one of the first `total` samples was written: `spare` is cut into `h` rows of
    // `row_len` samples, one per row tap (`ys` has `h` taps), and `blend` or `Border16::clamped_row`
    // writes every sample of each.
    unsafe { out.set_len(total) };
    Ok(out)
}

/// The samples of `src` as float32, into `dst` (of the same length).
fn widen<T: Sample>(src: &[T], dst: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { avx2::widen(src, dst) };
    }
    widen_any(src, dst)
}

#[inline(always)]
fn widen_any<T: Sample>(src: &[T], dst: &mut [f32]) {
    for (o, &s) in dst.iter_mut().zip(src) {
        *o = s.to_f32();
    }
}

/// `dst[k] = T(fma(t, q[k] - p[k], p[k]))`: the blend of two resized rows.
fn blend<T: Sample>(p: &[f32], q: &[f32], t: f32, dst: &mut [MaybeUninit<T>]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { avx2::blend(p, q, t, dst) };
    }
    blend_any(p, q, t, dst)
}

#[inline(always)]
fn blend_any<T: Sample>(p: &[f32], q: &[f32], t: f32, dst: &mut [MaybeUninit<T>]) {
    let n = dst.len();
    for ((o, &a), &b) in dst.iter_mut().zip(&p[..n]).zip(&q[..n]) {
        o.write(T::from_f32(t.mul_add(b - a, a)));
    }
}

/// The kernels compiled for AVX2 and FMA (the same arithmetic: `mul_add` is one fused
/// multiply-add either way).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{Columns, GATHER, Kind, LANES, Sample};

    /// [`super::widen`] compiled for AVX2.
    ///
    /// # Safety
    /// The processor has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn widen<T: Sample>(src: &[T], dst: &mut [f32]) {
        super::widen_any(src, dst)
    }

    /// [`super::blend`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The processor has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn blend<T: Sample>(p: &[f32], q: &[f32], t: f32, dst: &mut [MaybeUninit<T>]) {
        let n = dst.len();
        assert!(p.len() >= n && q.len() >= n, "the rows fit the output");
        let full = n / 16 * 16;
        let tv = _mm256_set1_ps(t);
        let out = dst.as_mut_ptr().cast::<T>();
        for k in (0..full).step_by(16) {
            // SAFETY: `k + 16 <= n`, within `p`, `q` and `dst` (asserted above); `T` is the type
            // `T::KIND` names, so the stores write whole samples of it.
            unsafe {
                let lerp = |j: usize| {
                    let a = _mm256_loadu_ps(p.as_ptr().add(j));
                    let b = _mm256_loadu_ps(q.as_ptr().add(j));
                    _mm256_fmadd_ps(tv, _mm256_sub_ps(b, a), a)
                };
                let (x, y) = (lerp(k), lerp(k + 8));
                match T::KIND {
                    Kind::F32 => {
                        _mm256_storeu_ps(out.add(k).cast(), x);
                        _mm256_storeu_ps(out.add(k + 8).cast(), y);
                    }
                    Kind::U16 | Kind::I16 => {
                        // Rounded to nearest, ties to even (the default rounding of `vcvtps2dq`),
                        // then packed with saturation, each 128-bit half holding four of each.
                        let (x, y) = (_mm256_cvtps_epi32(x), _mm256_cvtps_epi32(y));
                        let packed =
                            if T::KIND == Kind::U16 { _mm256_packus_epi32(x, y) } else { _mm256_packs_epi32(x, y) };
                        let ordered = _mm256_permute4x64_epi64::<0b11_01_10_00>(packed);
                        _mm256_storeu_si256(out.add(k).cast(), ordered);
                    }
                }
            }
        }
        super::blend_any(&p[full..], &q[full..], t, &mut dst[full..])
    }

    /// [`Columns::resize_row`] eight samples at a time: where a chunk's samples lie in a window of
    /// sixteen, two loads and four permutes (`vpermps`) fetch them, else two gathers; then a fused
    /// multiply-add.
    ///
    /// # Safety
    /// The processor has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn resize_row(c: &Columns, src: &[f32], channels: usize, dst: &mut [f32]) {
        assert!(
            dst.len() == c.offsets.len() && c.bases.len() * LANES <= c.inner && c.inner <= dst.len(),
            "the taps fit the rows"
        );
        let ch = _mm256_set1_epi32(channels as i32);
        let seven = _mm256_set1_epi32(7);
        for (n, (&base, pos)) in c.bases.iter().zip(&c.positions).enumerate() {
            let k = n * LANES;
            // SAFETY: `k + LANES <= inner <= dst.len()`, the length of the offsets and fractions (the
            // chunks lie before `inner`, asserted above). A window's `base + WINDOW <= src.len()` and
            // its positions plus `channels` are below `WINDOW` (`Columns::new`); `vpermps` reads the
            // low three bits of a position, and the blend takes the second register's sample for
            // positions from 8 on. Each offset before `inner` is that of a pixel before the row's
            // last, so it and the offset one pixel on are within `src` (a row of `cols · channels`).
            unsafe {
                let (a, b) = if base == GATHER {
                    let i = _mm256_loadu_si256(c.offsets.as_ptr().add(k).cast());
                    let a = _mm256_i32gather_ps::<4>(src.as_ptr(), i);
                    (a, _mm256_i32gather_ps::<4>(src.as_ptr(), _mm256_add_epi32(i, ch)))
                } else {
                    let lo = _mm256_loadu_ps(src.as_ptr().add(base as usize));
                    let hi = _mm256_loadu_ps(src.as_ptr().add(base as usize + LANES));
                    let p = _mm256_loadu_si256(pos.as_ptr().cast());
                    let q = _mm256_add_epi32(p, ch);
                    let fetch = |i: __m256i| {
                        let upper = _mm256_castsi256_ps(_mm256_cmpgt_epi32(i, seven));
                        _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, i), _mm256_permutevar8x32_ps(hi, i), upper)
                    };
                    (fetch(p), fetch(q))
                };
                let t = _mm256_loadu_ps(c.t.as_ptr().add(k));
                _mm256_storeu_ps(dst.as_mut_ptr().add(k), _mm256_fmadd_ps(t, _mm256_sub_ps(b, a), a));
            }
        }
        c.scalar(src, channels, c.bases.len() * LANES, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible row of `n` samples with a few extremes.
    fn row(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 11.0 + if i % 97 == 0 { 6e4 } else { 0.0 }).collect()
    }

    #[test]
    fn the_edge_pairs_are_the_first_even_run_of_each_end() {
        // 3 -> 18 columns: coordinates (d + 0.5) / 6 - 0.5, below 0 for d < 3 and at or after 2 for
        // d >= 15: three edge pixels at each end, of which the first two are a pair.
        let pairs = EdgePairs::new(3, 18, 3);
        assert_eq!((pairs.runs, pairs.samples), ([(0, 2), (15, 17)], 2));
        // 2 -> 19 columns, 4 channels: five at each end (d < 5, d >= 14), four of them in pairs.
        let pairs = EdgePairs::new(2, 19, 4);
        assert_eq!((pairs.runs, pairs.samples), ([(0, 4), (14, 18)], 4));
        // One channel: no pairs; shrinking by over 2: no edge pixel at all.
        assert_eq!(EdgePairs::new(3, 18, 1).samples, 0);
        assert_eq!(EdgePairs::new(40, 17, 3).runs, [(0, 0), (17, 17)]);
    }

    #[test]
    fn the_clamped_columns_are_a_run_at_each_end() {
        // 3 -> 18 columns of 3 channels: pixels 0 to 2 before the first source pixel, 15 to 17 at or
        // after the last; 5 -> 10 columns with the same width: none before, the last one after.
        let columns = Columns::new(3, 18, 3).unwrap();
        assert_eq!((columns.left, columns.inner), (9, 45));
        let same = Columns::new(10, 10, 1).unwrap();
        assert_eq!((same.left, same.inner), (0, 9));
        // Shrinking: none.
        let shrunk = Columns::new(40, 17, 1).unwrap();
        assert_eq!((shrunk.left, shrunk.inner), (0, 17));
    }

    #[test]
    fn an_int16_border_step_is_rounded_before_it_is_added() {
        // 8753 toward 6137 at 1/16: the step -163.5 rounds to -164 (8589), where the sum 8589.5
        // would round to 8590; uint16 has no such pixels.
        assert_eq!(Border16::step(8753i16, 6137, 0.0625), 8589);
        // Across the whole range: -32768 + rint(0.75 · 65535 = 49151.25).
        assert_eq!(Border16::step(-32768i16, 32767, 0.75), 16383);
        assert!(Border16::applies::<i16>() && !Border16::applies::<u16>() && !Border16::applies::<f32>());
    }

    #[test]
    fn a_fraction_that_rounds_to_one_stays_one() {
        // 13 -> 45 rows: row 22's coordinate is 6 exactly, which (d + 0.5) · (13 / 45) - 0.5 puts a
        // hair below; its fraction rounds to 1 in single precision and is kept (IPP blends rows 5
        // and 6 with t = 1).
        let ys = ipp_taps(13, 45, true).unwrap();
        assert_eq!(ys[22], (5, 6, 1.0));
    }

    #[test]
    fn the_vector_column_pass_has_the_bits_of_the_scalar_one() {
        // Enlarging, shrinking by under and over 2 (windows and gathers), 1, 3 and 4 channels, rows
        // shorter than a window.
        for (cols, w, ch) in
            [(64, 150, 1), (64, 45, 1), (64, 32, 1), (200, 37, 1), (33, 70, 3), (33, 20, 3), (20, 9, 4), (5, 13, 1)]
        {
            let columns = Columns::new(cols, w, ch).unwrap();
            let src = row(cols * ch);
            let (mut a, mut b) = (vec![0.0; w * ch], vec![1.0; w * ch]);
            columns.resize_row(&src, ch, &mut a);
            columns.scalar(&src, ch, 0, &mut b);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "{cols} -> {w} x {ch}");
        }
    }

    #[test]
    fn the_vector_blend_has_the_bits_of_the_scalar_one() {
        fn check<T: Sample + PartialEq + std::fmt::Debug>(scale: f32) {
            let n = 77;
            let p: Vec<f32> = row(n).iter().map(|v| v * scale).collect();
            let q: Vec<f32> = row(n + 5)[5..].iter().map(|v| v * scale).collect();
            for t in [0.0, 0.25, 0.5, 0.3137, 0.999] {
                let (mut a, mut b) = (vec![MaybeUninit::<T>::uninit(); n], vec![MaybeUninit::<T>::uninit(); n]);
                blend(&p, &q, t, &mut a);
                blend_any(&p, &q, t, &mut b);
                // SAFETY: both blends write every sample.
                let (a, b): (Vec<T>, Vec<T>) = unsafe {
                    (a.iter().map(|v| v.assume_init()).collect(), b.iter().map(|v| v.assume_init()).collect())
                };
                assert_eq!(a, b, "t = {t}");
            }
        }
        check::<f32>(1.0);
        // Beyond the types' ranges too: the vector packs saturate as the scalar casts do.
        check::<u16>(3.0);
        check::<i16>(-3.0);
    }
}
