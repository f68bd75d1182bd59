//! The reductions of complex images (numpy's on complex arrays): `Sum`, `Mean` and `Cumsum` of each
//! part (they are linear); `Variance` and `Std` real (the variances of the parts added: numpy's mean
//! of `|z - mean|²`); `Prod`, `Min`, `Max`, `PeakToPeak` and `Median` on the complex numbers, ordered
//! as numpy orders them (by real part, then by imaginary part; NaN propagates). numpy refuses
//! `quantile` and `percentile` of complex arrays, and so do `Quantile` and `Percentile`.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use rustfft::num_complex::Complex64;

use super::reduce::{self, Reduction, Spec};
use crate::error::{Error, ErrorKind, Result};
use crate::features::complex_math::{extreme, median};

/// A reduction's result: real samples, or the interleaved parts of complex ones (with the shape of
/// the numbers, without the axis of parts).
pub(crate) enum Reduced {
    /// Real samples (`Std`, `Variance`).
    Real(ArrayD<f64>),
    /// Complex numbers: `(shape of the numbers, interleaved parts)`.
    Complex(Vec<usize>, Vec<f64>),
}

/// `spec.op` of the complex numbers whose real parts are `re` and imaginary parts `im` (the two
/// parts of one complex image, of one shape). The error of `Quantile` and `Percentile` names the kind.
pub(crate) fn reduce(name: &str, re: ArrayViewD<'_, f64>, im: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    match spec.op {
        Reduction::Sum | Reduction::Mean | Reduction::Cumsum => {
            let (a, b) = (reduce::reduce(re, spec)?, reduce::reduce(im, spec)?);
            let shape = a.shape().to_vec();
            Ok(Reduced::Complex(shape, interleave(a.iter().copied(), b.iter().copied(), a.len())?))
        }
        Reduction::Variance | Reduction::Std => {
            let var = Spec { op: Reduction::Variance, ..*spec };
            let (a, b) = (reduce::reduce(re, &var)?, reduce::reduce(im, &var)?);
            let sqrt = spec.op == Reduction::Std;
            Ok(Reduced::Real(
                ndarray::Zip::from(&a).and(&b).map_collect(|&x, &y| if sqrt { (x + y).sqrt() } else { x + y }),
            ))
        }
        Reduction::Quantile | Reduction::Percentile => Err(Error::type_mismatch(format!(
            "{name} does not accept complex images (numpy's quantile needs an array of real numbers)"
        ))),
        Reduction::Prod | Reduction::Min | Reduction::Max | Reduction::PeakToPeak | Reduction::Median => {
            by_runs(re, im, spec)
        }
    }
}

/// `spec.op` over runs of complex numbers: the reduced axes moved last, each run reduced on its own.
fn by_runs(re: ArrayViewD<'_, f64>, im: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    let ndim = re.ndim();
    let mut axes = match spec.axis {
        None => (0..ndim).collect(),
        Some(axis) => reduce::normalise(axis, ndim)?,
    };
    axes.sort_unstable();
    let shape = re.shape().to_vec();
    let kept: Vec<usize> = (0..ndim).filter(|a| !axes.contains(a)).collect();
    let run: usize = axes.iter().map(|&a| shape[a]).product();
    if run == 0 && spec.op != Reduction::Prod && spec.op != Reduction::Median {
        return Err(Error::invalid("the reduction covers no sample (an axis of length 0), which has no value")
            .in_property("axis"));
    }
    let order: Vec<usize> = kept.iter().chain(&axes).copied().collect();
    let (re, im) = (re.permuted_axes(IxDyn(&order)), im.permuted_axes(IxDyn(&order)));
    let mut numbers: Vec<Complex64> = crate::buffer::try_vec(re.len()).ok_or_else(|| oom(re.len()))?;
    numbers.extend(re.iter().zip(im.iter()).map(|(&a, &b)| Complex64::new(a, b)));
    let outputs: usize = kept.iter().map(|&a| shape[a]).product();
    let mut out = crate::buffer::with_capacity(2 * outputs)?;
    let mut scratch: Vec<Complex64> = crate::buffer::try_vec(run).ok_or_else(|| oom(run))?;
    for i in 0..outputs {
        let z = &numbers[i * run..(i + 1) * run];
        let w = match spec.op {
            Reduction::Prod => z.iter().fold(Complex64::new(1.0, 0.0), |p, &x| p * x),
            Reduction::Min => extreme(z, false),
            Reduction::Max => extreme(z, true),
            Reduction::PeakToPeak => extreme(z, true) - extreme(z, false),
            _ => median(z, &mut scratch),
        };
        out.extend_from_slice(&[w.re, w.im]);
    }
    let dims: Vec<usize> = if spec.keepdims {
        (0..ndim).map(|a| if axes.contains(&a) { 1 } else { shape[a] }).collect()
    } else {
        kept.iter().map(|&a| shape[a]).collect()
    };
    Ok(Reduced::Complex(dims, out))
}

/// The parts of `n` numbers, interleaved, in a fresh buffer.
fn interleave(re: impl Iterator<Item = f64>, im: impl Iterator<Item = f64>, n: usize) -> Result<Vec<f64>> {
    let mut out = crate::buffer::with_capacity(2 * n)?;
    out.extend(re.zip(im).flat_map(|(a, b)| [a, b]));
    Ok(out)
}

/// The error of a list of `n` complex numbers that cannot be allocated.
fn oom(n: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} complex numbers"))
}

/// The real and imaginary parts of the complex numbers of `x` (whose last axis holds the parts).
pub(crate) fn parts(x: ArrayViewD<'_, f64>) -> (ArrayViewD<'_, f64>, ArrayViewD<'_, f64>) {
    let last = Axis(x.ndim() - 1);
    (x.clone().index_axis_move(last, 0), x.index_axis_move(last, 1))
}
