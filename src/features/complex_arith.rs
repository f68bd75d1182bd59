//! The arithmetic kinds (`Add`, `Subtract`, `Multiply`, `Divide`, `Power`) with complex numbers: a
//! complex image with any operand, or any image with a complex operand (`Add(value=1j)`), computed
//! as numpy's complex arithmetic with its broadcasting; the result is a complex image. The
//! comparisons are numpy 2's of complex numbers (by real part, then imaginary part), bools. numpy
//! defines no `floor_divide` of complex numbers: `FloorDivide` refuses them with an error naming it.

use std::mem::MaybeUninit;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::elementwise::c99;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::typed_samples::TypedSamples;
use crate::value::Value;

/// Whether `value` (an operand, or a list of them) holds a complex number.
pub(crate) fn is_complex_value(value: &Value) -> bool {
    match value {
        Value::Complex(..) | Value::ComplexArray(_) => true,
        Value::List(items) | Value::Tuple(items) => items.iter().any(is_complex_value),
        _ => false,
    }
}

/// `image op value` for the images of `inputs` paired in turn with the operands of `value`, in
/// complex numbers.
pub(crate) fn process(name: &str, inputs: &[Image], value: &Value) -> Result<Vec<Image>> {
    if !matches!(name, "Add" | "Subtract" | "Multiply" | "Divide" | "Power") && compare(name).is_none() {
        return Err(Error::type_mismatch(format!(
            "{name} does not accept complex images or values (numpy defines no such operation on complex numbers)"
        )));
    }
    let values: Vec<Arc<ArrayD<Complex64>>> = match value {
        Value::List(items) | Value::Tuple(items) => items.iter().map(Value::to_complex_array).collect(),
        other => Ok(vec![other.to_complex_array()?]),
    }
    .map_err(|e| e.in_property("value"))?;
    if inputs.is_empty() || values.is_empty() {
        return Ok(Vec::new());
    }
    let operands: Vec<&Value> = match value {
        Value::List(items) | Value::Tuple(items) => items.iter().collect(),
        other => vec![other],
    };
    let n = inputs.len().max(values.len());
    let mut out = crate::buffer::try_vec(n)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images")))?;
    for i in 0..n {
        let image = &inputs[i % inputs.len()];
        let shortcut =
            if name == "Power" && image.is_complex() { power_shortcut(operands[i % operands.len()]) } else { None };
        out.push(one(name, image, &values[i % values.len()], shortcut)?);
    }
    Ok(out)
}

/// numpy 2's fast paths of `array ** exponent` for a complex array (`fast_scalar_power`, which
/// DeepTrack2's `Power` reaches through Python's `**`): a Python int -1 is numpy's `reciprocal`, a
/// Python int 2 its `square`, a Python float 0.5 its `sqrt`; every other exponent (the floats -1.0 and
/// 2.0, numpy's scalars, arrays) goes through numpy's `power` ([`c99::power`]). The results differ
/// where a part is infinite or the products overflow (`(inf + 1j) ** -1` is 0 by `reciprocal`, NaN by
/// `power`). The library's integers and floats stand for Python's (numpy's scalars cross as them).
fn power_shortcut(exponent: &Value) -> Option<fn(Complex64) -> Complex64> {
    match exponent {
        Value::Int(-1) => Some(reciprocal),
        Value::Int(2) => Some(|z| c99::mul(z, z)),
        Value::Float(e) if *e == 0.5 => Some(|z| c99::apply(c99::Function::Sqrt, z)),
        _ => None,
    }
}

/// numpy's `reciprocal` of a complex number (its loop's scaled division, not `1 / z` by Smith's
/// method): `1 / (re + im·r)` with `r = im / re` when `|im| <= |re|`, else with the parts swapped.
fn reciprocal(z: Complex64) -> Complex64 {
    if z.im.abs() <= z.re.abs() {
        let r = z.im / z.re;
        let d = z.re + z.im * r;
        Complex64::new(1.0 / d, -r / d)
    } else {
        let r = z.re / z.im;
        let d = z.re * r + z.im;
        Complex64::new(r / d, -1.0 / d)
    }
}

/// `image op b` in complex numbers; `shortcut`, numpy's fast path of a `Power` ([`power_shortcut`]).
fn one(
    name: &str,
    image: &Image,
    b: &ArrayD<Complex64>,
    shortcut: Option<fn(Complex64) -> Complex64>,
) -> Result<Image> {
    let op: fn(Complex64, Complex64) -> Complex64 = match name {
        "Add" => |x, y| x + y,
        "Subtract" => |x, y| x - y,
        "Multiply" => c99::mul,
        "Divide" => c99::div,
        _ => c99::power,
    };
    if b.ndim() == 0 && compare(name).is_none() {
        // By one number: one pass over the samples (an illumination's `Multiply` of a field).
        let w = b.first().copied().expect("a 0-d array holds one number");
        let samples = image.contiguous()?;
        // One loop per operator, each inlined (a call through a function pointer per number is
        // several times slower than numpy's loop).
        let parts = match name {
            "Add" => by_number(samples, image.is_complex(), |z| z + w)?,
            "Subtract" => by_number(samples, image.is_complex(), |z| z - w)?,
            "Multiply" if image.is_complex() => multiply_by_number(samples, w)?,
            "Multiply" => by_number(samples, false, |z| c99::mul(z, w))?,
            "Divide" => by_number(samples, image.is_complex(), |z| c99::div(z, w))?,
            _ => match shortcut {
                Some(f) => by_number(samples, image.is_complex(), f)?,
                None => by_number(samples, image.is_complex(), |z| c99::power(z, w))?,
            },
        };
        let mut dims = image.shape().to_vec();
        if !image.is_complex() {
            dims.push(2);
        }
        let mut out =
            image.with_standard_data(ArrayD::from_shape_vec(IxDyn(&dims), parts).expect("two parts a number"));
        out.set_complex(true)?;
        return Ok(out);
    }
    let a = numbers(image)?;
    let (shape, count) =
        super::structural::checked_broadcast(a.shape(), b.shape()).map_err(|e| e.in_property("value"))?;
    let av = a.broadcast(IxDyn(&shape)).expect("broadcastable");
    let bv = b.broadcast(IxDyn(&shape)).expect("broadcastable");
    if let Some(test) = compare(name) {
        let mut flags = crate::buffer::with_capacity(count)?;
        crate::layout::push_zipped(&mut flags, &av, &bv, |&x, &y| if test(x, y) { 1.0 } else { 0.0 });
        return Ok(image.with_typed(&shape, TypedSamples::bools(&flags, |f| f != 0.0)?));
    }
    count.checked_mul(2).ok_or_else(too_large)?;
    let mut results: Vec<Complex64> = crate::buffer::try_vec(count)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} complex numbers")))?;
    crate::layout::push_zipped(&mut results, &av, &bv, |&x, &y| op(x, y));
    let parts = crate::buffer::interleaved(results);
    let mut dims = shape;
    dims.push(2);
    let mut out = image.with_standard_data(ArrayD::from_shape_vec(IxDyn(&dims), parts).expect("two parts a number"));
    out.set_complex(true)?;
    Ok(out)
}

/// numpy 2's comparison of complex numbers named `name` (`None` for the other kinds): by real
/// part, then imaginary part; `Equals` of both parts. A NaN part makes it false.
fn compare(name: &str) -> Option<fn(Complex64, Complex64) -> bool> {
    Some(match name {
        "GreaterThan" => |x, y| y.re < x.re || (y.re == x.re && y.im < x.im),
        "LessThan" => |x, y| x.re < y.re || (x.re == y.re && x.im < y.im),
        "GreaterThanOrEquals" => |x, y| y.re < x.re || (y.re == x.re && y.im <= x.im),
        "LessThanOrEquals" => |x, y| x.re < y.re || (x.re == y.re && x.im <= y.im),
        "Equals" => |x, y| x == y,
        _ => return None,
    })
}

/// `f` of each number of the samples (interleaved parts when `complex`, else real numbers), as
/// interleaved parts in a fresh buffer.
fn by_number(samples: &[f64], complex: bool, f: impl Fn(Complex64) -> Complex64) -> Result<Vec<f64>> {
    let n = if complex { samples.len() / 2 } else { samples.len() };
    let mut parts = crate::buffer::with_capacity(2 * n)?;
    let spare = &mut parts.spare_capacity_mut()[..2 * n];
    // Past the cache for large images: bound by memory (see `streaming`).
    let stream = crate::streaming::worth_streaming(8 * samples.len(), 16 * n);
    crate::streaming::fill(spare, 2, stream, |offset, block| {
        let samples = if complex {
            &samples[offset..offset + block.len()]
        } else {
            &samples[offset / 2..(offset + block.len()) / 2]
        };
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor has AVX2 and FMA (checked just above), the only requirement of
            // the call (numpy's product fuses a multiply-add, a libm call per number without FMA).
            unsafe { by_number_fma(samples, complex, &f, block) };
            return;
        }
        by_number_into(samples, complex, &f, block);
    });
    // SAFETY: `fill` had each of the first `2 n` slots written (`by_number_into` writes two per
    // number of its block, blocks of whole numbers).
    unsafe { parts.set_len(2 * n) };
    Ok(parts)
}

/// [`by_number`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn by_number_fma(samples: &[f64], complex: bool, f: impl Fn(Complex64) -> Complex64, parts: &mut [MaybeUninit<f64>]) {
    by_number_into(samples, complex, f, parts)
}

/// [`by_number`]'s loop, into `parts` (two per number), indexed so that the compiler vectorises
/// the interleaved parts.
#[inline(always)]
fn by_number_into(samples: &[f64], complex: bool, f: impl Fn(Complex64) -> Complex64, parts: &mut [MaybeUninit<f64>]) {
    let n = parts.len() / 2;
    assert_eq!(samples.len(), if complex { 2 * n } else { n });
    for i in 0..n {
        let z =
            if complex { Complex64::new(samples[2 * i], samples[2 * i + 1]) } else { Complex64::new(samples[i], 0.0) };
        let r = f(z);
        parts[2 * i].write(r.re);
        parts[2 * i + 1].write(r.im);
    }
}

/// `c99::mul(z, w)` of each complex number `z` of the interleaved `parts`, as interleaved parts in
/// a fresh buffer. Bound by memory on large images: the AVX2 loop works on the interleaved parts
/// with in-lane shuffles only (the generic loop's de-interleaving cost it a quarter against numpy),
/// and computes the same fused products: the real part `fma(re, w.re, -(im w.im))`, the imaginary
/// part `fma(re, w.im, im w.re)`.
fn multiply_by_number(parts: &[f64], w: Complex64) -> Result<Vec<f64>> {
    let len = parts.len() & !1;
    let mut out = crate::buffer::with_capacity(len)?;
    let spare = &mut out.spare_capacity_mut()[..len];
    // Past the cache for large images: bound by memory (see `streaming`).
    let stream = crate::streaming::worth_streaming(8 * len, 8 * len);
    crate::streaming::fill(spare, 2, stream, |offset, block| {
        let parts = &parts[offset..offset + block.len()];
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor has AVX2 and FMA (checked just above), the only requirement
            // of the call.
            done = unsafe { multiply_by_number_fma(parts, w, block) };
        }
        for (o, z) in block[done..].chunks_exact_mut(2).zip(parts[done..].chunks_exact(2)) {
            let r = c99::mul(Complex64::new(z[0], z[1]), w);
            o[0].write(r.re);
            o[1].write(r.im);
        }
    });
    // SAFETY: `fill` had every one of the first `len` slots written: the vector loop wrote the
    // first `done` of each block and the scalar loop the rest (blocks of whole numbers).
    unsafe { out.set_len(len) };
    Ok(out)
}

/// [`multiply_by_number`]'s vector loop: two numbers per step; returns how many parts it wrote (a
/// multiple of 4, the rest left to the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn multiply_by_number_fma(parts: &[f64], w: Complex64, out: &mut [MaybeUninit<f64>]) -> usize {
    use std::arch::x86_64::*;
    let steps = parts.len().min(out.len()) / 4;
    let ww = _mm256_setr_pd(w.re, w.im, w.re, w.im);
    let swapped = _mm256_setr_pd(w.im, w.re, w.im, w.re);
    for i in 0..steps {
        // SAFETY: `4 i + 3 < 4 steps <= parts.len(), out.len()`: both accesses are in bounds, and
        // the unaligned load and store need no alignment; `MaybeUninit<f64>` is laid out as `f64`.
        unsafe {
            let z = _mm256_loadu_pd(parts.as_ptr().add(4 * i));
            let re = _mm256_movedup_pd(z); // re, re, re', re'
            let im = _mm256_permute_pd::<0b1111>(z); // im, im, im', im'
            let rounded = _mm256_mul_pd(im, swapped); // im w.im, im w.re
            // even lanes re w.re - im w.im, odd lanes re w.im + im w.re, each fused
            let r = _mm256_fmaddsub_pd(re, ww, rounded);
            _mm256_storeu_pd(out.as_mut_ptr().add(4 * i).cast::<f64>(), r);
        }
    }
    4 * steps
}

/// The complex numbers of `image`: its own for a complex image, else its samples with 0 imaginary
/// parts.
fn numbers(image: &Image) -> Result<ArrayD<Complex64>> {
    let samples = image.contiguous()?;
    let (shape, n) = if image.is_complex() {
        let s = image.shape();
        (&s[..s.len() - 1], samples.len() / 2)
    } else {
        (image.shape(), samples.len())
    };
    let mut data: Vec<Complex64> = crate::buffer::try_vec(n)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} complex numbers")))?;
    if image.is_complex() {
        data.extend(samples.chunks_exact(2).map(|z| Complex64::new(z[0], z[1])));
    } else {
        data.extend(samples.iter().map(|&x| Complex64::new(x, 0.0)));
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), data).expect("one number a sample"))
}

/// The error of a result too large to count.
fn too_large() -> Error {
    Error::new(ErrorKind::OutOfMemory, "the complex result is too large")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_by_a_number_are_the_same_past_the_cache() {
        // Large enough that the output is written through `streaming`'s blocks: each number's
        // result lands in its own slots, for real and complex samples.
        let n = 1 + (64 << 20) / 16;
        let w = Complex64::new(0.5, -2.0);
        for complex in [false, true] {
            let samples: Vec<f64> = (0..if complex { 2 * n } else { n }).map(|i| i as f64 * 0.25 - 3.0).collect();
            let out = by_number(&samples, complex, |z| z - w).unwrap();
            assert_eq!(out.len(), 2 * n);
            for k in (0..n).step_by(997).chain([n - 1]) {
                let z = if complex {
                    Complex64::new(samples[2 * k], samples[2 * k + 1])
                } else {
                    Complex64::new(samples[k], 0.0)
                };
                let want = z - w;
                assert_eq!((out[2 * k], out[2 * k + 1]), (want.re, want.im), "complex {complex}, number {k}");
            }
        }
    }

    #[test]
    fn the_vector_product_by_a_number_is_the_scalar_one_bit_for_bit() {
        // Odd counts leave a tail to the scalar loop; infinities, NaNs and huge parts take the
        // same fused operations in both.
        let specials = [f64::INFINITY, f64::NAN, 1e308, -0.0, 5e-324, -3.5];
        // The last count's input and output exceed any last-level cache: written past the cache
        // (`streaming`), in blocks whose boundaries fall between numbers.
        let large = 1 + (64 << 20) / 16;
        assert!(crate::streaming::worth_streaming(16 * large, 16 * large));
        for n in [1usize, 2, 3, 5, 8, 1001, large] {
            let parts: Vec<f64> = (0..2 * n)
                .map(|i| {
                    if i % 7 == 3 {
                        specials[i % specials.len()]
                    } else {
                        (i as f64 * 0.37).sin() * 10f64.powi(i as i32 % 9 - 4)
                    }
                })
                .collect();
            for w in [
                Complex64::new(2.0, 0.0),
                Complex64::new(-0.3, -1.7),
                Complex64::new(0.0, 1e300),
                Complex64::new(f64::NAN, 1.0),
            ] {
                let got = multiply_by_number(&parts, w).unwrap();
                for (k, z) in parts.chunks_exact(2).enumerate() {
                    let want = c99::mul(Complex64::new(z[0], z[1]), w);
                    for (g, e) in [(got[2 * k], want.re), (got[2 * k + 1], want.im)] {
                        assert!(
                            g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan()),
                            "n {n}, w {w}, number {k}: {g} against {e}"
                        );
                    }
                }
            }
        }
    }
}
