//! `Pool` of a complex image: its blocks are blocks of complex numbers, as skimage's `block_reduce`
//! (DeepTrack2 2.0.1's `Pool`) hands numpy's reductions and any function the complex array's blocks
//! (padded with `cval + 0j`, numpy's `pad` of a complex array with a real constant). The native reductions are numpy's on complex numbers
//! (`statistics::complex`: `Sum`, `Mean` per part, `Max`, `Min`, `Median` in numpy's order of
//! complex numbers); a function receives complex blocks and may return complex or real values (the
//! image is complex when it returns complex numbers, as numpy's result array is).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, Slice};

use super::custom::GetFn;
use super::pooling;
use super::statistics::Reduction;
use super::statistics::complex::{self, Reduced};
use super::statistics::reduce::Spec;
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::properties::PropertyDict;

/// How a complex image's blocks are reduced.
pub(super) enum ComplexMethod<'a> {
    /// numpy's reduction of complex numbers over each block.
    Native(Reduction),
    /// A function called once per block (an image of the block's complex numbers).
    Call(&'a Arc<GetFn>),
    /// A function called once with every block, shaped `(n…, k…)` (skimage's `view_as_blocks`).
    Blocks(&'a Arc<GetFn>),
}

/// The pooled image of the complex image `img` by blocks of `ksize` (one per axis of its numbers):
/// complex, or real when the function returns real values; `img`'s dicts kept. The axes that do not
/// divide are padded with `cval + 0j`.
pub(super) fn pool(
    img: &Image,
    ksize: &[usize],
    cval: f64,
    method: ComplexMethod<'_>,
    props: &Arc<PropertyDict>,
) -> Result<Image> {
    let blocks = complex_blocks(img, ksize, cval)?;
    let nd = ksize.len();
    let out_dims = pooling::output_shape(&img.shape()[..nd], ksize);
    let count: usize = out_dims.iter().product();
    let (complex_out, samples) = match method {
        ComplexMethod::Native(op) => {
            let axes: Vec<i64> = (nd as i64..2 * nd as i64).collect();
            let spec = Spec { op, axis: Some(&axes), keepdims: false, q: None };
            match complex::reduce("Pool", blocks.view(), &spec)? {
                Reduced::Complex(_, data) => (true, data),
                Reduced::Real(a) => (false, a.iter().copied().collect()),
            }
        }
        ComplexMethod::Blocks(f) => {
            let mut arg = Image::new(blocks);
            arg.set_complex(true)?;
            let result = f(Some(&arg), props).map_err(|e| e.in_property("pooling_function"))?;
            let result = result.unwrap_or(arg);
            let numbers = numbers(&result);
            if numbers != count {
                return Err(Error::new(
                    ErrorKind::CallbackFailed,
                    format!(
                        "the function returned {numbers} values for the blocks; expected one value per block, shape \
                         {out_dims:?}"
                    ),
                )
                .in_property("pooling_function"));
            }
            (result.is_complex(), result.contiguous()?.to_vec())
        }
        ComplexMethod::Call(f) => per_block(&blocks, nd, count, props, f)?,
    };
    let mut dims = out_dims;
    if complex_out {
        dims.push(2);
    }
    let mut out = img.with_data(ArrayD::from_shape_vec(IxDyn(&dims), samples).expect("one sample per element"));
    out.set_complex(complex_out)?;
    Ok(out)
}

/// How many numbers `img` holds (complex ones counted once).
fn numbers(img: &Image) -> usize {
    if img.is_complex() { img.len() / 2 } else { img.len() }
}

/// The blocks of the complex image `img`, padded with `cval + 0j` to whole blocks: the contiguous
/// array of shape `(n1, …, nd, k1, …, kd, 2)` whose element `[i…, j…, p]` is part `p` of number `j`
/// of block `i`.
fn complex_blocks(img: &Image, ksize: &[usize], cval: f64) -> Result<ArrayD<f64>> {
    let nd = ksize.len();
    let dims = &img.shape()[..nd];
    let out_dims = pooling::output_shape(dims, ksize);
    let too_large = || {
        Error::new(ErrorKind::OutOfMemory, format!("the padded image of blocks {ksize:?} cannot be allocated"))
            .in_property("ksize")
    };
    let mut padded_dims = out_dims.iter().zip(ksize).map(|(&n, &k)| n.checked_mul(k)).collect::<Option<Vec<_>>>();
    let padded_dims = padded_dims.get_or_insert_with(Vec::new);
    if padded_dims.len() != nd {
        return Err(too_large());
    }
    padded_dims.push(2);
    let size = padded_dims.iter().try_fold(1_usize, |a, &n| a.checked_mul(n)).ok_or_else(too_large)?;
    let mut samples = buffer::zeroed(size)?;
    if cval != 0.0 {
        samples.chunks_exact_mut(2).for_each(|number| number[0] = cval);
    }
    let mut padded = ArrayD::from_shape_vec(IxDyn(padded_dims), samples).expect("one sample per element");
    let data = img.data();
    padded.slice_each_axis_mut(|ax| Slice::from(0..data.shape()[ax.axis.index()])).assign(&data);
    let mut interleaved: Vec<usize> = out_dims.iter().zip(ksize).flat_map(|(&n, &k)| [n, k]).collect();
    interleaved.push(2);
    let order: Vec<usize> = (0..nd).map(|a| 2 * a).chain((0..nd).map(|a| 2 * a + 1)).chain([2 * nd]).collect();
    let blocks = padded.into_shape_with_order(IxDyn(&interleaved)).expect("the padded image's samples");
    crate::fallible::standard_owned(&blocks.view().permuted_axes(IxDyn(&order)))
}

/// Calls `f` on each block of `blocks` (shape `(n…, k…, 2)`, `nd` block axes), in C order of the
/// blocks, each an image of the block's complex numbers returning one value: `(complex, samples)`,
/// the samples interleaved parts when any value is complex.
fn per_block(
    blocks: &ArrayD<f64>,
    nd: usize,
    count: usize,
    props: &Arc<PropertyDict>,
    f: &Arc<GetFn>,
) -> Result<(bool, Vec<f64>)> {
    let block_dims = blocks.shape()[nd..].to_vec();
    let block_len: usize = block_dims.iter().product();
    let samples = blocks.as_slice().expect("standard layout");
    let mut values: Vec<(f64, f64)> = Vec::with_capacity(count);
    let mut complex_out = false;
    for i in 0..count {
        let mut part = buffer::with_capacity(block_len)?;
        part.extend_from_slice(&samples[i * block_len..(i + 1) * block_len]);
        let mut arg = Image::new(ArrayD::from_shape_vec(IxDyn(&block_dims), part).expect("one sample per element"));
        arg.set_complex(true)?;
        let result = f(Some(&arg), props).map_err(|e| e.in_property("pooling_function"))?;
        let result = result.unwrap_or(arg);
        if numbers(&result) != 1 {
            return Err(Error::new(
                ErrorKind::CallbackFailed,
                format!("the function returned {} values for a block; expected one", numbers(&result)),
            )
            .in_property("pooling_function"));
        }
        let v = result.contiguous()?;
        complex_out |= result.is_complex();
        values.push(if result.is_complex() { (v[0], v[1]) } else { (v[0], 0.0) });
    }
    Ok(if complex_out {
        (true, values.iter().flat_map(|&(re, im)| [re, im]).collect())
    } else {
        (false, values.iter().map(|&(re, _)| re).collect())
    })
}
