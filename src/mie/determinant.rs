//! The determinant of a small complex matrix, by LU factorisation with partial pivoting (the pivot of
//! largest |re| + |im|, as LAPACK's `zgetrf`, which numpy's `det` calls, chooses it).

use rustfft::num_complex::Complex64;

/// The determinant of the `n`×`n` row-major matrix `a` (overwritten by its factors).
pub(crate) fn determinant(a: &mut [Complex64], n: usize) -> Complex64 {
    debug_assert_eq!(a.len(), n * n);
    let cabs1 = |z: Complex64| z.re.abs() + z.im.abs();
    let mut det = Complex64::new(1.0, 0.0);
    for k in 0..n {
        let pivot = (k..n).fold(k, |best, r| if cabs1(a[r * n + k]) > cabs1(a[best * n + k]) { r } else { best });
        if pivot != k {
            for c in 0..n {
                a.swap(k * n + c, pivot * n + c);
            }
            det = -det;
        }
        let p = a[k * n + k];
        det *= p;
        if p == Complex64::new(0.0, 0.0) {
            return det;
        }
        for r in k + 1..n {
            let f = a[r * n + k] / p;
            if f != Complex64::new(0.0, 0.0) {
                for c in k + 1..n {
                    let v = a[k * n + c];
                    a[r * n + c] -= f * v;
                }
            }
        }
    }
    det
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    #[test]
    fn determinants_of_known_matrices() {
        // [[1, 2], [3, 4]]: -2, with a row exchange.
        let mut a = [c(1.0, 0.0), c(2.0, 0.0), c(3.0, 0.0), c(4.0, 0.0)];
        assert!((determinant(&mut a, 2) - c(-2.0, 0.0)).norm() < 1e-15);
        // [[i, 1], [0, 2i]]: -2.
        let mut a = [c(0.0, 1.0), c(1.0, 0.0), c(0.0, 0.0), c(0.0, 2.0)];
        assert!((determinant(&mut a, 2) - c(-2.0, 0.0)).norm() < 1e-15);
        // Singular.
        let mut a = [c(1.0, 1.0), c(2.0, 2.0), c(0.5, 0.5), c(1.0, 1.0)];
        assert_eq!(determinant(&mut a, 2), c(0.0, 0.0));
        // 3x3 with a zero leading entry: det [[0,1,2],[1,0,3],[4,-3,8]] = -2.
        let r = |v: f64| c(v, 0.0);
        let mut a = [r(0.0), r(1.0), r(2.0), r(1.0), r(0.0), r(3.0), r(4.0), r(-3.0), r(8.0)];
        assert!((determinant(&mut a, 3) - r(-2.0)).norm() < 1e-14);
        assert_eq!(determinant(&mut [], 0), c(1.0, 0.0));
    }
}
