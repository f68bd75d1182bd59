//! `Resize(dsize=(256, 256))` (DeepTrack2's `math` module): OpenCV's `cv2.resize(image, dsize)`
//! with its default `INTER_LINEAR`, natively. `dsize` is (width, height), OpenCV's order; the output
//! is `(height, width)` for a 2-d image or a 3-d one of one channel (OpenCV drops that axis), else
//! `(height, width, channels)`. OpenCV's conventions: pixel centres map as
//! `x_src = (x_dst + 0.5) · src / dst - 0.5` (in double precision for images of 1, 3 or 4 channels
//! and more than one row and column, in single precision for the others, as OpenCV 4.14 does), with a coordinate
//! before the first sample or after the last clamped to it (along the rows only the sample indices
//! are clamped); each output is the two-tap linear interpolation along the columns and along the
//! rows (in the order that is less work: the results differ from OpenCV's order by a rounding).
//! Positions are not moved (as in DeepTrack2). uint8 images follow OpenCV's own uint8 path bit for
//! bit (`narrow.rs`): single-precision coordinates for every channel count, fixed-point weights, and
//! its `INTER_AREA` fast path for an exact halving. float32, uint16 and int16 images follow the
//! single-precision arithmetic of DeepTrack2's OpenCV build, read and written in their type: Intel
//! IPP's for 1, 3 or 4 channels and more than one row and column (`single.rs`), OpenCV's generic
//! code for the others (`generic.rs`).

use std::mem::MaybeUninit;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

#[cfg(target_arch = "x86_64")]
mod columns_avx2;
mod fixed;
#[cfg(target_arch = "x86_64")]
mod fixed_avx2;
mod generic;
mod halve;
mod narrow;
mod single;
#[cfg(test)]
mod u8_tests;
mod windows;

use self::windows::Windows;
use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::typed_samples::TypedSamples;

/// The largest width or height of `Resize` (OpenCV's sizes are `int`s).
pub const MAX_SIZE: f64 = 2_147_483_647.0;

/// The most channels (OpenCV's `CV_CN_MAX`).
pub const MAX_CHANNELS: usize = 512;

/// The registry entry.
pub(crate) const RESIZE: KindSpec = KindSpec {
    name: "Resize",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resizes the first two axes to `dsize` = (width, height) by OpenCV's linear interpolation.",
    params: &[ParamSpec {
        min: 1.0,
        max: MAX_SIZE,
        ..ParamSpec::new(
            "dsize",
            ParamKind::Vector { min_len: 2, max_len: 2, whole: true },
            ParamDefault::Value(Const::IntTuple(&[256, 256])),
            "the output size (width, height), in pixels",
        )
    }],
    positional: &["dsize"],
    make: |_| Box::new(Resize),
};

/// The two source samples and their weights of each output sample along an axis of `n` samples
/// resized to `m`, as OpenCV's `INTER_LINEAR` computes them. Along the columns a coordinate outside
/// the samples is clamped to the edge with weights (1, 0); along the rows (`rows`) only the sample
/// indices are clamped, and the weights stay `(1 - t, t)` (in single precision their sum may differ
/// from 1 by a rounding, as in OpenCV). `single`: the coordinate and weights in single precision.
fn taps(n: usize, m: usize, rows: bool, single: bool) -> Result<Vec<(usize, usize, f64, f64)>> {
    let scale = 1.0 / (m as f64 / n as f64);
    let last = n as i64 - 1;
    let mut out = buffer::try_vec(m).ok_or_else(|| too_large(m))?;
    out.extend((0..m).map(|d| {
        let f = (d as f64 + 0.5) * scale - 0.5;
        // Single precision rounds the coordinate and both weights.
        let f = if single { f as f32 as f64 } else { f };
        let s = f.floor();
        let t = if single { (f - s) as f32 as f64 } else { f - s };
        let (mut i, mut t) = (s as i64, t);
        if !rows {
            if i < 0 {
                (i, t) = (0, 0.0);
            }
            if i >= last {
                (i, t) = (last, 0.0);
            }
        }
        let (i0, i1) = (i.clamp(0, last) as usize, (i + 1).clamp(0, last) as usize);
        let w0 = if single { (1.0f32 - t as f32) as f64 } else { 1.0 - t };
        (i0, i1, w0, t)
    }));
    Ok(out)
}

/// The taps of [`taps`] along the columns of an image of `C` channels, compactly (OpenCV's `xofs`
/// and `alpha`: 24 bytes a tap, which for a wide row keeps them in the L1 cache with the row): the
/// offset of the first sample (its pixel's index times the channels) and the two weights. The second
/// sample is the next pixel's, except for the taps at the end clamped to the last pixel (`i0 ==
/// last`, second weight 0), which are kept apart.
struct Columns {
    offsets: Vec<usize>,
    weights: Vec<[f64; 2]>,
    /// The taps from `inner` on read only the last pixel (with weights (1, 0)).
    inner: usize,
    /// The index of the last pixel of a row.
    last: usize,
    /// Samples per pixel.
    channels: usize,
}

impl Columns {
    /// The taps of a row of `cols` pixels of `channels` samples.
    fn new(taps: &[(usize, usize, f64, f64)], cols: usize, channels: usize) -> Result<Columns> {
        let last = cols - 1;
        let inner = taps.iter().position(|t| t.0 >= last).unwrap_or(taps.len());
        let mut offsets = buffer::try_vec(taps.len()).ok_or_else(|| too_large(taps.len()))?;
        let mut weights = buffer::try_vec(taps.len()).ok_or_else(|| too_large(taps.len()))?;
        offsets.extend(taps.iter().map(|t| t.0 * channels));
        weights.extend(taps.iter().map(|t| [t.2, t.3]));
        Ok(Columns { offsets, weights, inner, last, channels })
    }

    /// One source row, `src`, resized along the columns into `dst` (one pixel per tap):
    /// `src[i0] * a0 + src[i0 + 1] * a1` for each channel, as OpenCV's `HResizeLinear` computes it.
    /// Every sample of `dst` is written.
    fn resize_row(&self, src: &[f64], dst: &mut [MaybeUninit<f64>]) {
        match self.channels {
            1 => self.resize_row_of::<1>(src, dst),
            3 => self.resize_row_of::<3>(src, dst),
            4 => self.resize_row_of::<4>(src, dst),
            _ => self.resize_row_any(src, dst),
        }
    }

    /// Two source rows resized along the columns, `a` into `da` and `b` into `db`, as
    /// [`Self::resize_row`] gives them; one channel with AVX2 shares each tap's loads between them.
    fn resize_two_rows(&self, (a, b): (&[f64], &[f64]), (da, db): (&mut [MaybeUninit<f64>], &mut [MaybeUninit<f64>])) {
        #[cfg(target_arch = "x86_64")]
        if self.channels == 1 && std::arch::is_x86_feature_detected!("avx2") {
            let samples = self.last + 1;
            assert!(a.len() == samples && b.len() == samples && da.len() == self.offsets.len() && db.len() == da.len());
            let ((head_a, tail_a), (head_b, tail_b)) = (da.split_at_mut(self.inner), db.split_at_mut(self.inner));
            // SAFETY: the processor has AVX2 (checked just above); the heads have `inner` samples and
            // the tables `inner` taps or more, each of whose pixel index is below `last`, so its
            // second sample is in both rows (`last + 1` samples each, asserted above).
            unsafe { columns_avx2::pairs_two(&self.offsets, &self.weights, (a, b), (head_a, head_b)) };
            self.clamped_tail::<1>(a, tail_a);
            return self.clamped_tail::<1>(b, tail_b);
        }
        self.resize_row(a, da);
        self.resize_row(b, db);
    }

    /// [`Self::resize_row`] for `C` channels, known at compile time (the inner loop unrolled).
    #[inline(always)]
    fn resize_row_of<const C: usize>(&self, src: &[f64], dst: &mut [MaybeUninit<f64>]) {
        assert!(
            C == self.channels && dst.len() == self.offsets.len() * C && src.len() == (self.last + 1) * C,
            "the taps fit the rows"
        );
        let (head, tail) = dst.split_at_mut(self.inner * C);
        #[cfg(target_arch = "x86_64")]
        if C == 1 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked just above); `head` has `inner` samples (one
            // channel) and the tables `inner` taps or more, each of whose pixel index is below `last`
            // (see below), so its second sample, index + 1, is in `src` (`last + 1` samples).
            unsafe { columns_avx2::pairs(&self.offsets, &self.weights, src, head) };
            return self.clamped_tail::<C>(src, tail);
        }
        let taps = self.offsets[..self.inner].iter().zip(&self.weights[..self.inner]);
        for (o, (&i, &[a0, a1])) in head.chunks_exact_mut(C).zip(taps) {
            for c in 0..C {
                // SAFETY: the taps before `inner` have a pixel index below `last` (`taps` clamps every
                // index to at most `last`, and `inner` is the first tap at `last`), so `i = index · C`
                // and `i + C + c` (`c < C`) are below `(last + 1) · C`, the length of `src` (asserted
                // above); `o` has `C` samples (`chunks_exact_mut(C)`).
                unsafe {
                    let (p, q) = (*src.get_unchecked(i + c), *src.get_unchecked(i + C + c));
                    o.get_unchecked_mut(c).write(p * a0 + q * a1);
                }
            }
        }
        self.clamped_tail::<C>(src, tail);
    }

    /// The taps from `inner` on (clamped to the last pixel), into `tail`, one pixel each.
    #[inline(always)]
    fn clamped_tail<const C: usize>(&self, src: &[f64], tail: &mut [MaybeUninit<f64>]) {
        let end = &src[self.last * C..];
        for (o, &[a0, a1]) in tail.chunks_exact_mut(C).zip(&self.weights[self.inner..]) {
            for (o, &p) in o.iter_mut().zip(end) {
                o.write(p * a0 + p * a1);
            }
        }
    }

    /// [`Self::resize_row`] for any number of channels.
    fn resize_row_any(&self, src: &[f64], dst: &mut [MaybeUninit<f64>]) {
        let ch = self.channels;
        assert!(dst.len() == self.offsets.len() * ch && src.len() == (self.last + 1) * ch, "the taps fit the rows");
        for (k, (o, &[a0, a1])) in dst.chunks_exact_mut(ch).zip(&self.weights).enumerate() {
            let i = self.offsets[k];
            let j = if k < self.inner { i + ch } else { i };
            for ((o, &p), &q) in o.iter_mut().zip(&src[i..i + ch]).zip(&src[j..j + ch]) {
                o.write(p * a0 + q * a1);
            }
        }
    }
}

/// The column pass of a resize.
enum ColumnPass {
    Windows(Windows),
    Columns(Columns),
}

/// The error of a table of `count` taps too large to allocate.
fn too_large(count: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the {count} taps of a resize"))
}

/// `dst[i] = s0[i] * b0 + s1[i] * b1`: OpenCV's `VResizeLinear`, one pass over contiguous rows
/// (compiled for AVX2 where the processor has it).
fn blend(s0: &[f64], s1: &[f64], weights: (f64, f64), dst: &mut [MaybeUninit<f64>]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { blend_avx2(s0, s1, weights, dst) };
    }
    blend_any(s0, s1, weights, dst)
}

/// [`blend`] compiled for AVX2.
///
/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn blend_avx2(s0: &[f64], s1: &[f64], weights: (f64, f64), dst: &mut [MaybeUninit<f64>]) {
    blend_any(s0, s1, weights, dst)
}

#[inline(always)]
fn blend_any(s0: &[f64], s1: &[f64], (b0, b1): (f64, f64), dst: &mut [MaybeUninit<f64>]) {
    let n = dst.len();
    let (s0, s1) = (&s0[..n], &s1[..n]);
    for ((o, &p), &q) in dst.iter_mut().zip(s0).zip(s1) {
        o.write(p * b0 + q * b1);
    }
}

/// `slice` as a slice of possibly uninitialised samples, to be overwritten.
fn as_uninit(slice: &mut [f64]) -> &mut [MaybeUninit<f64>] {
    // SAFETY: `MaybeUninit<f64>` has the layout of `f64`, and the callers only write initialised
    // values through the result (`MaybeUninit::write`), so `slice` stays initialised.
    unsafe { std::slice::from_raw_parts_mut(slice.as_mut_ptr().cast::<MaybeUninit<f64>>(), slice.len()) }
}

/// `x` of shape `(rows, cols, channels)` (C order) resized to `(h, w, channels)`.
///
/// The interpolation is separable, so the two passes may run in either order (the same weights; the
/// result differs by a rounding): OpenCV's order (each source row resized along the columns once,
/// then each output row blended from two of them) when that is less work, as when enlarging;
/// otherwise (shrinking the rows) each output row is blended from two source rows first, in one
/// contiguous pass, and only then resized along the columns, which resizes `h` rows instead of
/// about `rows`.
fn resize(x: &[f64], (rows, cols, channels): (usize, usize, usize), (h, w): (usize, usize)) -> Result<Vec<f64>> {
    let too_large =
        || Error::new(ErrorKind::OutOfMemory, format!("a resized image of {h} x {w} x {channels} is too large"));
    let row_len = w.checked_mul(channels).ok_or_else(too_large)?;
    let total = row_len.checked_mul(h).ok_or_else(too_large)?;
    if total == 0 {
        return Ok(Vec::new());
    }
    // The output first: the tables below are smaller.
    let mut out = buffer::with_capacity(total)?;
    // OpenCV 4.14 computes the weights in double precision for images of 1, 3 or 4 channels with more
    // than one row and column, in single precision for the others (as cv2.resize gives them).
    let single = rows == 1 || cols == 1 || !matches!(channels, 1 | 3 | 4);
    let (xs, ys) = (taps(cols, w, false, single)?, taps(rows, h, true, single)?);
    // The column pass: eight outputs at a time where the processor can (AVX-512), else one pixel at
    // a time.
    let pass = match Windows::new(&xs, channels, cols * channels)? {
        Some(windows) => ColumnPass::Windows(windows),
        None => ColumnPass::Columns(Columns::new(&xs, cols, channels)?),
    };
    let resize_row = |src: &[f64], dst: &mut [MaybeUninit<f64>]| match &pass {
        ColumnPass::Windows(windows) => windows.resize_row(src, dst),
        ColumnPass::Columns(columns) => columns.resize_row(src, dst),
    };
    let src_len = cols * channels;
    let source = |r: usize| &x[r * src_len..(r + 1) * src_len];
    let spare = &mut out.spare_capacity_mut()[..total];
    // The work of each order, in samples (a column tap, a gather, costs about two row blends): the
    // source rows read, each resized once, and the blends; or a blend of source rows per output row.
    let used = 1 + ys.iter().map(|t| t.1).max().unwrap_or(0) - ys.iter().map(|t| t.0).min().unwrap_or(0);
    let columns_first = used.saturating_mul(2 * w).saturating_add(h * w) < h.saturating_mul(cols + 2 * w);
    if columns_first {
        // Source rows resized along the columns (an output row reads two), each computed once per run
        // of output rows that reads it, row `r` kept in slot `r % 4`. A row missing is resized with
        // the next one when that is missing too and the output row after reads it (the row indices
        // never decrease): the one-channel pass then shares their taps' loads. The rows kept at once,
        // `r0`, `r1 ≤ r0 + 1` and perhaps `r1 + 1`, have distinct slots.
        let mut cache: [(usize, Vec<f64>); 4] = [
            (usize::MAX, buffer::zeroed(row_len)?),
            (usize::MAX, buffer::zeroed(row_len)?),
            (usize::MAX, buffer::zeroed(row_len)?),
            (usize::MAX, buffer::zeroed(row_len)?),
        ];
        for (k, (dst, &(r0, r1, b0, b1))) in spare.chunks_exact_mut(row_len).zip(&ys).enumerate() {
            for r in [r0, r1] {
                if cache[r % 4].0 == r {
                    continue;
                }
                let next = r + 1;
                let wanted = ys.get(k + 1).is_some_and(|t| t.0 == next || t.1 == next) || next == r1;
                match &pass {
                    ColumnPass::Columns(columns) if wanted && next < rows && cache[next % 4].0 != next => {
                        let (i, j) = (r % 4, next % 4);
                        let (low, high) = cache.split_at_mut(i.max(j));
                        let (a, b) = if i < j { (&mut low[i], &mut high[0]) } else { (&mut high[0], &mut low[j]) };
                        columns.resize_two_rows((source(r), source(next)), (as_uninit(&mut a.1), as_uninit(&mut b.1)));
                        (a.0, b.0) = (r, next);
                    }
                    _ => {
                        resize_row(source(r), as_uninit(&mut cache[r % 4].1));
                        cache[r % 4].0 = r;
                    }
                }
            }
            blend(&cache[r0 % 4].1, &cache[r1 % 4].1, (b0, b1), dst);
        }
    } else {
        let mut blended = buffer::zeroed(src_len)?;
        for (dst, &(r0, r1, b0, b1)) in spare.chunks_exact_mut(row_len).zip(&ys) {
            blend(source(r0), source(r1), (b0, b1), as_uninit(&mut blended));
            resize_row(&blended, dst);
        }
    }
    // SAFETY: every one of the first `total` samples was written above: `spare` is cut into `h` rows
    // of `row_len` samples, one per row tap (`ys` has `h` taps), and `blend` and `resize_row` write
    // every sample of the row they are given.
    unsafe { out.set_len(total) };
    Ok(out)
}

/// The samples of a narrow image held in C order, if its samples are of the type `as_type` reads.
fn contiguous_as<T>(img: &Image, as_type: impl Fn(&TypedSamples) -> Option<&[T]>) -> Option<&[T]> {
    let (samples, start) = img.narrow_samples()?;
    let mut expected = 1isize;
    for (&n, &s) in img.shape().iter().zip(&img.strides()).rev() {
        if n > 1 && s != expected {
            return None;
        }
        expected *= n as isize;
    }
    as_type(samples)?.get(start..start + img.len())
}

/// The samples of a uint8 image held in C order, if it is one.
fn contiguous_u8(img: &Image) -> Option<&[u8]> {
    if img.dtype() != Dtype::UInt8 {
        return None;
    }
    contiguous_as(img, TypedSamples::as_u8)
}

/// `img` (float32, uint16 or int16) resized to `(h, w)` in single precision as `cv2.resize`
/// computes it: by IPP's arithmetic for the shapes [`single::applies`] to (`single.rs`), else by
/// OpenCV's generic code (`generic.rs`); read in place when its samples are in C order, else
/// gathered from its values.
fn resize_single<T: single::Sample>(
    img: &Image,
    shape: (usize, usize, usize),
    (h, w): (usize, usize),
    as_type: impl Fn(&TypedSamples) -> Option<&[T]>,
    from: impl Fn(f64) -> T,
) -> Result<Vec<T>> {
    let gathered;
    let x = match contiguous_as(img, as_type) {
        Some(x) => x,
        None => {
            let values = img.contiguous()?;
            let mut v = buffer::try_vec(values.len()).ok_or_else(|| {
                Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {} samples", values.len()))
            })?;
            v.extend(values.iter().map(|&s| from(s)));
            gathered = v;
            &gathered[..]
        }
    };
    if single::applies(shape) { single::resize(x, shape, (h, w)) } else { generic::resize(x, shape, (h, w)) }
}

/// `Resize(dsize=(256, 256))`.
#[derive(Clone)]
struct Resize;

impl FeatureKind for Resize {
    /// A uint8 image is resized from its own samples (read in place); the other types read their
    /// float64 values (converted on first read).
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Resize"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let size = Params::new(RESIZE.params, props).vec("dsize")?;
        let (w, h) = (size[0] as usize, size[1] as usize);
        let shape = img.shape();
        let (rows, cols, channels) = match *shape {
            [rows, cols] => (rows, cols, 1),
            [rows, cols, channels] => (rows, cols, channels),
            _ => return Err(Error::invalid(format!("expected a 2-d or 3-d image, got shape {shape:?}"))),
        };
        if rows == 0 || cols == 0 {
            return Err(Error::invalid(format!("cannot resize an empty image (shape {shape:?})")));
        }
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(Error::invalid(format!("{channels} channels: expected 1 to {MAX_CHANNELS} (OpenCV's limit)")));
        }
        let dtype = img.dtype();
        let dims: Vec<usize> = if channels == 1 { vec![h, w] } else { vec![h, w, channels] };
        if dtype == Dtype::UInt8 {
            // Read in place when the samples are in C order, else gathered (a flipped view).
            let gathered;
            let x = match contiguous_u8(img) {
                Some(x) => x,
                None => {
                    let values = img.contiguous()?;
                    let mut v = buffer::try_vec(values.len()).ok_or_else(|| {
                        Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {} samples", values.len()))
                    })?;
                    v.extend(values.iter().map(|&s| s as u8));
                    gathered = v;
                    &gathered[..]
                }
            };
            let samples = narrow::resize_u8(x, (rows, cols, channels), (h, w)).map_err(|e| e.in_property("dsize"))?;
            return Ok(Some(img.with_typed(&dims, samples)));
        }
        if matches!(dtype, Dtype::Float32 | Dtype::UInt16 | Dtype::Int16) {
            let shape = (rows, cols, channels);
            // The values of these types are exact in float64, so the casts back are too.
            let samples = match dtype {
                Dtype::Float32 => {
                    resize_single(img, shape, (h, w), TypedSamples::as_f32, |v| v as f32).map(TypedSamples::from_f32)
                }
                Dtype::UInt16 => {
                    resize_single(img, shape, (h, w), TypedSamples::as_u16, |v| v as u16).map(TypedSamples::from_u16)
                }
                _ => resize_single(img, shape, (h, w), TypedSamples::as_i16, |v| v as i16).map(TypedSamples::from_i16),
            };
            return Ok(Some(img.with_typed(&dims, samples.map_err(|e| e.in_property("dsize"))?)));
        }
        self.resize_wide(img, (rows, cols, channels), (h, w), &dims)
    }
}

impl Resize {
    /// `img` resized in float64, then cast to its type if narrow.
    fn resize_wide(
        &self,
        img: &Image,
        (rows, cols, channels): (usize, usize, usize),
        (h, w): (usize, usize),
        dims: &[usize],
    ) -> Result<Option<Image>> {
        let dtype = img.dtype();
        let dims = dims.to_vec();
        let out = resize(img.contiguous()?, (rows, cols, channels), (h, w)).map_err(|e| e.in_property("dsize"))?;
        // A narrow image keeps its type, as OpenCV's resize keeps it.
        if !matches!(dtype, Dtype::Float64 | Dtype::Bool) {
            let samples = narrow::in_type(out, dtype)?.expect("a narrow type");
            return Ok(Some(img.with_typed(&dims, samples)));
        }
        let data = ArrayD::from_shape_vec(IxDyn(&dims), out).expect("one sample per element");
        Ok(Some(img.with_standard_data(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible image of `n` samples with a few extremes.
    fn samples(n: usize) -> Vec<f64> {
        (0..n).map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 11.0 + if i % 97 == 0 { 1e6 } else { 0.0 }).collect()
    }

    /// The resize of one sample at a time, straight from the taps (OpenCV's order: columns, then rows).
    fn reference(x: &[f64], (rows, cols, ch): (usize, usize, usize), (h, w): (usize, usize)) -> Vec<f64> {
        let single = rows == 1 || cols == 1 || !matches!(ch, 1 | 3 | 4);
        let (xs, ys) = (taps(cols, w, false, single).unwrap(), taps(rows, h, true, single).unwrap());
        let at = |r: usize, c: usize, k: usize| x[(r * cols + c) * ch + k];
        let mut out = Vec::new();
        for &(r0, r1, b0, b1) in &ys {
            for &(c0, c1, a0, a1) in &xs {
                for k in 0..ch {
                    let row = |r| at(r, c0, k) * a0 + at(r, c1, k) * a1;
                    out.push(row(r0) * b0 + row(r1) * b1);
                }
            }
        }
        out
    }

    #[test]
    fn both_orders_and_both_column_passes_give_the_interpolation() {
        // Shrinking (by under and over 2), enlarging, mixed, and every channel count's path.
        let cases = [
            ((40, 64, 1), (20, 32)),
            ((40, 64, 1), (29, 45)),
            ((40, 64, 1), (9, 13)),
            ((17, 23, 1), (40, 50)),
            ((30, 30, 1), (60, 12)),
            ((21, 33, 3), (10, 16)),
            ((21, 33, 3), (30, 40)),
            ((16, 20, 4), (7, 9)),
            ((16, 20, 2), (11, 13)),
            ((1, 40, 1), (1, 25)),
            ((40, 1, 1), (25, 3)),
        ];
        for ((rows, cols, ch), (h, w)) in cases {
            let x = samples(rows * cols * ch);
            let got = resize(&x, (rows, cols, ch), (h, w)).unwrap();
            let want = reference(&x, (rows, cols, ch), (h, w));
            let peak = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!((g - e).abs() <= 1e-14 * peak, "{rows}x{cols}x{ch} -> {h}x{w}, sample {i}: {g} != {e}");
            }
            assert_eq!(got.len(), want.len());
        }
    }

    #[test]
    fn the_windowed_column_pass_has_the_bits_of_the_scalar_one() {
        for (cols, w, ch) in
            [(64, 32, 1), (64, 45, 1), (64, 100, 1), (33, 16, 3), (33, 40, 3), (20, 9, 4), (200, 97, 1)]
        {
            let xs = taps(cols, w, false, false).unwrap();
            let Some(windows) = Windows::new(&xs, ch, cols * ch).unwrap() else {
                continue; // no AVX-512 here: the scalar pass is the only one
            };
            let columns = Columns::new(&xs, cols, ch).unwrap();
            let src = samples(cols * ch);
            let (mut a, mut b) = (vec![0.0; w * ch], vec![1.0; w * ch]);
            windows.resize_row(&src, as_uninit(&mut a));
            columns.resize_row(&src, as_uninit(&mut b));
            assert_eq!(
                a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
