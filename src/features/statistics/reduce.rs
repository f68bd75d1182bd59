//! numpy's reductions of an n-d array over a set of axes, as numpy 2 computes them: `sum` by
//! pairwise summation, `mean` as the sum over the count, `var` as the mean squared deviation from
//! that mean, `median` and `quantile` (linear method) from the sorted values with numpy's
//! interpolation, NaN wherever a reduced sample is NaN (`min`, `max`, `median`, `quantile`).
//! Work and memory are linear in the array (plus a sort of each reduced run for the order
//! statistics).

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

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

/// The axes of `axis` for an array of `ndim` dimensions, from 0, each once.
fn normalise(axis: &[i64], ndim: usize) -> Result<Vec<usize>> {
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
pub fn reduce(x: ArrayViewD<'_, f64>, spec: &Spec<'_>) -> Result<ArrayD<f64>> {
    let ndim = x.ndim();
    if spec.op == Reduction::Cumsum {
        return cumsum(x, spec.axis);
    }
    let axes = match spec.axis {
        None => (0..ndim).collect(),
        Some(axis) => normalise(axis, ndim)?,
    };
    let kept: Vec<usize> = (0..ndim).filter(|a| !axes.contains(a)).collect();
    let run: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let outer: usize = kept.iter().map(|&a| x.shape()[a]).product();
    if run == 0
        && matches!(
            spec.op,
            Reduction::Min | Reduction::Max | Reduction::PeakToPeak | Reduction::Quantile | Reduction::Percentile
        )
    {
        return Err(Error::invalid("the reduction covers no sample (an axis of length 0), which has no value")
            .in_property("axis"));
    }
    // The reduced axes last, in C order: each output element reduces one contiguous run.
    let order: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let shape = x.shape().to_vec();
    let permuted = x.permuted_axes(IxDyn(&order));
    let data = permuted.as_standard_layout();
    let data = data.as_slice().expect("standard layout");
    let mut out_dims: Vec<usize> = if spec.keepdims {
        (0..ndim).map(|a| if axes.contains(&a) { 1 } else { shape[a] }).collect()
    } else {
        kept.iter().map(|&a| shape[a]).collect()
    };
    let qs: Vec<f64> = spec.q.map(|q| q.iter().copied().collect()).unwrap_or_default();
    let per = if spec.q.is_some() { qs.len() } else { 1 };
    let mut out = crate::buffer::with_capacity(outer.checked_mul(per).ok_or_else(too_large)?)?;
    out.resize(outer * per, 0.0);
    let mut scratch = Vec::new();
    for i in 0..outer {
        let chunk = &data[i * run..(i + 1) * run];
        match spec.op {
            Reduction::Quantile | Reduction::Percentile => {
                sorted_into(chunk, &mut scratch)?;
                for (k, &q) in qs.iter().enumerate() {
                    out[k * outer + i] = quantile_sorted(&scratch, q);
                }
            }
            op => out[i] = reduce_run(op, chunk, &mut scratch)?,
        }
    }
    if let Some(q) = spec.q {
        let mut dims = q.shape().to_vec();
        dims.append(&mut out_dims);
        out_dims = dims;
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&out_dims), out).expect("one value per element"))
}

fn too_large() -> Error {
    Error::new(ErrorKind::OutOfMemory, "the result is too large")
}

/// One run reduced (not the order statistics of several `q`).
fn reduce_run(op: Reduction, x: &[f64], scratch: &mut Vec<f64>) -> Result<f64> {
    Ok(match op {
        Reduction::Sum => sum(x),
        Reduction::Prod => x.iter().product(),
        Reduction::Mean => sum(x) / x.len() as f64,
        Reduction::Variance => variance(x, scratch)?,
        Reduction::Std => variance(x, scratch)?.sqrt(),
        Reduction::Min => extreme(x, |a, b| b < a),
        Reduction::Max => extreme(x, |a, b| b > a),
        Reduction::PeakToPeak => extreme(x, |a, b| b > a) - extreme(x, |a, b| b < a),
        Reduction::Median => median(x, scratch)?,
        Reduction::Cumsum | Reduction::Quantile | Reduction::Percentile => unreachable!("not a plain reduction"),
    })
}

/// numpy's sum of a contiguous run: the first sample plus the pairwise sum of the others.
pub fn sum(x: &[f64]) -> f64 {
    match x.split_first() {
        None => 0.0,
        Some((first, rest)) => first + pairwise(rest),
    }
}

/// numpy's pairwise summation (blocks of 128 in 8 lanes, halves above).
fn pairwise(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 8 {
        let mut s = -0.0;
        for &v in x {
            s += v;
        }
        s
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&x[..8]);
        let whole = n - n % 8;
        for block in x[8..whole].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(block) {
                *acc += v;
            }
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &x[whole..] {
            s += v;
        }
        s
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise(&x[..half]) + pairwise(&x[half..])
    }
}

/// numpy's `var`: the mean of the squared deviations from the mean.
fn variance(x: &[f64], scratch: &mut Vec<f64>) -> Result<f64> {
    let n = x.len() as f64;
    let mean = sum(x) / n;
    scratch.clear();
    scratch.try_reserve(x.len()).map_err(|_| too_large())?;
    scratch.extend(x.iter().map(|&v| (v - mean) * (v - mean)));
    Ok(sum(scratch) / n)
}

/// The sample that `better` prefers over every other, NaN when one is NaN (numpy's `min`/`max`).
fn extreme(x: &[f64], better: impl Fn(f64, f64) -> bool) -> f64 {
    let mut best = x[0];
    for &v in x {
        if v.is_nan() {
            return v;
        }
        if better(best, v) {
            best = v;
        }
    }
    best
}

/// `x` sorted into `scratch` (NaN last).
fn sorted_into(x: &[f64], scratch: &mut Vec<f64>) -> Result<()> {
    scratch.clear();
    scratch.try_reserve(x.len()).map_err(|_| too_large())?;
    scratch.extend_from_slice(x);
    scratch.sort_unstable_by(f64::total_cmp);
    Ok(())
}

/// numpy's `median`: NaN when a sample is NaN, the middle sample, or the mean of the two middle ones.
fn median(x: &[f64], scratch: &mut Vec<f64>) -> Result<f64> {
    let n = x.len();
    if n == 0 {
        return Ok(f64::NAN);
    }
    if x.iter().any(|v| v.is_nan()) {
        return Ok(f64::NAN);
    }
    scratch.clear();
    scratch.try_reserve(n).map_err(|_| too_large())?;
    scratch.extend_from_slice(x);
    let (_, &mut hi, _) = scratch.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Ok(hi);
    }
    let lo = scratch[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok((lo + hi) / 2.0)
}

/// numpy's linear quantile `q` of sorted samples (NaN when one is NaN, sorted last).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if sorted[n - 1].is_nan() {
        return f64::NAN;
    }
    let virtual_index = (n - 1) as f64 * q;
    let (prev, next) = if virtual_index >= (n - 1) as f64 {
        (n - 1, n - 1)
    } else {
        let p = virtual_index.floor() as usize;
        (p, p + 1)
    };
    let gamma = if prev == n - 1 && virtual_index >= (n - 1) as f64 {
        virtual_index + 1.0
    } else {
        virtual_index - prev as f64
    };
    let (a, b) = (sorted[prev], sorted[next]);
    let diff = b - a;
    if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma }
}

/// numpy's `cumsum`: along `axis` (one), or of the flattened array when `None`.
fn cumsum(x: ArrayViewD<'_, f64>, axis: Option<&[i64]>) -> Result<ArrayD<f64>> {
    let Some(axis) = axis else {
        let flat = x.as_standard_layout();
        let flat = flat.as_slice().expect("standard layout");
        let mut out = crate::buffer::with_capacity(flat.len())?;
        let mut acc = 0.0;
        for (k, &v) in flat.iter().enumerate() {
            acc = if k == 0 { v } else { acc + v };
            out.push(acc);
        }
        return Ok(ArrayD::from_shape_vec(IxDyn(&[flat.len()]), out).expect("one per sample"));
    };
    let [a] = axis else {
        return Err(Error::invalid(format!("Cumsum takes one axis, got {}", axis.len())).in_property("axis"));
    };
    let a = normalise(&[*a], x.ndim())?[0];
    let mut out = x.as_standard_layout().into_owned();
    out.accumulate_axis_inplace(Axis(a), |&prev, cur| *cur += prev);
    Ok(out)
}
