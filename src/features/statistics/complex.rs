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

/// `spec.op` of the complex numbers of `x` (its last axis the parts). The error of `Quantile` and
/// `Percentile` names the kind.
pub(crate) fn reduce(name: &str, x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    match spec.op {
        Reduction::Sum | Reduction::Mean | Reduction::Cumsum => linear(x, spec),
        Reduction::Variance | Reduction::Std => variance(x, spec),
        Reduction::Quantile | Reduction::Percentile => Err(Error::type_mismatch(format!(
            "{name} does not accept complex images (numpy's quantile needs an array of real numbers)"
        ))),
        Reduction::Prod | Reduction::Min | Reduction::Max | Reduction::PeakToPeak | Reduction::Median => {
            let interleaved = x.as_slice();
            let (re, im) = parts(x.view());
            by_runs(re, im, interleaved, spec)
        }
    }
}

/// `Variance` or `Std` of complex numbers: real, the variances of the parts added (numpy's mean of
/// `|z - mean|²`). The parts are split into two contiguous arrays in one pass, which the real
/// kernels read fastest.
fn variance(x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    let x = x.as_standard_layout();
    let parts = x.as_slice().expect("standard layout");
    let shape = IxDyn(&x.shape()[..x.ndim() - 1]);
    let n = parts.len() / 2;
    let (mut a, mut b) = (crate::buffer::zeroed(n)?, crate::buffer::zeroed(n)?);
    for ((z, p), q) in parts.chunks_exact(2).zip(a.iter_mut()).zip(b.iter_mut()) {
        *p = z[0];
        *q = z[1];
    }
    let array = |v| ArrayD::from_shape_vec(shape.clone(), v).expect("one part a number");
    let (re, im) = (array(a), array(b));
    let var = Spec { op: Reduction::Variance, ..*spec };
    let (a, b) = (reduce::reduce(re.view(), &var)?, reduce::reduce(im.view(), &var)?);
    let sqrt = spec.op == Reduction::Std;
    Ok(Reduced::Real(ndarray::Zip::from(&a).and(&b).map_collect(|&x, &y| if sqrt { (x + y).sqrt() } else { x + y })))
}

/// `spec.op` over runs of complex numbers: the reduced axes moved last, each run reduced on its own.
fn by_runs(
    re: ArrayViewD<'_, f64>,
    im: ArrayViewD<'_, f64>,
    interleaved: Option<&[f64]>,
    spec: &Spec<'_>,
) -> Result<Reduced> {
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
    let gathered: Vec<Complex64>;
    let numbers: &[Complex64] = match interleaved {
        // The reduced axes last already (every axis, or the trailing ones) in C order: the runs are
        // the numbers in memory order, read in place.
        Some(parts) if order.iter().enumerate().all(|(i, &a)| i == a) => {
            // SAFETY: `Complex64` is `#[repr(C)]` with two `f64` fields (real, imaginary): the
            // layout and alignment of two consecutive `f64`s, which the interleaved parts are.
            unsafe { std::slice::from_raw_parts(parts.as_ptr().cast::<Complex64>(), parts.len() / 2) }
        }
        _ => {
            let (re, im) = (re.permuted_axes(IxDyn(&order)), im.permuted_axes(IxDyn(&order)));
            let mut v: Vec<Complex64> = crate::buffer::try_vec(re.len()).ok_or_else(|| oom(re.len()))?;
            v.extend(re.iter().zip(im.iter()).map(|(&a, &b)| Complex64::new(a, b)));
            gathered = v;
            &gathered
        }
    };
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

/// `Sum`, `Mean` or `Cumsum` of complex numbers: the real reduction of `x` over the numbers' axes,
/// the last axis of parts kept (each part reduced on its own, in place in the interleaved samples).
fn linear(x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    let ndim = x.ndim() - 1;
    let axes: Vec<i64> = match spec.axis {
        None => (0..ndim as i64).collect(),
        Some(axis) => reduce::normalise(axis, ndim)?.into_iter().map(|a| a as i64).collect(),
    };
    if let Some(reduced) = trailing_sums(x.view(), &axes, spec) {
        return Ok(reduced);
    }
    let out = if spec.op == Reduction::Cumsum && spec.axis.is_none() {
        // numpy's cumsum of the flattened numbers: the numbers in one row, the parts kept.
        let n = x.len() / 2;
        let x = x.as_standard_layout();
        let flat = x.view().into_shape_with_order(IxDyn(&[n, 2])).expect("two parts a number");
        reduce::reduce(flat, &Spec { axis: Some(&[0]), ..*spec })?
    } else {
        reduce::reduce(x, &Spec { axis: Some(&axes), ..*spec })?
    };
    let mut shape = out.shape().to_vec();
    shape.pop();
    // A new array in C order (reductions build theirs so): its buffer is the interleaved parts.
    debug_assert!(out.is_standard_layout());
    let data = out.into_raw_vec_and_offset().0;
    Ok(Reduced::Complex(shape, data))
}

/// `Sum` or `Mean` of complex numbers over their trailing axes (every axis, or the last ones) of a
/// C-order image: each output's numbers are one contiguous run of parts, summed as numpy sums it
/// ([`super::runs::complex_sum`]). `None` for another reduction, other axes or another layout.
fn trailing_sums(x: ArrayViewD<'_, f64>, axes: &[i64], spec: &Spec<'_>) -> Option<Reduced> {
    let ndim = x.ndim() - 1;
    let parts = x.as_slice()?;
    let first = ndim - axes.len();
    let trailing = axes.iter().enumerate().all(|(i, &a)| a as usize == first + i);
    if !matches!(spec.op, Reduction::Sum | Reduction::Mean) || !trailing || axes.is_empty() {
        return None;
    }
    let shape = &x.shape()[..ndim];
    let run: usize = shape[first..].iter().product();
    let outputs: usize = shape[..first].iter().product();
    if run == 0 {
        return None; // numpy's mean of nothing warns and gives NaN: the general path says so
    }
    let mut data = crate::buffer::with_capacity(2 * outputs).ok()?;
    for block in parts.chunks_exact(2 * run) {
        let (re, im) = super::runs::complex_sum(block);
        let (re, im) = if spec.op == Reduction::Mean { (re / run as f64, im / run as f64) } else { (re, im) };
        data.extend_from_slice(&[re, im]);
    }
    let dims = if spec.keepdims {
        shape.iter().enumerate().map(|(a, &n)| if a >= first { 1 } else { n }).collect()
    } else {
        shape[..first].to_vec()
    };
    Some(Reduced::Complex(dims, data))
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
