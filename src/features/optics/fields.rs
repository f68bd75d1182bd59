//! Field scatterers in the optics: the spectra that `MieSphere`-like scatterers append to the sample
//! (complex images of the FFT grid's shape) are summed and added to the brightfield spectrum at the
//! focal plane, after the propagation back from the sample and before the in-focus pupil
//! (DeepTrack2 2.0.1's `Brightfield.get`: `light_in_focus += sum(fields)`).

use rustfft::num_complex::Complex64;

use super::Params;
use crate::error::{Error, Result};
use crate::fft;
use crate::image::Image;

/// The sum of the field images' spectra on the grid (row-major), or `None` without any.
pub(super) fn sum(fields: &[Image], p: &Params) -> Result<Option<Vec<Complex64>>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let [n0, n1] = p.grid;
    let mut total = fft::zeros(n0 * n1)?;
    for (index, f) in fields.iter().enumerate() {
        let shape = f.shape();
        if shape.len() != 4 || shape[0] != n0 || shape[1] != n1 || shape[2] != 1 {
            return Err(Error::invalid(format!(
                "field {index} of the sample has shape {:?}; the optics add fields of the FFT grid's shape [{n0}, {n1}, \
                 1] (complex)",
                &shape[..shape.len().saturating_sub(1)]
            )));
        }
        for (t, v) in total.iter_mut().zip(f.contiguous()?.chunks_exact(2)) {
            *t += Complex64::new(v[0], v[1]);
        }
    }
    Ok(Some(total))
}

/// Adds `field` (the grid's spectrum, `grid` rows × columns) to `light` on the band (`us` × `vs`)
/// where the pupil lets light through (elsewhere the in-focus pupil zeroes it anyway).
pub(super) fn add_on_band(
    light: &mut [Complex64],
    field: &[Complex64],
    grid: [usize; 2],
    us: &[usize],
    vs: &[usize],
    support: &[bool],
) {
    let nv = vs.len();
    for (a, &u) in us.iter().enumerate() {
        for (b, &v) in vs.iter().enumerate() {
            if support[a * nv + b] {
                light[a * nv + b] += field[u * grid[1] + v];
            }
        }
    }
}
