//! The field a Mie particle scatters onto the optics' grid, as DeepTrack2 2.0.1's
//! `MieScatterer.get` computes it: the far field `-i/(kR)·e^{ikR}·(S2·S2coef + S1·S1coef)` evaluated
//! on a plane `offset_z` beyond the particle (points whose ray misses the objective's pupil are zero),
//! transformed, propagated back by `-offset_z - z` and shifted to the particle's position.

use std::f64::consts::PI;

use rustfft::num_complex::Complex64;

use super::cis::cis;
use crate::error::{Error, ErrorKind, Result};
use crate::fft::{self, Fft2};

/// The polarization of the light before the particle (`input_polarization`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Polarization {
    /// Linear, at this angle in radians.
    Angle(f64),
    /// `"circular"`: both coefficients 1/2.
    Circular,
}

/// Everything the field depends on besides the Mie coefficients. Lengths in meters unless said.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// The FFT grid (rows, columns).
    pub grid: [usize; 2],
    /// The padding before the rows and before the columns, in simulation pixels.
    pub padding: [f64; 2],
    /// The simulation voxel size per axis.
    pub voxel: [f64; 3],
    /// The wavelength in vacuum.
    pub wavelength: f64,
    /// The refractive index of the medium.
    pub n_medium: f64,
    /// The particle's row and column, in simulation pixels (multiplied by the voxel size).
    pub position: [f64; 2],
    /// The particle's z, in simulation pixels (multiplied by the z voxel size).
    pub z: f64,
    /// The largest collection angle in radians.
    pub collection_angle: f64,
    /// The distance beyond the particle where the far field is evaluated.
    pub offset_z: f64,
    /// The distance from the particle's plane to the objective.
    pub working_distance: f64,
    /// The objective's lateral position.
    pub position_objective: [f64; 2],
    /// The polarization before the particle.
    pub input_polarization: Polarization,
    /// The angle of the polarizer after the particle, if any.
    pub output_polarization: Option<f64>,
    /// The illumination's tilt in radians.
    pub illumination_angle: f64,
    /// The field is divided by it.
    pub amp_factor: f64,
    /// Whether the field is multiplied by `e^{i(kz + π/2)}` (iSCAT).
    pub phase_shift_correction: bool,
    /// The coherence length in camera pixels (DeepTrack2's unit for it), if the light is partially
    /// coherent. The Gaussian window's width is `z·sqrt((c/z + 1)² − 1)·offset_z/z` with `z` in meters,
    /// as DeepTrack2 2.0.1 computes it.
    pub coherence_length: Option<f64>,
    /// Whether the spectrum is returned rather than the field.
    pub return_fft: bool,
    /// With `return_fft`, where the spectrum is wanted: the centred (fftshifted) indices `[start,
    /// end)` of the rows and of the columns; it is left zero elsewhere. The optics read a field's
    /// spectrum only on their pupil's band, a few percent of the grid. `None`: everywhere.
    pub band: Option<[[usize; 2]; 2]>,
}

/// The field (or its spectrum, `return_fft`) on `spec.grid`, row-major, for the Mie coefficients
/// `a`, `b` (orders 1..=L).
pub fn scattered_field(spec: &FieldSpec, a: &[Complex64], b: &[Complex64]) -> Result<Vec<Complex64>> {
    let [n0, n1] = spec.grid;
    let vox = spec.voxel;
    let pos = [spec.position[0] * vox[0], spec.position[1] * vox[1]];
    let zm = spec.z * vox[2];
    let ratio = spec.offset_z / (spec.working_distance - zm);
    let rel = [spec.position_objective[0] - pos[0], spec.position_objective[1] - pos[1], spec.working_distance - zm];
    let k = 2.0 * PI / spec.wavelength * spec.n_medium;

    let mut field = fft::zeros(n0 * n1)?;
    far_field(spec, a, b, ratio, rel, pos, k, &mut field)?;
    if spec.phase_shift_correction {
        let shift = Complex64::from_polar(1.0, k * zm + PI / 2.0);
        field.iter_mut().for_each(|f| *f *= shift);
    }
    if let Some(length) = spec.coherence_length.filter(|&c| c != 0.0) {
        let sigma = zm * ((length / zm + 1.0).powi(2) - 1.0).sqrt() * (spec.offset_z / zm);
        // numpy's ogrid[-n//2 : n//2]: floor division.
        let (r0, c0) = (-((n0 as f64 / 2.0).ceil()), -((n1 as f64 / 2.0).ceil()));
        for i in 0..n0 {
            let y = r0 + i as f64;
            for j in 0..n1 {
                let x = c0 + j as f64;
                field[i * n1 + j] *= (-0.5 * (x * x + y * y) / (sigma * sigma)).exp();
            }
        }
    }
    let propagation = Propagation::new(spec, ratio, rel, pos, k);
    match spec.band.filter(|_| spec.return_fft) {
        Some(band) => {
            // Only the band's rows and columns of the spectrum, in FFT order (fftshift of the centred ones).
            let at = |range: [usize; 2], n: usize| (range[0]..range[1].min(n)).map(|i| (i + n / 2) % n).collect();
            let (us, vs): (Vec<usize>, Vec<usize>) = (at(band[0], n0), at(band[1], n1));
            forward_on_band(&mut field, spec.grid, &us, &vs, &propagation)?;
        }
        None => {
            let mut transform = Fft2::new(n0, n1)?;
            transform.forward(&mut field);
            let (us, vs): (Vec<usize>, Vec<usize>) = ((0..n0).collect(), (0..n1).collect());
            let mut rows = Rows::new(&us, &vs, &propagation)?;
            for (a, &u) in us.iter().enumerate() {
                rows.apply(a, &mut field[u * n1..(u + 1) * n1], |b| b);
            }
            if !spec.return_fft {
                transform.inverse(&mut field);
            }
        }
    }
    Ok(field)
}

/// Writes DeepTrack2's far field `-i/(kR)·e^{ikR}·(S2·S2coef + S1·S1coef) / amp_factor` on the plane
/// `offset_z` beyond the particle into `field` (zero where the ray misses the objective's pupil), a
/// row of the grid at a time: the angles from the coordinates (`cos φ = x/ρ`, `cos θ = z/R`, and
/// their sums with the polarization and illumination angles by the addition formulas, where
/// DeepTrack2 takes `arctan2`, `arccos` and `cos` of each pixel), the harmonics' recurrence summed
/// order by order across the row, and `e^{ikR}` by [`cis`]; each pass over a row is branch-free so
/// that it vectorises (with AVX2 and FMA when the CPU has them).
#[allow(clippy::too_many_arguments)]
fn far_field(
    spec: &FieldSpec,
    a: &[Complex64],
    b: &[Complex64],
    ratio: f64,
    rel: [f64; 3],
    pos: [f64; 2],
    k: f64,
    field: &mut [Complex64],
) -> Result<()> {
    let l_max = a.len().min(b.len());
    let plane = rel.map(|r| r * ratio);
    // The harmonics' weights times the coefficients, and the recurrence's factors per order.
    let weight = |l: usize| (2 * l + 1) as f64 / (l * (l + 1)) as f64;
    let orders = (1..=l_max)
        .map(|l| {
            let f = l as f64;
            let (wa, wb) = (weight(l) * a[l - 1], weight(l) * b[l - 1]);
            let (ca, cb) = if l >= 2 { ((2.0 * f - 1.0) / (f - 1.0), f / (f - 1.0)) } else { (0.0, 0.0) };
            Order { wa, wb, ca, cb, f }
        })
        .collect();
    let geometry = Geometry {
        n: spec.grid,
        voxel: [spec.voxel[0], spec.voxel[1]],
        plane,
        pos,
        ratio,
        objective: spec.position_objective,
        pupil_r2: (spec.working_distance * spec.collection_angle.tan()).powi(2),
        ill: (spec.illumination_angle.cos(), spec.illumination_angle.sin()),
        input: match spec.input_polarization {
            Polarization::Angle(angle) => Some((angle.cos(), angle.sin())),
            Polarization::Circular => None,
        },
        output: spec.output_polarization.map(|o| (o.cos(), o.sin())),
        k,
        inv_amp: 1.0 / spec.amp_factor,
        orders,
    };
    let mut row = RowBuffers::new(spec.grid[1])?;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (detected just above), all `rows_avx2` requires.
            unsafe { rows_avx2(&geometry, &mut row, field) };
            return Ok(());
        }
    }
    rows(&geometry, &mut row, field);
    Ok(())
}

/// One order of the field's sum: `w·a_l`, `w·b_l` and the recurrence's factors.
struct Order {
    wa: Complex64,
    wb: Complex64,
    ca: f64,
    cb: f64,
    f: f64,
}

/// What [`far_field`] needs per pixel.
struct Geometry {
    n: [usize; 2],
    voxel: [f64; 2],
    plane: [f64; 3],
    pos: [f64; 2],
    ratio: f64,
    objective: [f64; 2],
    pupil_r2: f64,
    /// cos and sin of the illumination angle, of the input and output polarizations.
    ill: (f64, f64),
    input: Option<(f64, f64)>,
    output: Option<(f64, f64)>,
    k: f64,
    inv_amp: f64,
    orders: Vec<Order>,
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2(g: &Geometry, b: &mut RowBuffers, field: &mut [Complex64]) {
    rows(g, b, field);
}

#[inline(always)]
fn rows(g: &Geometry, buffers: &mut RowBuffers, field: &mut [Complex64]) {
    let [n0, n1] = g.n;
    let z = g.plane[2];
    let RowBuffers { ill, c1, c2, inv_kr, inside, pi0, pi1, s1r, s1i, s2r, s2i, phase, re, im, cphi, sphi } = buffers;
    let (ill, c1, c2, inv_kr, inside) =
        (&mut ill[..n1], &mut c1[..n1], &mut c2[..n1], &mut inv_kr[..n1], &mut inside[..n1]);
    let (pi0, pi1, s1r, s1i) = (&mut pi0[..n1], &mut pi1[..n1], &mut s1r[..n1], &mut s1i[..n1]);
    let (s2r, s2i, phase, re, im) = (&mut s2r[..n1], &mut s2i[..n1], &mut phase[..n1], &mut re[..n1], &mut im[..n1]);
    let (cphi, sphi) = (&mut cphi[..n1], &mut sphi[..n1]);
    for (i, out) in field.chunks_exact_mut(n1).take(n0).enumerate() {
        let x = (i as f64 - n0 as f64 / 2.0) * g.voxel[0] + g.plane[0];
        let dx = g.pos[0] + x / g.ratio - g.objective[0];
        for j in 0..n1 {
            let y = (j as f64 - n1 as f64 / 2.0) * g.voxel[1] + g.plane[1];
            let rho2 = x * x + y * y;
            let r = (rho2 + z * z).sqrt();
            let rho = rho2.sqrt();
            // φ = arctan2(y, x): 0 on the axis.
            let on_axis = rho == 0.0;
            let inv_rho = 1.0 / if on_axis { 1.0 } else { rho };
            cphi[j] = if on_axis { 1.0 } else { x * inv_rho };
            sphi[j] = if on_axis { 0.0 } else { y * inv_rho };
            let inv_r = 1.0 / r;
            // cos(θ + illumination_angle), the harmonics' argument.
            ill[j] = z * inv_r * g.ill.0 - rho * inv_r * g.ill.1;
            // Where the ray through the point meets the objective's plane.
            let dy = g.pos[1] + y / g.ratio - g.objective[1];
            inside[j] = if dx * dx + dy * dy < g.pupil_r2 { 1.0 } else { 0.0 };
            phase[j] = g.k * r;
            inv_kr[j] = g.inv_amp / (g.k * r);
        }
        match g.input {
            // sin(φ + angle), cos(φ + angle).
            Some((ca, sa)) => {
                for j in 0..n1 {
                    (c1[j], c2[j]) = (sphi[j] * ca + cphi[j] * sa, cphi[j] * ca - sphi[j] * sa);
                }
            }
            None => {
                c1.fill(0.5);
                c2.fill(0.5);
            }
        }
        if let Some((co, so)) = g.output {
            for j in 0..n1 {
                c1[j] *= sphi[j] * co + cphi[j] * so;
                c2[j] *= (cphi[j] * co - sphi[j] * so) * ill[j];
            }
        }
        // S1 = Σ wa·π + wb·τ, S2 = Σ wb·π + wa·τ, with π₀ = 0, π₁ = 1, τ₁ = x and
        // π_l = (2l−1)/(l−1)·x·π_{l−1} − l/(l−1)·π_{l−2}, τ_l = l·x·π_l − (l+1)·π_{l−1}.
        for v in [&mut *s1r, &mut *s1i, &mut *s2r, &mut *s2i, &mut *pi0] {
            v.fill(0.0);
        }
        for (l, o) in g.orders.iter().enumerate() {
            let (war, wai, wbr, wbi) = (o.wa.re, o.wa.im, o.wb.re, o.wb.im);
            if l == 0 {
                for j in 0..n1 {
                    let (p, t) = (1.0, ill[j]);
                    pi1[j] = p;
                    s1r[j] += war * p + wbr * t;
                    s1i[j] += wai * p + wbi * t;
                    s2r[j] += wbr * p + war * t;
                    s2i[j] += wbi * p + wai * t;
                }
                continue;
            }
            for j in 0..n1 {
                let x = ill[j];
                let p = o.ca * x * pi1[j] - o.cb * pi0[j];
                let t = o.f * x * p - (o.f + 1.0) * pi1[j];
                pi0[j] = pi1[j];
                pi1[j] = p;
                s1r[j] += war * p + wbr * t;
                s1i[j] += wai * p + wbi * t;
                s2r[j] += wbr * p + war * t;
                s2i[j] += wbi * p + wai * t;
            }
        }
        super::cis::kernel(phase, re, im);
        for (j, o) in out.iter_mut().enumerate() {
            // (S2·S2coef + S1·S1coef) · (−i)·e^{ikR} / (kR) / amp_factor.
            let (sr, si) = (s2r[j] * c2[j] + s1r[j] * c1[j], s2i[j] * c2[j] + s1i[j] * c1[j]);
            let (er, ei) = (im[j] * inv_kr[j], -re[j] * inv_kr[j]);
            let v = Complex64::new(sr * er - si * ei, sr * ei + si * er);
            *o = if inside[j] != 0.0 { v } else { Complex64::new(0.0, 0.0) };
        }
    }
}

/// The per-pixel work buffers of a row of [`far_field`].
struct RowBuffers {
    ill: Vec<f64>,
    c1: Vec<f64>,
    c2: Vec<f64>,
    inv_kr: Vec<f64>,
    inside: Vec<f64>,
    pi0: Vec<f64>,
    pi1: Vec<f64>,
    s1r: Vec<f64>,
    s1i: Vec<f64>,
    s2r: Vec<f64>,
    s2i: Vec<f64>,
    phase: Vec<f64>,
    re: Vec<f64>,
    im: Vec<f64>,
    cphi: Vec<f64>,
    sphi: Vec<f64>,
}

impl RowBuffers {
    fn new(n: usize) -> Result<RowBuffers> {
        let f = || crate::buffer::zeroed(n).map_err(|_| oom());
        Ok(RowBuffers {
            ill: f()?,
            c1: f()?,
            c2: f()?,
            inv_kr: f()?,
            inside: f()?,
            pi0: f()?,
            pi1: f()?,
            s1r: f()?,
            s1i: f()?,
            s2r: f()?,
            s2i: f()?,
            phase: f()?,
            re: f()?,
            im: f()?,
            cphi: f()?,
            sphi: f()?,
        })
    }
}

/// The numbers of DeepTrack2's propagation matrix (`get_propagation_matrix`, to `-offset_z - z`,
/// shifted to the particle) times `e^{-ik·offset_z}`.
struct Propagation {
    n: [usize; 2],
    pixel: f64,
    k_medium: f64,
    to_z: f64,
    /// The shift along the rows and along the columns.
    shift: [f64; 2],
    back: Complex64,
}

impl Propagation {
    fn new(spec: &FieldSpec, ratio: f64, rel: [f64; 3], pos: [f64; 2], k: f64) -> Propagation {
        let [n0, n1] = spec.grid;
        let vox = spec.voxel;
        Propagation {
            n: spec.grid,
            pixel: vox[2],
            k_medium: 2.0 * PI / (spec.wavelength / spec.n_medium),
            to_z: -spec.offset_z - spec.z * vox[2],
            shift: [
                rel[0] * ratio + pos[0] + (spec.padding[0] - n0 as f64 / 2.0) * vox[0],
                rel[1] * ratio + pos[1] + (spec.padding[1] - n1 as f64 / 2.0) * vox[1],
            ],
            back: Complex64::from_polar(1.0, -k * spec.offset_z),
        }
    }

    /// The frequency (in units of `k_medium`) of FFT-order index `i` on axis `axis`.
    fn freq(&self, i: usize, axis: usize) -> f64 {
        let n = self.n[axis];
        let unshifted = (i + n - n / 2) % n;
        let v = unshifted as f64 - n as f64 / 2.0 + (n % 2) as f64 / 2.0;
        2.0 * PI / self.pixel * v / n as f64 / self.k_medium
    }
}

/// The propagation applied row by row on rows `us` and columns `vs` (FFT order): the shifts'
/// phases are per row and per column, the defocus phase per point.
struct Rows {
    ky: Vec<f64>,
    kx: Vec<f64>,
    /// `e^{-i·k·shift_rows·ky}·back` per row, `e^{-i·k·shift_columns·kx}` per column.
    row_factor: Vec<Complex64>,
    col_factor: Vec<Complex64>,
    k_medium: f64,
    to_z: f64,
    phase: Vec<f64>,
    re: Vec<f64>,
    im: Vec<f64>,
}

impl Rows {
    fn new(us: &[usize], vs: &[usize], p: &Propagation) -> Result<Rows> {
        let ky: Vec<f64> = us.iter().map(|&u| p.freq(u, 0)).collect();
        let kx: Vec<f64> = vs.iter().map(|&v| p.freq(v, 1)).collect();
        let row_factor =
            ky.iter().map(|&ky| Complex64::from_polar(1.0, -p.k_medium * p.shift[0] * ky) * p.back).collect();
        let col_factor = kx.iter().map(|&kx| Complex64::from_polar(1.0, -p.k_medium * p.shift[1] * kx)).collect();
        let f = || crate::buffer::zeroed(vs.len()).map_err(|_| oom());
        Ok(Rows { ky, kx, row_factor, col_factor, k_medium: p.k_medium, to_z: p.to_z, phase: f()?, re: f()?, im: f()? })
    }

    /// Multiplies `row` (band row `a`) at `index(b)` for band column `b` by the propagation, and
    /// zeroes where the wave is evanescent.
    fn apply(&mut self, a: usize, row: &mut [Complex64], index: impl Fn(usize) -> usize) {
        let ky = self.ky[a];
        for (b, &kx) in self.kx.iter().enumerate() {
            let s = kx * kx + ky * ky;
            self.phase[b] = if s < 1.0 { self.k_medium * self.to_z * ((1.0 - s).sqrt() - 1.0) } else { 0.0 };
        }
        cis(&self.phase, &mut self.re, &mut self.im);
        let rf = self.row_factor[a];
        for (b, &kx) in self.kx.iter().enumerate() {
            let v = &mut row[index(b)];
            if kx * kx + ky * ky < 1.0 {
                *v *= Complex64::new(self.re[b], self.im[b]) * (self.col_factor[b] * rf);
            } else {
                *v = Complex64::new(0.0, 0.0);
            }
        }
    }
}

/// The spectrum of `field` (`grid` rows × columns) with the propagation applied, on rows `us` and
/// columns `vs` (FFT order) only, zero elsewhere, in place: the rows' transforms, then those of the
/// band's columns alone.
fn forward_on_band(
    field: &mut [Complex64],
    grid: [usize; 2],
    us: &[usize],
    vs: &[usize],
    propagation: &Propagation,
) -> Result<()> {
    let [n0, n1] = grid;
    let (row_forward, col_forward) = {
        let mut guard = fft::planner();
        let planner = guard.get_or_insert_with(rustfft::FftPlanner::new);
        (planner.plan_fft_forward(n1), planner.plan_fft_forward(n0))
    };
    let mut scratch = fft::zeros(row_forward.get_inplace_scratch_len().max(col_forward.get_inplace_scratch_len()))?;
    row_forward.process_with_scratch(field, &mut scratch);
    // The band's columns, one after the other, transformed along the rows' axis.
    let mut columns = fft::zeros(vs.len() * n0)?;
    for (column, &v) in columns.chunks_exact_mut(n0).zip(vs) {
        for (c, r) in column.iter_mut().zip(0..n0) {
            *c = field[r * n1 + v];
        }
    }
    if !columns.is_empty() {
        col_forward.process_with_scratch(&mut columns, &mut scratch);
    }
    field.iter_mut().for_each(|f| *f = Complex64::new(0.0, 0.0));
    let mut rows = Rows::new(us, vs, propagation)?;
    let mut band_row = fft::zeros(vs.len())?;
    for (a, &u) in us.iter().enumerate() {
        for (slot, column) in band_row.iter_mut().zip(columns.chunks_exact(n0)) {
            *slot = column[u];
        }
        rows.apply(a, &mut band_row, |b| b);
        for (&v, &value) in vs.iter().zip(&band_row) {
            field[u * n1 + v] = value;
        }
    }
    Ok(())
}

fn oom() -> Error {
    Error::new(ErrorKind::OutOfMemory, "cannot allocate the Mie field's points")
}
