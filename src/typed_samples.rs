//! [`TypedSamples`]: an image's samples held in a narrow numpy type (bool, the integers, float32,
//! float16), written once by the kind that makes them (`AsType`'s casts, the comparisons' bools), as
//! numpy holds them. Kinds that compute in float64 read them through [`TypedSamples::float64`],
//! which converts them once, when first asked, and keeps the result while the samples are shared
//! (an allocation that fails is `OutOfMemory`, and may be retried).
//!
//! The casts are numpy's `astype` from float64: integers truncated toward zero and wrapped modulo
//! 2^bits, floats rounded to nearest (ties to even; float16 overflows to infinity), bools `x != 0`
//! (NaN is true). Where numpy's C cast is undefined (NaN, infinities, values beyond the 64-bit range
//! to an integer type) the result is the type's minimum (0 for unsigned types), as documented in the
//! README.

#[cfg(target_arch = "x86_64")]
mod avx2_casts;
#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
mod avx512_casts;
mod from_bytes;
pub(crate) use from_bytes::doubles;
use std::mem::MaybeUninit;
use std::sync::OnceLock;

use crate::buffer;
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};

/// The values, in their own type (float16 as its bits, bools as bytes 0 or 1, numpy's layout).
#[derive(Debug)]
enum Values {
    F32(Vec<f32>),
    F16(Vec<u16>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    I16(Vec<i16>),
    I8(Vec<i8>),
    U64(Vec<u64>),
    U32(Vec<u32>),
    U16(Vec<u16>),
    U8(Vec<u8>),
    Bool(Vec<u8>),
}

/// Samples of a narrow type, immutable, with their float64 values made once on demand.
#[derive(Debug)]
pub struct TypedSamples {
    values: Values,
    float64: OnceLock<Box<[f64]>>,
}

/// Runs `$body` with `$v` bound to the values' vector, whatever its type.
macro_rules! each {
    ($values:expr, $v:ident => $body:expr) => {
        match $values {
            Values::F32($v) => $body,
            Values::F16($v) => $body,
            Values::I64($v) => $body,
            Values::I32($v) => $body,
            Values::I16($v) => $body,
            Values::I8($v) => $body,
            Values::U64($v) => $body,
            Values::U32($v) => $body,
            Values::U16($v) => $body,
            Values::U8($v) => $body,
            Values::Bool($v) => $body,
        }
    };
}

/// What a cast allocates, in its error.
const CAST: &str = "the cast";

impl TypedSamples {
    /// numpy's `x.astype(dtype)` of float64 samples, in one pass; `None` for float64 itself (no
    /// narrow type). `OutOfMemory` when the samples cannot be allocated.
    pub fn cast(x: &[f64], dtype: Dtype) -> Result<Option<TypedSamples>> {
        let values = match dtype {
            Dtype::Float64 => return Ok(None),
            Dtype::Float32 => Values::F32(map(x, CAST, |v| v as f32)?),
            Dtype::Float16 => Values::F16(map(x, CAST, f16_bits)?),
            Dtype::Int64 => Values::I64(cast_int(x, to_i64)?),
            Dtype::Int32 => Values::I32(cast_int(x, |v| wrapped(v, 32, true) as i32)?),
            Dtype::Int16 => Values::I16(cast_int(x, |v| wrapped(v, 16, true) as i16)?),
            Dtype::Int8 => Values::I8(cast_int(x, |v| wrapped(v, 8, true) as i8)?),
            Dtype::UInt64 => Values::U64(cast_int(x, to_u64)?),
            Dtype::UInt32 => Values::U32(cast_int(x, |v| wrapped(v, 32, false) as u32)?),
            Dtype::UInt16 => Values::U16(cast_int(x, |v| wrapped(v, 16, false) as u16)?),
            Dtype::UInt8 => Values::U8(cast_int(x, |v| wrapped(v, 8, false) as u8)?),
            Dtype::Bool => Values::Bool(map(x, CAST, |v| u8::from(v != 0.0))?),
        };
        Ok(Some(TypedSamples { values, float64: OnceLock::new() }))
    }

    /// Booleans `test(x)` of float64 samples (numpy's comparisons), in one pass; `OutOfMemory` when
    /// they cannot be allocated.
    pub fn bools(x: &[f64], test: impl Fn(f64) -> bool) -> Result<TypedSamples> {
        Ok(TypedSamples { values: Values::Bool(map(x, "the bools", |v| u8::from(test(v)))?), float64: OnceLock::new() })
    }

    /// numpy's type of the samples.
    pub fn dtype(&self) -> Dtype {
        match self.values {
            Values::F32(_) => Dtype::Float32,
            Values::F16(_) => Dtype::Float16,
            Values::I64(_) => Dtype::Int64,
            Values::I32(_) => Dtype::Int32,
            Values::I16(_) => Dtype::Int16,
            Values::I8(_) => Dtype::Int8,
            Values::U64(_) => Dtype::UInt64,
            Values::U32(_) => Dtype::UInt32,
            Values::U16(_) => Dtype::UInt16,
            Values::U8(_) => Dtype::UInt8,
            Values::Bool(_) => Dtype::Bool,
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        each!(&self.values, v => v.len())
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of one sample in bytes (numpy's `itemsize`).
    pub fn item_size(&self) -> usize {
        each!(&self.values, v => item_size_of(&v[..]))
    }

    /// The address of the first sample (in numpy's representation of the type: float16 as IEEE
    /// half-precision bits, bools as bytes 0 or 1), valid while the samples live.
    pub fn as_ptr(&self) -> *const u8 {
        each!(&self.values, v => v.as_ptr().cast::<u8>())
    }

    /// The samples as float64 values (exact for every type but int64 and uint64 beyond 2^53, which
    /// round to the nearest double), converted on the first call and kept; `OutOfMemory` when the
    /// conversion cannot be allocated (a later call tries again).
    pub fn float64(&self) -> Result<&[f64]> {
        if let Some(f) = self.float64.get() {
            return Ok(f);
        }
        let converted = each!(&self.values, v => widen(v, self.dtype()))?.into_boxed_slice();
        // Another thread may have converted them meanwhile: either conversion is the same.
        let _ = self.float64.set(converted);
        Ok(self.float64.get().expect("just set"))
    }

    /// uint8 samples (`Resize` writes them as OpenCV computes them).
    pub(crate) fn from_u8(values: Vec<u8>) -> TypedSamples {
        TypedSamples { values: Values::U8(values), float64: OnceLock::new() }
    }

    /// The samples if they are uint8.
    pub(crate) fn as_u8(&self) -> Option<&[u8]> {
        match &self.values {
            Values::U8(v) => Some(v),
            _ => None,
        }
    }

    /// float32 samples (`Resize` writes them as OpenCV computes them).
    pub(crate) fn from_f32(values: Vec<f32>) -> TypedSamples {
        TypedSamples { values: Values::F32(values), float64: OnceLock::new() }
    }

    /// uint16 samples (`Resize` writes them as OpenCV computes them).
    pub(crate) fn from_u16(values: Vec<u16>) -> TypedSamples {
        TypedSamples { values: Values::U16(values), float64: OnceLock::new() }
    }

    /// int16 samples (`Resize` writes them as OpenCV computes them).
    pub(crate) fn from_i16(values: Vec<i16>) -> TypedSamples {
        TypedSamples { values: Values::I16(values), float64: OnceLock::new() }
    }

    /// The samples if they are float32.
    pub(crate) fn as_f32(&self) -> Option<&[f32]> {
        match &self.values {
            Values::F32(v) => Some(v),
            _ => None,
        }
    }

    /// The samples if they are uint16 (not float16, whose bits are also held as `u16`).
    pub(crate) fn as_u16(&self) -> Option<&[u16]> {
        match &self.values {
            Values::U16(v) => Some(v),
            _ => None,
        }
    }

    /// The samples if they are int16.
    pub(crate) fn as_i16(&self) -> Option<&[i16]> {
        match &self.values {
            Values::I16(v) => Some(v),
            _ => None,
        }
    }

    /// int64 samples (`Pad` and `Slice` copy them in their type).
    pub(crate) fn from_i64(values: Vec<i64>) -> TypedSamples {
        TypedSamples { values: Values::I64(values), float64: OnceLock::new() }
    }

    /// uint64 samples (`Pad` and `Slice` copy them in their type).
    pub(crate) fn from_u64(values: Vec<u64>) -> TypedSamples {
        TypedSamples { values: Values::U64(values), float64: OnceLock::new() }
    }

    /// The samples if they are int64.
    pub(crate) fn as_i64(&self) -> Option<&[i64]> {
        match &self.values {
            Values::I64(v) => Some(v),
            _ => None,
        }
    }

    /// The samples if they are uint64.
    pub(crate) fn as_u64(&self) -> Option<&[u64]> {
        match &self.values {
            Values::U64(v) => Some(v),
            _ => None,
        }
    }

    /// The float64 values if they have been converted ([`TypedSamples::float64`]).
    pub fn float64_if_converted(&self) -> Option<&[f64]> {
        self.float64.get().map(|f| &f[..])
    }
}

/// The size of the elements of `v`.
fn item_size_of<T>(_: &[T]) -> usize {
    size_of::<T>()
}

/// A narrow sample read as float64.
trait Widen: Copy {
    fn widen(self, dtype: Dtype) -> f64;
}

macro_rules! widen_as {
    ($($t:ty),*) => {$(
        impl Widen for $t {
            #[inline(always)]
            fn widen(self, _: Dtype) -> f64 {
                self as f64
            }
        }
    )*};
}
widen_as!(f32, i64, i32, i16, i8, u64, u32, u8);

impl Widen for u16 {
    #[inline(always)]
    fn widen(self, dtype: Dtype) -> f64 {
        if dtype == Dtype::Float16 { f16_value(self) } else { f64::from(self) }
    }
}

/// The float64 values of `v`, in one pass into a new buffer.
fn widen<T: Widen>(v: &[T], dtype: Dtype) -> Result<Vec<f64>> {
    map(v, "the float64 values", |x| x.widen(dtype))
}

/// `f` of every element of `x`, into a new buffer (`what` it holds named in an error) (advised as huge pages when large, as numpy's
/// arrays are); `OutOfMemory` when it cannot be allocated. Compiled for AVX2 where the processor has
/// it (its conversion and rounding instructions vectorise the casts).
fn map<S: Copy, T: Copy>(x: &[S], what: &str, f: impl Fn(S) -> T) -> Result<Vec<T>> {
    let mut out: Vec<T> = buffer::try_vec(x.len())
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {what} of {} samples", x.len())))?;
    buffer::advise_huge_pages(out.as_mut_ptr().cast::<u8>(), x.len().saturating_mul(size_of::<T>()));
    let spare = &mut out.spare_capacity_mut()[..x.len()];
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    if crate::simd::avx512() {
        // SAFETY: the processor has AVX-512 F, BW, DQ and VL (checked just above), the only
        // requirement of the call.
        unsafe { avx512_map_into(x, spare, &f) };
        // SAFETY: as below.
        unsafe { out.set_len(x.len()) };
        return Ok(out);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        unsafe { avx2_map_into(x, spare, &f) };
    } else {
        map_into(x, spare, f);
    }
    #[cfg(not(target_arch = "x86_64"))]
    map_into(x, spare, f);
    // SAFETY: `map_into` wrote every one of the first `x.len()` slots (it zips `x` with a slice of
    // exactly that length), and the capacity is exactly that.
    unsafe { out.set_len(x.len()) };
    Ok(out)
}

#[inline(always)]
fn map_into<S: Copy, T: Copy>(x: &[S], out: &mut [MaybeUninit<T>], f: impl Fn(S) -> T) {
    assert_eq!(x.len(), out.len());
    out.iter_mut().zip(x).for_each(|(o, &v)| {
        o.write(f(v));
    });
}

/// [`map_into`] compiled for AVX-512, whose compares write mask registers that become bools in
/// one instruction (AVX2 needs a sequence of packs and shuffles).
#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn avx512_map_into<S: Copy, T: Copy>(x: &[S], out: &mut [MaybeUninit<T>], f: impl Fn(S) -> T) {
    map_into(x, out, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_map_into<S: Copy, T: Copy>(x: &[S], out: &mut [MaybeUninit<T>], f: impl Fn(S) -> T) {
    map_into(x, out, f)
}

/// 2^63.
const LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// 2^51: whole numbers below it in magnitude are read off the bits of their sum with [`MAGIC`].
const SMALL: f64 = 2_251_799_813_685_248.0;

/// 1.5 · 2^52: the sum of a whole number `t` (|t| < 2^51) and this has the bits of this plus `t`
/// (the sum is exact, in the binade where the unit in the last place is 1).
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// An integer type of a cast, with the vectorised path of [`cast_int`]: the truncated value as an
/// `i32` (for blocks below 2^31 in magnitude: one conversion instruction per vector) or an `i64`
/// (below 2^51: read off the bits of `trunc(v) + 1.5·2^52`), then narrowed to the type
/// (two's-complement truncation: numpy's wrapping).
trait Int: Copy {
    /// Whether the fast path goes through `i32` (types of at most 16 bits, and int32).
    const VIA_I32: bool;
    fn from_i32(i: i32) -> Self;
    fn from_i64(i: i64) -> Self;
}

macro_rules! int {
    ($($t:ty: $via:expr),*) => {$(
        impl Int for $t {
            const VIA_I32: bool = $via;
            #[inline(always)]
            fn from_i32(i: i32) -> Self {
                i as $t
            }
            #[inline(always)]
            fn from_i64(i: i64) -> Self {
                i as $t
            }
        }
    )*};
}
int!(i8: true, i16: true, i32: true, u8: true, u16: true, i64: false, u32: false, u64: false);

/// Samples per block of [`cast_int`]: each block takes the vectorised path when all its samples
/// are small whole numbers after truncation, the exact one otherwise.
const BLOCK: usize = 512;

/// numpy's cast of float64 samples to an integer type: the `fast` path where every sample of a block
/// is in its range, `exact` of each sample otherwise (NaN, infinities, large values). One pass,
/// compiled for AVX-512 or AVX2 where the processor has them.
fn cast_int<T: Int>(x: &[f64], exact: impl Fn(f64) -> T + Copy) -> Result<Vec<T>> {
    let mut out: Vec<T> = buffer::try_vec(x.len())
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {CAST} of {} samples", x.len())))?;
    buffer::advise_huge_pages(out.as_mut_ptr().cast::<u8>(), x.len().saturating_mul(size_of::<T>()));
    let spare = &mut out.spare_capacity_mut()[..x.len()];
    #[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
    if crate::simd::avx512() {
        if T::VIA_I32 {
            // SAFETY: the processor has AVX-512 F, BW, DQ and VL (checked just above), the only
            // requirement of the call; `T` converts through i32, as it requires.
            unsafe { avx512_casts::ints_into(x, spare, exact) };
        } else {
            // SAFETY: the processor has AVX-512 F, BW and VL (checked just above), the only
            // requirement of the call.
            unsafe { avx512_ints_into(x, spare, exact) };
        }
        // SAFETY: as below.
        unsafe { out.set_len(x.len()) };
        return Ok(out);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        if T::VIA_I32 {
            // SAFETY: the processor has AVX2 (checked just above), the only requirement of the
            // call; `T` converts through i32, as it requires.
            unsafe { avx2_casts::ints_into(x, spare, exact) };
        } else {
            // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
            unsafe { avx2_ints_into(x, spare, exact) };
        }
    } else {
        ints_into(x, spare, exact);
    }
    #[cfg(not(target_arch = "x86_64"))]
    ints_into(x, spare, exact);
    // SAFETY: `ints_into` wrote every one of the first `x.len()` slots (its blocks of `x` and of
    // the slice of exactly that length are zipped), and the capacity is exactly that.
    unsafe { out.set_len(x.len()) };
    Ok(out)
}

#[inline(always)]
fn ints_into<T: Int>(x: &[f64], out: &mut [MaybeUninit<T>], exact: impl Fn(f64) -> T + Copy) {
    assert_eq!(x.len(), out.len());
    let magic = MAGIC.to_bits() as i64;
    let limit = if T::VIA_I32 { 2_147_483_648.0 } else { SMALL };
    for (xs, os) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        // NaN compares false: a block with one is not small.
        let small: usize = xs.iter().map(|&v| usize::from(v.abs() < limit)).sum();
        if small == xs.len() {
            if T::VIA_I32 {
                os.iter_mut().zip(xs).for_each(|(o, &v)| {
                    // SAFETY: |v| < 2^31 (the block's check), so its truncation is an i32.
                    o.write(T::from_i32(unsafe { v.to_int_unchecked::<i32>() }));
                });
            } else {
                os.iter_mut().zip(xs).for_each(|(o, &v)| {
                    o.write(T::from_i64(((v.trunc() + MAGIC).to_bits() as i64).wrapping_sub(magic)));
                });
            }
        } else {
            os.iter_mut().zip(xs).for_each(|(o, &v)| {
                o.write(exact(v));
            });
        }
    }
}

/// [`ints_into`] compiled for AVX-512, whose down-converting moves (`vpmovqb`, …) narrow eight
/// 64-bit integers in one instruction (AVX2 needs a sequence of shuffles).
#[cfg(all(target_arch = "x86_64", deeptrack_avx512))]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn avx512_ints_into<T: Int>(x: &[f64], out: &mut [MaybeUninit<T>], exact: impl Fn(f64) -> T + Copy) {
    ints_into(x, out, exact)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_ints_into<T: Int>(x: &[f64], out: &mut [MaybeUninit<T>], exact: impl Fn(f64) -> T + Copy) {
    ints_into(x, out, exact)
}

/// numpy's cast to an integer type of `bits` < 64 bits, as a float in the type's range: truncation
/// toward zero, then wrapping modulo 2^bits; the type's minimum (0 unsigned) where numpy's cast is
/// undefined (NaN, infinities, beyond the 64-bit range).
#[inline(always)]
fn wrapped(x: f64, bits: u32, signed: bool) -> f64 {
    let t = x.trunc();
    // t - m * floor(t / m) is exact for every whole float (the division and the product by a power
    // of two are, and the difference is below m), and the comparisons keep the loop free of
    // branches. 2^bits and its reciprocal, exactly.
    let m = f64::from_bits((1023 + u64::from(bits)) << 52);
    let inverse = f64::from_bits((1023 - u64::from(bits)) << 52);
    let r = t - (t * inverse).floor() * m;
    let r = if signed && r >= m / 2.0 { r - m } else { r };
    let undefined = if signed { -m / 2.0 } else { 0.0 };
    if t.abs() < LIMIT { r } else { undefined }
}

/// numpy's cast to int64: truncation; `i64::MIN` where undefined.
#[inline(always)]
pub(crate) fn to_i64(x: f64) -> i64 {
    if x.abs() < LIMIT { x as i64 } else { i64::MIN }
}

/// numpy's cast to uint64: truncation, negative values wrapped; 0 where undefined.
#[inline(always)]
pub(crate) fn to_u64(x: f64) -> u64 {
    let t = x.trunc();
    if (0.0..2.0 * LIMIT).contains(&t) {
        t as u64
    } else if t.abs() < LIMIT {
        (t as i64) as u64
    } else {
        0
    }
}

/// numpy's float64 → float16 cast (to nearest, ties to even; overflow to infinity), as the bits of
/// the half-precision number.
fn f16_bits(x: f64) -> u16 {
    let sign = if x.is_sign_negative() { 0x8000 } else { 0 };
    if x.is_nan() {
        return sign | 0x7e00;
    }
    let a = x.abs();
    if a == 0.0 {
        return sign;
    }
    // The spacing of float16 numbers near `a`: 2^(e - 10) in the binade [2^e, 2^(e+1)), and 2^-24
    // below 2^-14 (subnormal numbers); `e` from the bits, exactly.
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-14);
    let step = f64::from(e - 10).exp2();
    let r = (a / step).round_ties_even() * step;
    if !a.is_finite() || r > 65504.0 {
        return sign | 0x7c00;
    }
    // `r` is a float16 value: a whole number of 2^-24 below 2^-14, else (1 + m/1024) 2^e.
    if r < f64::from(-14_i32).exp2() {
        return sign | (r * f64::from(24_i32).exp2()) as u16;
    }
    let e = ((r.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mantissa = ((r.to_bits() >> 42) & 0x3ff) as u16;
    sign | (((e + 15) as u16) << 10) | mantissa
}

/// The value of half-precision bits.
#[inline(always)]
fn f16_value(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = i32::from((bits >> 10) & 0x1f);
    let m = f64::from(bits & 0x3ff);
    sign * match e {
        0 => m * f64::from(-24_i32).exp2(),
        31 if m == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + m / 1024.0) * f64::from(e - 15).exp2(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(x: &[f64], d: Dtype) -> Vec<f64> {
        TypedSamples::cast(x, d).unwrap().unwrap().float64().unwrap().to_vec()
    }

    #[test]
    fn casts_match_numpy() {
        // numpy 2.4 on x86-64: x.astype(t) for these x (in-range values; the undefined ones differ).
        let x = [1.7, -1.7, 200.0, -200.0, 300.5, 70000.0, -70000.0, 2.5, 0.1];
        assert_eq!(cast(&x, Dtype::Int8), [1., -1., -56., 56., 44., 112., -112., 2., 0.]);
        assert_eq!(cast(&x, Dtype::UInt8), [1., 255., 200., 56., 44., 112., 144., 2., 0.]);
        assert_eq!(cast(&x, Dtype::Int16), [1., -1., 200., -200., 300., 4464., -4464., 2., 0.]);
        assert_eq!(cast(&x, Dtype::UInt16), [1., 65535., 200., 65336., 300., 4464., 61072., 2., 0.]);
        assert_eq!(cast(&x, Dtype::UInt32)[..4], [1., 4294967295., 200., 4294967096.]);
        assert_eq!(
            cast(&x, Dtype::Float16),
            [1.7001953125, -1.7001953125, 200., -200., 300.5, f64::INFINITY, f64::NEG_INFINITY, 2.5, 0.0999755859375]
        );
        assert_eq!(cast(&[0.1], Dtype::Float32), [0.10000000149011612]);
        assert_eq!(cast(&[1e19, -1.0], Dtype::UInt64), [1e19, 18446744073709551615.0]);
        assert_eq!(
            cast(&[65519.0, 65520.0, 1e-8, 3e-6, -0.0], Dtype::Float16),
            [65504.0, f64::INFINITY, 0.0, 50.0 * 2.0_f64.powi(-24), -0.0]
        );
        assert_eq!(cast(&[f64::NAN, f64::INFINITY], Dtype::Int32), [-2147483648.0; 2]);
        assert_eq!(cast(&[1e19, f64::NAN], Dtype::Int64), [-9.223372036854776e18; 2]);
        assert_eq!(cast(&[f64::NAN, -1e300], Dtype::UInt8), [0.0; 2]);
        assert_eq!(cast(&x, Dtype::Bool), [1.0; 9]);
        assert_eq!(cast(&[0.0, -0.0, f64::NAN], Dtype::Bool), [0.0, 0.0, 1.0]);
        assert!(TypedSamples::cast(&x, Dtype::Float64).unwrap().is_none());
    }

    #[test]
    fn samples_are_held_in_numpy_s_representation() {
        let t = TypedSamples::cast(&[1.5, -2.5, 300.0], Dtype::Int16).unwrap().unwrap();
        assert_eq!((t.dtype(), t.len(), t.item_size()), (Dtype::Int16, 3, 2));
        // SAFETY: three i16s at the address, alive with `t`.
        assert_eq!(unsafe { std::slice::from_raw_parts(t.as_ptr().cast::<i16>(), 3) }, [1, -2, 300]);
        let h = TypedSamples::cast(&[1.0, -2.0, 65504.0, f64::INFINITY, f64::NAN, 2f64.powi(-24)], Dtype::Float16)
            .unwrap()
            .unwrap();
        // SAFETY: six u16s at the address, alive with `h`.
        let bits = unsafe { std::slice::from_raw_parts(h.as_ptr().cast::<u16>(), 6) };
        assert_eq!(bits, [0x3c00, 0xc000, 0x7bff, 0x7c00, 0x7e00, 0x0001]);
        assert!(h.float64().unwrap()[4].is_nan());
        let b = TypedSamples::bools(&[0.2, 0.7, f64::NAN], |x| x > 0.5).unwrap();
        assert_eq!((b.dtype(), b.item_size()), (Dtype::Bool, 1));
        assert!(b.float64_if_converted().is_none(), "converted only when asked");
        assert_eq!(b.float64().unwrap(), [0.0, 1.0, 0.0]);
        assert_eq!(b.float64_if_converted().unwrap().as_ptr(), b.float64().unwrap().as_ptr(), "kept");
    }

    #[test]
    fn the_fast_path_of_integer_casts_is_the_exact_one() {
        // Blocks of small values take the fast path; a NaN or a large value sends its block to the
        // exact one: both give the same numbers for small values.
        let small: Vec<f64> = (0..3000).map(|i| (i as f64 - 1500.0) * 1234.567 + 0.5).collect();
        let mut mixed = small.clone();
        mixed[BLOCK + 7] = f64::NAN;
        mixed[3 * BLOCK + 1] = 3e15;
        for d in [
            Dtype::Int64,
            Dtype::Int32,
            Dtype::Int16,
            Dtype::Int8,
            Dtype::UInt64,
            Dtype::UInt32,
            Dtype::UInt16,
            Dtype::UInt8,
        ] {
            let fast = cast(&small, d);
            let slow = cast(&mixed, d);
            for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
                if i != BLOCK + 7 && i != 3 * BLOCK + 1 {
                    assert_eq!(a, b, "{d:?} at {i}");
                }
            }
            let exact: Vec<f64> = small
                .iter()
                .map(|&v| match d {
                    Dtype::Int64 => to_i64(v) as f64,
                    Dtype::UInt64 => to_u64(v) as f64,
                    Dtype::Int32 => wrapped(v, 32, true),
                    Dtype::Int16 => wrapped(v, 16, true),
                    Dtype::Int8 => wrapped(v, 8, true),
                    Dtype::UInt32 => wrapped(v, 32, false),
                    Dtype::UInt16 => wrapped(v, 16, false),
                    _ => wrapped(v, 8, false),
                })
                .collect();
            assert_eq!(fast, exact, "{d:?}");
        }
        assert_eq!(cast(&[3e15 + 0.5, -3e15], Dtype::Int64), [3e15, -3e15]);
        assert_eq!(cast(&[2f64.powi(51), -(2f64.powi(51)) - 2.0], Dtype::Int32), [0.0, -2.0]);
        // At the edges of the 32-bit conversion (whose unconvertible result, -2^31, is also the
        // truncation of -2^31 itself), in vectors long enough for the vectorised loops.
        for edge in [-2147483648.0, -2147483648.9, 2147483647.9, 2147483648.0, -2147483649.0, 4294967296.5] {
            let mut x: Vec<f64> = (0..40).map(|i| i as f64 * 3.25 - 60.0).collect();
            x[17] = edge;
            for (d, bits, signed) in [
                (Dtype::Int32, 32, true),
                (Dtype::Int16, 16, true),
                (Dtype::UInt16, 16, false),
                (Dtype::UInt8, 8, false),
            ] {
                let want: Vec<f64> = x.iter().map(|&v| wrapped(v, bits, signed)).collect();
                assert_eq!(cast(&x, d), want, "{d:?} with {edge}");
            }
        }
    }

    #[test]
    fn every_half_precision_number_round_trips() {
        for bits in 0..=u16::MAX {
            let v = f16_value(bits);
            if v.is_nan() {
                continue;
            }
            assert_eq!(f16_bits(v), bits, "{bits:#x}: {v}");
        }
    }
}
