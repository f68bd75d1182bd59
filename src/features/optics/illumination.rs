//! The illumination of an optics (`illumination=`), and DeepTrack2's `IlluminationGradient`: the
//! amplitude of a field set to `clip(|E| + gradient[0]·column + gradient[1]·row + constant, vmin,
//! vmax)`, its phase kept (a zero field stays zero).
//!
//! `Brightfield` (and `Holography`, `Darkfield`, `ISCAT`, built on it) resolves its illumination on
//! the complex unit field of its FFT grid (`ones((n0, n1), complex)`, row and column 0 at the padded
//! window's corner) and propagates the result, as DeepTrack2 2.0.1's `Brightfield.get` does. Any
//! feature or chain may be the illumination (`Gaussian(sigma=0.005) >> Gaussian(sigma=0.005j)`:
//! noise on the incoming field); gradients alone (the common case) are applied here without a
//! resolve, and their `fft2` is cached while their numbers stay the same. Another feature is resolved
//! at every image on the resolving thread (its result is cached by the feature as any result is: the
//! same until an update), its property dicts not recorded in the image (DeepTrack2 hands the optics'
//! image its sample's properties only). `Fluorescence` takes an illumination and ignores it, as
//! DeepTrack2 2.0.1 does. Resolved in a pipeline, `IlluminationGradient` applies its gradient to a
//! real image (`(H, W)` or `(H, W, C)`, the gradient over the first two axes): its samples'
//! magnitudes change and their signs stay.

use crate::features::ComplexInputs;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::pupil::Band;
use super::{Params, alloc_f64};
use crate::error::{Error, Result};
use crate::features::FeatureKind;
use crate::features::registry::{self, Const, KindSpec, ParamDefault, ParamKind, ParamSpec};
use crate::fft::{self, Fft2};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList, flatten};
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};

/// `IlluminationGradient`'s parameters.
const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        kind: ParamKind::Vector { min_len: 2, max_len: 2, whole: false },
        ..ParamSpec::finite(
            "gradient",
            ParamDefault::Value(Const::IntTuple(&[0, 0])),
            "the amplitude's change per pixel along the columns, then along the rows",
        )
    },
    ParamSpec::finite("constant", ParamDefault::Value(Const::Int(0)), "added to the amplitude"),
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
    base: "Feature",
    zero_d_array: false,
    bool_output: false,
    doc: "The illumination of an optics (illumination=): a field's amplitude plus a linear gradient, clipped.",
    params: PARAMS,
    positional: &["gradient", "constant", "vmin", "vmax"],
    make: |_| Box::new(IlluminationGradient),
}];

/// An illumination gradient, its properties parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Gradient {
    gradient: [f64; 2],
    constant: f64,
    vmin: f64,
    vmax: f64,
    /// The feature's label (errors blamed on it name it).
    label: Arc<str>,
}

impl Gradient {
    /// The illumination `feature` (its sampled properties `props`), or `None` when it is not an
    /// `IlluminationGradient`.
    pub fn of(feature: &Feature, props: &PropertyDict) -> Option<Result<Gradient>> {
        let spec = feature.spec().filter(|s| s.name == "IlluminationGradient")?;
        let label = feature.label();
        Some(
            Gradient::parse(spec, props)
                .map(|g| Gradient { label: label.clone(), ..g })
                .map_err(|e| e.in_feature(&label)),
        )
    }

    fn parse(spec: &'static KindSpec, props: &PropertyDict) -> Result<Gradient> {
        let p = registry::Params::new(spec.params, props);
        let g = p.vec("gradient")?;
        Ok(Gradient {
            gradient: [g[0], g[1]],
            constant: p.f64("constant")?,
            vmin: p.f64("vmin")?,
            vmax: p.f64("vmax")?,
            label: Arc::from(spec.name),
        })
    }

    /// The largest amplitude the gradient gives a unit field on a `grid` (at a corner: the ramp is
    /// linear) and the property that sets it: `vmin` or `vmax` when they clip it, else `constant` or
    /// `gradient`, whichever is larger there.
    pub fn loudest(&self, grid: [usize; 2]) -> (&'static str, f64) {
        let corners = [(0, 0), (0, grid[1].saturating_sub(1)), (grid[0].saturating_sub(1), 0)];
        let corners = corners.into_iter().chain([(grid[0].saturating_sub(1), grid[1].saturating_sub(1))]);
        let mut out = ("constant", 0.0f64);
        for (row, column) in corners {
            let ramp = column as f64 * self.gradient[0] + row as f64 * self.gradient[1];
            let raw = 1.0 + ramp + self.constant;
            let a = self.amplitude(1.0, row, column);
            let key = if a == self.vmin && raw != a {
                "vmin"
            } else if a == self.vmax && raw != a {
                "vmax"
            } else if self.constant.abs() >= ramp.abs() {
                "constant"
            } else {
                "gradient"
            };
            if a.is_nan() || a.abs() > out.1.abs() {
                out = (key, a);
            }
        }
        out
    }

    /// The error for an image (or incoming field) that overflows because of this gradient's
    /// amplitude on `grid`.
    pub fn overflow(&self, grid: [usize; 2], what: &str) -> Error {
        let (key, amplitude) = self.loudest(grid);
        Error::invalid(format!(
            "{what} overflows (it has non-finite values): the illumination's {key} gives the incoming field an \
             amplitude of {}, too large to image",
            super::params::num(amplitude)
        ))
        .in_property(key)
        .in_feature(&self.label)
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

/// The complex unit field of an optics' FFT grid (`n0 × n1 × 2`, marked complex) that a resolved
/// illumination receives, kept between resolves: the same input, so that the illumination's cached
/// result (its noise, until an update) is reused.
#[derive(Default)]
pub(super) struct UnitField(Option<Image>);

impl Recover for UnitField {
    fn recover(&mut self) {
        // A thread gone with a fork was filling it: start empty (fork safety, see `crate::sync`).
        overwrite(self, UnitField::default());
    }
}

impl UnitField {
    /// The unit field of the `grid`, from `cache` when it holds that grid's.
    fn of(cache: &Lock<UnitField>, grid: [usize; 2]) -> Result<Image> {
        if let Some(unit) = cache.lock().0.as_ref().filter(|u| u.shape()[..2] == grid) {
            return Ok(unit.clone());
        }
        let [n0, n1] = grid;
        let mut data = alloc_f64(2 * n0 * n1)?;
        data.iter_mut().step_by(2).for_each(|v| *v = 1.0);
        let mut unit = Image::new(ArrayD::from_shape_vec(IxDyn(&[n0, n1, 2]), data).expect("n0 × n1 × 2"));
        unit.set_complex(true)?;
        cache.lock().0 = Some(unit.clone());
        Ok(unit)
    }
}

/// Numbers no two resolved illuminations share (their cache keys: see [`resolved`]).
static RESOLVED: AtomicU64 = AtomicU64::new(0);

/// Resolves the illumination `feature` (at replicate index `id`) on the complex unit field of the
/// optics' grid, as DeepTrack2's `self.illumination.resolve(ones(shape, complex))`: the incoming field
/// (`n0 × n1`, row-major), and a number no other resolve's gives (for `key`: the optics never reuse a
/// transformed field across images). The result may be real or complex, of the grid's shape or one
/// that numpy broadcasts to it (a number, a row of `n1`, an `n0 × 1` column).
pub(super) fn resolved(
    feature: &Feature,
    id: &ReplicaId,
    rs: &mut Resolver<'_>,
    grid: [usize; 2],
    cache: &Lock<UnitField>,
    key: &mut Vec<u64>,
) -> Result<Vec<Complex64>> {
    let [n0, n1] = grid;
    let unit = UnitField::of(cache, grid)?;
    let out = rs.resolve(feature, &ImageList::from(vec![unit]), id)?;
    let images = flatten(&out)?;
    let label = feature.label();
    let [image] = &images[..] else {
        return Err(Error::invalid(format!(
            "the illumination returned {} images, expected one field of the optics' grid [{n0}, {n1}]",
            images.len()
        ))
        .in_feature(&label));
    };
    let complex = image.is_complex();
    let shape = if complex { &image.shape()[..image.shape().len() - 1] } else { image.shape() };
    let (s0, s1) = match *shape {
        [] => (1, 1),
        [b] => (1, b),
        [a, b] => (a, b),
        _ => (0, 0),
    };
    if !(s0 == 1 || s0 == n0) || !(s1 == 1 || s1 == n1) {
        return Err(Error::invalid(format!(
            "the illumination returned a field of shape {shape:?}, which does not broadcast to the optics' grid \
             [{n0}, {n1}] (the padded output region on its FFT grid)"
        ))
        .in_feature(&label));
    }
    let samples = image.contiguous()?;
    let mut field = fft::zeros(n0 * n1)?;
    for (at, v) in field.iter_mut().enumerate() {
        let (i, j) = (at / n1, at % n1);
        let k = (if s0 == 1 { 0 } else { i }) * s1 + if s1 == 1 { 0 } else { j };
        *v = if complex { Complex64::new(samples[2 * k], samples[2 * k + 1]) } else { Complex64::new(samples[k], 0.0) };
        if !(v.re.is_finite() && v.im.is_finite()) {
            return Err(Error::invalid(format!(
                "the illumination returned a non-finite value ({}) at row {i}, column {j}",
                Complex64::new(v.re, v.im)
            ))
            .in_feature(&label));
        }
    }
    key.extend([5, RESOLVED.fetch_add(1, Ordering::Relaxed)]);
    Ok(field)
}

/// `fft2(illumination(ones))` on the pupil's band, zero outside the pupil (where the first
/// propagation step removes it): the field entering the sample. `resolved` is the field a feature
/// other than gradients gave (see [`resolved`]); otherwise the gradients apply to the unit field.
pub(super) fn incoming(
    p: &Params,
    band: &Band,
    gradients: &[Gradient],
    resolved: Option<&[Complex64]>,
) -> Result<Vec<Complex64>> {
    let [n0, n1] = p.grid;
    let (us, vs) = (&band.us[..], &band.vs[..]);
    let nv = vs.len();
    let mut light = fft::zeros(us.len() * nv)?;
    if gradients.is_empty() && resolved.is_none() {
        // All of the unit wave's spectrum is at DC.
        if let (Some(a), Some(b)) = (us.iter().position(|&u| u == 0), vs.iter().position(|&v| v == 0)) {
            light[a * nv + b] = Complex64::new((n0 * n1) as f64, 0.0);
        }
        return Ok(light);
    }
    let mut field = fft::zeros(n0 * n1)?;
    match resolved {
        Some(given) => field.copy_from_slice(given),
        None => field.fill(Complex64::new(1.0, 0.0)),
    }
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
    // Once per incoming field (it is cached): an amplitude whose spectrum overflows is the loudest
    // gradient's.
    if light.iter().any(|v| !(v.re.is_finite() && v.im.is_finite())) {
        if let Some(g) = loudest(gradients, p.grid) {
            return Err(g.overflow(p.grid, "the incoming field"));
        }
        return Err(Error::invalid(
            "the incoming field overflows (it has non-finite values): the illumination's values are too large to \
             image",
        ));
    }
    Ok(light)
}

/// The gradient of `gradients` that gives the largest amplitude on `grid`, if any.
pub(super) fn loudest(gradients: &[Gradient], grid: [usize; 2]) -> Option<&Gradient> {
    gradients.iter().max_by(|a, b| a.loudest(grid).1.abs().total_cmp(&b.loudest(grid).1.abs()))
}

/// The kind: resolved in a pipeline, the gradient applied to the image.
#[derive(Clone)]
struct IlluminationGradient;

impl FeatureKind for IlluminationGradient {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn name(&self) -> &str {
        "IlluminationGradient"
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(IlluminationGradient)
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(image) = input else { return Ok(None) };
        let g = Gradient::parse(&KINDS[0], props)?;
        let full = image.shape();
        // A complex image's numbers (DeepTrack2's `amplitude * image / abs(image)` of complex ones).
        let shape = if image.is_complex() { &full[..full.len() - 1] } else { full };
        if !(2..=3).contains(&shape.len()) {
            return Err(Error::invalid(format!(
                "expected an image of 2 or 3 dimensions (rows, columns and optionally channels), got shape {shape:?}"
            )));
        }
        let (cols, channels) = (shape[1], shape.get(2).copied().unwrap_or(1));
        let samples = image.contiguous()?;
        if image.is_complex() {
            let mut out = alloc_f64(samples.len())?;
            for (at, (o, z)) in out.chunks_exact_mut(2).zip(samples.chunks_exact(2)).enumerate() {
                let pixel = at / channels;
                let abs = z[0].hypot(z[1]);
                let a = g.amplitude(abs, pixel / cols.max(1), pixel % cols.max(1));
                let (re, im) = (a * z[0] / abs, a * z[1] / abs);
                // numpy's `isnan` of a complex number: either part.
                let nan = re.is_nan() || im.is_nan();
                o.copy_from_slice(&if nan { [0.0, 0.0] } else { [re, im] });
            }
            let data = ArrayD::from_shape_vec(IxDyn(full), out).expect("one per part");
            let mut out = image.with_standard_data(data);
            out.set_complex(true)?;
            return Ok(Some(out));
        }
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
