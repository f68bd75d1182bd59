//! C ABI of the camera's helper (`crate::features::camera::photons_per_unit`): the `photons_per_unit`
//! of a `Camera` from a fluorophore's photon budget and the optics in front of it. The optics are
//! borrowed (a copy is resolved); the factor is written to the caller's double.

use super::feature::deeptrack_feature;
use super::{borrow, check_out, deeptrack_status, guard};
use crate::features::camera::photons_per_unit;

/// Computes the `photons_per_unit` of a `Camera` placed after `optics` such that a point particle of
/// `intensity` 1 at the centre of the optics' output region delivers `photons` photons in total onto
/// the sensor in an exposure of `exposure_time` seconds (give the camera the same `exposure_time`).
/// The optics' image of one such particle is rendered once (twice: intensity 1 and 2) on a copy of
/// `optics`, which is not touched. `*out` is written on success only.
///
/// Returns `NULL_ARGUMENT` (`optics`, `out`), `INVALID_HANDLE`, `INVALID_ARGUMENT` (`photons`
/// negative or not finite, `exposure_time` not above 0 and finite, an `output_region` that is not 4
/// finite numbers, optics whose image is not proportional to the particle's intensity, such as
/// brightfield, or no light on the sensor; the message says which) or any error of resolving the
/// optics, or `OK`.
///
/// # Safety
/// `optics` must be NULL or a live feature; `out` NULL or one writable double.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_camera_photons_per_unit(
    optics: *const deeptrack_feature,
    photons: f64,
    exposure_time: f64,
    out: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract (NULL or a live feature; the handle's tag is checked).
        let optics = unsafe { borrow(optics, "optics")? };
        let factor = photons_per_unit(optics, photons, exposure_time)?;
        // SAFETY: checked non-null; the caller's contract gives one writable double.
        unsafe { *out = factor };
        Ok(())
    })
}
