//! Scatterers: `PointParticle`, `Sphere`, `Ellipse` and `Ellipsoid`, as DeepTrack2 2.0.1 computes them
//! (docs/deeptrack2-rendering.md §3).
//!
//! A scatterer is computed at the voxel size of the optics imaging it (the [`OpticsContext`] a
//! `Microscope` sets while it resolves its sample); resolved outside a microscope (for
//! `SampleToMasks`), at DeepTrack2's default units ([`OpticsContext::DEFAULT`]: 1 µm voxels). It ignores its input and *appends* one volume to the input list (`A >> B` gives two
//! volumes): a 3-D array, emptied slices cropped, that the optics place at the scatterer's `position`
//! (camera pixels, row then column) and `z` (camera z-pixels), multiplied by `intensity` (fluorescence),
//! `refractive_index - refractive_index_medium` (brightfield) or else `value`. The volume carries the
//! scatterer's property dict (its ground truth).
//!
//! Common properties, in DeepTrack2 2.0.1's order: `position` (default `(32, 32)`, 2 or 3 numbers; a
//! third one is used as `z`), `z` (0), `value` (1.0), `position_unit` ("pixel", or "meter": converted
//! to camera pixels with the optics' pixel size and recorded so, see `recorded_position`), `upsample`
//! (1; deprecated and without effect, as in DeepTrack2 2.0.1: a warning when not 1), `voxel_size` and
//! `pixel_size` (None; recorded only: a microscope sets them to its optics' `resolution /
//! magnification`, as DeepTrack2's does, and nothing computes with them), and optionally `intensity`
//! and `refractive_index` (real, or complex for an absorbing scatterer). `Sphere` adds `radius`
//! (1e-6 m); `Ellipse` and `Ellipsoid` add `radius` (1e-6 m), `rotation` (0 rad) and `transpose`
//! (false). Numbers may be integers or floats; vectors may be arrays or lists.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::features::optics::{OpticsContext, Propagated};
use crate::graph::{ReplicaId, Resolver, Scope};
use crate::image::Image;
use crate::properties::{PixelUnit, PropertyDict};
use crate::value::Value;

mod custom;
mod data;
mod masks;
mod mie;
mod mie_coefficients;

pub use custom::{VOLUME_KINDS, VolumeFn, builtin_volume};
pub use data::{Multiplier, ScattererData};

pub use masks::MAX_GRID_VOXELS;
pub(crate) use mie::KINDS as MIE_KINDS;
pub use mie::MAX_ORDER as MAX_MIE_ORDER;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "PointParticle",
        aliases: &[],
        module: "scatterers",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "A point: one voxel of value `scale₀·scale₁·scale₂` at `position`.",
        params: POINT,
        positional: &[],
        make: |_| Box::new(Scatterer { shape: Shape::Point }),
    },
    KindSpec {
        name: "Sphere",
        aliases: &[],
        module: "scatterers",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "A ball of `radius` (or an ellipsoid of three radii) at `position`.",
        params: SPHERE,
        positional: &["radius"],
        make: |_| Box::new(Scatterer { shape: Shape::Sphere }),
    },
    KindSpec {
        name: "Ellipse",
        aliases: &[],
        module: "scatterers",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "A flat ellipse of radii `radius`, rotated by `rotation` in the image plane.",
        params: ELLIPSE,
        positional: &["radius", "rotation", "transpose"],
        make: |_| Box::new(Scatterer { shape: Shape::Ellipse }),
    },
    KindSpec {
        name: "Ellipsoid",
        aliases: &[],
        module: "scatterers",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "An ellipsoid of radii `radius`, rotated by the Euler angles `rotation`.",
        params: ELLIPSOID,
        positional: &["radius", "rotation", "transpose"],
        make: |_| Box::new(Scatterer { shape: Shape::Ellipsoid }),
    },
];

/// A vector of `min_len..=max_len` finite numbers.
const fn finite_vector(
    name: &'static str,
    (min_len, max_len): (usize, usize),
    default: Const,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec {
        kind: ParamKind::Vector { min_len, max_len, whole: false },
        ..ParamSpec::finite(name, ParamDefault::Value(default), doc)
    }
}

const POSITION: ParamSpec = ParamSpec {
    pixels: true,
    ..finite_vector("position", (2, 3), Const::IntTuple(&[32, 32]), "(row, column[, z]) in camera pixels")
};
const Z: ParamSpec = ParamSpec {
    pixels: true,
    ..ParamSpec::finite("z", ParamDefault::Value(Const::Float(0.0)), "the z position, in camera z-pixels")
};
const VALUE: ParamSpec = ParamSpec::finite(
    "value",
    ParamDefault::Value(Const::Float(1.0)),
    "the volume's value when neither optics' multiplier is set",
);
const INTENSITY: ParamSpec = ParamSpec {
    nullable: true,
    ..ParamSpec::finite("intensity", ParamDefault::Absent, "the fluorescence multiplier (optional)")
};
const REFRACTIVE_INDEX: ParamSpec = ParamSpec {
    nullable: true,
    check: Some(real_or_complex),
    ..ParamSpec::new(
        "refractive_index",
        ParamKind::Any,
        ParamDefault::Absent,
        "the refractive index, for brightfield (optional); complex for an absorbing scatterer (1.45+0.1j)",
    )
};

/// A finite real or complex number (a volume scatterer's refractive index).
fn real_or_complex(value: &Value) -> Result<()> {
    let (re, im) = value
        .as_complex()
        .map_err(|_| Error::type_mismatch(format!("expected a real or complex number, got {}", value.kind_name())))?;
    if re.is_finite() && im.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(format!("expected a finite real or complex number, got {value}")))
    }
}
const POSITION_UNIT: ParamSpec = ParamSpec::new(
    "position_unit",
    ParamKind::Str { choices: &["pixel", "meter"] },
    ParamDefault::Value(Const::Str("pixel")),
    "the unit of position: \"pixel\" (camera pixels), or \"meter\" (converted to camera pixels with the optics' \
     pixel size, and recorded so)",
);

/// The scatterer's properties as it records them, DeepTrack2 2.0.1's `Scatterer` conversion of
/// `position` (`None` when they are the sampled ones):
/// - a position given in meters (`position_unit = "meter"`) is converted to camera pixels: divided by
///   the pixel size of the optics imaging it (`resolution / magnification`, the unit a length given
///   with units converts with; 1 µm outside a microscope), as DeepTrack2's scatterers did before 2.0.1
///   (which stores the unit and reads nothing), and recorded so, with `position_unit` "pixel"; `z`
///   stays in camera z-pixels, as there;
/// - a position in pixels given as a list or tuple of numbers is recorded as an array, as 2.0.1's
///   conversion table records it (`np.array` of it: an int64 array for integers, else float64), so that
///   `image.get_property("position")` computes as an array (`position * 2`, `position - offset`).
pub(crate) fn recorded_position(props: &PropertyDict, scope: &Scope) -> Result<Option<PropertyDict>> {
    if !matches!(props.get("position_unit"), Some(Value::Str(unit)) if unit.as_str() == "meter") {
        let array = props.get("position").and_then(position_as_array);
        return Ok(array.map(|array| {
            let mut out = props.clone();
            out.insert("position", array);
            out
        }));
    }
    let pixel = scope.get::<PixelUnit>().copied().unwrap_or(PixelUnit::DEFAULT).0;
    let given = props.require("position")?;
    let meters = position(given).map_err(|e| e.in_property("position"))?;
    let pixels: Vec<f64> = meters.iter().map(|m| m / pixel).collect();
    if let Some(x) = pixels.iter().find(|x| !x.is_finite()) {
        let detail = format!("the position in meters over the pixel size of {pixel} m gives {x} pixels");
        return Err(Error::invalid(detail).in_property("position"));
    }
    let mut out = props.clone();
    out.insert("position", Value::vector(&pixels));
    out.insert("position_unit", Value::str("pixel"));
    Ok(Some(out))
}

/// `np.array(position)` of a list or tuple of numbers: an int64 array when every item is an integer,
/// else a float64 one. `None` for any other value (an array, a number, a value the check refuses),
/// which is recorded as it is.
fn position_as_array(value: &Value) -> Option<Value> {
    let (Value::List(items) | Value::Tuple(items)) = value else {
        return None;
    };
    if items.is_empty() {
        return None;
    }
    if items.iter().all(|v| matches!(v, Value::Int(_))) {
        let ints: Vec<i64> = items.iter().map(|v| if let Value::Int(i) = v { *i } else { 0 }).collect();
        return Some(Value::int_array(ArrayD::from_shape_vec(IxDyn(&[ints.len()]), ints).ok()?));
    }
    let floats: Option<Vec<f64>> = items
        .iter()
        .map(|v| match v {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        })
        .collect();
    floats.map(|f| Value::vector(&f))
}

/// `upsample` of the volume scatterers: DeepTrack2 2.0.1 accepts it, warns that it is deprecated and
/// computes the same volume whatever its value (its `_process_and_get` passes it on and nothing reads
/// it), so the library does the same (a positive whole number; a warning when it is not 1).
pub(crate) const UPSAMPLE_IGNORED: ParamSpec = ParamSpec {
    min: 1.0,
    max: f64::MAX,
    ..ParamSpec::new(
        "upsample",
        ParamKind::Integer,
        ParamDefault::Value(Const::Int(1)),
        "deprecated and without effect, as in DeepTrack2 2.0.1 (warns when not 1); use Upscale instead",
    )
};
/// `voxel_size` of every scatterer (DeepTrack2 2.0.1's `Scatterer(voxel_size=None)`): recorded, never
/// computed with. A microscope sets it to its optics' `voxel_size` (`resolution / magnification` per
/// axis, as DeepTrack2's `propagate_data_to_dependencies` does); the volume is always computed at the
/// simulation voxel of the optics imaging it (1 µm alone), as 2.0.1's `get_active_voxel_size()`.
pub(crate) const VOXEL_SIZE: ParamSpec = ParamSpec {
    nullable: true,
    min: 0.0,
    min_open: true,
    max: f64::MAX,
    meters: true,
    ..ParamSpec::new(
        "voxel_size",
        ParamKind::Vector { min_len: 1, max_len: 3, whole: false },
        ParamDefault::Value(Const::None),
        "recorded only: set to the optics' voxel size (resolution / magnification per axis, m) by a microscope; \
         the volume is computed at the optics' simulation voxel whatever it holds, as in DeepTrack2 2.0.1",
    )
};
/// `pixel_size` of every scatterer, as [`VOXEL_SIZE`]: the optics' `resolution / magnification`.
pub(crate) const PIXEL_SIZE: ParamSpec = ParamSpec {
    nullable: true,
    min: 0.0,
    min_open: true,
    max: f64::MAX,
    ..ParamSpec::new(
        "pixel_size",
        ParamKind::Number,
        ParamDefault::Value(Const::None),
        "recorded only: set to the optics' pixel size (resolution / magnification, m) by a microscope, as in \
         DeepTrack2 2.0.1",
    )
};

/// The warning of a scatterer given `upsample` other than 1 (checked: a whole number of at least 1).
pub(crate) fn warn_upsample(name: &str, p: &Params<'_>) -> Result<()> {
    let upsample = p.f64("upsample")?;
    if upsample != 1.0 {
        crate::warnings::warn(format!(
            "{name}: setting upsample != 1 is deprecated and has no effect (as in DeepTrack2 2.0.1); use \
             Upscale(feature, factor={}) instead",
            upsample as i64
        ));
    }
    Ok(())
}

/// Positive finite radii, in meters.
const fn radius(max_len: usize, check: Option<fn(&Value) -> Result<()>>) -> ParamSpec {
    ParamSpec {
        min: 0.0,
        min_open: true,
        check,
        meters: true,
        ..finite_vector("radius", (1, max_len), Const::Float(1e-6), "the radius in meters, or one per axis")
    }
}
const TRANSPOSE: ParamSpec = ParamSpec::new(
    "transpose",
    ParamKind::Bool,
    ParamDefault::Value(Const::Bool(false)),
    "whether the radii are given (column, row) rather than (row, column)",
);
const fn rotation(max_len: usize) -> ParamSpec {
    ParamSpec {
        default: ParamDefault::Value(Const::Int(0)),
        ..finite_vector("rotation", (1, max_len), Const::Int(0), "the rotation in radians (Euler angles for 3-D)")
    }
}

const POINT: &[ParamSpec] =
    &[POSITION, Z, VALUE, POSITION_UNIT, UPSAMPLE_IGNORED, VOXEL_SIZE, PIXEL_SIZE, INTENSITY, REFRACTIVE_INDEX];
const SPHERE: &[ParamSpec] = &[
    POSITION,
    Z,
    VALUE,
    POSITION_UNIT,
    UPSAMPLE_IGNORED,
    VOXEL_SIZE,
    PIXEL_SIZE,
    radius(3, Some(not_two)),
    INTENSITY,
    REFRACTIVE_INDEX,
];
const ELLIPSE: &[ParamSpec] = &[
    POSITION,
    Z,
    VALUE,
    POSITION_UNIT,
    UPSAMPLE_IGNORED,
    VOXEL_SIZE,
    PIXEL_SIZE,
    // Ellipse uses the first two of longer vectors, as DeepTrack2 does.
    radius(usize::MAX, None),
    rotation(1),
    TRANSPOSE,
    INTENSITY,
    REFRACTIVE_INDEX,
];
const ELLIPSOID: &[ParamSpec] = &[
    POSITION,
    Z,
    VALUE,
    POSITION_UNIT,
    UPSAMPLE_IGNORED,
    VOXEL_SIZE,
    PIXEL_SIZE,
    radius(3, None),
    rotation(3),
    TRANSPOSE,
    INTENSITY,
    REFRACTIVE_INDEX,
];

/// A sphere's radius is one number or one per axis (3), never 2.
fn not_two(value: &Value) -> Result<()> {
    if value.to_f64_vec()?.len() == 2 {
        return Err(Error::invalid("expected 1 or 3 numbers (one per axis), got 2"));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Point,
    Sphere,
    Ellipse,
    Ellipsoid,
}

#[derive(Clone)]
struct Scatterer {
    shape: Shape,
}

/// A finite number, or an error.
pub(crate) fn finite(value: &Value) -> Result<f64> {
    let x = value.as_f64()?;
    if x.is_finite() { Ok(x) } else { Err(Error::invalid(format!("expected a finite number, got {x}"))) }
}

/// A vector of finite numbers (a number, an array or a list) whose length is in `lengths`.
pub(crate) fn finite_vec(value: &Value, lengths: std::ops::RangeInclusive<usize>) -> Result<Vec<f64>> {
    let v = value.to_f64_vec()?;
    if !lengths.contains(&v.len()) {
        let expected = if lengths.start() == lengths.end() {
            format!("{}", lengths.start())
        } else {
            format!("{} to {}", lengths.start(), lengths.end())
        };
        return Err(Error::invalid(format!("expected {expected} numbers, got {}", v.len())));
    }
    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(format!("expected finite numbers, got {x}")));
    }
    Ok(v)
}

/// The `position` of a scatterer: 2 or 3 finite numbers.
pub(crate) fn position(value: &Value) -> Result<Vec<f64>> {
    finite_vec(value, 2..=3)
}

impl Scatterer {
    /// The kind's name.
    fn name_of(&self) -> &'static str {
        match self.shape {
            Shape::Point => "PointParticle",
            Shape::Sphere => "Sphere",
            Shape::Ellipse => "Ellipse",
            Shape::Ellipsoid => "Ellipsoid",
        }
    }

    fn params(&self) -> &'static [ParamSpec] {
        match self.shape {
            Shape::Point => POINT,
            Shape::Sphere => SPHERE,
            Shape::Ellipse => ELLIPSE,
            Shape::Ellipsoid => ELLIPSOID,
        }
    }

    /// DeepTrack2 2.0.1's `Ellipse._process_properties` and `Ellipsoid._process_properties`: the
    /// `radius` of an ellipse as an array of two (one radius twice, or the first two), an ellipsoid's
    /// `radius` and `rotation` as tuples of three (one radius thrice, two with the second repeated;
    /// rotations padded with 0), as its dicts record them (the volume is the same). `None` for the
    /// other kinds, or values that are not numbers (the check reports them).
    fn per_axis(&self, props: &PropertyDict) -> Option<PropertyDict> {
        let numbers = |key: &str| props.get(key).and_then(|v| v.to_f64_vec().ok()).filter(|v| !v.is_empty());
        let mut out = props.clone();
        match self.shape {
            Shape::Ellipse => {
                let r = numbers("radius")?;
                out.insert("radius", Value::vector(&[r[0], if r.len() == 1 { r[0] } else { r[1] }]));
            }
            Shape::Ellipsoid => {
                let r = numbers("radius")?;
                let r = match r.len() {
                    1 => vec![r[0]; 3],
                    2 => vec![r[0], r[1], r[1]],
                    _ => r,
                };
                let rotation = props.get("rotation")?;
                numbers("rotation")?;
                let mut angles: Vec<Value> = match rotation {
                    Value::List(items) | Value::Tuple(items) => items.clone(),
                    Value::Int(_) | Value::Float(_) => vec![rotation.clone()],
                    other => other.to_f64_vec().ok()?.into_iter().map(Value::Float).collect(),
                };
                while angles.len() < 3 {
                    angles.push(Value::Int(0));
                }
                out.insert("radius", Value::Tuple(r.into_iter().map(Value::Float).collect()));
                out.insert("rotation", Value::Tuple(angles));
            }
            Shape::Point | Shape::Sphere => return None,
        }
        Some(out)
    }

    /// The scatterer's array at the optics' voxel size, cropped (`crop_empty`).
    fn volume(&self, props: &PropertyDict, ctx: &OpticsContext) -> Result<ArrayD<f64>> {
        match self.grid(props, ctx.voxel_size)? {
            Some(grid) => masks::materialise(&grid),
            None => Ok(point(ctx.scale)),
        }
    }

    /// The mask of a sized scatterer on its grid at voxel size `vox` (`None` for a point).
    fn grid(&self, props: &PropertyDict, vox: [f64; 3]) -> Result<Option<masks::Grid>> {
        let p = Params::new(self.params(), props);
        let grid = match self.shape {
            Shape::Point => return Ok(None),
            Shape::Sphere => {
                let r = p.vec("radius")?;
                let radius = |i: usize| if r.len() == 1 { r[0] } else { r[i] };
                masks::sphere(std::array::from_fn(|i| radius(i) * 1.0 / vox[i]))?
            }
            Shape::Ellipse => {
                let r = p.vec("radius")?;
                let mut r = if r.len() == 1 { [r[0], r[0]] } else { [r[0], r[1]] };
                let theta = p.vec("rotation")?[0];
                if !p.bool("transpose")? {
                    r.swap(0, 1);
                }
                masks::ellipse(r, theta, vox)?
            }
            Shape::Ellipsoid => {
                let r = p.vec("radius")?;
                let r = match r.len() {
                    1 => [r[0]; 3],
                    2 => [r[0], r[1], r[1]],
                    _ => [r[0], r[1], r[2]],
                };
                let rot = p.vec("rotation")?;
                let rot: [f64; 3] = std::array::from_fn(|i| rot.get(i).copied().unwrap_or(0.0));
                let transpose = p.bool("transpose")?;
                masks::ellipsoid(if transpose { r } else { [r[1], r[0], r[2]] }, rot, vox)?
            }
        };
        Ok(Some(grid))
    }

    /// Warns about an `upsample` other than 1 (checked: a whole number of at least 1).
    fn warn_upsample(&self, p: &Params<'_>) -> Result<()> {
        warn_upsample(self.name_of(), p)
    }
}

/// A point's one voxel: `scale₀·scale₁·scale₂` (DeepTrack2's `np.ones((1, 1, 1)) * np.prod(scale)`).
fn point(s: [f64; 3]) -> ArrayD<f64> {
    ArrayD::from_elem(IxDyn(&[1, 1, 1]), s[0] * s[1] * s[2])
}

impl FeatureKind for Scatterer {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.name_of()
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn appends_to_inputs(&self) -> bool {
        true
    }

    fn process_properties(&self, props: &PropertyDict, scope: &Scope) -> Result<Option<PropertyDict>> {
        let moved = recorded_position(props, scope)?;
        Ok(self.per_axis(moved.as_ref().unwrap_or(props)).or(moved))
    }

    /// Inside a microscope: the optics' `voxel_size` and `pixel_size` (and any other property of the
    /// optics the scatterer has), as DeepTrack2's microscope sets them on its sample.
    fn used_properties(&self, sample: &PropertyDict, scope: &Scope) -> Option<PropertyDict> {
        Propagated::of(scope).and_then(|o| o.apply(self.params(), sample))
    }

    fn process(
        &self,
        _: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        // Outside a microscope, DeepTrack2's default units: 1 µm voxels, camera pixels as they are.
        let ctx = OpticsContext::of(rs.scope());
        let p = Params::new(self.params(), props);
        p.check_all()?;
        warn_upsample(self.name(), &p)?;
        let mut image = Image::new(self.volume(props, &ctx)?);
        // What the optics read: typed, rather than looked up in the dict by key.
        image.set_note(ScattererData::of_scatterer(&p, props, self.shape != Shape::Point)?);
        Ok(vec![image])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::value::ValueKind;

    fn ctx(vox: f64) -> OpticsContext {
        OpticsContext { voxel_size: [vox; 3], scale: [1.0; 3], imaging: None }
    }

    fn props(pairs: &[(&str, Value)]) -> PropertyDict {
        let mut d = PropertyDict::new();
        for (k, v) in pairs {
            d.insert(*k, v.clone());
        }
        d
    }

    fn sum(a: &ArrayD<f64>) -> f64 {
        a.iter().sum()
    }

    /// A position in pixels given as a list or tuple is recorded as `np.array` makes it (an int64
    /// array of integers, else float64), as DeepTrack2 2.0.1's conversion table records it; arrays,
    /// one number and values the check refuses are recorded as given.
    #[test]
    fn positions_are_recorded_as_arrays() {
        let recorded = |position: Value| {
            let p = props(&[("position", position), ("position_unit", Value::str("pixel"))]);
            recorded_position(&p, &Scope::default()).unwrap().map(|d| d.get("position").unwrap().clone())
        };
        let ints = recorded(Value::Tuple(vec![Value::Int(3), Value::Int(4)])).unwrap();
        assert_eq!(ints.kind(), ValueKind::IntArray);
        assert_eq!(ints.to_f64_vec().unwrap(), [3.0, 4.0]);
        let mixed = recorded(Value::List(vec![Value::Float(3.5), Value::Int(4), Value::Int(1)])).unwrap();
        assert_eq!(mixed.kind(), ValueKind::Array);
        assert_eq!(mixed.to_f64_vec().unwrap(), [3.5, 4.0, 1.0]);
        assert!(recorded(Value::vector(&[1.0, 2.0])).is_none());
        assert!(recorded(Value::Int(3)).is_none());
        assert!(recorded(Value::List(vec![Value::str("a"), Value::Int(1)])).is_none());
        assert!(recorded(Value::List(vec![])).is_none());
    }

    #[test]
    fn volumes_are_cropped_masks() {
        let s = Scatterer { shape: Shape::Sphere };
        let m = s.volume(&props(&[("radius", Value::Float(1e-6))]), &ctx(1e-7)).unwrap();
        assert_eq!((m.shape(), sum(&m)), ([20, 20, 20].as_slice(), 4166.0));
        let e = Scatterer { shape: Shape::Ellipse };
        let p = props(&[
            ("radius", Value::vector(&[1.5e-6, 7e-7])),
            ("rotation", Value::Float(0.4)),
            ("transpose", Value::Bool(false)),
        ]);
        let m = e.volume(&p, &ctx(1e-7)).unwrap();
        assert_eq!((m.shape(), sum(&m)), ([17, 29, 1].as_slice(), 333.0));
        let e = Scatterer { shape: Shape::Ellipsoid };
        let p = props(&[
            ("radius", Value::vector(&[1.2e-6, 6e-7, 8e-7])),
            ("rotation", Value::vector(&[0.3, 0.0, 0.0])),
            ("transpose", Value::Bool(false)),
        ]);
        let m = e.volume(&p, &ctx(1e-7)).unwrap();
        assert_eq!((m.shape(), sum(&m)), ([13, 23, 15].as_slice(), 2419.0));
        let point = Scatterer { shape: Shape::Point };
        let ctx2 = OpticsContext { voxel_size: [5e-8; 3], scale: [2.0; 3], imaging: None };
        assert_eq!(point.volume(&props(&[]), &ctx2).unwrap().as_slice().unwrap(), [8.0]);
    }

    #[test]
    fn bad_properties_are_reported() {
        let s = Scatterer { shape: Shape::Sphere };
        let check = |key: &str, v: Value| Params::new(SPHERE, &props(&[(key, v)])).check_all();
        assert!(check("radius", Value::Float(-1.0)).is_err());
        assert!(check("radius", Value::Float(f64::NAN)).is_err());
        assert!(check("radius", Value::Float(0.0)).is_err());
        assert!(check("radius", Value::vector(&[1.0, 2.0])).is_err());
        assert!(check("position", Value::vector(&[1.0])).is_err());
        assert!(check("position", Value::List(vec![Value::Int(3), Value::Float(4.5)])).is_ok());
        assert!(check("intensity", Value::None).is_ok());
        assert!(check("intensity", Value::str("bright")).is_err());
        let huge = s.volume(&props(&[("radius", Value::Float(1.0))]), &ctx(1e-9));
        assert_eq!(huge.unwrap_err().kind(), ErrorKind::OutOfMemory);
    }
}
