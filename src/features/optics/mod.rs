//! Optics: `Fluorescence` (incoherent imaging, a per-plane convolution with the point-spread function)
//! and `Brightfield` (coherent multislice propagation), as DeepTrack2 2.0.1 renders them
//! (docs/deeptrack2-rendering.md §2, §4–§6).
//!
//! An optics feature images a sample through a microscope (`optics(sample)`, [`Feature::microscope`]):
//! the microscope resolves the sample at the simulation voxel size `resolution / magnification /
//! upscale` (the [`OpticsContext`] it sets in the sample's scope, `context.rs`), and the optics then
//! 1. place each scatterer volume at its `position` (sub-pixel, bilinear in rows and columns) and `z`,
//!    multiplied by `intensity · scale₀·scale₁/scale₂`, `refractive_index − refractive_index_medium` or
//!    `value` (`_create_volume`); a complex `refractive_index` (an absorbing scatterer) makes the
//!    brightfield phase per voxel complex, `exp(i·(Δn + iκ)·k·voxel)`, while fluorescence images its
//!    real part (as DeepTrack2's `np.real` of the convolved complex volume);
//! 2. render the padded output region (`output_region` rows `[x0, x1)`, columns `[y0, y1)`, plus
//!    `padding`) on an FFT grid of DeepTrack2's sizes (`2^a·3^b`, `a + b <= 8`, at most 6561);
//! 3. crop the padding and average `upscale × upscale` blocks back to camera pixels.
//!
//! Field scatterers (`MieSphere`, `MieStratifiedSphere`: complex images of the FFT grid in the sample)
//! are not part of the volume: `Brightfield` adds the sum of their spectra at the focal plane, before
//! the in-focus pupil (`fields.rs`); `Fluorescence` ignores them, as DeepTrack2 does.
//!
//! The result is an `(H, W, 1)` image. `Brightfield(return_field=true)` returns the complex field as an
//! `(H, W, 1, 2)` image instead: real and imaginary parts along the trailing axis (an `Image` holds
//! real numbers only). With stored properties, the image carries every scatterer's dict, then the
//! optics' dict (then the microscope's).
//!
//! Properties (DeepTrack2's names and defaults): `NA` (0.7), `wavelength` (0.66e-6 m),
//! `refractive_index_medium` (1.33), `magnification` (10), `resolution` (1e-6 m, the camera pixel),
//! `padding` ((10, 10, 10, 10): rows before, columns before, rows after, columns after),
//! `output_region` ((0, 0, 128, 128)), `upscale` (1, or one per axis), and for `Brightfield`
//! `return_field` (false). Two optional features given at construction: `pupil`, aberrations applied
//! to the pupil (`aberrations.rs`), and `illumination`, any feature resolved on brightfield's unit
//! incoming field (`IlluminationGradient`s applied without a resolve, `illumination.rs`); their
//! properties are sampled with the optics'
//! (`attachments.rs`).
//!
//! Limits (see `params.rs`, `volume.rs` and the scatterers' masks): [`MAX_UPSCALE`], [`MAX_PADDING`],
//! an `output_region` at most the largest FFT size wide with corners within [`MAX_COORDINATE`], the
//! padded region on the FFT grid, [`MAX_PHASE_PER_VOXEL`], [`MAX_PLANES`]. Finite values that cannot
//! give a finite image are errors naming the property responsible.
//!
//! [`Feature::microscope`]: crate::Feature::microscope

use crate::features::ComplexInputs;
use std::sync::Arc;

use crate::sync::Lock;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::augmentations::move_positions;
use super::registry::{self, KindSpec};
use super::upscale::UpscaleFactor;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver, Scope};
use crate::image::Image;
use crate::properties::PropertyDict;

mod aberrations;
mod attachments;
mod brightfield;
mod com;
mod context;
mod custom_pupil;
mod darkfield;
mod fields;
mod fluorescence;
mod illumination;
mod iscat;
mod params;
mod pupil;
mod record;
#[cfg(test)]
mod reference;
mod volume;

use brightfield::{Route, brightfield};
pub use context::{Imaging, OpticsContext, OpticsLabel, Propagated};
use fluorescence::fluorescence_rows;
pub(crate) use params::upscale as upscale_factors;
pub use params::{MAX_COORDINATE, MAX_PADDING, MAX_PHASE_PER_VOXEL, MAX_UPSCALE};
use params::{Params, region};
use pupil::OtfCache;
pub(crate) use pupil::{candidates as pupil_candidates, radius as pupil_radius};
pub use volume::MAX_PLANES;
pub(crate) use volume::corner;

/// The centre of mass of `|a|` (C order, `shape`), as `scipy.ndimage.center_of_mass` gives it, or the
/// middle of the array when that is NaN (DeepTrack2's `_get_position`, mode "corner").
pub(crate) fn center_of_mass(a: &[f64], shape: [usize; 3]) -> [f64; 3] {
    com::Runs::of(a, shape).center_of_mass(a, 1.0, 0)
}
use attachments::Attachments;
use illumination::UnitField;
use volume::assemble;

pub(crate) use aberrations::KINDS as ABERRATION_KINDS;
pub use aberrations::{MAX_ZERNIKE_ORDER, MAX_ZERNIKE_TERMS};
pub(crate) use illumination::KINDS as ILLUMINATION_KINDS;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "Fluorescence",
        aliases: &[],
        module: "optics",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "Incoherent imaging: each z-plane of the sample convolved with the point-spread function.",
        params: params::FLUORESCENCE,
        positional: params::POSITIONAL,
        make: |features| Box::new(Optics::new(Mode::Fluorescence, "Fluorescence", features)),
    },
    KindSpec {
        name: "Brightfield",
        aliases: &[],
        module: "optics",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "Coherent imaging: the field propagated through the sample plane by plane (multislice).",
        params: params::BRIGHTFIELD,
        positional: params::POSITIONAL,
        make: |features| Box::new(Optics::new(Mode::Brightfield, "Brightfield", features)),
    },
    KindSpec {
        name: "Holography",
        aliases: &[],
        module: "optics",
        base: "Brightfield",
        zero_d_array: false,
        bool_output: false,
        doc: "Brightfield under another name (DeepTrack2's Holography is the same class).",
        params: params::BRIGHTFIELD,
        positional: params::POSITIONAL,
        make: |features| Box::new(Optics::new(Mode::Brightfield, "Holography", features)),
    },
    darkfield::KIND,
    iscat::KIND,
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Fluorescence,
    Brightfield,
}

impl Optics {
    /// The optics of `mode` with the `pupil` and `illumination` features among `features` (in that
    /// order; either may be absent).
    fn new(mode: Mode, class: &'static str, features: Vec<Feature>) -> Optics {
        let mut given = features.into_iter().map(|f| (!registry::is_absent(&f)).then_some(f));
        let (pupil, illumination) = (given.next().flatten(), given.next().flatten());
        Optics {
            mode,
            class,
            darkfield: false,
            otfs: Arc::new(Lock::new(OtfCache::default())),
            unit: Arc::new(Lock::new(UnitField::default())),
            pupil,
            illumination,
        }
    }
}

#[derive(Clone)]
struct Optics {
    mode: Mode,
    /// The DeepTrack2 class it is (`Brightfield`, `ISCAT`, …): the name it reports.
    class: &'static str,
    /// Whether the image is the scattered light only, `|field − 1|²` (`Darkfield`, see
    /// `darkfield.rs`), rather than `|field|²` or the field.
    darkfield: bool,
    /// The optical transfer functions of the z-planes imaged so far (fluorescence) and the pupil's
    /// band (brightfield), kept between resolves while the optics' properties stay the same.
    otfs: Arc<Lock<OtfCache>>,
    /// The unit field an illumination other than gradients is resolved on (brightfield).
    unit: Arc<Lock<UnitField>>,
    /// `pupil=`: aberrations applied to the pupil.
    pupil: Option<Feature>,
    /// `illumination=`: applied to the incoming field.
    illumination: Option<Feature>,
}

fn alloc_f64(n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} numbers")))?;
    v.resize(n, 0.0);
    Ok(v)
}

/// Averages `ux × uy` blocks of the output region (`h × w` simulation pixels) back to camera pixels,
/// zero-padded at the end as `block_reduce` does, row by row as they come: each block is summed
/// row-major, then divided by its size.
struct Pool {
    h: usize,
    w: usize,
    up: [usize; 2],
    data: Vec<f64>,
}

impl Pool {
    fn new(h: usize, w: usize, up: [usize; 2]) -> Result<Pool> {
        let (ph, pw) = (h.div_ceil(up[0]), w.div_ceil(up[1]));
        Ok(Pool { h, w, up, data: alloc_f64(ph * pw)? })
    }

    /// Adds row `y` of the region (`values[..w]`).
    fn row(&mut self, y: usize, values: &[f64]) {
        let (w, [ux, uy]) = (self.w, self.up);
        let pw = w.div_ceil(uy);
        let out = &mut self.data[(y / ux) * pw..][..pw];
        if ux == 1 && uy == 1 {
            out.copy_from_slice(&values[..w]);
            return;
        }
        for (o, block) in out.iter_mut().zip(values[..w].chunks(uy)) {
            for &v in block {
                *o += v;
            }
        }
    }

    /// The pooled image and its shape.
    fn finish(mut self) -> (Vec<f64>, [usize; 2]) {
        let [ux, uy] = self.up;
        let shape = [self.h.div_ceil(ux), self.w.div_ceil(uy)];
        if ux * uy != 1 {
            let block = (ux * uy) as f64;
            self.data.iter_mut().for_each(|v| *v /= block);
        }
        (self.data, shape)
    }
}

impl Optics {
    /// The image of the sample volumes: `(H, W, 1)`, or `(H, W, 1, 2)` for a returned field.
    #[cfg(test)]
    fn render(&self, inputs: &[Image], p: &Params) -> Result<ArrayD<f64>> {
        self.render_with(inputs, p, Route::Cheapest)
    }

    /// [`Optics::render`], refracting brightfield planes by `route`.
    #[cfg(test)]
    fn render_with(&self, inputs: &[Image], p: &Params, route: Route) -> Result<ArrayD<f64>> {
        Ok(self.render_recorded(inputs, p, route)?.0)
    }

    /// [`Optics::render_with`], with the sample volume's limits (for the optics' dict).
    fn render_recorded(&self, inputs: &[Image], p: &Params, route: Route) -> Result<(ArrayD<f64>, record::Limits)> {
        // Field scatterers (complex images: Mie) are added at the focal plane; the others make the volume.
        let (fields, volumes): (Vec<Image>, Vec<Image>) = inputs.iter().cloned().partition(Image::is_complex);
        let volume = assemble(&volumes, p)?;
        let field = fields::sum(&fields, p)?;
        // The output region inside the window (the padding cropped: `[PAD0 : X-PAD2, PAD1 : Y-PAD3]`,
        // so that zero padding keeps the whole region).
        let (top, left) = (p.padding[0] as usize, p.padding[1] as usize);
        let (h, w) = ((p.region[2] - p.region[0]) as usize, (p.region[3] - p.region[1]) as usize);
        let up = p.pool;
        let (data, shape) = match self.mode {
            Mode::Fluorescence => {
                let mut pool = Pool::new(h, w, up)?;
                fluorescence_rows(&volume, p, &self.otfs, top..top + h, |r, values| {
                    pool.row(r - top, &values[left..])
                })?;
                let (data, [ph, pw]) = pool.finish();
                (data, vec![ph, pw, 1])
            }
            Mode::Brightfield => {
                // Darkfield always images intensity (DeepTrack2's Darkfield asks for the field itself).
                let return_field = p.return_field && !self.darkfield;
                let parts = if return_field { 2 } else { 1 };
                let mut region = alloc_f64(parts * h * w)?;
                let (re, im) = region.split_at_mut(h * w);
                let window = [top..top + h, left..left + w];
                brightfield(&volume, field.as_deref(), p, &self.otfs, route, window, |y, field| {
                    let y = y - top;
                    if return_field {
                        for ((r, i), v) in re[y * w..][..w].iter_mut().zip(&mut im[y * w..][..w]).zip(field) {
                            (*r, *i) = (v.re, v.im);
                        }
                    } else if self.darkfield {
                        darkfield::scattered(&mut re[y * w..][..w], field);
                    } else {
                        // |field|², as numpy's square(abs(field)) up to rounding.
                        for (r, v) in re[y * w..][..w].iter_mut().zip(field) {
                            *r = v.norm_sqr();
                        }
                    }
                })?;
                let pooled = |part: &[f64]| -> Result<(Vec<f64>, [usize; 2])> {
                    let mut pool = Pool::new(h, w, up)?;
                    for (y, row) in part.chunks_exact(w).enumerate() {
                        pool.row(y, row);
                    }
                    Ok(pool.finish())
                };
                let (real, [ph, pw]) = pooled(re)?;
                if return_field {
                    let (imag, _) = pooled(im)?;
                    (real.into_iter().zip(imag).flat_map(|(a, b)| [a, b]).collect(), vec![ph, pw, 1, 2])
                } else {
                    (real, vec![ph, pw, 1])
                }
            }
        };
        if data.iter().any(|v| !v.is_finite()) {
            return Err(overflow(&volume, p));
        }
        Ok((ArrayD::from_shape_vec(IxDyn(&shape), data).expect("shape matches the data"), volume.limits))
    }
}

/// The error for an image that came out non-finite although every property is finite and within its
/// limits (sums that overflow): blames the illumination gradient when its amplitude is the larger
/// number (the image grows with both), else the scatterer with the largest multiplier, or, without
/// scatterers, the optics' most unusual number.
fn overflow(volume: &volume::Volume, p: &Params) -> Error {
    if p.mode == Mode::Brightfield
        && let Some(g) = illumination::loudest(&p.attachments.illumination, p.grid)
    {
        let amplitude = g.loudest(p.grid).1.abs();
        let multiplier = volume.loudest.as_ref().map_or(1.0, |l| l.2.abs());
        if amplitude > 1.0 && amplitude >= multiplier {
            return g.overflow(p.grid, "the image");
        }
    }
    match &volume.loudest {
        Some((feature, key, value)) => Error::invalid(format!(
            "the image overflows (it has non-finite values): the scatterer's {key} gives it a value of {} per voxel, \
             too large to image",
            params::num(*value)
        ))
        .in_property(key)
        .in_feature(feature),
        None => Error::invalid(format!(
            "the image overflows (it has non-finite values) with NA {}, wavelength {} and refractive_index_medium {}",
            params::num(p.na),
            params::num(p.wavelength),
            params::num(p.n_medium)
        )),
    }
}

impl FeatureKind for Optics {
    /// Complex images: read by the kind itself (a scatterer's complex field, a Mie field).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    /// The pupil and illumination features (those given).
    fn children(&self) -> Vec<Feature> {
        self.pupil.iter().chain(&self.illumination).cloned().collect()
    }

    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let mut children = children.into_iter();
        let pupil = self.pupil.as_ref().and_then(|_| children.next());
        let illumination = self.illumination.as_ref().and_then(|_| children.next());
        // Copies share the OTF cache (keyed by everything it depends on), as without features.
        Box::new(Optics { pupil, illumination, ..self.clone() })
    }

    /// With a pupil or an illumination, the optics sample those features: the image is computed
    /// again at every resolve, so that their new values count.
    fn is_structural(&self) -> bool {
        self.pupil.is_some() || self.illumination.is_some()
    }

    fn name(&self) -> &str {
        self.class
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn sample_scope(&self, props: &PropertyDict, outer: &Scope) -> Option<Result<Scope>> {
        Some(Params::upscaled(props, self.mode, UpscaleFactor::of(outer)).map(|p| p.sample_scope(outer, props)))
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let mut p = Params::upscaled(props, self.mode, UpscaleFactor::of(rs.scope()))?;
        if self.is_structural() {
            // DeepTrack2's Brightfield (and the optics built on it) reads its illumination; Fluorescence
            // never does.
            let light = (self.mode == Mode::Brightfield).then_some((p.grid, &*self.unit));
            p.attachments =
                Arc::new(Attachments::sample(self.pupil.as_ref(), self.illumination.as_ref(), id, rs, &p, light)?);
        }
        let (rendered, limits) = self.render_recorded(inputs, &p, Route::Cheapest)?;
        if rs.records() {
            // DeepTrack2 2.0.1's dict of the optics: what its microscope set on them (record.rs).
            let fields: Vec<Image> = inputs.iter().filter(|i| i.is_complex()).cloned().collect();
            rs.record_instead(record::dict(props, &p, limits, &fields)?);
        }
        let mut image = Image::new(rendered);
        // A returned field is complex (the Python package gives a complex array, as DeepTrack2 does).
        image.set_complex(p.return_field && !self.darkfield)?;
        image.merge_properties_from_all(inputs)?;
        if self.mode == Mode::Fluorescence {
            // DeepTrack2's fluorescence image carries its pupil's dicts after the sample's.
            for dict in &p.attachments.dicts {
                image.append(Arc::clone(dict));
            }
        }
        // Ground truth in the output image's frame: positions are camera pixels, and the image starts
        // at the output region's corner (copies of the dicts; the scatterers' own keep camera pixels).
        // Inside an `Upscale` the image is `f` times larger per axis, camera pixel `i` being its
        // pixels `f·i .. f·i + f - 1`: a position `x` is at `f·x + (f - 1)/2` there (the middle of its
        // block), so that the kinds after the optics move positions in the frame of the pixels they
        // move, and the `Upscale`'s pooling brings them back to `x`.
        let corner = region(props.require("output_region")?).map_err(|e| e.in_property("output_region"))?;
        let factor = UpscaleFactor::of(rs.scope());
        let f = [factor[0] as f64, factor[1] as f64];
        if corner[0] != 0.0 || corner[1] != 0.0 || f != [1.0, 1.0] {
            image = move_positions(image, &|q| {
                for axis in 0..2 {
                    q[axis] = (q[axis] - corner[axis]) * f[axis] + (f[axis] - 1.0) / 2.0;
                }
            })?;
        }
        Ok(vec![image])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use rand::{Rng, SeedableRng};

    /// Optics properties drawn at random: grids from a few pixels to ~100, odd and even FFT sizes,
    /// upscale 1 to 3, zero and asymmetric padding, region corners off the origin.
    fn random_params(rng: &mut rand_chacha::ChaCha8Rng, mode: Mode, large: bool) -> (PropertyDict, Params) {
        let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let (x0, y0) = (rng.random_range(-6..8), rng.random_range(-6..8));
        let (h, w) = if large {
            (rng.random_range(150..200), rng.random_range(150..200))
        } else {
            (rng.random_range(3..40), rng.random_range(3..40))
        };
        let pad: Vec<i64> = (0..4).map(|_| if rng.random_bool(0.2) { 0 } else { rng.random_range(0..10) }).collect();
        let up = if large { 1 } else { [1, 1, 2, 3][rng.random_range(0..4)] };
        let mut props = PropertyDict::new();
        for (k, v) in [
            ("NA", Value::Float(rng.random_range(0.3..1.3))),
            ("wavelength", Value::Float(rng.random_range(400e-9..750e-9))),
            ("refractive_index_medium", Value::Float(rng.random_range(1.0..1.5))),
            ("magnification", Value::Int(rng.random_range(4..15))),
            ("resolution", Value::Float(rng.random_range(0.5e-6..1.5e-6))),
            ("padding", ints(&pad)),
            ("output_region", ints(&[x0, y0, x0 + h, y0 + w])),
            ("upscale", Value::Int(up)),
            ("return_field", Value::Bool(rng.random_bool(0.3))),
        ] {
            props.insert(k, v);
        }
        let p = Params::new(&props, mode).unwrap();
        (props, p)
    }

    /// Scatterer-like volumes: balls of ones, random masks, random values (negative ones too).
    fn random_sample(rng: &mut rand_chacha::ChaCha8Rng, p: &Params) -> Vec<Image> {
        let (lo, hi) = (
            [p.region[0] as f64 / p.scale[0], p.region[1] as f64 / p.scale[1]],
            [p.region[2] as f64 / p.scale[0], p.region[3] as f64 / p.scale[1]],
        );
        (0..rng.random_range(1..7))
            .map(|_| {
                let shape = [rng.random_range(1..12), rng.random_range(1..12), rng.random_range(1..12)];
                let n: usize = shape.iter().product();
                let kind = rng.random_range(0..3);
                let density = rng.random_range(0.2..1.0);
                let data: Vec<f64> = (0..n)
                    .map(|i| {
                        let (a, b, c) = (i / (shape[1] * shape[2]), (i / shape[2]) % shape[1], i % shape[2]);
                        let q = |v: usize, n: usize| ((v as f64 + 0.5) / n as f64 - 0.5).powi(2);
                        match kind {
                            0 => f64::from(q(a, shape[0]) + q(b, shape[1]) + q(c, shape[2]) <= 0.25),
                            1 => f64::from(rng.random_range(0.0..1.0) < density),
                            _ => rng.random_range(-1.0..1.0),
                        }
                    })
                    .collect();
                let mut img = Image::new(ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap());
                let mut d = PropertyDict::new();
                let mut pos =
                    vec![rng.random_range(lo[0] - 4.0..hi[0] + 4.0), rng.random_range(lo[1] - 4.0..hi[1] + 4.0)];
                if rng.random_bool(0.15) {
                    pos.push(rng.random_range(-2.0..2.0));
                }
                d.insert("position", Value::vector(&pos));
                d.insert("z", Value::Float(rng.random_range(-3.0..3.0)));
                match rng.random_range(0..5) {
                    0 => d.insert("intensity", Value::Float(100.0)),
                    1 => d.insert("intensity", Value::Float(rng.random_range(0.5..50.0))),
                    2 => d.insert("refractive_index", Value::Float(rng.random_range(1.3..1.6))),
                    // Absorbing (or, with a negative imaginary part, amplifying) scatterers.
                    3 => d.insert(
                        "refractive_index",
                        Value::Complex(rng.random_range(1.3..1.6), rng.random_range(-0.05..0.3)),
                    ),
                    _ => d.insert("value", Value::Float(rng.random_range(-1.0..1.0))),
                };
                img.append(Arc::new(d));
                img
            })
            .collect()
    }

    /// The fast rendering (every route) against the dense one, on random optics and samples.
    #[test]
    fn rendering_matches_the_dense_computation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut nonzero = 0;
        // The last cases are large enough for the pupil's band to be cut into strips.
        for case in 0..168 {
            let mode = if case % 2 == 0 { Mode::Fluorescence } else { Mode::Brightfield };
            let (_, p) = random_params(&mut rng, mode, case >= 160);
            let inputs = random_sample(&mut rng, &p);
            let optics = Optics::new(mode, "Optics", Vec::new());
            let expected = reference::render(&inputs, &p, mode);
            let peak = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            nonzero += usize::from(expected.iter().any(|&v| v != 0.0 && v != 1.0));
            let routes: &[Route] = if mode == Mode::Brightfield {
                &[
                    Route::Cheapest,
                    Route::Products,
                    Route::Transforms,
                    Route::Lines,
                    Route::FullGrid,
                    Route::Alternating,
                ]
            } else {
                &[Route::Cheapest]
            };
            for &route in routes {
                // Twice: the second time from the caches.
                for _ in 0..2 {
                    let got = optics.render_with(&inputs, &p, route).unwrap();
                    assert_eq!(got.shape(), expected.shape(), "case {case}");
                    let diff = got.iter().zip(&expected).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                    assert!(
                        diff <= 1e-12 * peak.max(1e-300),
                        "case {case} ({mode:?}, {route:?}): differs by {diff:e} of {peak:e}"
                    );
                }
            }
        }
        assert!(nonzero > 100, "only {nonzero} cases image something");
    }

    /// A 256 × 256 brightfield region with several scatterers over many planes: the pupil's band is cut
    /// into strips, and the routes alternate from plane to plane.
    #[test]
    fn brightfield_routes_hand_the_spectrum_over() {
        let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let mut props = PropertyDict::new();
        for (k, v) in [
            ("NA", Value::Float(0.7)),
            ("wavelength", Value::Float(532e-9)),
            ("refractive_index_medium", Value::Float(1.33)),
            ("magnification", Value::Int(1)),
            ("resolution", Value::Float(1e-7)),
            ("padding", ints(&[10, 10, 10, 10])),
            ("output_region", ints(&[0, 0, 256, 256])),
            ("upscale", Value::Int(1)),
            ("return_field", Value::Bool(true)),
        ] {
            props.insert(k, v);
        }
        let p = Params::new(&props, Mode::Brightfield).unwrap();
        let optics = Optics::new(Mode::Brightfield, "Brightfield", Vec::new());
        assert!(OtfCache::band(&optics.otfs, &p).unwrap().strips.len() > 1);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let inputs: Vec<Image> = (0..5)
            .map(|i| {
                let n = 6 + 2 * i;
                let data: Vec<f64> = (0..n * n * n)
                    .map(|v| {
                        let q = |c: usize| ((c as f64 + 0.5) / n as f64 - 0.5).powi(2);
                        f64::from(q(v / (n * n)) + q((v / n) % n) + q(v % n) <= 0.25)
                    })
                    .collect();
                let mut img = Image::new(ArrayD::from_shape_vec(IxDyn(&[n, n, n]), data).unwrap());
                let mut d = PropertyDict::new();
                d.insert("position", Value::vector(&[rng.random_range(10.0..240.0), rng.random_range(10.0..240.0)]));
                d.insert("z", Value::Float(rng.random_range(-4.0..4.0)));
                d.insert("refractive_index", Value::Float(1.45));
                img.append(Arc::new(d));
                img
            })
            .collect();
        let expected = reference::render(&inputs, &p, Mode::Brightfield);
        // `Lines` turns its orientations from plane to plane.
        for route in [Route::Alternating, Route::Lines, Route::Cheapest] {
            let got = optics.render_with(&inputs, &p, route).unwrap();
            let diff = got.iter().zip(&expected).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(diff < 1e-12, "{route:?}: differs by {diff:e}");
        }
    }
}
