//! A dense rendering, step by step as DeepTrack2 2.0.1 does it (docs/deeptrack2-rendering.md §4–§6):
//! every scatterer's padded array materialised, the window volume filled, every plane transformed on
//! the whole FFT grid. Slow and simple; tests compare the optics' fast paths with it.

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::com::reference::{center_of_mass, padded};
use super::pupil::Pupil;
use super::volume::{corner, taps};
use super::{Mode, Params};
use crate::fft::Fft2;
use crate::image::Image;
use crate::value::Value;

/// The image the optics `p` (in `mode`) make of the sample images `inputs`.
pub(super) fn render(inputs: &[Image], p: &Params, mode: Mode) -> ArrayD<f64> {
    let (vol, z0, planes) = volume(inputs, p);
    let [rows, cols] = p.window;
    let [n0, n1] = p.grid;
    let plane = |k: usize| -> Vec<Complex64> {
        let mut g = vec![Complex64::new(0.0, 0.0); n0 * n1];
        for r in 0..rows {
            for c in 0..cols {
                g[r * n1 + c] = vol[(r * cols + c) * planes + k];
            }
        }
        g
    };
    let empty = |k: usize| (0..rows * cols).all(|i| vol[i * planes + k] == Complex64::new(0.0, 0.0));
    let mut fft = Fft2::new(n0, n1).unwrap();
    let pupil = Pupil::new(p).unwrap();
    let mut window = vec![Complex64::new(0.0, 0.0); rows * cols];
    match mode {
        Mode::Fluorescence => {
            for k in (0..planes).filter(|&k| !empty(k)) {
                let mut otf = vec![Complex64::new(0.0, 0.0); n0 * n1];
                pupil.fill((z0 + k as i64) as f64, &mut otf);
                fft.inverse(&mut otf);
                otf.iter_mut().for_each(|v| *v = Complex64::new(v.norm_sqr(), 0.0));
                fft.forward(&mut otf);
                let mut g = plane(k);
                fft.forward(&mut g);
                g.iter_mut().zip(&otf).for_each(|(a, b)| *a *= b);
                fft.inverse(&mut g);
                for r in 0..rows {
                    for c in 0..cols {
                        window[r * cols + c] += Complex64::new(g[r * n1 + c].re, 0.0);
                    }
                }
            }
        }
        Mode::Brightfield => {
            let mut step = vec![Complex64::new(0.0, 0.0); n0 * n1];
            pupil.fill(1.0, &mut step);
            let mut light = vec![Complex64::new(0.0, 0.0); n0 * n1];
            light[0] = Complex64::new((n0 * n1) as f64, 0.0);
            let k_medium = 2.0 * std::f64::consts::PI / p.wavelength * p.n_medium;
            for k in 0..planes {
                light.iter_mut().zip(&step).for_each(|(a, b)| *a *= b);
                if empty(k) {
                    continue;
                }
                fft.inverse(&mut light);
                let g = plane(k);
                for (l, dn) in light.iter_mut().zip(&g) {
                    // exp(i·Δn·voxel·k), Δn complex for an absorbing scatterer.
                    *l *= (Complex64::i() * dn * (p.voxel[2] * k_medium)).exp();
                }
                fft.forward(&mut light);
            }
            let mut back = vec![Complex64::new(0.0, 0.0); n0 * n1];
            pupil.fill(-((z0 + planes as i64) as f64), &mut back);
            light.iter_mut().zip(&back).for_each(|(a, b)| *a *= b);
            fft.inverse(&mut light);
            for r in 0..rows {
                for c in 0..cols {
                    window[r * cols + c] = light[r * n1 + c];
                }
            }
        }
    }
    // Crop the padding, average the upscale blocks.
    let (top, left) = (p.padding[0] as usize, p.padding[1] as usize);
    let (h, w) = ((p.region[2] - p.region[0]) as usize, (p.region[3] - p.region[1]) as usize);
    let [ux, uy] = p.pool;
    let (ph, pw) = (h.div_ceil(ux), w.div_ceil(uy));
    let pool = |f: &dyn Fn(Complex64) -> f64| -> Vec<f64> {
        let mut out = vec![0.0; ph * pw];
        for y in 0..h {
            for x in 0..w {
                out[(y / ux) * pw + x / uy] += f(window[(top + y) * cols + left + x]);
            }
        }
        out.iter_mut().for_each(|v| *v /= (ux * uy) as f64);
        out
    };
    match (mode, p.return_field) {
        (Mode::Brightfield, true) => {
            let (re, im) = (pool(&|v| v.re), pool(&|v| v.im));
            let data = re.into_iter().zip(im).flat_map(|(a, b)| [a, b]).collect();
            ArrayD::from_shape_vec(IxDyn(&[ph, pw, 1, 2]), data).unwrap()
        }
        (Mode::Brightfield, false) => ArrayD::from_shape_vec(IxDyn(&[ph, pw, 1]), pool(&|v| v.norm_sqr())).unwrap(),
        (Mode::Fluorescence, _) => ArrayD::from_shape_vec(IxDyn(&[ph, pw, 1]), pool(&|v| v.re)).unwrap(),
    }
}

/// `_create_volume`, `_pad_volume` and the window crop, dense: the window's volume (rows × columns ×
/// planes, C order; complex, as DeepTrack2's), the z of its plane 0, and its number of planes.
fn volume(inputs: &[Image], p: &Params) -> (Vec<Complex64>, i64, usize) {
    let s = p.scale;
    let bounds = p.region.map(|v| v as f64);
    let mut limits: Option<[[i64; 2]; 3]> = None;
    let mut placed = Vec::new();
    for img in inputs {
        let shape: [usize; 3] = img.shape().try_into().unwrap();
        let pos = img.get_property("position").unwrap().to_f64_vec().unwrap();
        let z = match img.get_property("z") {
            None | Some(Value::None) => 0.0,
            Some(v) => v.as_f64().unwrap(),
        };
        let number = |key: &str| img.get_property(key).and_then(|v| v.as_complex().ok());
        let value = if let Some((i, _)) = number("intensity") {
            Complex64::new(i * (s[0] * s[1] / s[2]), 0.0)
        } else if let Some((n, k)) = number("refractive_index") {
            Complex64::new(n - p.n_medium, k)
        } else {
            Complex64::new(number("value").unwrap().0, 0.0)
        };
        let mask = img.as_slice();
        let com = if mask.is_empty() { [0.0; 3] } else { center_of_mass(mask, shape) };
        let first = corner(&pos, z, com, s);
        if limits.is_none() {
            limits = Some(first.map(|c| [c.floor() as i64, c.floor() as i64 + 1]));
        }
        if first[0] + (shape[0] as f64) < bounds[0]
            || first[0] > bounds[2]
            || first[1] + (shape[1] as f64) < bounds[1]
            || first[1] > bounds[3]
        {
            continue;
        }
        let (a, pshape) = padded(mask, shape, value.re, 2);
        let (b, _) = padded(mask, shape, value.im, 2);
        let c = corner(&pos, z, center_of_mass(&padded(mask, shape, value.norm(), 2).0, pshape), s);
        let (xo, yo) = (c[0] - c[0].floor(), c[1] - c[1].floor());
        // scipy.ndimage.convolve with the bilinear kernel, summed in scipy's order.
        let taps = taps(xo, yo);
        let mut data = vec![Complex64::new(0.0, 0.0); a.len()];
        for i in 0..pshape[0] {
            for j in 0..pshape[1] {
                for k in 0..pshape[2] {
                    // The real and imaginary parts convolved apart, as DeepTrack2 does.
                    let (mut re, mut im) = (0.0, 0.0);
                    for &(w, di, dj) in &taps {
                        if i >= di && j >= dj {
                            re += w * a[((i - di) * pshape[1] + j - dj) * pshape[2] + k];
                            im += w * b[((i - di) * pshape[1] + j - dj) * pshape[2] + k];
                        }
                    }
                    let acc = Complex64::new(re, im);
                    data[(i * pshape[1] + j) * pshape[2] + k] = acc;
                }
            }
        }
        let c = c.map(|v| v.floor() as i64);
        let lim = limits.as_mut().unwrap();
        for axis in 0..3 {
            lim[axis] = [lim[axis][0].min(c[axis]), lim[axis][1].max(c[axis] + pshape[axis] as i64)];
        }
        placed.push((c, pshape, data));
    }
    let (z0, planes) = limits.map_or((0, 0), |l| (l[2][0], (l[2][1] - l[2][0]) as usize));
    let [rows, cols] = p.window;
    let origin = [p.region[0] - p.padding[0], p.region[1] - p.padding[1]];
    let mut vol = vec![Complex64::new(0.0, 0.0); rows * cols * planes];
    for (c, shape, data) in placed {
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                let (r, col) = (c[0] + i as i64 - origin[0], c[1] + j as i64 - origin[1]);
                if !(0..rows as i64).contains(&r) || !(0..cols as i64).contains(&col) {
                    continue;
                }
                for k in 0..shape[2] {
                    let plane = (c[2] + k as i64 - z0) as usize;
                    vol[(r as usize * cols + col as usize) * planes + plane] += data[(i * shape[1] + j) * shape[2] + k];
                }
            }
        }
    }
    (vol, z0, planes)
}
