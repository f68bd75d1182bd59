//! The math kinds that take a function: `Blur(filter_function, mode="reflect")`,
//! `BlurCV2(filter_function, mode="reflect")` and `Pool(pooling_function, ksize=3)`, DeepTrack2
//! 2.0.1's `math.Blur`, `math.BlurCV2` and `math.Pool`.
//!
//! The function is a [`ParamKind::Callback`] parameter: a custom feature given at construction (from
//! C, `deeptrack_feature_new_custom` and `deeptrack_feature_new_with`; from Python, a callable),
//! whose `get` the kind calls with its own sampled properties. `Blur` calls it once with the whole
//! image; `BlurCV2` too, with OpenCV's `borderType` for `mode` among the properties it is given (what
//! 2.0.1's `BlurCV2` evidently means: it cannot be constructed in 2.0.1). `Pool` reduces each `ksize` block as `skimage.measure.block_reduce` does (padding with `cval`,
//! 0 when unset, at the ends of axes that do not divide, and the padding takes part); its function is either one of the
//! statistics reductions `Sum`, `Mean`, `Max`, `Min`, `Median` (numpy's `np.sum` … `np.median`),
//! computed natively in one pass over the image, or a custom feature called once per block with that
//! block (its padding included) as an image, which must return one value. That costs one call per
//! output sample and a copy of each block: the work and memory are those of the padded image. A custom
//! feature named [`BLOCK_REDUCE`] is called once instead, as skimage's `block_reduce` calls its
//! function (what DeepTrack2 does): with every block at once, an image of shape `(n1, …, nd, k1, …,
//! kd)` (the padded image's blocks, a strided view of it: skimage's `view_as_blocks`), and
//! returns the `(n1, …, nd)` image of the blocks' values.

use crate::features::ComplexInputs;
use std::sync::Arc;

use super::FeatureKind;
use super::custom::GetFn;
use super::math::{POOLING, ksizes, pooling_cval, reduce_padded, with_samples};
use super::median;
use super::pool_complex::{self, ComplexMethod};
use super::pooling::{self, Reduce};
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use super::statistics::Reduction;
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::image::element_count;
use crate::properties::PropertyDict;
use crate::value::Value;

/// `Blur(filter_function, mode="reflect")`.
pub(super) const BLUR: KindSpec = KindSpec {
    name: "Blur",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "`filter_function` (a function of the image) applied to the whole image, given the properties.",
    params: &[
        ParamSpec::new(
            "filter_function",
            ParamKind::Callback,
            ParamDefault::Required,
            "the filter: a function of the image and the properties (`mode` among them) that returns an image",
        ),
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: &[] },
            ParamDefault::Value(Const::Str("reflect")),
            "the border mode, passed to the filter",
        ),
    ],
    positional: &["filter_function", "mode"],
    make: |features| {
        Box::new(Blur { spec: &BLUR, function: features.into_iter().next().expect("counted by the registry") })
    },
};

/// OpenCV's border types by DeepTrack2's mode names (`cv2.BORDER_CONSTANT` … `cv2.BORDER_REFLECT_101`),
/// as 2.0.1's `math._map_mode_to_cv2_borderType`.
const CV2_BORDER_TYPES: [(&str, i64); 5] =
    [("reflect", 2), ("wrap", 3), ("constant", 0), ("mirror", 4), ("nearest", 1)];

/// `BlurCV2(filter_function, mode="reflect")`.
pub(super) const BLUR_CV2: KindSpec = KindSpec {
    name: "BlurCV2",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`filter_function` (an OpenCV-style filter) applied to the whole image, given the properties and \
          `borderType` (OpenCV's integer for `mode`).",
    params: &[
        ParamSpec::new(
            "filter_function",
            ParamKind::Callback,
            ParamDefault::Required,
            "the filter: a function of the image and the properties (`borderType` among them: OpenCV's integer \
             for `mode`) that returns an image",
        ),
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: &["reflect", "wrap", "constant", "mirror", "nearest"] },
            ParamDefault::Value(Const::Str("reflect")),
            "the border mode, given to the filter as OpenCV's `borderType` (reflect 2, wrap 3, constant 0, \
             mirror 4, nearest 1)",
        ),
    ],
    positional: &["filter_function", "mode"],
    make: |features| {
        Box::new(Blur { spec: &BLUR_CV2, function: features.into_iter().next().expect("counted by the registry") })
    },
};

/// `Pool(pooling_function, ksize=3)`.
pub(super) const POOL: KindSpec = KindSpec {
    name: "Pool",
    aliases: &[],
    module: "math",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`pooling_function` over each `ksize` block (block reduce; the padding at the ends, `cval` or 0, counts).",
    params: &[
        ParamSpec::new(
            "pooling_function",
            ParamKind::Callback,
            ParamDefault::Required,
            "the reduction: Sum, Mean, Max, Min or Median (native), or a function of a block returning one value \
             (a custom feature named `block_reduce`: of all blocks at once, the (n…, k…) image of the padded image's \
             blocks, returning the (n…) image of their values)",
        ),
        POOLING[0],
        POOLING[1],
    ],
    positional: &["pooling_function", "ksize"],
    make: |features| Box::new(Pool { function: features.into_iter().next().expect("counted by the registry") }),
};

/// The function of a kind's callback parameter `param`: `function`'s `get`, or an error naming the
/// parameter when `function` is not a custom feature.
fn function_of(function: &Feature, param: &str, expected: &str) -> Result<Arc<GetFn>> {
    function.kind().function().ok_or_else(|| {
        Error::invalid(format!("expected {expected}, got a '{}' feature", function.kind().name())).in_property(param)
    })
}

/// `Blur(filter_function, mode="reflect")` and `BlurCV2(filter_function, mode="reflect")`: the
/// filter's image, from the whole input image.
#[derive(Clone)]
struct Blur {
    /// [`BLUR`] or [`BLUR_CV2`].
    spec: &'static KindSpec,
    function: Feature,
}

impl FeatureKind for Blur {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn name(&self) -> &str {
        self.spec.name
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.function.clone()]
    }

    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let function = children.into_iter().next().unwrap_or_else(|| self.function.clone());
        Box::new(Blur { spec: self.spec, function })
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let filter = function_of(&self.function, "filter_function", "a function (a custom feature)")?;
        let mode = Params::new(self.spec.params, props).str("mode")?;
        // BlurCV2's filter is given OpenCV's border type too (the dict on the image keeps `mode`).
        let given = match CV2_BORDER_TYPES.iter().find(|(name, _)| *name == mode) {
            Some(&(_, border)) if self.spec.name == BLUR_CV2.name => {
                let mut with = PropertyDict::clone(props);
                with.insert("borderType", Value::Int(border));
                Arc::new(with)
            }
            _ => Arc::clone(props),
        };
        let _user = rs.user_code();
        filter(Some(img), &given).map_err(|e| e.in_property("filter_function"))
    }
}

/// The name of a custom feature that `Pool` calls once with every block (as skimage's `block_reduce`
/// calls its function, with `axis` the block axes), rather than once per block.
pub const BLOCK_REDUCE: &str = "block_reduce";

/// `Pool(pooling_function, ksize=3)`: each `ksize` block reduced to one sample.
#[derive(Clone)]
struct Pool {
    function: Feature,
}

/// How a `Pool` reduces its blocks.
enum Method {
    /// Natively, in one pass.
    Native(Reduce),
    /// Natively, by selection.
    Median,
    /// By calling the function once per block.
    Call(Arc<GetFn>),
    /// By calling the function once with every block (a [`BLOCK_REDUCE`] function).
    Blocks(Arc<GetFn>),
}

impl Method {
    /// Whether the library computes it (numpy's reductions), not a function of the user's.
    fn is_native(&self) -> bool {
        matches!(self, Method::Native(_) | Method::Median)
    }
}

impl Pool {
    fn method(&self) -> Result<Method> {
        let native = match self.function.spec().map(|s| s.name) {
            Some("Sum") => Some(Method::Native(Reduce::Sum)),
            Some("Mean") => Some(Method::Native(Reduce::Mean)),
            Some("Max") => Some(Method::Native(Reduce::Max)),
            Some("Min") => Some(Method::Native(Reduce::Min)),
            Some("Median") => Some(Method::Median),
            _ => None,
        };
        match native {
            Some(m) => Ok(m),
            None => function_of(
                &self.function,
                "pooling_function",
                "a function (a custom feature) or one of the reductions Sum, Mean, Max, Min, Median",
            )
            .map(|f| if self.function.kind().name() == BLOCK_REDUCE { Method::Blocks(f) } else { Method::Call(f) }),
        }
    }
}

/// The block sizes (`ksize`) over the axes `dims` of an image to pool, or `None` when the pooled
/// image is the image itself: a 0-d image has no axis to pool over, and numpy's reductions over no axis
/// return the value. A user's function is called on the one block of no axis, as skimage calls it
/// (`axis=()`).
fn block_sizes(dims: &[usize], method: &Method, props: &Arc<PropertyDict>) -> Result<Option<Vec<usize>>> {
    let k = Params::new(POOL.params, props).parse("ksize", |v| ksizes(v, dims.len()))?;
    Ok(match (dims.is_empty(), method.is_native()) {
        (true, true) => None,
        (true, false) => Some(Vec::new()),
        (false, _) => Some(k),
    })
}

impl Pool {
    /// The pooled image of the complex image `img`: blocks of complex numbers (see `pool_complex`).
    fn pool_complex(
        &self,
        img: &Image,
        method: Method,
        props: &Arc<PropertyDict>,
        rs: &mut Resolver<'_>,
    ) -> Result<Image> {
        let dims = &img.shape()[..img.shape().len() - 1];
        let Some(k) = block_sizes(dims, &method, props)? else { return Ok(img.clone()) };
        let method = match &method {
            Method::Native(Reduce::Sum) => ComplexMethod::Native(Reduction::Sum),
            Method::Native(Reduce::Mean) => ComplexMethod::Native(Reduction::Mean),
            Method::Native(Reduce::Max) => ComplexMethod::Native(Reduction::Max),
            Method::Native(Reduce::Min) => ComplexMethod::Native(Reduction::Min),
            Method::Median => ComplexMethod::Native(Reduction::Median),
            Method::Call(f) => ComplexMethod::Call(f),
            Method::Blocks(f) => ComplexMethod::Blocks(f),
        };
        check_padding(dims, &k)?;
        let cval = pooling_cval(props, img)?;
        let _user = (!matches!(method, ComplexMethod::Native(_))).then(|| rs.user_code());
        pool_complex::pool(img, &k, cval, method, props)
    }
}

impl FeatureKind for Pool {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn name(&self) -> &str {
        "Pool"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.function.clone()]
    }

    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Pool { function: children.into_iter().next().unwrap_or_else(|| self.function.clone()) })
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let method = self.method()?;
        if img.is_complex() {
            return self.pool_complex(img, method, props, rs).map(Some);
        }
        let shape = img.shape();
        let Some(k) = block_sizes(shape, &method, props)? else { return Ok(Some(img.clone())) };
        let cval = pooling_cval(props, img)?;
        let out = match method {
            Method::Native(reduce) => reduce_padded(img, &k, reduce, cval)?,
            Method::Median => {
                median::median_pool(img.contiguous()?, shape, &k, cval).map_err(|e| e.in_property("ksize"))?
            }
            Method::Call(f) => {
                check_padding(shape, &k)?;
                let _user = rs.user_code();
                call_per_block(img, &k, cval, props, &f)?
            }
            Method::Blocks(f) => {
                check_padding(shape, &k)?;
                let _user = rs.user_code();
                call_on_blocks(img, &k, cval, props, &f)?
            }
        };
        Ok(Some(with_samples(img, &pooling::output_shape(shape, &k), out)))
    }
}

/// The most samples of the padded image a function of blocks reads (its blocks, copied or
/// viewed) when a block is longer than the image along some axis: there `ksize`, not the image, sets
/// the work. Blocks no longer than the image pad each axis by less than its length (at most `2^ndim`
/// times the image's samples: bounded by the data).
pub const MAX_PADDED_SAMPLES: usize = 1 << 28;

/// Checks the padded image of `ksize` blocks of an image of shape `dims` against
/// [`MAX_PADDED_SAMPLES`] (blocks longer than an axis only).
fn check_padding(dims: &[usize], ksize: &[usize]) -> Result<()> {
    if dims.iter().zip(ksize).all(|(&n, &k)| k <= n.max(1)) {
        return Ok(());
    }
    let padded = pooling::output_shape(dims, ksize)
        .iter()
        .zip(ksize)
        .try_fold(1_usize, |acc, (&n, &k)| acc.checked_mul(n)?.checked_mul(k));
    match padded {
        Some(n) if n <= MAX_PADDED_SAMPLES => Ok(()),
        _ => Err(Error::invalid(format!(
            "blocks of {ksize:?} pad the image of shape {dims:?} to {} samples, which exceeds the maximum of \
             {MAX_PADDED_SAMPLES} for blocks longer than the image",
            padded.map_or_else(|| "more than 2^64".to_owned(), |n| n.to_string())
        ))
        .in_property("ksize")),
    }
}

/// Calls `f` once with every `ksize` block of `img`: the image of shape `(n1, …, nd, k1, …, kd)` whose
/// element `[i…, j…]` is element `j` of block `i` (`cval` where a block reaches past the image), a
/// strided view of the padded image (of `img` itself when the sizes divide), and returns the
/// values it gives, one per block.
fn call_on_blocks(
    img: &Image,
    ksize: &[usize],
    cval: f64,
    props: &Arc<PropertyDict>,
    f: &Arc<GetFn>,
) -> Result<Vec<f64>> {
    let dims = img.shape();
    let nd = dims.len();
    let out_dims = pooling::output_shape(dims, ksize);
    let count = out_dims.iter().product::<usize>();
    if count == 0 {
        return Ok(Vec::new());
    }
    let too_large = || {
        Error::new(ErrorKind::OutOfMemory, format!("the padded image of blocks {ksize:?} cannot be allocated"))
            .in_property("ksize")
    };
    let padded_dims = out_dims.iter().zip(ksize).map(|(&n, &k)| n.checked_mul(k)).collect::<Option<Vec<_>>>();
    let padded_dims = padded_dims.ok_or_else(too_large)?;
    let mut padded = if padded_dims == dims {
        img.clone()
    } else {
        let size = element_count(&padded_dims).map_err(|_| too_large())?;
        let mut samples = buffer::with_capacity(size)?;
        samples.resize(size, cval);
        let mut buf =
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&padded_dims), samples).expect("one sample per element");
        buf.slice_each_axis_mut(|ax| ndarray::Slice::from(0..dims[ax.axis.index()])).assign(&img.data());
        Image::new(buf)
    };
    padded.clear_properties();
    let interleaved: Vec<usize> = out_dims.iter().zip(ksize).flat_map(|(&n, &k)| [n, k]).collect();
    let order: Vec<usize> = (0..nd).map(|a| 2 * a).chain((0..nd).map(|a| 2 * a + 1)).collect();
    let blocks = padded.reshaped(&interleaved)?.permuted_axes(&order)?;
    let result = f(Some(&blocks), props).map_err(|e| e.in_property("pooling_function"))?;
    let values = match &result {
        Some(r) if r.len() == count => r.contiguous()?,
        other => {
            let got = other.as_ref().map_or(blocks.shape(), |r| r.shape());
            return Err(Error::new(
                ErrorKind::CallbackFailed,
                format!("the function returned an image of shape {got:?} for the blocks; expected one value per block, shape {out_dims:?}"),
            )
            .in_property("pooling_function"));
        }
    };
    let mut out = buffer::with_capacity(count)?;
    out.extend_from_slice(values);
    Ok(out)
}

/// Calls `f` on each `ksize` block of `img` (C order of the blocks; each block an image of shape
/// `ksize`, `cval` where it reaches past the image), and collects the one value it returns for each.
fn call_per_block(
    img: &Image,
    ksize: &[usize],
    cval: f64,
    props: &Arc<PropertyDict>,
    f: &Arc<GetFn>,
) -> Result<Vec<f64>> {
    let dims = img.shape();
    let out_dims = pooling::output_shape(dims, ksize);
    let mut out = buffer::zeroed(out_dims.iter().product())?;
    if out.is_empty() {
        return Ok(out);
    }
    let block_len = ksize.iter().try_fold(1_usize, |b, &k| b.checked_mul(k)).ok_or_else(|| {
        Error::new(ErrorKind::OutOfMemory, format!("a block of {ksize:?} samples cannot be allocated"))
            .in_property("ksize")
    })?;
    // The block is filled in place, then copied into the image the function receives (which it may
    // keep): one allocation of the block's size per call.
    let mut block = buffer::zeroed(block_len)?;
    let x = img.contiguous()?;
    let mut strides = vec![1_usize; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    let mut pos = vec![0_usize; dims.len()];
    for slot in out.iter_mut() {
        if dims.is_empty() {
            // A 0-d image is one block (of no axis) of its one sample.
            block[0] = x[0];
        } else {
            fill_block(x, (dims, &strides), ksize, &pos, cval, &mut block);
        }
        let mut samples = buffer::with_capacity(block_len)?;
        samples.extend_from_slice(&block);
        let arg = Image::from_shared(Arc::new(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(ksize), samples).expect("one sample per element"),
        ));
        let result = f(Some(&arg), props).map_err(|e| e.in_property("pooling_function"))?;
        let values = result.as_ref().unwrap_or(&arg).contiguous()?;
        if values.len() != 1 {
            return Err(Error::new(
                ErrorKind::CallbackFailed,
                format!("the function returned {} values for a block; expected one", values.len()),
            )
            .in_property("pooling_function"));
        }
        *slot = values[0];
        // The next block, in C order.
        for a in (0..dims.len()).rev() {
            pos[a] += 1;
            if pos[a] < out_dims[a] {
                break;
            }
            pos[a] = 0;
        }
    }
    Ok(out)
}

/// Copies the block at block index `pos` of `x` (shape `dims`, C-order `strides`) into `block`
/// (shape `ksize`), with `cval` past the ends of the axes.
fn fill_block(
    x: &[f64],
    (dims, strides): (&[usize], &[usize]),
    ksize: &[usize],
    pos: &[usize],
    cval: f64,
    block: &mut [f64],
) {
    let last = dims.len() - 1;
    let (k_last, n_last) = (ksize[last], dims[last]);
    let start_last = pos[last] * k_last;
    let run = n_last.saturating_sub(start_last).min(k_last);
    let mut offset = vec![0_usize; last];
    for row in block.chunks_exact_mut(k_last) {
        let mut base = Some(start_last);
        for a in 0..last {
            let i = pos[a] * ksize[a] + offset[a];
            base = base.filter(|_| i < dims[a]).map(|b| b + i * strides[a]);
        }
        match base {
            Some(b) => {
                row[..run].copy_from_slice(&x[b..b + run]);
                row[run..].fill(cval);
            }
            None => row.fill(cval),
        }
        for a in (0..last).rev() {
            offset[a] += 1;
            if offset[a] < ksize[a] {
                break;
            }
            offset[a] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_copied_with_their_padding() {
        // 3 × 5, blocks of 2 × 2: the last row and column of blocks reach past the image.
        let x: Vec<f64> = (0..15).map(f64::from).collect();
        let (dims, ksize) = ([3, 5], [2, 2]);
        let mut block = vec![f64::NAN; 4];
        fill_block(&x, (&dims, &[5, 1]), &ksize, &[0, 0], 0.0, &mut block);
        assert_eq!(block, [0.0, 1.0, 5.0, 6.0]);
        fill_block(&x, (&dims, &[5, 1]), &ksize, &[1, 2], 0.0, &mut block);
        assert_eq!(block, [14.0, 0.0, 0.0, 0.0]);
        fill_block(&x, (&dims, &[5, 1]), &ksize, &[0, 2], 0.0, &mut block);
        assert_eq!(block, [4.0, 0.0, 9.0, 0.0]);
        // The padding is `cval`.
        fill_block(&x, (&dims, &[5, 1]), &ksize, &[1, 2], -1.5, &mut block);
        assert_eq!(block, [14.0, -1.5, -1.5, -1.5]);
    }

    #[test]
    fn a_function_per_block_matches_the_native_reduction() {
        let x: Vec<f64> = (0..35).map(|i| ((i * 7919) % 31) as f64 - 11.5).collect();
        let img = Image::from_slice(&[5, 7], &x).unwrap();
        let sum: Arc<GetFn> = Arc::new(|input: Option<&Image>, _: &Arc<PropertyDict>| {
            let s: f64 = input.unwrap().as_slice().iter().sum();
            Ok(Some(Image::from_slice(&[], &[s])?))
        });
        // The same sums from one call with every block: the (n0, n1, k0, k1) image, summed over its
        // last two axes (as `np.sum(blocks, axis=(2, 3))`).
        let sum_blocks: Arc<GetFn> = Arc::new(|input: Option<&Image>, _: &Arc<PropertyDict>| {
            let blocks = input.unwrap().data();
            assert_eq!(blocks.ndim(), 4);
            let (n0, n1) = (blocks.shape()[0], blocks.shape()[1]);
            let sums: Vec<f64> = (0..n0 * n1)
                .map(|i| blocks.index_axis(ndarray::Axis(0), i / n1).index_axis(ndarray::Axis(0), i % n1).sum())
                .collect();
            Ok(Some(Image::from_slice(&[n0, n1], &sums)?))
        });
        for (k, cval) in [[1, 1], [2, 3], [3, 2], [5, 7], [6, 9]].into_iter().flat_map(|k| [(k, 0.0), (k, -2.5)]) {
            let called = call_per_block(&img, &k, cval, &Arc::new(PropertyDict::new()), &sum).unwrap();
            let native = pooling::block_reduce_padded(&x, &[5, 7], &k, Reduce::Sum, cval).unwrap();
            let once = call_on_blocks(&img, &k, cval, &Arc::new(PropertyDict::new()), &sum_blocks).unwrap();
            assert_eq!(once, called, "{k:?}");
            assert_eq!(called.len(), native.len());
            for (a, b) in called.iter().zip(&native) {
                assert!((a - b).abs() <= 1e-12, "{k:?}: {called:?} != {native:?}");
            }
        }
    }
}
