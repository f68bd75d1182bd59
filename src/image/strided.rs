//! Strided views of an image's samples, as numpy's: a block of a buffer walked with signed strides
//! per axis from a start element. A reversed axis has a negative stride (`FlipLR`, `FlipUD`), a
//! crop is a sub-block with its parent's strides (`Crop`, `CropToMultiplesOf`), and the real or
//! imaginary part of a complex image is its interleaved parts with the last axis dropped (stride 2,
//! start 0 or 1: `Real`, `Imag`). Each is made in O(1) and shares the samples; the kinds that need C
//! order read [`Image::contiguous`], which copies a view once, lazily.
//!
//! The stride arithmetic is here; [`super::Part`] holds the strides of an image that is not in C
//! order.

use std::sync::{Arc, OnceLock};

use ndarray::{ArrayViewD, Axis, Dimension, IxDyn, ShapeBuilder};

use super::{Image, Part, Samples, element_count};
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// The C-order strides (in elements) of `shape`.
pub(super) fn c_strides(shape: &[usize]) -> Box<[isize]> {
    let mut strides = vec![0isize; shape.len()].into_boxed_slice();
    let mut step = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step = step.wrapping_mul(d.max(1) as isize);
    }
    strides
}

/// Whether `strides` walk `shape` in C order (axes of length 1 may have any stride; an empty shape
/// is in C order whatever its strides).
pub(super) fn is_c_order(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut step = 1isize;
    for (&s, &d) in strides.iter().zip(shape).rev() {
        if d != 1 && s != step {
            return false;
        }
        step = step.wrapping_mul(d as isize);
    }
    true
}

/// The offsets (in elements, from the element at index 0 on every axis) of the first and the last
/// sample in memory of a non-empty `shape` walked with `strides`.
pub(super) fn extent(shape: &[usize], strides: &[isize]) -> (isize, isize) {
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&d, &s) in shape.iter().zip(strides) {
        let span = (d as isize - 1) * s;
        if span < 0 { lo += span } else { hi += span }
    }
    (lo, hi)
}

/// Whether the samples of a non-empty `shape` walked with `strides` are exactly the
/// `shape.size()` elements of one block of memory, in some order (C order with axes permuted
/// and/or reversed), so that elementwise computations may read them in memory order.
pub(super) fn is_dense(shape: &[usize], strides: &[isize]) -> bool {
    let mut axes: Vec<(usize, usize)> =
        shape.iter().zip(strides).filter(|(d, _)| **d != 1).map(|(&d, &s)| (s.unsigned_abs(), d)).collect();
    axes.sort_unstable();
    let mut step = 1usize;
    for (s, d) in axes {
        if s != step {
            return false;
        }
        step *= d;
    }
    true
}

/// The view of the samples of `shape`, walked with `strides` from element `start` of `all` (which
/// holds every sample they reach).
pub(super) fn view<'a, T>(all: &'a [T], start: usize, shape: &IxDyn, strides: &[isize]) -> ArrayViewD<'a, T> {
    if shape.size() == 0 {
        return ArrayViewD::from_shape(shape.clone(), &[]).expect("no samples");
    }
    let (lo, hi) = extent(shape.slice(), strides);
    let first = (start as isize + lo) as usize;
    let last = (start as isize + hi) as usize;
    // ndarray's safe constructor takes non-negative strides from the first sample in memory; the
    // reversed axes are then inverted, which moves the view's origin back to element `start`.
    let magnitudes = IxDyn(&strides.iter().map(|s| s.unsigned_abs()).collect::<Vec<_>>());
    let mut v = ArrayViewD::from_shape(shape.clone().strides(magnitudes), &all[first..=last])
        .expect("the strides keep the samples inside the buffer");
    for (k, &s) in strides.iter().enumerate() {
        if s < 0 && shape[k] > 1 {
            v.invert_axis(Axis(k));
        }
    }
    v
}

impl Image {
    /// This image's samples in `shape`, walked with `strides` from element `start` of its buffer, with
    /// the same properties, dtype and note (the caller checked that they stay in the buffer, and
    /// sets the complex flag). An empty result is a new empty image: it shares nothing.
    pub(super) fn view_at(&self, start: usize, shape: &[usize], strides: Box<[isize]>) -> Image {
        let samples = if shape.contains(&0) {
            Samples::Whole(Arc::new(ndarray::ArrayD::zeros(IxDyn(shape))))
        } else {
            let c_order = is_c_order(shape, &strides);
            let dense = c_order || is_dense(shape, &strides);
            Samples::Part(Arc::new(Part {
                buffer: self.samples.buffer(),
                shape: IxDyn(shape),
                start,
                strides: (!c_order).then_some(strides),
                dense,
                c_order: OnceLock::new(),
            }))
        };
        Image { samples, ..self.clone() }
    }

    /// The element of the buffer at index 0 on every axis, with the strides, of a non-empty image.
    fn origin(&self) -> (isize, Vec<isize>) {
        (self.samples.start() as isize, self.strides())
    }

    /// The image with axis `axis` reversed (numpy's `np.flip(x, axis)`), in O(1): the same samples
    /// with a negative stride, the same properties and dtype, and not complex (as the flips of
    /// DeepTrack2's augmentations return new data). An error names a missing axis.
    pub fn reversed(&self, axis: usize) -> Result<Image> {
        let shape = self.shape().to_vec();
        if axis >= shape.len() {
            return Err(Error::invalid(format!("cannot reverse axis {axis} of an image of shape {shape:?}")));
        }
        let mut out = if shape.contains(&0) {
            self.view_at(0, &shape, c_strides(&shape))
        } else {
            let (start, mut strides) = self.origin();
            let start = start + (shape[axis] as isize - 1) * strides[axis];
            strides[axis] = -strides[axis];
            self.view_at(start as usize, &shape, strides.into_boxed_slice())
        };
        out.complex = false;
        Ok(out)
    }

    /// The block of `shape` whose first sample is at index `corner` (numpy's
    /// `x[c0:c0+n0, c1:c1+n1, …]`), in O(1): the same samples with this image's strides, the same
    /// properties and dtype, and not complex. An error when it does not fit.
    pub fn sub_block(&self, corner: &[usize], shape: &[usize]) -> Result<Image> {
        let full = self.shape();
        let fits = corner.len() == full.len()
            && shape.len() == full.len()
            && corner.iter().zip(shape).zip(full).all(|((&c, &n), &d)| c.checked_add(n).is_some_and(|e| e <= d));
        if !fits {
            return Err(Error::invalid(format!(
                "a block of shape {shape:?} at {corner:?} does not fit in an image of shape {full:?}"
            )));
        }
        element_count(shape)?;
        let mut out = if shape.contains(&0) {
            self.view_at(0, shape, c_strides(shape))
        } else {
            let (start, strides) = self.origin();
            let start = start + corner.iter().zip(&strides).map(|(&c, &s)| c as isize * s).sum::<isize>();
            self.view_at(start as usize, shape, strides.into_boxed_slice())
        };
        out.complex = false;
        Ok(out)
    }

    /// The complex image whose real parts are `re`'s samples and imaginary parts `im`'s, in O(1), when
    /// they are views of one complex image's parts (the same buffer and strides, `im` one sample after
    /// `re`, as a flip, a permutation or a sub-block of each part gives): a view of those samples,
    /// with `re`'s properties and the axis of parts last. `None` otherwise.
    pub(crate) fn join_part_views(re: &Image, im: &Image) -> Option<Image> {
        let shape = re.shape();
        if shape != im.shape() || shape.contains(&0) || re.complex || im.complex || !re.shares_samples(im) {
            return None;
        }
        if !matches!((&re.samples, &im.samples), (Samples::Part(_), Samples::Part(_))) {
            return None;
        }
        let ((rs, mut strides), (is, im_strides)) = (re.origin(), im.origin());
        if strides != im_strides || is != rs + 1 {
            return None;
        }
        let mut full = shape.to_vec();
        full.push(2);
        strides.push(1);
        let mut out = re.view_at(rs as usize, &full, strides.into_boxed_slice());
        out.complex = true;
        out.dtype = Dtype::Float64;
        Some(out)
    }

    /// The real (`imaginary` false) or imaginary part of a complex image (numpy's `.real` and
    /// `.imag`), in O(1): a real float64 image of the complex shape (without the last axis of parts)
    /// reading every other sample of this one's, with the same properties. An error for an image that
    /// is not complex.
    pub fn complex_part(&self, imaginary: bool) -> Result<Image> {
        if !self.complex {
            return Err(Error::invalid(format!(
                "only a complex image has real and imaginary parts; this one is real, of shape {:?}",
                self.shape()
            )));
        }
        let full = self.shape();
        let shape = &full[..full.len() - 1];
        let mut out = if shape.contains(&0) {
            self.view_at(0, shape, c_strides(shape))
        } else {
            let (start, mut strides) = self.origin();
            let last = strides.pop().expect("a complex image has a last axis of parts");
            let start = start + if imaginary { last } else { 0 };
            self.view_at(start as usize, shape, strides.into_boxed_slice())
        };
        out.complex = false;
        out.dtype = Dtype::Float64;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::ArrayD;

    use super::*;

    #[test]
    fn stride_arithmetic() {
        assert_eq!(&*c_strides(&[2, 3, 4]), [12, 4, 1]);
        assert!(is_c_order(&[2, 1, 4], &[4, 99, 1]) && !is_c_order(&[2, 4], &[1, 2]));
        assert_eq!(extent(&[3, 4], &[-4, 1]), (-8, 3));
        assert!(is_dense(&[3, 4], &[-4, 1]) && is_dense(&[3, 4], &[1, -3]) && !is_dense(&[3, 4], &[8, 1]));
        assert!(!is_dense(&[3, 4], &[8, 2]));
    }

    #[test]
    fn views_match_ndarray() {
        let x = ArrayD::from_shape_vec(IxDyn(&[3, 4, 2]), (0..24).map(f64::from).collect()).unwrap();
        let mut img = Image::new(x.clone());
        let mut flipped = x.view();
        flipped.invert_axis(Axis(1));
        assert_eq!(img.reversed(1).unwrap().data(), flipped);
        assert_eq!(img.reversed(0).unwrap().reversed(0).unwrap().data(), x.view());
        let block = img.reversed(1).unwrap().sub_block(&[1, 1, 0], &[2, 2, 2]).unwrap();
        assert_eq!(block.data(), flipped.slice(ndarray::s![1..3, 1..3, ..]).into_dyn());
        assert_eq!(
            block.contiguous().unwrap(),
            flipped.slice(ndarray::s![1..3, 1..3, ..]).iter().copied().collect::<Vec<_>>()
        );
        img.set_complex(true).unwrap();
        let im = img.complex_part(true).unwrap();
        assert_eq!(im.data(), x.index_axis(Axis(2), 1));
        assert!(im.shares_samples(&img) && !im.is_complex());
        assert!(img.sub_block(&[2, 0, 0], &[2, 1, 1]).is_err() && img.reversed(3).is_err());
        assert!(Image::zeros(&[2, 2]).complex_part(false).is_err());
        let empty = Image::zeros(&[0, 3]).reversed(1).unwrap();
        assert_eq!(empty.shape(), [0, 3]);
    }
}
