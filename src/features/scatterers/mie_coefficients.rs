//! `MieScatterer`'s `coefficients`: a function of the number of terms `L` giving the Mie coefficients
//! `a_n`, `b_n` (`n = 1..=L`), DeepTrack2's `A, B = coefficients(L)`.
//!
//! The function is a custom feature given at construction (C: `deeptrack_feature_new_custom` among
//! the features of `deeptrack_feature_new_with`; Python: a callable). Its `get` receives a 0-d image
//! holding `L` and the scatterer's sampled properties, with `L` (the number of terms, "auto"
//! resolved), and the optics' `wavelength`, `NA` and `refractive_index_medium`; it returns a `(2, ≥ L)`
//! image, complex or real: `a_n` in its first row, `b_n` in its second (the first `L` of each count).

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use crate::error::{Error, Result};
use crate::features::optics::Imaging;
use crate::graph::Feature;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// `(a_n, b_n)`, `L = order` of each, from `function` (see the module's doc), given the scatterer's
/// sampled properties `props` and the optics' numbers `im`.
pub(super) fn user_coefficients(
    function: &Feature,
    props: &PropertyDict,
    im: &Imaging,
    order: usize,
) -> Result<(Vec<Complex64>, Vec<Complex64>)> {
    let in_param = |e: Error| e.in_property("coefficients");
    let get = function.kind().function().ok_or_else(|| {
        in_param(Error::invalid(format!(
            "expected a function of L (a custom feature), got a '{}' feature",
            function.kind().name()
        )))
    })?;
    let mut dict = props.clone();
    dict.insert("L", Value::Int(order as i64));
    dict.insert("wavelength", Value::Float(im.wavelength));
    dict.insert("NA", Value::Float(im.na));
    dict.insert("refractive_index_medium", Value::Float(im.n_medium));
    let input = Image::new(ArrayD::from_elem(IxDyn(&[]), order as f64));
    let out = get(Some(&input), &std::sync::Arc::new(dict))
        .map_err(in_param)?
        .ok_or_else(|| in_param(Error::invalid("the coefficients function returned no coefficients")))?;
    let shape = out.shape();
    let complex = out.is_complex();
    let (rows, n) = match (complex, shape) {
        (true, [rows, n, 2]) | (false, [rows, n]) => (*rows, *n),
        _ => (0, 0),
    };
    if rows != 2 {
        let shape = if complex { &shape[..shape.len().saturating_sub(1)] } else { shape };
        return Err(in_param(Error::invalid(format!(
            "expected the coefficients as a (2, L) array (a_n, then b_n) for L = {order}, got shape {shape:?}"
        ))));
    }
    if n < order {
        return Err(in_param(Error::invalid(format!(
            "the coefficients function returned {n} coefficients of each kind, fewer than L = {order}"
        ))));
    }
    let samples = out.contiguous()?;
    let at = |row: usize, i: usize| -> Complex64 {
        if complex {
            let k = 2 * (row * n + i);
            Complex64::new(samples[k], samples[k + 1])
        } else {
            Complex64::new(samples[row * n + i], 0.0)
        }
    };
    let a: Vec<Complex64> = (0..order).map(|i| at(0, i)).collect();
    let b: Vec<Complex64> = (0..order).map(|i| at(1, i)).collect();
    if a.iter().chain(&b).any(|v| !v.re.is_finite() || !v.im.is_finite()) {
        return Err(in_param(Error::invalid("the coefficients function returned a non-finite coefficient")));
    }
    Ok((a, b))
}
