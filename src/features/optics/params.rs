//! The optics' properties, validated and converted to simulation units, with the limits that keep
//! every size computable and every image finite. An error names the property responsible: for a
//! quantity derived from several properties (the pixel size, the wavenumber per voxel), the one
//! farthest from its default, in orders of magnitude.

use std::sync::Arc;

use super::Mode;
use super::attachments::Attachments;
use crate::error::{Error, Result};
use crate::features::registry::{self, Const, ParamDefault, ParamKind, ParamSpec};
use crate::features::scatterers::finite_vec;
use crate::fft;
use crate::properties::PropertyDict;
use crate::value::Value;

/// The largest `upscale` factor (per axis): a larger one makes even a one-pixel region exceed the
/// largest FFT size.
pub const MAX_UPSCALE: usize = fft::MAX_SIZE;

/// The largest `padding` (camera pixels, per side): the largest FFT size.
pub const MAX_PADDING: f64 = fft::MAX_SIZE as f64;

/// The largest magnitude of a coordinate in simulation pixels (camera pixels times the upscale): the
/// corners of `output_region` and where a scatterer lands (`position`, `z`).
pub const MAX_COORDINATE: f64 = 1e9;

/// The largest wavenumber per simulation voxel (`2π · refractive_index_medium / wavelength · voxel`):
/// a defocus phase of a billion z-pixels still fits a float.
pub const MAX_PHASE_PER_VOXEL: f64 = 1e290;

/// A positive finite number.
pub(super) const fn positive(name: &'static str, default: Const, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min: 0.0,
        min_open: true,
        max: f64::MAX,
        ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(default), doc)
    }
}

/// The parameters of both optics, in the order of their property dicts.
macro_rules! optics_params {
    ($($extra:expr),*) => {
        &[
            positive("NA", Const::Float(0.7), "the numerical aperture"),
            positive("wavelength", Const::Float(0.66e-6), "the wavelength, in meters"),
            positive("refractive_index_medium", Const::Float(1.33), "the refractive index of the medium"),
            positive("magnification", Const::Int(10), "the magnification"),
            positive("resolution", Const::Float(1e-6), "the camera pixel size, in meters"),
            ParamSpec {
                min: 0.0,
                max: MAX_PADDING,
                ..ParamSpec::new(
                    "padding",
                    ParamKind::Vector { min_len: 4, max_len: 4, whole: false },
                    ParamDefault::Value(Const::IntTuple(&[10, 10, 10, 10])),
                    "camera pixels rendered around the region: rows before, columns before, rows after, columns after",
                )
            },
            ParamSpec {
                kind: ParamKind::Vector { min_len: 4, max_len: 4, whole: false },
                check: Some(|v| region(v).map(|_| ())),
                ..ParamSpec::finite(
                    "output_region",
                    ParamDefault::Value(Const::IntTuple(&[0, 0, 128, 128])),
                    "the imaged region (x0, y0, x1, y1) in camera pixels: rows [x0, x1), columns [y0, y1)",
                )
            },
            ParamSpec {
                min: 1.0,
                max: MAX_UPSCALE as f64,
                check: Some(|v| upscale(v).map(|_| ())),
                ..ParamSpec::new(
                    "upscale",
                    ParamKind::Vector { min_len: 1, max_len: 3, whole: true },
                    ParamDefault::Value(Const::Int(1)),
                    "simulation voxels per camera pixel: one factor, or one per axis",
                )
            },
            $($extra,)*
            ParamSpec::new(
                "pupil",
                ParamKind::Feature,
                ParamDefault::Absent,
                "optional: an aberration applied to the pupil (aberrations: Zernike, Defocus, …, GaussianApodization; a \
                 custom feature, whose get receives the pupil, rho and theta; a Value holding an array, which \
                 multiplies it), or a chain of them",
            ),
            ParamSpec::new(
                "illumination",
                ParamKind::Feature,
                ParamDefault::Absent,
                "optional: a feature (or chain) resolved on the complex unit field, the incoming field (Brightfield; \
                 Fluorescence ignores it, as DeepTrack2 does)",
            ),
        ]
    };
}
pub(super) use optics_params;

/// `Fluorescence`'s parameters.
pub(super) const FLUORESCENCE: &[ParamSpec] = optics_params!();

/// `Brightfield`'s parameters.
pub(super) const BRIGHTFIELD: &[ParamSpec] = optics_params!(ParamSpec::new(
    "return_field",
    ParamKind::Bool,
    ParamDefault::Absent,
    "optional: true returns the complex field (real and imaginary parts along a trailing axis of 2); a keyword \
     of DeepTrack2 2.0.1, recorded only when given"
));

/// DeepTrack2's positional parameters of the optics, in its constructor's order.
pub(super) const POSITIONAL: &[&str] = &[
    "NA",
    "wavelength",
    "magnification",
    "resolution",
    "refractive_index_medium",
    "padding",
    "output_region",
    "pupil",
    "illumination",
    "upscale",
];

/// `x` for messages: whole numbers as integers (`6561`, `2`), others as Python writes them (`1.33`,
/// `6.6e-07`, `1e+300`).
pub(super) fn num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e16 { format!("{}", x as i64) } else { Value::Float(x).to_string() }
}

/// DeepTrack2's default of each optics property, for blaming the most unusual one.
const DEFAULTS: &[(&str, f64)] = &[
    ("NA", 0.7),
    ("wavelength", 0.66e-6),
    ("refractive_index_medium", 1.33),
    ("magnification", 10.0),
    ("resolution", 1e-6),
];

/// Of the properties `keys` (with their values in `props`), the one farthest from its default in
/// orders of magnitude.
pub(super) fn most_unusual<'a>(props: &PropertyDict, keys: &[&'a str]) -> &'a str {
    let distance = |key: &str| -> f64 {
        let value = props.get(key).and_then(|v| v.as_f64().ok()).unwrap_or(f64::NAN);
        let default = DEFAULTS.iter().find(|(k, _)| *k == key).map_or(1.0, |(_, d)| *d);
        let d = (value.abs() / default).ln().abs();
        if d.is_nan() { f64::INFINITY } else { d }
    };
    keys.iter()
        .copied()
        .fold((keys[0], -1.0), |(best, d), key| if distance(key) > d { (key, distance(key)) } else { (best, d) })
        .0
}

/// `upscale`: a positive integer, or one per axis (3), at most [`MAX_UPSCALE`].
pub(crate) fn upscale(value: &Value) -> Result<[usize; 3]> {
    let v = finite_vec(value, 1..=3)?;
    if v.len() == 2 {
        return Err(Error::invalid("expected 1 or 3 factors (one per axis), got 2"));
    }
    let mut out = [0usize; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        let u = if v.len() == 1 { v[0] } else { v[i] };
        if !(u >= 1.0 && u.fract() == 0.0) {
            return Err(Error::invalid(format!("expected positive integer factors, got {u}")));
        }
        if u > MAX_UPSCALE as f64 {
            return Err(Error::invalid(format!("the factor {} exceeds the maximum of {MAX_UPSCALE}", num(u))));
        }
        *slot = u as usize;
    }
    Ok(out)
}

/// `padding`: four non-negative numbers, each at most [`MAX_PADDING`].
pub(super) fn padding(value: &Value) -> Result<[f64; 4]> {
    let v = finite_vec(value, 4..=4)?;
    if let Some(x) = v.iter().find(|&&x| x < 0.0) {
        return Err(Error::invalid(format!("expected non-negative paddings, got {x}")));
    }
    if let Some(x) = v.iter().find(|&&x| x > MAX_PADDING) {
        return Err(Error::invalid(format!(
            "the padding {} exceeds the maximum of {} pixels",
            num(*x),
            num(MAX_PADDING)
        )));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

/// `output_region`: `(x0, y0, x1, y1)` with `x1 > x0` and `y1 > y0`, spanning at most the largest FFT
/// size, its corners at most [`MAX_COORDINATE`] in magnitude.
pub(super) fn region(value: &Value) -> Result<[f64; 4]> {
    let v = finite_vec(value, 4..=4)?;
    if v[2] <= v[0] || v[3] <= v[1] {
        return Err(Error::invalid(format!(
            "expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got ({}, {}, {}, {})",
            v[0], v[1], v[2], v[3]
        )));
    }
    if let Some(x) = v.iter().find(|x| x.abs() > MAX_COORDINATE) {
        return Err(Error::invalid(format!(
            "the corner coordinate {} exceeds the maximum of {} in magnitude",
            num(*x),
            num(MAX_COORDINATE)
        )));
    }
    for (axis, extent) in [(0, v[2] - v[0]), (1, v[3] - v[1])] {
        if extent > fft::MAX_SIZE as f64 {
            return Err(Error::invalid(format!(
                "the region spans {} pixels along axis {axis}, which exceeds the maximum of {} (the largest FFT \
                 size)",
                num(extent),
                fft::MAX_SIZE
            )));
        }
    }
    Ok([v[0], v[1], v[2], v[3]])
}

/// The validated properties, in simulation units.
pub(super) struct Params {
    pub mode: Mode,
    pub na: f64,
    pub wavelength: f64,
    pub n_medium: f64,
    /// The camera pixel in sample space (`resolution / magnification`), meters.
    pub pixel: f64,
    pub voxel: [f64; 3],
    pub scale: [f64; 3],
    /// The simulation's upscale: the optics' own times that of enclosing `Upscale` features.
    pub upscale: [usize; 3],
    /// The optics' own upscale in rows and columns: the blocks the image is pooled back by (under an
    /// `Upscale`, the image stays larger by its factors, which it pools itself).
    pub pool: [usize; 2],
    /// `output_region` in simulation pixels.
    pub region: [i64; 4],
    /// `padding` in simulation pixels.
    pub padding: [i64; 4],
    pub return_field: bool,
    /// The padded output region (rows, columns) and its FFT grid.
    pub window: [usize; 2],
    pub grid: [usize; 2],
    /// The sampled pupil and illumination features (none until the optics set them).
    pub attachments: Arc<Attachments>,
}

impl Params {
    /// The properties outside any `Upscale` (what the tests render with).
    #[cfg(test)]
    pub fn new(props: &PropertyDict, mode: Mode) -> Result<Params> {
        Params::upscaled(props, mode, [1; 3])
    }

    /// The properties under enclosing `Upscale` features whose factors multiply to `outer`
    /// (DeepTrack2's unit context: the simulation runs at the optics' `upscale` times `outer`).
    pub fn upscaled(props: &PropertyDict, mode: Mode, outer: [usize; 3]) -> Result<Params> {
        let p = registry::Params::new(if mode == Mode::Brightfield { BRIGHTFIELD } else { FLUORESCENCE }, props);
        let na = p.f64("NA")?;
        let wavelength = p.f64("wavelength")?;
        let n_medium = p.f64("refractive_index_medium")?;
        let magnification = p.f64("magnification")?;
        let resolution = p.f64("resolution")?;
        let own = p.parse("upscale", upscale)?;
        let mut upscale = own;
        for (u, o) in upscale.iter_mut().zip(outer) {
            *u = u.saturating_mul(o);
            if *u > MAX_UPSCALE {
                return Err(Error::invalid(format!(
                    "the upscale {own:?} times the enclosing Upscale's factors {outer:?} exceeds the maximum of \
                     {MAX_UPSCALE} per axis"
                ))
                .in_property("upscale"));
            }
        }
        let pad = p.parse("padding", padding)?;
        let out = p.parse("output_region", region)?;
        let return_field = match (mode, props.get("return_field")) {
            (Mode::Brightfield, Some(_)) => p.bool("return_field")?,
            _ => false,
        };

        // DeepTrack2's unit context: the camera pixel in sample space, the simulation voxel, and the
        // scale as pint computes it (not always an exact integer).
        let pixel = resolution / magnification;
        let voxel = upscale.map(|u| pixel / u as f64);
        if !(pixel.is_normal() && voxel.iter().all(|v| v.is_normal())) {
            return Err(Error::invalid(format!(
                "the simulation voxel (resolution / magnification / upscale = {} / {} / {}) is {} m, not a usable \
                 size (between {} and {} m)",
                num(resolution),
                num(magnification),
                upscale[0],
                num(voxel[0]),
                num(f64::MIN_POSITIVE),
                num(f64::MAX)
            ))
            .in_property(most_unusual(props, &["resolution", "magnification"])));
        }
        // The defocus phase per z-voxel (the pupil's kz at its centre): finite for any defocus.
        let per_voxel = 2.0 * std::f64::consts::PI * n_medium / wavelength * voxel[2];
        if per_voxel.is_nan() || per_voxel > MAX_PHASE_PER_VOXEL {
            return Err(Error::invalid(format!(
                "the wavenumber per simulation voxel (2π · refractive_index_medium / wavelength · voxel = 2π · {} / {} \
                 · {}) is {}, which exceeds the maximum of {}",
                num(n_medium),
                num(wavelength),
                num(voxel[2]),
                num(per_voxel),
                num(MAX_PHASE_PER_VOXEL)
            ))
            .in_property(most_unusual(
                props,
                &["refractive_index_medium", "wavelength", "resolution", "magnification"],
            )));
        }
        let scale = voxel.map(|v| if v == pixel { 1.0 } else { pixel * (1.0 / v) });
        let rounded = scale.map(f64::round_ties_even);
        let per_axis = [rounded[0], rounded[1], rounded[0], rounded[1]];
        // `int(x)`: truncation toward zero (the values are bounded above, so they fit).
        let scaled = |v: [f64; 4]| -> [i64; 4] { std::array::from_fn(|i| (v[i] * per_axis[i]).trunc() as i64) };
        let region = scaled(out);
        let padding = scaled(pad);
        if let Some(x) = region.iter().find(|x| x.unsigned_abs() as f64 > MAX_COORDINATE) {
            return Err(Error::invalid(format!(
                "the corner coordinate {x} in simulation pixels (times upscale) exceeds the maximum of {} in magnitude",
                num(MAX_COORDINATE)
            ))
            .in_property("output_region"));
        }
        if region[2] <= region[0] || region[3] <= region[1] {
            return Err(Error::invalid(format!("the region {region:?} in simulation pixels is empty"))
                .in_property("output_region"));
        }
        let mut window = [0usize; 2];
        let mut grid = [0usize; 2];
        for axis in 0..2 {
            let extent = region[axis + 2] - region[axis];
            let n = extent + padding[axis] + padding[axis + 2];
            let Some(size) = usize::try_from(n).ok().and_then(fft::fast_size) else {
                // The region alone fits (checked above) unless upscaled; else the padding is too much.
                let (key, what) = if extent as f64 > fft::MAX_SIZE as f64 {
                    ("upscale", format!("the output region upscaled spans {extent} simulation pixels"))
                } else {
                    ("padding", format!("the padded output region spans {n} simulation pixels"))
                };
                return Err(Error::invalid(format!(
                    "{what} along axis {axis}, which exceeds the maximum of {} (the largest FFT size)",
                    fft::MAX_SIZE
                ))
                .in_property(key));
            };
            window[axis] = n as usize;
            grid[axis] = size;
        }
        Ok(Params {
            mode,
            na,
            wavelength,
            n_medium,
            pixel,
            voxel,
            scale,
            upscale,
            pool: [own[0], own[1]],
            region,
            padding,
            return_field,
            window,
            grid,
            attachments: Arc::default(),
        })
    }

    /// The phase per unit of refractive index difference across one z-voxel (`voxel · 2π ·
    /// refractive_index_medium / wavelength`, as the brightfield refraction evaluates it).
    pub fn phase_per_voxel(&self) -> f64 {
        self.voxel[2] * (2.0 * std::f64::consts::PI / self.wavelength * self.n_medium)
    }
}
