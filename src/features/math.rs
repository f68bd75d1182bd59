//! Math features: `Clip`, `NormalizeMinMax`, `NormalizeStandard`, `GaussianBlur` and the block
//! poolings `AveragePooling`, `MaxPooling`, `MinPooling`, `SumPooling`, as DeepTrack2 2.0.1 computes them
//! (see docs/deeptrack2-rendering.md §8.2).

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};

use super::FeatureKind;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::{Image, element_count};
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// Names registered by this family.
pub const NAMES: &[&str] = &[
    "Clip",
    "NormalizeMinMax",
    "NormalizeStandard",
    "GaussianBlur",
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
        Ok(Some(img.with_data(img.data().mapv(|x| x.clamp(lo, hi)))))
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
        let x = img.data();
        let (min, max) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let ptp = max - min;
        let scaled = x.mapv(|v| v / ptp * (hi - lo));
        let smin = scaled.iter().copied().fold(f64::INFINITY, f64::min);
        let out = scaled.mapv(|v| {
            let y = v - smin + lo;
            if y.is_nan() { 0.0 } else { y }
        });
        Ok(Some(img.with_data(out)))
    }
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
        let x = img.data();
        let n = x.len() as f64;
        let mean = x.sum() / n;
        let std = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        Ok(Some(img.with_data(x.mapv(|v| (v - mean) / std))))
    }
}

/// `GaussianBlur(sigma=2)`: a separable Gaussian over every axis, kernel radius `int(4 sigma + 0.5)`,
/// half-sample symmetric ("reflect") borders, as scipy's `gaussian_filter`.
#[derive(Clone)]
struct GaussianBlur;

/// scipy's "reflect" index for `i` on an axis of `n` samples (`d c b a | a b c d | d c b a`).
fn reflect(i: isize, n: usize) -> usize {
    let period = 2 * n as isize;
    let m = i.rem_euclid(period);
    if m < n as isize { m as usize } else { (period - 1 - m) as usize }
}

fn blur_axis(x: &ArrayD<f64>, axis: usize, weights: &[f64]) -> ArrayD<f64> {
    let radius = (weights.len() / 2) as isize;
    let n = x.shape()[axis];
    let mut out = x.clone();
    for (lane_in, mut lane_out) in x.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
        for i in 0..n {
            let mut acc = 0.0;
            for (k, w) in weights.iter().enumerate() {
                acc += w * lane_in[reflect(i as isize + k as isize - radius, n)];
            }
            lane_out[i] = acc;
        }
    }
    out
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
        if key == "sigma" {
            let s = value.as_f64()?;
            if !(s.is_finite() && s > 0.0 && s < 1e6) {
                return Err(Error::invalid(format!("expected a positive finite sigma, got {s}")));
            }
        }
        Ok(())
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let sigma = props.f64("sigma")?;
        self.check_property("sigma", &Value::Float(sigma)).map_err(|e| e.in_property("sigma"))?;
        let radius = (4.0 * sigma + 0.5) as isize;
        let raw: Vec<f64> = (-radius..=radius).map(|k| (-0.5 / (sigma * sigma) * (k * k) as f64).exp()).collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mut data = img.data().clone();
        for axis in 0..data.ndim() {
            data = blur_axis(&data, axis, &weights);
        }
        Ok(Some(img.with_data(data)))
    }
}

/// `AverageBlur(ksize=3)`: the mean over a `ksize` × `ksize` window in axes 0 and 1 (each channel on
/// its own), with "reflect" borders, as scipy's `convolve` with a uniform kernel (the window of an
/// even size reaches one further after than before). DeepTrack2 2.0.1 raises on plain 2-D images;
/// here they blur the same way.
#[derive(Clone)]
struct AverageBlur;

/// A running box mean of width `k` along `axis`, window `[i - (k-1)/2, i + k/2]`, reflect borders.
fn box_axis(x: &ArrayD<f64>, axis: usize, k: usize) -> ArrayD<f64> {
    let n = x.shape()[axis];
    let (before, after) = (((k - 1) / 2) as isize, (k / 2) as isize);
    let mut out = x.clone();
    for (lane_in, mut lane_out) in x.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
        for i in 0..n as isize {
            let sum: f64 = (i - before..=i + after).map(|j| lane_in[reflect(j, n)]).sum();
            lane_out[i as usize] = sum / k as f64;
        }
    }
    out
}

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

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let x = img.data();
        if x.ndim() < 2 {
            return Err(Error::invalid(format!("expected an image with at least 2 axes, got shape {:?}", x.shape())));
        }
        let k = ksizes(props.require("ksize")?, 1).map_err(|e| e.in_property("ksize"))?[0];
        Ok(Some(img.with_data(box_axis(&box_axis(x, 0, k), 1, k))))
    }
}

#[derive(Clone, Copy)]
enum Reduce {
    Mean,
    Max,
    Min,
    Sum,
}

/// The block poolings (`skimage.measure.block_reduce`): `ksize` is one size for every axis or one per
/// axis; axes that do not divide are padded with zeros at the end, and the zeros take part.
#[derive(Clone)]
struct Pool {
    name: &'static str,
    reduce: Reduce,
}

fn ksizes(value: &Value, ndim: usize) -> Result<Vec<usize>> {
    let sizes = match value {
        Value::Int(_) | Value::Float(_) => vec![value.as_f64()?; ndim],
        other => other.to_f64_vec()?,
    };
    if sizes.len() != ndim {
        return Err(Error::invalid(format!("expected one size or {ndim} sizes, got {}", sizes.len())));
    }
    sizes
        .iter()
        .map(|&k| {
            if k >= 1.0 && k.fract() == 0.0 && k <= 1e6 {
                Ok(k as usize)
            } else {
                Err(Error::invalid(format!("expected block sizes that are positive integers, got {k}")))
            }
        })
        .collect()
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

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let x = img.data();
        let k = ksizes(props.require("ksize")?, x.ndim()).map_err(|e| e.in_property("ksize"))?;
        let out_shape: Vec<usize> = x.shape().iter().zip(&k).map(|(n, k)| n.div_ceil(*k)).collect();
        element_count(&out_shape)?;
        let block: usize = k.iter().product();
        let mut out = ArrayD::<f64>::zeros(IxDyn(&out_shape));
        let mut index = vec![0usize; x.ndim()];
        for (pos, slot) in out.indexed_iter_mut() {
            let mut acc = match self.reduce {
                Reduce::Mean | Reduce::Sum => 0.0,
                Reduce::Max => f64::NEG_INFINITY,
                Reduce::Min => f64::INFINITY,
            };
            for offset in 0..block {
                let mut rest = offset;
                let mut inside = true;
                for d in (0..x.ndim()).rev() {
                    index[d] = pos[d] * k[d] + rest % k[d];
                    rest /= k[d];
                    inside &= index[d] < x.shape()[d];
                }
                let v = if inside { x[index.as_slice()] } else { 0.0 };
                acc = match self.reduce {
                    Reduce::Mean | Reduce::Sum => acc + v,
                    Reduce::Max => acc.max(v),
                    Reduce::Min => acc.min(v),
                };
            }
            *slot = if let Reduce::Mean = self.reduce { acc / block as f64 } else { acc };
        }
        Ok(Some(img.with_data(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_is_half_sample_symmetric() {
        let idx: Vec<usize> = (-5..9).map(|i| reflect(i, 4)).collect();
        assert_eq!(idx, [3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
    }

    #[test]
    fn average_blur_matches_scipy_convolve() {
        let x = ArrayD::from_shape_fn(IxDyn(&[4, 5, 1]), |ix| ((ix[0] * 5 + ix[1]) as f64).powf(1.5));
        let k2 = box_axis(&box_axis(&x, 0, 2), 1, 2);
        let k3 = box_axis(&box_axis(&x, 0, 3), 1, 3);
        // scipy.ndimage.convolve(x, ones((k, k, 1)) / k², mode="reflect"), rows 0 and 3.
        let expected2 = [[6.71931958605, 9.261406189724, 12.293063930719, 15.705892355169, 17.5]];
        let expected3 = [[51.123047407747, 54.894440037163, 60.649434962654, 66.598156137707, 70.627773095121]];
        for j in 0..5 {
            assert!((k2[[0, j, 0]] - expected2[0][j]).abs() < 1e-9);
            assert!((k3[[3, j, 0]] - expected3[0][j]).abs() < 1e-9);
        }
    }

    #[test]
    fn pooling_pads_with_zeros_that_count() {
        let img = Image::new(ArrayD::from_elem(IxDyn(&[3, 3]), -1.0));
        let pool = Pool { name: "MaxPooling", reduce: Reduce::Max };
        let mut rng = crate::rng::stream_rng(0, 0);
        let mut rs = Resolver::new(&mut rng);
        let mut props = PropertyDict::new();
        props.insert("ksize", Value::Int(2));
        let out = pool.get(Some(&img), &Arc::new(props), &mut rs).unwrap().unwrap();
        assert_eq!(out.as_slice(), [-1.0, 0.0, 0.0, 0.0]);
    }
}
