//! numpy's reductions of an n-d array over a set of axes, as numpy 2 computes them: `sum` by
//! pairwise summation along a contiguous run and sequentially over leading axes, `mean` as the sum
//! over the count, `var` as the mean squared deviation from that mean, `median` and `quantile`
//! (linear method) from selected order statistics with numpy's interpolation, NaN wherever a
//! reduced sample is NaN (`min`, `max`, `median`, `quantile`). Work and memory are linear in the
//! array. This module picks the layout; the kernels are in [`runs`], [`rows`] and [`order`].

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::{order, rows, runs};

use crate::error::{Error, ErrorKind, Result};

/// What is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// `np.sum`.
    Sum,
    /// `np.prod`.
    Prod,
    /// `np.mean`.
    Mean,
    /// `np.median`.
    Median,
    /// `np.std` (`ddof=0`).
    Std,
    /// `np.var` (`ddof=0`).
    Variance,
    /// `np.cumsum` (one axis, or the flattened array).
    Cumsum,
    /// `np.min`.
    Min,
    /// `np.max`.
    Max,
    /// `np.ptp`.
    PeakToPeak,
    /// `np.quantile` (`q` from 0 to 1).
    Quantile,
    /// `np.percentile`, given `q / 100` (as numpy divides it).
    Percentile,
}

/// A reduction with its arguments.
pub struct Spec<'a> {
    /// What is computed.
    pub op: Reduction,
    /// The axes (negative ones from the last), `None` for every axis.
    pub axis: Option<&'a [i64]>,
    /// Whether reduced axes stay, with length 1.
    pub keepdims: bool,
    /// The quantiles (from 0 to 1) of `Quantile` and `Percentile`.
    pub q: Option<&'a ArrayD<f64>>,
}

/// Whether `op` with the `axis` value `axis` follows numpy's legacy rule for 0-d arrays: `np.sum`,
/// `np.prod`, `np.min`, `np.max`, `np.ptp` and `np.cumsum` accept a single int axis 0 or -1 on a
/// 0-d array and reduce its one number (as `axis=None`); a tuple of axes, and the other reductions
/// (`mean`, `median`, `std`, `var`, `quantile`, `percentile`, which check the axis first), raise.
pub(crate) fn legacy_scalar_axis(op: Reduction, axis: &crate::value::Value) -> bool {
    use crate::value::Value;
    matches!(
        op,
        Reduction::Sum | Reduction::Prod | Reduction::Min | Reduction::Max | Reduction::PeakToPeak | Reduction::Cumsum
    ) && matches!(axis, Value::Int(0 | -1))
}

/// The axes of `axis` for an array of `ndim` dimensions, from 0, each once.
pub(crate) fn normalise(axis: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axis.len());
    for &a in axis {
        let n = ndim as i64;
        if a < -n || a >= n {
            return Err(Error::invalid(format!("axis {a} is out of bounds for an image of {ndim} dimensions"))
                .in_property("axis"));
        }
        let a = if a < 0 { (a + n) as usize } else { a as usize };
        if out.contains(&a) {
            return Err(Error::invalid(format!("axis {a} is given twice")).in_property("axis"));
        }
        out.push(a);
    }
    Ok(out)
}

/// `spec.op` of `x`.
///
/// The array is seen as `outer × run × inner`, `run` covering the reduced axes, when they are
/// consecutive (the common case): with `inner = 1` each output reduces one contiguous run
/// ([`runs`], [`order`]); otherwise output rows accumulate input rows ([`rows`]), or, for the order
/// statistics, each run is gathered. Other sets of axes (`(0, 2)` of a 3-d image) are moved last
/// in a copy first.
pub fn reduce(x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<ArrayD<f64>> {
    let ndim = x.ndim();
    if spec.op == Reduction::Cumsum {
        return cumsum(x, spec.axis);
    }
    let mut axes = match spec.axis {
        None => (0..ndim).collect(),
        Some(axis) => normalise(axis, ndim)?,
    };
    axes.sort_unstable();
    let shape = x.shape().to_vec();
    let run: usize = axes.iter().map(|&a| shape[a]).product();
    if run == 0
        && matches!(
            spec.op,
            Reduction::Min | Reduction::Max | Reduction::PeakToPeak | Reduction::Quantile | Reduction::Percentile
        )
    {
        return Err(Error::invalid("the reduction covers no sample (an axis of length 0), which has no value")
            .in_property("axis"));
    }
    let mut out_dims: Vec<usize> = if spec.keepdims {
        (0..ndim).map(|a| if axes.contains(&a) { 1 } else { shape[a] }).collect()
    } else {
        (0..ndim).filter(|a| !axes.contains(a)).map(|a| shape[a]).collect()
    };
    let outputs: usize = (0..ndim).filter(|a| !axes.contains(a)).map(|a| shape[a]).product();
    let qs: Vec<f64> = spec.q.map(|q| q.iter().copied().collect()).unwrap_or_default();
    let per = if spec.q.is_some() { qs.len() } else { 1 };
    let mut out = crate::buffer::zeroed(outputs.checked_mul(per).ok_or_else(too_large)?)?;

    // The reduced axes as one middle axis, if they are consecutive.
    let consecutive = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let end = axes.last().map_or(ndim, |&b| b + 1);
    let inner: usize = shape[end..].iter().product();
    let x = crate::fallible::standard(&x.view())?;
    if consecutive && inner > 1 && run > 0 && rows::by_rows(spec.op) {
        let data = x.as_slice().expect("standard layout");
        let mut scratch = crate::buffer::zeroed(inner)?;
        rows::reduce_rows(spec.op, data, run, inner, &mut out, &mut scratch);
    } else if consecutive && inner == 1 {
        reduce_runs(spec.op, x.as_slice().expect("standard layout"), run, outputs, &qs, &mut out)?;
    } else {
        // The reduced axes last, in C order: each output element reduces one contiguous run.
        let kept = (0..ndim).filter(|a| !axes.contains(a));
        let order: Vec<usize> = kept.chain(axes.iter().copied()).collect();
        let permuted = x.view().permuted_axes(IxDyn(&order));
        let data = crate::fallible::standard(&permuted)?;
        reduce_runs(spec.op, data.as_slice().expect("standard layout"), run, outputs, &qs, &mut out)?;
    }
    if let Some(q) = spec.q {
        let mut dims = q.shape().to_vec();
        dims.append(&mut out_dims);
        out_dims = dims;
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&out_dims), out).expect("one value per element"))
}

/// `op` of each of the `outputs` consecutive runs of `run` samples of `data`, into `out` (for the
/// quantiles `qs`: the `k`-th quantile of run `i` at `out[k * outputs + i]`).
fn reduce_runs(op: Reduction, data: &[f64], run: usize, outputs: usize, qs: &[f64], out: &mut [f64]) -> Result<()> {
    if op == Reduction::Prod {
        runs::products(data, run, &mut out[..outputs]);
        return Ok(());
    }
    let mut scratch = Vec::new();
    let mut wanted = Vec::new();
    for i in 0..outputs {
        let chunk = &data[i * run..(i + 1) * run];
        out[i] = match op {
            Reduction::Quantile | Reduction::Percentile => {
                order::quantiles(chunk, qs, &mut out[i..], outputs, &mut scratch, &mut wanted)?;
                continue;
            }
            // numpy adds into its identity, +0: a sum of negative zeros is +0 (`+ 0.0` changes nothing else).
            Reduction::Sum => runs::sum(chunk) + 0.0,
            Reduction::Prod => unreachable!("all runs at once, above"),
            Reduction::Mean => (runs::sum(chunk) + 0.0) / run as f64,
            Reduction::Variance => runs::variance(chunk),
            Reduction::Std => runs::variance(chunk).sqrt(),
            Reduction::Min => runs::min(chunk),
            Reduction::Max => runs::max(chunk),
            Reduction::PeakToPeak => {
                let (lo, hi) = runs::min_max(chunk);
                hi - lo
            }
            Reduction::Median => order::median(chunk, &mut scratch)?,
            Reduction::Cumsum => unreachable!("not a plain reduction"),
        };
    }
    Ok(())
}

/// The error of a result too large to allocate.
pub(super) fn too_large() -> Error {
    Error::new(ErrorKind::OutOfMemory, "the result is too large")
}

/// numpy's `cumsum`: along `axis` (one), or of the flattened array when `None`; sequential sums
/// (numpy's), within each run (the last axis) or adding whole rows (an earlier axis).
fn cumsum(x: ArrayViewD<'_, f64>, axis: Option<&[i64]>) -> Result<ArrayD<f64>> {
    let x = crate::fallible::standard(&x)?;
    let flat = x.as_slice().expect("standard layout");
    let (len, inner, shape) = match axis {
        None => (flat.len(), 1, vec![flat.len()]),
        Some(&[a]) => {
            let a = normalise(&[a], x.ndim())?[0];
            (x.shape()[a], x.shape()[a + 1..].iter().product(), x.shape().to_vec())
        }
        Some(axis) => {
            return Err(Error::invalid(format!("Cumsum takes one axis, got {}", axis.len())).in_property("axis"));
        }
    };
    let mut out = crate::buffer::with_capacity(flat.len())?;
    out.extend_from_slice(flat);
    if len > 1 && inner > 0 {
        for block in out.chunks_exact_mut(len * inner) {
            if inner == 1 {
                let mut acc = block[0];
                for v in &mut block[1..] {
                    acc += *v;
                    *v = acc;
                }
            } else {
                for r in 1..len {
                    let (done, rest) = block.split_at_mut(r * inner);
                    let prev = &done[(r - 1) * inner..];
                    rest[..inner].iter_mut().zip(prev).for_each(|(v, &p)| *v += p);
                }
            }
        }
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("one per sample"))
}
