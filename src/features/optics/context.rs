//! What a microscope hands its sample: the optics' units and imaging numbers, as values of the
//! resolve scope ([`Scope`]) that the sample's features (scatterers, `SampleToMasks`,
//! `NonOverlapping`) read. The engine knows none of them: it only reuses results computed in an
//! equal scope and records dicts where the scope asks.

use super::Params;
use crate::graph::Scope;
use crate::properties::PixelUnit;

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
    /// `outer`: the context, the camera pixel as the unit of lengths in pixels, and every dict
    /// recorded (the optics read the scatterers' properties from their volumes).
    pub fn sample_scope(&self, outer: &Scope) -> Scope {
        outer.with(self.context()).with(PixelUnit(self.pixel)).recording()
    }
}
