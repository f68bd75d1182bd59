//! C ABI for DeepTrack2's `holography` functions (its features are kinds: `deeptrack_feature_new`).

use libc::size_t;

use super::image::{deeptrack_image, image_into_c};
use super::{check_out, deeptrack_status, guard};
use crate::features::holography::propagation_matrix;

/// DeepTrack2's `holography.get_propagation_matrix(shape=(rows, cols), to_z, pixel_size, wavelength,
/// dx, dy)`: the angular-spectrum transfer function of a `rows × cols` field over `to_z`, shifted
/// laterally by `dx` (along columns) and `dy` (along rows), in FFT order (lengths in one unit, e.g.
/// meters): `C·exp(i·k·(to_z·(K − 1) − dx·kx/k − dy·ky/k))` with `k = 2π/wavelength`,
/// `K = Re √(1 − (kx/k)² − (ky/k)²)` and `C` one for propagating frequencies, zero else. On success
/// `*out` receives a new complex image of shape `(rows, cols, 2)` (real and imaginary parts; see
/// `deeptrack_image_is_complex`), owned by the caller (free it with `deeptrack_image_free`).
///
/// Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT` (`out`); `DEEPTRACK_STATUS_INVALID_ARGUMENT` when
/// `pixel_size` or `wavelength` is not positive and finite, or `to_z`, `dx` or `dy` is not finite
/// (the message names the argument); `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the matrix cannot be
/// allocated.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_holography_propagation_matrix(
    rows: size_t,
    cols: size_t,
    to_z: f64,
    pixel_size: f64,
    wavelength: f64,
    dx: f64,
    dy: f64,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let img = propagation_matrix([rows, cols], to_z, pixel_size, wavelength, dx, dy)?;
        // SAFETY: checked non-NULL; the caller's contract makes it writable.
        unsafe { *out = image_into_c(img) };
        Ok(())
    })
}
