//! Math features: `Clip`, `NormalizeMinMax`, `NormalizeStandard`, `GaussianBlur`, `AverageBlur` and
//! the block poolings `AveragePooling`, `MaxPooling`, `MinPooling`, `SumPooling`, as DeepTrack2 2.0.1
//! computes them (see docs/deeptrack2-rendering.md §8.2). The filters are in [`super::filters`], the
//! poolings in [`super::pooling`]; the work of each is bounded by the image, whatever its
//! parameters, except the Gaussian kernel itself, whose size [`MAX_SIGMA`] bounds.

use crate::features::ComplexInputs;
use crate::features::complex_math::PoolBy;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::filters;
use super::median;
use super::pixelwise;
use super::pooling::{self, Reduce};
use super::registry::{Const, KindSpec, Operand, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;
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

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    CLIP,
    NORMALIZE_MIN_MAX,
    NORMALIZE_STANDARD,
    GAUSSIAN_BLUR,
    AVERAGE_BLUR,
    pooling_kind(
        "AveragePooling",
        "The mean of each `ksize` block (block reduce; the padding at the ends, `cval` or 0, counts).",
        |_| Box::new(Pool { name: "AveragePooling", reduce: Reduce::Mean }),
    ),
    pooling_kind(
        "MaxPooling",
        "The maximum of each `ksize` block (block reduce; the padding at the ends, `cval` or 0, counts).",
        |_| Box::new(Pool { name: "MaxPooling", reduce: Reduce::Max }),
    ),
    pooling_kind(
        "MinPooling",
        "The minimum of each `ksize` block (block reduce; the padding at the ends, `cval` or 0, counts).",
        |_| Box::new(Pool { name: "MinPooling", reduce: Reduce::Min }),
    ),
    pooling_kind("SumPooling", "The sum of each `ksize` block (block reduce; DeepTrack2 2.0.2's kind).", |_| {
        Box::new(Pool { name: "SumPooling", reduce: Reduce::Sum })
    }),
    pooling_kind(
        "MedianPooling",
        "The median of each `ksize` block (block reduce; the padding at the ends, `cval` or 0, counts).",
        |_| Box::new(MedianPooling),
    ),
    NORMALIZE_QUANTILE,
    MEDIAN_BLUR,
    super::average::AVERAGE,
    super::resize::RESIZE,
    super::bilateral::BILATERAL_BLUR,
    super::callbacks::BLUR,
    super::callbacks::BLUR_CV2,
    super::callbacks::POOL,
];

const NORMALIZE_QUANTILE: KindSpec = KindSpec {
    name: "NormalizeQuantile",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`(x - median) / (q_high - q_low)` over the image, with numpy's (linear) quantiles.",
    params: &[
        ParamSpec {
            min: 0.0,
            max: 1.0,
            ..ParamSpec::new(
                "quantiles",
                ParamKind::Vector { min_len: 2, max_len: 2, whole: false },
                ParamDefault::Value(Const::FloatTuple(&[0.25, 0.75])),
                "(q_low, q_high), the quantiles whose difference scales the image",
            )
        },
        FEATUREWISE,
    ],
    positional: &["quantiles", "featurewise"],
    make: |_| Box::new(NormalizeQuantile),
};

const MEDIAN_BLUR: KindSpec = KindSpec {
    name: "MedianBlur",
    aliases: &[],
    module: "math",
    base: "Blur",
    zero_d_array: false,
    bool_output: false,
    doc: "The median over a `ksize` window on every axis, with scipy's border modes (`median_filter`).",
    params: &[
        ParamSpec { max: median::MAX_WINDOW as f64, ..KSIZE },
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: median::MODES },
            ParamDefault::Value(Const::Str("reflect")),
            "scipy's border mode",
        ),
        BLUR_CVAL,
    ],
    positional: &["ksize"],
    make: |_| Box::new(MedianBlur),
};

const CLIP: KindSpec = KindSpec {
    name: "Clip",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Clips every sample to `[min, max]`.",
    params: &[
        ParamSpec {
            check: Some(no_nan),
            nullable: true,
            ..ParamSpec::new(
                "min",
                ParamKind::Array,
                ParamDefault::Value(Const::Float(f64::NEG_INFINITY)),
                "the lower bound (an array: broadcast with the image, as numpy's clip; None: no lower bound)",
            )
        },
        ParamSpec {
            check: Some(no_nan),
            nullable: true,
            ..ParamSpec::new(
                "max",
                ParamKind::Array,
                ParamDefault::Value(Const::Float(f64::INFINITY)),
                "the upper bound (an array: broadcast; None: no upper bound); where it is below `min`, the result is `max`, as numpy's",
            )
        },
    ],
    positional: &["min", "max"],
    make: |_| Box::new(Clip),
};

/// Numbers none of which is NaN (a bound of NaN would make every sample NaN).
fn no_nan(value: &Value) -> Result<()> {
    if value.to_array()?.iter().any(|x| x.is_nan()) {
        return Err(Error::invalid("expected a number, got NaN"));
    }
    Ok(())
}

/// `featurewise`: a bool. The normalisations always work over the whole image (DeepTrack2's
/// default, `featurewise=True`, does the same for single-channel images).
const FEATUREWISE: ParamSpec = ParamSpec::new(
    "featurewise",
    ParamKind::Bool,
    ParamDefault::Value(Const::Bool(true)),
    "normalise each channel on its own (single-channel images: the whole image)",
);

const NORMALIZE_MIN_MAX: KindSpec = KindSpec {
    name: "NormalizeMinMax",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Rescales the image linearly so that its range is `[min, max]` (a constant image becomes zeros).",
    params: &[
        ParamSpec::new(
            "min",
            ParamKind::Array,
            ParamDefault::Value(Const::Int(0)),
            "the new minimum (an array: broadcast with the image, as numpy computes)",
        ),
        ParamSpec::new(
            "max",
            ParamKind::Array,
            ParamDefault::Value(Const::Int(1)),
            "the new maximum (an array: broadcast with the image)",
        ),
        FEATUREWISE,
    ],
    positional: &["min", "max", "featurewise"],
    make: |_| Box::new(NormalizeMinMax),
};

const NORMALIZE_STANDARD: KindSpec = KindSpec {
    name: "NormalizeStandard",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`(x - mean) / std` over the image (population standard deviation).",
    params: &[FEATUREWISE],
    positional: &["featurewise"],
    make: |_| Box::new(NormalizeStandard),
};

const GAUSSIAN_BLUR: KindSpec = KindSpec {
    name: "GaussianBlur",
    aliases: &[],
    module: "math",
    base: "Blur",
    zero_d_array: true,
    bool_output: false,
    doc: "A Gaussian filter over every axis with scipy's border modes (`gaussian_filter`).",
    params: &[
        ParamSpec {
            min: 0.0,
            max: MAX_SIGMA,
            ..ParamSpec::new(
                "sigma",
                ParamKind::Vector { min_len: 1, max_len: usize::MAX, whole: false },
                ParamDefault::Value(Const::Int(2)),
                "the standard deviation, in pixels: one for every axis, or one per axis (an axis's at most 1e-15: \
                 that axis unchanged, as scipy's)",
            )
        },
        BLUR_MODE,
        BLUR_CVAL,
        ParamSpec {
            min: 0.0,
            max: f64::MAX,
            ..ParamSpec::new(
                "truncate",
                ParamKind::Number,
                ParamDefault::Absent,
                "optional: where the kernel is cut, in standard deviations (scipy's `truncate`; 4 when unset)",
            )
        },
    ],
    positional: &["sigma"],
    make: |_| Box::new(GaussianBlur),
};

/// The border mode of `GaussianBlur` and `AverageBlur` (DeepTrack2's `Blur` keyword).
const BLUR_MODE: ParamSpec = ParamSpec::new(
    "mode",
    ParamKind::Str { choices: median::MODES },
    ParamDefault::Value(Const::Str("reflect")),
    "scipy's border mode",
);

/// The constant of the "constant" border mode.
const BLUR_CVAL: ParamSpec = ParamSpec::finite(
    "cval",
    ParamDefault::Value(Const::Float(0.0)),
    "the value outside the image in \"constant\" mode",
);

/// A block or box size: a whole number from 1 to [`MAX_KSIZE`].
const KSIZE: ParamSpec = ParamSpec {
    min: 1.0,
    max: MAX_KSIZE,
    ..ParamSpec::new("ksize", ParamKind::Integer, ParamDefault::Value(Const::Int(3)), "the box size, in pixels")
};

const AVERAGE_BLUR: KindSpec = KindSpec {
    name: "AverageBlur",
    aliases: &[],
    module: "math",
    base: "Blur",
    zero_d_array: false,
    bool_output: false,
    doc: "The mean over a `ksize` window along every axis but the last when it is shorter than `ksize` (DeepTrack2 \
          2.0.1), else along the first two, with scipy's border modes.",
    params: &[KSIZE, BLUR_MODE, BLUR_CVAL],
    positional: &["ksize"],
    make: |_| Box::new(AverageBlur),
};

/// The entry of a pooling: `ksize`, one size for every axis or one per axis.
const fn pooling_kind(
    name: &'static str,
    doc: &'static str,
    make: fn(Vec<Feature>) -> Box<dyn FeatureKind>,
) -> KindSpec {
    KindSpec {
        name,
        aliases: &[],
        module: "math",
        base: "Pool",
        zero_d_array: false,
        bool_output: false,
        doc,
        params: POOLING,
        positional: &["ksize"],
        make,
    }
}

pub(super) const POOLING: &[ParamSpec] = &[
    ParamSpec {
        kind: ParamKind::Vector { min_len: 1, max_len: usize::MAX, whole: true },
        doc: "the block size, in pixels: one for every axis, or one per axis",
        ..KSIZE
    },
    ParamSpec::finite(
        "cval",
        ParamDefault::Absent,
        "optional: the value the axes that do not divide are padded with (skimage's `cval`; 0 when unset)",
    ),
];

/// A pooling's `cval`: the value it pads with (0 when unset or None).
pub(super) fn pooling_cval(props: &PropertyDict, img: &Image) -> Result<f64> {
    let cval = Params::new(POOLING, props).opt_f64("cval")?.unwrap_or(0.0);
    // skimage's np.pad casts it to the image's type first: 3.5 pads an int32 image with 3, -2 a
    // uint8 one with 254 (a complex or float64 image takes it as it is); a number no integer type
    // holds is numpy's OverflowError there.
    let integer = !matches!(
        img.dtype(),
        crate::dtype::Dtype::Float64
            | crate::dtype::Dtype::Float32
            | crate::dtype::Dtype::Float16
            | crate::dtype::Dtype::Bool
    );
    if integer && !((i64::MIN as f64)..(u64::MAX as f64)).contains(&cval.trunc()) {
        return Err(Error::invalid(format!(
            "{cval} does not fit the image's {} samples, which skimage pads with it",
            img.dtype().name()
        ))
        .in_property("cval"));
    }
    Ok(match crate::typed_samples::TypedSamples::cast(&[cval], img.dtype())? {
        Some(typed) => typed.float64()?[0],
        None => cval,
    })
}

/// `img` with `f` applied to every sample (a new image with the same properties).
fn map(img: &Image, f: impl Fn(f64) -> f64) -> Result<Image> {
    // In memory order: a permuted image's result stays permuted, as numpy's ufuncs keep the layout.
    img.with_layout_of(pixelwise::map(img.memory()?, f)?)
}

/// A new image of `shape` (in C order) with `img`'s properties.
pub(super) fn with_samples(img: &Image, shape: &[usize], samples: Vec<f64>) -> Image {
    img.with_standard_data(ArrayD::from_shape_vec(IxDyn(shape), samples).expect("one sample per element"))
}

/// `Clip(min=-inf, max=+inf)`: `clip(x, min, max)`.
#[derive(Clone)]
struct Clip;

impl FeatureKind for Clip {
    /// Complex images: numpy's complex results, numbers ordered by real then imaginary part.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Clip"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(CLIP.params, props);
        // None is no bound on that side, as numpy's `clip(x, None, max)`.
        let lo = p.opt_operand("min")?.unwrap_or(Operand::Number(f64::NEG_INFINITY));
        let hi = p.opt_operand("max")?.unwrap_or(Operand::Number(f64::INFINITY));
        let (lo, hi) = match (lo, hi) {
            (Operand::Number(lo), Operand::Number(hi)) => (lo, hi),
            (lo, hi) => {
                complex_with_array_bounds(img, &lo)?;
                // numpy's `minimum(maximum(x, min), max)`, each broadcast.
                let (lo, hi) = (operand_array(lo), operand_array(hi));
                let raised =
                    super::structural::broadcast_op(&img.data(), &lo, clip_below).map_err(|e| e.in_property("min"))?;
                let out = super::structural::broadcast_op(&raised.view(), &hi, clip_above)
                    .map_err(|e| e.in_property("max"))?;
                return Ok(Some(img.with_data(out)));
            }
        };
        if img.is_complex() {
            return super::complex_math::clip(img, lo, hi).map(Some);
        }
        // numpy's clip: `max` wins where the bounds cross; NaN stays NaN.
        Ok(Some(map(img, |x| clip_above(clip_below(x, lo), hi))?))
    }
}

/// numpy's `maximum(x, lo)`: NaN when either is.
fn clip_below(x: f64, lo: f64) -> f64 {
    if x.is_nan() || lo.is_nan() { f64::NAN } else { x.max(lo) }
}

/// numpy's `minimum(x, hi)`: NaN when either is.
fn clip_above(x: f64, hi: f64) -> f64 {
    if x.is_nan() || hi.is_nan() { f64::NAN } else { x.min(hi) }
}

/// The error for array bounds (`min`/`max` of `Clip` and `NormalizeMinMax`, one of them an array)
/// on a complex image, naming `min` when it is the array: the library does not broadcast complex
/// operands.
fn complex_with_array_bounds(img: &Image, lo: &Operand) -> Result<()> {
    if !img.is_complex() {
        return Ok(());
    }
    let key = if matches!(lo, Operand::Array(_)) { "min" } else { "max" };
    Err(super::noise::complex_with_array(key))
}

/// An operand as an array (a number as a 0-d one).
fn operand_array(o: Operand) -> Arc<ArrayD<f64>> {
    match o {
        Operand::Number(x) => Arc::new(ArrayD::from_elem(IxDyn(&[]), x)),
        Operand::Array(a) => a,
    }
}

/// `NormalizeMinMax(min=0, max=1)`: rescales globally so that the range is `[min, max]`; a constant image
/// becomes all zeros (as DeepTrack2's NaN-to-zero does).
#[derive(Clone)]
struct NormalizeMinMax;

impl FeatureKind for NormalizeMinMax {
    /// Complex images: numpy's complex results, numbers ordered by real then imaginary part.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "NormalizeMinMax"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(NORMALIZE_MIN_MAX.params, props);
        p.bool("featurewise")?;
        let (lo, hi) = match (p.operand("min")?, p.operand("max")?) {
            (Operand::Number(lo), Operand::Number(hi)) => (lo, hi),
            (lo, hi) => {
                complex_with_array_bounds(img, &lo)?;
                return normalize_min_max_broadcast(img, &operand_array(lo), &operand_array(hi)).map(Some);
            }
        };
        if img.is_complex() {
            return super::complex_math::min_max(img, lo, hi).map(Some);
        }
        Ok(Some(normalize_min_max(img, lo, hi)?))
    }
}

/// [`normalize_min_max`] with array bounds, in numpy's steps and broadcasting: `y = x / ptp(x) *
/// (max - min)`, `y - min(y) + min`, NaN to 0 (`min(y)` NaN when any sample of `y` is).
fn normalize_min_max_broadcast(img: &Image, lo: &ArrayD<f64>, hi: &ArrayD<f64>) -> Result<Image> {
    let x = img.data();
    let ptp = if x.iter().any(|v| v.is_nan()) {
        f64::NAN
    } else {
        let (min, max) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        max - min
    };
    let scale = super::structural::broadcast_op(&hi.view(), lo, |h, l| h - l).map_err(|e| e.in_property("max"))?;
    let y = super::structural::broadcast_op(&x, &scale, |v, s| v / ptp * s).map_err(|e| e.in_property("max"))?;
    let least =
        y.iter().copied().fold(f64::INFINITY, |m, v| if v.is_nan() || m.is_nan() { f64::NAN } else { m.min(v) });
    let out = super::structural::broadcast_op(&y.view(), lo, |v, l| {
        let r = v - least + l;
        if r.is_nan() { 0.0 } else { r }
    })
    .map_err(|e| e.in_property("min"))?;
    Ok(img.with_data(out))
}

/// DeepTrack2's `y = x / ptp * (max - min)`, `y - min(y) + min`, NaN to 0, in one pass after the
/// range. The scaling is monotone (non-increasing when `max < min`), so `min(y)` is the scaled
/// minimum of `x` (its maximum when the scale is negative), exactly as rounded. As in numpy, a NaN
/// sample makes `ptp` NaN, and an infinite one a NaN in `y` and so in `min(y)`: either way the image
/// becomes all zeros.
fn normalize_min_max(img: &Image, lo: f64, hi: f64) -> Result<Image> {
    let Some((min, max)) = pixelwise::finite_range(img.memory()?) else {
        return map(img, |_| 0.0);
    };
    let (ptp, scale) = (max - min, hi - lo);
    if max > min {
        check_min_max_range(lo, hi)?;
    }
    // A multiplication by 1/ptp (within rounding of the division, and much faster), unless 1/ptp
    // is not a normal number: then the division, whose NaN and infinities are DeepTrack2's.
    let inv = 1.0 / ptp;
    if inv.is_normal() {
        scaled_min_max(img, (min, max), lo, |v| v * inv * scale)
    } else {
        scaled_min_max(img, (min, max), lo, |v| v / ptp * scale)
    }
}

/// The error of finite `min` (`lo`) and `max` (`hi`) whose normalised range overflows. An image
/// of more than one value spans [min, min + |max - min|] (DeepTrack2's `y - min(y) + min`, so with
/// max < min too): an end that overflows is the finite parameters' doing, whatever the image. The
/// error names the parameter of the larger magnitude.
pub(super) fn check_min_max_range(lo: f64, hi: f64) -> Result<()> {
    if lo.is_finite() && hi.is_finite() && !(lo + (hi - lo).abs()).is_finite() {
        let key = if lo.abs() >= hi.abs() { "min" } else { "max" };
        return Err(Error::invalid(format!(
            "the normalised range [min, min + |max - min|] overflows for min {} and max {}: the image would not be \
             finite",
            Value::Float(lo),
            Value::Float(hi)
        ))
        .in_property(key));
    }
    Ok(())
}

/// `scaled(x) - min(scaled(x)) + lo`, NaN to 0, for a monotone `scaled`.
fn scaled_min_max(img: &Image, (min, max): (f64, f64), lo: f64, scaled: impl Fn(f64) -> f64) -> Result<Image> {
    let (a, b) = (scaled(min), scaled(max));
    let smin = if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) };
    map(img, |v| {
        let y = scaled(v) - smin + lo;
        if y.is_nan() { 0.0 } else { y }
    })
}

/// `NormalizeStandard()`: `(x - mean) / std` over the whole image (population std).
#[derive(Clone)]
struct NormalizeStandard;

impl FeatureKind for NormalizeStandard {
    /// Complex images: numpy's complex results, numbers ordered by real then imaginary part.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "NormalizeStandard"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        Params::new(NORMALIZE_STANDARD.params, props).bool("featurewise")?;
        if img.is_complex() {
            return super::complex_math::standard(img).map(Some);
        }
        let (mean, std) = pixelwise::mean_std(img.contiguous()?);
        let inv = 1.0 / std;
        if inv.is_normal() {
            Ok(Some(map(img, |v| (v - mean) * inv)?))
        } else {
            // A zero, infinite or NaN deviation: numpy's NaN and infinities, by the division itself.
            Ok(Some(map(img, |v| (v - mean) / std)?))
        }
    }
}

/// `GaussianBlur(sigma=2, mode="reflect", cval=0, truncate=4)`: a separable Gaussian over every axis,
/// kernel radius `int(truncate sigma + 0.5)`, as scipy's `gaussian_filter(x, sigma, mode=mode,
/// cval=cval, truncate=truncate)`.
/// DeepTrack2 2.0.1 stores `mode` as `borderType`, which scipy never receives: it always reflects.
#[derive(Clone)]
struct GaussianBlur;

impl FeatureKind for GaussianBlur {
    /// Complex images: the real and imaginary parts in turn (linear, deterministic given the properties).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Parts
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "GaussianBlur"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(GAUSSIAN_BLUR.params, props);
        let given = p.vec("sigma")?;
        let ndim = img.shape().len();
        let sigmas = match given.len() {
            1 => vec![given[0]; ndim],
            n if n == ndim => given,
            n => {
                // scipy's "sequence argument must have length equal to input rank".
                return Err(Error::invalid(format!(
                    "expected one sigma or one per axis of the image ({ndim}), got {n}"
                ))
                .in_property("sigma"));
            }
        };
        let border = median::Border::parse(p.str("mode")?, p.f64("cval")?);
        if sigmas.iter().all(|&s| s <= 1e-15) {
            // scipy's `gaussian_filter` filters only the axes whose sigma exceeds 1e-15: the input
            // itself, as in DeepTrack2 (the kernel `exp(-k² / 2σ²)` of a smaller sigma would be NaN
            // once σ² underflows).
            return Ok(None);
        }
        let truncate = p.opt_f64("truncate")?.unwrap_or(4.0);
        let widest = sigmas.iter().fold(0.0_f64, |m, &s| m.max(s));
        if truncate * widest > 4.0 * MAX_SIGMA {
            // The kernel's taps are the one cost the image does not bound.
            return Err(Error::invalid(format!(
                "truncate · sigma is {}, more than the largest kernel radius of {}",
                Value::Float(truncate * widest),
                Value::Float(4.0 * MAX_SIGMA)
            ))
            .in_property("truncate"));
        }
        let out = filters::gaussian(img.contiguous()?, img.shape(), &sigmas, border, truncate)?;
        Ok(Some(with_samples(img, img.shape(), out)))
    }
}

/// `AverageBlur(ksize=3, mode="reflect", cval=0)`: the mean over a window of `ksize` along some
/// axes, with scipy's border `mode` (DeepTrack2 2.0.1 always reflects), as scipy's `convolve` with a
/// uniform kernel (the window of an even size reaches one further after than before). As 2.0.1:
/// when the last axis is shorter than `ksize`, every axis but the last (a 1-d image unchanged, a 2-d
/// one along its first axis). Where 2.0.1 raises (the last axis at least `ksize`): the first two
/// axes (each channel on its own), or the one axis of a 1-d image. A window larger than the image
/// wraps by the border rule; the cost does not depend on its size.
#[derive(Clone)]
struct AverageBlur;

impl FeatureKind for AverageBlur {
    /// Complex images: the real and imaginary parts in turn (linear, deterministic given the properties).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Parts
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "AverageBlur"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let shape = img.shape();
        let Some(&last) = shape.last() else {
            // DeepTrack2 2.0.1 reads the last axis's length and raises an IndexError.
            return Err(Error::invalid(format!("expected an image with at least 1 axis, got shape {shape:?}")));
        };
        let p = Params::new(AVERAGE_BLUR.params, props);
        let k = p.usize("ksize")?;
        let border = median::Border::parse(p.str("mode")?, p.f64("cval")?);
        let axes: Vec<usize> = if last < k {
            // DeepTrack2 2.0.1's kernel `(ksize,) * (ndim - 1) + (1,)`: every axis but the last (a
            // 1-d image is returned as it is).
            (0..shape.len() - 1).collect()
        } else {
            // 2.0.1 raises (a kernel shape of `((ksize,) * ndim,)`): the first two axes, each channel
            // on its own, or the one axis of a 1-d image.
            (0..shape.len().min(2)).collect()
        };
        if axes.is_empty() {
            return Ok(Some(img.clone()));
        }
        let out = filters::box_mean(img.contiguous()?, shape, &axes, k, border)?;
        Ok(Some(with_samples(img, img.shape(), out)))
    }
}

/// The block poolings (`skimage.measure.block_reduce`): `ksize` is one size for every axis or one per
/// axis; axes that do not divide are padded with `cval` (0 when unset) at the end, and the padding
/// takes part. A block
/// larger than an axis covers all of it (with its padding).
#[derive(Clone)]
struct Pool {
    name: &'static str,
    reduce: Reduce,
}

/// The sizes of a checked `ksize` (whole numbers from 1 to [`MAX_KSIZE`]): one number for all `ndim`
/// axes, or exactly `ndim` numbers.
pub(super) fn ksizes(value: &Value, ndim: usize) -> Result<Vec<usize>> {
    let sizes = match value {
        Value::Int(_) | Value::Float(_) => vec![value.as_f64()?; ndim.max(1)],
        other => other.to_f64_vec()?,
    };
    if ndim > 0 && sizes.len() != ndim {
        return Err(Error::invalid(format!("expected one size or {ndim} sizes, got {}", sizes.len())));
    }
    Ok(sizes.into_iter().map(|k| k as usize).collect())
}

impl FeatureKind for Pool {
    /// Complex images: the mean and sum poolings pool each part (they are linear, the padding zeros);
    /// the maximum and minimum ones compare complex numbers as numpy does (by real part, then
    /// imaginary part).
    fn complex_inputs(&self) -> ComplexInputs {
        match self.reduce {
            Reduce::Mean | Reduce::Sum => ComplexInputs::Parts,
            Reduce::Max | Reduce::Min => ComplexInputs::Native,
        }
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.name
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let shape = img.shape();
        if img.is_complex() {
            // The maximum or minimum pooling (the others are computed part by part).
            let shape = &shape[..shape.len() - 1];
            let k = Params::new(POOLING, props).parse("ksize", |v| ksizes(v, shape.len()))?;
            if shape.is_empty() {
                return Ok(Some(img.clone()));
            }
            let by = if matches!(self.reduce, Reduce::Max) { PoolBy::Max } else { PoolBy::Min };
            return super::complex_math::pool(img, &k, by, pooling_cval(props, img)?).map(Some);
        }
        let k = Params::new(POOLING, props).parse("ksize", |v| ksizes(v, shape.len()))?;
        let cval = pooling_cval(props, img)?;
        if shape.is_empty() {
            // A 0-d image has no axis to pool over: DeepTrack2 returns its value unchanged.
            return Ok(Some(img.clone()));
        }
        let out = reduce_padded(img, &k, self.reduce, cval)?;
        Ok(Some(with_samples(img, &pooling::output_shape(shape, &k), out)))
    }
}

/// The real image `img` (at least one axis) pooled by `reduce` over blocks of `ksize`, the axes that
/// do not divide padded with `cval`. A finite `cval` summed into a block can overflow (numpy's mean
/// gives inf): the policy for finite parameters is an error naming it.
pub(super) fn reduce_padded(img: &Image, ksize: &[usize], reduce: Reduce, cval: f64) -> Result<Vec<f64>> {
    let x = img.contiguous()?;
    let out = pooling::block_reduce_padded(x, img.shape(), ksize, reduce, cval)?;
    if cval != 0.0 && out.iter().any(|x| !x.is_finite()) && x.iter().all(|x| x.is_finite()) {
        return Err(Error::invalid(format!(
            "the pooled image overflows (it has non-finite values): the padding of {cval} summed over a block \
             exceeds the largest float"
        ))
        .in_property("cval"));
    }
    Ok(out)
}

/// `NormalizeQuantile(quantiles=(0.25, 0.75))`: `(x - median) / (q_high - q_low)` over the whole
/// image, the quantiles as numpy's `quantile` computes them (so a zero spread gives numpy's NaN and
/// infinities).
#[derive(Clone)]
struct NormalizeQuantile;

impl FeatureKind for NormalizeQuantile {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "NormalizeQuantile"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(NORMALIZE_QUANTILE.params, props);
        p.bool("featurewise")?;
        let q = p.vec("quantiles")?;
        let mut scratch = crate::buffer::with_capacity(img.contiguous()?.len())?;
        scratch.extend_from_slice(img.contiguous()?);
        let found = median::quantiles(&mut scratch, &[q[0], q[1], 0.5]);
        drop(scratch);
        let (low, high, mid) = (found[0], found[1], found[2]);
        if q[0] == q[1] {
            // Whatever the image, the spread is 0 and the image ±inf (NaN at the median): the equal
            // quantiles are the cause (DeepTrack2 2.0.1 returns numpy's infinities).
            return Err(Error::invalid(format!(
                "the quantiles are equal ({} and {}): the spread between them is 0 for any image, and the \
                 normalised image (x - median) / spread is not finite",
                Value::Float(q[0]),
                Value::Float(q[1])
            ))
            .in_property("quantiles"));
        }
        let spread = high - low;
        Ok(Some(map(img, |v| (v - mid) / spread)?))
    }
}

/// `MedianBlur(ksize=3, mode="reflect", cval=0)`: the median over a `ksize` window on every axis, as
/// scipy's `median_filter(size=ksize, mode=mode, cval=cval)`. DeepTrack2 2.0.1 passes `ksize` to scipy under a name it
/// does not know and raises; this is what it evidently means.
#[derive(Clone)]
struct MedianBlur;

impl FeatureKind for MedianBlur {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "MedianBlur"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(MEDIAN_BLUR.params, props);
        let k = p.usize("ksize")?;
        let border = median::Border::parse(p.str("mode")?, p.f64("cval")?);
        let out =
            median::median_filter(img.contiguous()?, img.shape(), k, border).map_err(|e| e.in_property("ksize"))?;
        Ok(Some(with_samples(img, img.shape(), out)))
    }
}

/// `MedianPooling(ksize=3)`: the median of each block (skimage's `block_reduce` with `np.median`),
/// with the padding (`cval`, 0 when unset) at the ends of axes that do not divide.
#[derive(Clone)]
struct MedianPooling;

impl FeatureKind for MedianPooling {
    /// Complex images: numpy's median of complex numbers over each block (by real part, then
    /// imaginary part).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "MedianPooling"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        if img.is_complex() {
            let shape = &img.shape()[..img.shape().len() - 1];
            let k = Params::new(POOLING, props).parse("ksize", |v| ksizes(v, shape.len()))?;
            if shape.is_empty() {
                return Ok(Some(img.clone()));
            }
            return super::complex_math::pool(img, &k, PoolBy::Median, pooling_cval(props, img)?).map(Some);
        }
        let shape = img.shape();
        let k = Params::new(POOLING, props).parse("ksize", |v| ksizes(v, shape.len()))?;
        let cval = pooling_cval(props, img)?;
        if shape.is_empty() {
            return Ok(Some(img.clone()));
        }
        let out = median::median_pool(img.contiguous()?, shape, &k, cval).map_err(|e| e.in_property("ksize"))?;
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
        let check = |spec: &KindSpec, key: &str, v: Value| spec.validate(key, &v).map_err(|e| e.to_string());
        let pool = &KINDS[6];
        assert_eq!(
            check(pool, "ksize", Value::Float(1e16)).unwrap_err(),
            "property 'ksize': 1e16 exceeds the maximum of 9007199254740992"
        );
        assert_eq!(
            check(pool, "ksize", Value::Int(0)).unwrap_err(),
            "property 'ksize': expected a positive integer, got 0"
        );
        assert!(check(pool, "ksize", Value::vector(&[2.0, 9e15])).is_ok());
        assert_eq!(
            check(&AVERAGE_BLUR, "ksize", Value::Float(2.5)).unwrap_err(),
            "property 'ksize': expected a positive integer, got 2.5"
        );
        assert_eq!(
            check(&GAUSSIAN_BLUR, "sigma", Value::Float(2e6)).unwrap_err(),
            "property 'sigma': 2000000 exceeds the maximum of 1000000"
        );
        assert!(check(&GAUSSIAN_BLUR, "sigma", Value::Float(1e6)).is_ok());
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
}
