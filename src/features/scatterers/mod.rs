//! Scatterers: `PointParticle`, `Sphere`, `Ellipse` and `Ellipsoid`, as DeepTrack2 2.0.1 computes them
//! (docs/deeptrack2-rendering.md §3).
//!
//! A scatterer is computed at the voxel size of the optics imaging it (the [`OpticsContext`] a
//! `Microscope` sets while it resolves its sample), so it can only be resolved as part of a microscope's
//! sample. It ignores its input and *appends* one volume to the input list (`A >> B` gives two
//! volumes): a 3-D array, emptied slices cropped, that the optics place at the scatterer's `position`
//! (camera pixels, row then column) and `z` (camera z-pixels), multiplied by `intensity` (fluorescence),
//! `refractive_index - refractive_index_medium` (brightfield) or else `value`. The volume carries the
//! scatterer's property dict (its ground truth).
//!
//! Common properties: `position` (default `(32, 32)`, 2 or 3 numbers; a third one is used as `z`),
//! `z` (0), `value` (1.0), and optionally `intensity` and `refractive_index`. `Sphere` adds `radius`
//! (1e-6 m); `Ellipse` and `Ellipsoid` add `radius` (1e-6 m), `rotation` (0 rad) and `transpose`
//! (false). Numbers may be integers or floats; vectors may be arrays or lists.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use crate::error::{Error, Result};
use crate::graph::{OpticsContext, ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

mod masks;

pub use masks::MAX_GRID_VOXELS;

/// Names registered by this family.
pub const NAMES: &[&str] = &["PointParticle", "Sphere", "Ellipse", "Ellipsoid"];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    let shape = match name {
        "PointParticle" => Shape::Point,
        "Sphere" => Shape::Sphere,
        "Ellipse" => Shape::Ellipse,
        "Ellipsoid" => Shape::Ellipsoid,
        _ => return None,
    };
    Some(Box::new(Scatterer { shape }))
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

/// A finite, strictly positive number, or an error.
pub(crate) fn positive(value: &Value) -> Result<f64> {
    let x = value.as_f64()?;
    if x.is_finite() && x > 0.0 { Ok(x) } else { Err(Error::invalid(format!("expected a positive number, got {x}"))) }
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

/// `intensity` / `refractive_index`: absent (`None`) or a finite number.
fn optional_number(value: &Value) -> Result<()> {
    match value {
        Value::None => Ok(()),
        other => finite(other).map(|_| ()),
    }
}

impl Scatterer {
    /// The radius: a number or a vector of `lengths` positive numbers.
    fn radius(&self, value: &Value) -> Result<Vec<f64>> {
        let lengths = match self.shape {
            Shape::Point => 0..=usize::MAX,
            Shape::Sphere => 1..=3,
            // Ellipse uses the first two of longer vectors, as DeepTrack2 does.
            Shape::Ellipse => 1..=usize::MAX,
            Shape::Ellipsoid => 1..=3,
        };
        let r = finite_vec(value, lengths)?;
        if self.shape == Shape::Sphere && r.len() == 2 {
            return Err(Error::invalid("expected 1 or 3 numbers (one per axis), got 2"));
        }
        if let Some(x) = r.iter().find(|&&x| x <= 0.0) {
            return Err(Error::invalid(format!("expected positive radii, got {x}")));
        }
        Ok(r)
    }

    fn rotation(&self, value: &Value) -> Result<Vec<f64>> {
        finite_vec(value, if self.shape == Shape::Ellipse { 1..=1 } else { 1..=3 })
    }

    fn check(&self, key: &str, value: &Value) -> Result<()> {
        match key {
            "position" => position(value).map(|_| ()),
            "z" | "value" => finite(value).map(|_| ()),
            "intensity" | "refractive_index" => optional_number(value),
            "radius" if self.shape != Shape::Point => self.radius(value).map(|_| ()),
            "rotation" if matches!(self.shape, Shape::Ellipse | Shape::Ellipsoid) => self.rotation(value).map(|_| ()),
            "transpose" if matches!(self.shape, Shape::Ellipse | Shape::Ellipsoid) => value.as_bool().map(|_| ()),
            "position_unit" => match value {
                Value::Str(s) if s.as_str() == "pixel" => Ok(()),
                _ => Err(Error::invalid(format!("only \"pixel\" positions are supported, got {value}"))),
            },
            "upsample" => match value.as_f64() {
                Ok(1.0) => Ok(()),
                _ => Err(Error::invalid(format!(
                    "only upsample=1 is supported, got {value} (use the optics' upscale instead)"
                ))),
            },
            _ => Ok(()),
        }
    }

    /// The scatterer's array at the optics' voxel size, cropped (`crop_empty`).
    fn volume(&self, props: &PropertyDict, ctx: &OpticsContext) -> Result<ArrayD<f64>> {
        let vox = ctx.voxel_size;
        let grid = match self.shape {
            Shape::Point => {
                let s = ctx.scale;
                return Ok(ArrayD::from_elem(IxDyn(&[1, 1, 1]), s[0] * s[1] * s[2]));
            }
            Shape::Sphere => {
                let r = self.radius(props.require("radius")?).map_err(|e| e.in_property("radius"))?;
                let radius = |i: usize| if r.len() == 1 { r[0] } else { r[i] };
                masks::sphere(std::array::from_fn(|i| radius(i) * 1.0 / vox[i]))?
            }
            Shape::Ellipse => {
                let r = self.radius(props.require("radius")?).map_err(|e| e.in_property("radius"))?;
                let mut r = if r.len() == 1 { [r[0], r[0]] } else { [r[0], r[1]] };
                let theta = self.rotation(props.require("rotation")?).map_err(|e| e.in_property("rotation"))?[0];
                if !props.require("transpose")?.as_bool().map_err(|e| e.in_property("transpose"))? {
                    r.swap(0, 1);
                }
                masks::ellipse(r, theta, vox)?
            }
            Shape::Ellipsoid => {
                let r = self.radius(props.require("radius")?).map_err(|e| e.in_property("radius"))?;
                let r = match r.len() {
                    1 => [r[0]; 3],
                    2 => [r[0], r[1], r[1]],
                    _ => [r[0], r[1], r[2]],
                };
                let rot = self.rotation(props.require("rotation")?).map_err(|e| e.in_property("rotation"))?;
                let rot: [f64; 3] = std::array::from_fn(|i| rot.get(i).copied().unwrap_or(0.0));
                let transpose = props.require("transpose")?.as_bool().map_err(|e| e.in_property("transpose"))?;
                masks::ellipsoid(if transpose { r } else { [r[1], r[0], r[2]] }, rot, vox)?
            }
        };
        masks::materialise(&grid)
    }
}

impl FeatureKind for Scatterer {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        match self.shape {
            Shape::Point => "PointParticle",
            Shape::Sphere => "Sphere",
            Shape::Ellipse => "Ellipse",
            Shape::Ellipsoid => "Ellipsoid",
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        let mut props = vec![
            ("position", Rule::constant(Value::vector(&[32.0, 32.0]))),
            ("z", Rule::constant(0.0)),
            ("value", Rule::constant(1.0)),
        ];
        match self.shape {
            Shape::Point => {}
            Shape::Sphere => props.push(("radius", Rule::constant(1e-6))),
            Shape::Ellipse | Shape::Ellipsoid => props.extend([
                ("radius", Rule::constant(1e-6)),
                ("rotation", Rule::constant(0_i64)),
                ("transpose", Rule::constant(false)),
            ]),
        }
        props
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        self.check(key, value)
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn appends_to_inputs(&self) -> bool {
        true
    }

    fn process(
        &self,
        _: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let Some(ctx) = rs.optics().copied() else {
            return Err(Error::invalid(
                "a scatterer is computed at the voxel size of the optics imaging it: use it in the sample of a \
                 microscope (optics(sample), e.g. Fluorescence or Brightfield)",
            ));
        };
        for (key, value) in props.iter() {
            self.check(key, value).map_err(|e| e.in_property(key))?;
        }
        Ok(vec![Image::new(self.volume(props, &ctx)?)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn ctx(vox: f64) -> OpticsContext {
        OpticsContext { voxel_size: [vox; 3], scale: [1.0; 3] }
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
        let ctx2 = OpticsContext { voxel_size: [5e-8; 3], scale: [2.0; 3] };
        assert_eq!(point.volume(&props(&[]), &ctx2).unwrap().as_slice().unwrap(), [8.0]);
    }

    #[test]
    fn bad_properties_are_reported() {
        let s = Scatterer { shape: Shape::Sphere };
        assert!(s.check("radius", &Value::Float(-1.0)).is_err());
        assert!(s.check("radius", &Value::Float(f64::NAN)).is_err());
        assert!(s.check("radius", &Value::Float(0.0)).is_err());
        assert!(s.check("position", &Value::vector(&[1.0])).is_err());
        assert!(s.check("position", &Value::List(vec![Value::Int(3), Value::Float(4.5)])).is_ok());
        assert!(s.check("intensity", &Value::None).is_ok());
        assert!(s.check("intensity", &Value::str("bright")).is_err());
        let huge = s.volume(&props(&[("radius", Value::Float(1.0))]), &ctx(1e-9));
        assert_eq!(huge.unwrap_err().kind(), ErrorKind::OutOfMemory);
    }
}
