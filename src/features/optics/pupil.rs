//! DeepTrack2's pupil and what the optics derive from it: the fluorescence OTFs (by z-plane) and the
//! brightfield propagators, cached per optics feature while its numbers stay the same.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::ops::Range;
use std::sync::Arc;

use crate::sync::{Lock, LockGuard, Recover, overwrite};

use rustfft::num_complex::Complex64;

use super::aberrations::{PupilField, Step};
use super::attachments::Attachments;
use super::illumination;
use super::{Params, alloc_f64};
use crate::error::{Error, ErrorKind, Result};
use crate::fft;

/// What an OTF depends on besides its plane's z: the grid, the optics' numbers and the aberrations'
/// (as bits).
#[derive(Clone, PartialEq, Eq, Default)]
pub(super) struct OtfKey {
    grid: [usize; 2],
    numbers: [u64; 6],
    aberrations: AberrationKey,
}

/// The aberrations of an [`OtfKey`], compared by their numbers.
#[derive(Clone, Default)]
struct AberrationKey(Arc<Attachments>);

impl PartialEq for AberrationKey {
    fn eq(&self, other: &AberrationKey) -> bool {
        self.0.pupil_key == other.0.pupil_key
    }
}

impl Eq for AberrationKey {}

impl OtfKey {
    fn of(p: &Params) -> OtfKey {
        let v = p.voxel;
        OtfKey {
            grid: p.grid,
            numbers: [p.na, p.wavelength, p.n_medium, v[0], v[1], v[2]].map(f64::to_bits),
            aberrations: AberrationKey(Arc::clone(&p.attachments)),
        }
    }
}

/// For one [`OtfKey`]: OTFs by z-plane (fluorescence), the pupil's band and the back-propagators by
/// the sample's far z (brightfield); at most [`OTF_CACHE_PLANES`] of each are kept.
#[derive(Default)]
pub(super) struct OtfCache {
    key: OtfKey,
    otf_band: Option<Arc<OtfBand>>,
    planes: HashMap<i64, Arc<Vec<Complex64>>>,
    band: Option<Arc<Band>>,
    backs: HashMap<i64, Arc<Vec<Complex64>>>,
    /// The aberrations' factor on the band (brightfield).
    band_factor: Option<Arc<Vec<Complex64>>>,
    /// The incoming field on the band (brightfield) and the illumination's numbers it was made with.
    light: Option<(Vec<u64>, Arc<Vec<Complex64>>)>,
}

impl Recover for OtfCache {
    fn recover(&mut self) {
        // A thread gone with a fork was filling it: start empty (fork safety, see `crate::sync`).
        overwrite(self, OtfCache::default());
    }
}

/// The pupil on its band (see [`Pupil::band`]) and the one-z-pixel propagation step on it.
pub(super) struct Band {
    pub us: Vec<usize>,
    pub vs: Vec<usize>,
    pub pupil: Pupil,
    pub step: Vec<Complex64>,
    /// Horizontal strips of the band block, `(rows, columns)`, that together hold every point of
    /// the pupil (a disc): the spectrum is zero outside them.
    pub strips: Vec<(Range<usize>, Range<usize>)>,
    /// The inverse DFT's factors between the band and the grid's pixels: `w0[r][a] =
    /// e^{2πi·us[a]·r/n0}` (grid rows × band rows), `w1[b][c] = e^{2πi·vs[b]·c/n1}` (band columns ×
    /// grid columns), and their conjugates.
    pub w0: Vec<Complex64>,
    pub w0c: Vec<Complex64>,
    pub w1: Vec<Complex64>,
    pub w1c: Vec<Complex64>,
}

/// How many z-planes' OTFs an optics feature keeps (a sphere spans about 2 radius / voxel planes).
const OTF_CACHE_PLANES: usize = 256;

impl OtfCache {
    /// Where the OTFs can be non-zero, computed once per key.
    pub fn otf_band(cache: &Lock<OtfCache>, p: &Params) -> Arc<OtfBand> {
        let key = OtfKey::of(p);
        if let Some(band) = &OtfCache::lock(cache, &key).otf_band {
            return Arc::clone(band);
        }
        let band = Arc::new(OtfBand::of(p));
        OtfCache::lock(cache, &key).otf_band = Some(Arc::clone(&band));
        band
    }

    /// The OTF of plane `z`, `fft2(|ifft2(pupil defocused to z)|²)`, on `band` (see [`OtfBand`]):
    /// column by column of the half spectrum, the band's rows of each; computed once per key and
    /// plane. The pupil is non-zero on its band only (see [`OtfCache::band`]): the inverse transform
    /// runs from the band (`fft::inverse_band`), and the forward one, of a real image, on the half
    /// spectrum's `band.cols` columns.
    pub fn get(cache: &Lock<OtfCache>, p: &Params, band: &OtfBand, z: i64) -> Result<Arc<Vec<Complex64>>> {
        let key = OtfKey::of(p);
        if let Some(otf) = OtfCache::lock(cache, &key).planes.get(&z) {
            return Ok(Arc::clone(otf));
        }
        let pupil = OtfCache::band(cache, p)?;
        let mut defocused = fft::zeros(pupil.step.len())?;
        pupil.pupil.fill(z as f64, &mut defocused);
        if !p.attachments.pupil.is_empty() {
            let factor = OtfCache::band_factor(cache, p)?;
            for (d, a) in defocused.iter_mut().zip(factor.iter()) {
                *d = a * *d;
            }
        }
        let [n0, n1] = p.grid;
        // |ifft2(pupil)|², as numpy's square(abs(field)) up to rounding.
        let mut intensity = alloc_f64(n0 * n1)?;
        fft::inverse_band(p.grid, &pupil.us, &pupil.vs, &defocused, 0..n0, 0..n1, |y, row| {
            for (o, v) in intensity[y * n1..(y + 1) * n1].iter_mut().zip(row) {
                *o = v.norm_sqr();
            }
        })?;
        // Computed once per plane and cached: a transform planned for it is fine.
        let mut real = fft::RealFft2::new(n0, n1)?;
        let mut half = fft::zeros(band.cols * n0)?;
        real.forward(
            0..n0,
            |r, row| {
                row.copy_from_slice(&intensity[r * n1..(r + 1) * n1]);
                true
            },
            &mut half,
            band.cols,
        );
        let mut kept = fft::zeros(band.cols * band.len)?;
        for (column, half_column) in kept.chunks_exact_mut(band.len.max(1)).zip(half.chunks_exact(n0)).take(band.cols) {
            for (slot, u) in column.iter_mut().zip(band.rows.iter().cloned().flatten()) {
                *slot = half_column[u];
            }
        }
        let otf = Arc::new(kept);
        let mut c = OtfCache::lock(cache, &key);
        if c.planes.len() >= OTF_CACHE_PLANES {
            c.planes.clear();
        }
        c.planes.insert(z, Arc::clone(&otf));
        Ok(otf)
    }

    /// The cache, emptied first if it holds another grid's or other numbers', or only of what the
    /// aberrations change (the OTFs, the back-propagators, the aberrations on the band) if it holds
    /// other aberrations'.
    fn lock<'a>(cache: &'a Lock<OtfCache>, key: &OtfKey) -> LockGuard<'a, OtfCache> {
        let mut c = cache.lock();
        if c.key.grid != key.grid || c.key.numbers != key.numbers {
            *c = OtfCache { key: key.clone(), ..OtfCache::default() };
        } else if c.key.aberrations != key.aberrations {
            c.planes.clear();
            c.backs.clear();
            c.band_factor = None;
            c.key = key.clone();
        }
        c
    }

    /// The pupil's band and step for `p`, computed once per key.
    pub fn band(cache: &Lock<OtfCache>, p: &Params) -> Result<Arc<Band>> {
        let key = OtfKey::of(p);
        if let Some(band) = &OtfCache::lock(cache, &key).band {
            return Ok(Arc::clone(band));
        }
        let (us, vs, pupil) = Pupil::band(p)?;
        let mut step = fft::zeros(us.len() * vs.len())?;
        pupil.fill(1.0, &mut step);
        let strips = strips(&pupil.support, vs.len());
        let [n0, n1] = p.grid;
        let (root0, root1) = (fft::roots(n0)?, fft::roots(n1)?);
        let mut w0 = fft::zeros(n0 * us.len())?;
        for (r, row) in w0.chunks_exact_mut(us.len().max(1)).take(n0).enumerate() {
            for (w, &u) in row.iter_mut().zip(&us) {
                *w = root0[u * r % n0];
            }
        }
        let mut w1 = fft::zeros(vs.len() * n1)?;
        for (b, row) in w1.chunks_exact_mut(n1.max(1)).take(vs.len()).enumerate() {
            for (c, w) in row.iter_mut().enumerate() {
                *w = root1[vs[b] * c % n1];
            }
        }
        let conj = |w: &[Complex64]| -> Result<Vec<Complex64>> {
            let mut c = fft::zeros(w.len())?;
            c.iter_mut().zip(w).for_each(|(c, w)| *c = w.conj());
            Ok(c)
        };
        let (w0c, w1c) = (conj(&w0)?, conj(&w1)?);
        let band = Arc::new(Band { us, vs, pupil, step, strips, w0, w0c, w1, w1c });
        OtfCache::lock(cache, &key).band = Some(Arc::clone(&band));
        Ok(band)
    }

    /// The pupil defocused by `-z1` z-pixels on `band` (the propagation back to the focal plane from
    /// `z1`, filtered by the pupil), computed once per key and `z1`. With aberrations, they apply
    /// twice: DeepTrack2 2.0.1 multiplies the field by the aberrated pupil defocused to `-z1`, then
    /// by the aberrated pupil in focus.
    pub fn back(cache: &Lock<OtfCache>, p: &Params, band: &Band, z1: i64) -> Result<Arc<Vec<Complex64>>> {
        let key = OtfKey::of(p);
        if let Some(back) = OtfCache::lock(cache, &key).backs.get(&z1) {
            return Ok(Arc::clone(back));
        }
        let mut back = fft::zeros(band.step.len())?;
        band.pupil.fill(-z1 as f64, &mut back);
        if !p.attachments.pupil.is_empty() {
            let factor = OtfCache::band_factor(cache, p)?;
            for (b, a) in back.iter_mut().zip(factor.iter()) {
                *b = *b * a * a;
            }
        }
        let back = Arc::new(back);
        let mut c = OtfCache::lock(cache, &key);
        if c.backs.len() >= OTF_CACHE_PLANES {
            c.backs.clear();
        }
        c.backs.insert(z1, Arc::clone(&back));
        Ok(back)
    }
}

impl OtfCache {
    /// The aberrations' factor on the pupil's band (row-major, as [`Pupil::band`] lays it out),
    /// computed once per key.
    fn band_factor(cache: &Lock<OtfCache>, p: &Params) -> Result<Arc<Vec<Complex64>>> {
        let key = OtfKey::of(p);
        if let Some(factor) = &OtfCache::lock(cache, &key).band_factor {
            return Ok(Arc::clone(factor));
        }
        let g = PupilGrid::of(p);
        let field = match &p.attachments.field {
            Some(field) => Arc::clone(field),
            None => Arc::new(g.aberrated(&p.attachments.pupil)?),
        };
        let (rows, cols) = g.band_indices();
        let (ci, cj) = (g.candidates(0), g.candidates(1));
        let mut factor = fft::zeros(rows.len() * cols.len())?;
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in cols.iter().enumerate() {
                factor[a * cols.len() + b] = field.at(ci.start + i, cj.start + j);
            }
        }
        let factor = Arc::new(factor);
        OtfCache::lock(cache, &key).band_factor = Some(Arc::clone(&factor));
        Ok(factor)
    }

    /// `fft2(illumination(ones))` on the band (see [`illumination::incoming`]), a copy of the one
    /// computed once per key and illumination.
    pub fn light(cache: &Lock<OtfCache>, p: &Params, band: &Band) -> Result<Vec<Complex64>> {
        let key = OtfKey::of(p);
        let wanted = &p.attachments.light_key;
        let kept = match &OtfCache::lock(cache, &key).light {
            Some((k, light)) if k == wanted => Some(Arc::clone(light)),
            _ => None,
        };
        let light = match kept {
            Some(light) => light,
            None => {
                let light = Arc::new(illumination::incoming(
                    p,
                    band,
                    &p.attachments.illumination,
                    p.attachments.light.as_ref().map(|l| &l[..]),
                )?);
                OtfCache::lock(cache, &key).light = Some((wanted.clone(), Arc::clone(&light)));
                light
            }
        };
        let mut copy = fft::zeros(light.len())?;
        copy.copy_from_slice(&light);
        Ok(copy)
    }
}

/// Cuts the rows of a `support` block (`cols` wide) into strips, each with the columns its rows' support
/// spans, minimising the strips' total area plus a cost per strip (a matrix product each): the
/// optimal cut, by dynamic programming over the row boundaries.
fn strips(support: &[bool], cols: usize) -> Vec<(Range<usize>, Range<usize>)> {
    let rows = support.len().checked_div(cols).unwrap_or(0);
    let chords: Vec<Option<(usize, usize)>> = (0..rows)
        .map(|a| {
            let row = &support[a * cols..(a + 1) * cols];
            Some((row.iter().position(|&v| v)?, row.iter().rposition(|&v| v)? + 1))
        })
        .collect();
    let per_strip = cols / 2;
    // best[j]: the least cost of rows 0..j, and where its last strip starts.
    let mut best = vec![(0usize, 0usize); rows + 1];
    for j in 1..=rows {
        best[j] = (usize::MAX, 0);
        let (mut lo, mut hi) = (usize::MAX, 0);
        for i in (0..j).rev() {
            if let Some((l, h)) = chords[i] {
                (lo, hi) = (lo.min(l), hi.max(h));
            }
            let width = hi.saturating_sub(lo);
            let cost = best[i].0 + if width == 0 { 0 } else { (j - i) * width + per_strip };
            if cost < best[j].0 {
                best[j] = (cost, i);
            }
        }
    }
    let mut out = Vec::new();
    let mut j = rows;
    while j > 0 {
        let i = best[j].1;
        let (lo, hi) = chords[i..j].iter().flatten().fold((usize::MAX, 0), |(l, h), c| (l.min(c.0), h.max(c.1)));
        if lo < hi {
            out.push((i..j, lo..hi));
        }
        j = i;
    }
    out.reverse();
    out
}

/// Where every OTF of an optics can be non-zero: an OTF is the autocorrelation of the (defocused)
/// pupil, so it vanishes outside the pupil's support minus itself. Kept: half-spectrum columns
/// `0..cols` and, of each, the FFT-order rows in `rows` (`len` of them), the offsets within the
/// support's row extent. Outside, the OTF computed through FFTs holds only rounding noise (about
/// 1e-17 of its peak), which DeepTrack2 multiplies in and this leaves out.
pub(super) struct OtfBand {
    pub cols: usize,
    pub rows: [Range<usize>; 2],
    pub len: usize,
}

impl OtfBand {
    fn of(p: &Params) -> OtfBand {
        let g = PupilGrid::of(p);
        let [n0, n1] = g.n;
        let (mut lo, mut hi) = ([usize::MAX; 2], [0usize; 2]);
        for i in g.candidates(0) {
            for j in g.candidates(1) {
                if g.at(i, j).1 {
                    (lo, hi) = ([lo[0].min(i), lo[1].min(j)], [hi[0].max(i), hi[1].max(j)]);
                }
            }
        }
        if lo[0] > hi[0] {
            return OtfBand { cols: 0, rows: [0..0, 0..0], len: 0 };
        }
        let (w0, w1) = (hi[0] - lo[0], hi[1] - lo[1]);
        // Offsets -w0..=w0, in FFT order (the second range empty when they cover the grid).
        let rows = if 2 * w0 + 1 >= n0 { [0..n0, n0..n0] } else { [0..w0 + 1, n0 - w0..n0] };
        let len = rows.iter().map(|r| r.len()).sum();
        OtfBand { cols: (w1 + 1).min(n1 / 2 + 1), rows, len }
    }
}

/// DeepTrack2's pupil on an `n0 × n1` FFT grid: at centred index `(i, j)`, `ρ² = x² + y²` with `x = (i -
/// n0/2) / r0 + 1e-8` (and `y` alike), inside where `ρ² < 1`, with the defocus phase per z-pixel `kz =
/// k·√(1 − (NA/n)²·ρ²)` (0 where the wave is evanescent); `fftshift` moves it to FFT order.
struct PupilGrid {
    n: [usize; 2],
    r: [f64; 2],
    c: f64,
    k: f64,
}

impl PupilGrid {
    fn of(p: &Params) -> PupilGrid {
        let n = p.grid;
        let r = [0, 1].map(|axis| radius(p.na, p.wavelength, p.voxel[axis], n[axis]));
        let na_n = p.na / p.n_medium;
        PupilGrid { n, r, c: na_n * na_n, k: 2.0 * PI * p.n_medium / p.wavelength * p.voxel[2] }
    }

    /// The pupil at centred index `(i, j)`: its FFT-order indices, whether it is inside, and `kz`.
    fn at(&self, i: usize, j: usize) -> ([usize; 2], bool, f64) {
        let [n0, n1] = self.n;
        let x = (i as f64 - n0 as f64 / 2.0) / self.r[0] + 1e-8;
        let y = (j as f64 - n1 as f64 / 2.0) / self.r[1] + 1e-8;
        let rho = y * y + x * x;
        let arg = 1.0 - self.c * rho;
        // fftshift rolls by n/2 (rounded down).
        let at = [(i + n0 / 2) % n0, (j + n1 / 2) % n1];
        (at, rho < 1.0, if arg > 0.0 { self.k * arg.sqrt() } else { 0.0 })
    }

    /// The pupil with the aberrations `steps` applied, on the box of the candidates (see
    /// [`PupilGrid::candidates`]).
    fn aberrated(&self, steps: &[Step]) -> Result<PupilField> {
        let (rows, cols) = (self.candidates(0), self.candidates(1));
        let mut values = fft::zeros(rows.len() * cols.len())?;
        for (a, i) in rows.clone().enumerate() {
            for (b, j) in cols.clone().enumerate() {
                if self.at(i, j).1 {
                    values[a * cols.len() + b] = Complex64::new(1.0, 0.0);
                }
            }
        }
        let mut field = PupilField { n: self.n, rows, cols, values };
        Attachments::aberrate(steps, &mut field)?;
        Ok(field)
    }

    /// The band of [`Pupil::band`]: the candidates' offsets (rows, columns) that hold at least one
    /// point inside.
    fn band_indices(&self) -> (Vec<usize>, Vec<usize>) {
        let (ci, cj) = (self.candidates(0), self.candidates(1));
        let (ni, nj) = (ci.len(), cj.len());
        let inside: Vec<bool> =
            (0..ni * nj).map(|at| self.at(ci.start + at / nj.max(1), cj.start + at % nj.max(1)).1).collect();
        let rows: Vec<usize> = (0..ni).filter(|&i| (0..nj).any(|j| inside[i * nj + j])).collect();
        let cols: Vec<usize> = (0..nj).filter(|&j| (0..ni).any(|i| inside[i * nj + j])).collect();
        (rows, cols)
    }

    /// The centred indices along `axis` that can be inside: `x² < 1` needs `|i − n/2| < r (1 + 1e-8)`.
    fn candidates(&self, axis: usize) -> std::ops::Range<usize> {
        candidates(self.n[axis], self.r[axis])
    }
}

/// The pupil of the optics of `p` with the aberrations `steps` applied, on the box of the grid that
/// holds it (a callback among them runs here: call it where a resolve may run user code).
pub(super) fn aberrated(p: &Params, steps: &[Step]) -> Result<PupilField> {
    PupilGrid::of(p).aberrated(steps)
}

/// The radius, in grid steps, of the pupil of numerical aperture `na` at `wavelength` on an axis of
/// `n` points `voxel` meters apart (the pupil's support is `|i − n/2| < radius` along the axis).
pub(crate) fn radius(na: f64, wavelength: f64, voxel: f64, n: usize) -> f64 {
    na / wavelength * voxel * n as f64
}

/// The centred indices along an axis of `n` points that can be inside a pupil of `radius` grid steps
/// (see [`radius`]), with a margin: field scatterers compute their spectra there only.
pub(crate) fn candidates(n: usize, radius: f64) -> std::ops::Range<usize> {
    let lo = (n as f64 / 2.0 - radius - 2.0).floor().max(0.0) as usize;
    let hi = (n as f64 / 2.0 + radius + 2.0).ceil().min(n as f64) as usize;
    lo.min(n)..hi.max(lo.min(n))
}

/// The pupil on an FFT grid, or on the rows and columns of one where it is non-zero (see
/// [`Pupil::band`]): its support and the defocus phase per z-pixel, in FFT order (the aberrations'
/// factor on the band is [`OtfCache::band_factor`]'s).
pub(super) struct Pupil {
    pub support: Vec<bool>,
    kz: Vec<f64>,
}

impl PupilField {
    /// The pupil at centred index `(i, j)` (zero outside the box).
    fn at(&self, i: usize, j: usize) -> Complex64 {
        if self.rows.contains(&i) && self.cols.contains(&j) {
            self.values[(i - self.rows.start) * self.cols.len() + j - self.cols.start]
        } else {
            Complex64::new(0.0, 0.0)
        }
    }
}

impl Pupil {
    /// The pupil on the whole grid (row-major, FFT order): DeepTrack2's way, which the tests'
    /// reference renderer (reference.rs) follows; the optics use [`Pupil::band`].
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn new(p: &Params) -> Result<Pupil> {
        let g = PupilGrid::of(p);
        let [n0, n1] = g.n;
        let n = n0 * n1;
        let mut support = Vec::new();
        support.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the pupil"))?;
        support.resize(n, false);
        let mut kz = alloc_f64(n)?;
        for i in 0..n0 {
            for j in 0..n1 {
                let ([si, sj], inside, z) = g.at(i, j);
                support[si * n1 + sj] = inside;
                kz[si * n1 + sj] = z;
            }
        }
        Ok(Pupil { support, kz })
    }

    /// The pupil on its band: the grid rows `us` and columns `vs` (FFT order) that hold at least one
    /// point inside it, as a dense `us.len() × vs.len()` block (every point of the grid outside the
    /// block is outside the pupil). Costs the band, not the grid.
    pub fn band(p: &Params) -> Result<(Vec<usize>, Vec<usize>, Pupil)> {
        let g = PupilGrid::of(p);
        let (ci, cj) = (g.candidates(0), g.candidates(1));
        let at = |i: usize, j: usize| g.at(ci.start + i, cj.start + j);
        let (rows, cols) = g.band_indices();
        if rows.is_empty() || cols.is_empty() {
            // Only when the radius underflows to 0 (the centre is inside any positive radius). Blamed:
            // NA or wavelength, whichever shrinks the radius more from DeepTrack2's default (0.7,
            // 6.6e-7 m), in orders of magnitude.
            let key = if (0.7 / p.na).ln() > (p.wavelength / 0.66e-6).ln() { "NA" } else { "wavelength" };
            return Err(Error::invalid(format!(
                "the pupil holds no frequency of the grid: its radius (NA / wavelength · voxel size · grid \
                 size) is {:?} grid steps with NA {:?}, wavelength {:?} and voxel size {:?}",
                g.r, p.na, p.wavelength, p.voxel
            ))
            .in_property(key));
        }
        let mut support = Vec::new();
        let m = rows.len() * cols.len();
        support.try_reserve_exact(m).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the pupil"))?;
        let mut kz = alloc_f64(m)?;
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in cols.iter().enumerate() {
                let (_, inside, z) = at(i, j);
                support.push(inside);
                kz[a * cols.len() + b] = z;
            }
        }
        let us = rows.iter().map(|&i| at(i, 0).0[0]).collect();
        let vs = cols.iter().map(|&j| at(0, j).0[1]).collect();
        Ok((us, vs, Pupil { support, kz }))
    }

    /// The pupil defocused by `d` z-pixels: `P · exp(i·d·kz)` (without aberrations).
    pub fn fill(&self, d: f64, out: &mut [Complex64]) {
        for ((o, &inside), &kz) in out.iter_mut().zip(&self.support).zip(&self.kz) {
            *o = if inside {
                let phase = d * kz;
                Complex64::new(phase.cos(), phase.sin())
            } else {
                Complex64::new(0.0, 0.0)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;
    use crate::properties::PropertyDict;
    use crate::value::Value;

    fn params(mode: Mode, pupil: Vec<Step>) -> Params {
        let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let mut props = PropertyDict::new();
        for (k, v) in [
            ("NA", Value::Float(0.8)),
            ("wavelength", Value::Float(680e-9)),
            ("refractive_index_medium", Value::Float(1.33)),
            ("magnification", Value::Int(10)),
            ("resolution", Value::Float(1e-6)),
            ("padding", ints(&[8, 8, 8, 8])),
            ("output_region", ints(&[0, 0, 32, 40])),
            ("upscale", Value::Int(1)),
            ("return_field", Value::Bool(false)),
        ] {
            props.insert(k, v);
        }
        let mut p = Params::new(&props, mode).unwrap();
        let mut attachments = Attachments::default();
        for step in pupil {
            step.key(&mut attachments.pupil_key);
            attachments.pupil.push(step);
        }
        p.attachments = Arc::new(attachments);
        p
    }

    /// Per-pupil work is kept while the aberrations' numbers stay (even from another sample of them),
    /// and done again when they change; the brightfield band does not depend on them and stays.
    #[test]
    fn the_caches_follow_the_aberrations_numbers() {
        let cache = Lock::new(OtfCache::default());
        let defocus = |c: f64| vec![Step::Zernike(vec![(2, 0, c)])];
        let p = params(Mode::Fluorescence, defocus(0.5));
        let band = OtfCache::otf_band(&cache, &p);
        let otf = |p: &Params| OtfCache::get(&cache, p, &band, 3).unwrap();
        let first = otf(&p);
        assert!(Arc::ptr_eq(&first, &otf(&params(Mode::Fluorescence, defocus(0.5)))));
        let other = otf(&params(Mode::Fluorescence, defocus(-0.5)));
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(first.iter().zip(other.iter()).any(|(a, b)| (a - b).norm() > 1e-6));
        // Back to the first numbers: computed again, the same values.
        let again = otf(&p);
        assert!(!Arc::ptr_eq(&first, &again) && first == again);

        let cache = Lock::new(OtfCache::default());
        let p = params(Mode::Brightfield, defocus(0.5));
        let band = OtfCache::band(&cache, &p).unwrap();
        let back = OtfCache::back(&cache, &p, &band, 4).unwrap();
        let q = params(Mode::Brightfield, defocus(0.25));
        assert!(Arc::ptr_eq(&band, &OtfCache::band(&cache, &q).unwrap()));
        let other = OtfCache::back(&cache, &q, &band, 4).unwrap();
        assert!(!Arc::ptr_eq(&back, &other) && *back != *other);
        assert!(Arc::ptr_eq(&other, &OtfCache::back(&cache, &q, &band, 4).unwrap()));
    }
}
