//! `MieSphere`, `MieStratifiedSphere` and `MieScatterer` (its Mie coefficients from a function of
//! `L`, `mie_coefficients.rs`): field scatterers (DeepTrack2 2.0.1's `MieScatterer`). Each appends the spectrum of the field it scatters on the optics' FFT grid (a complex image `(rows,
//! columns, 1, 2)`), which `Brightfield` adds at the focal plane (see [`crate::mie::field`]).
//!
//! Inside a microscope the optics hand the scatterer their `wavelength`, `NA`,
//! `refractive_index_medium`, `output_region` and `padding` (upscaled) and `return_fft = True`, and
//! every other property of theirs the scatterer has ([`Propagated`]: `ISCAT`'s `illumination_angle`,
//! `amp_factor`, polarizations and `phase_shift_correction`, `Darkfield`'s `illumination_angle`),
//! as DeepTrack2 propagates them; outside one, the scatterer's own values are used. What the
//! scatterer records (`store_properties`) is what it used: the propagated values
//! (`FeatureKind::used_properties`), as DeepTrack2's dicts show them, with the optics' `voxel_size`
//! and `pixel_size` (which, as for every scatterer, nothing computes with), and `L`,
//! `collection_angle` and `offset_z` given as "auto" as the numbers computed (2.0.1's
//! `_process_properties`).

use std::f64::consts::PI;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::super::FeatureKind;
use super::super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use super::mie_coefficients::user_coefficients;
use super::{
    PIXEL_SIZE, POSITION, POSITION_UNIT, UPSAMPLE_IGNORED, VALUE, VOXEL_SIZE, Z, recorded_position, warn_upsample,
};
use crate::error::{Error, Result};
use crate::features::optics::{Imaging, OpticsContext, Propagated, pupil_candidates, pupil_radius};
use crate::fft;
use crate::graph::{ReplicaId, Resolver, Scope};
use crate::image::Image;
use crate::mie::check::{Blame, check_field, check_spec};
use crate::mie::field::{FieldSpec, Polarization, scattered_field};
use crate::properties::PropertyDict;
use crate::value::Value;

/// The most expansion orders `L` a Mie scatterer sums.
pub const MAX_ORDER: usize = 10_000;

/// The registry entries of the Mie scatterers.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "MieSphere",
        aliases: &[],
        module: "scatterers",
        base: "MieScatterer",
        zero_d_array: false,
        bool_output: false,
        doc: "The field scattered by a sphere, by Mie theory (imaged by Brightfield).",
        params: SPHERE,
        positional: &["radius", "refractive_index"],
        make: |_| Box::new(Mie { stratified: false, coefficients: None }),
    },
    KindSpec {
        name: "MieStratifiedSphere",
        aliases: &[],
        module: "scatterers",
        base: "MieScatterer",
        zero_d_array: false,
        bool_output: false,
        doc: "The field scattered by a sphere of concentric shells, by Mie theory (imaged by Brightfield).",
        params: STRATIFIED,
        positional: &["radius", "refractive_index"],
        make: |_| Box::new(Mie { stratified: true, coefficients: None }),
    },
    KindSpec {
        name: "MieScatterer",
        aliases: &[],
        module: "scatterers",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "The field scattered by a particle whose Mie coefficients a function of L gives (imaged by Brightfield).",
        params: SCATTERER,
        positional: &[
            "coefficients",
            "input_polarization",
            "output_polarization",
            "offset_z",
            "collection_angle",
            "L",
            "refractive_index_medium",
            "wavelength",
            "NA",
            "padding",
            "output_region",
            "polarization_angle",
            "working_distance",
            "position_objective",
            "return_fft",
            "coherence_length",
            "illumination_angle",
            "amp_factor",
            "phase_shift_correction",
        ],
        make: |features| Box::new(Mie { stratified: false, coefficients: features.into_iter().next() }),
    },
];

const fn any(name: &'static str, default: Const, check: fn(&Value) -> Result<()>, doc: &'static str) -> ParamSpec {
    ParamSpec { check: Some(check), ..ParamSpec::new(name, ParamKind::Any, ParamDefault::Value(default), doc) }
}
/// A positive number the optics set (the scatterer's own value serves outside a microscope).
const fn from_optics(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec {
        nullable: true,
        min: 0.0,
        min_open: true,
        max: f64::MAX,
        ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(Const::None), doc)
    }
}
/// Four whole numbers the optics set (`output_region`, `padding`).
const fn corners_from_optics(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec {
        nullable: true,
        min: -1e9,
        max: 1e9,
        ..ParamSpec::new(
            name,
            ParamKind::Vector { min_len: 4, max_len: 4, whole: true },
            ParamDefault::Value(Const::None),
            doc,
        )
    }
}
const fn number(name: &'static str, default: Const, doc: &'static str) -> ParamSpec {
    ParamSpec::finite(name, ParamDefault::Value(default), doc)
}

const COMMON: [ParamSpec; 24] = [
    POSITION,
    Z,
    VALUE,
    POSITION_UNIT,
    UPSAMPLE_IGNORED,
    VOXEL_SIZE,
    PIXEL_SIZE,
    any("L", Const::Str("auto"), auto_or_order, "the number of expansion terms, or \"auto\""),
    any(
        "offset_z",
        Const::Str("auto"),
        auto_or_number,
        "where the far field is evaluated beyond the particle (m), or \"auto\"",
    ),
    any(
        "input_polarization",
        Const::Int(0),
        angle_or_circular,
        "the polarization angle (rad) of the light, or \"circular\"",
    ),
    ParamSpec {
        nullable: true,
        ..any(
            "output_polarization",
            Const::Int(0),
            angle_or_text,
            "the angle (rad) of the polarizer after the sample, or None or a string (none: ISCAT's \"circular\")",
        )
    },
    any(
        "collection_angle",
        Const::Str("auto"),
        auto_or_number,
        "the largest collection angle (rad), or \"auto\" (arcsin(NA / n_medium))",
    ),
    from_optics("refractive_index_medium", "set by the optics"),
    from_optics("wavelength", "set by the optics (m)"),
    from_optics("NA", "set by the optics"),
    // 2.0.1's default: no padding when the scatterer is computed outside a microscope.
    ParamSpec {
        default: ParamDefault::Value(Const::IntTuple(&[0; 4])),
        ..corners_from_optics("padding", "set by the optics (pixels); (0, 0, 0, 0) outside a microscope")
    },
    corners_from_optics("output_region", "set by the optics (pixels)"),
    ParamSpec { nullable: true, ..number("polarization_angle", Const::None, "deprecated alias of input_polarization") },
    number("working_distance", Const::Int(1_000_000), "the distance to the objective (m)"),
    ParamSpec {
        kind: ParamKind::Vector { min_len: 2, max_len: 2, whole: false },
        ..number("position_objective", Const::IntTuple(&[0, 0]), "the objective's lateral position (m)")
    },
    ParamSpec::new(
        "return_fft",
        ParamKind::Bool,
        ParamDefault::Value(Const::Bool(false)),
        "return the spectrum (always inside a microscope)",
    ),
    ParamSpec {
        nullable: true,
        min: 0.0,
        ..number("coherence_length", Const::None, "the temporal coherence length (m), or None (coherent)")
    },
    number("illumination_angle", Const::Int(0), "the illumination's tilt (rad)"),
    ParamSpec { min: 0.0, min_open: true, ..number("amp_factor", Const::Int(1), "the field is divided by it") },
];

const fn with<const N: usize>(common: [ParamSpec; 24], extra: [ParamSpec; N]) -> [ParamSpec; 27] {
    let mut out = [POSITION; 27];
    let mut i = 0;
    while i < 24 {
        out[i] = common[i];
        i += 1;
    }
    out[24] = ParamSpec::new(
        "phase_shift_correction",
        ParamKind::Bool,
        ParamDefault::Value(Const::Bool(false)),
        "multiply the field by exp(i(kz + π/2)) (iSCAT)",
    );
    let mut j = 0;
    while j < N {
        out[25 + j] = extra[j];
        j += 1;
    }
    out
}

static SPHERE: &[ParamSpec] = &with(
    COMMON,
    [
        ParamSpec { min: 0.0, min_open: true, ..number("radius", Const::Float(1e-6), "the radius (m)") },
        any(
            "refractive_index",
            Const::Float(1.45),
            one_index,
            "the refractive index, complex for an absorbing sphere (1.45+0.1j)",
        ),
    ],
);
static STRATIFIED: &[ParamSpec] = &with(
    COMMON,
    [
        ParamSpec {
            kind: ParamKind::Vector { min_len: 1, max_len: 64, whole: false },
            min: 0.0,
            min_open: true,
            check: Some(increasing),
            ..number("radius", Const::FloatList(&[1e-6]), "the shells' outer radii (m), increasing")
        },
        any(
            "refractive_index",
            Const::FloatList(&[1.45]),
            shell_indices,
            "the shells' refractive indices, complex for absorbing shells",
        ),
    ],
);

static SCATTERER: &[ParamSpec] = &with(
    COMMON,
    [
        ParamSpec::new(
            "coefficients",
            ParamKind::Callback,
            ParamDefault::Required,
            "a function of L (and the properties) returning the Mie coefficients a_n and b_n, n = 1..L, as a (2, L) \
             array",
        ),
        ParamSpec {
            kind: ParamKind::Vector { min_len: 1, max_len: 64, whole: false },
            min: 0.0,
            min_open: true,
            ..ParamSpec::new(
                "radius",
                ParamKind::Number,
                ParamDefault::Absent,
                "optional: the radius (m), or radii, that L \"auto\" is computed from",
            )
        },
    ],
);

/// The most shells of a stratified sphere.
const MAX_SHELLS: usize = 64;

/// Refractive indices: one number (real or complex), or a 1-d array or list of them; each finite with
/// a positive real part.
fn indices(v: &Value) -> Result<Vec<Complex64>> {
    let one = |v: &Value| -> Result<Complex64> {
        let (re, im) = v.as_complex().map_err(|_| {
            Error::type_mismatch(format!("expected a real or complex refractive index, got {}", v.kind_name()))
        })?;
        if !(re.is_finite() && im.is_finite() && re > 0.0) {
            return Err(Error::invalid(format!(
                "{} is not a refractive index: expected a finite number with a positive real part",
                Value::Complex(re, im)
            )));
        }
        Ok(Complex64::new(re, im))
    };
    match v {
        Value::List(items) | Value::Tuple(items) => items.iter().map(one).collect(),
        Value::Array(a) if a.ndim() <= 1 => a.iter().map(|&x| one(&Value::Float(x))).collect(),
        Value::IntArray(a) if a.ndim() <= 1 => a.iter().map(|&x| one(&Value::Int(x))).collect(),
        Value::ComplexArray(a) if a.ndim() <= 1 => a.iter().map(|z| one(&Value::Complex(z.re, z.im))).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn one_index(v: &Value) -> Result<()> {
    match v {
        Value::List(_) | Value::Tuple(_) | Value::Array(_) | Value::IntArray(_) | Value::ComplexArray(_) => {
            Err(Error::type_mismatch(format!("expected one real or complex refractive index, got {}", v.kind_name())))
        }
        _ => indices(v).map(drop),
    }
}

fn shell_indices(v: &Value) -> Result<()> {
    let n = indices(v)?.len();
    if n == 0 {
        return Err(Error::invalid("expected at least one refractive index"));
    }
    if n > MAX_SHELLS {
        return Err(Error::invalid(format!("{n} refractive indices exceed the maximum of {MAX_SHELLS} shells")));
    }
    Ok(())
}

fn auto_or_number(v: &Value) -> Result<()> {
    match v {
        Value::Str(s) if s.as_str() == "auto" => Ok(()),
        _ => match v.as_f64() {
            Ok(x) if x.is_finite() => Ok(()),
            _ => Err(Error::invalid("expected \"auto\" or a finite number")),
        },
    }
}

fn auto_or_order(v: &Value) -> Result<()> {
    match v {
        Value::Str(s) if s.as_str() == "auto" => Ok(()),
        _ => match v.as_f64() {
            Ok(x) if x >= 1.0 && x.fract() == 0.0 && x <= MAX_ORDER as f64 => Ok(()),
            Ok(x) if x > MAX_ORDER as f64 => Err(Error::invalid(format!("{x} exceeds the maximum of {MAX_ORDER}"))),
            _ => Err(Error::invalid("expected \"auto\" or a whole number of at least 1")),
        },
    }
}

fn angle_or_circular(v: &Value) -> Result<()> {
    match v {
        Value::Str(s) if s.as_str() == "circular" => Ok(()),
        _ => match v.as_f64() {
            Ok(x) if x.is_finite() => Ok(()),
            _ => Err(Error::invalid("expected \"circular\" or a finite angle in radians")),
        },
    }
}

/// A finite angle, or a string (DeepTrack2 analyses no polarization then, as for `None`: `ISCAT`
/// hands its Mie scatterers "circular").
fn angle_or_text(v: &Value) -> Result<()> {
    match v {
        Value::Str(_) => Ok(()),
        _ => match v.as_f64() {
            Ok(x) if x.is_finite() => Ok(()),
            _ => Err(Error::invalid("expected None, a string or a finite angle in radians")),
        },
    }
}

fn increasing(v: &Value) -> Result<()> {
    let r = v.to_f64_vec()?;
    if r.windows(2).any(|w| w[1] < w[0]) {
        return Err(Error::invalid("the radii of the shells of a stratified sphere must increase"));
    }
    Ok(())
}

#[derive(Clone)]
struct Mie {
    stratified: bool,
    /// `MieScatterer`'s function of `L` giving the coefficients.
    coefficients: Option<crate::Feature>,
}

/// The optics' properties an "auto" collection angle (and the "auto" offset_z from it) come from.
const AUTO_FROM_OPTICS: &[&str] = &["NA", "refractive_index_medium", "resolution", "magnification"];

/// DeepTrack2's "auto" `L`: `floor(x + 4·x^(1/3) + 1)` for `x = 2π · radius / wavelength`.
fn auto_order(radius: f64, wavelength: f64) -> f64 {
    let v = 2.0 * PI * radius / wavelength;
    (v + 4.0 * v.cbrt() + 1.0).floor()
}

impl Mie {
    fn params(&self) -> &'static [ParamSpec] {
        match (&self.coefficients, self.stratified) {
            (Some(_), _) => SCATTERER,
            (None, true) => STRATIFIED,
            (None, false) => SPHERE,
        }
    }

    /// The optics' numbers: from the microscope, else from the scatterer's own properties.
    fn imaging(&self, p: &Params, ctx: &OpticsContext) -> Result<Imaging> {
        if let Some(imaging) = ctx.imaging {
            return Ok(imaging);
        }
        let need = |key: &str| -> Result<&Value> {
            p.optional(key)?.ok_or_else(|| {
                Error::invalid(format!(
                    "{} needs the optics' {key}: image it with an optics feature, or set {key}",
                    self.name()
                ))
                .in_property(key)
            })
        };
        let num = |key: &str| need(key)?.as_f64().map_err(|e| e.in_property(key));
        let ints = |key: &str| -> Result<[i64; 4]> {
            let v = need(key)?.to_f64_vec().map_err(|e| e.in_property(key))?;
            if v.len() != 4 || v.iter().any(|x| x.fract() != 0.0 || x.abs() > 1e9) {
                return Err(Error::invalid("expected 4 whole numbers").in_property(key));
            }
            Ok(std::array::from_fn(|i| v[i] as i64))
        };
        let (wavelength, na, n_medium) = (num("wavelength")?, num("NA")?, num("refractive_index_medium")?);
        let (region, padding) = (ints("output_region")?, ints("padding")?);
        let mut grid = [0; 2];
        for axis in 0..2 {
            let n = region[axis + 2] - region[axis] + padding[axis] + padding[axis + 2];
            grid[axis] = usize::try_from(n).ok().filter(|&n| n > 0).and_then(fft::fast_size).ok_or_else(|| {
                Error::invalid(format!(
                    "the padded output region spans {n} pixels along axis {axis}; expected 1 to {}",
                    fft::MAX_SIZE
                ))
                .in_property("output_region")
            })?;
        }
        Ok(Imaging { wavelength, na, n_medium, region, padding, grid })
    }

    /// `L`, `collection_angle` and `offset_z`, each computed when it is "auto" as DeepTrack2 2.0.1's
    /// `MieScatterer._process_properties` does (from the radii `radius`, and the optics' numbers `im`).
    fn autos(&self, p: &Params, im: &Imaging, ctx: &OpticsContext, radius: &[f64]) -> Result<(usize, f64, f64)> {
        let max_radius = radius.iter().fold(0.0f64, |m, &r| m.max(r));
        let order = match p.value("L")? {
            Value::Str(_) if radius.is_empty() => {
                return Err(Error::invalid(
                    "L \"auto\" is computed from the radius (2π · radius / wavelength): set L, or radius",
                )
                .in_property("L"));
            }
            Value::Str(_) => {
                let l = auto_order(max_radius, im.wavelength);
                if l.is_nan() || l > MAX_ORDER as f64 {
                    // 2π · radius / wavelength: the radius's fault when it is farther from DeepTrack2's
                    // default (1 µm) than the wavelength from its own (660 nm), in orders of magnitude,
                    // else the wavelength's (the optics', when they set it).
                    let (by_radius, by_wavelength) = ((max_radius / 1e-6).ln(), (0.66e-6 / im.wavelength).ln());
                    let key = if by_radius >= by_wavelength { "radius" } else { "wavelength" };
                    return Err(Error::invalid(format!(
                        "\"auto\" gives {l} expansion terms for a radius of {} m at wavelength {} m, which exceeds the \
                         maximum of {MAX_ORDER}",
                        Value::Float(max_radius),
                        Value::Float(im.wavelength)
                    ))
                    .in_property(key));
                }
                l as usize
            }
            v => v.as_f64()? as usize,
        };
        let collection_angle = match p.value("collection_angle")? {
            Value::Str(_) => {
                let a = (im.na / im.n_medium).asin();
                if a.is_nan() {
                    let key = if (im.na / 0.7).ln().abs() >= (im.n_medium / 1.33).ln().abs() {
                        "NA"
                    } else {
                        "refractive_index_medium"
                    };
                    return Err(Error::invalid(format!(
                        "collection_angle \"auto\" is arcsin(NA / refractive_index_medium), undefined for NA {} above \
                         refractive_index_medium {}",
                        Value::Float(im.na),
                        Value::Float(im.n_medium)
                    ))
                    .in_property(key));
                }
                a
            }
            v => v.as_f64()?,
        };
        let offset_z = match p.value("offset_z")? {
            Value::Str(_) => {
                let offset_z = auto_offset_z(im, ctx, collection_angle);
                if !offset_z.is_finite() {
                    return Err(Error::invalid(format!(
                        "offset_z \"auto\" (0.45 · the output region's edge / tan(collection_angle {collection_angle:e})) \
                         is not finite: the collection angle is too small"
                    ))
                    .in_property("collection_angle"));
                }
                offset_z
            }
            v => v.as_f64()?,
        };
        Ok((order, collection_angle, offset_z))
    }

    /// The radii the scatterer computes with (none for a `MieScatterer` without `radius`).
    fn radii(&self, p: &Params) -> Result<Vec<f64>> {
        match (&self.coefficients, p.optional("radius")?) {
            (Some(_), None) => Ok(Vec::new()),
            _ => p.vec("radius"),
        }
    }

    /// `props` with `L`, `collection_angle` and `offset_z` computed where they are "auto", as DeepTrack2
    /// 2.0.1's dicts record them (its `_process_properties`); `None` when none is "auto" or they cannot
    /// be computed (the computation then reports why, as 2.0.1 leaves them "auto").
    fn processed(&self, props: &PropertyDict, ctx: &OpticsContext) -> Option<PropertyDict> {
        let auto = |key: &str| matches!(props.get(key), Some(Value::Str(_)));
        if !["L", "collection_angle", "offset_z"].iter().any(|k| auto(k)) {
            return None;
        }
        let p = Params::new(self.params(), props);
        p.check_all().ok()?;
        let im = self.imaging(&p, ctx).ok()?;
        let radius = self.radii(&p).ok()?;
        let (order, collection_angle, offset_z) = self.autos(&p, &im, ctx, &radius).ok()?;
        let mut out = props.clone();
        for (key, value) in [
            ("L", Value::Int(order as i64)),
            ("collection_angle", Value::Float(collection_angle)),
            ("offset_z", Value::Float(offset_z)),
        ] {
            if auto(key) {
                out.insert(key, value);
            }
        }
        Some(out)
    }

    fn field(&self, props: &PropertyDict, ctx: &OpticsContext) -> Result<Vec<Complex64>> {
        let p = Params::new(self.params(), props);
        p.check_all()?;
        let name = self.name();
        warn_upsample(name, &p)?;
        let im = self.imaging(&p, ctx)?;
        if !(im.wavelength > 0.0 && im.n_medium > 0.0 && im.na > 0.0) {
            return Err(Error::invalid(format!(
                "{name} needs a positive wavelength, NA and refractive_index_medium (got {}, {}, {})",
                im.wavelength, im.na, im.n_medium
            )));
        }
        let radius = self.radii(&p)?;
        let indices = match self.coefficients {
            Some(_) => Vec::new(),
            None => indices(p.value("refractive_index")?).map_err(|e| e.in_property("refractive_index"))?,
        };
        if self.coefficients.is_none() && radius.len() != indices.len() {
            return Err(Error::invalid(format!(
                "{} radii for {} refractive indices; give one of each per shell",
                radius.len(),
                indices.len()
            ))
            .in_property("refractive_index"));
        }
        let (order, collection_angle, offset_z) = self.autos(&p, &im, ctx, &radius)?;
        // `polarization_angle`, when set, replaces `input_polarization` (DeepTrack2's deprecated alias).
        let input_polarization = match p.opt_f64("polarization_angle")? {
            Some(angle) => Polarization::Angle(angle),
            None => match p.value("input_polarization")? {
                Value::Str(_) => Polarization::Circular,
                v => Polarization::Angle(v.as_f64()?),
            },
        };
        let mut position = p.vec("position")?;
        let z = if position.len() == 3 { position[2] } else { p.f64("z")? };
        position.truncate(2);
        let objective = p.vec("position_objective")?;
        let spec = FieldSpec {
            grid: im.grid,
            padding: [im.padding[0] as f64, im.padding[1] as f64],
            voxel: ctx.voxel_size,
            wavelength: im.wavelength,
            n_medium: im.n_medium,
            // Camera pixels to simulation pixels (DeepTrack2 2.0.1 multiplies the camera pixels by the
            // simulation voxel, which moves the particle toward the origin under upscale: see the README).
            position: [position[0] * ctx.scale[0], position[1] * ctx.scale[1]],
            z: z * ctx.scale[2],
            collection_angle,
            offset_z,
            working_distance: p.f64("working_distance")?,
            position_objective: [objective[0], objective[1]],
            input_polarization,
            output_polarization: match p.optional("output_polarization")? {
                None | Some(Value::Str(_)) => None,
                Some(v) => Some(v.as_f64()?),
            },
            illumination_angle: p.f64("illumination_angle")?,
            amp_factor: p.f64("amp_factor")?,
            phase_shift_correction: p.bool("phase_shift_correction")?,
            // DeepTrack2 converts it from meters to camera pixels (its conversion table).
            coherence_length: p.opt_f64("coherence_length")?.map(|c| c / (ctx.voxel_size[0] * ctx.scale[0])),
            return_fft: ctx.imaging.is_some() || p.bool("return_fft")?,
            // In a microscope, the optics read the spectrum on their pupil's band only: computed there
            // (one grid step wider than the pupil's candidates, against rounding in the voxel size).
            band: ctx.imaging.map(|im| {
                [0, 1].map(|axis| {
                    let n = im.grid[axis];
                    let r = pupil_radius(im.na, im.wavelength, ctx.voxel_size[axis], n) + 1.0;
                    let range = pupil_candidates(n, r);
                    [range.start, range.end]
                })
            }),
        };
        let m: Vec<Complex64> = indices.iter().map(|&n| n / im.n_medium).collect();
        let a: Vec<f64> = radius.iter().map(|&r| r * 2.0 * PI / im.wavelength * im.n_medium).collect();
        let (an, bn) = match &self.coefficients {
            Some(function) => user_coefficients(function, props, &im, order)?,
            None => crate::mie::stratified_coefficients(&m, &a, order).map_err(|e| e.in_feature(name))?,
        };
        if an.iter().chain(&bn).any(|c| !(c.re.is_finite() && c.im.is_finite())) {
            // A size parameter far from any microscope's (2π · radius · n_medium / wavelength) is the radius's;
            // an explicit L beyond "auto"'s asks for orders whose coefficients overflow at that size.
            let extreme = a.iter().any(|&a| !(1e-30..=1e30).contains(&a.abs()));
            let largest = radius.iter().fold(0.0f64, |m, &r| m.max(r));
            let auto = auto_order(largest, im.wavelength);
            let explicit = !matches!(p.value("L")?, Value::Str(_)) && order as f64 > auto;
            // Otherwise the number farthest from DeepTrack2's default in orders of magnitude: the
            // radius (1 µm), the wavelength (660 nm) or the medium (1.33) for a size parameter far from
            // any microscope's, else the refractive index (1.45) or the medium.
            let farthest = |candidates: &[(&'static str, f64, f64)]| {
                candidates
                    .iter()
                    .map(|&(k, v, d)| (k, (v.abs() / d).ln().abs()))
                    .fold(("", -1.0), |best, c| if c.1 > best.1 { c } else { best })
                    .0
            };
            let index = indices.iter().fold(0.0f64, |m, n| m.max(n.norm()));
            let key = match (&self.coefficients, explicit, extreme) {
                (Some(_), _, _) => "coefficients",
                (None, true, _) => "L",
                (None, false, true) => farthest(&[
                    ("radius", largest, 1e-6),
                    ("wavelength", im.wavelength, 0.66e-6),
                    ("refractive_index_medium", im.n_medium, 1.33),
                ]),
                (None, false, false) => {
                    farthest(&[("refractive_index", index, 1.45), ("refractive_index_medium", im.n_medium, 1.33)])
                }
            };
            let because = if key == "L" {
                format!(
                    ": L = {order} expansion terms, where \"auto\" gives {auto}, reach orders whose coefficients overflow"
                )
            } else {
                String::new()
            };
            let show = |v: &[Complex64]| {
                let parts: Vec<String> = v.iter().map(|z| Value::Complex(z.re, z.im).to_string()).collect();
                format!("[{}]", parts.join(", "))
            };
            return Err(Error::invalid(format!(
                "{name}'s Mie coefficients are not finite (size parameters 2π · radius · refractive_index_medium / \
                 wavelength {a:?}, relative refractive indices {}){because}",
                show(&m)
            ))
            .in_property(key));
        }
        // The property a blame names: `z` is the position's third element when it has one.
        let z_key = if p.vec("position")?.len() == 3 { "position" } else { "z" };
        // An "auto" offset_z (computed before, recorded in the properties as DeepTrack2 does) is the
        // collection angle's.
        let offset_key = if offset_z.to_bits() == auto_offset_z(&im, ctx, collection_angle).to_bits() {
            "collection_angle"
        } else {
            "offset_z"
        };
        let named = |b: Blame| {
            let property = match b.property {
                "z" => z_key,
                "offset_z" => offset_key,
                other => other,
            };
            Error::invalid(format!("{name}'s field is not finite: {}", b.detail)).in_property(property)
        };
        check_spec(&spec).map_err(named)?;
        let field = scattered_field(&spec, &an, &bn)?;
        // Its intensity too must be a number (the optics square it): once per field, over the band.
        if field.iter().any(|v| !v.norm_sqr().is_finite()) {
            return Err(named(check_field(&spec)));
        }
        Ok(field)
    }
}

/// DeepTrack2 2.0.1's `offset_z` "auto": 0.45 of the output region's edge (its FFT size, without
/// the padding, in camera pixels in the sample) over `tan(collection_angle)`.
fn auto_offset_z(im: &Imaging, ctx: &OpticsContext, collection_angle: f64) -> f64 {
    let edge = (0..2)
        .map(|axis| {
            let n = (im.region[axis + 2] - im.region[axis]).max(1) as usize;
            fft::fast_size(n).unwrap_or(n)
        })
        .min()
        .unwrap_or(1) as f64;
    // DeepTrack2 multiplies by the optics' `voxel_size` property here: the camera pixel in the
    // sample (the simulation voxel times the scale), not the upscaled voxel.
    let pixel = [ctx.voxel_size[0] * ctx.scale[0], ctx.voxel_size[1] * ctx.scale[1]];
    edge * 0.45 * pixel[0].min(pixel[1]) / collection_angle.tan()
}

impl FeatureKind for Mie {
    /// `MieScatterer`'s coefficients function.
    fn children(&self) -> Vec<crate::Feature> {
        self.coefficients.iter().cloned().collect()
    }

    fn with_children(&self, children: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        let coefficients = self.coefficients.as_ref().map(|f| children.into_iter().next().unwrap_or_else(|| f.clone()));
        Box::new(Mie { coefficients, ..self.clone() })
    }

    fn name(&self) -> &str {
        match (&self.coefficients, self.stratified) {
            (Some(_), _) => "MieScatterer",
            (None, true) => "MieStratifiedSphere",
            (None, false) => "MieSphere",
        }
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn appends_to_inputs(&self) -> bool {
        true
    }

    /// The position as the volume scatterers record it (an array; in camera pixels for
    /// `position_unit = "meter"`).
    fn process_properties(&self, props: &PropertyDict, scope: &Scope) -> Result<Option<PropertyDict>> {
        recorded_position(props, scope)
    }

    fn used_properties(&self, sample: &PropertyDict, scope: &Scope) -> Option<PropertyDict> {
        let propagated = Propagated::of(scope).and_then(|o| o.apply(self.params(), sample));
        let processed = self.processed(propagated.as_ref().unwrap_or(sample), &OpticsContext::of(scope));
        processed.or(propagated)
    }

    fn process(
        &self,
        _: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let ctx = OpticsContext::of(rs.scope());
        let scope = rs.scope().clone();
        // The optics' properties this scatterer also has take the optics' values (ISCAT's reflected,
        // circularly polarized illumination; Darkfield's illumination angle), as in DeepTrack2; an
        // error naming one names the optics.
        let propagated = Propagated::of(&scope).and_then(|o| o.apply(self.params(), props));
        let props = propagated.as_ref().unwrap_or(props);
        // MieScatterer's coefficients function is user code.
        let _user = self.coefficients.is_some().then(|| rs.user_code());
        let field = self.field(props, &ctx).map_err(|e| {
            // A collection angle left "auto" (and the "auto" offset_z it gives) is the optics': their
            // NA and refractive_index_medium, and their voxel size for the far field's plane.
            // (Recorded in the properties once computed, as DeepTrack2 does: auto when it is
            // arcsin(NA / refractive_index_medium) to the bit.)
            let auto = match (props.get("collection_angle"), ctx.imaging) {
                (Some(Value::Str(_)), _) => true,
                (Some(v), Some(im)) => v.as_f64().is_ok_and(|a| a.to_bits() == (im.na / im.n_medium).asin().to_bits()),
                _ => false,
            };
            let e = match e.property() {
                Some("collection_angle") if auto => Propagated::blame_auto(&scope, AUTO_FROM_OPTICS, e),
                _ => e,
            };
            Propagated::blame(&scope, self.params(), e)
        })?;
        let grid = ctx.imaging.map(|i| i.grid);
        let [n0, n1] = match grid {
            Some(g) => g,
            None => {
                let p = Params::new(self.params(), props);
                self.imaging(&p, &ctx)?.grid
            }
        };
        let mut data = crate::buffer::zeroed(2 * field.len())
            .map_err(|_| Error::new(crate::error::ErrorKind::OutOfMemory, "cannot allocate the Mie field"))?;
        for (d, f) in data.chunks_exact_mut(2).zip(&field) {
            d[0] = f.re;
            d[1] = f.im;
        }
        let mut image = Image::new(ArrayD::from_shape_vec(IxDyn(&[n0, n1, 1, 2]), data).expect("grid-sized field"));
        image.set_complex(true)?;
        Ok(vec![image])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::builtin;
    use crate::properties::Rule;

    fn mie(kind: &str, props: &[(&str, Value)]) -> crate::Feature {
        let f = builtin(kind).unwrap();
        for (k, v) in props {
            f.set_property(k, Rule::constant(v.clone())).unwrap();
        }
        f
    }

    fn standalone() -> Vec<(&'static str, Value)> {
        vec![
            ("wavelength", Value::Float(633e-9)),
            ("NA", Value::Float(0.8)),
            ("refractive_index_medium", Value::Float(1.33)),
            ("output_region", Value::vector(&[0.0, 0.0, 24.0, 24.0])),
            ("padding", Value::vector(&[0.0; 4])),
        ]
    }

    #[test]
    fn outside_a_microscope_the_scatterer_needs_the_optics_numbers() {
        let err = mie("MieSphere", &[]).resolve_one(None).unwrap_err().to_string();
        assert!(err.contains("MieSphere needs the optics' wavelength"), "{err}");
        // With them: the field (or its spectrum) on the grid, complex.
        let out = mie("MieSphere", &standalone()).resolve_one(None).unwrap().unwrap();
        assert_eq!((out.shape(), out.is_complex()), ([24, 24, 1, 2].as_slice(), true));
        let mut props = standalone();
        props.push(("return_fft", Value::Bool(true)));
        let spectrum = mie("MieSphere", &props).resolve_one(None).unwrap().unwrap();
        // The field's mean is the spectrum's DC term over the grid size.
        let mean: f64 = out.as_slice().chunks_exact(2).map(|c| c[0]).sum::<f64>() / 576.0;
        assert!((mean - spectrum.as_slice()[0] / 576.0).abs() < 1e-12 * mean.abs().max(1e-12));
    }

    #[test]
    fn bad_values_name_the_property_and_limit() {
        let mut props = standalone();
        props[1] = ("NA", Value::Float(1.4));
        let err = mie("MieSphere", &props).resolve_one(None).unwrap_err().to_string();
        assert!(
            err.starts_with("property 'NA' of feature 'MieSphere'")
                && err.contains("NA 1.4 above refractive_index_medium 1.33"),
            "{err}"
        );
        let f = builtin("MieSphere").unwrap();
        let err = f.set_property("L", Rule::constant(Value::Int(20_000))).unwrap_err().to_string();
        assert!(err.contains("exceeds the maximum of 10000"), "{err}");
        let f = builtin("MieStratifiedSphere").unwrap();
        let err = f.set_property("radius", Rule::constant(Value::vector(&[2e-6, 1e-6]))).unwrap_err().to_string();
        assert!(err.contains("'radius'") && err.contains("must increase"), "{err}");
        let mut props = standalone();
        props.push(("radius", Value::vector(&[1e-6, 2e-6])));
        props.push(("refractive_index", Value::vector(&[1.5])));
        let err = mie("MieStratifiedSphere", &props).resolve_one(None).unwrap_err().to_string();
        assert!(err.contains("2 radii for 1 refractive indices"), "{err}");
    }
}
