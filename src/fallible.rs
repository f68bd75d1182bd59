//! Fallible versions of ndarray's copying operations (`mapv`, `to_owned`, `as_standard_layout`) and
//! of `collect` into a vector: a size that cannot be allocated is an [`ErrorKind::OutOfMemory`]
//! error naming it, never the abort ("memory allocation of N bytes failed") that ndarray's and the
//! standard library's infallible allocations end in. Every image-sized copy in a kind's compute path
//! goes through these.
//!
//! [`map`] visits the samples in the order `mapv` does (memory order when the samples are contiguous
//! in memory, else logical order) and gives the layout `mapv` gives, so a closure that draws random
//! numbers draws the same sequence as before.

use ndarray::{ArrayD, ArrayViewD, Axis, CowArray, IxDyn, ShapeBuilder};

use crate::buffer;
use crate::error::{Error, ErrorKind, Result};

/// The out-of-memory error for `count` samples.
pub(crate) fn too_large(count: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of {count} elements"))
}

/// `f` of every sample of `x`, as ndarray's `mapv` computes it, in a buffer allocated fallibly.
pub(crate) fn map(x: &ArrayViewD<'_, f64>, mut f: impl FnMut(f64) -> f64) -> Result<ArrayD<f64>> {
    let mut out = buffer::with_capacity(x.len())?;
    if let Some(src) = x.as_slice_memory_order() {
        out.extend(src.iter().map(|&v| f(v)));
        if x.is_standard_layout() {
            return Ok(ArrayD::from_shape_vec(x.raw_dim(), out).expect("one sample per element"));
        }
        // The view's own layout, as `mapv` keeps it: the strides' magnitudes over the new buffer,
        // then the axes with negative strides reversed (which moves the origin as the view's is).
        let strides: Vec<usize> = x.strides().iter().map(|s| s.unsigned_abs()).collect();
        let mut a = ArrayD::from_shape_vec(x.raw_dim().strides(IxDyn(&strides)), out)
            .expect("a contiguous layout of one sample per element");
        for (axis, &s) in x.strides().iter().enumerate() {
            if s < 0 {
                a.invert_axis(Axis(axis));
            }
        }
        return Ok(a);
    }
    out.extend(x.iter().map(|&v| f(v)));
    Ok(ArrayD::from_shape_vec(x.raw_dim(), out).expect("one sample per element"))
}

/// An owned copy of `x` (ndarray's `to_owned`), allocated fallibly.
pub(crate) fn to_owned(x: &ArrayViewD<'_, f64>) -> Result<ArrayD<f64>> {
    map(x, |v| v)
}

/// `x` in standard (C) layout: borrowed when it already is, else a copy allocated fallibly
/// (ndarray's `as_standard_layout`).
pub(crate) fn standard<'a>(x: &ArrayViewD<'a, f64>) -> Result<CowArray<'a, f64, IxDyn>> {
    if x.is_standard_layout() {
        return Ok(CowArray::from(x.clone()));
    }
    let buf = crate::layout::to_c_order(x)?;
    Ok(CowArray::from(ArrayD::from_shape_vec(x.raw_dim(), buf).expect("one sample per element")))
}

/// An owned copy of `x` in standard (C) layout (ndarray's `as_standard_layout().into_owned()`),
/// allocated fallibly.
pub(crate) fn standard_owned(x: &ArrayViewD<'_, f64>) -> Result<ArrayD<f64>> {
    let buf = crate::layout::to_c_order(x)?;
    Ok(ArrayD::from_shape_vec(x.raw_dim(), buf).expect("one sample per element"))
}

/// The items of an iterator of known length, collected into a vector allocated fallibly.
pub(crate) fn collect<T>(items: impl ExactSizeIterator<Item = T>) -> Result<Vec<T>> {
    let n = items.len();
    let mut out = buffer::try_vec(n).ok_or_else(|| too_large(n))?;
    out.extend(items);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    fn grid() -> ArrayD<f64> {
        Array2::from_shape_fn((3, 4), |(r, c)| (r * 4 + c) as f64).into_dyn()
    }

    /// Every layout an image's view can have: standard, transposed, reversed, strided.
    fn views(a: &ArrayD<f64>) -> Vec<ArrayViewD<'_, f64>> {
        let mut flipped = a.view();
        flipped.invert_axis(Axis(1));
        let mut both = a.view().reversed_axes();
        both.invert_axis(Axis(0));
        vec![a.view(), a.view().reversed_axes(), flipped, both, a.slice(s![.., ..;2]).into_dyn()]
    }

    #[test]
    fn map_is_mapv_in_values_layout_and_order() {
        let a = grid();
        for v in views(&a) {
            let (mut seen, mut seen_ours) = (Vec::new(), Vec::new());
            let theirs = v.mapv(|x| {
                seen.push(x);
                x * 2.0 + 1.0
            });
            let ours = map(&v, |x| {
                seen_ours.push(x);
                x * 2.0 + 1.0
            })
            .unwrap();
            assert_eq!(ours, theirs);
            assert_eq!(ours.strides(), theirs.strides(), "the layout mapv gives");
            assert_eq!(seen_ours, seen, "the order mapv visits");
            assert_eq!(to_owned(&v).unwrap(), v);
            let st = standard(&v).unwrap();
            assert!(st.is_standard_layout());
            assert_eq!(st, v);
            let owned = standard_owned(&v).unwrap();
            assert!(owned.is_standard_layout());
            assert_eq!(owned, v);
        }
    }

    #[test]
    fn impossible_sizes_are_out_of_memory_errors() {
        let err = collect(0..usize::MAX / 4).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfMemory);
        assert!(err.to_string().contains(&format!("{}", usize::MAX / 4)), "{err}");
        assert_eq!(collect(0..4_usize).unwrap(), [0, 1, 2, 3]);
    }
}
