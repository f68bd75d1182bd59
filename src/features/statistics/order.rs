//! numpy's order statistics of a run of samples, by selection (linear work per run), not a sort:
//! `median`, and `quantile` with the linear method (each asked-for rank selected in turn, on the
//! part of the run above the one before). NaN wherever a sample is NaN, as numpy.

use std::cmp::Ordering;

use crate::error::Result;

/// `x` copied into `scratch` (reused between runs), or an out-of-memory error.
fn copy_into<'a>(x: &[f64], scratch: &'a mut Vec<f64>) -> Result<&'a mut [f64]> {
    scratch.clear();
    scratch.try_reserve(x.len()).map_err(|_| super::reduce::too_large())?;
    scratch.extend_from_slice(x);
    Ok(scratch)
}

/// numpy's `median`: NaN when a sample is NaN (or there is none), the middle sample, or the mean
/// of the two middle ones.
pub fn median(x: &[f64], scratch: &mut Vec<f64>) -> Result<f64> {
    let n = x.len();
    if n == 0 || x.iter().any(|v| v.is_nan()) {
        return Ok(f64::NAN);
    }
    let s = copy_into(x, scratch)?;
    let (below, &mut hi, _) = s.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Ok(hi);
    }
    let lo = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok((lo + hi) / 2.0)
}

/// The two ranks that numpy's linear quantile `q` of `n` samples interpolates between, and the
/// weight of the second.
fn ranks(n: usize, q: f64) -> (usize, usize, f64) {
    let last = (n - 1) as f64;
    let virtual_index = last * q;
    if virtual_index >= last {
        (n - 1, n - 1, virtual_index + 1.0)
    } else {
        let p = virtual_index.floor() as usize;
        (p, p + 1, virtual_index - p as f64)
    }
}

/// numpy's linear quantiles `qs` (each from 0 to 1) of a non-empty run, written to `out` at
/// `out[k * stride]` for the `k`-th quantile; all NaN when a sample is NaN. `scratch` holds a copy
/// of the run; `wanted` the ranks (both reused between runs).
pub fn quantiles(
    x: &[f64],
    qs: &[f64],
    out: &mut [f64],
    stride: usize,
    scratch: &mut Vec<f64>,
    wanted: &mut Vec<usize>,
) -> Result<()> {
    let n = x.len();
    if x.iter().any(|v| v.is_nan()) {
        (0..qs.len()).for_each(|k| out[k * stride] = f64::NAN);
        return Ok(());
    }
    let s = copy_into(x, scratch)?;
    wanted.clear();
    for &q in qs {
        let (a, b, _) = ranks(n, q);
        wanted.extend([a, b]);
    }
    wanted.sort_unstable();
    wanted.dedup();
    // Each selection leaves its rank in place with only larger samples above it: the next rank is
    // selected among those.
    let mut from = 0;
    for &r in wanted.iter() {
        s[from..].select_nth_unstable_by(r - from, |a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
        from = r + 1;
    }
    for (k, &q) in qs.iter().enumerate() {
        let (prev, next, gamma) = ranks(n, q);
        let (a, b) = (s[prev], s[next]);
        let diff = b - a;
        out[k * stride] = if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_quantile(x: &[f64], q: f64) -> f64 {
        let mut s = x.to_vec();
        s.sort_by(f64::total_cmp);
        let (prev, next, gamma) = ranks(s.len(), q);
        let (a, b) = (s[prev], s[next]);
        if gamma >= 0.5 { b - (b - a) * (1.0 - gamma) } else { a + (b - a) * gamma }
    }

    #[test]
    fn selected_quantiles_are_those_of_the_sorted_run() {
        let x: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64 * 0.5 - 7.0).collect();
        let qs = [0.0, 0.95, 0.5, 0.13, 1.0, 0.5, 0.999];
        let mut out = vec![0.0; qs.len() * 2];
        quantiles(&x, &qs, &mut out, 2, &mut Vec::new(), &mut Vec::new()).unwrap();
        for (k, &q) in qs.iter().enumerate() {
            assert_eq!(out[2 * k], sorted_quantile(&x, q), "q = {q}");
        }
        let mut with_nan = x.clone();
        with_nan[50] = f64::NAN;
        quantiles(&with_nan, &qs, &mut out, 1, &mut Vec::new(), &mut Vec::new()).unwrap();
        assert!(out[..qs.len()].iter().all(|v| v.is_nan()));
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0], &mut Vec::new()).unwrap(), 2.5);
    }
}
