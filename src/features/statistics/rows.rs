//! Reductions over axes followed by kept ones (`axis=0` of an image): the array seen as
//! `outer × run × inner`, each output row of `inner` values accumulates the `run` input rows in
//! order, as numpy's reduction loop does (so `sum` over a leading axis is numpy's sequential sum,
//! with its bits), reading the input once, contiguously, with no transposed copy.

use super::reduce::Reduction;
use super::runs::{takes_max, takes_min};

/// `op` over the middle axis of `data`, `outer × run × inner` in C order with `run ≥ 1` and
/// `inner ≥ 1`, into `out` (`outer × inner`). `op` is one of the plain reductions other than the
/// order statistics (`Median`) and `Cumsum`; `scratch` holds intermediate rows.
pub fn reduce_rows(op: Reduction, data: &[f64], run: usize, inner: usize, out: &mut [f64], scratch: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::reduce_rows(op, data, run, inner, out, scratch) };
    }
    rows_portable(op, data, run, inner, out, scratch)
}

/// [`reduce_rows`], inlined into a build for the processor's vector units.
#[inline(always)]
fn rows_portable(op: Reduction, data: &[f64], run: usize, inner: usize, out: &mut [f64], scratch: &mut [f64]) {
    let block = run * inner;
    for (x, o) in data.chunks_exact(block).zip(out.chunks_exact_mut(inner)) {
        let rows = || x.chunks_exact(inner);
        o.copy_from_slice(&x[..inner]);
        match op {
            // numpy adds the rows into its identity, +0: `0 + first row` (a negative zero becomes +0).
            Reduction::Sum => {
                o.iter_mut().for_each(|v| *v += 0.0);
                rows().skip(1).for_each(|row| add(o, row));
            }
            Reduction::Mean => {
                o.iter_mut().for_each(|v| *v += 0.0);
                rows().skip(1).for_each(|row| add(o, row));
                o.iter_mut().for_each(|v| *v /= run as f64);
            }
            Reduction::Prod => rows().skip(1).for_each(|row| o.iter_mut().zip(row).for_each(|(a, &v)| *a *= v)),
            Reduction::Min => rows().skip(1).for_each(|row| keep(o, row, takes_min)),
            Reduction::Max => rows().skip(1).for_each(|row| keep(o, row, takes_max)),
            Reduction::PeakToPeak => {
                let lo = &mut scratch[..inner];
                lo.copy_from_slice(&x[..inner]);
                for row in rows().skip(1) {
                    keep(o, row, takes_max);
                    keep(lo, row, takes_min);
                }
                o.iter_mut().zip(lo.iter()).for_each(|(a, &b)| *a -= b);
            }
            Reduction::Variance | Reduction::Std => {
                // numpy: the mean (a sequential sum over the count), then the sum of the squared
                // deviations from it, over the count.
                let mean = &mut scratch[..inner];
                mean.copy_from_slice(&x[..inner]);
                rows().skip(1).for_each(|row| add(mean, row));
                mean.iter_mut().for_each(|v| *v /= run as f64);
                for ((a, &v), &m) in o.iter_mut().zip(&x[..inner]).zip(mean.iter()) {
                    *a = (v - m) * (v - m);
                }
                for row in rows().skip(1) {
                    for ((a, &v), &m) in o.iter_mut().zip(row).zip(mean.iter()) {
                        *a += (v - m) * (v - m);
                    }
                }
                let std = op == Reduction::Std;
                o.iter_mut().for_each(|v| *v = if std { (*v / run as f64).sqrt() } else { *v / run as f64 });
            }
            Reduction::Median | Reduction::Cumsum | Reduction::Quantile | Reduction::Percentile => {
                unreachable!("not a row reduction")
            }
        }
    }
}

/// Whether `op` is computed by [`reduce_rows`].
pub fn by_rows(op: Reduction) -> bool {
    matches!(
        op,
        Reduction::Sum
            | Reduction::Mean
            | Reduction::Prod
            | Reduction::Min
            | Reduction::Max
            | Reduction::PeakToPeak
            | Reduction::Variance
            | Reduction::Std
    )
}

/// `acc += row`, element by element.
#[inline(always)]
fn add(acc: &mut [f64], row: &[f64]) {
    acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
}

/// Each element of `acc` replaced by the one of `row` that `takes` prefers.
#[inline(always)]
fn keep(acc: &mut [f64], row: &[f64], takes: fn(f64, f64) -> bool) {
    acc.iter_mut().zip(row).for_each(|(a, &v)| *a = if takes(*a, v) { v } else { *a });
}

/// [`reduce_rows`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Reduction;

    /// [`super::rows_portable`].
    #[target_feature(enable = "avx2")]
    pub(super) fn reduce_rows(
        op: Reduction,
        data: &[f64],
        run: usize,
        inner: usize,
        out: &mut [f64],
        scratch: &mut [f64],
    ) {
        super::rows_portable(op, data, run, inner, out, scratch)
    }
}
