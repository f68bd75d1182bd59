//! numpy's `pad` modes, axis by axis as numpy pads (a later axis pads the corners from the values an
//! earlier axis added): the padding of `Pad` and `PadToMultiplesOf`.

use ndarray::{ArrayD, ArrayView1, ArrayViewD, ArrayViewMut1, Axis, IxDyn};

use crate::error::{Error, ErrorKind, Result};
use crate::image::element_count;

/// numpy's padding modes, by their numpy name.
pub(crate) const MODES: &[&str] = &[
    "constant",
    "edge",
    "linear_ramp",
    "maximum",
    "mean",
    "median",
    "minimum",
    "reflect",
    "symmetric",
    "wrap",
    "empty",
];

/// A padding mode (numpy's, with `cval` for the constant ones).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    /// `cval` everywhere (numpy's "constant"; also "empty", whose values numpy leaves undefined).
    Constant(f64),
    /// The edge sample repeated.
    Edge,
    /// A linear ramp from the edge sample to `cval` at the outer end.
    LinearRamp(f64),
    /// The lane's maximum.
    Maximum,
    /// The lane's mean.
    Mean,
    /// The lane's median.
    Median,
    /// The lane's minimum.
    Minimum,
    /// Mirrored without repeating the edge (`c b | a b c | b a`).
    Reflect,
    /// Mirrored with the edge repeated (`b a | a b c | c b`).
    Symmetric,
    /// Periodic (`b c | a b c | a b`).
    Wrap,
}

impl Mode {
    /// Whether the padding is computed from the samples (a statistic or a ramp), rather than copied
    /// from them or constant.
    pub(crate) fn computes(self) -> bool {
        matches!(self, Mode::Mean | Mode::Median | Mode::LinearRamp(_))
    }

    /// The mode named `name` (one of [`MODES`], checked by the spec) with the constant `cval`.
    pub(crate) fn parse(name: &str, cval: f64) -> Mode {
        match name {
            "edge" => Mode::Edge,
            "linear_ramp" => Mode::LinearRamp(cval),
            "maximum" => Mode::Maximum,
            "mean" => Mode::Mean,
            "median" => Mode::Median,
            "minimum" => Mode::Minimum,
            "reflect" => Mode::Reflect,
            "symmetric" => Mode::Symmetric,
            "wrap" => Mode::Wrap,
            _ => Mode::Constant(cval),
        }
    }
}

/// A sample type `pad` writes: float64, and the 64-bit integers, which it pads in their own type
/// (exact, where their float64 values are exact only up to 2^53).
pub(crate) trait PadSample: Copy + PartialOrd {
    /// Zero (the samples of a new buffer before they are written).
    const ZERO: Self;
    /// The sample as float64 (the statistics are computed in float64, as numpy computes them).
    fn to_f64(self) -> f64;
    /// A statistic (mean, median) as a sample: numpy's pad rounds them (half to even) for integer
    /// arrays, then casts.
    fn from_stat(x: f64) -> Self;
    /// A sample of a linear ramp: numpy's `linspace` of an integer type floors them, then casts.
    fn from_ramp(x: f64) -> Self;
    /// The constant `cval` as a sample: numpy's cast of it to the array's type.
    fn from_cval(x: f64) -> Self;
    /// Whether the sample is NaN (which the maximum and minimum propagate).
    fn is_nan(self) -> bool;
}

impl PadSample for f64 {
    const ZERO: f64 = 0.0;
    fn to_f64(self) -> f64 {
        self
    }
    fn from_stat(x: f64) -> f64 {
        x
    }
    fn from_ramp(x: f64) -> f64 {
        x
    }
    fn from_cval(x: f64) -> f64 {
        x
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl PadSample for i64 {
    const ZERO: i64 = 0;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_stat(x: f64) -> i64 {
        crate::typed_samples::to_i64(x.round_ties_even())
    }
    fn from_ramp(x: f64) -> i64 {
        crate::typed_samples::to_i64(x.floor())
    }
    fn from_cval(x: f64) -> i64 {
        crate::typed_samples::to_i64(x)
    }
    fn is_nan(self) -> bool {
        false
    }
}

impl PadSample for u64 {
    const ZERO: u64 = 0;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_stat(x: f64) -> u64 {
        crate::typed_samples::to_u64(x.round_ties_even())
    }
    fn from_ramp(x: f64) -> u64 {
        crate::typed_samples::to_u64(x.floor())
    }
    fn from_cval(x: f64) -> u64 {
        crate::typed_samples::to_u64(x)
    }
    fn is_nan(self) -> bool {
        false
    }
}

/// An empty vector with room for `count` samples; `OutOfMemory` naming `what` when it cannot be had.
fn room<T>(count: usize, what: &dyn Fn() -> Error) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(count).map_err(|_| what())?;
    Ok(v)
}

/// The samples of `x` in C order: borrowed when they are so in memory, else copied (`OutOfMemory`
/// from `what` when the copy cannot be allocated).
fn c_order<'a, T: Copy>(x: &'a ArrayViewD<'_, T>, what: &dyn Fn() -> Error) -> Result<std::borrow::Cow<'a, [T]>> {
    if let Some(s) = x.as_slice() {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let mut v = room(x.len(), what)?;
    v.extend(x.iter().copied());
    Ok(std::borrow::Cow::Owned(v))
}

/// The source index of position `i` (possibly outside `0..n`) of an axis of `n > 0` samples.
fn source(mode: Mode, i: isize, n: usize) -> usize {
    let n_i = n as isize;
    match mode {
        Mode::Reflect if n > 1 => {
            let period = 2 * (n_i - 1);
            let m = i.rem_euclid(period);
            (if m < n_i { m } else { period - m }) as usize
        }
        Mode::Symmetric => {
            let m = i.rem_euclid(2 * n_i);
            (if m < n_i { m } else { 2 * n_i - 1 - m }) as usize
        }
        Mode::Wrap => i.rem_euclid(n_i) as usize,
        _ => i.clamp(0, n_i - 1) as usize,
    }
}

/// numpy's median (the mean of the two middle samples for an even count; NaN if any is NaN). The
/// samples are reordered.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 || values.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let mid = n / 2;
    let (_, &mut upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        return upper;
    }
    let lower = values[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lower + upper) / 2.0
}

/// One padded lane: `out` is `before + lane.len() + after` samples.
fn pad_lane<T: PadSample>(
    mode: Mode,
    lane: ArrayView1<T>,
    before: usize,
    mut out: ArrayViewMut1<T>,
    scratch: &mut Vec<f64>,
) {
    let n = lane.len();
    let after = out.len() - before - n;
    out.slice_mut(ndarray::s![before..before + n]).assign(&lane);
    let fill = |out: &mut ArrayViewMut1<T>, v: T| {
        out.slice_mut(ndarray::s![..before]).fill(v);
        out.slice_mut(ndarray::s![before + n..]).fill(v);
    };
    match mode {
        Mode::Constant(c) => fill(&mut out, T::from_cval(c)),
        // A NaN, once met, stays (`x > NaN` is false); the lane is not empty (checked by `pad`).
        Mode::Maximum => {
            fill(&mut out, lane.iter().copied().fold(lane[0], |m, x| if x > m || x.is_nan() { x } else { m }))
        }
        Mode::Minimum => {
            fill(&mut out, lane.iter().copied().fold(lane[0], |m, x| if x < m || x.is_nan() { x } else { m }))
        }
        Mode::Mean => fill(&mut out, T::from_stat(lane.iter().map(|x| x.to_f64()).sum::<f64>() / n as f64)),
        Mode::Median => {
            scratch.clear();
            scratch.extend(lane.iter().map(|x| x.to_f64()));
            fill(&mut out, T::from_stat(median(scratch)))
        }
        Mode::LinearRamp(end) => {
            // numpy: linspace(end, edge, width, endpoint=False), reversed after the lane.
            let (first, last) = (lane[0].to_f64(), lane[n - 1].to_f64());
            for i in 0..before {
                out[i] = T::from_ramp(end + (first - end) / before as f64 * i as f64);
            }
            for j in 0..after {
                out[before + n + j] = T::from_ramp(end + (last - end) / after as f64 * (after - 1 - j) as f64);
            }
        }
        Mode::Edge | Mode::Reflect | Mode::Symmetric | Mode::Wrap => {
            for i in 0..before {
                out[i] = lane[source(mode, i as isize - before as isize, n)];
            }
            for j in 0..after {
                out[before + n + j] = lane[source(mode, (n + j) as isize, n)];
            }
        }
    }
}

/// `x` padded by `pad[axis] = (before, after)` in `mode`; `OutOfMemory` when the result cannot be
/// allocated. Modes other than the constant ones need samples to extend: an empty axis that gets
/// padding is an error, as in numpy.
pub(crate) fn pad<T: PadSample>(x: &ArrayViewD<'_, T>, pad: &[(usize, usize)], mode: Mode) -> Result<ArrayD<T>> {
    let shape: Vec<usize> =
        x.shape().iter().zip(pad).map(|(&n, &(b, a))| n.saturating_add(b).saturating_add(a)).collect();
    let count = element_count(&shape)?;
    let oom = |_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the padded image of shape {shape:?}"));
    if let Some(axis) = (0..x.ndim()).find(|&a| x.shape()[a] == 0 && pad[a] != (0, 0)) {
        if !matches!(mode, Mode::Constant(_)) {
            return Err(Error::invalid(format!(
                "cannot extend the empty axis {axis} in mode {mode:?}: only 'constant' and 'empty' pad an empty axis"
            )));
        }
    }
    match mode {
        Mode::Maximum | Mode::Minimum | Mode::Mean | Mode::Median | Mode::LinearRamp(_) => {
            // Statistics of each lane: axis by axis, as numpy (a later axis reads the values an
            // earlier one added).
            let mut current = ArrayD::from_shape_vec(x.raw_dim(), c_order(x, &|| oom(()))?.into_owned())
                .expect("one sample per element");
            for (axis, &(before, after)) in pad.iter().enumerate() {
                if before == 0 && after == 0 {
                    continue;
                }
                let mut next_shape = current.shape().to_vec();
                next_shape[axis] += before + after;
                let count = element_count(&next_shape)?;
                let mut zeros = room(count, &|| oom(()))?;
                zeros.resize(count, T::ZERO);
                let mut next = ArrayD::from_shape_vec(IxDyn(&next_shape), zeros).expect("one zero per element");
                let mut scratch = Vec::new();
                for (lane, out) in current.lanes(Axis(axis)).into_iter().zip(next.lanes_mut(Axis(axis))) {
                    pad_lane(mode, lane, before, out, &mut scratch);
                }
                current = next;
            }
            Ok(current)
        }
        _ => {
            // Modes that copy samples or write a constant are separable: output index j of each axis
            // reads one input index (or the constant), so the image is written in one pass, row by row.
            let src = c_order(x, &|| oom(()))?;
            let mut out = room(count, &|| oom(()))?;
            if x.ndim() == 0 {
                // A 0-d array has no axis to pad: numpy returns it as it is.
                out.extend_from_slice(&src);
            } else if count > 0 {
                copy_block(&src, x.shape(), pad, mode, &mut out);
            }
            Ok(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("one sample per element"))
        }
    }
}

/// Appends the padded `block` (C-order samples of `shape`, padded by `pad` per axis) to `out`, in a
/// mode that copies samples or writes a constant.
fn copy_block<T: PadSample>(block: &[T], shape: &[usize], pad: &[(usize, usize)], mode: Mode, out: &mut Vec<T>) {
    let (n, (before, after)) = (shape[0], pad[0]);
    let inner: usize = shape[1..].iter().product();
    let padded_inner: usize = shape[1..].iter().zip(&pad[1..]).map(|(&m, &(b, a))| m + b + a).product();
    let at = |i: isize| -> Option<usize> {
        if (0..n as isize).contains(&i) {
            Some(i as usize)
        } else if let Mode::Constant(_) = mode {
            None
        } else {
            Some(source(mode, i, n))
        }
    };
    let c = if let Mode::Constant(c) = mode { T::from_cval(c) } else { T::ZERO };
    if shape.len() == 1 {
        for j in 0..before {
            out.push(at(j as isize - before as isize).map_or(c, |k| block[k]));
        }
        out.extend_from_slice(block);
        for j in 0..after {
            out.push(at((n + j) as isize).map_or(c, |k| block[k]));
        }
        return;
    }
    for j in 0..n + before + after {
        match at(j as isize - before as isize) {
            Some(k) => copy_block(&block[k * inner..(k + 1) * inner], &shape[1..], &pad[1..], mode, out),
            None => out.extend(std::iter::repeat_n(c, padded_inner)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(data: &[f64], before: usize, after: usize, mode: Mode) -> Vec<f64> {
        let x = ArrayD::from_shape_vec(IxDyn(&[data.len()]), data.to_vec()).unwrap();
        pad(&x.view(), &[(before, after)], mode).unwrap().iter().copied().collect()
    }

    #[test]
    fn modes_match_numpy() {
        // numpy 2.4: np.pad([1., 2., 4.], (4, 5), mode=…)
        let x = [1.0, 2.0, 4.0];
        assert_eq!(padded(&x, 4, 5, Mode::Reflect), [1., 2., 4., 2., 1., 2., 4., 2., 1., 2., 4., 2.]);
        assert_eq!(padded(&x, 4, 5, Mode::Symmetric), [4., 4., 2., 1., 1., 2., 4., 4., 2., 1., 1., 2.]);
        assert_eq!(padded(&x, 4, 5, Mode::Wrap), [4., 1., 2., 4., 1., 2., 4., 1., 2., 4., 1., 2.]);
        assert_eq!(padded(&x, 2, 1, Mode::Edge), [1., 1., 1., 2., 4., 4.]);
        assert_eq!(padded(&x, 1, 1, Mode::Median), [2., 1., 2., 4., 2.]);
        assert_eq!(padded(&[1.0, 2.0, 4.0, 5.0], 1, 0, Mode::Median), [3., 1., 2., 4., 5.]);
        assert_eq!(padded(&x, 1, 1, Mode::Mean), [7. / 3., 1., 2., 4., 7. / 3.]);
        assert_eq!(padded(&x, 1, 1, Mode::Maximum), [4., 1., 2., 4., 4.]);
        assert_eq!(padded(&x, 1, 1, Mode::Minimum), [1., 1., 2., 4., 1.]);
        assert_eq!(padded(&x, 2, 2, Mode::LinearRamp(0.0)), [0., 0.5, 1., 2., 4., 2., 0.]);
        assert_eq!(padded(&x, 1, 2, Mode::Constant(7.0)), [7., 1., 2., 4., 7., 7.]);
        assert_eq!(padded(&[3.0], 2, 2, Mode::Reflect), [3.0; 5]);
    }

    #[test]
    fn a_0d_array_comes_back_as_it_is() {
        // numpy 2.4: np.pad(np.array(5.), 2, mode=…) is array(5.) in every mode.
        let x = ndarray::arr0(5.0).into_dyn();
        for mode in [Mode::Constant(7.0), Mode::Edge, Mode::Reflect, Mode::Wrap, Mode::Symmetric, Mode::Mean] {
            let out = pad(&x.view(), &[], mode).unwrap();
            assert_eq!((out.shape(), out.iter().copied().collect::<Vec<_>>()), (&[][..], vec![5.0]), "{mode:?}");
        }
    }
}
