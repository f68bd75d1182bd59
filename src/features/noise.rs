//! Noise: `Gaussian`, `ComplexGaussian`, `Poisson`, `Background` (alias `Offset`). Every draw comes from the pipeline's
//! seeded generator, so a seeded pipeline gives the same noise on any machine (DeepTrack2 draws from
//! numpy's global generator, so the noise itself matches it in distribution, not sample by sample).

use std::sync::Arc;

use rand_distr::{Distribution, Poisson as PoissonDist, StandardNormal};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    GAUSSIAN,
    COMPLEX_GAUSSIAN,
    POISSON,
    background("Background", |_| Box::new(Background("Background"))),
    background("Offset", |_| Box::new(Background("Offset"))),
];

/// A finite number (the bounds that mean "finite" to the registry).
const fn finite(name: &'static str, default: f64, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min: -f64::MAX,
        max: f64::MAX,
        ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(Const::Float(default)), doc)
    }
}

const GAUSSIAN: KindSpec = KindSpec {
    name: "Gaussian",
    aliases: &[],
    module: "noises",
    doc: "Adds Gaussian noise: `x + mu + sigma · N(0, 1)` per pixel.",
    params: &[
        finite("mu", 0.0, "the mean of the noise"),
        ParamSpec { min: 0.0, ..finite("sigma", 1.0, "the standard deviation of the noise") },
    ],
    positional: &["mu", "sigma"],
    make: |_| Box::new(Gaussian),
};

const COMPLEX_GAUSSIAN: KindSpec = KindSpec {
    name: "ComplexGaussian",
    aliases: &[],
    module: "noises",
    doc: "Adds complex Gaussian noise: `x + mu + sigma · (N(0, 1) + i·N(0, 1))` per pixel; the result is complex \
          (a last axis of 2: real and imaginary parts).",
    params: GAUSSIAN.params,
    positional: &["mu", "sigma"],
    make: |_| Box::new(ComplexGaussian),
};

const POISSON: KindSpec = KindSpec {
    name: "Poisson",
    aliases: &[],
    module: "noises",
    doc: "Shot noise at signal-to-noise ratio `snr` for the peak above `background` (negative pixels count as 0).",
    params: &[
        ParamSpec { min: 0.0, min_open: true, ..finite("snr", 100.0, "the signal-to-noise ratio of the peak") },
        finite("background", 0.0, "the level the signal is measured from"),
        ParamSpec { min: 0.0, min_open: true, ..finite("max_val", 1e8, "the largest expected count of a pixel") },
    ],
    positional: &["_input"],
    make: |_| Box::new(Poisson),
};

/// `Background` and its alias class `Offset`. DeepTrack2 requires `offset`; here it defaults to 0 (a
/// feature is created before its properties are set).
const fn background(name: &'static str, make: fn(Vec<Feature>) -> Box<dyn FeatureKind>) -> KindSpec {
    KindSpec {
        name,
        aliases: &[],
        module: "noises",
        doc: "Adds a constant: `x + offset`.",
        params: BACKGROUND,
        positional: &["offset"],
        make,
    }
}

const BACKGROUND: &[ParamSpec] = &[finite("offset", 0.0, "the constant added to every pixel")];

/// `Gaussian(mu=0, sigma=1)`: `mu + x + sigma * N(0, 1)` per pixel.
#[derive(Clone)]
struct Gaussian;

impl FeatureKind for Gaussian {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Gaussian"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(GAUSSIAN.params, props);
        let (mu, sigma) = (p.f64("mu")?, p.f64("sigma")?);
        let rng = rs.rng();
        let out = img.data().mapv(|x| {
            let n: f64 = StandardNormal.sample(&mut *rng);
            mu + x + n * sigma
        });
        Ok(Some(img.with_data(out)))
    }
}

/// `ComplexGaussian(mu=0, sigma=1)`: `mu + x + sigma * (N(0, 1) + i N(0, 1))` per pixel. Images are
/// real arrays, so the complex result keeps the real and imaginary parts along a new last axis of
/// length 2 and is marked complex ([`Image::is_complex`]; the Python package returns it as a complex
/// array). A complex input (so marked) has noise added to both parts and keeps its shape.
#[derive(Clone)]
struct ComplexGaussian;

impl FeatureKind for ComplexGaussian {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "ComplexGaussian"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(COMPLEX_GAUSSIAN.params, props);
        let (mu, sigma) = (p.f64("mu")?, p.f64("sigma")?);
        let rng = rs.rng();
        let mut normal = || -> f64 { StandardNormal.sample(&mut *rng) };
        let samples = img.contiguous()?;
        let (shape, data) = if img.is_complex() {
            let mut out = crate::buffer::with_capacity(samples.len())?;
            for pair in samples.chunks_exact(2) {
                out.push(mu + pair[0] + sigma * normal());
                out.push(pair[1] + sigma * normal());
            }
            (img.shape().to_vec(), out)
        } else {
            let count = samples.len().checked_mul(2).ok_or_else(|| {
                Error::new(crate::error::ErrorKind::OutOfMemory, "the complex image's size overflows".to_string())
            })?;
            let mut out = crate::buffer::with_capacity(count)?;
            for &x in samples {
                out.push(mu + x + sigma * normal());
                out.push(sigma * normal());
            }
            let mut shape = img.shape().to_vec();
            shape.push(2);
            (shape, out)
        };
        let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("sized to the shape");
        let mut out = img.with_standard_data(data);
        out.set_complex(true)?;
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
        let (snr, background, max_val) = (p.f64("snr")?, p.f64("background")?, p.f64("max_val")?);
        let clipped = img.data().mapv(|x| if x > 0.0 { x } else { 0.0 });
        let peak = clipped.iter().copied().fold(0.0_f64, f64::max);
        if peak == 0.0 {
            return Ok(Some(img.with_data(clipped)));
        }
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
        let mut failure = None;
        // In place: the clipped copy becomes the output.
        let mut out = clipped;
        out.mapv_inplace(|x| {
            let lambda = x * rescale;
            if lambda <= 0.0 {
                return 0.0;
            }
            match PoissonDist::new(lambda) {
                Ok(d) => d.sample(&mut *rng) / rescale,
                Err(_) => {
                    failure = Some(lambda);
                    f64::NAN
                }
            }
        });
        if let Some(lambda) = failure {
            return Err(Error::invalid(format!(
                "a pixel's expected count {lambda} exceeds the maximum of {} (lower snr or max_val)",
                PoissonDist::<f64>::MAX_LAMBDA
            ))
            .in_property("snr"));
        }
        Ok(Some(img.with_data(out)))
    }
}

/// `Background(offset=0)` / `Offset`: `x + offset`.
#[derive(Clone)]
struct Background(&'static str);

impl FeatureKind for Background {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.0
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let offset = Params::new(BACKGROUND, props).f64("offset")?;
        Ok(Some(img.with_data(img.data().mapv(|x| x + offset))))
    }
}
