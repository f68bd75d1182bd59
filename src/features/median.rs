//! Order statistics of the math features: numpy's quantiles (`NormalizeQuantile`), scipy's median
//! filter with "reflect" borders (`MedianBlur`) and the median block reduce with zero padding
//! (`MedianPooling`).

use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::features::filters::reflect;

/// The largest window of `MedianBlur`, in samples (`ksize` to the power of the number of axes longer
/// than one): the work per output sample is bounded by it.
pub const MAX_WINDOW: usize = 1 << 20;

/// The most samples `MedianBlur` reads in one image: the window times the image's samples (each
/// output sample selects the median of its window). 2^30 reads take a few seconds; a window larger
/// than the image still reads its folded copies, so the image does not bound the work.
pub const MAX_WORK: u64 = 1 << 30;

/// numpy's `quantile(x, qs)` with the default ("linear") method, each `q` in `[0, 1]`: the same
/// virtual index and interpolation as numpy, so that the results are numpy's to the last bit. NaN
/// when a sample is NaN (as numpy). `x` is reordered.
pub(crate) fn quantiles(x: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 0 || x.iter().any(|v| v.is_nan()) {
        return vec![f64::NAN; qs.len()];
    }
    // The (previous, next) indices and the weight of each quantile, as numpy computes them.
    let at: Vec<(usize, usize, f64)> = qs
        .iter()
        .map(|&q| {
            let virtual_index = (n - 1) as f64 * q;
            let previous = virtual_index.floor();
            let gamma = virtual_index - previous;
            let clip = |i: f64| i.clamp(0.0, (n - 1) as f64) as usize;
            (clip(previous), clip(previous + 1.0), gamma)
        })
        .collect();
    let mut wanted: Vec<usize> = at.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut start = 0;
    for &i in &wanted {
        if i >= start {
            x[start..].select_nth_unstable_by(i - start, f64::total_cmp);
            start = i + 1;
        }
    }
    at.into_iter()
        .map(|(i, j, t)| {
            let (a, b) = (x[i], x[j]);
            let diff = b - a;
            if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
        })
        .collect()
}

/// scipy's border modes of its filters.
pub(crate) const MODES: &[&str] =
    &["reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-constant", "grid-wrap"];

/// A border mode of scipy's filters: where index `i` of an axis of `n` reads (`None`: `cval`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Border {
    /// Half-sample symmetric (`d c b a | a b c d`), also "grid-mirror".
    Reflect,
    /// `cval`, also "grid-constant".
    Constant(f64),
    /// The edge sample.
    Nearest,
    /// Whole-sample symmetric (`d c b | a b c d`).
    Mirror,
    /// Periodic, also "grid-wrap".
    Wrap,
}

impl Border {
    /// The mode named `name` (one of [`MODES`]) with the constant `cval`.
    pub(crate) fn parse(name: &str, cval: f64) -> Border {
        match name {
            "constant" | "grid-constant" => Border::Constant(cval),
            "nearest" => Border::Nearest,
            "mirror" => Border::Mirror,
            "wrap" | "grid-wrap" => Border::Wrap,
            _ => Border::Reflect,
        }
    }

    /// The sample read at index `i` of an axis of `n` samples (`None`: `cval`).
    pub(crate) fn index(self, i: isize, n: usize) -> Option<usize> {
        let m = n as isize;
        if (0..m).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Border::Reflect => Some(reflect(i, n)),
            Border::Constant(_) => None,
            Border::Nearest => Some(i.clamp(0, m - 1) as usize),
            Border::Mirror if n == 1 => Some(0),
            Border::Mirror => {
                let period = 2 * (m - 1);
                let k = i.rem_euclid(period);
                Some((if k < m { k } else { period - k }) as usize)
            }
            Border::Wrap => Some(i.rem_euclid(m) as usize),
        }
    }
}

/// scipy's `median_filter(x, size=k, mode=…, cval=…)` over every axis: each output sample is the
/// element of rank `w / 2` (the upper median for an even count) of its window of `w = k^ndim`
/// samples, which starts `k / 2` before it on every axis. Axes of length one are left out of the
/// window except in the constant mode (their samples repeat `k` times, which leaves that rank's
/// value unchanged).
pub(crate) fn median_filter(x: &[f64], dims: &[usize], k: usize, border: Border) -> Result<Vec<f64>> {
    let mut out = buffer::zeroed(x.len())?;
    if x.is_empty() {
        return Ok(out);
    }
    let constant = matches!(border, Border::Constant(_));
    let axes: Vec<usize> = (0..dims.len()).filter(|&a| dims[a] > 1 || (constant && k > 1)).collect();
    let window = axes.iter().try_fold(1_usize, |w, _| w.checked_mul(k).filter(|&w| w <= MAX_WINDOW));
    let Some(window) = window else {
        return Err(Error::invalid(format!(
            "a window of {k}^{} samples exceeds the maximum of {MAX_WINDOW}",
            axes.len()
        )));
    };
    let work = (window as u64).saturating_mul(x.len() as u64);
    if work > MAX_WORK {
        return Err(Error::invalid(format!(
            "a window of {k}^{} samples over an image of {} samples is {work} reads, which exceeds the maximum of \
             {MAX_WORK} (2^30)",
            axes.len(),
            x.len()
        )));
    }
    if axes.is_empty() {
        out.copy_from_slice(x);
        return Ok(out);
    }
    let mut strides = vec![1_usize; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    // The scratch is the window and one row of offsets per windowed axis (at most `window` in all,
    // as `k^axes >= k * axes` for k >= 2), allocated fallibly: memory is bounded by the image and
    // the window, whatever the axes' lengths.
    let rows_len = axes.len().checked_mul(k).ok_or_else(|| scratch_too_large(window))?;
    let mut rows: Vec<usize> = fallible(rows_len, window)?;
    rows.resize(rows_len, 0);
    let mut values: Vec<f64> = fallible(window, window)?;
    let mut offsets: Vec<usize> = fallible(window, window)?;
    // The index of the sample each row was made for (`usize::MAX`: none yet).
    let mut made_for = vec![usize::MAX; axes.len()];
    let mut index = vec![0_usize; axes.len()];
    let cval = if let Border::Constant(c) = border { c } else { 0.0 };
    let half = (k / 2) as isize;
    let rank = window / 2;
    for (flat, slot) in out.iter_mut().enumerate() {
        let mut rest = flat;
        let mut base = 0;
        for a in (0..dims.len()).rev() {
            let i = rest % dims[a];
            rest /= dims[a];
            match axes.iter().position(|&b| b == a) {
                Some(p) => index[p] = i,
                None => base += i * strides[a],
            }
        }
        // The offsets (times the axis's stride) of the window of each windowed index along its axis
        // (an offset of OUTSIDE reads cval), made again only when that index changed.
        for (p, &a) in axes.iter().enumerate() {
            if made_for[p] == index[p] {
                continue;
            }
            made_for[p] = index[p];
            let (n, start, stride) = (dims[a], index[p] as isize - half, strides[a]);
            let row = &mut rows[p * k..(p + 1) * k];
            if start >= 0 && start as usize + k <= n {
                // Inside the axis (most samples): no border.
                let first = start as usize * stride;
                for (t, o) in row.iter_mut().enumerate() {
                    *o = first + t * stride;
                }
            } else {
                for (t, o) in row.iter_mut().enumerate() {
                    *o = border.index(start + t as isize, n).map_or(OUTSIDE, |j| j * stride);
                }
            }
        }
        offsets.clear();
        offsets.push(base);
        // An offset of OUTSIDE (or beyond it, once added to others) reads cval.
        for row in rows.chunks_exact(k) {
            let len = offsets.len();
            for o in 0..len {
                let at = offsets[o];
                for &t in &row[1..] {
                    offsets.push(at.saturating_add(t));
                }
                offsets[o] = at.saturating_add(row[0]);
            }
        }
        values.clear();
        values.extend(offsets.iter().map(|&o| if o >= OUTSIDE { cval } else { x[o] }));
        *slot = if values.iter().any(|v| v.is_nan()) {
            f64::NAN
        } else {
            *values.select_nth_unstable_by(rank, f64::total_cmp).1
        };
    }
    Ok(out)
}

/// An empty vector with room for `count` items (at most a window's), or an out-of-memory error.
fn fallible<T>(count: usize, window: usize) -> Result<Vec<T>> {
    buffer::try_vec(count).ok_or_else(|| scratch_too_large(window))
}

fn scratch_too_large(window: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the scratch of a window of {window} samples"))
}

/// The offset that marks a sample outside the image (constant mode): no image has this many samples.
const OUTSIDE: usize = usize::MAX / 2;

/// numpy's median of the `m` samples `s` and `pads` more samples `pad` (a block with its padding):
/// the middle element, or the mean of the two middle ones. `s` is reordered.
fn median_with_padding(s: &mut [f64], pads: u128, pad: f64) -> f64 {
    if s.iter().any(|v| v.is_nan()) || (pads > 0 && pad.is_nan()) {
        return f64::NAN;
    }
    s.sort_unstable_by(f64::total_cmp);
    let below = s.partition_point(|&v| v < pad) as u128;
    let total = s.len() as u128 + pads;
    let at = |r: u128| {
        if r < below {
            s[r as usize]
        } else if r < below + pads {
            pad
        } else {
            s[(r - pads) as usize]
        }
    };
    if total % 2 == 1 { at(total / 2) } else { (at(total / 2 - 1) + at(total / 2)) / 2.0 }
}

/// skimage's `block_reduce(x, ksize, np.median, cval)`: the median of each block, axes that do not
/// divide padded at the end with `cval`, which counts. The output has `ceil(n / k)` samples per axis.
pub(crate) fn median_pool(x: &[f64], dims: &[usize], ksize: &[usize], cval: f64) -> Result<Vec<f64>> {
    let out_dims: Vec<usize> = dims.iter().zip(ksize).map(|(&n, &k)| n.div_ceil(k)).collect();
    let mut out = buffer::zeroed(out_dims.iter().product())?;
    let block = ksize
        .iter()
        .try_fold(1_u128, |b, &k| b.checked_mul(k as u128))
        .ok_or_else(|| Error::invalid(format!("a block of {ksize:?} samples exceeds the maximum of 2^128 samples")))?;
    let mut strides = vec![1_usize; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    // The offsets and samples of one block, clipped to the image: at most the image's samples (a
    // block larger than the image holds it whole), allocated fallibly once.
    let clipped: usize = dims.iter().zip(ksize).map(|(&n, &k)| n.min(k)).product();
    let oom =
        || Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the scratch of a block of {clipped} samples"));
    let mut values: Vec<usize> = buffer::try_vec(clipped).ok_or_else(oom)?;
    let mut samples: Vec<f64> = buffer::try_vec(clipped).ok_or_else(oom)?;
    let mut ranges = vec![(0, 0); dims.len()];
    for (flat, slot) in out.iter_mut().enumerate() {
        // The block's ranges along each axis, clipped to the image.
        let mut rest = flat;
        for a in (0..dims.len()).rev() {
            let o = rest % out_dims[a];
            rest /= out_dims[a];
            let start = o * ksize[a];
            ranges[a] = (start, dims[a].min(start.saturating_add(ksize[a])));
        }
        values.clear();
        values.push(0_usize);
        for (a, &(start, end)) in ranges.iter().enumerate() {
            let len = values.len();
            for v in 0..len {
                let at = values[v];
                for i in start + 1..end {
                    values.push(at + i * strides[a]);
                }
                values[v] = at + start * strides[a];
            }
        }
        samples.clear();
        samples.extend(values.iter().map(|&o| x[o]));
        let pads = block - samples.len() as u128;
        *slot = median_with_padding(&mut samples, pads, cval);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_numpys() {
        // numpy: np.quantile(np.arange(12.), (0.25, 0.75, 0.5)) and np.quantile([3, 1, 2, 10], (0.1, 0.9))
        let mut x: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(quantiles(&mut x, &[0.25, 0.75, 0.5]), [2.75, 8.25, 5.5]);
        let mut x = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(quantiles(&mut x, &[0.1, 0.9]), [1.3, 7.900000000000001]);
    }

    #[test]
    fn medians_match_scipy_and_skimage() {
        // scipy.ndimage.median_filter(np.arange(12.).reshape(3, 4) ** 2 % 7, size=3)
        let x: Vec<f64> = (0..12).map(|i| f64::from(i * i % 7)).collect();
        assert_eq!(
            median_filter(&x, &[3, 4], 3, Border::Reflect).unwrap(),
            [1., 1., 2., 2., 1., 2., 2., 2., 2., 2., 2., 2.]
        );
        // skimage.measure.block_reduce(np.arange(12.).reshape(3, 4), 2, np.median)
        let x: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(median_pool(&x, &[3, 4], &[2, 2], 0.0).unwrap(), [2.5, 4.5, 4.0, 5.0]);
        // skimage.measure.block_reduce(np.arange(12.).reshape(3, 4), 2, np.median, cval=20.0)
        assert_eq!(median_pool(&x, &[3, 4], &[2, 2], 20.0).unwrap(), [2.5, 4.5, 14.5, 15.5]);
        // ... cval=-1.0, and a NaN cval (numpy's median of a block holding NaN)
        assert_eq!(median_pool(&x, &[3, 4], &[2, 2], -1.0).unwrap(), [2.5, 4.5, 3.5, 4.5]);
        let nan = median_pool(&x, &[3, 4], &[2, 2], f64::NAN).unwrap();
        assert!(nan[..2] == [2.5, 4.5] && nan[2].is_nan() && nan[3].is_nan());
    }
}
