//! `BilateralBlur(d=3, sigma_color=50, sigma_space=50)` (DeepTrack2's `math` module): OpenCV's
//! `cv2.bilateralFilter(image, d, sigma_color, sigma_space)` in its single-precision path, natively.
//! DeepTrack2 2.0.1 passes the image to OpenCV under a keyword OpenCV does not know and raises, and
//! OpenCV filters only 8-bit and single-precision images; this computes what it evidently means:
//! the image as single precision, filtered as OpenCV does it, returned as double precision.
//!
//! OpenCV's float path: radius `d / 2` (or `round(1.5 · sigma_space)` when `d <= 0`), at least 1;
//! the neighbours within that distance (a disc), weighted by `exp(-r² / 2 sigma_space²)` times a
//! colour weight read by linear interpolation from a table of `exp(-Δ² / 2 sigma_color²)` sampled
//! at 4096 steps per channel over the image's range; whole-sample symmetric borders
//! (`BORDER_REFLECT_101`); a constant image is returned as it is; NaN reads as `-5 · sigma_color`.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;

/// The largest neighbourhood radius (`d / 2`, or `1.5 · sigma_space` when `d <= 0`): each sample
/// weighs up to `π · radius²` neighbours.
pub const MAX_RADIUS: i64 = 256;

/// The most neighbours `BilateralBlur` weighs in one image: the pixels times the taps of the disc
/// of the radius. 2^30 take a few seconds; a radius larger than the image still reads its folded
/// copies (OpenCV's borders), so the image does not bound the work.
pub const MAX_WORK: u64 = 1 << 30;

/// The taps of the disc of `radius`: the offsets `(i, j)` with `sqrt(i² + j²) <= radius`, as
/// OpenCV enumerates them.
fn disc(radius: i64) -> impl Iterator<Item = (i64, i64, f64)> {
    (-radius..=radius).flat_map(move |i| {
        (-radius..=radius).filter_map(move |j| {
            let r = ((i * i + j * j) as f64).sqrt();
            (r <= radius as f64).then_some((i, j, r))
        })
    })
}

/// The registry entry.
pub(crate) const BILATERAL_BLUR: KindSpec = KindSpec {
    name: "BilateralBlur",
    aliases: &[],
    module: "math",
    base: "Blur",
    zero_d_array: false,
    bool_output: false,
    doc: "OpenCV's bilateral filter (single precision): neighbours weighted by distance and by value.",
    params: &[
        ParamSpec {
            min: -2.0 * MAX_RADIUS as f64 - 1.0,
            max: 2.0 * MAX_RADIUS as f64 + 1.0,
            ..ParamSpec::new(
                "d",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(3)),
                "the diameter of the neighbourhood, in pixels (<= 0: from sigma_space)",
            )
        },
        ParamSpec::finite(
            "sigma_color",
            ParamDefault::Value(Const::Int(50)),
            "the standard deviation of the value weights (<= 0: 1)",
        ),
        ParamSpec::finite(
            "sigma_space",
            ParamDefault::Value(Const::Int(50)),
            "the standard deviation of the distance weights, in pixels (<= 0: 1)",
        ),
    ],
    positional: &["d", "sigma_color", "sigma_space"],
    make: |_| Box::new(BilateralBlur),
};

/// OpenCV's `BORDER_REFLECT_101` index of `i` on an axis of `n` samples.
fn reflect101(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let k = i.rem_euclid(period);
    (if k < n as isize { k } else { period - k }) as usize
}

/// `exp(d2 · coeff)` for a coefficient `-1 / 2σ²`, with the limit 1 at distance 0 when σ² underflows
/// (`coeff` is -inf): OpenCV's weight of the centre and of equal values is 1 for every sigma, so a
/// tiny sigma leaves the image as it is (the other weights are 0) instead of making it NaN.
fn gauss(d2: f64, coeff: f64) -> f64 {
    if d2 == 0.0 { 1.0 } else { (d2 * coeff).exp() }
}

/// The filter of `x` (`rows × cols × cn`, C order, `cn` 1 or 3) in single precision.
fn bilateral(x: &[f32], (rows, cols, cn): (usize, usize, usize), radius: i64, sc: f64, ss: f64) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    out.try_reserve_exact(x.len())
        .map_err(|_| Error::new(crate::error::ErrorKind::OutOfMemory, "the filtered image is too large"))?;
    out.resize(x.len(), 0.0f32);
    let (min, max) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        if v.is_nan() { (lo, hi) } else { (lo.min(v as f64), hi.max(v as f64)) }
    });
    let range = max - min;
    if range.is_nan() || range < f32::EPSILON as f64 {
        out.copy_from_slice(x);
        return Ok(out);
    }
    let (color_coeff, space_coeff) = (-0.5 / (sc * sc), -0.5 / (ss * ss));
    let len = ((max - min) as f32) * cn as f32;
    let bins = 4096 * cn;
    let scale = bins as f32 / len;
    let mut lut = vec![0.0f32; bins + 2];
    let mut last = 1.0f32;
    for (i, slot) in lut.iter_mut().enumerate() {
        if last > 0.0 {
            let v = i as f64 / scale as f64;
            *slot = gauss(v * v, color_coeff) as f32;
            last = *slot;
        }
    }
    // The image with `radius` samples of border on every side (NaN patched), as OpenCV pads it;
    // each tap is then an offset in it.
    let nan = (-5.0 * sc) as f32;
    let rad = radius as usize;
    let (prow, pcols) = (rows + 2 * rad, cols + 2 * rad);
    let mut padded = Vec::new();
    padded
        .try_reserve_exact(prow * pcols * cn)
        .map_err(|_| Error::new(crate::error::ErrorKind::OutOfMemory, "the padded image is too large"))?;
    for pr in 0..prow {
        let r = reflect101(pr as isize - rad as isize, rows);
        for pc in 0..pcols {
            let c = reflect101(pc as isize - rad as isize, cols);
            padded.extend(
                x[(r * cols + c) * cn..(r * cols + c + 1) * cn].iter().map(|&v| if v.is_nan() { nan } else { v }),
            );
        }
    }
    let taps: Vec<(isize, f32)> = disc(radius)
        .map(|(i, j, r)| (((i * pcols as i64 + j) * cn as i64) as isize, gauss(r * r, space_coeff) as f32))
        .collect();
    for r in 0..rows {
        for c in 0..cols {
            let centre = ((r + rad) * pcols + c + rad) * cn;
            let v0 = &padded[centre..centre + cn];
            // The sums in double precision: within OpenCV's single-precision rounding of the exact
            // ones, whatever order its vector code adds them in.
            let mut sums = [0.0f64; 3];
            let mut wsum = 0.0f64;
            for &(offset, sw) in &taps {
                let at = (centre as isize + offset) as usize;
                let v = &padded[at..at + cn];
                let diff: f32 =
                    if cn == 1 { (v[0] - v0[0]).abs() } else { v.iter().zip(v0).map(|(a, b)| (a - b).abs()).sum() };
                let mut alpha = diff * scale;
                let idx = (alpha as usize).min(bins);
                alpha -= idx as f32;
                let w = sw * (lut[idx] + alpha * (lut[idx + 1] - lut[idx]));
                for (s, &value) in sums.iter_mut().zip(v) {
                    *s += f64::from(value * w);
                }
                wsum += f64::from(w);
            }
            for (o, s) in out[(r * cols + c) * cn..(r * cols + c + 1) * cn].iter_mut().zip(sums) {
                *o = (s / wsum) as f32;
            }
        }
    }
    Ok(out)
}

/// `BilateralBlur(d=3, sigma_color=50, sigma_space=50)`.
#[derive(Clone)]
struct BilateralBlur;

impl FeatureKind for BilateralBlur {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "BilateralBlur"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(BILATERAL_BLUR.params, props);
        let d = p.f64("d")? as i64;
        let sc = p.f64("sigma_color")?;
        let ss = p.f64("sigma_space")?;
        let (sc, ss) = (if sc <= 0.0 { 1.0 } else { sc }, if ss <= 0.0 { 1.0 } else { ss });
        let radius = if d <= 0 { (ss * 1.5).round_ties_even() } else { (d / 2) as f64 }.max(1.0);
        if radius > MAX_RADIUS as f64 {
            return Err(Error::invalid(format!(
                "a neighbourhood radius of {radius} (1.5 sigma_space) exceeds the maximum of {MAX_RADIUS}"
            ))
            .in_property("sigma_space"));
        }
        let shape = img.shape();
        let (rows, cols, cn) = match *shape {
            [rows, cols] => (rows, cols, 1),
            [rows, cols, cn @ (1 | 3)] => (rows, cols, cn),
            _ => {
                return Err(Error::invalid(format!(
                    "expected a 2-d image or one of 1 or 3 channels (OpenCV's), got shape {shape:?}"
                )));
            }
        };
        let taps = disc(radius as i64).count() as u64;
        let work = taps.saturating_mul((rows * cols) as u64);
        if work > MAX_WORK {
            let (by, name) = if d <= 0 { ("1.5 sigma_space", "sigma_space") } else { ("d / 2", "d") };
            return Err(Error::invalid(format!(
                "a neighbourhood of {taps} pixels (radius {radius}, {by}) over an image of {} pixels is {work} \
                 weights, which exceeds the maximum of {MAX_WORK} (2^30)",
                rows * cols
            ))
            .in_property(name));
        }
        let mut single = Vec::new();
        single
            .try_reserve_exact(img.contiguous()?.len())
            .map_err(|_| Error::new(crate::error::ErrorKind::OutOfMemory, "the image is too large"))?;
        single.extend(img.contiguous()?.iter().map(|&v| v as f32));
        let out = bilateral(&single, (rows, cols, cn), radius as i64, sc, ss)?;
        drop(single);
        let mut samples = buffer::with_capacity(out.len())?;
        samples.extend(out.iter().map(|&v| f64::from(v)));
        let dims: Vec<usize> = if cn == 1 { vec![rows, cols] } else { vec![rows, cols, cn] };
        let data = ArrayD::from_shape_vec(IxDyn(&dims), samples).expect("one sample per element");
        Ok(Some(img.with_standard_data(data)))
    }
}
