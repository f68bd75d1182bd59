//! Volume scatterers whose volume a callback computes: DeepTrack2's subclass of a built-in scatterer
//! that overrides `get` (`class Annulus(dt.Ellipse): def get(self, *inp, inner_radius, radius,
//! **kwargs)`, its tutorial DTEx231B), and the built-in computation that its `super().get(...)` calls
//! ([`builtin_volume`]).
//!
//! The feature is the built-in kind in every other respect: its parameters and defaults, its checks,
//! `position_unit`, the `upsample` warning, and what the optics read (`position`, `z`, and the
//! multiplier `intensity`, `refractive_index` or `value`), so its volume is placed, upsampled and
//! imaged exactly as the built-in's. As DeepTrack2 2.0.1's `Scatterer._process_and_get` does, the
//! callback receives the properties `get` receives there (the kind's `_process_properties`: an
//! `Ellipse`'s radius as two numbers, an `Ellipsoid`'s radius and rotation as three; and the unit
//! context: `voxel_size`, three numbers in meters, and `pixel_size`, the camera pixel in meters), and
//! the volume it returns (any 3-D array) has its all-zero slices cropped.

use std::sync::Arc;

use super::{Scatterer, Shape, point, recorded_position};
use crate::error::{Error, Result};
use crate::features::FeatureKind;
use crate::features::optics::OpticsContext;
use crate::features::registry::{KindSpec, ParamDefault, Params};
use crate::graph::{Feature, ReplicaId, Resolver, Scope};
use crate::image::Image;
use crate::properties::{PixelUnit, PropertyDict};
use crate::value::Value;

/// The kinds whose volume a callback may compute (the volume scatterers; the Mie scatterers hand
/// the optics a field, not a volume).
pub const VOLUME_KINDS: [&str; 4] = ["PointParticle", "Sphere", "Ellipse", "Ellipsoid"];

/// The function computing a scatterer's volume: receives the properties DeepTrack2's `get` receives
/// (see the module) and returns the 3-D volume (`Ok(None)`: it made none, an error).
pub type VolumeFn = dyn Fn(&Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync;

/// The registry entry and shape of volume scatterer `kind`.
fn volume_kind(kind: &str) -> Result<(&'static KindSpec, Shape)> {
    let shape = match kind {
        "PointParticle" => Shape::Point,
        "Sphere" => Shape::Sphere,
        "Ellipse" => Shape::Ellipse,
        "Ellipsoid" => Shape::Ellipsoid,
        _ => {
            return Err(Error::invalid(format!(
                "'{kind}' is not a volume scatterer (one of {})",
                VOLUME_KINDS.join(", ")
            )));
        }
    };
    let spec = super::KINDS.iter().find(|s| s.name == kind).expect("the volume scatterers are this family's kinds");
    Ok((spec, shape))
}

#[derive(Clone)]
struct FromCallback {
    shape: Shape,
    volume: Arc<VolumeFn>,
}

impl FeatureKind for FromCallback {
    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        Scatterer { shape: self.shape }.name_of()
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn appends_to_inputs(&self) -> bool {
        true
    }

    fn process_properties(&self, props: &PropertyDict, scope: &Scope) -> Result<Option<PropertyDict>> {
        recorded_position(props, scope)
    }

    fn process(
        &self,
        _: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let builtin = Scatterer { shape: self.shape };
        let p = Params::new(builtin.params(), props);
        p.check_all()?;
        builtin.warn_upsample(&p)?;
        let ctx = OpticsContext::of(rs.scope());
        let pixel = rs.scope().get::<PixelUnit>().copied().unwrap_or(PixelUnit::DEFAULT).0;
        let args = Arc::new(get_arguments(self.shape, props, ctx.voxel_size, pixel)?);
        let made = {
            let _user = rs.user_code();
            (self.volume)(&args)?
        };
        let name = builtin.name_of();
        let made = made.ok_or_else(|| Error::invalid(format!("{name}: get returned no volume")))?;
        if made.is_complex() || made.shape().len() != 3 {
            let what =
                if made.is_complex() { "a complex array".to_owned() } else { format!("shape {:?}", made.shape()) };
            return Err(Error::invalid(format!(
                "{name}: get returned {what}; a scatterer's volume is a real 3-D array"
            )));
        }
        let mut image = Image::new(crop_empty(&made)?);
        image.set_note(super::ScattererData::of_scatterer(&p, props, self.shape != Shape::Point)?);
        Ok(vec![image])
    }
}

/// What DeepTrack2's `get` receives: `props` after the kind's `_process_properties`, with the unit
/// context's `voxel_size` (three numbers) and `pixel_size` (meters).
fn get_arguments(shape: Shape, props: &PropertyDict, vox: [f64; 3], pixel: f64) -> Result<PropertyDict> {
    let mut out = props.clone();
    // DeepTrack2's conversion table makes the position an array.
    let position = props.require("position")?.to_f64_vec().map_err(|e| e.in_property("position"))?;
    out.insert("position", Value::vector(&position));
    let floats = |v: &[f64]| Value::Tuple(v.iter().map(|&x| Value::Float(x)).collect());
    match shape {
        Shape::Ellipse => {
            let r = props.require("radius")?.to_f64_vec().map_err(|e| e.in_property("radius"))?;
            let r = if r.len() == 1 { [r[0], r[0]] } else { [r[0], r[1]] };
            out.insert("radius", Value::vector(&r));
        }
        Shape::Ellipsoid => {
            let r = props.require("radius")?.to_f64_vec().map_err(|e| e.in_property("radius"))?;
            let r = match r.len() {
                1 => [r[0]; 3],
                2 => [r[0], r[1], r[1]],
                _ => [r[0], r[1], r[2]],
            };
            let rot = props.require("rotation")?.to_f64_vec().map_err(|e| e.in_property("rotation"))?;
            let rot: [f64; 3] = std::array::from_fn(|i| rot.get(i).copied().unwrap_or(0.0));
            out.insert("radius", floats(&r));
            out.insert("rotation", floats(&rot));
        }
        Shape::Point | Shape::Sphere => {}
    }
    out.insert("voxel_size", floats(&vox));
    out.insert("pixel_size", Value::Float(pixel));
    Ok(out)
}

/// The array without its all-zero slices along axis 0, then 1, then 2 (DeepTrack2's `crop_empty`;
/// NaN is not zero).
fn crop_empty(img: &Image) -> Result<ndarray::ArrayD<f64>> {
    let a = img.data();
    let mut out = a.to_owned();
    for axis in 0..3 {
        let keep: Vec<usize> = (0..out.shape()[axis])
            .filter(|&i| out.index_axis(ndarray::Axis(axis), i).iter().any(|&v| v != 0.0))
            .collect();
        if keep.len() < out.shape()[axis] {
            out = out.select(ndarray::Axis(axis), &keep);
        }
    }
    Ok(out)
}

/// The volume of built-in scatterer `kind` (`PointParticle`, `Sphere`, `Ellipse` or `Ellipsoid`)
/// computed from `props` as its DeepTrack2 `get` computes it, uncropped (what a subclass's
/// `super().get(...)` returns): parameters not in `props` take the kind's defaults; `voxel_size`
/// (one number or three, meters; default 1 µm) is the voxel, and a `PointParticle`'s value is the
/// product of the scale `pixel_size / voxel_size` per axis (1 without `pixel_size`). Errors name the
/// kind and the property at fault.
pub fn builtin_volume(kind: &str, props: &PropertyDict) -> Result<Image> {
    let (spec, shape) = volume_kind(kind)?;
    let in_kind = |e: Error| e.in_feature(kind);
    let mut all = PropertyDict::new();
    for param in spec.params {
        if let ParamDefault::Value(c) = param.default {
            all.insert(param.name, c.to_value());
        }
    }
    for (key, value) in props.iter() {
        all.insert(key, value.clone());
    }
    let vox = match all.get("voxel_size") {
        None | Some(Value::None) => OpticsContext::DEFAULT.voxel_size,
        Some(v) => lengths(v, 1..=3).map_err(|e| in_kind(e.in_property("voxel_size")))?,
    };
    let pixel = match all.get("pixel_size") {
        None | Some(Value::None) => None,
        Some(v) => Some(lengths(v, 1..=1).map_err(|e| in_kind(e.in_property("pixel_size")))?[0]),
    };
    let builtin = Scatterer { shape };
    // Only the kind's own parameters are checked: the others are the subclass's.
    for (key, value) in all.iter() {
        spec.validate(key, value).map_err(in_kind)?;
    }
    let data = match builtin.grid(&all, vox).map_err(in_kind)? {
        Some(grid) => super::masks::dense(&grid).map_err(in_kind)?,
        None => {
            let scale = vox.map(|v| match pixel {
                Some(px) if v != px => px * (1.0 / v),
                _ => 1.0,
            });
            point(scale)
        }
    };
    Ok(Image::new(data))
}

/// Positive finite lengths: `n` numbers with `n` in `counts`, one number standing for three.
fn lengths(value: &Value, counts: std::ops::RangeInclusive<usize>) -> Result<[f64; 3]> {
    let v = super::finite_vec(value, counts)?;
    if let Some(x) = v.iter().find(|&&x| x <= 0.0) {
        return Err(Error::invalid(format!("expected positive lengths in meters, got {x}")));
    }
    Ok(if v.len() == 1 { [v[0]; 3] } else { [v[0], v[1], *v.get(2).unwrap_or(&v[1])] })
}

impl Feature {
    /// Built-in volume scatterer `kind` (one of [`VOLUME_KINDS`]) whose volume `volume` computes:
    /// DeepTrack2's subclass overriding `get` (see the module). It has the kind's parameters and
    /// defaults; `volume` receives the sampled properties as DeepTrack2's `get` does, and its 3-D
    /// array is cropped and imaged as the kind's own volume.
    pub fn scatterer_with_volume(
        kind: &str,
        volume: impl Fn(&Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
    ) -> Result<Feature> {
        let (spec, shape) = volume_kind(kind)?;
        Feature::builtin(spec, Box::new(FromCallback { shape, volume: Arc::new(volume) }))
    }
}
