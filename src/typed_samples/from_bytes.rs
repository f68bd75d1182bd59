//! [`TypedSamples::from_ne_bytes`]: samples copied from a caller's memory in their own type (numpy's
//! layout of it, native byte order), as an input image of that type crosses into the library.

use super::{TypedSamples, Values};
use crate::buffer;
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};

/// A plain number type: every bit pattern of its size is a value (no padding, no invalid values).
///
/// # Safety
/// Implementors must be `Copy` types without padding for which every bit pattern is valid.
unsafe trait Plain: Copy {}

// SAFETY: integers and floats have no padding and no invalid bit patterns.
unsafe impl Plain for f64 {}
// SAFETY: as above.
unsafe impl Plain for f32 {}
// SAFETY: as above.
unsafe impl Plain for i64 {}
// SAFETY: as above.
unsafe impl Plain for i32 {}
// SAFETY: as above.
unsafe impl Plain for i16 {}
// SAFETY: as above.
unsafe impl Plain for i8 {}
// SAFETY: as above.
unsafe impl Plain for u64 {}
// SAFETY: as above.
unsafe impl Plain for u32 {}
// SAFETY: as above.
unsafe impl Plain for u16 {}
// SAFETY: as above.
unsafe impl Plain for u8 {}

/// The numbers whose native-order bytes are `bytes` (any alignment), copied into a new buffer;
/// `OutOfMemory` when it cannot be allocated. `bytes.len()` is a multiple of the type's size.
fn copied<T: Plain>(bytes: &[u8]) -> Result<Vec<T>> {
    debug_assert_eq!(bytes.len() % size_of::<T>(), 0);
    let n = bytes.len() / size_of::<T>();
    let mut out: Vec<T> = buffer::try_vec(n)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of {n} samples")))?;
    // SAFETY: `out` has capacity for `n` values of `T`, `n * size_of::<T>() == bytes.len()` bytes,
    // and does not overlap the caller's `bytes`; a byte copy needs no alignment of the source.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().cast::<u8>(), bytes.len()) };
    // SAFETY: the first `n` values were written just above, and every bit pattern is a `T` (`Plain`).
    unsafe { out.set_len(n) };
    Ok(out)
}

/// The doubles whose native-order bytes are `bytes` (any alignment), copied; `OutOfMemory` when
/// they cannot be allocated. `bytes.len()` is a multiple of 8.
pub(crate) fn doubles(bytes: &[u8]) -> Result<Vec<f64>> {
    copied(bytes)
}

impl TypedSamples {
    /// Samples of `dtype` copied from `bytes`, numpy's layout of that type in native byte order
    /// (float16 as IEEE half-precision bits, bools one byte each, any byte but 0 read as true and
    /// held as 1), at any alignment; `None` for float64 (no narrow type: the caller keeps doubles,
    /// [`doubles`]). `InvalidArgument` when `bytes` is not a whole number of samples, `OutOfMemory`
    /// when the samples cannot be allocated.
    pub fn from_ne_bytes(dtype: Dtype, bytes: &[u8]) -> Result<Option<TypedSamples>> {
        let size = dtype.item_size();
        if bytes.len() % size != 0 {
            return Err(Error::invalid(format!(
                "{} bytes are not a whole number of {} samples ({size} bytes each)",
                bytes.len(),
                dtype.name()
            )));
        }
        let values = match dtype {
            Dtype::Float64 => return Ok(None),
            Dtype::Float32 => Values::F32(copied(bytes)?),
            Dtype::Float16 => Values::F16(copied(bytes)?),
            Dtype::Int64 => Values::I64(copied(bytes)?),
            Dtype::Int32 => Values::I32(copied(bytes)?),
            Dtype::Int16 => Values::I16(copied(bytes)?),
            Dtype::Int8 => Values::I8(copied(bytes)?),
            Dtype::UInt64 => Values::U64(copied(bytes)?),
            Dtype::UInt32 => Values::U32(copied(bytes)?),
            Dtype::UInt16 => Values::U16(copied(bytes)?),
            Dtype::UInt8 => Values::U8(copied(bytes)?),
            Dtype::Bool => Values::Bool(super::map(bytes, "the bools", |b| u8::from(b != 0))?),
        };
        Ok(Some(TypedSamples { values, float64: std::sync::OnceLock::new() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_copied_in_their_type_at_any_alignment() {
        let ints: [i16; 3] = [-2, 300, 7];
        let mut raw = [0u8; 7];
        for (i, v) in ints.iter().enumerate() {
            raw[1 + 2 * i..3 + 2 * i].copy_from_slice(&v.to_ne_bytes());
        }
        // An odd address: a misaligned source is copied all the same.
        let t = TypedSamples::from_ne_bytes(Dtype::Int16, &raw[1..]).unwrap().unwrap();
        assert_eq!((t.dtype(), t.len()), (Dtype::Int16, 3));
        assert_eq!(t.as_i16().unwrap(), ints);
        assert_eq!(t.float64().unwrap(), [-2.0, 300.0, 7.0]);
        let b = TypedSamples::from_ne_bytes(Dtype::Bool, &[0, 1, 2, 255]).unwrap().unwrap();
        assert_eq!(b.float64().unwrap(), [0.0, 1.0, 1.0, 1.0], "any byte but 0 is true, held as 1");
        let h = TypedSamples::from_ne_bytes(Dtype::Float16, &0x3c00u16.to_ne_bytes()).unwrap().unwrap();
        assert_eq!((h.dtype(), h.float64().unwrap()), (Dtype::Float16, &[1.0][..]));
        assert!(TypedSamples::from_ne_bytes(Dtype::Float64, &[0; 8]).unwrap().is_none());
        let e = TypedSamples::from_ne_bytes(Dtype::Int32, &[0; 6]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(doubles(&(-1.5f64).to_ne_bytes()).unwrap(), [-1.5]);
    }
}
