//! DeepTrack2's `IlluminationGradient` (`illumination=` of the optics): the amplitude of a field set
//! to `clip(|E| + gradient[0]·column + gradient[1]·row + constant, vmin, vmax)`, its phase kept (a
//! zero field stays zero).
//!
//! `Brightfield` applies its illumination to the unit plane wave on the FFT grid (row and column 0
//! at the padded window's corner) before propagating it; `Fluorescence` takes an illumination and
//! ignores it, as DeepTrack2 2.0.1 does. Resolved in a pipeline, the feature applies the same
//! to a real image (`(H, W)` or `(H, W, C)`, the gradient over the first two axes): its samples'
//! magnitudes change and their signs stay.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::pupil::Band;
use super::{Params, alloc_f64};
use crate::error::{Error, Result};
use crate::features::FeatureKind;
use crate::features::registry::{self, Const, KindSpec, ParamDefault, ParamKind, ParamSpec};
use crate::fft::{self, Fft2};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// A finite number.
const fn finite(name: &'static str, default: Const, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min: -f64::MAX,
        max: f64::MAX,
        ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(default), doc)
    }
}

/// `IlluminationGradient`'s parameters.
const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        min: -f64::MAX,
        max: f64::MAX,
        ..ParamSpec::new(
            "gradient",
            ParamKind::Vector { min_len: 2, max_len: 2, whole: false },
            ParamDefault::Value(Const::Ints(&[0, 0])),
            "the amplitude's change per pixel along the columns, then along the rows",
        )
    },
    finite("constant", Const::Int(0), "added to the amplitude"),
    ParamSpec {
        min: -f64::MAX,
        max: f64::INFINITY,
        ..ParamSpec::new("vmin", ParamKind::Number, ParamDefault::Value(Const::Int(0)), "the least amplitude")
    },
    ParamSpec {
        min: -f64::INFINITY,
        max: f64::INFINITY,
        ..ParamSpec::new(
            "vmax",
            ParamKind::Number,
            ParamDefault::Value(Const::Float(f64::INFINITY)),
            "the largest amplitude",
        )
    },
];

/// The registry entry.
pub(crate) static KINDS: &[KindSpec] = &[KindSpec {
    name: "IlluminationGradient",
    aliases: &[],
    module: "optics",
    doc: "The illumination of an optics (illumination=): a field's amplitude plus a linear gradient, clipped.",
    params: PARAMS,
    positional: &["gradient", "constant", "vmin", "vmax"],
    make: |_| Box::new(IlluminationGradient),
}];

/// An illumination gradient, its properties parsed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Gradient {
    gradient: [f64; 2],
    constant: f64,
    vmin: f64,
    vmax: f64,
}

impl Gradient {
    /// The illumination `feature` (its sampled properties `props`), or `None` when it is not an
    /// `IlluminationGradient`.
    pub fn of(feature: &Feature, props: &PropertyDict) -> Option<Result<Gradient>> {
        let spec = feature.spec().filter(|s| s.name == "IlluminationGradient")?;
        Some(Gradient::parse(spec, props).map_err(|e| e.in_feature(&feature.label())))
    }

    fn parse(spec: &'static KindSpec, props: &PropertyDict) -> Result<Gradient> {
        let p = registry::Params::new(spec.params, props);
        let g = p.vec("gradient")?;
        Ok(Gradient {
            gradient: [g[0], g[1]],
            constant: p.f64("constant")?,
            vmin: p.f64("vmin")?,
            vmax: p.f64("vmax")?,
        })
    }

    /// The numbers it depends on, as bits (a cache key).
    pub fn key(&self, out: &mut Vec<u64>) {
        out.extend([self.gradient[0], self.gradient[1], self.constant, self.vmin, self.vmax].map(f64::to_bits));
    }

    /// The new amplitude of a sample of magnitude `magnitude` at `(row, column)`.
    fn amplitude(&self, magnitude: f64, row: usize, column: usize) -> f64 {
        let ramp = column as f64 * self.gradient[0] + row as f64 * self.gradient[1];
        // np.clip: the lower bound, then the upper one.
        (magnitude + ramp + self.constant).max(self.vmin).min(self.vmax)
    }

    /// Applies the gradient to a complex field (`rows × cols`, row-major): the amplitude changed, the
    /// phase kept; NaN (a zero field) becomes 0.
    fn apply(&self, field: &mut [Complex64], cols: usize) {
        for (at, v) in field.iter_mut().enumerate() {
            let magnitude = v.norm();
            let a = self.amplitude(magnitude, at / cols, at % cols);
            let out = Complex64::new(a * v.re / magnitude, a * v.im / magnitude);
            *v = if out.re.is_nan() || out.im.is_nan() { Complex64::new(0.0, 0.0) } else { out };
        }
    }
}

/// `fft2(illumination(ones))` on the pupil's band, zero outside the pupil (where the first
/// propagation step removes it): the field entering the sample.
pub(super) fn incoming(p: &Params, band: &Band, gradients: &[Gradient]) -> Result<Vec<Complex64>> {
    let [n0, n1] = p.grid;
    let (us, vs) = (&band.us[..], &band.vs[..]);
    let nv = vs.len();
    let mut light = fft::zeros(us.len() * nv)?;
    if gradients.is_empty() {
        // All of the unit wave's spectrum is at DC.
        if let (Some(a), Some(b)) = (us.iter().position(|&u| u == 0), vs.iter().position(|&v| v == 0)) {
            light[a * nv + b] = Complex64::new((n0 * n1) as f64, 0.0);
        }
        return Ok(light);
    }
    let mut field = fft::zeros(n0 * n1)?;
    field.fill(Complex64::new(1.0, 0.0));
    for g in gradients {
        g.apply(&mut field, n1);
    }
    Fft2::new(n0, n1)?.forward(&mut field);
    for (a, &u) in us.iter().enumerate() {
        for (b, &v) in vs.iter().enumerate() {
            if band.pupil.support[a * nv + b] {
                light[a * nv + b] = field[u * n1 + v];
            }
        }
    }
    Ok(light)
}

/// The kind: resolved in a pipeline, the gradient applied to the image.
#[derive(Clone)]
struct IlluminationGradient;

impl FeatureKind for IlluminationGradient {
    fn name(&self) -> &str {
        "IlluminationGradient"
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(IlluminationGradient)
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(image) = input else { return Ok(None) };
        let g = Gradient::parse(&KINDS[0], props)?;
        let shape = image.shape();
        if !(2..=3).contains(&shape.len()) {
            return Err(Error::invalid(format!(
                "expected an image of 2 or 3 dimensions (rows, columns and optionally channels), got shape {shape:?}"
            )));
        }
        let (cols, channels) = (shape[1], shape.get(2).copied().unwrap_or(1));
        let samples = image.contiguous()?;
        let mut out = alloc_f64(samples.len())?;
        for (at, (o, &v)) in out.iter_mut().zip(samples).enumerate() {
            let pixel = at / channels;
            let a = g.amplitude(v.abs(), pixel / cols.max(1), pixel % cols.max(1));
            let r = a * v / v.abs();
            *o = if r.is_nan() { 0.0 } else { r };
        }
        let data = ArrayD::from_shape_vec(IxDyn(shape), out).expect("one per sample");
        Ok(Some(image.with_standard_data(data)))
    }
}
