//! A fluorophore's photon budget in the camera's terms: the `photons_per_unit` that makes a point
//! particle of `intensity` 1, imaged by given optics, deliver `N` photons onto the sensor in the
//! exposure. The optics' PSF is normalised in the optics' own units (its sum over the field depends on
//! the NA, wavelength, magnification, resolution and the field's size), so the factor is measured:
//! a copy of the optics images one point particle of intensity 1 at the centre of its output region
//! (and one of intensity 2, to check that the image is proportional to the intensity, as a
//! fluorescence image is), and `photons_per_unit = N / (total · exposure_time)`, where `total` is the
//! image's sum. A particle elsewhere delivers `N` times the fraction of its PSF that falls in the field
//! relative to the centred one (less near the edges).

use crate::error::{Error, Result};
use crate::features::registry;
use crate::features::show;
use crate::graph::Feature;
use crate::properties::Rule;
use crate::value::Value;

/// The relative difference allowed between twice the image of intensity 1 and the image of
/// intensity 2 (rounding only) before the optics are called non-linear in the intensity.
const LINEARITY: f64 = 1e-9;

/// `photons_per_unit` for a `Camera` behind `optics` such that a point particle of intensity 1 at the
/// centre of the optics' output region delivers `photons` photons in total onto the sensor in an
/// exposure of `exposure_time` seconds (the camera's own `exposure_time`). `optics` is not touched (a
/// copy is resolved; its random properties are sampled once). Errors: `photons` negative or not
/// finite, `exposure_time` not positive and finite, optics whose image is not proportional to a
/// point particle's intensity (brightfield and other interference optics: their photons are not a
/// fluorophore's), or an image without light.
pub fn photons_per_unit(optics: &Feature, photons: f64, exposure_time: f64) -> Result<f64> {
    let context = "photons_per_unit";
    if !(photons.is_finite() && photons >= 0.0) {
        return Err(Error::invalid(format!("{} is not a number of photons (finite, at least 0)", show(photons)))
            .in_property("photons")
            .in_feature(context));
    }
    if !(exposure_time.is_finite() && exposure_time > 0.0) {
        return Err(Error::invalid(format!("{} is not an exposure (finite, above 0 seconds)", show(exposure_time)))
            .in_property("exposure_time")
            .in_feature(context));
    }
    let copy = optics.duplicate();
    let region = copy.get_property("output_region").map_err(|e| e.in_feature(context))?;
    let region = match region.to_f64_vec() {
        Ok(r) if r.len() == 4 && r.iter().all(|x| x.is_finite()) => r,
        _ => {
            return Err(Error::invalid(format!(
                "the optics' output_region must be 4 finite numbers (x0, y0, x1, y1), got {region:?}"
            ))
            .in_property("output_region")
            .in_feature(context));
        }
    };
    let centre = vec![0.5 * (region[0] + region[2]), 0.5 * (region[1] + region[3])];
    let one = total(&copy, &centre, 1.0)?;
    let two = total(&copy, &centre, 2.0)?;
    if !(one.is_finite() && one > 0.0) {
        return Err(Error::invalid(format!(
            "a point particle of intensity 1 at the centre of the field gives an image of total {} \
             (no light reaches the sensor)",
            show(one)
        ))
        .in_feature(context));
    }
    if (two - 2.0 * one).abs() > LINEARITY * one {
        return Err(Error::invalid(format!(
            "the optics' image is not proportional to a point particle's intensity (intensity 1: total {}, \
             intensity 2: total {}): photons per fluorophore need fluorescence optics",
            show(one),
            show(two)
        ))
        .in_feature(context));
    }
    let factor = photons / (one * exposure_time);
    if !factor.is_finite() {
        return Err(Error::invalid(format!(
            "{} photons over an image of total {} in {} s is not a finite factor",
            show(photons),
            show(one),
            show(exposure_time)
        ))
        .in_feature(context));
    }
    Ok(factor)
}

/// The sum of the image `optics` makes of a point particle of `intensity` at `position`.
fn total(optics: &Feature, position: &[f64], intensity: f64) -> Result<f64> {
    let particle = registry::build("PointParticle", Vec::new())?;
    particle.set_property("position", Rule::constant(Value::List(position.iter().map(|&x| x.into()).collect())))?;
    particle.set_property("z", Rule::constant(0.0))?;
    particle.set_property("intensity", Rule::constant(intensity))?;
    let microscope = Feature::microscope(optics, &particle)?;
    let images = microscope.resolve(None)?;
    let mut sum = 0.0;
    for image in &images {
        sum += image.contiguous()?.iter().sum::<f64>();
    }
    Ok(sum)
}
