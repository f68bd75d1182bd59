//! `Fluorescence.get`: each non-empty plane convolved (circularly, on the FFT grid) with the intensity
//! point-spread function `|ifft2(pupil defocused to the plane's z)|²`, summed.
//!
//! The planes' spectra times their OTFs (cached per z-plane between resolves) are summed in Fourier
//! space and transformed back once. The planes and the image being real, only half of each spectrum
//! is computed, and only on the OTFs' band (see [`OtfBand`]): the columns of the half spectrum where
//! an OTF can be non-zero, and of those, its rows. A plane's rows are drawn straight from the placed
//! scatterers that reach them, and its empty rows are skipped.

use crate::sync::Lock;
use std::ops::Range;

use rustfft::num_complex::Complex64;

use super::Params;
use super::pupil::{OtfBand, OtfCache};
use super::volume::Volume;
use crate::error::Result;
use crate::fft::{self, RealFft2};

/// Passes each window row `r` in `rows` of the fluorescence image of `volume` to `row(r, values)`
/// (values beyond the window's columns are to be ignored); nothing is passed for an empty sample
/// (the image is zero).
pub(super) fn fluorescence_rows(
    volume: &Volume,
    p: &Params,
    otfs: &Lock<OtfCache>,
    rows: Range<usize>,
    row: impl FnMut(usize, &[f64]),
) -> Result<()> {
    if volume.by_plane.is_empty() {
        return Ok(());
    }
    let [n0, n1] = p.grid;
    let band = OtfCache::otf_band(otfs, p);
    fft::with_real_fft2(n0, n1, |real| sum(volume, p, otfs, &band, real, rows, row))?
}

/// The body of [`fluorescence_rows`], with the calling thread's real transform of the grid.
#[allow(clippy::too_many_arguments)]
fn sum(
    volume: &Volume,
    p: &Params,
    otfs: &Lock<OtfCache>,
    band: &OtfBand,
    real: &mut RealFft2,
    rows: Range<usize>,
    out: impl FnMut(usize, &[f64]),
) -> Result<()> {
    let n0 = p.grid[0];
    let len = band.cols * n0;
    // The spectra live in the thread's transform between images (no allocation per image).
    let (mut total, mut spectrum) = real.take_work()?;
    let (sum, plane_spectrum) = (&mut total[..len], &mut spectrum[..len]);
    sum.fill(Complex64::new(0.0, 0.0));
    for (plane, items) in &volume.by_plane {
        // The window rows the plane's items reach.
        let reach = items.iter().map(|&(item, k)| volume.rows(item, k)).filter(|r| !r.is_empty());
        let (lo, hi) = reach.fold((usize::MAX, 0), |(lo, hi), r| (lo.min(r.start), hi.max(r.end)));
        if lo >= hi {
            continue;
        }
        let mut any = false;
        real.forward(
            lo..hi,
            |r, row| {
                let (mut c0, mut c1) = (usize::MAX, 0);
                for &(item, k) in items {
                    if volume.rows(item, k).contains(&r) {
                        let cols = volume.add_row(item, k, r, row, 0);
                        (c0, c1) = (c0.min(cols.start), c1.max(cols.end));
                    }
                }
                let nonzero = c0 < c1 && row[c0..c1].iter().any(|&v| v != 0.0);
                any |= nonzero;
                nonzero
            },
            plane_spectrum,
            band.cols,
        );
        if !any {
            continue;
        }
        let otf = OtfCache::get(otfs, p, band, volume.z0 + *plane as i64)?;
        for (v, column) in otf.chunks_exact(band.len.max(1)).take(band.cols).enumerate() {
            let mut otf_rows = column.iter();
            for range in &band.rows {
                let (s, f) =
                    (&mut sum[v * n0 + range.start..v * n0 + range.end], &plane_spectrum[v * n0 + range.start..]);
                for ((s, f), o) in s.iter_mut().zip(f).zip(otf_rows.by_ref()) {
                    *s += f * o;
                }
            }
        }
    }
    real.inverse(sum, band.cols, rows, out);
    real.put_work(total, spectrum);
    Ok(())
}
