//! `Resize(dsize=(256, 256))` (DeepTrack2's `math` module): OpenCV's `cv2.resize(image, dsize)`
//! with its default `INTER_LINEAR`, natively. `dsize` is (width, height), OpenCV's order; the output
//! is `(height, width)` for a 2-d image or a 3-d one of one channel (OpenCV drops that axis), else
//! `(height, width, channels)`. OpenCV's conventions: pixel centres map as
//! `x_src = (x_dst + 0.5) · src / dst - 0.5` (in double precision for images of 1, 3 or 4 channels
//! and more than one row and column, in single precision for the others, as OpenCV 4.14 does), with a coordinate
//! before the first sample or after the last clamped to it (along the rows only the sample indices
//! are clamped); each output is the two-tap linear interpolation along the columns, then along the
//! rows. Positions
//! are not moved (as in DeepTrack2).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;

/// The largest width or height of `Resize` (OpenCV's sizes are `int`s).
pub const MAX_SIZE: f64 = 2_147_483_647.0;

/// The most channels (OpenCV's `CV_CN_MAX`).
pub const MAX_CHANNELS: usize = 512;

/// The registry entry.
pub(crate) const RESIZE: KindSpec = KindSpec {
    name: "Resize",
    aliases: &[],
    module: "math",
    doc: "Resizes the first two axes to `dsize` = (width, height) by OpenCV's linear interpolation.",
    params: &[ParamSpec {
        min: 1.0,
        max: MAX_SIZE,
        ..ParamSpec::new(
            "dsize",
            ParamKind::Vector { min_len: 2, max_len: 2, whole: true },
            ParamDefault::Value(Const::Ints(&[256, 256])),
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
fn taps(n: usize, m: usize, rows: bool, single: bool) -> Vec<(usize, usize, f64, f64)> {
    let scale = 1.0 / (m as f64 / n as f64);
    let last = n as i64 - 1;
    (0..m)
        .map(|d| {
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
        })
        .collect()
}

/// The taps of [`taps`] along the columns of a single-channel image, compactly (OpenCV's `xofs` and
/// `alpha`: 24 bytes a tap, which for a wide row keeps them in the L1 cache with the row): the first
/// sample index and the two weights. The second sample is the next one, except for the taps at the
/// end clamped to the last sample (`i0 == last`, second weight 0), which are kept apart.
struct Columns {
    i0: Vec<u32>,
    weights: Vec<[f64; 2]>,
    /// The taps from `inner` on read only the last sample (with weights (1, 0)).
    inner: usize,
    /// The index of the last sample of a row.
    last: usize,
}

impl Columns {
    /// `None` when an index does not fit in 32 bits (rows of more than 2^32 samples).
    fn new(taps: &[(usize, usize, f64, f64)], cols: usize) -> Option<Columns> {
        let last = cols - 1;
        u32::try_from(last).ok()?;
        let inner = taps.iter().position(|t| t.0 >= last).unwrap_or(taps.len());
        Some(Columns {
            i0: taps.iter().map(|t| t.0 as u32).collect(),
            weights: taps.iter().map(|t| [t.2, t.3]).collect(),
            inner,
            last,
        })
    }

    /// One source row of one channel, `src`, resized along the columns into `dst` (one sample per
    /// tap): `src[i0] * a0 + src[i0 + 1] * a1`, as OpenCV's `HResizeLinear` computes it.
    fn resize_row(&self, src: &[f64], dst: &mut [f64]) {
        let n = dst.len();
        assert!(n == self.i0.len() && src.len() == self.last + 1, "the taps fit the row");
        let (i0, w) = (&self.i0[..self.inner], &self.weights[..self.inner]);
        for ((o, &i), &[a0, a1]) in dst[..self.inner].iter_mut().zip(i0).zip(w) {
            // SAFETY: the taps before `inner` have `i0 < last` (`taps` clamps every index to at most
            // `last`, and `inner` is the first tap at `last`), so `i0` and `i0 + 1` are at most `last`,
            // inside `src` (of `last + 1` samples, asserted above).
            let (p, q) = unsafe { (*src.get_unchecked(i as usize), *src.get_unchecked(i as usize + 1)) };
            *o = p * a0 + q * a1;
        }
        for (o, &[a0, a1]) in dst[self.inner..].iter_mut().zip(&self.weights[self.inner..]) {
            *o = src[self.last] * a0 + src[self.last] * a1;
        }
    }
}

/// `x` of shape `(rows, cols, channels)` (C order) resized to `(h, w, channels)`.
fn resize(x: &[f64], (rows, cols, channels): (usize, usize, usize), (h, w): (usize, usize)) -> Result<Vec<f64>> {
    let too_large =
        || Error::new(ErrorKind::OutOfMemory, format!("a resized image of {h} x {w} x {channels} is too large"));
    let row_len = w.checked_mul(channels).ok_or_else(too_large)?;
    let total = row_len.checked_mul(h).ok_or_else(too_large)?;
    if total == 0 {
        return Ok(Vec::new());
    }
    // OpenCV 4.14 computes the weights in double precision for images of 1, 3 or 4 channels with more
    // than one row and column, in single precision for the others (as cv2.resize gives them).
    let single = rows == 1 || cols == 1 || !matches!(channels, 1 | 3 | 4);
    let (xs, ys) = (taps(cols, w, false, single), taps(rows, h, true, single));
    let columns = Columns::new(&xs, cols).ok_or_else(too_large)?;
    // Source rows resized along the columns, two at a time (an output row reads two), each computed
    // once per run of output rows that reads it.
    let mut cache = [(usize::MAX, buffer::zeroed(row_len)?), (usize::MAX, buffer::zeroed(row_len)?)];
    let horizontal = |r: usize, dst: &mut [f64]| {
        let src = &x[r * cols * channels..(r + 1) * cols * channels];
        if channels == 1 {
            return columns.resize_row(src, dst);
        }
        for (out, &(i0, i1, a0, a1)) in dst.chunks_exact_mut(channels).zip(&xs) {
            let (p, q) = (&src[i0 * channels..(i0 + 1) * channels], &src[i1 * channels..(i1 + 1) * channels]);
            for ((o, &u), &v) in out.iter_mut().zip(p).zip(q) {
                *o = u * a0 + v * a1;
            }
        }
    };
    // Every sample is written below (one output row per row tap, all of it).
    let mut out = buffer::with_capacity(total)?;
    for &(r0, r1, b0, b1) in &ys {
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                horizontal(r, &mut cache[slot].1);
                cache[slot].0 = r;
            }
        }
        let row = |r: usize| &cache.iter().find(|(k, _)| *k == r).expect("a cached row").1;
        let (s0, s1) = (row(r0), row(r1));
        out.extend(s0.iter().zip(s1.iter()).map(|(&a, &b)| a * b0 + b * b1));
    }
    debug_assert_eq!(out.len(), total);
    Ok(out)
}

/// `Resize(dsize=(256, 256))`.
#[derive(Clone)]
struct Resize;

impl FeatureKind for Resize {
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
        let out = resize(img.contiguous()?, (rows, cols, channels), (h, w))?;
        let dims: Vec<usize> = if channels == 1 { vec![h, w] } else { vec![h, w, channels] };
        let data = ArrayD::from_shape_vec(IxDyn(&dims), out).expect("one sample per element");
        Ok(Some(img.with_standard_data(data)))
    }
}
