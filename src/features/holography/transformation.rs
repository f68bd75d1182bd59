//! DeepTrack2 2.0.1's `FourierTransformTransformation(Tz, Tzinv, i)`: a field's spectrum (as
//! `FourierTransform` gives it) times a power of a propagation matrix, `Tz ** i` for `i ≥ 0` and
//! `Tzinv ** |i|` for `i < 0` (propagation by `i` steps of the distance the matrices were made
//! for, `get_propagation_matrix`). The matrices are arrays (complex, or real) that broadcast to the
//! image's shape, as numpy's; `i` is any finite number.
//!
//! Powers follow numpy's: a complex matrix by repeated squaring for whole exponents below 100 in
//! magnitude (numpy's `nc_pow`), `exp(e·log z)` otherwise (its `cpow`), zero to a positive power
//! zero and anything to the power 0 one; a real matrix by numpy's float64 power. The product is
//! numpy's complex product. Two deliberate differences (README): the input is not changed (DeepTrack2
//! multiplies it in place, `image *= …`), and a real image times a complex matrix gives a complex
//! image (DeepTrack2's in-place product cannot cast it back to float and raises).

use crate::features::ComplexInputs;
use std::mem::MaybeUninit;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::super::FeatureKind;
use super::super::registry::{KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// A matrix parameter: real or complex numbers of any shape.
const fn matrix(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { check: Some(numbers), ..ParamSpec::new(name, ParamKind::Any, ParamDefault::Required, doc) }
}

/// Real or complex numbers (a number, an array, or equally shaped nested lists of them).
fn numbers(value: &Value) -> Result<()> {
    value.to_complex_array().map(drop)
}

/// The registry entry.
pub(crate) const KIND: KindSpec = KindSpec {
    name: "FourierTransformTransformation",
    aliases: &[],
    module: "holography",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "A spectrum times `Tz**i` (i >= 0) or `Tzinv**|i|` (i < 0): a field propagated by i steps.",
    params: &[
        matrix("Tz", "the forward propagation matrix (complex), broadcast to the image's shape"),
        matrix("Tzinv", "the backward propagation matrix (complex), broadcast to the image's shape"),
        ParamSpec::finite("i", ParamDefault::Required, "the power (steps; negative: Tzinv)"),
    ],
    positional: &["Tz", "Tzinv", "i"],
    make: |_| Box::new(Transformation),
};

/// The kind.
#[derive(Clone, Copy)]
struct Transformation;

impl FeatureKind for Transformation {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(*self)
    }

    fn name(&self) -> &str {
        KIND.name
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(KIND.params, props);
        let i = p.f64("i")?;
        let key = if i < 0.0 { "Tzinv" } else { "Tz" };
        let m = p.value(key)?;
        let out = transform(img, m, i.abs()).map_err(|e| e.in_property(key))?;
        if let Some(blame) = non_finite(img, &out, m, i.abs())? {
            let (name, what) = match blame {
                Blame::Power(m) => (
                    "i",
                    format!(
                        "{key} ** |i| is not finite for the finite element {} of {key} and i = {i:e}",
                        Value::Complex(m.re, m.im)
                    ),
                ),
                Blame::Product => (key, format!("the spectrum times {key} ** |i| (i = {i:e}) overflows")),
            };
            return Err(Error::invalid(format!("{what}: a finite spectrum and {key} cannot give a finite image"))
                .in_property(name));
        }
        Ok(Some(out))
    }
}

/// What made a finite sample's product non-finite: the power of its finite matrix element (the
/// exponent's fault), or the product with a finite power (the matrix's).
#[derive(Debug)]
enum Blame {
    /// The element whose power is not finite.
    Power(Complex64),
    /// The product overflowed.
    Product,
}

/// Whether `out` (`img` times `m ** e`) has a non-finite sample where the image's sample and the
/// matrix's element were finite, and whose fault that is. Non-finite samples or elements give
/// non-finite products, as numpy's (README: a non-finite value may give a non-finite image).
fn non_finite(img: &Image, out: &Image, m: &Value, e: f64) -> Result<Option<Blame>> {
    let data = out.contiguous()?;
    if data.iter().all(|x| x.is_finite()) {
        return Ok(None);
    }
    let samples = img.contiguous()?;
    let shape = img.shape();
    let logical = if img.is_complex() { &shape[..shape.len() - 1] } else { shape };
    let matrix = m.to_complex_array()?;
    let matrix = in_shape(&matrix, logical)?;
    let per_out = if out.is_complex() { 2 } else { 1 };
    let per_in = if img.is_complex() { 2 } else { 1 };
    for (l, o) in data.chunks_exact(per_out).enumerate() {
        if o.iter().all(|x| x.is_finite()) {
            continue;
        }
        let z = matrix[l];
        let finite_input = samples[l * per_in..(l + 1) * per_in].iter().all(|x| x.is_finite());
        if !(finite_input && z.re.is_finite() && z.im.is_finite()) {
            continue;
        }
        let p = if z.im == 0.0 && m.to_array().is_ok() {
            Complex64::new(crate::features::power::pow_number(&[z.re], e)?[0], 0.0)
        } else {
            power(z, e)
        };
        return Ok(Some(if p.re.is_finite() && p.im.is_finite() { Blame::Product } else { Blame::Power(z) }));
    }
    Ok(None)
}

fn oom(what: &str) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {what}"))
}

/// `img` times `m ** e` (`e ≥ 0`), `m` broadcast to the image's shape (of its complex values for a
/// complex image).
pub(crate) fn transform(img: &Image, m: &Value, e: f64) -> Result<Image> {
    let complex = img.is_complex();
    let shape = img.shape();
    let logical = if complex { &shape[..shape.len() - 1] } else { shape };
    let samples = img.contiguous()?;
    match m.to_array() {
        // A real matrix: numpy's float64 power; the product stays real for a real image.
        Ok(real) => {
            let powered = powered_real(&real, e)?;
            let powered = in_shape(&powered, logical)?;
            let mut out = crate::buffer::with_capacity(samples.len()).map_err(|_| oom("the product"))?;
            let spare = &mut out.spare_capacity_mut()[..samples.len()];
            if complex {
                for ((o, z), &m) in spare.chunks_exact_mut(2).zip(samples.chunks_exact(2)).zip(powered.iter()) {
                    let v = mul(Complex64::new(z[0], z[1]), Complex64::new(m, 0.0));
                    o[0].write(v.re);
                    o[1].write(v.im);
                }
            } else {
                for ((o, x), m) in spare.iter_mut().zip(samples.iter()).zip(powered.iter()) {
                    o.write(x * m);
                }
            }
            // SAFETY: every one of the first `samples.len()` slots was written just above: the
            // matrix has one element per logical sample (`in_shape`), so the zips cover them all.
            unsafe { out.set_len(samples.len()) };
            finish(img, shape.to_vec(), out, complex)
        }
        Err(_) => {
            let matrix = m.to_complex_array()?;
            let matrix = in_shape(&matrix, logical)?;
            let doubles = matrix.len().checked_mul(2).ok_or_else(|| oom("the product"))?;
            let mut out_shape = shape.to_vec();
            if !complex {
                out_shape.push(2);
            }
            let out = complex_products(samples, complex, &matrix, e, doubles)?;
            finish(img, out_shape, out, true)
        }
    }
}

/// The samples (interleaved complex ones when `complex`, else real ones) times `matrix ** e`, as
/// `doubles` interleaved complex doubles. The exponent's case is decided once, so that each loop
/// is monomorphic (a small whole power is products, inlined and vectorised; any other is
/// [`power`] per element).
fn complex_products(samples: &[f64], complex: bool, matrix: &[Complex64], e: f64, doubles: usize) -> Result<Vec<f64>> {
    let mut out = crate::buffer::with_capacity(doubles).map_err(|_| oom("the product"))?;
    let spare = &mut out.spare_capacity_mut()[..doubles];
    // numpy's `0j ** n` for n >= 1 is exactly 0 (not a product of signed zeros).
    #[inline(always)]
    fn nonzero(m: Complex64, p: impl Fn(Complex64) -> Complex64) -> Complex64 {
        if m.re == 0.0 && m.im == 0.0 { Complex64::new(0.0, 0.0) } else { p(m) }
    }
    let whole = (e.fract() == 0.0 && e < 100.0).then_some(e as u32);
    // Compiled for AVX2 where the processor has it (no fused multiply-adds: the products round as
    // numpy's do).
    macro_rules! run {
        ($p:expr) => {{
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
                unsafe { avx2_products_into(samples, complex, matrix, spare, $p) }
            } else {
                products_into(samples, complex, matrix, spare, $p)
            }
            #[cfg(not(target_arch = "x86_64"))]
            products_into(samples, complex, matrix, spare, $p)
        }};
    }
    match whole {
        Some(1) => run!(|m| nonzero(m, |m| m)),
        Some(2) => run!(|m| nonzero(m, |m| mul(m, m))),
        Some(3) => run!(|m| nonzero(m, |m| mul(m, mul(m, m)))),
        _ => run!(|m| power(m, e)),
    }
    // SAFETY: `products_into` wrote every one of the first `doubles` slots: `doubles` is twice
    // the matrix's length, which is the number of logical samples (`in_shape`).
    unsafe { out.set_len(doubles) };
    Ok(out)
}

/// [`complex_products`]'s loop: each sample times `p` of its matrix element, written to `out`.
#[inline(always)]
fn products_into(
    samples: &[f64],
    complex: bool,
    matrix: &[Complex64],
    out: &mut [MaybeUninit<f64>],
    p: impl Fn(Complex64) -> Complex64,
) {
    let n = matrix.len();
    assert!(out.len() == 2 * n && samples.len() == if complex { 2 * n } else { n });
    for i in 0..n {
        let z =
            if complex { Complex64::new(samples[2 * i], samples[2 * i + 1]) } else { Complex64::new(samples[i], 0.0) };
        let v = mul(z, p(matrix[i]));
        out[2 * i].write(v.re);
        out[2 * i + 1].write(v.im);
    }
}

/// [`products_into`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_products_into(
    samples: &[f64],
    complex: bool,
    matrix: &[Complex64],
    out: &mut [MaybeUninit<f64>],
    p: impl Fn(Complex64) -> Complex64,
) {
    products_into(samples, complex, matrix, out, p)
}

/// The image of `data` (C order, `shape`), with `img`'s properties, complex or not.
fn finish(img: &Image, shape: Vec<usize>, data: Vec<f64>, complex: bool) -> Result<Image> {
    let mut out = img.with_standard_data(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sized"));
    out.set_complex(complex)?;
    Ok(out)
}

/// The elements of `m` broadcast to `shape` as numpy broadcasts an in-place product's operand (the
/// image keeps its shape), in C order: `m`'s own when it has the shape (no copy), else a copy; an
/// error naming both shapes when it does not broadcast.
fn in_shape<'a, T: Copy>(m: &'a ArrayD<T>, shape: &[usize]) -> Result<std::borrow::Cow<'a, [T]>> {
    if m.shape() == shape {
        if let Some(s) = m.as_slice() {
            return Ok(std::borrow::Cow::Borrowed(s));
        }
    }
    let view = m.broadcast(IxDyn(shape)).ok_or_else(|| {
        Error::invalid(format!("the matrix of shape {:?} does not broadcast to the image's shape {shape:?}", m.shape()))
    })?;
    let mut out = Vec::new();
    out.try_reserve_exact(view.len()).map_err(|_| oom("the broadcast matrix"))?;
    out.extend(view.iter().copied());
    Ok(std::borrow::Cow::Owned(out))
}

/// numpy's float64 `m ** e`.
fn powered_real(m: &ArrayD<f64>, e: f64) -> Result<ArrayD<f64>> {
    let flat: Vec<f64> = match m.as_slice() {
        Some(s) => crate::features::power::pow_number(s, e)?,
        None => crate::features::power::pow_number(&m.iter().copied().collect::<Vec<_>>(), e)?,
    };
    Ok(ArrayD::from_shape_vec(IxDyn(m.shape()), flat).expect("sized"))
}

/// numpy's complex product (`cmul`): `(ar·br − ai·bi) + (ar·bi + ai·br)i`.
fn mul(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// numpy's complex `z ** e` for a real exponent `e ≥ 0` (`nc_pow`): 1 for `e = 0`, 0 for a zero
/// base, repeated squaring for whole `e < 100`, `exp(e·log z)` otherwise.
#[inline]
pub(crate) fn power(z: Complex64, e: f64) -> Complex64 {
    if e == 0.0 {
        return Complex64::new(1.0, 0.0);
    }
    if z.re == 0.0 && z.im == 0.0 {
        return if e > 0.0 { Complex64::new(0.0, 0.0) } else { Complex64::new(f64::NAN, f64::NAN) };
    }
    if e.fract() == 0.0 && e < 100.0 {
        let n = e as u32;
        match n {
            1 => return z,
            2 => return mul(z, z),
            3 => return mul(z, mul(z, z)),
            _ => {}
        }
        let (mut acc, mut p, mut mask) = (Complex64::new(1.0, 0.0), z, 1u32);
        loop {
            if n & mask != 0 {
                acc = mul(acc, p);
            }
            mask <<= 1;
            if n < mask {
                return acc;
            }
            p = mul(p, p);
        }
    }
    // exp(e·log z): the modulus e·ln|z|, the angle e·arg z.
    let (r, theta) = (z.re.hypot(z.im).ln() * e, z.im.atan2(z.re) * e);
    let (sin, cos) = theta.sin_cos();
    let m = r.exp();
    Complex64::new(m * cos, m * sin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    #[test]
    fn powers_are_numpys() {
        let z = c(0.6, -0.8);
        assert_eq!(power(z, 0.0), c(1.0, 0.0));
        assert_eq!(power(c(0.0, 0.0), 0.0), c(1.0, 0.0));
        assert_eq!(power(c(0.0, 0.0), 2.5), c(0.0, 0.0));
        assert_eq!(power(z, 1.0), z);
        assert_eq!(power(z, 2.0), z * z);
        // Whole powers by repeated squaring agree with the polar form closely.
        for n in [4.0, 7.0, 13.0, 99.0, 100.0, 180.0] {
            let want = Complex64::from_polar(1.0, -0.9272952180016122 * n);
            let got = power(z, n);
            assert!((got - want).norm() < 1e-12 * n, "{n}: {got} against {want}");
        }
        let half = power(c(-4.0, 0.0), 0.5);
        assert!((half - c(0.0, 2.0)).norm() < 1e-15, "{half}");
    }

    #[test]
    fn the_product_broadcasts_and_refuses_other_shapes() {
        let mut spectrum = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1.0, 1.0, 2.0, 0.0]).unwrap());
        spectrum.set_complex(true).unwrap();
        let m = Value::complex_array(ArrayD::from_shape_vec(IxDyn(&[2]), vec![c(0.0, 1.0), c(2.0, 0.0)]).unwrap());
        let out = transform(&spectrum, &m, 3.0).unwrap();
        assert!(out.is_complex());
        // (1 + i)·i³ = 1 - i; 2·2³ = 16.
        assert_eq!(out.as_slice(), [1.0, -1.0, 16.0, 0.0]);
        // A real image times a complex matrix is complex; times a real one, real.
        let real = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 2]), vec![3.0, 4.0]).unwrap());
        let out = transform(&real, &m, 1.0).unwrap();
        assert_eq!((out.shape(), out.is_complex()), (&[1, 2, 2][..], true));
        assert_eq!(out.as_slice(), [0.0, 3.0, 8.0, 0.0]);
        let out = transform(&real, &Value::vector(&[2.0, 0.5]), 2.0).unwrap();
        assert_eq!((out.as_slice(), out.is_complex()), (&[12.0, 1.0][..], false));
        let wide = Value::complex_array(ArrayD::from_elem(IxDyn(&[3]), c(1.0, 0.0)));
        let err = transform(&spectrum, &wide, 1.0).unwrap_err().to_string();
        assert!(err.contains("the matrix of shape [3] does not broadcast to the image's shape [1, 2]"), "{err}");
    }
}
