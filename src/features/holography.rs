//! DeepTrack2 2.0.1's `holography` module: transforms of optical fields and the angular-spectrum
//! propagation matrix.
//!
//! A field is an image whose last axis holds the real part (channel 0) and the imaginary part
//! (channel 1), as DeepTrack2 stores it in a real array, or a complex image (a last axis of 2 marked
//! complex, [`Image::is_complex`]), as the Fourier transforms give.
//! - `Rescale(rescale=1)`: channel 0 becomes `(c₀ − 1)·rescale + 1` and channel 1 `c₁·rescale` (the
//!   field's deviation from the unit illumination scaled); other channels are kept.
//! - `FourierTransform(padding=32)`: `fft2` of `c₀ + i·c₁` of an `(H, W, ≥2)` field, padded
//!   symmetrically by `padding` on each side first: a complex `(H + 2p, W + 2p)` image.
//! - `InverseFourierTransform(padding=32)`: `ifft2` of a 2-d complex (or real) image with `padding`
//!   cropped from each side: the real `(H − 2p, W − 2p, 2)` field (real and imaginary parts).
//! - [`propagation_matrix`] (DeepTrack2's `get_propagation_matrix`): the transfer function of free
//!   space over `to_z`, shifted laterally by `(dx, dy)`, in FFT order.
//! - `FourierTransformTransformation(Tz, Tzinv, i)`: a spectrum times a power of a propagation
//!   matrix ([`transformation`]).
//!
//! `padding` is not a constructor argument in DeepTrack2 (its `get` has the default 32): it is a
//! property only when set.

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::fft::{self, Fft2};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;

mod transformation;

/// The largest `padding` of the Fourier transforms (pixels per side).
pub const MAX_HOLOGRAPHY_PADDING: usize = 1_000_000;

/// DeepTrack2's default `padding` of the Fourier transforms.
const DEFAULT_PADDING: usize = 32;

const PADDING: ParamSpec = ParamSpec {
    min: 0.0,
    max: MAX_HOLOGRAPHY_PADDING as f64,
    ..ParamSpec::new(
        "padding",
        ParamKind::Integer,
        ParamDefault::Absent,
        "pixels added (FourierTransform, symmetric) or removed (InverseFourierTransform) on each side; 32 when unset",
    )
};

const RESCALE: KindSpec = KindSpec {
    name: "Rescale",
    aliases: &[],
    module: "holography",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Scales a field's deviation from 1: channel 0 to `(c0 - 1)·rescale + 1`, channel 1 to `c1·rescale`.",
    params: &[ParamSpec::finite("rescale", ParamDefault::Value(Const::Int(1)), "the scale factor")],
    positional: &["rescale"],
    make: |_| Box::new(Holography::Rescale),
};

const FOURIER: KindSpec = KindSpec {
    name: "FourierTransform",
    aliases: &[],
    module: "holography",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "fft2 of the field `c0 + i·c1` of an (H, W, 2) image, padded symmetrically: a complex image.",
    params: &[PADDING],
    positional: &[],
    make: |_| Box::new(Holography::Fourier),
};

const INVERSE: KindSpec = KindSpec {
    name: "InverseFourierTransform",
    aliases: &[],
    module: "holography",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "ifft2 of a 2-d complex image, cropped by the padding: the (H, W, 2) field of real and imaginary parts.",
    params: &[PADDING],
    positional: &[],
    make: |_| Box::new(Holography::Inverse),
};

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[RESCALE, FOURIER, INVERSE, transformation::KIND];

#[derive(Clone, Copy)]
enum Holography {
    Rescale,
    Fourier,
    Inverse,
}

impl FeatureKind for Holography {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(*self)
    }

    fn name(&self) -> &str {
        match self {
            Holography::Rescale => RESCALE.name,
            Holography::Fourier => FOURIER.name,
            Holography::Inverse => INVERSE.name,
        }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let padding = |spec: &'static KindSpec| -> Result<usize> {
            let p = Params::new(spec.params, props);
            Ok(if p.optional("padding")?.is_some() { p.usize("padding")? } else { DEFAULT_PADDING })
        };
        let out = match self {
            Holography::Rescale => rescale(img, Params::new(RESCALE.params, props).f64("rescale")?)?,
            Holography::Fourier => fourier(img, padding(&FOURIER)?)?,
            Holography::Inverse => inverse(img, padding(&INVERSE)?)?,
        };
        Ok(Some(out))
    }
}

fn oom(what: &str) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {what}"))
}

/// The channels of a field: the last axis of a real image, or of a complex one's complex values.
/// Returns (channels, whether complex).
fn channels(img: &Image) -> (usize, bool) {
    let shape = img.shape();
    let complex = img.is_complex();
    let logical = if complex { &shape[..shape.len() - 1] } else { shape };
    (logical.last().copied().unwrap_or(0), complex)
}

/// `Rescale`: channel 0 to `(c₀ − 1)·r + 1`, channel 1 to `c₁·r`, on the channels' real and, for a
/// complex image, imaginary parts (numpy's complex arithmetic with a real factor).
fn rescale(img: &Image, r: f64) -> Result<Image> {
    let (k, complex) = channels(img);
    if k < 2 {
        return Err(Error::invalid(format!(
            "a field keeps its real and imaginary parts along the last axis (at least 2 channels), but the image's \
             shape is {:?}",
            img.shape()
        )));
    }
    let src = img.contiguous()?;
    let mut data = crate::buffer::with_capacity(src.len())?;
    data.extend_from_slice(src);
    let parts = if complex { 2 } else { 1 };
    // Whether every rescaled sample is finite, noted without a branch as they are computed.
    let mut finite = true;
    for lane in data.chunks_exact_mut(k * parts) {
        lane[0] = (lane[0] - 1.0) * r + 1.0;
        finite &= lane[0].is_finite();
        for v in &mut lane[1..2 * parts] {
            *v *= r;
            finite &= v.is_finite();
        }
    }
    // A finite factor that makes a finite sample non-finite makes the field overflow: the first such
    // sample, looked for only when some sample is not finite.
    let overflow = if r.is_finite() && !finite {
        src.iter().zip(&data).find(|(x, y)| x.is_finite() && !y.is_finite()).map(|(&x, &y)| (x, y))
    } else {
        None
    };
    if let Some((x, y)) = overflow {
        return Err(Error::invalid(format!(
            "the rescaled field overflows: a sample of {} becomes {} with rescale {} ((c0 - 1) · rescale + 1, c1 · \
             rescale)",
            crate::value::Value::Float(x),
            crate::value::Value::Float(y),
            crate::value::Value::Float(r)
        ))
        .in_property("rescale"));
    }
    let mut out = img.with_standard_data(ArrayD::from_shape_vec(IxDyn(img.shape()), data).expect("same shape"));
    out.set_complex(complex)?;
    Ok(out)
}

/// numpy's "symmetric" padding: the source index of `i` (possibly outside `0..n`), mirrored with the
/// edge sample repeated, periodically for pads wider than the axis.
fn symmetric(i: isize, n: usize) -> usize {
    let n = n as isize;
    let m = i.rem_euclid(2 * n);
    (if m < n { m } else { 2 * n - 1 - m }) as usize
}

/// A complex image of `rows × cols` values.
fn complex_image(like: &Image, rows: usize, cols: usize, values: Vec<Complex64>) -> Result<Image> {
    let data = crate::buffer::interleaved(values);
    let mut out = like.with_standard_data(ArrayD::from_shape_vec(IxDyn(&[rows, cols, 2]), data).expect("sized"));
    out.set_complex(true)?;
    Ok(out)
}

/// `FourierTransform`: `fft2` of `c₀ + i·c₁` (each channel complex for a complex image), padded
/// symmetrically by `pad` on each side of both axes.
fn fourier(img: &Image, pad: usize) -> Result<Image> {
    let (k, complex) = channels(img);
    let logical = if complex { &img.shape()[..img.shape().len() - 1] } else { img.shape() };
    if logical.len() != 3 || k < 2 {
        return Err(Error::invalid(format!(
            "expected an (H, W, 2) field (real and imaginary parts along the last axis), got shape {:?}{}",
            img.shape(),
            if complex { " (complex)" } else { "" }
        )));
    }
    let (h, w) = (logical[0], logical[1]);
    if h == 0 || w == 0 {
        return Err(Error::invalid(format!("cannot pad an empty field of shape {:?} symmetrically", img.shape())));
    }
    let (rows, cols) = (h + 2 * pad, w + 2 * pad);
    let n = rows.checked_mul(cols).ok_or_else(|| oom("the padded field"))?;
    let src = img.contiguous()?;
    let parts = if complex { 2 } else { 1 };
    // c₀ + i·c₁ at pixel (y, x): (re₀ − im₁) + i(im₀ + re₁).
    let at = |y: usize, x: usize| -> Complex64 {
        let lane = &src[(y * w + x) * k * parts..];
        if complex { Complex64::new(lane[0] - lane[3], lane[1] + lane[2]) } else { Complex64::new(lane[0], lane[1]) }
    };
    let mut grid = fft::zeros(n).map_err(|_| oom(&format!("the padded field of {rows} x {cols}")))?;
    // The field's rows padded along the columns, in place; then the padding rows copied from them.
    let source: Vec<usize> = (0..cols).map(|c| symmetric(c as isize - pad as isize, w)).collect();
    for y in 0..h {
        for (v, &x) in grid[(pad + y) * cols..][..cols].iter_mut().zip(&source) {
            *v = at(y, x);
        }
    }
    for r in (0..pad).chain(pad + h..rows) {
        let y = pad + symmetric(r as isize - pad as isize, h);
        grid.copy_within(y * cols..(y + 1) * cols, r * cols);
    }
    Fft2::new(rows, cols)?.forward(&mut grid);
    complex_image(img, rows, cols, grid)
}

/// `InverseFourierTransform`: `ifft2` of a 2-d complex (or real) image, `pad` cropped from each side,
/// as a real `(H, W, 2)` field of real and imaginary parts.
fn inverse(img: &Image, pad: usize) -> Result<Image> {
    let complex = img.is_complex();
    let logical = if complex { &img.shape()[..img.shape().len() - 1] } else { img.shape() };
    if logical.len() != 2 {
        return Err(Error::invalid(format!(
            "expected a 2-d complex image (as FourierTransform gives), got shape {:?}{}",
            img.shape(),
            if complex { " (complex)" } else { "" }
        )));
    }
    let (rows, cols) = (logical[0], logical[1]);
    if rows < 2 * pad || cols < 2 * pad {
        return Err(Error::invalid(format!(
            "the padding {pad} on each side exceeds half the image's size {rows} x {cols}"
        ))
        .in_property("padding"));
    }
    // ifft2(x) = conj(fft2(conj(x))) / n: the conjugates and the scale applied while copying in and
    // cropping, rather than in passes of their own.
    let src = img.contiguous()?;
    let mut grid = fft::zeros(rows * cols)?;
    for (i, v) in grid.iter_mut().enumerate() {
        *v = if complex { Complex64::new(src[2 * i], -src[2 * i + 1]) } else { Complex64::new(src[i], 0.0) };
    }
    if rows > 0 && cols > 0 {
        Fft2::new(rows, cols)?.forward(&mut grid);
    }
    // The crop, moved to the front of the grid in place (each row moves towards the start).
    let (h, w) = (rows - 2 * pad, cols - 2 * pad);
    let scale = 1.0 / (rows * cols) as f64;
    for y in 0..h {
        let from = (y + pad) * cols + pad;
        for x in 0..w {
            let v = grid[from + x];
            grid[y * w + x] = Complex64::new(v.re * scale, -v.im * scale);
        }
    }
    grid.truncate(h * w);
    let data = crate::buffer::interleaved(grid);
    Ok(img.with_standard_data(ArrayD::from_shape_vec(IxDyn(&[h, w, 2]), data).expect("sized")))
}

/// DeepTrack2's `get_propagation_matrix(shape, to_z, pixel_size, wavelength, dx, dy)`: the
/// angular-spectrum transfer function of a `rows × cols` field over `to_z` (meters, as `pixel_size`
/// and `wavelength`), shifted laterally by `dx` (columns) and `dy` (rows), in FFT order:
/// `C·exp(i·k·(to_z·(K − 1) − dx·kx/k − dy·ky/k))`, `K = Re √(1 − (kx/k)² − (ky/k)²)`, `C` the
/// propagating frequencies (`(kx/k)² + (ky/k)² < 1`), `k = 2π/wavelength`. A complex
/// `(rows, cols)` image (a last axis of 2).
///
/// Errors: `pixel_size` and `wavelength` must be positive and finite, `to_z`, `dx`, `dy` finite
/// (InvalidArgument, naming the argument); OutOfMemory when the matrix cannot be allocated.
pub fn propagation_matrix(
    [rows, cols]: [usize; 2],
    to_z: f64,
    pixel_size: f64,
    wavelength: f64,
    dx: f64,
    dy: f64,
) -> Result<Image> {
    for (name, v) in [("pixel_size", pixel_size), ("wavelength", wavelength)] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(Error::invalid(format!("{name} must be positive and finite, got {v}")));
        }
    }
    for (name, v) in [("to_z", to_z), ("dx", dx), ("dy", dy)] {
        if !v.is_finite() {
            return Err(Error::invalid(format!("{name} must be finite, got {v}")));
        }
    }
    let n = rows.checked_mul(cols).and_then(|n| n.checked_mul(2)).ok_or_else(|| oom("the propagation matrix"))?;
    let k = 2.0 * std::f64::consts::PI / wavelength;
    // The centred frequencies (numpy: `(arange(n) − n/2 + (n % 2)/2)·2π/pixel_size/n`).
    let freqs = |n: usize| -> Result<Vec<f64>> {
        crate::fallible::collect((0..n).map(|i| {
            let x = i as f64 - n as f64 / 2.0 + (n % 2) as f64 / 2.0;
            2.0 * std::f64::consts::PI / pixel_size * x / n as f64
        }))
    };
    // The matrix first: the largest allocation, and one that cannot be made says so before the
    // frequencies are computed.
    let mut data = crate::buffer::with_capacity(n).map_err(|_| oom(&format!("a {rows} x {cols} matrix")))?;
    let matrix_oom = |_| oom(&format!("a {rows} x {cols} matrix"));
    let (xs, ys) = (freqs(cols).map_err(matrix_oom)?, freqs(rows).map_err(matrix_oom)?);
    data.resize(n, 0.0);
    for r in 0..rows {
        // fftshift: element r of the output is element (r − rows/2) mod rows of the centred grid.
        let y = ys[(r + rows - rows / 2) % rows];
        for c in 0..cols {
            let x = xs[(c + cols - cols / 2) % cols];
            let (a, b) = (x / k, y / k);
            if a * a + b * b < 1.0 {
                let kz = (1.0 - a * a - b * b).max(0.0).sqrt();
                let phase = k * (to_z * (kz - 1.0) - dx * x / k - dy * y / k);
                let (sin, cos) = phase.sin_cos();
                data[2 * (r * cols + c)] = cos;
                data[2 * (r * cols + c) + 1] = sin;
            }
        }
    }
    let mut out = Image::new(ArrayD::from_shape_vec(IxDyn(&[rows, cols, 2]), data).expect("sized"));
    out.set_complex(true)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: usize, w: usize) -> Image {
        let data = (0..h * w * 2).map(|i| ((i * 37 % 11) as f64) / 7.0 - 0.3).collect();
        Image::new(ArrayD::from_shape_vec(IxDyn(&[h, w, 2]), data).unwrap())
    }

    /// The inverse undoes the forward transform, padding and all, whatever the padding.
    #[test]
    fn the_inverse_transform_gives_the_field_back() {
        let f = field(9, 6);
        for pad in [0, 1, 5, 13] {
            let spectrum = fourier(&f, pad).unwrap();
            assert!(spectrum.is_complex());
            assert_eq!(spectrum.shape(), &[9 + 2 * pad, 6 + 2 * pad, 2]);
            let back = inverse(&spectrum, pad).unwrap();
            assert!(!back.is_complex());
            assert_eq!(back.shape(), f.shape());
            for (a, b) in back.as_slice().iter().zip(f.as_slice()) {
                assert!((a - b).abs() < 1e-12, "pad {pad}: {a} against {b}");
            }
        }
    }

    /// numpy's symmetric padding of [0, 1, 2] by 4 on each side: 2 2 1 0 | 0 1 2 | 2 1 0 0.
    #[test]
    fn symmetric_padding_is_numpys() {
        let got: Vec<usize> = (-4..7).map(|i| symmetric(i, 3)).collect();
        assert_eq!(got, [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
    }

    /// Rescale scales the deviation from 1 of channel 0 and channel 1; a complex field's channels
    /// are complex; fewer than 2 channels is an error.
    #[test]
    fn rescale_scales_the_fields_deviation() {
        let f = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![3.0, 4.0, 5.0]).unwrap());
        assert_eq!(rescale(&f, 0.5).unwrap().as_slice(), [2.0, 2.0, 5.0]);
        let mut c = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![3.0, 2.0, 4.0, -6.0]).unwrap());
        c.set_complex(true).unwrap();
        let out = rescale(&c, 0.5).unwrap();
        assert!(out.is_complex());
        assert_eq!(out.as_slice(), [2.0, 1.0, 2.0, -3.0]);
        let one = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![1.0, 2.0]).unwrap());
        assert!(rescale(&one, 2.0).unwrap_err().to_string().contains("at least 2 channels"));
    }

    /// The propagation matrix over no distance and no shift is the pupil of propagating waves: one
    /// inside, zero outside, centred on the zero frequency (element 0).
    #[test]
    fn propagation_over_nothing_is_the_propagating_disc() {
        let m = propagation_matrix([8, 10], 0.0, 0.1e-6, 0.5e-6, 0.0, 0.0).unwrap();
        assert_eq!(m.shape(), &[8, 10, 2]);
        let s = m.as_slice();
        assert_eq!((s[0], s[1]), (1.0, 0.0));
        let inside = s.chunks_exact(2).filter(|v| v[0] == 1.0 && v[1] == 0.0).count();
        let outside = s.chunks_exact(2).filter(|v| v[0] == 0.0 && v[1] == 0.0).count();
        assert_eq!(inside + outside, 80);
        assert!(inside > 1 && outside > 1, "{inside} inside, {outside} outside");
        let err = propagation_matrix([4, 4], 1.0, 0.0, 0.5e-6, 0.0, 0.0).unwrap_err().to_string();
        assert!(err.contains("pixel_size must be positive and finite, got 0"), "{err}");
    }
}
