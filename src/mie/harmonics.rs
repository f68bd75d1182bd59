//! The angular functions of the Mie field, π_l(cos θ) and τ_l(cos θ), by the upward recurrence of
//! DeepTrack2's `backend.mie.harmonics`.

use crate::error::{Error, ErrorKind, Result};

/// π_l(x) and τ_l(x) for l = 1..=`max_order` at every `x` (the cosine of the polar angle): two
/// row-major arrays of `max_order` rows of `x.len()` values, π first. Order 1 alone (and order 0,
/// empty arrays) are well defined here, where DeepTrack2 2.0.1 raises an IndexError.
pub fn harmonics(x: &[f64], max_order: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = x.len();
    let len = n.checked_mul(max_order).ok_or_else(|| too_large(n, max_order))?;
    let mut pi = crate::buffer::zeroed(len).map_err(|_| too_large(n, max_order))?;
    let mut tau = crate::buffer::zeroed(len).map_err(|_| too_large(n, max_order))?;
    fill(x, max_order, &mut pi, &mut tau);
    Ok((pi, tau))
}

/// Writes the harmonics into `pi` and `tau`, each `max_order * x.len()` long (row-major).
pub fn fill(x: &[f64], max_order: usize, pi: &mut [f64], tau: &mut [f64]) {
    let n = x.len();
    assert!(pi.len() == n * max_order && tau.len() == n * max_order, "harmonics: buffers of the wrong size");
    if n == 0 || max_order == 0 {
        return;
    }
    for (j, &x) in x.iter().enumerate() {
        pi[j] = 1.0;
        tau[j] = x;
        if max_order >= 2 {
            pi[n + j] = 3.0 * x;
            tau[n + j] = 6.0 * x * x - 3.0;
        }
    }
    for i in 3..=max_order {
        let f = i as f64;
        let (a, b) = ((2.0 * f - 1.0) / (f - 1.0), f / (f - 1.0));
        let (done, rest) = pi.split_at_mut((i - 1) * n);
        let (p3, p2) = (&done[(i - 3) * n..(i - 2) * n], &done[(i - 2) * n..]);
        let row = &mut rest[..n];
        let t = &mut tau[(i - 1) * n..i * n];
        for j in 0..n {
            row[j] = a * x[j] * p2[j] - b * p3[j];
            t[j] = f * x[j] * row[j] - (f + 1.0) * p2[j];
        }
    }
}

fn too_large(n: usize, max_order: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("mie harmonics: cannot allocate {max_order} orders of {n} points"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeptrack2_test_values() {
        let (pi, tau) = harmonics(&[0.4], 4).unwrap();
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12);
        assert!(close(&pi, &[1.0, 1.2, -0.3, -1.88]));
        assert!(close(&tau, &[0.4, -2.04, -5.16, -1.508]));
        let (pi, tau) = harmonics(&[0.0, -0.5], 3).unwrap();
        assert!(close(&pi, &[1.0, 1.0, 0.0, -1.5, -1.5, 0.375]));
        assert!(close(&tau, &[0.0, -0.5, -3.0, -1.5, 0.0, 5.4375]));
        let (pi, tau) = harmonics(&[0.3], 1).unwrap();
        assert_eq!((pi, tau), (vec![1.0], vec![0.3]));
        assert_eq!(harmonics(&[0.3], 0).unwrap(), (vec![], vec![]));
    }
}
