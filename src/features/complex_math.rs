//! `Clip`, `NormalizeMinMax` and `NormalizeStandard` of complex images, as DeepTrack2 2.0.1 computes
//! them with numpy on complex arrays: numpy orders complex numbers by real part, then imaginary part
//! (`min`, `max`, `ptp`, `clip`); `std` is real (the root of numpy's mean of `|z - mean|²`).

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
    divide(z, Complex64::new(n, 0.0))
}

/// numpy's complex `true_divide` `a / b` (Smith's method, as its `CDOUBLE_divide` loop; shared with
/// the element-wise kinds): not num-complex's `a / b`, which divides by `|b|²` (other roundings, and
/// overflow for large `b`).
#[inline]
pub(crate) fn divide(a: Complex64, b: Complex64) -> Complex64 {
    super::elementwise::c99::div(a, b)
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
    if ptp != Complex64::new(0.0, 0.0) && z.iter().all(|x| x.re.is_finite() && x.im.is_finite()) {
        // The real parts span [lo, lo + |hi - lo|] (the largest and least numbers, a `ptp` apart,
        // become `hi - lo` apart), as the real path's image does: the same overflow check.
        crate::features::math::check_min_max_range(lo, hi)?;
    }
    // numpy's `z / ptp` (complex division), `· (hi - lo)` (by `(hi - lo) + 0j`).
    let scale = Complex64::new(hi - lo, 0.0);
    let mut y = z;
    for x in y.iter_mut() {
        *x = divide(*x, ptp) * scale;
    }
    let least = extreme(&y, false);
    complex_image(&like, &y, |x| {
        let v = x - least;
        let v = Complex64::new(v.re + lo, v.im + 0.0);
        if is_nan(v) { Complex64::new(0.0, 0.0) } else { v }
    })
}

/// DeepTrack2's `NormalizeStandard` of a complex image: `(z - mean) / std` with numpy's bits: the
/// mean and the (real) deviation as numpy's `mean` and `std` of complex arrays compute them (the
/// statistics kinds' [`complex::reduce`]), and the division by the deviation as numpy's complex
/// `true_divide` by `std + 0j` ([`divide_by_count`]: `(re + im·0)·(1/std)`, not `re / std`).
pub(crate) fn standard(img: &Image) -> Result<Image> {
    use crate::features::statistics::complex::{self, Reduced};
    use crate::features::statistics::{Reduction, reduce::Spec};
    let spec = |op| Spec { op, axis: None, keepdims: false, q: None };
    let view = img.data();
    let mean = match complex::reduce("NormalizeStandard", view.view(), &spec(Reduction::Mean))? {
        Reduced::Complex(_, parts) => Complex64::new(parts[0], parts[1]),
        Reduced::Real(_) => unreachable!("the mean of complex numbers is complex"),
    };
    let std = match complex::reduce("NormalizeStandard", view, &spec(Reduction::Std))? {
        Reduced::Real(std) => std.first().copied().unwrap_or(f64::NAN),
        Reduced::Complex(..) => unreachable!("the deviation of complex numbers is real"),
    };
    let (like, z) = numbers(img)?;
    complex_image(&like, &z, |x| divide_by_count(x - mean, std))
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
/// with numpy's `max`, `min` or `median` of complex numbers and `cval`): blocks of `ksize` per axis,
/// padded with `cval + 0j` at the end of an axis that does not divide, the padding taking part. Each block is read
/// clipped to the image and its padding counted, not materialised: the scratch is at most the
/// image's numbers (allocated fallibly), whatever `ksize`.
pub(crate) fn pool(img: &Image, ksize: &[usize], by: PoolBy, cval: f64) -> Result<Image> {
    let (like, z) = numbers(img)?;
    let dims = like.shape().to_vec();
    let out_dims: Vec<usize> = dims.iter().zip(ksize).map(|(&n, &k)| n.div_ceil(k)).collect();
    let count: usize = out_dims.iter().product();
    // The block's size (up to 2^53 per axis: counted in u128, saturating, which only the count of
    // padding zeros reads) and the most numbers of the image one block holds.
    let block = ksize.iter().fold(1_u128, |b, &k| b.saturating_mul(k as u128));
    let clipped: usize = dims.iter().zip(ksize).map(|(&n, &k)| n.min(k)).product();
    let mut parts = crate::buffer::with_capacity(2 * count)?;
    let oom = || {
        crate::error::Error::new(
            crate::error::ErrorKind::OutOfMemory,
            format!("cannot allocate a block of the pooling ({clipped} numbers)"),
        )
    };
    let mut values: Vec<Complex64> = crate::buffer::try_vec(clipped).ok_or_else(oom)?;
    let mut scratch: Vec<Complex64> = crate::buffer::try_vec(clipped).ok_or_else(oom)?;
    let (mut at, mut offset) = (vec![0usize; dims.len()], vec![0usize; dims.len()]);
    // The clipped block's extent along each axis.
    let mut extent = vec![0usize; dims.len()];
    for o in 0..count {
        unravel(o, &out_dims, &mut at);
        for a in 0..dims.len() {
            extent[a] = dims[a].min((at[a] * ksize[a]).saturating_add(ksize[a])) - at[a] * ksize[a];
        }
        let inside: usize = extent.iter().product();
        values.clear();
        for b in 0..inside {
            unravel(b, &extent, &mut offset);
            let index = (0..dims.len()).fold(0, |index, a| index * dims[a] + at[a] * ksize[a] + offset[a]);
            values.push(z[index]);
        }
        let pads = block - inside as u128;
        let pad = Complex64::new(cval, 0.0);
        let w = match by {
            // A sample of the padding, once, decides as many would.
            PoolBy::Max | PoolBy::Min => {
                let best = extreme(&values, by == PoolBy::Max);
                if pads > 0 { pick(best, pad, by == PoolBy::Max) } else { best }
            }
            PoolBy::Median => median_with_padding(&values, pads, pad, &mut scratch),
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

/// numpy's median of the numbers `z` and `pads` more numbers `pad` (a block with its padding), as
/// [`median`] gives it for them all: the first NaN number if there is one (the padding's last), else
/// the middle number in numpy's order or the mean of the middle two.
fn median_with_padding(z: &[Complex64], pads: u128, pad: Complex64, scratch: &mut Vec<Complex64>) -> Complex64 {
    if pads == 0 {
        return median(z, scratch);
    }
    if let Some(&x) = z.iter().find(|&&x| is_nan(x)) {
        return x;
    }
    if is_nan(pad) {
        return pad;
    }
    let zero = Complex64::new(0.0, 0.0);
    scratch.clear();
    scratch.extend_from_slice(z);
    // numpy's order (no NaN here): -0 equals 0, as `less` compares.
    let order = |a: &Complex64, b: &Complex64| {
        let by = |x: f64, y: f64| x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
        by(a.re, b.re).then(by(a.im, b.im))
    };
    scratch.sort_unstable_by(order);
    // The padding sorts after the numbers below `pad` (a -0 part counts as 0, as numpy compares it).
    let below = scratch.partition_point(|&v| less(v, pad)) as u128;
    let total = scratch.len() as u128 + pads;
    let at = |r: u128| {
        if r < below {
            scratch[r as usize]
        } else if r < below + pads {
            pad
        } else {
            scratch[(r - pads) as usize]
        }
    };
    if total % 2 == 1 {
        divide_by_count(zero + at(total / 2), 1.0)
    } else {
        divide_by_count(zero + (at(total / 2 - 1) + at(total / 2)), 2.0)
    }
}

/// The index along each axis of `dims` of the flat (C order) index `flat`, into `out`.
fn unravel(mut flat: usize, dims: &[usize], out: &mut [usize]) {
    for a in (0..dims.len()).rev() {
        out[a] = flat % dims[a];
        flat /= dims[a];
    }
}
