//! numpy's `power` of float64 samples (`Power`, `image ** value`), bit for bit as numpy 2 computes
//! it: an exponent that is one number (a scalar, or one element broadcast) of -1, 0, 0.5, 1 or 2
//! is `1 / x`, `1`, `sqrt(x)`, `x` or `x * x`; every other power is SVML's `pow` on
//! processors with AVX512_SKX ([`svml`], numpy's own kernel), else the C library's `pow`, as numpy
//! without AVX-512 (its scalar loop calls `npy_pow`, the C library's).

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use crate::error::{Error, ErrorKind, Result};

#[cfg(target_arch = "x86_64")]
mod svml;

/// One side of a power: the samples of a row, or one number for all of them (numpy's stride 0).
#[derive(Clone, Copy)]
pub(crate) enum Operand<'a> {
    /// One sample per output sample.
    Row(&'a [f64]),
    /// The same number for every output sample.
    Number(f64),
}

impl Operand<'_> {
    /// Samples `from ..` into `dst`.
    fn copy_to(&self, from: usize, dst: &mut [f64]) {
        match self {
            Operand::Row(r) => dst.copy_from_slice(&r[from..from + dst.len()]),
            Operand::Number(v) => dst.fill(*v),
        }
    }
}

/// `out[i] = x[i] ** y[i]`, as numpy's float64 power loop.
pub(crate) fn pow_into(x: Operand<'_>, y: Operand<'_>, out: &mut [f64]) {
    if let Operand::Number(e) = y {
        match e {
            -1.0 => return map(x, out, |v| 1.0 / v),
            0.0 => return out.fill(1.0),
            0.5 => return map(x, out, f64::sqrt),
            1.0 => return map(x, out, |v| v),
            2.0 => return map(x, out, |v| v * v),
            _ => {}
        }
    }
    #[cfg(target_arch = "x86_64")]
    if svml::available() {
        return pow_svml(x, y, out);
    }
    match (x, y) {
        (Operand::Row(x), Operand::Row(y)) => {
            out.iter_mut().zip(x.iter().zip(y)).for_each(|(o, (&p, &q))| *o = p.powf(q));
        }
        (x, Operand::Number(q)) => map(x, out, |p| p.powf(q)),
        (Operand::Number(p), Operand::Row(y)) => out.iter_mut().zip(y).for_each(|(o, &q)| *o = p.powf(q)),
    }
}

/// [`pow_into`] by SVML: whole vectors of eight in place, the last few through a padded copy
/// (lanes past the end compute 1 ** 1; SVML computes lane by lane).
#[cfg(target_arch = "x86_64")]
fn pow_svml(x: Operand<'_>, y: Operand<'_>, out: &mut [f64]) {
    use svml::Step;
    let whole = out.len() / 8;
    let splat = |o: &Operand<'_>| match o {
        Operand::Row(_) => [0.0; 8],
        Operand::Number(v) => [*v; 8],
    };
    let (xs, ys) = (splat(&x), splat(&y));
    let (px, sx) = match x {
        Operand::Row(r) => (r.as_ptr(), Step::Row),
        Operand::Number(_) => (xs.as_ptr(), Step::Same),
    };
    let (py, sy) = match y {
        Operand::Row(r) => (r.as_ptr(), Step::Row),
        Operand::Number(_) => (ys.as_ptr(), Step::Same),
    };
    if whole > 0 {
        // SAFETY: `available` returned true; rows hold `out.len() >= whole * 8` samples, numbers
        // eight, and `out` (mutably borrowed) overlaps neither.
        unsafe { svml::pow_chunks(px, sx, py, sy, out.as_mut_ptr(), whole) };
    }
    let done = whole * 8;
    let k = out.len() - done;
    if k > 0 {
        let (mut a, mut b, mut r) = ([1.0; 8], [1.0; 8], [0.0; 8]);
        x.copy_to(done, &mut a[..k]);
        y.copy_to(done, &mut b[..k]);
        // SAFETY: as above, on local arrays of eight.
        unsafe { svml::pow_chunks(a.as_ptr(), Step::Row, b.as_ptr(), Step::Row, r.as_mut_ptr(), 1) };
        out[done..].copy_from_slice(&r[..k]);
    }
}

/// `out[i] = f(x[i])`.
fn map(x: Operand<'_>, out: &mut [f64], f: impl Fn(f64) -> f64) {
    match x {
        Operand::Row(r) => out.iter_mut().zip(r).for_each(|(o, &v)| *o = f(v)),
        Operand::Number(v) => out.fill(f(v)),
    }
}

/// `x ** y` of every sample of `x`, a number `y`.
pub(crate) fn pow_number(x: &[f64], y: f64) -> Result<Vec<f64>> {
    // numpy's shortcuts (those of `pow_into`) in one pass compiled for AVX2 where the processor has
    // it, into a buffer that is not zeroed first.
    match y {
        -1.0 => return crate::features::pixelwise::map(x, |v| 1.0 / v),
        0.5 => return crate::features::pixelwise::map(x, f64::sqrt),
        1.0 => return crate::features::pixelwise::map(x, |v| v),
        2.0 => return crate::features::pixelwise::map(x, |v| v * v),
        _ => {}
    }
    let mut out = zeroed(x.len())?;
    pow_into(Operand::Row(x), Operand::Number(y), &mut out);
    Ok(out)
}

/// `a ** b` element-wise with numpy's broadcasting, `shape` the broadcast shape of the two (the
/// caller checked it). Only an exponent of one element broadcast to a larger shape takes numpy's
/// shortcuts: one broadcast along rows (shape `(n, 1)`) does not, nor one of the output's shape,
/// as in numpy.
pub(crate) fn pow_broadcast(a: &ArrayViewD<'_, f64>, b: &ArrayD<f64>, shape: &[usize]) -> Result<ArrayD<f64>> {
    let count = shape.iter().product::<usize>();
    let mut out = zeroed(count)?;
    if count == 0 {
        return Ok(ArrayD::from_shape_vec(IxDyn(shape), out).expect("sized by the shape"));
    }
    let (av, bv) = (a.broadcast(IxDyn(shape)), b.broadcast(IxDyn(shape)));
    let (av, bv) = (av.expect("broadcastable"), bv.expect("broadcastable"));
    // One inner loop over the whole output: operands in the output's shape, or of one element
    // (broadcast: stride 0 throughout). An exponent broadcast from one element takes numpy's
    // shortcuts; one of the output's shape does not, even of one element.
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        if let (Some(x), Some(y)) = (side(x, a.shape(), shape), side(y, b.shape(), shape)) {
            pow_into(x, y, &mut out);
            return Ok(ArrayD::from_shape_vec(IxDyn(shape), out).expect("sized by the shape"));
        }
    }
    let last = shape.len() - 1;
    let len = shape[last];
    let mut xs = zeroed(len)?;
    let mut ys = zeroed(len)?;
    let rows = av.lanes(Axis(last)).into_iter().zip(bv.lanes(Axis(last)));
    for ((ra, rb), o) in rows.zip(out.chunks_mut(len)) {
        xs.iter_mut().zip(ra.iter()).for_each(|(d, &v)| *d = v);
        ys.iter_mut().zip(rb.iter()).for_each(|(d, &v)| *d = v);
        pow_into(Operand::Row(&xs), Operand::Row(&ys), o);
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), out).expect("sized by the shape"))
}

/// An operand of shape `own` in one loop over `shape`: its samples, its one number broadcast, or
/// `None` when it needs rows of its own.
fn side<'a>(v: &'a [f64], own: &[usize], shape: &[usize]) -> Option<Operand<'a>> {
    if own == shape { Some(Operand::Row(v)) } else { (v.len() == 1).then(|| Operand::Number(v[0])) }
}

fn zeroed(n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} samples")))?;
    v.resize(n, 0.0);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_exponents_are_numpys_shortcuts() {
        let x = [3.0, 0.1, 7.5];
        assert_eq!(pow_number(&x, 2.0).unwrap(), vec![9.0, 0.1 * 0.1, 56.25]);
        assert_eq!(pow_number(&x, 0.5).unwrap(), x.iter().map(|v| v.sqrt()).collect::<Vec<_>>());
        assert_eq!(pow_number(&x, -1.0).unwrap(), x.iter().map(|v| 1.0 / v).collect::<Vec<_>>());
        assert_eq!(pow_number(&[f64::NAN], 0.0).unwrap(), vec![1.0]);
    }

    /// numpy 2.4's `np.power(x, y)` on an AVX-512 processor (x, y, result as bits), where glibc's
    /// `pow` rounds the other way: reproduced bit for bit where SVML runs, else glibc's `pow`.
    const NUMPY_AVX512: [(u64, u64, u64); 12] = [
        (0x3ff688da856f47ea, 0xc00440842ad7dcf4, 0x3fdae51b8292dd86),
        (0x3fe52af4ef8758ec, 0x4007d558a3901168, 0x3fd2af61d99672da),
        (0x402170a7c8156f7f, 0x3fe06d50626abff8, 0x400850ff7753676d),
        (0x4004e7cafcaeb3e3, 0xc001904caea09308, 0x3fbf124c29e2276a),
        (0x4030099add7eeb87, 0x3ff7b29df92ad8e8, 0x404e78f531d290ba),
        (0x40209abb38112fca, 0x3fe30420a72bd338, 0x400c23d8423de834),
        (0x4033966f08760c53, 0x4001f71349e60e2a, 0x4088e61adb749749),
        (0x40320936d9b8fc7a, 0xbff4c16a2fbea7ab, 0x3f980877edf2d6c3),
        (0x401ec8933d7f7b6b, 0xc0001416b440ada4, 0x3f90f26965393b3d),
        (0x4025215ea16b3008, 0x3ff62fab394f1c34, 0x403a498d81b9d3d2),
        (0x4023f9f3ba0d3a18, 0x3fe32052a691e67c, 0x400fa85c92b21c1a),
        (0x4025712efdee37e4, 0xbfdcc5f26368d560, 0x3fd6078ad979916c),
    ];

    #[test]
    fn numpys_simd_results_bit_for_bit() {
        let x: Vec<f64> = NUMPY_AVX512.iter().map(|c| f64::from_bits(c.0)).collect();
        let y: Vec<f64> = NUMPY_AVX512.iter().map(|c| f64::from_bits(c.1)).collect();
        let mut out = vec![0.0; x.len()];
        pow_into(Operand::Row(&x), Operand::Row(&y), &mut out);
        #[cfg(target_arch = "x86_64")]
        if svml::available() {
            let want: Vec<u64> = NUMPY_AVX512.iter().map(|c| c.2).collect();
            assert_eq!(out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
            // Each lane alone (the padded tail) and with the exponent as one number give the same.
            for i in 0..x.len() {
                let mut one = [0.0];
                pow_into(Operand::Row(&x[i..=i]), Operand::Number(y[i]), &mut one);
                assert_eq!(one[0].to_bits(), want[i]);
            }
            return;
        }
        let libm: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a.powf(*b)).collect();
        assert_eq!(out, libm);
    }

    #[test]
    fn ieee_special_values() {
        let x = [0.0, -0.0, f64::INFINITY, f64::NAN, 1.0, -8.0, 2.0];
        let y = [-1.5, 3.0, -2.5, 0.0, f64::NAN, 1.0 / 3.0, 1024.0];
        let mut out = [0.0; 7];
        pow_into(Operand::Row(&x), Operand::Row(&y), &mut out);
        assert_eq!(out[0], f64::INFINITY);
        assert_eq!(out[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(out[2], 0.0);
        assert_eq!(out[3], 1.0);
        assert_eq!(out[4], 1.0);
        assert!(out[5].is_nan());
        assert_eq!(out[6], f64::INFINITY);
    }

    #[test]
    fn only_an_exponent_of_one_element_takes_the_shortcuts() {
        // Where glibc's `pow` (and SVML) and `x * x` differ: 0.1 ** 2.
        let x = [0.1f64, 0.3, 0.7];
        let a = ArrayD::from_shape_vec(IxDyn(&[1, 3]), x.to_vec()).unwrap();
        let one = ArrayD::from_shape_vec(IxDyn(&[1, 1]), vec![2.0]).unwrap();
        let squares: Vec<f64> = x.iter().map(|v| v * v).collect();
        assert_eq!(pow_broadcast(&a.view(), &one, &[1, 3]).unwrap().as_slice().unwrap(), &squares[..]);
        let rows = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![2.0, 2.0]).unwrap();
        let mut want = vec![0.0; 3];
        pow_into(Operand::Row(&x), Operand::Row(&[2.0; 3]), &mut want);
        let out = pow_broadcast(&a.view(), &rows, &[2, 3]).unwrap();
        assert_eq!(out.as_slice().unwrap(), &[want.clone(), want].concat()[..]);
    }
}
