//! Kernels folded onto an axis: a correlation kernel with taps at offsets `lo ..= hi` from each
//! output sample, applied to an axis of `n` samples extended by a border mode (scipy's "constant",
//! "nearest", "mirror", "wrap"; "reflect" has its own fold in [`super::filters`]). A kernel longer
//! than the axis folds so that its length, and the work per sample, are bounded by the axis:
//!
//! - periodic modes ("mirror": period `2n - 2`, "wrap": `n`) add the taps that are a whole period
//!   apart (they read the same sample, whatever the output);
//! - "nearest" and "constant" merge the taps at offsets `<= -n` into the one at `-n`, and those at
//!   `>= n` into the one at `n`: from every output sample, those offsets land before (after) the
//!   axis, where they read the first (last) sample or the constant.
//!
//! Both return `(start, weights)`: the folded taps, at offsets `start, start + 1, …`.

use super::median::Border;

/// The period of a periodic mode on an axis of `n` samples (`None`: not periodic).
fn period(border: Border, n: usize) -> Option<usize> {
    match border {
        Border::Reflect => Some(2 * n),
        Border::Mirror => Some((2 * n).saturating_sub(2).max(1)),
        Border::Wrap => Some(n.max(1)),
        Border::Nearest | Border::Constant(_) => None,
    }
}

/// Whether a kernel over offsets `lo ..= hi` is short enough to use as it is.
fn short(n: usize, lo: isize, hi: isize) -> bool {
    (hi - lo) as i128 <= 2 * n as i128
}

/// The taps `weight(k)` for `k` in `lo ..= hi`, folded onto an axis of `n` samples.
pub(crate) fn taps(border: Border, n: usize, lo: isize, hi: isize, weight: impl Fn(isize) -> f64) -> (isize, Vec<f64>) {
    if short(n, lo, hi) {
        return (lo, (lo..=hi).map(weight).collect());
    }
    if let Some(p) = period(border, n) {
        let mut folded = vec![0.0; p];
        let mut j = 0;
        for k in lo..=hi {
            folded[j] += weight(k);
            j = if j + 1 == p { 0 } else { j + 1 };
        }
        return (lo, folded);
    }
    let m = n as isize;
    let (first, last) = (lo.max(-m), hi.min(m));
    let mut out: Vec<f64> = (first..=last).map(|k| if k == -m || k == m { 0.0 } else { weight(k) }).collect();
    let end = out.len() - 1;
    if first == -m {
        out[0] = (lo..=-m).map(&weight).sum();
    }
    if last == m {
        out[end] = (m..=hi).map(&weight).sum();
    }
    (first, out)
}

/// `weight` at every offset of `lo ..= hi` (a box), folded onto an axis of `n` samples without a
/// tap-by-tap loop (the box may be as long as 2^53).
pub(crate) fn uniform(border: Border, n: usize, lo: isize, hi: isize, weight: f64) -> (isize, Vec<f64>) {
    if short(n, lo, hi) {
        return (lo, vec![weight; (hi - lo + 1) as usize]);
    }
    let len = (hi - lo) as u128 + 1;
    if let Some(p) = period(border, n) {
        let (whole, rem) = ((len / p as u128) as f64, (len % p as u128) as usize);
        let folded = (0..p).map(|j| weight * (whole + if j < rem { 1.0 } else { 0.0 })).collect();
        return (lo, folded);
    }
    let m = n as isize;
    let (first, last) = (lo.max(-m), hi.min(m));
    let mut out = vec![weight; (last - first + 1) as usize];
    let end = out.len() - 1;
    if first == -m {
        out[0] = weight * ((-m - lo) as f64 + 1.0);
    }
    if last == m {
        out[end] = weight * ((hi - m) as f64 + 1.0);
    }
    (first, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward correlation of `x` with the taps at `lo ..= hi` through `border`.
    fn direct(x: &[f64], border: Border, lo: isize, w: &[f64]) -> Vec<f64> {
        let n = x.len();
        let cval = if let Border::Constant(c) = border { c } else { 0.0 };
        (0..n as isize)
            .map(|i| {
                w.iter()
                    .enumerate()
                    .map(|(t, wt)| wt * border.index(i + lo + t as isize, n).map_or(cval, |j| x[j]))
                    .sum()
            })
            .collect()
    }

    #[test]
    fn folded_kernels_give_the_whole_kernels_result() {
        let modes = [Border::Constant(0.5), Border::Nearest, Border::Mirror, Border::Wrap, Border::Reflect];
        for n in [1, 2, 3, 5] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 1.7).sin() + 2.0).collect();
            for border in modes {
                for (lo, hi) in [(-1, 1), (-7, 7), (-20, 13), (-3, 30)] {
                    let w = |k: isize| 1.0 / (1.0 + (k * k) as f64);
                    let whole: Vec<f64> = (lo..=hi).map(w).collect();
                    let expected = direct(&x, border, lo, &whole);
                    let (start, folded) = taps(border, n, lo, hi, w);
                    let got = direct(&x, border, start, &folded);
                    for (a, b) in got.iter().zip(&expected) {
                        assert!((a - b).abs() < 1e-12, "{border:?} n={n} ({lo}, {hi}): {got:?} vs {expected:?}");
                    }
                    let (start, folded) = uniform(border, n, lo, hi, 0.25);
                    let got = direct(&x, border, start, &folded);
                    let expected = direct(&x, border, lo, &vec![0.25; (hi - lo + 1) as usize]);
                    for (a, b) in got.iter().zip(&expected) {
                        assert!((a - b).abs() < 1e-12, "box {border:?} n={n} ({lo}, {hi})");
                    }
                }
            }
        }
    }
}
