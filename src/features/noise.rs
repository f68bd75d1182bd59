//! Noise: `Gaussian`, `ComplexGaussian`, `Poisson`, `Background` (alias `Offset`). Every draw comes from the pipeline's
//! seeded generator, so a seeded pipeline gives the same noise on any machine (DeepTrack2 draws from
//! numpy's global generator, so the noise itself matches it in distribution, not sample by sample).
//!
//! `Gaussian` and `ComplexGaussian` take a real or complex `mu` and `sigma`, as DeepTrack2 2.0.1 does
//! (`Gaussian(sigma=0.005j)`, phase noise of an optics' illumination): a complex one, or a complex
//! input, makes the result complex (see [`Image::is_complex`]).

use crate::features::ComplexInputs;
use std::sync::Arc;

use rand_distr::{Distribution, StandardNormal};

use super::FeatureKind;
use super::poisson_counts;
use super::registry::{Const, KindSpec, Operand, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    GAUSSIAN,
    COMPLEX_GAUSSIAN,
    POISSON,
    background("Background", "", |_| Box::new(Background("Background"))),
    // 2.0.1's `Offset` is the class `Background` itself; here a kind of its own, a subclass of it.
    background("Offset", "Background", |_| Box::new(Background("Offset"))),
];

const GAUSSIAN: KindSpec = KindSpec {
    name: "Gaussian",
    aliases: &[],
    module: "noises",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Adds Gaussian noise: `x + mu + sigma · N(0, 1)` per pixel; a complex `mu` or `sigma` (`0.005j`) makes the \
          result complex (one draw scaled by the complex `sigma`).",
    params: GAUSSIAN_PARAMS,
    positional: &["mu", "sigma"],
    make: |_| Box::new(Gaussian),
};

const COMPLEX_GAUSSIAN: KindSpec = KindSpec {
    name: "ComplexGaussian",
    aliases: &[],
    module: "noises",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Adds complex Gaussian noise: `x + mu + sigma · (N(0, 1) + i·N(0, 1))` per pixel; the result is complex \
          (a last axis of 2: real and imaginary parts); `mu` and `sigma` may be complex.",
    params: GAUSSIAN_PARAMS,
    positional: &["mu", "sigma"],
    make: |_| Box::new(ComplexGaussian),
};

const POISSON: KindSpec = KindSpec {
    name: "Poisson",
    aliases: &[],
    module: "noises",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "Shot noise at signal-to-noise ratio `snr` for the peak above `background` (negative pixels count as 0).",
    params: &[
        ParamSpec {
            kind: ParamKind::Array,
            min: 0.0,
            min_open: true,
            ..ParamSpec::finite(
                "snr",
                ParamDefault::Value(Const::Int(100)),
                "the signal-to-noise ratio of the peak (an array: broadcast with the image)",
            )
        },
        ParamSpec {
            kind: ParamKind::Array,
            ..ParamSpec::finite(
                "background",
                ParamDefault::Value(Const::Int(0)),
                "the level the signal is measured from",
            )
        },
        ParamSpec {
            kind: ParamKind::Array,
            min: 0.0,
            min_open: true,
            ..ParamSpec::finite(
                "max_val",
                ParamDefault::Value(Const::Float(1e8)),
                "the largest expected count of a pixel",
            )
        },
    ],
    positional: &["_input"],
    make: |_| Box::new(Poisson),
};

/// `mu` and `sigma` of `Gaussian` and `ComplexGaussian`: a real number (`sigma` non-negative) or a
/// complex one with finite parts, as DeepTrack2 2.0.1 computes with either.
const GAUSSIAN_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        check: Some(mu_real_or_complex),
        ..ParamSpec::new(
            "mu",
            ParamKind::Any,
            ParamDefault::Value(Const::Int(0)),
            "the mean of the noise: a finite real or complex number",
        )
    },
    ParamSpec {
        check: Some(sigma_real_or_complex),
        ..ParamSpec::new(
            "sigma",
            ParamKind::Any,
            ParamDefault::Value(Const::Int(1)),
            "the standard deviation of the noise: a non-negative number, or a complex number that scales the \
             draw (0.005j: imaginary noise)",
        )
    },
];

/// What a real `mu` must be: a finite number, or an array of them (broadcast with the image).
const REAL_MU: ParamSpec = ParamSpec {
    kind: ParamKind::Array,
    ..ParamSpec::finite("mu", ParamDefault::Value(Const::Int(0)), "the mean of the noise")
};
/// What a real `sigma` must be: a non-negative number, or an array of them (broadcast with the image).
const REAL_SIGMA: ParamSpec = ParamSpec {
    kind: ParamKind::Array,
    min: 0.0,
    ..ParamSpec::finite("sigma", ParamDefault::Value(Const::Int(1)), "the standard deviation of the noise")
};

fn mu_real_or_complex(value: &Value) -> Result<()> {
    real_or_complex(&REAL_MU, value)
}

fn sigma_real_or_complex(value: &Value) -> Result<()> {
    real_or_complex(&REAL_SIGMA, value)
}

/// A complex number with finite parts, or a real one within the bounds of `real`.
fn real_or_complex(real: &ParamSpec, value: &Value) -> Result<()> {
    match value {
        Value::Complex(re, im) if re.is_finite() && im.is_finite() => Ok(()),
        Value::Complex(..) => Err(Error::invalid(format!("expected a complex number with finite parts, got {value}"))),
        other => real.validate(other),
    }
}

/// The error of an array parameter (more than one number) given with a complex image, which the
/// library does not broadcast.
pub(super) fn complex_with_array(key: &str) -> Error {
    Error::invalid(
        "an array (more than one number) is supported with real images only; with a complex image, give a number",
    )
    .in_property(key)
}

/// A sampled `mu` or `sigma`: its real and imaginary parts, and whether it is complex.
fn complex_param(p: &Params<'_>, key: &str) -> Result<((f64, f64), bool)> {
    p.parse(key, Value::to_complex_number)
}

/// A real parameter array, shared.
type RealArray = Arc<ndarray::ArrayD<f64>>;

/// `mu` and `sigma` as real arrays when either is an array of one or more axes (which numpy
/// broadcasts with the image); `None` when both are numbers (real or complex, or 0-d arrays).
fn real_arrays(p: &Params<'_>) -> Result<Option<(RealArray, RealArray)>> {
    let is_array = |key: &str| -> Result<bool> {
        Ok(matches!(p.value(key)?, Value::Array(a) if a.ndim() > 0)
            || matches!(p.value(key)?, Value::IntArray(a) if a.ndim() > 0)
            || matches!(p.value(key)?, Value::List(_) | Value::Tuple(_)))
    };
    if !(is_array("mu")? || is_array("sigma")?) {
        return Ok(None);
    }
    let real = |key: &str| p.parse(key, Value::to_array);
    Ok(Some((real("mu")?, real("sigma")?)))
}

/// The first noise term `mu + sigma · draw` that is not a number though `mu` and `sigma` are: the
/// parameters alone overflow (a `sigma` so large that the draws' products are infinite), whatever the
/// image. Recorded as the noise is drawn: the draw's noise `sigma · draw` and the term, each `(re, im)`.
#[derive(Default)]
struct Overflow(Option<[(f64, f64); 2]>);

impl Overflow {
    /// Records `mu + noise` when it is the first that is not finite.
    #[inline]
    fn check(&mut self, mu: (f64, f64), noise: (f64, f64)) {
        let term = (mu.0 + noise.0, mu.1 + noise.1);
        if !(term.0.is_finite() && term.1.is_finite()) && self.0.is_none() {
            self.0 = Some([noise, term]);
        }
    }

    /// The error naming `sigma` (its product with a draw overflows) or `mu` (its sum with the noise
    /// does), when both are finite; with a non-finite one, numpy's infinities are the result.
    fn error(&self, mu: (f64, f64), sigma: (f64, f64)) -> Result<()> {
        let Some([noise, term]) = self.0 else { return Ok(()) };
        let finite = |(re, im): (f64, f64)| re.is_finite() && im.is_finite();
        if !(finite(mu) && finite(sigma)) {
            return Ok(());
        }
        let show = |(re, im): (f64, f64)| if im == 0.0 { Value::Float(re) } else { Value::Complex(re, im) }.to_string();
        Err(if finite(noise) {
            Error::invalid(format!(
                "mu + sigma · N(0, 1) overflows: mu ({}) plus the noise of a draw ({}) is {}, not a finite number",
                show(mu),
                show(noise),
                show(term)
            ))
            .in_property("mu")
        } else {
            Error::invalid(format!(
                "the noise overflows: sigma ({}) times a standard normal draw is {}, not a finite number (sigma is \
                 too large for the draws' magnitude)",
                show(sigma),
                show(noise)
            ))
            .in_property("sigma")
        })
    }
}

/// `x + mu + noise()` per complex sample: a complex input keeps its shape, a real one gets a last
/// axis of 2 (its imaginary parts zero). `noise` gives each sample's `(re, im)`, in order.
/// A noise term that overflows is recorded in `overflow`.
fn add_complex_noise(
    img: &Image,
    mu: (f64, f64),
    overflow: &mut Overflow,
    mut noise: impl FnMut() -> (f64, f64),
) -> Result<Image> {
    let samples = img.contiguous()?;
    let (shape, data) = if img.is_complex() {
        let mut out = crate::buffer::with_capacity(samples.len())?;
        for pair in samples.chunks_exact(2) {
            let (re, im) = noise();
            overflow.check(mu, (re, im));
            out.push(pair[0] + mu.0 + re);
            out.push(pair[1] + mu.1 + im);
        }
        (img.shape().to_vec(), out)
    } else {
        let count = samples.len().checked_mul(2).ok_or_else(|| {
            Error::new(crate::error::ErrorKind::OutOfMemory, "the complex image's size overflows".to_string())
        })?;
        let mut out = crate::buffer::with_capacity(count)?;
        for &x in samples {
            let (re, im) = noise();
            overflow.check(mu, (re, im));
            out.push(x + mu.0 + re);
            out.push(mu.1 + im);
        }
        let mut shape = img.shape().to_vec();
        shape.push(2);
        (shape, out)
    };
    let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("sized to the shape");
    let mut out = img.with_standard_data(data);
    out.set_complex(true)?;
    Ok(out)
}

/// `Background` and its alias class `Offset`. DeepTrack2 requires `offset`; here it defaults to 0 (a
/// feature is created before its properties are set).
const fn background(
    name: &'static str,
    base: &'static str,
    make: fn(Vec<Feature>) -> Box<dyn FeatureKind>,
) -> KindSpec {
    KindSpec {
        name,
        aliases: &[],
        module: "noises",
        base,
        zero_d_array: false,
        bool_output: false,
        doc: "Adds a constant: `x + offset`.",
        params: BACKGROUND,
        positional: &["offset"],
        make,
    }
}

/// `offset`: a finite number, or an array of them that numpy broadcasts with the image.
const BACKGROUND: &[ParamSpec] = &[ParamSpec {
    kind: ParamKind::Array,
    ..ParamSpec::finite(
        "offset",
        ParamDefault::Value(Const::Float(0.0)),
        "the constant added to every pixel (an array: broadcast with the image, as numpy adds)",
    )
}];

/// `Gaussian(mu=0, sigma=1)`: `mu + x + sigma * N(0, 1)` per pixel. A complex `mu` or `sigma`, or a
/// complex input, gives a complex image, as numpy's arithmetic does in DeepTrack2 2.0.1: one draw per
/// sample times the complex `sigma`, so `sigma = 0.005j` leaves the real part `x + mu`.
#[derive(Clone)]
struct Gaussian;

impl FeatureKind for Gaussian {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Gaussian"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(GAUSSIAN.params, props);
        if let Some((mu, sigma)) = real_arrays(&p)? {
            if img.is_complex() {
                return Err(complex_with_array(if mu.ndim() > 0 { "mu" } else { "sigma" }));
            }
            // numpy's `mu + image + randn(*image.shape) * sigma`: one draw per input sample, then
            // broadcast.
            let draws = normal_draws(img.shape(), rs.rng())?;
            let noise = super::structural::broadcast_op(&draws.view(), &sigma, |n, s| n * s)
                .map_err(|e| e.in_property("sigma"))?;
            let shifted =
                super::structural::broadcast_op(&mu.view(), &crate::fallible::to_owned(&img.data())?, |m, x| m + x)
                    .map_err(|e| e.in_property("mu"))?;
            let out = super::structural::broadcast_op(&shifted.view(), &noise, |a, b| a + b)
                .map_err(|e| e.in_property("sigma"))?;
            return Ok(Some(img.with_data(out)));
        }
        let (((mu, mu_im), complex_mu), ((sigma, sigma_im), complex_sigma)) =
            (complex_param(&p, "mu")?, complex_param(&p, "sigma")?);
        let rng = rs.rng();
        let mut overflow = Overflow::default();
        if complex_mu || complex_sigma || img.is_complex() {
            // numpy: `mu + image + randn(*shape) * sigma` is complex, one draw per sample scaled by
            // the complex sigma (sigma = 0.005j: the real part keeps `x + mu`).
            let out = add_complex_noise(img, (mu, mu_im), &mut overflow, || {
                let n: f64 = StandardNormal.sample(&mut *rng);
                (n * sigma, n * sigma_im)
            })?;
            overflow.error((mu, mu_im), (sigma, sigma_im))?;
            return Ok(Some(out));
        }
        // The samples in C order (a permuted image's too), one draw each in that order: a permuted
        // view gets the noise of its C-order copy, as numpy's `randn(*image.shape)`.
        let out: Vec<f64> = crate::fallible::collect(img.contiguous()?.iter().map(|&x| {
            let n: f64 = StandardNormal.sample(&mut *rng);
            let noise = n * sigma;
            overflow.check((mu, 0.0), (noise, 0.0));
            mu + x + noise
        }))?;
        overflow.error((mu, 0.0), (sigma, 0.0))?;
        Ok(Some(img.with_standard_data(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(img.shape()), out).expect("one per sample"),
        )))
    }
}

/// One standard normal draw per element of `shape`, drawn in C order (numpy's `randn(*shape)`):
/// the draws of an image's samples whatever the image's layout, so that a permuted view gets the
/// noise of its C-order copy.
fn normal_draws(shape: &[usize], rng: &mut dyn rand::RngCore) -> Result<ndarray::ArrayD<f64>> {
    let n = shape.iter().product::<usize>();
    let draws: Vec<f64> = crate::fallible::collect((0..n).map(|_| StandardNormal.sample(&mut *rng)))?;
    Ok(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), draws).expect("one per element"))
}

/// [`ComplexGaussian`] of a real image with real array parameters, in numpy's steps: `mu + image +
/// (N(0, 1) + i·N(0, 1)) · sigma`, the draws one pair per input sample, then broadcast; the result
/// is complex (parts along a new last axis of 2).
fn complex_noise_broadcast(
    img: &Image,
    mu: &ndarray::ArrayD<f64>,
    sigma: &ndarray::ArrayD<f64>,
    rng: &mut dyn rand::RngCore,
) -> Result<Image> {
    use super::structural::broadcast_op as broadcast;
    let re_draws = normal_draws(img.shape(), &mut *rng)?;
    let im_draws = normal_draws(img.shape(), &mut *rng)?;
    let noise_re = broadcast(&re_draws.view(), sigma, |n: f64, s: f64| n * s).map_err(|e| e.in_property("sigma"))?;
    let noise_im = broadcast(&im_draws.view(), sigma, |n: f64, s: f64| n * s).map_err(|e| e.in_property("sigma"))?;
    let shifted = broadcast(&mu.view(), &crate::fallible::to_owned(&img.data())?, |m: f64, x: f64| m + x)
        .map_err(|e| e.in_property("mu"))?;
    let re = broadcast(&shifted.view(), &noise_re, |a: f64, b: f64| a + b).map_err(|e| e.in_property("sigma"))?;
    let im = broadcast(&re.view(), &noise_im, |_: f64, b: f64| b).map_err(|e| e.in_property("sigma"))?;
    let mut shape = re.shape().to_vec();
    shape.push(2);
    let mut data = crate::buffer::with_capacity(re.len() * 2)?;
    for (a, b) in re.iter().zip(im.iter()) {
        data.push(*a);
        data.push(*b);
    }
    let mut out = img.with_standard_data(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("sized"));
    out.set_complex(true)?;
    Ok(out)
}

/// `ComplexGaussian(mu=0, sigma=1)`: `mu + x + sigma * (N(0, 1) + i N(0, 1))` per pixel. Images are
/// real arrays, so the complex result keeps the real and imaginary parts along a new last axis of
/// length 2 and is marked complex ([`Image::is_complex`]; the Python package returns it as a complex
/// array). A complex input (so marked) has noise added to both parts and keeps its shape. A complex
/// `sigma` multiplies the complex draw, a complex `mu` adds to both parts.
#[derive(Clone)]
struct ComplexGaussian;

impl FeatureKind for ComplexGaussian {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "ComplexGaussian"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(COMPLEX_GAUSSIAN.params, props);
        if let Some((mu, sigma)) = real_arrays(&p)? {
            if img.is_complex() {
                return Err(complex_with_array(if mu.ndim() > 0 { "mu" } else { "sigma" }));
            }
            return complex_noise_broadcast(img, &mu, &sigma, rs.rng()).map(Some);
        }
        let ((mu, _), (sigma, _)) = (complex_param(&p, "mu")?, complex_param(&p, "sigma")?);
        let rng = rs.rng();
        // `(N(0, 1) + i·N(0, 1)) · sigma`, the real draw first.
        let mut overflow = Overflow::default();
        let out = add_complex_noise(img, mu, &mut overflow, || {
            let (a, b): (f64, f64) = (StandardNormal.sample(&mut *rng), StandardNormal.sample(&mut *rng));
            (a * sigma.0 - b * sigma.1, a * sigma.1 + b * sigma.0)
        })?;
        overflow.error(mu, sigma)?;
        Ok(Some(out))
    }
}

/// `Poisson(snr=100, background=0, max_val=1e8)`: shot noise at a signal-to-noise ratio `snr` for the
/// peak above `background`. Negative pixels count as 0. The input is never modified (DeepTrack2 2.0.1
/// clips it in place), and an all-zero image stays zero (DeepTrack2 gives NaN).
#[derive(Clone)]
struct Poisson;

impl FeatureKind for Poisson {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Poisson"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(POISSON.params, props);
        let operands = (p.operand("snr")?, p.operand("background")?, p.operand("max_val")?);
        // From the samples in C order: a permuted view's `mapv` keeps its layout (not a slice), and
        // its noise is drawn in C order, as its C-order copy's.
        let clipped: Vec<f64> =
            crate::fallible::collect(img.contiguous()?.iter().map(|&x| if x > 0.0 { x } else { 0.0 }))?;
        let clipped = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(img.shape()), clipped).expect("one per sample");
        let peak = clipped.iter().copied().fold(0.0_f64, f64::max);
        if peak == 0.0 {
            return Ok(Some(img.with_data(clipped)));
        }
        let (snr, background, max_val) = match operands {
            (Operand::Number(s), Operand::Number(b), Operand::Number(m)) => (s, b, m),
            (snr, background, max_val) => {
                return shot_noise_broadcast(img, clipped, peak, [snr, background, max_val], rs.rng()).map(Some);
            }
        };
        // numpy's clip(x, 1e-10, max_val / peak), as DeepTrack2 computes it: the upper bound wins
        // when the two cross. A peak so large (or infinite) that max_val / peak is no longer a
        // positive number leaves nothing to sample.
        let upper = max_val / peak;
        if !(upper > 0.0 && upper.is_finite()) {
            return Err(Error::invalid(format!(
                "the input's peak {peak:e} is too large for max_val {max_val:e}: max_val / peak is {upper:e}, \
                 and Poisson noise needs a positive scale (lower the input or raise max_val)"
            ))
            .in_property("max_val"));
        }
        let rescale = (snr * snr / ((peak - background).abs().powi(2))).max(1e-10).min(upper);
        let rng = rs.rng();
        // In place: the clipped copy (in standard layout) becomes the output.
        let mut out = clipped;
        let samples = out.as_slice_mut().expect("built in standard layout");
        #[cfg(target_arch = "x86_64")]
        let failure = if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
            unsafe { shot_noise_avx2(samples, rescale, rng) }
        } else {
            shot_noise(samples, rescale, rng)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let failure = shot_noise(samples, rescale, rng);
        if let Some(lambda) = failure {
            return Err(Error::invalid(format!(
                "a pixel's expected count {lambda} exceeds the maximum of {} (lower snr or max_val)",
                poisson_counts::MAX_MEAN
            ))
            .in_property("snr"));
        }
        Ok(Some(img.with_data(out)))
    }
}

/// [`Poisson`] with array parameters, in numpy's steps and broadcasting: `rescale = clip(snr² /
/// |peak - background|², 1e-10, max_val / peak)` (an array), then a count of mean `x · rescale`
/// over `rescale` per sample of the broadcast.
fn shot_noise_broadcast(
    img: &Image,
    clipped: ndarray::ArrayD<f64>,
    peak: f64,
    [snr, background, max_val]: [Operand; 3],
    rng: &mut dyn rand::RngCore,
) -> Result<Image> {
    let array = |o: Operand| match o {
        Operand::Number(x) => Arc::new(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), x)),
        Operand::Array(a) => a,
    };
    use super::structural::broadcast_op as broadcast;
    let ratio = broadcast(&array(snr).view(), &array(background), |s: f64, b: f64| s * s / (peak - b).abs().powi(2))
        .map_err(|e| e.in_property("background"))?;
    let rescale = broadcast(&ratio.view(), &array(max_val), |r: f64, m: f64| r.max(1e-10).min(m / peak))
        .map_err(|e| e.in_property("max_val"))?;
    if let Some(&bad) = rescale.iter().find(|r| !(**r > 0.0 && r.is_finite())) {
        return Err(Error::invalid(format!(
            "the input's peak {peak:e} is too large for max_val: max_val / peak is {bad:e}, and Poisson noise \
             needs a positive scale (lower the input or raise max_val)"
        ))
        .in_property("max_val"));
    }
    let rng = std::cell::RefCell::new(rng);
    let failure = std::cell::Cell::new(None);
    let out = broadcast(&clipped.view(), &rescale, |x: f64, r: f64| {
        let lambda = x * r;
        if lambda <= 0.0 {
            0.0
        } else if lambda <= poisson_counts::MAX_MEAN {
            poisson_counts::count(lambda, &mut **rng.borrow_mut()) / r
        } else {
            if failure.get().is_none() {
                failure.set(Some(lambda));
            }
            f64::NAN
        }
    })
    .map_err(|e| e.in_property("snr"))?;
    if let Some(lambda) = failure.get() {
        return Err(Error::invalid(format!(
            "a pixel's expected count {lambda} exceeds the maximum of {} (lower snr or max_val)",
            poisson_counts::MAX_MEAN
        ))
        .in_property("snr"));
    }
    Ok(img.with_data(out))
}

/// Every sample `x` replaced by a Poisson count of mean `x · rescale`, over `rescale` (0 where that
/// mean is not positive), in order from `rng`; the first mean too large to sample, if any (its
/// sample is NaN).
#[inline(always)]
fn shot_noise(samples: &mut [f64], rescale: f64, rng: &mut dyn rand::RngCore) -> Option<f64> {
    let mut failure = None;
    for x in samples {
        let lambda = *x * rescale;
        *x = if lambda <= 0.0 {
            0.0
        } else if lambda <= poisson_counts::MAX_MEAN {
            poisson_counts::count(lambda, &mut *rng) / rescale
        } else {
            failure.get_or_insert(lambda);
            f64::NAN
        };
    }
    failure
}

/// [`shot_noise`] compiled for AVX2: the sampler's roundings become instructions (SSE4.1's
/// `roundsd`) instead of calls into libm, and its square roots `vsqrtsd`; the same numbers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn shot_noise_avx2(samples: &mut [f64], rescale: f64, rng: &mut dyn rand::RngCore) -> Option<f64> {
    shot_noise(samples, rescale, rng)
}

/// `Background(offset=0)` / `Offset`: `x + offset`.
#[derive(Clone)]
struct Background(&'static str);

impl FeatureKind for Background {
    /// Complex images: the offset added as `offset + 0j`, as numpy adds a real number.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.0
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let offset = match Params::new(BACKGROUND, props).operand("offset")? {
            Operand::Number(x) => x,
            Operand::Array(a) => {
                if img.is_complex() {
                    return Err(complex_with_array("offset"));
                }
                let data = super::structural::broadcast_op(&img.data(), &a, |x, o| x + o)
                    .map_err(|e| e.in_property("offset"))?;
                return Ok(Some(img.with_data(data)));
            }
        };
        if img.is_complex() {
            // numpy's `z + offset`: the offset as the complex number `offset + 0j`.
            let parts = super::elementwise::complex::map_parts(img.contiguous()?, |re| re + offset, |im| im + 0.0)?;
            return super::complex_inputs::from_parts(&img.complex_part(false)?, parts).map(Some);
        }
        // One vectorised pass into a fresh buffer, as `Add` (numpy's `x + offset`).
        img.map_samples(|x| x + offset).map(Some)
    }
}
