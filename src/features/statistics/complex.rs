//! The reductions of complex images (numpy's on complex arrays): `Sum` and `Cumsum` of each part
//! (they are linear), `Mean` their sum divided by the count as numpy divides complex numbers;
//! `Variance` and `Std` real (numpy's mean of `|z - mean|²`); `Prod`, `Min`, `Max`, `PeakToPeak` and `Median` on the complex numbers, ordered
//! as numpy orders them (by real part, then by imaginary part; NaN propagates). numpy refuses
//! `quantile` and `percentile` of complex arrays, and so do `Quantile` and `Percentile`.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use rustfft::num_complex::Complex64;

use super::reduce::{self, Reduction, Spec};
use crate::error::{Error, ErrorKind, Result};
use crate::features::complex_math::{divide_by_count, extreme, median, pick};
use crate::features::elementwise::c99;

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

/// `Variance` or `Std` of complex numbers: real, as numpy's `var` computes it: the complex mean
/// (kept axes, [`linear`]), `d = |z − mean|²` as the sum of the parts' squares, the real sum of `d`
/// over the axes ([`reduce::reduce`], numpy's summation) divided by the count, and its root for `Std`.
fn variance(x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<Reduced> {
    let mean = match linear(x.view(), &Spec { op: Reduction::Mean, keepdims: true, ..*spec })? {
        Reduced::Complex(mut dims, data) => {
            dims.push(2);
            ArrayD::from_shape_vec(IxDyn(&dims), data).expect("two parts a number")
        }
        Reduced::Real(_) => unreachable!("the mean of complex numbers is complex"),
    };
    let (re, im) = parts(x.view());
    let (mr, mi) = parts(mean.view());
    let (mr, mi) = match (mr.broadcast(re.raw_dim()), mi.broadcast(re.raw_dim())) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable!("the mean keeps the reduced axes with length 1"),
    };
    let mut d = ArrayD::from_shape_vec(re.raw_dim(), crate::buffer::zeroed(re.len())?).expect("one per number");
    ndarray::Zip::from(&mut d).and(&re).and(&im).and(&mr).and(&mi).for_each(|d, &a, &b, &c, &e| {
        let (p, q) = (a - c, b - e);
        *d = p * p + q * q;
    });
    let sum = reduce::reduce(d.view(), &Spec { op: Reduction::Sum, ..*spec })?;
    let count = (re.len() / sum.len().max(1)) as f64;
    let sqrt = spec.op == Reduction::Std;
    Ok(Reduced::Real(crate::fallible::map(&sum.view(), |s| if sqrt { (s / count).sqrt() } else { s / count })?))
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
    if let Some(parts) = interleaved
        && let Some(reduced) = by_rows(parts, &shape, &axes, spec)?
    {
        return Ok(reduced);
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
        // Consecutive reduced axes followed by kept ones (`Median(axis=0)`): each `run × inner` block
        // transposed to `inner × run`, in tiles that stay in cache.
        Some(parts) if axes.windows(2).all(|w| w[1] == w[0] + 1) => {
            let inner: usize = shape[axes[axes.len() - 1] + 1..].iter().product();
            // SAFETY: as above.
            let z = unsafe { std::slice::from_raw_parts(parts.as_ptr().cast::<Complex64>(), parts.len() / 2) };
            gathered = transposed(z, run, inner)?;
            &gathered
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

/// The numbers `z`, blocks of `run × inner` (C order) each transposed to `inner × run`.
fn transposed(z: &[Complex64], run: usize, inner: usize) -> Result<Vec<Complex64>> {
    const TILE: usize = 16;
    let mut out: Vec<Complex64> = crate::buffer::try_vec(z.len()).ok_or_else(|| oom(z.len()))?;
    out.resize(z.len(), Complex64::new(0.0, 0.0));
    if run == 0 || inner == 0 {
        return Ok(out);
    }
    for (src, dst) in z.chunks_exact(run * inner).zip(out.chunks_exact_mut(run * inner)) {
        for j0 in (0..inner).step_by(TILE) {
            let j1 = (j0 + TILE).min(inner);
            for r0 in (0..run).step_by(TILE) {
                for r in r0..(r0 + TILE).min(run) {
                    let row = &src[r * inner..][j0..j1];
                    for (j, &x) in (j0..j1).zip(row) {
                        dst[j * run + r] = x;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `Prod`, `Min`, `Max` or `PeakToPeak` of the complex numbers of `parts` (interleaved, C order, of
/// `shape`) over consecutive axes `axes` (sorted) followed by other axes: numpy's order, each output
/// row combined with the next input row number by number (its reduction of a leading axis), with no
/// copy of the input. `None` for another reduction or set of axes.
fn by_rows(parts: &[f64], shape: &[usize], axes: &[usize], spec: &Spec<'_>) -> Result<Option<Reduced>> {
    let (Some(&first), Some(&last)) = (axes.first(), axes.last()) else { return Ok(None) };
    let inner: usize = shape[last + 1..].iter().product();
    let run: usize = shape[first..=last].iter().product();
    let outer: usize = shape[..first].iter().product();
    let consecutive = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let op = spec.op;
    if !consecutive
        || inner <= 1
        || run == 0
        || !matches!(op, Reduction::Prod | Reduction::Min | Reduction::Max | Reduction::PeakToPeak)
    {
        return Ok(None);
    }
    // SAFETY: `Complex64` is `#[repr(C)]` with two `f64` fields (real, imaginary): the layout and
    // alignment of two consecutive `f64`s, which the interleaved parts are.
    let numbers = unsafe { std::slice::from_raw_parts(parts.as_ptr().cast::<Complex64>(), parts.len() / 2) };
    let mut out = crate::buffer::with_capacity(2 * outer * inner)?;
    let mut acc: Vec<Complex64> = crate::buffer::try_vec(2 * inner).ok_or_else(|| oom(2 * inner))?;
    for block in numbers.chunks_exact(run * inner) {
        acc.clear();
        let rows = block.chunks_exact(inner);
        match op {
            // numpy starts a product at its identity, 1.
            Reduction::Prod => {
                acc.resize(inner, Complex64::new(1.0, 0.0));
                for row in rows {
                    multiply_row(&mut acc, row);
                }
            }
            // The others start at the first row: min (and max after it for PeakToPeak).
            _ => {
                let max = op == Reduction::Max;
                acc.extend_from_slice(&block[..inner]);
                if op == Reduction::PeakToPeak {
                    acc.extend_from_slice(&block[..inner]);
                }
                let (lo, hi) = acc.split_at_mut(inner);
                for row in rows.skip(1) {
                    lo.iter_mut().zip(row).for_each(|(b, &x)| *b = pick(*b, x, max));
                    hi.iter_mut().zip(row).for_each(|(b, &x)| *b = pick(*b, x, true));
                }
                if op == Reduction::PeakToPeak {
                    let (lo, hi) = acc.split_at_mut(inner);
                    lo.iter_mut().zip(hi.iter()).for_each(|(l, &h)| *l = h - *l);
                }
            }
        }
        out.extend(acc[..inner].iter().flat_map(|z| [z.re, z.im]));
    }
    let dims: Vec<usize> = if spec.keepdims {
        shape.iter().enumerate().map(|(a, &n)| if axes.contains(&a) { 1 } else { n }).collect()
    } else {
        shape.iter().enumerate().filter(|(a, _)| !axes.contains(a)).map(|(_, &n)| n).collect()
    };
    Ok(Some(Reduced::Complex(dims, out)))
}

/// `acc[j] *= row[j]` as numpy's (non-reducing) complex multiply loop computes it, the real part
/// fused ([`c99::mul`]), compiled for FMA where the processor has it.
fn multiply_row(acc: &mut [Complex64], row: &[Complex64]) {
    #[inline(always)]
    fn each(acc: &mut [Complex64], row: &[Complex64]) {
        acc.iter_mut().zip(row).for_each(|(p, &x)| *p = c99::mul(*p, x));
    }
    /// Two numbers per AVX2 vector, as numpy's loop: `fmaddsub(re(a), b, im(a) · swap(b))` is
    /// `(ar·br − ai·bi, ar·bi + ai·br)` with each multiply-add fused, [`c99::mul`]'s bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn fused(acc: &mut [Complex64], row: &[Complex64]) {
        use std::arch::x86_64::{
            _mm256_fmaddsub_pd, _mm256_loadu_pd, _mm256_movedup_pd, _mm256_mul_pd, _mm256_permute_pd, _mm256_storeu_pd,
            _mm256_unpackhi_pd,
        };
        let n = acc.len().min(row.len());
        let pairs = n / 2;
        let a = acc.as_mut_ptr().cast::<f64>();
        let b = row.as_ptr().cast::<f64>();
        for i in 0..pairs {
            // SAFETY: numbers `2i` and `2i + 1` (four `f64`s from `4i`) are within both slices
            // (`i < n / 2`), and `Complex64` is two `f64`s (`#[repr(C)]`); unaligned loads and stores.
            unsafe {
                let x = _mm256_loadu_pd(a.add(4 * i));
                let y = _mm256_loadu_pd(b.add(4 * i));
                let re = _mm256_movedup_pd(x);
                let im = _mm256_unpackhi_pd(x, x);
                let t = _mm256_mul_pd(im, _mm256_permute_pd(y, 0b0101));
                _mm256_storeu_pd(a.add(4 * i), _mm256_fmaddsub_pd(re, y, t));
            }
        }
        each(&mut acc[2 * pairs..n], &row[2 * pairs..n])
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has AVX2 and FMA (checked just above), the only requirement.
        unsafe { fused(acc, row) };
        return;
    }
    each(acc, row)
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
    // A mean is the complex sum divided by the count as numpy divides complex numbers.
    let op = if spec.op == Reduction::Mean { Reduction::Sum } else { spec.op };
    let mut out = if op == Reduction::Cumsum && spec.axis.is_none() {
        // numpy's cumsum of the flattened numbers: the numbers in one row, the parts kept.
        let n = x.len() / 2;
        let x = crate::fallible::standard(&x.view())?;
        let flat = x.view().into_shape_with_order(IxDyn(&[n, 2])).expect("two parts a number");
        reduce::reduce(flat, &Spec { axis: Some(&[0]), op, ..*spec })?
    } else {
        reduce::reduce(x.view(), &Spec { axis: Some(&axes), op, ..*spec })?
    };
    if op == Reduction::Sum {
        // numpy adds the sum to its identity, +0 (a sum of negative zeros is +0).
        let count = (x.len() / out.len().max(1)) as f64;
        let parts = out.as_slice_mut().expect("a new array in C order");
        for z in parts.chunks_exact_mut(2) {
            let w = Complex64::new(0.0 + z[0], 0.0 + z[1]);
            let w = if spec.op == Reduction::Mean { divide_by_count(w, count) } else { w };
            (z[0], z[1]) = (w.re, w.im);
        }
    }
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
        // numpy adds the sum to its identity, +0 (a sum of negative zeros is +0).
        let z = Complex64::new(0.0 + re, 0.0 + im);
        let z = if spec.op == Reduction::Mean { divide_by_count(z, run as f64) } else { z };
        data.extend_from_slice(&[z.re, z.im]);
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
