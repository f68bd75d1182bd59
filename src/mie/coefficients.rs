//! The Mie coefficients a_l and b_l of a homogeneous sphere and of a stratified one (concentric
//! layers), as DeepTrack2's `backend.mie.coefficients` and `stratified_coefficients` define them.

use rustfft::num_complex::Complex64;

use super::bessel::Arg;
use super::determinant::determinant;
use super::riccati::{dricbesh, dricbesj, dricbesy, ricbesh, ricbesj, ricbesy};
use crate::error::{Error, ErrorKind, Result};

/// The coefficients a_l, b_l for l = 1..=`max_order` of a sphere of relative refractive index `m`
/// (complex for an absorbing particle) and size parameter `a` (k × radius).
pub fn coefficients(m: Complex64, a: f64, max_order: usize) -> Result<(Vec<Complex64>, Vec<Complex64>)> {
    let (mut an, mut bn) = (buffer(max_order)?, buffer(max_order)?);
    let x = Arg::Real(a);
    let mx = Arg::Complex(m * a);
    for l in 1..=max_order {
        let l_f = l as f64;
        let (sx, dsx) = (ricbesj(l_f, x), dricbesj(l_f, x));
        let (smx, dsmx) = (ricbesj(l_f, mx), dricbesj(l_f, mx));
        let (xix, dxix) = (ricbesh(l_f, x), dricbesh(l_f, x));
        an.push((m * smx * dsx - sx * dsmx) / (m * smx * dxix - xix * dsmx));
        bn.push((smx * dsx - m * sx * dsmx) / (smx * dxix - m * xix * dsmx));
    }
    Ok((an, bn))
}

/// The coefficients a_l, b_l for l = 1..=`max_order` of a sphere of concentric layers: `m[k]` is the
/// relative refractive index of layer k and `a[k]` the size parameter of its outer surface, the
/// innermost first. One layer is [`coefficients`]. `m` and `a` must be as long and not empty.
pub fn stratified_coefficients(
    m: &[Complex64],
    a: &[f64],
    max_order: usize,
) -> Result<(Vec<Complex64>, Vec<Complex64>)> {
    if a.is_empty() || m.len() != a.len() {
        return Err(Error::invalid(format!(
            "mie stratified_coefficients: {} refractive indices for {} radii; give one of each per layer (at least one)",
            m.len(),
            a.len()
        )));
    }
    if a.len() == 1 {
        return coefficients(m[0], a[0], max_order);
    }
    let size = 2 * a.len();
    let cells = size.checked_mul(size).ok_or_else(|| too_many_layers(a.len()))?;
    let matrix = || -> Result<Vec<Complex64>> {
        let mut v = Vec::new();
        v.try_reserve_exact(cells).map_err(|_| too_many_layers(a.len()))?;
        v.resize(cells, Complex64::new(0.0, 0.0));
        Ok(v)
    };
    let (mut an, mut bn) = (buffer(max_order)?, buffer(max_order)?);
    let (mut ma, mut mc, mut scratch) = (matrix()?, matrix()?, matrix()?);
    let outer = a[a.len() - 1];
    for l in 1..=max_order {
        let l_f = l as f64;
        fill_boundary_matrices(m, a, l_f, &mut ma, &mut mc);
        // The medium's outgoing wave ξ in the last column gives the denominators.
        let xi = ricbesh(l_f, Arg::Real(outer));
        let dxi = dricbesh(l_f, Arg::Real(outer));
        an.push(ratio(&ma, size, dxi, xi, &mut scratch));
        bn.push(ratio(&mc, size, dxi, xi, &mut scratch));
    }
    Ok((an, bn))
}

/// `det(M) / det(M')`, where M' is M with the last column's two last entries replaced by ξ' and ξ.
fn ratio(matrix: &[Complex64], size: usize, dxi: Complex64, xi: Complex64, scratch: &mut [Complex64]) -> Complex64 {
    scratch.copy_from_slice(matrix);
    let numerator = determinant(scratch, size);
    scratch.copy_from_slice(matrix);
    scratch[(size - 2) * size + size - 1] = dxi;
    scratch[(size - 1) * size + size - 1] = xi;
    numerator / determinant(scratch, size)
}

/// The matrices of the boundary conditions at order `l` (DeepTrack2's A and C): rows 2q and 2q+1 hold
/// the continuity of the fields' derivative and value at surface q; column 0 is the core's regular
/// wave ψ, columns 2k−1 and 2k layer k's ψ and χ, the last column the medium's wave. In A the value
/// rows carry the factor m of the layer, in C the derivative rows do.
fn fill_boundary_matrices(m: &[Complex64], a: &[f64], l: f64, ma: &mut [Complex64], mc: &mut [Complex64]) {
    let size = 2 * a.len();
    ma.fill(Complex64::new(0.0, 0.0));
    mc.fill(Complex64::new(0.0, 0.0));
    for i in 0..size {
        let q = i / 2;
        let derivative_row = i % 2 == 0;
        for j in 0..size {
            let p = j.div_ceil(2);
            if p != q && p != q + 1 {
                continue;
            }
            let last = j == size - 1;
            let (index, arg) =
                if last { (Complex64::new(1.0, 0.0), Arg::Real(a[q])) } else { (m[p], Arg::Complex(m[p] * a[q])) };
            // Column 0 and the odd columns hold ψ, the other even ones χ; the last holds the medium's ψ.
            let regular = last || j == 0 || j % 2 == 1;
            let cell = i * size + j;
            if derivative_row {
                let v = if regular { dricbesj(l, arg) } else { dricbesy(l, arg) };
                ma[cell] = v;
                mc[cell] = index * v;
            } else {
                let v = if regular { ricbesj(l, arg) } else { ricbesy(l, arg) };
                mc[cell] = v;
                ma[cell] = index * v;
            }
        }
    }
}

fn buffer(max_order: usize) -> Result<Vec<Complex64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(max_order).map_err(|_| {
        Error::new(ErrorKind::OutOfMemory, format!("mie coefficients: cannot allocate {max_order} orders"))
    })?;
    Ok(v)
}

fn too_many_layers(layers: usize) -> Error {
    Error::new(
        ErrorKind::OutOfMemory,
        format!("mie stratified_coefficients: cannot allocate the matrices of {layers} layers"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    #[test]
    fn aragon_reference_values() {
        // DeepTrack2's test values (Sergio Aragon's Mie scattering in Mathematica).
        let (a, b) = coefficients(c(4.0 / 3.0, 0.0), 50.0, 1).unwrap();
        assert!((a[0] - c(0.531_105_889_294_841_2, -0.499_031_485_631_094_3)).norm() < 1e-10);
        assert!((b[0] - c(0.791_924_475_935_200_5, -0.405_931_152_228_993_8)).norm() < 1e-10);
        let (a, b) = coefficients(c(1.1, 25.0), 2.0, 2).unwrap();
        assert!((a[1] - c(0.324_433_578_437, -0.465_627_763_266)).norm() < 1e-10);
        assert!((b[1] - c(0.060_464_399_088, 0.236_805_417_045)).norm() < 1e-10);
    }

    #[test]
    fn layers_of_one_material_are_one_sphere() {
        let m = c(1.5, 0.01);
        let (a1, b1) = coefficients(m, 3.0, 6).unwrap();
        let (a2, b2) = stratified_coefficients(&[m, m], &[1.7, 3.0], 6).unwrap();
        for l in 0..6 {
            assert!((a1[l] - a2[l]).norm() < 1e-10 * a1[l].norm().max(1e-3), "a[{l}]");
            assert!((b1[l] - b2[l]).norm() < 1e-10 * b1[l].norm().max(1e-3), "b[{l}]");
        }
        assert!(stratified_coefficients(&[m], &[1.0, 2.0], 3).is_err());
        assert!(stratified_coefficients(&[], &[], 3).is_err());
    }
}
