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
use std::ops::Range;
use std::sync::Arc;

use rustfft::Fft;
use rustfft::num_complex::Complex64;

use super::Params;
use super::pupil::OtfCache;
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
    /// Each of the three in turn, plane by plane (the routes must hand the spectrum over as they take
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
    let mut refract = Refraction {
        us,
        vs,
        strips: &band.strips,
        grid: p.grid,
        roots: None,
        full: None,
        lines: None,
        work: Work::default(),
    };
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
            Route::Alternating => [Route::Products, Route::FullGrid, Route::Transforms][plane_index % 3],
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
        let mut factor = fft::zeros(nr * nc)?;
        for (y, row) in factor.chunks_exact_mut(nc).enumerate() {
            for (x, f) in row.iter_mut().enumerate() {
                let dn = dn[(t + y) * w + l + x];
                if dn != 0.0 {
                    let (sin, cos) = (dn * phase / 2.0).sin_cos();
                    *f = Complex64::new(-2.0 * sin * sin, 2.0 * sin * cos);
                }
            }
        }
        out.push(Group { r0: r0 + t, c0: c0 + l, nr, nc, factor });
    }
    Ok(out)
}

/// Refracts a band-limited spectrum through planes (see the module's documentation); keeps the
/// twiddle factors, the work buffers and the transforms between planes.
struct Refraction<'a> {
    us: &'a [usize],
    vs: &'a [usize],
    strips: &'a [(Range<usize>, Range<usize>)],
    grid: [usize; 2],
    roots: Option<[Vec<Complex64>; 2]>,
    full: Option<(Fft2, Vec<Complex64>)>,
    /// The inverse transform of the grid's rows and the forward one of its columns.
    lines: Option<[Arc<dyn Fft<f64>>; 2]>,
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
    lines: Vec<Complex64>,
    scratch: Vec<Complex64>,
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

/// Writes `root[q·(start + x) mod n]` for `x` in `0..len` to `out[x·stride]` (and the conjugates to
/// `conj`, if given): the DFT factors of frequency `q` at `len` consecutive pixels.
fn twiddles(root: &[Complex64], q: usize, start: usize, out: &mut [Complex64], stride: usize, len: usize) {
    let n = root.len();
    let (step, mut at) = (q % n, (q % n) * (start % n) % n);
    for x in 0..len {
        out[x * stride] = root[at];
        at += step;
        if at >= n {
            at -= n;
        }
    }
}

impl Refraction<'_> {
    /// `light ← fft2(ifft2(light) · (1 + M))` on the band, `M` being the groups' factors.
    fn plane(&mut self, light: &mut [Complex64], groups: &[Group], route: Route) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let [n0, n1] = self.grid;
        let (nu, nv) = (self.us.len(), self.vs.len());
        let log2 = |n: usize| (usize::BITS - n.leading_zeros()) as usize;
        // In complex multiply-adds (a transform of n points counting n·log2(n)): the sums between the
        // band and the boxes' columns, then rows, as products or as transforms of the band's lines.
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let disc: usize = self.strips.iter().map(|(r, c)| r.len() * c.len()).sum();
        let by_products = [disc * cols, disc * rows];
        let by_transforms = [nu * n1 * log2(n1), nv * n0 * log2(n0)];
        let boxes: usize = groups.iter().map(|g| g.nr * g.nc * (nu + nv)).sum();
        let n = n0 * n1;
        let full = 2 * n * log2(n);
        let transform = [0, 1].map(|i| match route {
            Route::Transforms => true,
            Route::Products => false,
            _ => by_transforms[i] < by_products[i],
        });
        let direct =
            boxes + (0..2).map(|i| if transform[i] { by_transforms[i] } else { by_products[i] }).sum::<usize>();
        match route {
            Route::FullGrid => self.full_grid(light, groups),
            Route::Cheapest if full <= direct => self.full_grid(light, groups),
            _ => self.direct(light, groups, transform),
        }
    }

    /// The plane's change of the spectrum between the band and the boxes: with `W0` (box rows ×
    /// band rows) and `W1` (band columns × box columns) the inverse DFT's factors, `f = W0 · (L · W1)
    /// / n` is `ifft2(L)` on a box, and `L += W0ᴴ · ((f·M) · W1ᴴ)`. The boxes are stacked: `L · W1`
    /// for all their columns at once, as a product on the pupil's strips or by transforming each band
    /// row (`transform[0]`), and `W0ᴴ · e` for all their rows at once, as a product or by
    /// transforming each band column (`transform[1]`). `L` is read and written on the pupil's strips
    /// only (it is zero elsewhere, and the next step or the final pupil zeroes whatever lands there).
    fn direct(&mut self, light: &mut [Complex64], groups: &[Group], transform: [bool; 2]) -> Result<()> {
        let [n0, n1] = self.grid;
        let (us, vs) = (self.us, self.vs);
        let (nu, nv) = (us.len(), vs.len());
        if self.roots.is_none() {
            self.roots = Some([fft::roots(n0)?, fft::roots(n1)?]);
        }
        if self.lines.is_none() && (transform[0] || transform[1]) {
            let mut guard = fft::planner();
            let p = guard.get_or_insert_with(rustfft::FftPlanner::new);
            self.lines = Some([p.plan_fft_inverse(n1), p.plan_fft_forward(n0)]);
        }
        let [root0, root1] = self.roots.as_ref().expect("just set");
        let (rows, cols): (usize, usize) = (groups.iter().map(|g| g.nr).sum(), groups.iter().map(|g| g.nc).sum());
        let w = &mut self.work;
        // w1[b][x] = e^{2πi·vs[b]·(c0+x)/n1} (band columns × stacked box columns), w0[y][a] =
        // e^{2πi·us[a]·(r0+y)/n0} (stacked box rows × band rows); w1c and w0c their conjugates.
        sized(&mut w.w1, nv * cols)?;
        sized(&mut w.w0, rows * nu)?;
        let (mut x0, mut y0) = (0, 0);
        for g in groups {
            for (b, &v) in vs.iter().enumerate() {
                twiddles(root1, v, g.c0, &mut w.w1[b * cols + x0..], 1, g.nc);
            }
            for (a, &u) in us.iter().enumerate() {
                twiddles(root0, u, g.r0, &mut w.w0[y0 * nu + a..], nu, g.nr);
            }
            (x0, y0) = (x0 + g.nc, y0 + g.nr);
        }
        w.w1c.clear();
        w.w1c.extend(w.w1.iter().map(|v| v.conj()));
        // h = L · W1 (band rows × stacked box columns).
        sized(&mut w.h, nu * cols)?;
        w.h.fill(Complex64::new(0.0, 0.0));
        if transform[0] {
            // Each band row spread over its grid row and transformed; its boxes' columns kept.
            let inverse = &self.lines.as_ref().expect("planned above")[0];
            sized(&mut w.lines, nu * n1)?;
            w.lines.fill(Complex64::new(0.0, 0.0));
            for (r, c) in self.strips {
                for a in r.clone() {
                    for b in c.clone() {
                        w.lines[a * n1 + vs[b]] = light[a * nv + b];
                    }
                }
            }
            sized(&mut w.scratch, inverse.get_inplace_scratch_len())?;
            inverse.process_with_scratch(&mut w.lines, &mut w.scratch);
            for (a, line) in w.lines.chunks_exact(n1).enumerate() {
                let mut x0 = 0;
                for g in groups {
                    w.h[a * cols + x0..][..g.nc].copy_from_slice(&line[g.c0..g.c0 + g.nc]);
                    x0 += g.nc;
                }
            }
        } else {
            for (r, c) in self.strips {
                let (a, b) =
                    (Mat::rows(&light[r.start * nv + c.start..], nv), Mat::rows(&w.w1[c.start * cols..], cols));
                fft::gemm([r.len(), c.len(), cols], 1.0, a, b, 0.0, &mut w.h[r.start * cols..], cols);
            }
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
        // L += W0ᴴ · e.
        if transform[1] {
            // Each band column of e spread over its grid column (boxes' rows at their grid rows,
            // added where boxes share rows) and transformed; its band rows kept.
            let forward = &self.lines.as_ref().expect("planned above")[1];
            sized(&mut w.lines, nv * n0)?;
            w.lines.fill(Complex64::new(0.0, 0.0));
            let mut y0 = 0;
            for g in groups {
                for y in 0..g.nr {
                    for (b, &v) in w.e[(y0 + y) * nv..][..nv].iter().enumerate() {
                        w.lines[b * n0 + g.r0 + y] += v;
                    }
                }
                y0 += g.nr;
            }
            sized(&mut w.scratch, forward.get_inplace_scratch_len())?;
            forward.process_with_scratch(&mut w.lines, &mut w.scratch);
            for (r, c) in self.strips {
                for a in r.clone() {
                    for b in c.clone() {
                        light[a * nv + b] += w.lines[b * n0 + us[a]];
                    }
                }
            }
        } else {
            w.w0c.clear();
            w.w0c.extend(w.w0.iter().map(|v| v.conj()));
            for (r, c) in self.strips {
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
