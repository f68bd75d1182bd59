//! The centre of radial symmetry of a 2-D intensity distribution (Parthasarathy, "Rapid, accurate
//! particle tracking by calculation of radial symmetry centers", Nature Methods 9, 2012): DeepTrack2's
//! `deeptrack.extras.radialcenter`.
//!
//! Through the midpoint of every 2×2 block of pixels passes a line along the block's intensity
//! gradient (measured along the two diagonals, then smoothed by a 3×3 mean with zeros outside). The
//! centre is the point that minimises the weighted sum of its squared distances to those lines; each
//! line weighs its squared gradient magnitude over its distance to the gradient-weighted centroid. The
//! least-squares problem is 2×2 and solved in closed form. As DeepTrack2: a slope 0/0 counts as 0, an
//! infinite slope as 10⁶, and the result is in pixels from the top-left pixel's centre (x along a
//! row, y down the rows); a flat image (no gradient anywhere) has no centre and gives NaN.

use crate::buffer::zeroed;
use crate::error::{Error, Result};

/// The slope an infinite (vertical) gradient line is given, as DeepTrack2.
const VERTICAL_SLOPE: f64 = 1_000_000.0;

/// The centre `(x, y)` of radial symmetry of the `rows × cols` image `data` (row-major): `x` is the
/// column coordinate and `y` the row coordinate, both in pixels from the centre of pixel (0, 0).
///
/// Errors: `data` not of `rows * cols` values, or fewer than 2 rows or 2 columns (the gradient needs a
/// 2×2 block); `OutOfMemory` when the four work arrays of `(rows - 1) * (cols - 1)` values cannot be
/// allocated.
pub fn radial_center(data: &[f64], rows: usize, cols: usize) -> Result<(f64, f64)> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(Error::invalid(format!(
            "radialcenter: {} values for an image of {rows}×{cols} pixels",
            data.len()
        )));
    }
    if rows < 2 || cols < 2 {
        return Err(Error::invalid(format!(
            "radialcenter: the image is {rows}×{cols} pixels; it needs at least 2 rows and 2 columns"
        )));
    }
    let (ny, nx) = (rows - 1, cols - 1);
    let n = ny * nx;
    let mut du = zeroed(n)?;
    let mut dv = zeroed(n)?;
    for i in 0..ny {
        let top = &data[i * cols..(i + 1) * cols];
        let bottom = &data[(i + 1) * cols..(i + 2) * cols];
        for j in 0..nx {
            // The derivatives along the two diagonals of the block (u: up-right, v: down-right).
            du[i * nx + j] = top[j + 1] - bottom[j];
            dv[i * nx + j] = top[j] - bottom[j + 1];
        }
    }
    let fdu = box_mean(&du, ny, nx)?;
    let fdv = box_mean(&dv, ny, nx)?;
    drop((du, dv));

    // Midpoint coordinates relative to the image centre: x = j - (nx - 1) / 2, y likewise.
    let xm = |j: usize| j as f64 - (nx as f64 - 1.0) / 2.0;
    let ym = |i: usize| i as f64 - (ny as f64 - 1.0) / 2.0;

    let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for i in 0..ny {
        for j in 0..nx {
            let k = i * nx + j;
            let g2 = fdu[k] * fdu[k] + fdv[k] * fdv[k];
            s += g2;
            sx += g2 * xm(j);
            sy += g2 * ym(i);
        }
    }
    let (xcentroid, ycentroid) = (sx / s, sy / s);

    let (mut sw, mut smmw, mut smw, mut smbw, mut sbw) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..ny {
        let y = ym(i);
        for j in 0..nx {
            let k = i * nx + j;
            let x = xm(j);
            let (u, v) = (fdu[k], fdv[k]);
            // The gradient's slope in x-y (a 45° rotation of u-v; y grows downwards).
            let mut m = -(v + u) / (u - v);
            if m.is_nan() {
                m = 0.0;
            } else if m.is_infinite() {
                m = VERTICAL_SLOPE;
            }
            let b = y - m * x;
            let g2 = u * u + v * v;
            let w = g2 / ((x - xcentroid) * (x - xcentroid) + (y - ycentroid) * (y - ycentroid)).sqrt();
            let wm = w / (m * m + 1.0);
            let mw = m * wm;
            sw += wm;
            smw += mw;
            smmw += m * mw;
            smbw += b * mw;
            sbw += b * wm;
        }
    }
    let det = smw * smw - smmw * sw;
    let xc = (smbw * sw - smw * sbw) / det;
    let yc = (smbw * smw - smmw * sbw) / det;
    Ok((xc + (cols as f64 + 1.0) / 2.0 - 1.0, yc + (rows as f64 + 1.0) / 2.0 - 1.0))
}

/// The 3×3 mean of `a` (`rows × cols`, row-major) with zeros outside: scipy's
/// `convolve2d(a, ones((3, 3)) / 9, "same")`.
fn box_mean(a: &[f64], rows: usize, cols: usize) -> Result<Vec<f64>> {
    // Sums along rows first, then along columns.
    let mut h = zeroed(a.len())?;
    for i in 0..rows {
        let row = &a[i * cols..(i + 1) * cols];
        for j in 0..cols {
            let mut t = row[j];
            if j > 0 {
                t += row[j - 1];
            }
            if j + 1 < cols {
                t += row[j + 1];
            }
            h[i * cols + j] = t;
        }
    }
    let mut out = zeroed(a.len())?;
    for i in 0..rows {
        for j in 0..cols {
            let mut t = h[i * cols + j];
            if i > 0 {
                t += h[(i - 1) * cols + j];
            }
            if i + 1 < rows {
                t += h[(i + 1) * cols + j];
            }
            out[i * cols + j] = t / 9.0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Gaussian spot centred at (x0, y0) on a `rows × cols` grid.
    fn spot(rows: usize, cols: usize, x0: f64, y0: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                let (dx, dy) = (j as f64 - x0, i as f64 - y0);
                out.push((-(dx * dx + dy * dy) / 18.0).exp());
            }
        }
        out
    }

    #[test]
    fn finds_the_centre_of_a_symmetric_spot() {
        let (x, y) = radial_center(&spot(41, 60, 27.25, 13.5), 41, 60).unwrap();
        assert!((x - 27.25).abs() < 0.02, "{x}");
        assert!((y - 13.5).abs() < 0.02, "{y}");
    }

    #[test]
    fn rejects_images_without_a_block() {
        let err = radial_center(&[1.0, 2.0, 3.0], 1, 3).unwrap_err();
        assert!(err.to_string().contains("needs at least 2 rows and 2 columns"), "{err}");
        let err = radial_center(&[1.0, 2.0, 3.0], 2, 2).unwrap_err();
        assert!(err.to_string().contains("3 values for an image of 2×2 pixels"), "{err}");
    }

    #[test]
    fn a_flat_image_has_no_centre() {
        let (x, y) = radial_center(&[1.0; 16], 4, 4).unwrap();
        assert!(x.is_nan() && y.is_nan());
    }
}
