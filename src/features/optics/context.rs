//! What a microscope hands its sample: the optics' units and imaging numbers, as values of the
//! resolve scope ([`Scope`]) that the sample's features (scatterers, `SampleToMasks`,
//! `NonOverlapping`) read. The engine knows none of them: it only reuses results computed in an
//! equal scope and records dicts where the scope asks.

use std::sync::Arc;

use super::Params;
use crate::error::Error;
use crate::features::registry::ParamSpec;
use crate::graph::Scope;
use crate::properties::{PixelUnit, PropertyDict};
use crate::value::Value;

/// What a microscope's sample is computed at: the simulation voxel size and the scale of the optics
/// imaging it (DeepTrack2's unit context, `get_active_voxel_size()` and `get_active_scale()`).
/// A `Microscope` with built-in optics sets it in its sample's scope (with the [`PixelUnit`] of the
/// camera pixel); scatterers read it with [`OpticsContext::of`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpticsContext {
    /// The simulation voxel size in meters per axis: `resolution / magnification / upscale`.
    pub voxel_size: [f64; 3],
    /// Camera pixels to simulation pixels per axis (the upscale, not always an exact integer:
    /// DeepTrack2 computes it as `pixel_size * (1 / voxel_size)`).
    pub scale: [f64; 3],
    /// What the optics hand their sample besides units (DeepTrack2 propagates the optics'
    /// properties to the scatterers that have them): `None` outside a microscope.
    pub imaging: Option<Imaging>,
}

/// The optics' properties a field scatterer (`MieSphere`) reads, in simulation pixels where they are
/// pixels (upscaled, as DeepTrack2's microscope hands them to the sample).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Imaging {
    /// The wavelength in vacuum, in meters.
    pub wavelength: f64,
    /// The numerical aperture.
    pub na: f64,
    /// The refractive index of the medium.
    pub n_medium: f64,
    /// `output_region` (row and column of the first corner, then of the second) in simulation pixels.
    pub region: [i64; 4],
    /// `padding` (rows before, columns before, rows after, columns after) in simulation pixels.
    pub padding: [i64; 4],
    /// The FFT grid the optics render the padded output region on (rows, columns).
    pub grid: [usize; 2],
}

impl OpticsContext {
    /// DeepTrack2's units outside a microscope (`get_active_voxel_size()` and `get_active_scale()`
    /// without a unit context): 1 µm voxels, scale 1.
    pub const DEFAULT: OpticsContext = OpticsContext { voxel_size: [1e-6; 3], scale: [1.0; 3], imaging: None };

    /// The context of the microscope whose sample `scope` is, or [`OpticsContext::DEFAULT`] outside any.
    pub fn of(scope: &Scope) -> OpticsContext {
        scope.get::<OpticsContext>().copied().unwrap_or(OpticsContext::DEFAULT)
    }
}

/// The optics' properties, handed to the sample as DeepTrack2's microscope hands them
/// (`propagate_data_to_dependencies`: every property of the optics that a feature of the sample also
/// has takes the optics' value there). `ISCAT` gives its Mie scatterers `illumination_angle`,
/// `amp_factor`, the polarizations and `phase_shift_correction` this way, `Darkfield` its
/// `illumination_angle`; every optics gives a Mie scatterer its `wavelength`, `NA`,
/// `refractive_index_medium`, `output_region` and `padding` (those two upscaled, in simulation pixels)
/// and `return_fft = True`, and every scatterer its `voxel_size` (`resolution / magnification` per
/// axis) and `pixel_size` (`resolution / magnification`), as DeepTrack2 2.0.1's `Microscope.get`. The
/// optics' features (`pupil`, `illumination`) are not among them, nor is `name` (DeepTrack2 renames the
/// sample's features; README, deliberate differences).
#[derive(Clone, Debug, Default)]
pub struct Propagated(PropertyDict);

/// The label of the optics whose sample a scope resolves (set by the microscope): an error naming a
/// property a scatterer took from them ([`Propagated`]) names them ([`Propagated::blame`]).
#[derive(Clone, Debug, PartialEq)]
pub struct OpticsLabel(pub Arc<str>);

/// The propagated properties the microscope derives (from `resolution` and `magnification`): not
/// properties of the optics, so an error naming them stays the scatterer's.
const DERIVED: [&str; 3] = ["voxel_size", "pixel_size", "return_fft"];

/// The optics' properties not propagated as sampled: the microscope hands `output_region` and
/// `padding` upscaled, and the features are the optics' own.
const NOT_PROPAGATED: [&str; 4] = ["output_region", "padding", "pupil", "illumination"];

impl Propagated {
    /// The properties of the optics whose sampled properties are `props`, as sampled (without the
    /// values a microscope computes from them: see [`Params::sample_scope`]).
    pub fn from_optics(props: &PropertyDict) -> Propagated {
        let mut out = PropertyDict::with_capacity(props.len() + 5);
        for (key, value) in props.iter().filter(|(k, _)| !NOT_PROPAGATED.contains(k)) {
            out.insert(key, value.clone());
        }
        Propagated(out)
    }

    /// `e`, an error of a sample feature with the parameters `params` resolved in `scope`, blamed on
    /// the optics when the property it names is one the feature took from them: the user set it
    /// there (`Brightfield(wavelength=…)`, `ISCAT(amp_factor=…)`), not on the scatterer.
    pub fn blame(scope: &Scope, params: &[ParamSpec], e: Error) -> Error {
        let (Some(propagated), Some(OpticsLabel(label))) = (Propagated::of(scope), scope.get::<OpticsLabel>()) else {
            return e;
        };
        match e.property() {
            Some(key)
                if propagated.0.get(key).is_some()
                    && params.iter().any(|p| p.name == key)
                    && !DERIVED.contains(&key) =>
            {
                e.blamed_on(label)
            }
            _ => e,
        }
    }

    /// `e`, an error naming a number a sample feature computed ("auto") from the optics' properties
    /// `from`, blamed on the one of them farthest from its default (in orders of magnitude), on the
    /// optics; `e` itself outside a microscope.
    pub fn blame_auto(scope: &Scope, from: &[&str], e: Error) -> Error {
        let (Some(propagated), Some(OpticsLabel(label))) = (Propagated::of(scope), scope.get::<OpticsLabel>()) else {
            return e;
        };
        e.blamed_on_property(label, super::params::most_unusual(&propagated.0, from))
    }

    /// What the microscope whose sample `scope` is hands its sample, if `scope` is inside one.
    pub fn of(scope: &Scope) -> Option<&Propagated> {
        scope.get::<Propagated>()
    }

    /// `props` (a sample feature's properties, its parameters `params`) with every propagated
    /// property that `params` declares set to the optics' value; `None` when none is.
    pub fn apply(&self, params: &[ParamSpec], props: &PropertyDict) -> Option<PropertyDict> {
        let mut shared = self.0.iter().filter(|(k, _)| params.iter().any(|p| p.name == *k)).peekable();
        shared.peek()?;
        let mut out = props.clone();
        for (key, value) in shared {
            out.insert(key, value.clone());
        }
        Some(out)
    }
}

/// Equal when they hold the same keys with values equal as Python compares them (results computed
/// under equal properties are reused).
impl PartialEq for Propagated {
    fn eq(&self, other: &Propagated) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(other.0.iter()).all(|((k, a), (l, b))| k == l && crate::value::same_value(a, b))
    }
}

impl Params {
    /// The context these optics give their sample.
    pub fn context(&self) -> OpticsContext {
        OpticsContext {
            voxel_size: self.voxel,
            scale: self.scale,
            imaging: Some(Imaging {
                wavelength: self.wavelength,
                na: self.na,
                n_medium: self.n_medium,
                region: self.region,
                padding: self.padding,
                grid: self.grid,
            }),
        }
    }

    /// The scope a microscope resolves its sample in with these optics, inside the microscope's own
    /// `outer`: the context, the optics' properties `props` with what the microscope derives from them
    /// ([`Propagated`]), the camera pixel as the unit of lengths in pixels, and every dict recorded (the
    /// optics read the scatterers' properties from their volumes).
    pub fn sample_scope(&self, outer: &Scope, props: &PropertyDict) -> Scope {
        outer.with(self.context()).with(self.propagated(props)).with(PixelUnit(self.pixel)).recording()
    }

    /// What these optics (sampled properties `props`) hand their sample, as DeepTrack2 2.0.1's
    /// `Microscope.get`: their properties, `output_region` and `padding` times the rounded upscale
    /// (`int(x · upscale)`, simulation pixels), `voxel_size` and `pixel_size` (`resolution /
    /// magnification`, per axis for the voxel, not upscaled: the optics' own) and `return_fft = True`.
    pub fn propagated(&self, props: &PropertyDict) -> Propagated {
        let mut out = Propagated::from_optics(props);
        let ints = |v: [i64; 4]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        out.0.insert("output_region", ints(self.region));
        out.0.insert("padding", ints(self.padding));
        out.0.insert("voxel_size", Value::vector(&[self.pixel; 3]));
        out.0.insert("pixel_size", Value::Float(self.pixel));
        out.0.insert("return_fft", Value::Bool(true));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::registry::{Const, ParamDefault, ParamKind};

    const SPECS: [ParamSpec; 2] = [
        ParamSpec::new("illumination_angle", ParamKind::Number, ParamDefault::Value(Const::Int(0)), "an angle"),
        ParamSpec::new("wavelength", ParamKind::Number, ParamDefault::Value(Const::None), "a wavelength"),
    ];

    fn optics(angle: Value) -> PropertyDict {
        let mut d = PropertyDict::new();
        d.insert("wavelength", Value::Float(5e-7));
        d.insert("illumination_angle", angle);
        d.insert("magnification", Value::Int(10));
        d
    }

    /// A sample feature takes the optics' properties it declares, in its own order.
    #[test]
    fn the_shared_properties_take_the_optics_values() {
        let propagated = Propagated::from_optics(&optics(Value::Float(3.0)));
        let mut own = PropertyDict::new();
        own.insert("wavelength", Value::Float(6e-7));
        own.insert("illumination_angle", Value::Float(0.2));
        let out = propagated.apply(&SPECS, &own).expect("illumination_angle is shared");
        assert_eq!(out.f64("illumination_angle").unwrap(), 3.0);
        assert_eq!(out.f64("wavelength").unwrap(), 5e-7);
        assert_eq!(out.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["wavelength", "illumination_angle"]);
        assert!(out.get("magnification").is_none());
        // Nothing shared: the feature's own dict serves.
        assert!(propagated.apply(&SPECS[2..], &own).is_none());
    }

    /// Equal as Python compares values (results computed under equal properties are reused).
    #[test]
    fn equality_compares_values() {
        let a = Propagated::from_optics(&optics(Value::Float(3.0)));
        assert_eq!(a, Propagated::from_optics(&optics(Value::Int(3))));
        assert_ne!(a, Propagated::from_optics(&optics(Value::Float(2.0))));
    }
}
