//! `Brightfield.get`: a unit plane wave propagated through the sample one z-pixel at a time (every
//! plane, empty ones included), refracted by `exp(i·Δn·voxel_z·2π·n_medium/λ)` in each non-empty
//! plane, propagated back to the focal plane and filtered by the pupil.
//!
//! DeepTrack2 transforms the whole grid twice per plane. Every propagation step multiplies the
//! spectrum by the pupil, so the spectrum lives on the pupil's band (a few percent of the grid at
//! usual NA and voxel sizes), and refraction changes the field only where the plane is non-zero:
//! with `T = 1 + M`, `fft2(ifft2(L)·T) = L + fft2(ifft2(L)·M)`, and `M` is zero outside the
//! scatterers. So the spectrum is kept on the band only, and each plane adds `fft2(ifft2(L)·M)`:
//! for each group of overlapping scatterers (disjoint boxes, so that `M` is the sum of its parts),
//! directly between the band and the group's box (four complex matrix products), when that is
//! cheaper than the two full transforms, which are used otherwise. The same numbers as DeepTrack2's,
//! up to rounding.

use crate::sync::Lock;
use std::f64::consts::PI;
use std::ops::Range;

use rustfft::num_complex::Complex64;

use super::Params;
use super::pupil::OtfCache;
use super::volume::Volume;
use crate::error::{Error, ErrorKind, Result};
use crate::fft::{self, Fft2, Mat};

/// How [`brightfield_with`] refracts a plane.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Route {
    /// Whichever costs fewer operations.
    Cheapest,
    /// Always full-grid transforms (DeepTrack2's way; tests compare the routes).
    #[cfg_attr(not(test), allow(dead_code))]
    FullGrid,
    /// Always matrix products between the band and the boxes.
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
    /// Each route in turn, plane by plane (the routes must hand the spectrum over as they take it).
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
    let k = 2.0 * PI / p.wavelength * p.n_medium;
    let mut refract =
        Refraction { us, vs, strips: &band.strips, grid: p.grid, roots: None, full: None, work: Work::default() };
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
        let groups = groups(volume, items, p.voxel[2] * k)?;
        let route = match route {
            Route::Alternating if plane_index % 2 == 0 => Route::Direct,
            Route::Alternating => Route::FullGrid,
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
        // `exp(iφ) − 1` on the box, without cancellation for small φ: `−2 sin²(φ/2) + i sin φ`.
        let mut factor = fft::zeros(nr * nc)?;
        for (y, row) in factor.chunks_exact_mut(nc).enumerate() {
            for (x, f) in row.iter_mut().enumerate() {
                let dn = dn[(t + y) * w + l + x];
                if dn != 0.0 {
                    let (sin, half) = ((dn * phase).sin(), (dn * phase / 2.0).sin());
                    *f = Complex64::new(-2.0 * half * half, sin);
                }
            }
        }
        out.push(Group { r0: r0 + t, c0: c0 + l, nr, nc, factor });
    }
    Ok(out)
}

/// Refracts a band-limited spectrum through planes (see the module's documentation); keeps the
/// twiddle factors, the work buffers and the full-grid transform between planes.
struct Refraction<'a> {
    us: &'a [usize],
    vs: &'a [usize],
    strips: &'a [(Range<usize>, Range<usize>)],
    grid: [usize; 2],
    roots: Option<[Vec<Complex64>; 2]>,
    full: Option<(Fft2, Vec<Complex64>)>,
    work: Work,
}

/// The matrices of [`Refraction::direct`], reused from plane to plane.
#[derive(Default)]
struct Work {
    w0: Vec<Complex64>,
    w0c: Vec<Complex64>,
    w1: Vec<Complex64>,
    w1c: Vec<Complex64>,
    h: Vec<Complex64>,
    f: Vec<Complex64>,
    e: Vec<Complex64>,
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
    /// `light ← fft2(ifft2(light) · (1 + M))` on the band, `M` being the groups' factors.
    fn plane(&mut self, light: &mut [Complex64], groups: &[Group], route: Route) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let [n0, n1] = self.grid;
        let (nu, nv) = (self.us.len(), self.vs.len());
        // Complex multiply-adds: the products against two full transforms (~n·log2(n) each).
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let disc: usize = self.strips.iter().map(|(r, c)| r.len() * c.len()).sum();
        let direct = disc * (rows + cols) + groups.iter().map(|g| g.nr * g.nc * (nu + nv)).sum::<usize>();
        let n = n0 * n1;
        let full = n * (usize::BITS - n.leading_zeros()) as usize;
        if route == Route::Direct || (route == Route::Cheapest && direct < full) {
            self.direct(light, groups)
        } else {
            self.full_grid(light, groups)
        }
    }

    /// The plane's change of the spectrum by matrix products between the band and the boxes: with
    /// `W0` (box rows × band rows) and `W1` (band columns × box columns) the inverse DFT's factors,
    /// `f = W0 · (L · W1) / n` is `ifft2(L)` on a box, and `L += W0ᴴ · ((f·M) · W1ᴴ)`. The boxes are
    /// stacked (one product with `L` for all their columns, one into `L` for all their rows), and `L`
    /// is read and written on the pupil's strips only (it is zero elsewhere, and the next step or the
    /// final pupil zeroes whatever lands there).
    fn direct(&mut self, light: &mut [Complex64], groups: &[Group]) -> Result<()> {
        let [n0, n1] = self.grid;
        let (us, vs) = (self.us, self.vs);
        let (nu, nv) = (us.len(), vs.len());
        if self.roots.is_none() {
            self.roots = Some([fft::roots(n0)?, fft::roots(n1)?]);
        }
        let [root0, root1] = self.roots.as_ref().expect("just set");
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let w = &mut self.work;
        // w1[b][x] = e^{2πi·vs[b]·(c0+x)/n1} (band columns × stacked box columns), w0[y][a] =
        // e^{2πi·us[a]·(r0+y)/n0} (stacked box rows × band rows), and their conjugates.
        sized(&mut w.w1, nv * cols)?;
        sized(&mut w.w1c, nv * cols)?;
        sized(&mut w.w0, rows * nu)?;
        sized(&mut w.w0c, rows * nu)?;
        let (mut x0, mut y0) = (0, 0);
        for g in groups {
            for (b, &v) in vs.iter().enumerate() {
                for x in 0..g.nc {
                    let t = root1[v * (g.c0 + x) % n1];
                    w.w1[b * cols + x0 + x] = t;
                    w.w1c[b * cols + x0 + x] = t.conj();
                }
            }
            for y in 0..g.nr {
                for (a, &u) in us.iter().enumerate() {
                    let t = root0[u * (g.r0 + y) % n0];
                    w.w0[(y0 + y) * nu + a] = t;
                    w.w0c[(y0 + y) * nu + a] = t.conj();
                }
            }
            (x0, y0) = (x0 + g.nc, y0 + g.nr);
        }
        // h = L · W1 (band rows × stacked box columns), strip by strip.
        sized(&mut w.h, nu * cols)?;
        w.h.fill(Complex64::new(0.0, 0.0));
        for (r, c) in self.strips {
            let (a, b) = (Mat::rows(&light[r.start * nv + c.start..], nv), Mat::rows(&w.w1[c.start * cols..], cols));
            fft::gemm([r.len(), c.len(), cols], 1.0, a, b, 0.0, &mut w.h[r.start * cols..], cols);
        }
        // Per box: f = W0 · h / n on the box, times M; e = f · W1ᴴ (stacked box rows × band columns).
        sized(&mut w.e, rows * nv)?;
        let (mut x0, mut y0) = (0, 0);
        for g in groups {
            let (nr, nc) = (g.nr, g.nc);
            sized(&mut w.f, nr * nc)?;
            let scale = 1.0 / (n0 * n1) as f64;
            fft::gemm(
                [nr, nu, nc],
                scale,
                Mat::rows(&w.w0[y0 * nu..], nu),
                Mat::rows(&w.h[x0..], cols),
                0.0,
                &mut w.f,
                nc,
            );
            for (v, m) in w.f.iter_mut().zip(&g.factor) {
                *v *= m;
            }
            let w1h = Mat { data: &w.w1c[x0..], row_stride: 1, col_stride: cols };
            fft::gemm([nr, nc, nv], 1.0, Mat::rows(&w.f, nc), w1h, 0.0, &mut w.e[y0 * nv..], nv);
            (x0, y0) = (x0 + nc, y0 + nr);
        }
        // L += W0ᴴ · e, strip by strip.
        for (r, c) in self.strips {
            let w0h = Mat { data: &w.w0c[r.start..], row_stride: 1, col_stride: nu };
            let e = Mat::rows(&w.e[c.start..], nv);
            fft::gemm([r.len(), rows, c.len()], 1.0, w0h, e, 1.0, &mut light[r.start * nv + c.start..], nv);
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
        let (us, vs) = (self.us, self.vs);
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
        for (r, c) in self.strips {
            for a in r.clone() {
                for b in c.clone() {
                    light[a * nv + b] = grid[us[a] * n1 + vs[b]];
                }
            }
        }
        Ok(())
    }
}
