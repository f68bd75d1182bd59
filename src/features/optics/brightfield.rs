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
//! and the boxes' lines only (large boxes: in whichever orientation transforms fewer lines, a few
//! lines at a time in a buffer that stays in cache); the two full-grid transforms. A thread keeps the
//! work buffers between images. The same numbers as DeepTrack2's, up to rounding.

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
    /// Always through transforms of the band's lines and of the boxes' lines, in each of the four
    /// orientations in turn, plane by plane.
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
    field: Option<&[Complex64]>,
    p: &Params,
    cache: &Lock<OtfCache>,
    route: Route,
    [rows, cols]: [Range<usize>; 2],
    row: impl FnMut(usize, &[Complex64]),
) -> Result<()> {
    let band = OtfCache::band(cache, p)?;
    let (us, vs) = (&band.us[..], &band.vs[..]);
    let nv = vs.len();
    // fft2 of the illumination (outside the band, the first step removes it).
    let mut light = OtfCache::light(cache, p, &band)?;
    let work = Work::take();
    let mut refract = Refraction { band: &band, grid: p.grid, full: None, lines: None, spans: None, work };
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
        refract.plane(&mut light, &groups, route, plane_index)?;
    }
    refract.work.keep();
    // Back to the focal plane, through the pupil (the in-focus pupil is 1 inside, 0 outside).
    let back = OtfCache::back(cache, p, &band, volume.z0 + volume.planes as i64)?;
    for ((l, b), &inside) in light.iter_mut().zip(back.iter()).zip(&band.pupil.support) {
        *l = if inside { *l * b } else { Complex64::new(0.0, 0.0) };
    }
    // Field scatterers' spectra (full grid, row-major) join there, before the in-focus pupil.
    if let Some(field) = field {
        super::fields::add_on_band(&mut light, field, p.grid, us, vs, &band.pupil.support);
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
        let plane = || -> Result<Vec<f64>> {
            let mut v = Vec::new();
            v.try_reserve_exact(h * w).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate a plane"))?;
            v.resize(h * w, 0.0);
            Ok(v)
        };
        let mut dn = plane()?;
        // The imaginary part of Δn (absorption), only when a member is absorbing.
        let mut dk = if members.iter().any(|&(item, _)| volume.is_complex(item)) { Some(plane()?) } else { None };
        for &(item, k) in &members {
            for r in volume.rows(item, k) {
                volume.add_row(item, k, r, &mut dn[(r - r0) * w..][..w], c0);
                if let Some(dk) = dk.as_mut() {
                    volume.add_row_imag(item, k, r, &mut dk[(r - r0) * w..][..w], c0);
                }
            }
        }
        // The smallest box holding every non-zero value.
        let (mut t, mut b, mut l, mut rt) = (usize::MAX, 0, usize::MAX, 0);
        for y in 0..h {
            let re = &dn[y * w..][..w];
            let ends = match &dk {
                None => (re.iter().position(|&v| v != 0.0), re.iter().rposition(|&v| v != 0.0)),
                Some(dk) => {
                    let nonzero = |x: usize| re[x] != 0.0 || dk[y * w + x] != 0.0;
                    ((0..w).position(nonzero), (0..w).rposition(nonzero))
                }
            };
            if let (Some(first), Some(last)) = ends {
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
        let mut last = ((0.0f64, 0.0f64), Complex64::new(0.0, 0.0));
        for (y, row) in factor.chunks_exact_mut(nc).enumerate() {
            for (x, f) in row.iter_mut().enumerate() {
                let at = (t + y) * w + l + x;
                let (dn, dk) = (dn[at], dk.as_ref().map_or(0.0, |dk| dk[at]));
                if dn != 0.0 || dk != 0.0 {
                    if dn.to_bits() != last.0.0.to_bits() || dk.to_bits() != last.0.1.to_bits() {
                        last = ((dn, dk), refraction(dn, dk, phase));
                    }
                    *f = last.1;
                }
            }
        }
        out.push(Group { r0: r0 + t, c0: c0 + l, nr, nc, factor });
    }
    Ok(out)
}

/// `exp(i·(dn + i·dk)·phase) − 1`: a voxel's refraction (`dn`) and absorption (`dk`), without
/// cancellation for small phases: `exp(iφ) − 1 = −2 sin²(φ/2) + 2i sin(φ/2) cos(φ/2)`, and with
/// absorption `e^{−κ}·e^{iφ} − 1 = (e^{iφ} − 1) + expm1(−κ)·e^{iφ}`.
pub(super) fn refraction(dn: f64, dk: f64, phase: f64) -> Complex64 {
    let (sin, cos) = (dn * phase / 2.0).sin_cos();
    let bent = Complex64::new(-2.0 * sin * sin, 2.0 * sin * cos);
    if dk == 0.0 {
        return bent;
    }
    let decay = (-dk * phase).exp_m1();
    bent + decay * (bent + 1.0)
}

/// Refracts a band-limited spectrum through planes (see the module's documentation); keeps the work
/// buffers and the transforms between planes.
struct Refraction<'a> {
    band: &'a Band,
    grid: [usize; 2],
    full: Option<(Fft2, Vec<Complex64>)>,
    /// The inverse transform of the grid's rows and the forward one of its columns.
    lines: Option<[Arc<dyn Fft<f64>>; 2]>,
    /// For [`Refraction::lines`]: `spans[axis][i]`, the ranges of band indices across `axis` where
    /// the pupil's strips hold band index `i` along `axis` (the band's non-zero elements on a line).
    spans: Option<[Vec<Vec<Range<usize>>>; 2]>,
    work: Box<Work>,
}

/// How many lines [`Refraction::lines`] transforms at once (a few tens of KiB, in cache).
const LINES: usize = 8;

/// The matrices of [`Refraction::direct`] and [`Refraction::lines`], reused from plane to plane, and
/// kept by the thread between resolves ([`Work::take`], [`Work::keep`]): allocated anew for every
/// image, their pages would be faulted in and zeroed again each time.
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
    /// [`Refraction::lines`]: the grid coordinates the groups cross along each axis (ascending), and
    /// each group's offset in `f`.
    crossed: [Vec<usize>; 2],
    offsets: Vec<usize>,
}

thread_local! {
    /// The work buffers of the thread's last brightfield rendering, boxed: a shared library's
    /// thread-locals share the small static TLS block that `dlopen` allocates from.
    static WORK: std::cell::Cell<Option<Box<Work>>> = const { std::cell::Cell::new(None) };
}

/// The most bytes of work buffers a thread keeps between resolves.
const KEPT_WORK_BYTES: usize = 16 << 20;

impl Work {
    /// The buffers the calling thread kept, or new ones.
    fn take() -> Box<Work> {
        WORK.try_with(|w| w.take()).ok().flatten().unwrap_or_default()
    }

    /// Keeps the buffers for the calling thread's next resolve, unless they are large.
    fn keep(self: Box<Self>) {
        let complex = [&self.w0c, &self.w1, &self.h, &self.f, &self.e, &self.lines, &self.columns, &self.scratch];
        let bytes = complex.iter().map(|v| v.capacity() * size_of::<Complex64>()).sum::<usize>()
            + (self.crossed.iter().map(Vec::capacity).sum::<usize>() + self.offsets.capacity()) * size_of::<usize>();
        if bytes <= KEPT_WORK_BYTES {
            // During the thread's teardown there is nowhere to keep them: they are dropped.
            let _ = WORK.try_with(|w| w.set(Some(self)));
        }
    }
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
    /// `index` is the plane's (the [`Route::Lines`] route turns the lines' orientations with it).
    fn plane(&mut self, light: &mut [Complex64], groups: &[Group], route: Route, index: usize) -> Result<()> {
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
        // The lines' inverse along the rows first (then the boxes' columns) or the columns first,
        // and their forward transform along the boxes' rows first or their columns first.
        let (rows_first, cols_first) =
            (by_transforms[0] + union_cols * fft(n0), by_transforms[1] + union_rows * fft(n1));
        let orientation = [usize::from(rows_first <= cols_first), usize::from(rows_first >= cols_first)];
        let lines = rows_first.min(cols_first) * 2;
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
            Route::Lines => self.lines(light, groups, [index % 2, index / 2 % 2]),
            Route::Products | Route::Transforms => self.direct(light, groups, transform),
            _ if full <= direct.min(lines) => self.full_grid(light, groups),
            _ if lines < direct => self.lines(light, groups, orientation),
            _ => self.direct(light, groups, transform),
        }
    }

    /// The plane's change of the spectrum through transforms of lines only. The inverse runs along
    /// axis `q` then `1 - q`: the band's lines across axis `q` (transformed along `q`) give the field
    /// at the band's frequencies across `1 - q` and at the grid coordinates along `q` where boxes lie;
    /// each of those lines of the boxes (transformed along `1 - q`) then gives the field on the boxes.
    /// The forward transform runs the other way round along its own axis `p`: the boxes' lines along
    /// `p` give their spectra at the band's frequencies along `p`, and the band's lines along `1 - p`
    /// give the change of `L`. `orientation = [q, p]`; each costs `n_band · fft + n_box_lines · fft`.
    /// Lines are transformed a few at a time in a small buffer, so the work stays in cache. Half or
    /// less of two full-grid transforms, for boxes too large for products.
    fn lines(&mut self, light: &mut [Complex64], groups: &[Group], [q, p]: [usize; 2]) -> Result<()> {
        let n = self.grid;
        let band = self.band;
        let freqs = [&band.us[..], &band.vs[..]];
        let nv = band.vs.len();
        // The element of the band at band index `i` along axis 0 and `j` along axis 1.
        let at = |i: usize, j: usize| i * nv + j;
        let plans = {
            let mut guard = fft::planner();
            let planner = guard.get_or_insert_with(rustfft::FftPlanner::new);
            [0, 1].map(|axis| [planner.plan_fft_inverse(n[axis]), planner.plan_fft_forward(n[axis])])
        };
        let w = &mut self.work;
        let scratch_len = plans.iter().flatten().map(|f| f.get_inplace_scratch_len()).max().unwrap_or(0);
        sized(&mut w.scratch, scratch_len)?;
        sized(&mut w.lines, LINES * n[0].max(n[1]))?;
        // The band's non-zero elements along each band line (the pupil's strips): `spans[axis][i]`
        // lists the ranges of band indices across `axis` at band index `i` along `axis`.
        let spans = self.spans.get_or_insert_with(|| {
            let mut spans = [vec![Vec::new(); freqs[0].len()], vec![Vec::new(); freqs[1].len()]];
            for (r, c) in &band.strips {
                for a in r.clone() {
                    spans[0][a].push(c.clone());
                }
                for b in c.clone() {
                    spans[1][b].push(r.clone());
                }
            }
            spans
        });
        // Where the groups lie along each axis: the coordinates their lines cross (ascending), and
        // their offsets in `values` (row-major boxes).
        let span = |g: &Group, axis: usize| if axis == 0 { g.r0..g.r0 + g.nr } else { g.c0..g.c0 + g.nc };
        for axis in 0..2 {
            let mut index = std::mem::take(&mut w.crossed[axis]);
            index.clear();
            for g in groups {
                index.extend(span(g, axis));
            }
            index.sort_unstable();
            index.dedup();
            w.crossed[axis] = index;
        }
        w.offsets.clear();
        let mut total = 0;
        for g in groups {
            w.offsets.push(total);
            total += g.nr * g.nc;
        }
        sized(&mut w.f, total)?;

        // The inverse: the band's lines across `q` (band index `i` along `1 - q`), transformed along
        // `q` and kept at the coordinates the boxes cross along `q`: `h[k · count + i]`.
        let other = 1 - q;
        let (count, crossed) = (freqs[other].len(), &w.crossed[q]);
        sized(&mut w.h, crossed.len() * count)?;
        for i0 in (0..count).step_by(LINES) {
            let len = LINES.min(count - i0);
            let chunk = &mut w.lines[..len * n[q]];
            chunk.fill(Complex64::new(0.0, 0.0));
            for (di, line) in chunk.chunks_exact_mut(n[q]).enumerate() {
                let i = i0 + di;
                for range in &spans[other][i] {
                    for j in range.clone() {
                        line[freqs[q][j]] = light[if q == 1 { at(i, j) } else { at(j, i) }];
                    }
                }
            }
            plans[q][0].process_with_scratch(chunk, &mut w.scratch);
            for (di, line) in chunk.chunks_exact(n[q]).enumerate() {
                for (k, &x) in crossed.iter().enumerate() {
                    w.h[k * count + i0 + di] = line[x];
                }
            }
        }
        // The boxes' lines along `1 - q` at those coordinates, transformed along `1 - q`: the field
        // on the boxes, times their factors (and the inverse's `1/n`), into `f`.
        let scale = 1.0 / (n[0] * n[1]) as f64;
        for k0 in (0..crossed.len()).step_by(LINES) {
            let len = LINES.min(crossed.len() - k0);
            let chunk = &mut w.lines[..len * n[other]];
            chunk.fill(Complex64::new(0.0, 0.0));
            for (dk, line) in chunk.chunks_exact_mut(n[other]).enumerate() {
                for (&u, &v) in freqs[other].iter().zip(&w.h[(k0 + dk) * count..][..count]) {
                    line[u] = v;
                }
            }
            plans[other][0].process_with_scratch(chunk, &mut w.scratch);
            for (dk, line) in chunk.chunks_exact(n[other]).enumerate() {
                let x = crossed[k0 + dk];
                for (g, &offset) in groups.iter().zip(&w.offsets) {
                    if !span(g, q).contains(&x) {
                        continue;
                    }
                    let (along, across) = (span(g, other), x - span(g, q).start);
                    // Element (t, across) of the box, t along `1 - q`.
                    let (stride, first) = if q == 1 { (g.nc, across) } else { (1, across * g.nc) };
                    for (t, y) in along.enumerate() {
                        let e = first + t * stride;
                        w.f[offset + e] = line[y] * scale * g.factor[e];
                    }
                }
            }
        }

        // The forward transform: the boxes' lines along `p` (at the coordinates they cross across
        // it), transformed along `p` and kept at the band's frequencies along `p`: `e[j · rows + k]`.
        let other = 1 - p;
        let (count, crossed) = (freqs[p].len(), &w.crossed[other]);
        let rows = crossed.len();
        sized(&mut w.e, count * rows)?;
        for k0 in (0..rows).step_by(LINES) {
            let len = LINES.min(rows - k0);
            let chunk = &mut w.lines[..len * n[p]];
            chunk.fill(Complex64::new(0.0, 0.0));
            for (dk, line) in chunk.chunks_exact_mut(n[p]).enumerate() {
                let y = crossed[k0 + dk];
                for (g, &offset) in groups.iter().zip(&w.offsets) {
                    if !span(g, other).contains(&y) {
                        continue;
                    }
                    let (along, across) = (span(g, p), y - span(g, other).start);
                    let (stride, first) = if p == 1 { (1, across * g.nc) } else { (g.nc, across) };
                    for (t, x) in along.enumerate() {
                        line[x] = w.f[offset + first + t * stride];
                    }
                }
            }
            plans[p][1].process_with_scratch(chunk, &mut w.scratch);
            for (dk, line) in chunk.chunks_exact(n[p]).enumerate() {
                for (j, &v) in freqs[p].iter().enumerate() {
                    w.e[j * rows + k0 + dk] = line[v];
                }
            }
        }
        // The band's lines across `p` (band index `j` along `p`), transformed along `1 - p`; their
        // band elements added to `L`.
        for j0 in (0..count).step_by(LINES) {
            let len = LINES.min(count - j0);
            let chunk = &mut w.lines[..len * n[other]];
            chunk.fill(Complex64::new(0.0, 0.0));
            for (dj, line) in chunk.chunks_exact_mut(n[other]).enumerate() {
                for (&y, &v) in crossed.iter().zip(&w.e[(j0 + dj) * rows..][..rows]) {
                    line[y] = v;
                }
            }
            plans[other][1].process_with_scratch(chunk, &mut w.scratch);
            for (dj, line) in chunk.chunks_exact(n[other]).enumerate() {
                let j = j0 + dj;
                for range in &spans[p][j] {
                    for i in range.clone() {
                        light[if p == 1 { at(i, j) } else { at(j, i) }] += line[freqs[other][i]];
                    }
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
