//! `Brightfield.get`: a unit plane wave propagated through the sample one z-pixel at a time (every
//! plane, empty ones included), refracted by `exp(i·Δn·voxel_z·2π·n_medium/λ)` in each non-empty
//! plane, propagated back to the focal plane and filtered by the pupil.
//!
//! DeepTrack2 transforms the whole grid twice per plane. Every propagation step multiplies the
//! spectrum by the pupil, so the spectrum lives on the pupil's band (a few percent of the grid at
//! usual NA and voxel sizes), and refraction changes the field only where the plane is non-zero:
//! with `T = 1 + M`, `fft2(ifft2(L)·T) = L + fft2(ifft2(L)·M)`, and `M` is zero outside the
//! scatterers. So the spectrum is kept on the band only, and each plane adds `fft2(ifft2(L)·M)`
//! for the groups of overlapping scatterers (disjoint boxes, so that `M` is the sum of its parts),
//! by the cheapest of: sums directly between the band and the boxes (matrix products, or transforms
//! of the band's rows and columns for the part shared by all boxes); transforms of the band's lines
//! and the boxes' lines only (large boxes); the two full-grid transforms. The same numbers as
//! DeepTrack2's, up to rounding.

use crate::sync::Lock;
use std::ops::Range;
use std::sync::Arc;

use rustfft::Fft;
use rustfft::num_complex::Complex64;

use super::Params;
use super::pupil::{Band, OtfCache};
use super::volume::Volume;
use crate::error::{Error, ErrorKind, Result};
use crate::fft::{self, Fft2, Mat};

/// How [`brightfield`] refracts a plane.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Route {
    /// Whichever costs fewer operations.
    Cheapest,
    /// Always full-grid transforms (DeepTrack2's way; tests compare the routes).
    #[cfg_attr(not(test), allow(dead_code))]
    FullGrid,
    /// Always between the band and the boxes, through matrix products.
    #[cfg_attr(not(test), allow(dead_code))]
    Products,
    /// Always between the band and the boxes, through transforms of the band's rows and columns.
    #[cfg_attr(not(test), allow(dead_code))]
    Transforms,
    /// Always through transforms of the band's rows and columns and of the boxes' columns and rows.
    #[cfg_attr(not(test), allow(dead_code))]
    Lines,
    /// Each of the others in turn, plane by plane (the routes must hand the spectrum over as they take
    /// it).
    #[cfg_attr(not(test), allow(dead_code))]
    Alternating,
}

/// Computes the field on the window's rows `rows` and columns `cols`, passing each row `y` to
/// `row(y, field)` (`field[x - cols.start]`) in turn.
pub(super) fn brightfield(
    volume: &Volume,
    p: &Params,
    cache: &Lock<OtfCache>,
    route: Route,
    [rows, cols]: [Range<usize>; 2],
    row: impl FnMut(usize, &[Complex64]),
) -> Result<()> {
    let [n0, n1] = p.grid;
    let band = OtfCache::band(cache, p)?;
    let (us, vs) = (&band.us[..], &band.vs[..]);
    let nv = vs.len();
    // fft2 of the unit illumination: all of it at DC (outside the band, the first step removes it).
    let mut light = fft::zeros(us.len() * nv)?;
    if let (Some(a), Some(b)) = (us.iter().position(|&u| u == 0), vs.iter().position(|&v| v == 0)) {
        light[a * nv + b] = Complex64::new((n0 * n1) as f64, 0.0);
    }
    let mut refract = Refraction { band: &band, grid: p.grid, full: None, lines: None, work: Work::default() };
    let mut planes = volume.by_plane.iter().peekable();
    for plane_index in 0..volume.planes {
        // One z-pixel on (the spectrum is zero off the pupil's strips).
        for (r, c) in &band.strips {
            for a in r.clone() {
                let at = a * nv + c.start..a * nv + c.end;
                for (l, s) in light[at.clone()].iter_mut().zip(&band.step[at]) {
                    *l *= s;
                }
            }
        }
        let Some((_, items)) = planes.next_if(|(plane, _)| *plane == plane_index) else { continue };
        let groups = groups(volume, items, p.phase_per_voxel())?;
        let route = match route {
            Route::Alternating => [Route::Products, Route::FullGrid, Route::Transforms, Route::Lines][plane_index % 4],
            other => other,
        };
        refract.plane(&mut light, &groups, route)?;
    }
    // Back to the focal plane, through the pupil (the in-focus pupil is 1 inside, 0 outside).
    let back = OtfCache::back(cache, p, &band, volume.z0 + volume.planes as i64)?;
    for ((l, b), &inside) in light.iter_mut().zip(back.iter()).zip(&band.pupil.support) {
        *l = if inside { *l * b } else { Complex64::new(0.0, 0.0) };
    }
    fft::inverse_band(p.grid, us, vs, &light, rows, cols, row)
}

/// A box of the window (rows `r0..r0 + nr`, columns `c0..c0 + nc`) and `exp(iφ) − 1` on it,
/// row-major.
pub(super) struct Group {
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
    factor: Vec<Complex64>,
}

/// The scatterers in a box: (item, its plane index), in sample order once sorted.
type Members = Vec<(usize, usize)>;

/// How many boxes a plane is split into at most; beyond, its scatterers make one box.
const MAX_GROUPS: usize = 64;

/// The plane's scatterers (`items`: item and its plane index), as disjoint boxes that each hold
/// whole scatterers, with `exp(i·phase·Δn) − 1` on the smallest box around each one's non-zero
/// values (`Δn` summed over the scatterers in sample order, as DeepTrack2 adds them).
fn groups(volume: &Volume, items: &[(usize, usize)], phase: f64) -> Result<Vec<Group>> {
    // Boxes [r0, r1, c0, c1] with their members, merged until no two overlap.
    let mut boxes: Vec<([usize; 4], Members)> = Vec::new();
    for &(item, k) in items {
        let b = volume.item_box(item, k);
        if b[0] >= b[1] {
            continue;
        }
        boxes.push((b, vec![(item, k)]));
    }
    if boxes.len() > MAX_GROUPS {
        let all = boxes.drain(..).fold(([usize::MAX, 0, usize::MAX, 0], Vec::new()), |(u, mut m), (b, mut members)| {
            m.append(&mut members);
            ([u[0].min(b[0]), u[1].max(b[1]), u[2].min(b[2]), u[3].max(b[3])], m)
        });
        boxes.push(all);
    }
    let overlap = |a: &[usize; 4], b: &[usize; 4]| a[0] < b[1] && b[0] < a[1] && a[2] < b[3] && b[2] < a[3];
    loop {
        let pair = (0..boxes.len())
            .flat_map(|a| (a + 1..boxes.len()).map(move |b| (a, b)))
            .find(|&(a, b)| overlap(&boxes[a].0, &boxes[b].0));
        let Some((a, b)) = pair else { break };
        let (bb, mut members) = boxes.swap_remove(b);
        let ba = &mut boxes[a];
        ba.0 = [ba.0[0].min(bb[0]), ba.0[1].max(bb[1]), ba.0[2].min(bb[2]), ba.0[3].max(bb[3])];
        ba.1.append(&mut members);
    }
    let mut out = Vec::new();
    for ([r0, r1, c0, c1], mut members) in boxes {
        members.sort_unstable();
        let (h, w) = (r1 - r0, c1 - c0);
        let mut dn = Vec::new();
        dn.try_reserve_exact(h * w).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate a plane"))?;
        dn.resize(h * w, 0.0);
        for &(item, k) in &members {
            for r in volume.rows(item, k) {
                volume.add_row(item, k, r, &mut dn[(r - r0) * w..][..w], c0);
            }
        }
        // The smallest box holding every non-zero value.
        let (mut t, mut b, mut l, mut rt) = (usize::MAX, 0, usize::MAX, 0);
        for (y, row) in dn.chunks_exact(w).enumerate() {
            if let (Some(first), Some(last)) = (row.iter().position(|&v| v != 0.0), row.iter().rposition(|&v| v != 0.0))
            {
                (t, b, l, rt) = (t.min(y), b.max(y + 1), l.min(first), rt.max(last + 1));
            }
        }
        if t >= b {
            continue;
        }
        let (nr, nc) = (b - t, rt - l);
        // `exp(iφ) − 1` on the box, without cancellation for small φ: `−2 sin²(φ/2) + 2i sin(φ/2) cos(φ/2)`.
        // Inside a scatterer Δn repeats: the last value's factor is kept.
        let mut factor = fft::zeros(nr * nc)?;
        let mut last = (0.0f64, Complex64::new(0.0, 0.0));
        for (y, row) in factor.chunks_exact_mut(nc).enumerate() {
            for (x, f) in row.iter_mut().enumerate() {
                let dn = dn[(t + y) * w + l + x];
                if dn != 0.0 {
                    if dn.to_bits() != last.0.to_bits() {
                        let (sin, cos) = (dn * phase / 2.0).sin_cos();
                        last = (dn, Complex64::new(-2.0 * sin * sin, 2.0 * sin * cos));
                    }
                    *f = last.1;
                }
            }
        }
        out.push(Group { r0: r0 + t, c0: c0 + l, nr, nc, factor });
    }
    Ok(out)
}

/// Refracts a band-limited spectrum through planes (see the module's documentation); keeps the work
/// buffers and the transforms between planes.
struct Refraction<'a> {
    band: &'a Band,
    grid: [usize; 2],
    full: Option<(Fft2, Vec<Complex64>)>,
    /// The inverse transform of the grid's rows and the forward one of its columns.
    lines: Option<[Arc<dyn Fft<f64>>; 2]>,
    work: Work,
}

/// The matrices of [`Refraction::direct`], reused from plane to plane.
#[derive(Default)]
struct Work {
    w0c: Vec<Complex64>,
    w1: Vec<Complex64>,
    h: Vec<Complex64>,
    f: Vec<Complex64>,
    e: Vec<Complex64>,
    lines: Vec<Complex64>,
    columns: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

/// How many indices the ranges cover together.
fn union(ranges: impl Iterator<Item = Range<usize>>) -> usize {
    let mut ranges: Vec<Range<usize>> = ranges.collect();
    ranges.sort_unstable_by_key(|r| r.start);
    let (mut count, mut end) = (0, 0);
    for r in ranges {
        let start = r.start.max(end);
        if r.end > start {
            count += r.end - start;
            end = r.end;
        }
    }
    count
}

/// Resizes `v` to `n` elements (contents unspecified), or reports the allocation failure.
fn sized(v: &mut Vec<Complex64>, n: usize) -> Result<()> {
    if n > v.len() {
        v.try_reserve_exact(n - v.len())
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} complex numbers")))?;
    }
    v.resize(n, Complex64::new(0.0, 0.0));
    Ok(())
}

impl Refraction<'_> {
    /// `light ← fft2(ifft2(light) · (1 + M))` on the band, `M` being the groups' factors, by the
    /// cheapest route.
    fn plane(&mut self, light: &mut [Complex64], groups: &[Group], route: Route) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let [n0, n1] = self.grid;
        let (nu, nv) = (self.band.us.len(), self.band.vs.len());
        // Estimated costs, a complex multiply-add of a product counting 5 and a transform of n points
        // 3·n·log2(n) (as measured on AVX-512 and AVX2 machines): the sums between the band and the
        // boxes' columns, then rows, as products or as transforms of the band's lines; the boxes'
        // own sums, as products or as transforms of their columns and rows; two full-grid transforms.
        let fft = |n: usize| 3 * n * (usize::BITS - n.leading_zeros()) as usize;
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let disc: usize = self.band.strips.iter().map(|(r, c)| r.len() * c.len()).sum();
        let by_products = [5 * disc * cols, 5 * disc * rows];
        let by_transforms = [nu * fft(n1), nv * fft(n0)];
        let boxes: usize = 5 * groups.iter().map(|g| g.nr * g.nc * (nu + nv)).sum::<usize>();
        let (union_rows, union_cols) =
            (union(groups.iter().map(|g| g.r0..g.r0 + g.nr)), union(groups.iter().map(|g| g.c0..g.c0 + g.nc)));
        let lines = by_transforms[0] + by_transforms[1] + union_cols * fft(n0) + union_rows * fft(n1);
        let full = 2 * (n0 * fft(n1) + n1 * fft(n0));
        let transform = [0, 1].map(|i| match route {
            Route::Transforms => true,
            Route::Products => false,
            _ => by_transforms[i] < by_products[i],
        });
        let direct =
            boxes + (0..2).map(|i| if transform[i] { by_transforms[i] } else { by_products[i] }).sum::<usize>();
        match route {
            Route::FullGrid => self.full_grid(light, groups),
            Route::Lines => self.lines(light, groups),
            Route::Products | Route::Transforms => self.direct(light, groups, transform),
            _ if full <= direct.min(lines) => self.full_grid(light, groups),
            _ if lines < direct => self.lines(light, groups),
            _ => self.direct(light, groups, transform),
        }
    }

    /// The plane's change of the spectrum through transforms of lines only: the band's rows
    /// (inverse) give the field along every grid column at the band's rows; the boxes' columns
    /// (inverse) give it on the boxes; the boxes' rows of `f·M` (forward) give their spectra along
    /// the band's columns, at the boxes' rows; the band's columns (forward) give the change of `L`.
    /// Half or less of two full-grid transforms, for boxes too large for products.
    fn lines(&mut self, light: &mut [Complex64], groups: &[Group]) -> Result<()> {
        let [n0, n1] = self.grid;
        let band = self.band;
        let (us, vs) = (&band.us[..], &band.vs[..]);
        let (nu, nv) = (us.len(), vs.len());
        let plans = {
            let mut guard = fft::planner();
            let p = guard.get_or_insert_with(rustfft::FftPlanner::new);
            [p.plan_fft_inverse(n1), p.plan_fft_inverse(n0), p.plan_fft_forward(n1), p.plan_fft_forward(n0)]
        };
        let scratch_len = plans.iter().map(|f| f.get_inplace_scratch_len()).max().unwrap_or(0);
        let w = &mut self.work;
        sized(&mut w.scratch, scratch_len)?;
        // The band's rows, transformed along the grid's rows.
        sized(&mut w.lines, nu * n1)?;
        w.lines.fill(Complex64::new(0.0, 0.0));
        for (r, c) in &band.strips {
            for a in r.clone() {
                for b in c.clone() {
                    w.lines[a * n1 + vs[b]] = light[a * nv + b];
                }
            }
        }
        plans[0].process_with_scratch(&mut w.lines, &mut w.scratch);
        // The boxes' columns: index of each grid column among them.
        let mut index = vec![usize::MAX; n1.max(n0)];
        let mut count = 0;
        for g in groups {
            for slot in &mut index[g.c0..g.c0 + g.nc] {
                if *slot == usize::MAX {
                    *slot = count;
                    count += 1;
                }
            }
        }
        sized(&mut w.h, count * n0)?;
        w.h.fill(Complex64::new(0.0, 0.0));
        for (a, line) in w.lines.chunks_exact(n1).enumerate() {
            for (c, v) in line.iter().enumerate() {
                if index[c] != usize::MAX {
                    w.h[index[c] * n0 + us[a]] = *v;
                }
            }
        }
        plans[1].process_with_scratch(&mut w.h, &mut w.scratch);
        let column_of = index.clone();
        // The boxes' rows of f·M (added where boxes share rows).
        index.iter_mut().for_each(|i| *i = usize::MAX);
        let mut count = 0;
        for g in groups {
            for slot in &mut index[g.r0..g.r0 + g.nr] {
                if *slot == usize::MAX {
                    *slot = count;
                    count += 1;
                }
            }
        }
        let row_of = index;
        sized(&mut w.e, count * n1)?;
        w.e.fill(Complex64::new(0.0, 0.0));
        let scale = 1.0 / (n0 * n1) as f64;
        for g in groups {
            for y in 0..g.nr {
                let row = &mut w.e[row_of[g.r0 + y] * n1..][..n1];
                for x in 0..g.nc {
                    let m = g.factor[y * g.nc + x];
                    if m != Complex64::new(0.0, 0.0) {
                        row[g.c0 + x] += w.h[column_of[g.c0 + x] * n0 + g.r0 + y] * scale * m;
                    }
                }
            }
        }
        plans[2].process_with_scratch(&mut w.e, &mut w.scratch);
        // Their spectra along the band's columns, at their grid rows; transformed along the columns.
        sized(&mut w.columns, nv * n0)?;
        w.columns.fill(Complex64::new(0.0, 0.0));
        for (r, &i) in row_of.iter().enumerate().take(n0) {
            if i != usize::MAX {
                let row = &w.e[i * n1..][..n1];
                for (b, &v) in vs.iter().enumerate() {
                    w.columns[b * n0 + r] = row[v];
                }
            }
        }
        plans[3].process_with_scratch(&mut w.columns, &mut w.scratch);
        for (r, c) in &band.strips {
            for b in c.clone() {
                let column = &w.columns[b * n0..][..n0];
                for a in r.clone() {
                    light[a * nv + b] += column[us[a]];
                }
            }
        }
        Ok(())
    }

    /// The plane's change of the spectrum between the band and the boxes: with `W0` (box rows ×
    /// band rows) and `W1` (band columns × box columns) the inverse DFT's factors (the band's tables,
    /// see [`Band`]), `f = W0 · (L · W1) / n` is `ifft2(L)` on a box, and `L += W0ᴴ · ((f·M) · W1ᴴ)`.
    /// The boxes are stacked: `L · W1` for all their columns at once, as a product on the pupil's
    /// strips or by transforming each band row (`transform[0]`), and `W0ᴴ · e` for all their rows at
    /// once, as a product or by transforming each band column (`transform[1]`). `L` is read and
    /// written on the pupil's strips only (it is zero elsewhere, and the next step or the final pupil
    /// zeroes whatever lands there).
    fn direct(&mut self, light: &mut [Complex64], groups: &[Group], transform: [bool; 2]) -> Result<()> {
        let [n0, n1] = self.grid;
        let band = self.band;
        let (us, vs) = (&band.us[..], &band.vs[..]);
        let (nu, nv) = (us.len(), vs.len());
        if self.lines.is_none() && (transform[0] || transform[1]) {
            let mut guard = fft::planner();
            let p = guard.get_or_insert_with(rustfft::FftPlanner::new);
            self.lines = Some([p.plan_fft_inverse(n1), p.plan_fft_forward(n0)]);
        }
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let w = &mut self.work;
        // h = L · W1: the band rows' inverse DFT at the boxes' columns, as a view `(data, row stride,
        // where each box's columns start)`.
        let (h, h_stride, starts): (&[Complex64], usize, Vec<usize>) = if transform[0] {
            // Each band row spread over its grid row and transformed.
            let inverse = &self.lines.as_ref().expect("planned above")[0];
            sized(&mut w.lines, nu * n1)?;
            w.lines.fill(Complex64::new(0.0, 0.0));
            for (r, c) in &band.strips {
                for a in r.clone() {
                    for b in c.clone() {
                        w.lines[a * n1 + vs[b]] = light[a * nv + b];
                    }
                }
            }
            sized(&mut w.scratch, inverse.get_inplace_scratch_len())?;
            inverse.process_with_scratch(&mut w.lines, &mut w.scratch);
            (&w.lines, n1, groups.iter().map(|g| g.c0).collect())
        } else {
            // Stacked box columns of W1, then one product per strip.
            sized(&mut w.w1, nv * cols)?;
            let mut x0 = 0;
            for g in groups {
                for b in 0..nv {
                    w.w1[b * cols + x0..][..g.nc].copy_from_slice(&band.w1[b * n1 + g.c0..][..g.nc]);
                }
                x0 += g.nc;
            }
            sized(&mut w.h, nu * cols)?;
            w.h.fill(Complex64::new(0.0, 0.0));
            for (r, c) in &band.strips {
                let (a, b) =
                    (Mat::rows(&light[r.start * nv + c.start..], nv), Mat::rows(&w.w1[c.start * cols..], cols));
                fft::gemm([r.len(), c.len(), cols], 1.0, a, b, 0.0, &mut w.h[r.start * cols..], cols);
            }
            let starts = groups.iter().scan(0, |x0, g| Some(std::mem::replace(x0, *x0 + g.nc))).collect();
            (&w.h, cols, starts)
        };
        // Per box: f = W0 · h / n on the box, times M; then e = f · W1ᴴ, either into the band
        // columns' lines at the box's grid rows (added where boxes share rows) or stacked.
        let columns = &mut w.columns;
        if transform[1] {
            sized(columns, nv * n0)?;
            columns.fill(Complex64::new(0.0, 0.0));
        } else {
            sized(&mut w.e, rows * nv)?;
        }
        let scale = 1.0 / (n0 * n1) as f64;
        let mut y0 = 0;
        for (g, &x0) in groups.iter().zip(&starts) {
            let (nr, nc) = (g.nr, g.nc);
            sized(&mut w.f, nr * nc)?;
            let (w0, hg) = (Mat::rows(&band.w0[g.r0 * nu..], nu), Mat::rows(&h[x0..], h_stride));
            fft::gemm([nr, nu, nc], scale, w0, hg, 0.0, &mut w.f, nc);
            for (v, m) in w.f.iter_mut().zip(&g.factor) {
                *v *= m;
            }
            let w1c = &band.w1c[g.c0..];
            if transform[1] {
                // eᵀ = conj(W1) · fᵀ (band columns × box rows), added into the lines at rows r0...
                let ft = Mat { data: &w.f, row_stride: 1, col_stride: nc };
                fft::gemm([nv, nc, nr], 1.0, Mat::rows(w1c, n1), ft, 1.0, &mut columns[g.r0..], n0);
            } else {
                let w1h = Mat { data: w1c, row_stride: 1, col_stride: n1 };
                fft::gemm([nr, nc, nv], 1.0, Mat::rows(&w.f, nc), w1h, 0.0, &mut w.e[y0 * nv..], nv);
            }
            y0 += nr;
        }
        // L += W0ᴴ · e.
        if transform[1] {
            // Each band column transformed; its band rows kept.
            let forward = &self.lines.as_ref().expect("planned above")[1];
            sized(&mut w.scratch, forward.get_inplace_scratch_len())?;
            forward.process_with_scratch(columns, &mut w.scratch);
            for (r, c) in &band.strips {
                for b in c.clone() {
                    let column = &columns[b * n0..][..n0];
                    for a in r.clone() {
                        light[a * nv + b] += column[us[a]];
                    }
                }
            }
        } else {
            // Stacked box rows of W0ᴴ, then one product per strip.
            sized(&mut w.w0c, rows * nu)?;
            let mut y0 = 0;
            for g in groups {
                w.w0c[y0 * nu..][..g.nr * nu].copy_from_slice(&band.w0c[g.r0 * nu..][..g.nr * nu]);
                y0 += g.nr;
            }
            for (r, c) in &band.strips {
                let w0h = Mat { data: &w.w0c[r.start..], row_stride: 1, col_stride: nu };
                let e = Mat::rows(&w.e[c.start..], nv);
                fft::gemm([r.len(), rows, c.len()], 1.0, w0h, e, 1.0, &mut light[r.start * nv + c.start..], nv);
            }
        }
        Ok(())
    }

    /// The plane's change of the spectrum through full-grid transforms (DeepTrack2's computation).
    fn full_grid(&mut self, light: &mut [Complex64], groups: &[Group]) -> Result<()> {
        let [n0, n1] = self.grid;
        if self.full.is_none() {
            self.full = Some((Fft2::new(n0, n1)?, fft::zeros(n0 * n1)?));
        }
        let (fft, grid) = self.full.as_mut().expect("just set");
        let (us, vs) = (&self.band.us[..], &self.band.vs[..]);
        let nv = vs.len();
        grid.fill(Complex64::new(0.0, 0.0));
        for (a, &u) in us.iter().enumerate() {
            for (b, &v) in vs.iter().enumerate() {
                grid[u * n1 + v] = light[a * nv + b];
            }
        }
        fft.inverse(grid);
        for g in groups {
            for y in 0..g.nr {
                for x in 0..g.nc {
                    let at = (g.r0 + y) * n1 + g.c0 + x;
                    let v = grid[at];
                    grid[at] = v + v * g.factor[y * g.nc + x];
                }
            }
        }
        fft.forward(grid);
        // Back on the pupil's strips (zero elsewhere, as the direct route keeps it).
        light.fill(Complex64::new(0.0, 0.0));
        for (r, c) in &self.band.strips {
            for a in r.clone() {
                for b in c.clone() {
                    light[a * nv + b] = grid[us[a] * n1 + vs[b]];
                }
            }
        }
        Ok(())
    }
}
