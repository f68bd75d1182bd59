//! `Clip`, `NormalizeMinMax` and `NormalizeStandard` of complex images, as DeepTrack2 2.0.1 computes
//! them with numpy on complex arrays: numpy orders complex numbers by real part, then imaginary part
//! (`min`, `max`, `ptp`, `clip`); `std` is real (the root of the variances of the parts added).

use rustfft::num_complex::Complex64;

use crate::error::Result;
use crate::features::complex_inputs::from_parts;
use crate::image::Image;

/// The numbers of a complex image, with the image without its axis of parts (the shape of the
/// result's numbers), as `Complex64`s read from the interleaved parts.
fn numbers(img: &Image) -> Result<(Image, Vec<Complex64>)> {
    let parts = img.contiguous()?;
    let mut z: Vec<Complex64> = crate::buffer::try_vec(parts.len() / 2).ok_or_else(|| {
        crate::error::Error::new(crate::error::ErrorKind::OutOfMemory, "cannot allocate the complex numbers")
    })?;
    z.extend(parts.chunks_exact(2).map(|p| Complex64::new(p[0], p[1])));
    Ok((img.complex_part(false)?, z))
}

/// A complex image like `like` (the shape of its numbers) over the numbers `f(z)` of `z`.
fn complex_image(like: &Image, z: &[Complex64], f: impl Fn(Complex64) -> Complex64) -> Result<Image> {
    let mut parts = crate::buffer::with_capacity(2 * z.len())?;
    parts.extend(z.iter().flat_map(|&x| {
        let y = f(x);
        [y.re, y.im]
    }));
    from_parts(like, parts)
}

/// numpy's `a < b` of complex numbers: by real part, then imaginary part.
pub(crate) fn less(a: Complex64, b: Complex64) -> bool {
    a.re < b.re || (a.re == b.re && a.im < b.im)
}

/// Whether a part of `z` is NaN (numpy's `isnan` of a complex number).
fn is_nan(z: Complex64) -> bool {
    z.re.is_nan() || z.im.is_nan()
}

/// numpy's `min` (`max` when `max`) of complex numbers: the first NaN if there is one.
pub(crate) fn extreme(z: &[Complex64], max: bool) -> Complex64 {
    let mut best = z.first().copied().unwrap_or(Complex64::new(f64::NAN, f64::NAN));
    for &x in z {
        if is_nan(best) {
            break;
        }
        best = pick(best, x, max);
    }
    best
}

/// One step of numpy's `minimum` (`maximum` when `max`) of complex numbers, as its reductions take
/// it: `best` kept when it is NaN or not beyond `x`, else `x` (a NaN `x` wins).
#[inline]
pub(crate) fn pick(best: Complex64, x: Complex64, max: bool) -> Complex64 {
    if !is_nan(best) && (is_nan(x) || (if max { less(best, x) } else { less(x, best) })) { x } else { best }
}

/// numpy's complex `true_divide` of `z` by the count `n` (a real divisor, `n + 0j`), as `mean`
/// divides a complex sum: `rat = 0 / n`, `scl = 1 / n`, `((re + im·rat)·scl, (im − re·rat)·scl)`.
/// Not `z / n`: the results differ by up to one rounding, an infinite or NaN part makes the other
/// NaN (`inf · 0`), and a zero part loses its sign; `n = 0` divides each part by 0.
#[inline]
pub(crate) fn divide_by_count(z: Complex64, n: f64) -> Complex64 {
    if n == 0.0 {
        return Complex64::new(z.re / n, z.im / n);
    }
    let rat = 0.0 / n;
    let scl = 1.0 / (n + 0.0 * rat);
    Complex64::new((z.re + z.im * rat) * scl, (z.im - z.re * rat) * scl)
}

/// `np.clip(z, lo, hi)` of a complex image: `lo` for the numbers before it in numpy's order, `hi`
/// for those after it.
pub(crate) fn clip(img: &Image, lo: f64, hi: f64) -> Result<Image> {
    let (like, z) = numbers(img)?;
    let (lo, hi) = (Complex64::new(lo, 0.0), Complex64::new(hi, 0.0));
    // numpy's `minimum(maximum(z, lo), hi)`: `hi` wins where the bounds cross.
    complex_image(&like, &z, |x| {
        let y = if less(x, lo) { lo } else { x };
        if less(hi, y) { hi } else { y }
    })
}

/// DeepTrack2's `NormalizeMinMax` of a complex image: `y = z / ptp(z) * (hi - lo)`, then
/// `y - min(y) + lo`, NaN numbers to 0 (`ptp` and `min` in numpy's order of complex numbers).
pub(crate) fn min_max(img: &Image, lo: f64, hi: f64) -> Result<Image> {
    let (like, z) = numbers(img)?;
    if z.is_empty() {
        return complex_image(&like, &z, |x| x);
    }
    let ptp = extreme(&z, true) - extreme(&z, false);
    let scale = Complex64::new(hi - lo, 0.0);
    let mut y = z;
    for x in y.iter_mut() {
        *x = *x / ptp * scale;
    }
    let least = extreme(&y, false);
    let lo = Complex64::new(lo, 0.0);
    complex_image(&like, &y, |x| {
        let v = x - least + lo;
        if is_nan(v) { Complex64::new(0.0, 0.0) } else { v }
    })
}

/// DeepTrack2's `NormalizeStandard` of a complex image: `(z - mean) / std`, the deviation real.
pub(crate) fn standard(img: &Image) -> Result<Image> {
    let (like, z) = numbers(img)?;
    let n = z.len() as f64;
    let mean = z.iter().fold(Complex64::new(0.0, 0.0), |s, &x| s + x) / n;
    let var = z.iter().map(|&x| (x - mean).norm_sqr()).sum::<f64>() / n;
    let std = var.sqrt();
    complex_image(&like, &z, |x| (x - mean) / std)
}

/// numpy's median of complex numbers: the middle number in numpy's order, or the mean of the middle
/// two; a NaN number if there is one, NaN for none. `scratch` is reused.
pub(crate) fn median(z: &[Complex64], scratch: &mut Vec<Complex64>) -> Complex64 {
    let nan = Complex64::new(f64::NAN, f64::NAN);
    if z.is_empty() {
        return nan;
    }
    if let Some(&x) = z.iter().find(|&&x| is_nan(x)) {
        return x;
    }
    scratch.clear();
    scratch.extend_from_slice(z);
    let order = |a: &Complex64, b: &Complex64| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im));
    let n = scratch.len();
    // The middle one selected (numpy partitions, in linear time), and the largest below it.
    let (below, &mut middle, _) = scratch.select_nth_unstable_by(n / 2, order);
    // numpy takes the mean of the middle one or two: their sum added to +0 (its identity), divided
    // by the count as complex numbers.
    let zero = Complex64::new(0.0, 0.0);
    if n % 2 == 1 {
        divide_by_count(zero + middle, 1.0)
    } else {
        let lower = below.iter().copied().max_by(order).expect("n is even and not 0: n / 2 below the middle");
        divide_by_count(zero + (lower + middle), 2.0)
    }
}

/// A pooling of complex numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolBy {
    /// numpy's `max` of complex numbers.
    Max,
    /// numpy's `min`.
    Min,
    /// numpy's `median`.
    Median,
}

/// `MaxPooling`, `MinPooling` or `MedianPooling` of a complex image (`skimage.measure.block_reduce`
/// with numpy's `max`, `min` or `median` of complex numbers): blocks of `ksize` per axis, padded with
/// zeros at the end of an axis that does not divide, the zeros taking part.
pub(crate) fn pool(img: &Image, ksize: &[usize], by: PoolBy) -> Result<Image> {
    let (like, z) = numbers(img)?;
    let dims = like.shape().to_vec();
    let out_dims: Vec<usize> = dims.iter().zip(ksize).map(|(&n, &k)| n.div_ceil(k)).collect();
    let count: usize = out_dims.iter().product();
    let block: usize = ksize.iter().product();
    let mut parts = crate::buffer::with_capacity(2 * count)?;
    let oom =
        || crate::error::Error::new(crate::error::ErrorKind::OutOfMemory, "cannot allocate a block of the pooling");
    let mut values: Vec<Complex64> = crate::buffer::try_vec(block).ok_or_else(oom)?;
    let mut scratch: Vec<Complex64> = crate::buffer::try_vec(block).ok_or_else(oom)?;
    let (mut at, mut offset) = (vec![0usize; dims.len()], vec![0usize; dims.len()]);
    for o in 0..count {
        unravel(o, &out_dims, &mut at);
        values.clear();
        for b in 0..block {
            unravel(b, ksize, &mut offset);
            let mut index = 0;
            let mut inside = true;
            for a in 0..dims.len() {
                let i = at[a] * ksize[a] + offset[a];
                inside &= i < dims[a];
                index = index * dims[a] + i;
            }
            values.push(if inside { z[index] } else { Complex64::new(0.0, 0.0) });
        }
        let w = match by {
            PoolBy::Max => extreme(&values, true),
            PoolBy::Min => extreme(&values, false),
            PoolBy::Median => median(&values, &mut scratch),
        };
        parts.extend_from_slice(&[w.re, w.im]);
    }
    let mut shape = out_dims;
    shape.push(2);
    let array = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), parts).expect("two parts a block");
    let mut out = img.with_standard_data(array);
    out.set_complex(true)?;
    Ok(out)
}

/// The index along each axis of `dims` of the flat (C order) index `flat`, into `out`.
fn unravel(mut flat: usize, dims: &[usize], out: &mut [usize]) {
    for a in (0..dims.len()).rev() {
        out[a] = flat % dims[a];
        flat /= dims[a];
    }
}
