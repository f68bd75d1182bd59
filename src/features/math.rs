//! Math features: `Clip`, `NormalizeMinMax`, `NormalizeStandard`, `GaussianBlur`, `AverageBlur` and
//! the block poolings `AveragePooling`, `MaxPooling`, `MinPooling`, `SumPooling`, as DeepTrack2 2.0.1
//! computes them (see docs/deeptrack2-rendering.md §8.2). The filters are in [`super::filters`], the
//! poolings in [`super::pooling`]; the work of each is bounded by the image, whatever its
//! parameters, except the Gaussian kernel itself, whose size [`MAX_SIGMA`] bounds.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::filters;
use super::pooling::{self, Reduce};
use crate::buffer;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// The largest `sigma` of `GaussianBlur`. The kernel has `2·int(4·sigma + 0.5) + 1` taps, and
/// computing them (a few tens of milliseconds per distinct axis length at this maximum) is the only
/// work of the blur that the image does not bound: taps beyond the image fold onto it by the border
/// rule.
pub const MAX_SIGMA: f64 = 1e6;

/// The largest block size of the poolings and box size of `AverageBlur`: 2^53, the largest whole
/// number a float represents exactly. Their work does not depend on the size (a block larger than
/// the image pools it whole, with its zero padding; a box larger than the image wraps by the border
/// rule).
pub const MAX_KSIZE: f64 = 9_007_199_254_740_992.0;

/// Names registered by this family.
pub const NAMES: &[&str] = &[
    "Clip",
    "NormalizeMinMax",
    "NormalizeStandard",
    "GaussianBlur",
    "AverageBlur",
    "AveragePooling",
    "MaxPooling",
    "MinPooling",
    "SumPooling",
];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    Some(match name {
        "Clip" => Box::new(Clip),
        "NormalizeMinMax" => Box::new(NormalizeMinMax),
        "NormalizeStandard" => Box::new(NormalizeStandard),
        "GaussianBlur" => Box::new(GaussianBlur),
        "AverageBlur" => Box::new(AverageBlur),
        "AveragePooling" => Box::new(Pool { name: "AveragePooling", reduce: Reduce::Mean }),
        "MaxPooling" => Box::new(Pool { name: "MaxPooling", reduce: Reduce::Max }),
        "MinPooling" => Box::new(Pool { name: "MinPooling", reduce: Reduce::Min }),
        "SumPooling" => Box::new(Pool { name: "SumPooling", reduce: Reduce::Sum }),
        _ => return None,
    })
}

/// `x` as a new image with `img`'s properties, `f` applied to every sample.
fn map(img: &Image, f: impl Fn(f64) -> f64) -> Result<Image> {
    let x = img.as_slice();
    let mut out = buffer::zeroed(x.len())?;
    out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
    Ok(with_samples(img, img.shape(), out))
}

/// A new image of `shape` (in C order) with `img`'s properties.
fn with_samples(img: &Image, shape: &[usize], samples: Vec<f64>) -> Image {
    img.with_standard_data(ArrayD::from_shape_vec(IxDyn(shape), samples).expect("one sample per element"))
}

fn number(props: &PropertyDict, key: &str) -> Result<f64> {
    let x = props.f64(key)?;
    if x.is_nan() {
        return Err(Error::invalid("expected a number, got NaN").in_property(key));
    }
    Ok(x)
}

/// `Clip(min=-inf, max=+inf)`: `clip(x, min, max)`.
#[derive(Clone)]
struct Clip;

impl FeatureKind for Clip {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Clip"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("min", Rule::constant(f64::NEG_INFINITY)), ("max", Rule::constant(f64::INFINITY))]
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let (lo, hi) = (number(props, "min")?, number(props, "max")?);
        if lo > hi {
            return Err(Error::invalid(format!("min ({lo}) is greater than max ({hi})")).in_property("min"));
        }
        Ok(Some(map(img, |x| x.clamp(lo, hi))?))
    }
}

/// `NormalizeMinMax(min=0, max=1)`: rescales globally so that the range is `[min, max]`; a constant image
/// becomes all zeros (as DeepTrack2's NaN-to-zero does).
#[derive(Clone)]
struct NormalizeMinMax;

impl FeatureKind for NormalizeMinMax {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "NormalizeMinMax"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("min", Rule::constant(0.0)), ("max", Rule::constant(1.0)), ("featurewise", Rule::constant(true))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        check_featurewise(key, value)
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        featurewise(props)?;
        let (lo, hi) = (number(props, "min")?, number(props, "max")?);
        Ok(Some(normalize_min_max(img, lo, hi)?))
    }
}

/// DeepTrack2's `y = x / ptp * (max - min)`, `y - min(y) + min`, NaN to 0, in one pass after the
/// extremes. The scaling is monotone (non-increasing when `max < min`), so `min(y)` is the scaled
/// minimum of `x` (its maximum when the scale is negative), exactly as rounded. As in numpy, a NaN
/// sample makes `ptp` NaN and a NaN in `y` makes `min(y)` NaN: the image becomes all zeros.
fn normalize_min_max(img: &Image, lo: f64, hi: f64) -> Result<Image> {
    let (min, max) = extremes(img.as_slice());
    let ptp = max - min;
    let scale = hi - lo;
    let scaled = |v: f64| v / ptp * scale;
    let (a, b) = (scaled(min), scaled(max));
    let smin = if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) };
    map(img, |v| {
        let y = scaled(v) - smin + lo;
        if y.is_nan() { 0.0 } else { y }
    })
}

/// Lanes of the vectorised reductions.
const LANES: usize = 8;

/// The smallest and the largest sample, NaN if any sample is NaN (numpy's `min` and `max`), and
/// `(inf, -inf)` for no sample.
fn extremes(x: &[f64]) -> (f64, f64) {
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    let mut nan = [false; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    let mut step = |l: usize, v: f64| {
        lo[l] = if v < lo[l] { v } else { lo[l] };
        hi[l] = if v > hi[l] { v } else { hi[l] };
        nan[l] |= v.is_nan();
    };
    for c in chunks {
        for (l, &v) in c.iter().enumerate() {
            step(l, v);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        step(l, v);
    }
    if nan.contains(&true) {
        return (f64::NAN, f64::NAN);
    }
    (lo.into_iter().fold(f64::INFINITY, f64::min), hi.into_iter().fold(f64::NEG_INFINITY, f64::max))
}

/// The mean and the population standard deviation of `x`, as numpy's two passes give them, in one
/// pass in the common case: the sums of `x - shift` and of its square, `shift` being the mean of a
/// strided sample, lose no digits when the shift is within a standard deviation of the mean (the
/// squared offset is then at most the variance it is subtracted from). Otherwise (or with NaN or
/// infinite samples) a second pass sums the squared deviations from the mean itself.
fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let step = (x.len() / 1024).max(1);
    let shift = x.iter().step_by(step).sum::<f64>() / x.iter().step_by(step).count().max(1) as f64;
    let (mut s1, mut s2) = ([0.0; LANES], [0.0; LANES]);
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let d = c[l] - shift;
            s1[l] += d;
            s2[l] += d * d;
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        s1[l] += v - shift;
        s2[l] += (v - shift) * (v - shift);
    }
    let offset = s1.iter().sum::<f64>() / n;
    let mean = shift + offset;
    let var = s2.iter().sum::<f64>() / n - offset * offset;
    if offset * offset <= var {
        return (mean, var.sqrt());
    }
    (mean, (sum_by(x, |v| (v - mean) * (v - mean)) / n).sqrt())
}

/// `Σ f(x)` over `LANES` interleaved partial sums (vectorised; as accurate as a sequential sum or more).
fn sum_by(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        acc[l] += f(v);
    }
    acc.iter().sum()
}

/// `featurewise` must be a bool. The normalisations always work over the whole image (DeepTrack2's
/// default, `featurewise=True`, does the same for single-channel images).
fn check_featurewise(key: &str, value: &Value) -> Result<()> {
    if key == "featurewise" { value.as_bool().map(|_| ()) } else { Ok(()) }
}

fn featurewise(props: &PropertyDict) -> Result<bool> {
    props.require("featurewise")?.as_bool().map_err(|e| e.in_property("featurewise"))
}

/// `NormalizeStandard()`: `(x - mean) / std` over the whole image (population std).
#[derive(Clone)]
struct NormalizeStandard;

impl FeatureKind for NormalizeStandard {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "NormalizeStandard"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("featurewise", Rule::constant(true))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        check_featurewise(key, value)
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        featurewise(props)?;
        let (mean, std) = mean_std(img.as_slice());
        Ok(Some(map(img, |v| (v - mean) / std)?))
    }
}

/// `GaussianBlur(sigma=2)`: a separable Gaussian over every axis, kernel radius `int(4 sigma + 0.5)`,
/// half-sample symmetric ("reflect") borders, as scipy's `gaussian_filter`.
#[derive(Clone)]
struct GaussianBlur;

/// A valid `sigma`: positive, finite, at most [`MAX_SIGMA`].
fn sigma(value: &Value) -> Result<f64> {
    let s = value.as_f64()?;
    if !(s.is_finite() && s > 0.0) {
        return Err(Error::invalid(format!("expected a positive finite sigma, got {s}")));
    }
    if s > MAX_SIGMA {
        return Err(Error::invalid(format!("sigma {} exceeds the maximum of {MAX_SIGMA}", super::show(s))));
    }
    Ok(s)
}

impl FeatureKind for GaussianBlur {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "GaussianBlur"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("sigma", Rule::constant(2.0))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        if key == "sigma" { sigma(value).map(|_| ()) } else { Ok(()) }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let s = sigma(props.require("sigma")?).map_err(|e| e.in_property("sigma"))?;
        let out = filters::gaussian(img.as_slice(), img.shape(), s)?;
        Ok(Some(with_samples(img, img.shape(), out)))
    }
}

/// `AverageBlur(ksize=3)`: the mean over a `ksize` × `ksize` window in axes 0 and 1 (each channel on
/// its own), with "reflect" borders, as scipy's `convolve` with a uniform kernel (the window of an
/// even size reaches one further after than before). DeepTrack2 2.0.1 raises on plain 2-D images;
/// here they blur the same way. A window larger than the image wraps by the border rule; the cost
/// does not depend on its size.
#[derive(Clone)]
struct AverageBlur;

impl FeatureKind for AverageBlur {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "AverageBlur"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("ksize", Rule::constant(3_i64))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        if key == "ksize" { block_size(value.as_f64()?).map(|_| ()) } else { Ok(()) }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        if img.shape().len() < 2 {
            let shape = img.shape();
            return Err(Error::invalid(format!("expected an image with at least 2 axes, got shape {shape:?}")));
        }
        let k = ksizes(props.require("ksize")?, 1).map_err(|e| e.in_property("ksize"))?[0];
        let out = filters::box_mean(img.as_slice(), img.shape(), &[0, 1], k)?;
        Ok(Some(with_samples(img, img.shape(), out)))
    }
}

/// The block poolings (`skimage.measure.block_reduce`): `ksize` is one size for every axis or one per
/// axis; axes that do not divide are padded with zeros at the end, and the zeros take part. A block
/// larger than an axis covers all of it (with its padding).
#[derive(Clone)]
struct Pool {
    name: &'static str,
    reduce: Reduce,
}

/// A block or box size: a whole number from 1 to [`MAX_KSIZE`].
fn block_size(k: f64) -> Result<usize> {
    if !(k >= 1.0 && k.fract() == 0.0) {
        return Err(Error::invalid(format!("expected block sizes that are positive integers, got {k}")));
    }
    if k > MAX_KSIZE {
        return Err(Error::invalid(format!("a block size of {} exceeds the maximum of {MAX_KSIZE}", super::show(k))));
    }
    Ok(k as usize)
}

/// The sizes of `value`: one number for all `ndim` axes, or exactly `ndim` numbers (`ndim` = 0 checks
/// the numbers only).
fn ksizes(value: &Value, ndim: usize) -> Result<Vec<usize>> {
    let sizes = match value {
        Value::Int(_) | Value::Float(_) => vec![value.as_f64()?; ndim.max(1)],
        other => other.to_f64_vec()?,
    };
    if ndim > 0 && sizes.len() != ndim {
        return Err(Error::invalid(format!("expected one size or {ndim} sizes, got {}", sizes.len())));
    }
    sizes.into_iter().map(block_size).collect()
}

impl FeatureKind for Pool {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.name
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("ksize", Rule::constant(3_i64))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        if key == "ksize" { ksizes(value, 0).map(|_| ()) } else { Ok(()) }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let shape = img.shape();
        let k = ksizes(props.require("ksize")?, shape.len()).map_err(|e| e.in_property("ksize"))?;
        if shape.is_empty() {
            // A 0-d image has no axis to pool over: DeepTrack2 returns its value unchanged.
            return Ok(Some(img.clone()));
        }
        let out = pooling::block_reduce(img.as_slice(), shape, &k, self.reduce)?;
        Ok(Some(with_samples(img, &pooling::output_shape(shape, &k), out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: &dyn FeatureKind, props: &[(&str, Value)], input: &Image) -> Result<Image> {
        let mut rng = crate::rng::stream_rng(0, 0);
        let mut rs = Resolver::new(&mut rng);
        let mut dict = PropertyDict::new();
        for (k, v) in props {
            dict.insert(*k, v.clone());
        }
        Ok(kind.get(Some(input), &Arc::new(dict), &mut rs)?.expect("an output"))
    }

    #[test]
    fn pooling_pads_with_zeros_that_count() {
        let img = Image::new(ArrayD::from_elem(IxDyn(&[3, 3]), -1.0));
        let pool = Pool { name: "MaxPooling", reduce: Reduce::Max };
        let out = run(&pool, &[("ksize", Value::Int(2))], &img).unwrap();
        assert_eq!(out.as_slice(), [-1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn blocks_larger_than_the_image_pool_it_whole_with_its_padding() {
        // DeepTrack2 2.0.1 (skimage's block_reduce) on [[1, 2], [3, 4]] with ksize 5: one block of 25
        // samples, 21 of them padding.
        let img = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap());
        let cases = [(Reduce::Mean, 0.4), (Reduce::Sum, 10.0), (Reduce::Max, 4.0), (Reduce::Min, 0.0)];
        for (reduce, expected) in cases {
            let pool = Pool { name: "P", reduce };
            let out = run(&pool, &[("ksize", Value::Int(5))], &img).unwrap();
            assert_eq!((out.shape(), out.as_slice()), (&[1, 1][..], &[expected][..]), "{reduce:?}");
            // A huge block gives the same maxima and sums (the mean divides by the whole block).
            let out = run(&pool, &[("ksize", Value::Float(1e15))], &img).unwrap();
            let expected = if let Reduce::Mean = reduce { 10.0 / 1e30 } else { expected };
            assert_eq!(out.as_slice(), [expected], "{reduce:?}");
        }
    }

    #[test]
    fn size_limits_state_the_maximum() {
        let pool = Pool { name: "MaxPooling", reduce: Reduce::Max };
        let err = pool.check_property("ksize", &Value::Float(1e16)).unwrap_err();
        assert_eq!(err.to_string(), "a block size of 1e16 exceeds the maximum of 9007199254740992");
        let err = pool.check_property("ksize", &Value::Int(0)).unwrap_err();
        assert_eq!(err.to_string(), "expected block sizes that are positive integers, got 0");
        assert!(pool.check_property("ksize", &Value::vector(&[2.0, 9e15])).is_ok());
        let err = AverageBlur.check_property("ksize", &Value::Float(2.5)).unwrap_err();
        assert_eq!(err.to_string(), "expected block sizes that are positive integers, got 2.5");
        let err = GaussianBlur.check_property("sigma", &Value::Float(2e6)).unwrap_err();
        assert_eq!(err.to_string(), "sigma 2000000 exceeds the maximum of 1000000");
        assert!(GaussianBlur.check_property("sigma", &Value::Float(1e6)).is_ok());
    }

    #[test]
    fn normalisations_follow_numpy_on_nan_and_infinity() {
        let img = |v: &[f64]| Image::new(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap());
        let minmax = |v: &[f64], lo: f64, hi: f64| {
            let props = [("min", Value::Float(lo)), ("max", Value::Float(hi)), ("featurewise", Value::Bool(true))];
            run(&NormalizeMinMax, &props, &img(v)).unwrap().as_slice().to_vec()
        };
        // DeepTrack2 2.0.1: a NaN or an infinite sample makes the whole image 0.
        assert_eq!(minmax(&[f64::NAN, 1.0, 2.0], 0.0, 1.0), [0.0; 3]);
        assert_eq!(minmax(&[f64::NEG_INFINITY, 1.0, 2.0], 0.0, 1.0), [0.0; 3]);
        assert_eq!(minmax(&[0.0, 1.0, f64::INFINITY], -1.0, 1.0), [0.0; 3]);
        assert_eq!(minmax(&[3.0, 3.0], 2.0, 5.0), [0.0; 2]);
        assert_eq!(minmax(&[0.0, 1.0, 3.0], 5.0, 2.0), [8.0, 7.0, 5.0]);
        assert_eq!(minmax(&[0.0, 1.0, 3.0, 4.0], -1.0, 1.0), [-1.0, -0.5, 0.5, 1.0]);
        let pool = Pool { name: "MaxPooling", reduce: Reduce::Max };
        let nan = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![f64::NAN, 1.0, 2.0, 3.0]).unwrap());
        assert!(run(&pool, &[("ksize", Value::Int(2))], &nan).unwrap().as_slice()[0].is_nan());
    }

    #[test]
    fn mean_and_std_are_accurate_in_one_pass_or_two() {
        // Two passes with compensated (Neumaier) sums: correct to the last digits or so.
        let exact_sum = |values: &mut dyn Iterator<Item = f64>| {
            let (mut sum, mut lost) = (0.0_f64, 0.0_f64);
            for v in values {
                let t = sum + v;
                lost += if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
                sum = t;
            }
            sum + lost
        };
        let two_pass = |x: &[f64]| {
            let n = x.len() as f64;
            let mean = exact_sum(&mut x.iter().copied()) / n;
            (mean, (exact_sum(&mut x.iter().map(|v| (v - mean) * (v - mean))) / n).sqrt())
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || (a.is_nan() && b.is_nan());
        let cases: Vec<Vec<f64>> = vec![
            (0..5000).map(|i| ((i * 7919) % 1000) as f64 / 1000.0).collect(),
            // A large offset and a small spread (the shifted sums must not cancel).
            (0..3000).map(|i| 1e9 + (i % 7) as f64 * 1e-3).collect(),
            // A ramp: the sample mean is far from the first samples.
            (0..4099).map(|i| i as f64).collect(),
            // Background and one bright block at the end (the strided sample misses most of it).
            (0..10000).map(|i| if i > 9990 { 1e6 } else { 0.0 }).collect(),
            // The strided sample sees only the zeros: the shift is far from the mean (second pass).
            (0..10000).map(|i| if i % 9 == 0 { 0.0 } else { 5.0 + (i % 5) as f64 * 1e-4 }).collect(),
            vec![1.0, 3.0],
            vec![2.0; 9],
        ];
        for x in &cases {
            let (m, s) = mean_std(x);
            let (em, es) = two_pass(x);
            assert!(close(m, em) && close(s, es), "({m}, {s}) vs ({em}, {es})");
        }
        assert!(mean_std(&[1.0, f64::NAN]).1.is_nan());
        assert!(mean_std(&[1.0, f64::INFINITY]).1.is_nan());
    }

    #[test]
    fn extremes_and_sums_cover_every_lane_and_the_remainder() {
        for n in [0, 1, 7, 8, 9, 23] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let (lo, hi) = extremes(&x);
            assert_eq!(lo, x.iter().copied().fold(f64::INFINITY, f64::min), "n = {n}");
            assert_eq!(hi, x.iter().copied().fold(f64::NEG_INFINITY, f64::max), "n = {n}");
            assert_eq!(sum_by(&x, |v| v * v), x.iter().map(|v| v * v).sum::<f64>(), "n = {n}");
        }
    }
}
