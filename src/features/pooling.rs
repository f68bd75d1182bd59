//! Block reductions, as `skimage.measure.block_reduce` with its zero `cval`: each axis is cut into
//! blocks of its `ksize`; an axis that does not divide is padded with zeros at the end, and those
//! zeros take part in the reduction (a mean divides by the whole block).
//!
//! The blocks are walked directly, axis by axis: the rows (the contiguous samples that share an index
//! along the first axis) of one block along the first axis are combined into one row, element by
//! element over contiguous memory, and that row is reduced the same way along the next axis, down to
//! the last, whose blocks are contiguous runs. Each input sample is read once, and the padding is
//! never materialised: a block that reaches past the end of an axis takes a single zero instead. The
//! cost is one pass over the image, whatever the block sizes.

use crate::buffer;
use crate::error::Result;

/// The reduction of a pooling.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reduce {
    /// The mean over the block (padding included).
    Mean,
    /// The maximum (NaN if any sample is NaN, as numpy's `max`).
    Max,
    /// The minimum (NaN if any sample is NaN).
    Min,
    /// The sum.
    Sum,
}

impl Reduce {
    /// `op(acc, x)`: the reduction of two values (the sum for the mean, which divides at the end).
    #[inline(always)]
    fn op(self, acc: f64, x: f64) -> f64 {
        match self {
            Reduce::Mean | Reduce::Sum => acc + x,
            // Written so that a NaN in either operand wins, and so that the loops vectorise.
            Reduce::Max => {
                if x > acc || x.is_nan() {
                    x
                } else {
                    acc
                }
            }
            Reduce::Min => {
                if x < acc || x.is_nan() {
                    x
                } else {
                    acc
                }
            }
        }
    }

    /// `acc[i] = op(acc[i], row[i])`.
    fn combine(self, acc: &mut [f64], row: &[f64]) {
        // One loop per reduction, so that each is a plain vectorisable loop.
        match self {
            Reduce::Mean | Reduce::Sum => acc.iter_mut().zip(row).for_each(|(a, &x)| *a = Reduce::Sum.op(*a, x)),
            Reduce::Max => acc.iter_mut().zip(row).for_each(|(a, &x)| *a = Reduce::Max.op(*a, x)),
            Reduce::Min => acc.iter_mut().zip(row).for_each(|(a, &x)| *a = Reduce::Min.op(*a, x)),
        }
    }

    /// `acc[i] = op(acc[i], 0)`: the padding of a block that reaches past the end of an axis.
    fn pad(self, acc: &mut [f64]) {
        match self {
            Reduce::Mean | Reduce::Sum => {}
            Reduce::Max => acc.iter_mut().for_each(|a| *a = Reduce::Max.op(*a, 0.0)),
            Reduce::Min => acc.iter_mut().for_each(|a| *a = Reduce::Min.op(*a, 0.0)),
        }
    }
}

/// The output shape of a pooling of `dims` by `ksize` (`ceil(n / k)` per axis).
pub(crate) fn output_shape(dims: &[usize], ksize: &[usize]) -> Vec<usize> {
    dims.iter().zip(ksize).map(|(&n, &k)| n.div_ceil(k)).collect()
}

/// Pools `x` (C order, shape `dims`) by blocks of `ksize` (one per axis, each at least 1).
pub(crate) fn block_reduce(x: &[f64], dims: &[usize], ksize: &[usize], reduce: Reduce) -> Result<Vec<f64>> {
    let mut out = buffer::zeroed(output_shape(dims, ksize).iter().product())?;
    if out.is_empty() {
        return Ok(out);
    }
    let block: f64 = ksize.iter().map(|&k| k as f64).product();
    // An axis of one sample has a single block: that sample, and zeros if the block is longer. It
    // leaves the order of the samples unchanged, so it is dropped from the walk, and its padding
    // applies to every block.
    let padded_everywhere = dims.iter().zip(ksize).any(|(&n, &k)| n == 1 && k > 1);
    let (dims, ksize): (Vec<usize>, Vec<usize>) = dims.iter().zip(ksize).filter(|&(&n, _)| n > 1).unzip();
    if dims.is_empty() {
        out[0] = x[0];
    } else {
        // Scratch for a combined row of every axis but the last: the samples after that axis.
        // (at most the image's samples each, allocated fallibly as the output is).
        let mut rows: Vec<Vec<f64>> =
            (1..dims.len()).map(|a| buffer::zeroed(dims[a..].iter().product())).collect::<Result<_>>()?;
        reduce_axis(x, &dims, &ksize, reduce, &mut out, &mut rows);
    }
    if padded_everywhere {
        reduce.pad(&mut out);
    }
    if let Reduce::Mean = reduce {
        out.iter_mut().for_each(|v| *v /= block);
    }
    Ok(out)
}

/// Pools `src` (shape `dims`, every axis longer than one sample) by `ksize` into `dst`; `rows[a]`
/// is scratch for a combined row of the samples after axis `a`.
fn reduce_axis(src: &[f64], dims: &[usize], ksize: &[usize], reduce: Reduce, dst: &mut [f64], rows: &mut [Vec<f64>]) {
    let (n, k) = (dims[0], ksize[0]);
    if dims.len() == 1 {
        // The last axis: its blocks are contiguous runs.
        for (o, slot) in dst.iter_mut().enumerate() {
            let start = o * k;
            let block = &src[start..n.min(start.saturating_add(k))];
            let mut acc = block[0];
            for &x in &block[1..] {
                acc = reduce.op(acc, x);
            }
            if block.len() < k {
                acc = reduce.op(acc, 0.0);
            }
            *slot = acc;
        }
        return;
    }
    let inner = src.len() / n;
    let out_inner = dst.len() / n.div_ceil(k);
    // Whether the axes after this one keep their samples (blocks of one): then a combined row is an
    // output row.
    let rest_kept = ksize[1..].iter().all(|&k| k == 1);
    let (row, deeper) = rows.split_first_mut().expect("a row for every axis but the last");
    let combine = |acc: &mut [f64], start: usize| {
        let end = n.min(start.saturating_add(k));
        acc.copy_from_slice(&src[start * inner..(start + 1) * inner]);
        for i in start + 1..end {
            reduce.combine(acc, &src[i * inner..(i + 1) * inner]);
        }
        if end - start < k {
            reduce.pad(acc);
        }
    };
    for (o, out) in dst.chunks_exact_mut(out_inner).enumerate() {
        if rest_kept {
            combine(out, o * k);
        } else if k == 1 {
            reduce_axis(&src[o * inner..(o + 1) * inner], &dims[1..], &ksize[1..], reduce, out, deeper);
        } else {
            combine(row, o * k);
            reduce_axis(row, &dims[1..], &ksize[1..], reduce, out, deeper);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    /// The straightforward pooling: every sample of every block, padding as explicit zeros.
    fn reference(x: &ArrayD<f64>, ksize: &[usize], reduce: Reduce) -> Vec<f64> {
        let out_dims = output_shape(x.shape(), ksize);
        let block: usize = ksize.iter().product();
        let mut out = Vec::new();
        for pos in ndarray::indices(IxDyn(&out_dims)) {
            let mut acc = None;
            for offset in 0..block {
                let (mut rest, mut index, mut inside) = (offset, vec![0; x.ndim()], true);
                for d in (0..x.ndim()).rev() {
                    index[d] = pos[d] * ksize[d] + rest % ksize[d];
                    rest /= ksize[d];
                    inside &= index[d] < x.shape()[d];
                }
                let v = if inside { x[index.as_slice()] } else { 0.0 };
                acc = Some(acc.map_or(v, |a| reduce.op(a, v)));
            }
            let acc = acc.expect("a block has a sample");
            out.push(if let Reduce::Mean = reduce { acc / block as f64 } else { acc });
        }
        out
    }

    fn sample_image(dims: &[usize]) -> ArrayD<f64> {
        let mut state = dims.iter().fold(99_u64, |h, &d| h * 131 + d as u64);
        ArrayD::from_shape_simple_fn(IxDyn(dims), || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 3.0
        })
    }

    #[test]
    fn pooling_matches_the_straightforward_reduction() {
        let cases: &[(&[usize], &[&[usize]])] = &[
            (&[1], &[&[1], &[2]]),
            (&[7], &[&[1], &[2], &[3], &[7], &[9]]),
            (&[1, 1], &[&[1, 1], &[2, 2], &[1, 3]]),
            (&[4, 4], &[&[2, 2], &[4, 4], &[3, 3], &[5, 5], &[1, 2], &[2, 1]]),
            (&[9, 6], &[&[3, 3], &[2, 4], &[4, 2], &[9, 6], &[10, 1]]),
            (&[8, 7, 1], &[&[2, 2, 2], &[4, 4, 4], &[3, 2, 1], &[1, 1, 1], &[2, 3, 5]]),
            (&[6, 5, 3], &[&[2, 2, 2], &[2, 2, 1], &[1, 5, 3], &[3, 3, 3], &[4, 1, 2]]),
            (&[5, 1, 4, 3], &[&[2, 2, 2, 2], &[1, 1, 3, 1], &[5, 2, 1, 3]]),
            (&[1, 6, 1], &[&[3, 3, 3], &[1, 4, 1]]),
        ];
        for &(dims, sizes) in cases {
            let x = sample_image(dims);
            for &ksize in sizes {
                for reduce in [Reduce::Mean, Reduce::Max, Reduce::Min, Reduce::Sum] {
                    let fast = block_reduce(x.as_slice().unwrap(), dims, ksize, reduce).unwrap();
                    let expected = reference(&x, ksize, reduce);
                    assert_eq!(fast.len(), expected.len());
                    for (a, e) in fast.iter().zip(&expected) {
                        let exact = matches!(reduce, Reduce::Max | Reduce::Min);
                        let ok = if exact { a == e } else { (a - e).abs() <= 1e-14 * e.abs().max(1.0) };
                        assert!(ok, "{dims:?} by {ksize:?}, {reduce:?}: {fast:?} != {expected:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn empty_axes_give_empty_outputs() {
        assert!(block_reduce(&[], &[0, 4], &[2, 2], Reduce::Max).unwrap().is_empty());
        assert!(block_reduce(&[], &[4, 0, 1], &[2, 2, 2], Reduce::Mean).unwrap().is_empty());
        assert_eq!(output_shape(&[0, 4], &[2, 2]), [0, 2]);
        // A 0-d image is one block of one sample.
        assert_eq!(block_reduce(&[-3.0], &[], &[], Reduce::Max).unwrap(), [-3.0]);
    }

    #[test]
    fn nan_samples_poison_their_block_only() {
        let x = [f64::NAN, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        for reduce in [Reduce::Max, Reduce::Min, Reduce::Mean] {
            let out = block_reduce(&x, &[2, 4], &[2, 2], reduce).unwrap();
            assert!(out[0].is_nan() && !out[1].is_nan(), "{reduce:?}: {out:?}");
        }
        // A NaN after a larger sample (the order of the comparison must not hide it).
        let out = block_reduce(&[5.0, f64::NAN], &[2], &[2], Reduce::Max).unwrap();
        assert!(out[0].is_nan());
    }
}
