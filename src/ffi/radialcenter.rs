//! C ABI for DeepTrack2's `deeptrack.extras.radialcenter` (`crate::radialcenter`): the centre of
//! radial symmetry of an image. The image is read from the caller's buffer and the two coordinates
//! written to the caller's doubles; nothing is allocated for the caller.

use libc::size_t;

use super::{check_out, deeptrack_status, guard, slice_arg};
use crate::radialcenter::radial_center;

/// Computes the centre of radial symmetry of the `rows × cols` image `data` (doubles, row-major) by
/// Parthasarathy's least-squares method, as DeepTrack2's `radialcenter`: `*x` receives the column
/// coordinate and `*y` the row coordinate, in pixels from the centre of the first pixel. Both are
/// written on success only (NaN for an image without any gradient).
///
/// Returns `NULL_ARGUMENT` (`data` when the image is not empty, `x`, `y`), `INVALID_ARGUMENT`
/// (fewer than 2 rows or 2 columns, or a misaligned `data`), `OUT_OF_MEMORY` (the work arrays,
/// four of `(rows - 1) × (cols - 1)` doubles) or `OK`. The work is proportional to the pixel count.
///
/// # Safety
/// `data` must point to `rows × cols` readable doubles; `x` and `y` to one writable double each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_radial_center(
    data: *const f64,
    rows: size_t,
    cols: size_t,
    x: *mut f64,
    y: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(x, "x")?;
        check_out(y, "y")?;
        let len = rows.checked_mul(cols).ok_or_else(|| {
            crate::error::Error::invalid(format!("radialcenter: an image of {rows}×{cols} pixels cannot be a buffer"))
        })?;
        // SAFETY: forwarded contract (rows × cols doubles).
        let data = unsafe { slice_arg(data, len, "data")? };
        let (cx, cy) = radial_center(data, rows, cols)?;
        // SAFETY: both checked non-null; the caller's contract gives one writable double each.
        unsafe {
            *x = cx;
            *y = cy;
        }
        Ok(())
    })
}
