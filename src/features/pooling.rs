//! Block reductions, as `skimage.measure.block_reduce`: each axis is cut into blocks of its `ksize`;
//! an axis that does not divide is padded at the end with `cval` (zero by default), and that padding
//! takes part in the reduction (a mean divides by the whole block).
//!
//! The blocks are walked directly, axis by axis: the rows (the contiguous samples that share an index
//! along the first axis) of one block along the first axis are combined into one row, element by
//! element over contiguous memory, and that row is reduced the same way along the next axis, down to
//! the last, whose blocks are contiguous runs. Each input sample is read once, and the padding is
//! never materialised: a block that reaches past the end of an axis takes a single `cval` instead (for
//! the maximum and minimum, which one padding sample decides as many would), or, for the sum and the
//! mean, `cval` times the number of its padding samples once the block is summed. The cost is one
//! pass over the image, whatever the block sizes.

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

    /// `acc[i] = op(acc[i], pad)`: the padding of a block that reaches past the end of an axis (the
    /// sum and the mean add theirs after the walk, by [`add_padding`]).
    fn pad(self, acc: &mut [f64], pad: f64) {
        match self {
            Reduce::Mean | Reduce::Sum => {}
            Reduce::Max => acc.iter_mut().for_each(|a| *a = Reduce::Max.op(*a, pad)),
            Reduce::Min => acc.iter_mut().for_each(|a| *a = Reduce::Min.op(*a, pad)),
        }
    }

    /// The value one padding sample contributes during the walk: `cval` for the maximum and the
    /// minimum, 0 for the sum and the mean (whose padding [`add_padding`] adds, counted).
    fn walk_pad(self, cval: f64) -> f64 {
        match self {
            Reduce::Mean | Reduce::Sum => 0.0,
            Reduce::Max | Reduce::Min => cval,
        }
    }
}

/// The output shape of a pooling of `dims` by `ksize` (`ceil(n / k)` per axis).
pub(crate) fn output_shape(dims: &[usize], ksize: &[usize]) -> Vec<usize> {
    dims.iter().zip(ksize).map(|(&n, &k)| n.div_ceil(k)).collect()
}

/// Pools `x` (C order, shape `dims`) by blocks of `ksize` (one per axis, each at least 1), padding
/// with zeros.
pub(crate) fn block_reduce(x: &[f64], dims: &[usize], ksize: &[usize], reduce: Reduce) -> Result<Vec<f64>> {
    block_reduce_padded(x, dims, ksize, reduce, 0.0)
}

/// Pools `x` (C order, shape `dims`) by blocks of `ksize` (one per axis, each at least 1), the axes
/// that do not divide padded with `cval` at the end (skimage's `block_reduce(x, ksize, func, cval)`).
pub(crate) fn block_reduce_padded(
    x: &[f64],
    dims: &[usize],
    ksize: &[usize],
    reduce: Reduce,
    cval: f64,
) -> Result<Vec<f64>> {
    let original = (dims, ksize);
    let pad = reduce.walk_pad(cval);
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
        reduce_axis(x, &dims, &ksize, reduce, pad, &mut out, &mut rows);
    }
    if padded_everywhere {
        reduce.pad(&mut out, pad);
    }
    if matches!(reduce, Reduce::Mean | Reduce::Sum) && cval != 0.0 {
        add_padding(&mut out, original.0, original.1, cval);
    }
    if let Reduce::Mean = reduce {
        out.iter_mut().for_each(|v| *v /= block);
    }
    Ok(out)
}

/// Adds to each block's sum (`out`, the pooling of an image of shape `dims` by `ksize`) `cval` once
/// for every padding sample of the block: the samples of the block beyond the image's end.
fn add_padding(out: &mut [f64], dims: &[usize], ksize: &[usize], cval: f64) {
    let out_dims = output_shape(dims, ksize);
    let block: f64 = ksize.iter().map(|&k| k as f64).product();
    for (flat, slot) in out.iter_mut().enumerate() {
        let mut rest = flat;
        let mut inside = 1.0;
        for a in (0..dims.len()).rev() {
            let o = rest % out_dims[a];
            rest /= out_dims[a];
            inside *= (dims[a] - o * ksize[a]).min(ksize[a]) as f64;
        }
        let padding = block - inside;
        if padding > 0.0 {
            *slot += cval * padding;
        }
    }
}

/// Pools `src` (shape `dims`, every axis longer than one sample) by `ksize` into `dst`, a padding
/// sample taking part as `pad`; `rows[a]` is scratch for a combined row of the samples after axis `a`.
fn reduce_axis(
    src: &[f64],
    dims: &[usize],
    ksize: &[usize],
    reduce: Reduce,
    pad: f64,
    dst: &mut [f64],
    rows: &mut [Vec<f64>],
) {
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
                acc = reduce.op(acc, pad);
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
            reduce.pad(acc, pad);
        }
    };
    for (o, out) in dst.chunks_exact_mut(out_inner).enumerate() {
        if rest_kept {
            combine(out, o * k);
        } else if k == 1 {
            reduce_axis(&src[o * inner..(o + 1) * inner], &dims[1..], &ksize[1..], reduce, pad, out, deeper);
        } else {
            combine(row, o * k);
            reduce_axis(row, &dims[1..], &ksize[1..], reduce, pad, out, deeper);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    /// The straightforward pooling: every sample of every block, padding as explicit zeros.
    fn reference(x: &ArrayD<f64>, ksize: &[usize], reduce: Reduce, cval: f64) -> Vec<f64> {
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
                let v = if inside { x[index.as_slice()] } else { cval };
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
                for (reduce, cval) in [Reduce::Mean, Reduce::Max, Reduce::Min, Reduce::Sum]
                    .into_iter()
                    .flat_map(|r| [(r, 0.0), (r, 2.5), (r, -7.0)])
                {
                    let fast = block_reduce_padded(x.as_slice().unwrap(), dims, ksize, reduce, cval).unwrap();
                    let expected = reference(&x, ksize, reduce, cval);
                    assert_eq!(fast.len(), expected.len());
                    for (a, e) in fast.iter().zip(&expected) {
                        let exact = matches!(reduce, Reduce::Max | Reduce::Min);
                        let ok = if exact { a == e } else { (a - e).abs() <= 1e-14 * e.abs().max(1.0) };
                        assert!(ok, "{dims:?} by {ksize:?}, {reduce:?}, cval {cval}: {fast:?} != {expected:?}");
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
