//! The field a Mie particle scatters onto the optics' grid, as DeepTrack2 2.0.1's
//! `MieScatterer.get` computes it: the far field `-i/(kR)·e^{ikR}·(S2·S2coef + S1·S1coef)` evaluated
//! on a plane `offset_z` beyond the particle (points whose ray misses the objective's pupil are zero),
//! transformed, propagated back by `-offset_z - z` and shifted to the particle's position.

use std::f64::consts::PI;

use rustfft::num_complex::Complex64;

use super::harmonics;
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
}

/// The field (or its spectrum, `return_fft`) on `spec.grid`, row-major, for the Mie coefficients
/// `a`, `b` (orders 1..=L).
pub fn scattered_field(spec: &FieldSpec, a: &[Complex64], b: &[Complex64]) -> Result<Vec<Complex64>> {
    let [n0, n1] = spec.grid;
    let vox = spec.voxel;
    let l_max = a.len().min(b.len());
    let pos = [spec.position[0] * vox[0], spec.position[1] * vox[1]];
    let zm = spec.z * vox[2];
    let pupil_radius = spec.working_distance * spec.collection_angle.tan();
    let ratio = spec.offset_z / (spec.working_distance - zm);
    let rel = [spec.position_objective[0] - pos[0], spec.position_objective[1] - pos[1], spec.working_distance - zm];
    let plane = rel.map(|r| r * ratio);
    let k = 2.0 * PI / spec.wavelength * spec.n_medium;
    let weights: Vec<f64> = (1..=l_max).map(|l| (2 * l + 1) as f64 / (l * (l + 1)) as f64).collect();

    let mut field = fft::zeros(n0 * n1)?;
    // The points inside the pupil: index, R, φ and the cosine of the illuminated polar angle.
    let mut inside: Vec<(usize, f64, f64, f64)> = Vec::new();
    for i in 0..n0 {
        let x = (i as f64 - n0 as f64 / 2.0) * vox[0] + plane[0];
        for j in 0..n1 {
            let y = (j as f64 - n1 as f64 / 2.0) * vox[1] + plane[1];
            let z = plane[2];
            let r3 = (x * x + y * y + z * z).sqrt();
            let cos_theta = z / r3;
            let phi = y.atan2(x);
            let sin_theta = (1.0 - cos_theta * cos_theta).sqrt();
            let xf = pos[0] + r3 * sin_theta * phi.cos() / ratio;
            let yf = pos[1] + r3 * sin_theta * phi.sin() / ratio;
            let (dx, dy) = (xf - spec.position_objective[0], yf - spec.position_objective[1]);
            if dx * dx + dy * dy < pupil_radius * pupil_radius {
                let ill = (cos_theta.acos() + spec.illumination_angle).cos();
                inside.try_reserve(1).map_err(|_| oom())?;
                inside.push((i * n1 + j, r3, phi, ill));
            }
        }
    }
    let cosines: Vec<f64> = inside.iter().map(|p| p.3).collect();
    let (pi, tau) = harmonics(&cosines, l_max)?;
    let n = inside.len();
    for (q, &(index, r3, phi, ill)) in inside.iter().enumerate() {
        let (mut s1c, mut s2c) = match spec.input_polarization {
            Polarization::Angle(angle) => ((phi + angle).sin(), (phi + angle).cos()),
            Polarization::Circular => (0.5, 0.5),
        };
        if let Some(out) = spec.output_polarization {
            s1c *= (phi + out).sin();
            s2c *= (phi + out).cos() * ill;
        }
        let (mut s1, mut s2) = (Complex64::new(0.0, 0.0), Complex64::new(0.0, 0.0));
        for l in 0..l_max {
            let (p, t) = (pi[l * n + q], tau[l * n + q]);
            s1 += weights[l] * a[l] * p + weights[l] * b[l] * t;
            s2 += weights[l] * b[l] * p + weights[l] * a[l] * t;
        }
        let spherical = Complex64::new(0.0, -1.0) / (k * r3) * Complex64::from_polar(1.0, k * r3);
        field[index] = spherical * (s2 * s2c + s1 * s1c) / spec.amp_factor;
    }
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
    let mut transform = Fft2::new(n0, n1)?;
    transform.forward(&mut field);
    propagate(spec, &mut field, ratio, rel, pos, k);
    if !spec.return_fft {
        transform.inverse(&mut field);
    }
    Ok(field)
}

/// Multiplies the spectrum by DeepTrack2's propagation matrix (`get_propagation_matrix`, to
/// `-offset_z - z`, shifted to the particle) and `e^{-ik·offset_z}`.
fn propagate(spec: &FieldSpec, spectrum: &mut [Complex64], ratio: f64, rel: [f64; 3], pos: [f64; 2], k: f64) {
    let [n0, n1] = spec.grid;
    let vox = spec.voxel;
    let k_medium = 2.0 * PI / (spec.wavelength / spec.n_medium);
    let to_z = -spec.offset_z - spec.z * vox[2];
    let dy = rel[0] * ratio + pos[0] + (spec.padding[0] - n0 as f64 / 2.0) * vox[0];
    let dx = rel[1] * ratio + pos[1] + (spec.padding[1] - n1 as f64 / 2.0) * vox[1];
    let pixel = vox[2];
    // The frequency of (fftshifted) index `i` on an axis of `n` points.
    let freq = |i: usize, n: usize| {
        let unshifted = (i + n - n / 2) % n;
        let v = unshifted as f64 - n as f64 / 2.0 + (n % 2) as f64 / 2.0;
        2.0 * PI / pixel * v / n as f64 / k_medium
    };
    let back = Complex64::from_polar(1.0, -k * spec.offset_z);
    for i in 0..n0 {
        let ky = freq(i, n0);
        for j in 0..n1 {
            let kx = freq(j, n1);
            let s = kx * kx + ky * ky;
            let v = &mut spectrum[i * n1 + j];
            if s < 1.0 {
                let kz = (1.0 - s).sqrt();
                let phase = k_medium * (to_z * (kz - 1.0) - dx * kx - dy * ky);
                *v *= Complex64::from_polar(1.0, phase) * back;
            } else {
                *v = Complex64::new(0.0, 0.0);
            }
        }
    }
}

fn oom() -> Error {
    Error::new(ErrorKind::OutOfMemory, "cannot allocate the Mie field's points")
}
