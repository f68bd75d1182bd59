//! How the engine gives complex images ([`Image::is_complex`]: the real and imaginary parts along a
//! last axis of length 2) to a kind: each kind says, through [`FeatureKind::complex_inputs`], whether
//! it computes on complex samples itself ([`ComplexInputs::Native`]), is applied to the real and
//! imaginary parts in turn ([`ComplexInputs::Parts`]: the linear maps and the views, as numpy and
//! scipy do), or refuses them ([`ComplexInputs::Refused`], the default) with an error naming it. The
//! interleaved representation never reaches a kind that does not know it, so no kind returns a real
//! array with a trailing axis of 2 for a complex input.

use std::sync::Arc;

use super::FeatureKind;
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// How a kind takes complex images (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplexInputs {
    /// An input list holding a complex image is an error naming the kind (the default).
    Refused,
    /// The kind reads the parts itself (elementwise functions, arithmetic, statistics, optics,
    /// holography, noises, kinds that pass images through).
    Native,
    /// The kind is applied to the real part and to the imaginary part of each complex image with the
    /// same sampled properties, and the two results are joined into one complex image: right for the
    /// kinds that are linear in the samples with real coefficients and deterministic given their
    /// properties (linear filters, padding), whose [`FeatureKind::process`] computes each image on
    /// its own (the engine calls it with one image at a time). The parts are copied into two
    /// contiguous images first (one pass), which the kind's kernels read fastest.
    Parts,
    /// As [`ComplexInputs::Parts`] for kinds whose results are views of their input (flips,
    /// permutations, reshapes, slices): the parts are given as views, and the two results joined as a
    /// view of the complex samples in O(1) (numpy's views of a complex array).
    PartViews,
}

/// The error of a kind that does not accept complex images.
pub(crate) fn refused(kind: &str, image: &Image) -> Error {
    let shape = image.shape();
    Error::type_mismatch(format!(
        "{kind} does not accept complex images (got a complex image of shape {:?}); take its Real, Imag, Abs or \
         Angle first",
        &shape[..shape.len().saturating_sub(1)]
    ))
}

/// The engine's computation of `kind` on `inputs` when one of them is complex: an error for a kind
/// that refuses them, the kind's own for a native one, the parts in turn for a [`ComplexInputs::Parts`]
/// one (its real inputs computed as they are).
pub(crate) fn process(
    kind: &dyn FeatureKind,
    inputs: &[Image],
    props: &Arc<PropertyDict>,
    id: &ReplicaId,
    rs: &mut Resolver<'_>,
) -> Result<Vec<Image>> {
    let first = inputs.iter().find(|i| i.is_complex());
    match (kind.complex_inputs(), first) {
        (_, None) | (ComplexInputs::Native, _) => kind.process(inputs, props, id, rs),
        (ComplexInputs::Parts | ComplexInputs::PartViews, Some(_)) => {
            let views = kind.complex_inputs() == ComplexInputs::PartViews;
            let mut out = buffer::try_vec(inputs.len()).ok_or_else(|| {
                Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", inputs.len()))
            })?;
            for input in inputs {
                if !input.is_complex() {
                    out.extend(kind.process(std::slice::from_ref(input), props, id, rs)?);
                    continue;
                }
                let (re, im) =
                    if views { (input.complex_part(false)?, input.complex_part(true)?) } else { split(input)? };
                let re = kind.process(&[re], props, id, rs)?;
                let im = kind.process(&[im], &imaginary_props(props), id, rs)?;
                for (re, im) in re.iter().zip(&im) {
                    out.push(join(re, im)?);
                }
            }
            Ok(out)
        }
        (_, Some(image)) => Err(refused(kind.name(), image)),
    }
}

/// The real and imaginary parts of a complex image as two contiguous real images with its
/// properties, in one pass.
fn split(image: &Image) -> Result<(Image, Image)> {
    let parts = image.contiguous()?;
    let n = parts.len() / 2;
    let (mut re, mut im) = (buffer::with_capacity(n)?, buffer::with_capacity(n)?);
    for z in parts.chunks_exact(2) {
        re.push(z[0]);
        im.push(z[1]);
    }
    let full = image.shape();
    let shape = ndarray::IxDyn(&full[..full.len() - 1]);
    let array = |v| ndarray::ArrayD::from_shape_vec(shape.clone(), v).expect("one part a number");
    Ok((image.with_standard_data(array(re)), image.with_standard_data(array(im))))
}

/// The properties of the imaginary parts' computation: `props` with a `cval` (the constant of
/// border modes, a real number) set to its imaginary part, 0, as numpy's `pad` and scipy's filters
/// pad a complex array with `cval + 0j`.
fn imaginary_props(props: &Arc<PropertyDict>) -> Arc<PropertyDict> {
    match props.get("cval") {
        Some(v) if v.as_f64().is_ok_and(|c| c != 0.0) => {
            let mut dict = PropertyDict::clone(props);
            dict.insert("cval", crate::value::Value::Float(0.0));
            Arc::new(dict)
        }
        _ => Arc::clone(props),
    }
}

/// The complex image whose real parts are `re`'s samples and imaginary parts `im`'s (of the same
/// shape), with `re`'s properties: a view in O(1) when they are views of one complex image's parts
/// (numpy's views of a complex array), else one pass into a fresh buffer.
pub(crate) fn join(re: &Image, im: &Image) -> Result<Image> {
    if let Some(view) = Image::join_part_views(re, im) {
        return Ok(view);
    }
    if re.shape() != im.shape() || re.is_complex() || im.is_complex() {
        return Err(Error::invalid(format!(
            "the real and imaginary parts of a complex result differ in shape ({:?} and {:?})",
            re.shape(),
            im.shape()
        )));
    }
    let (a, b) = (re.contiguous()?, im.contiguous()?);
    let mut data = buffer::zeroed(2 * a.len())?;
    for ((z, &x), &y) in data.chunks_exact_mut(2).zip(a).zip(b) {
        z[0] = x;
        z[1] = y;
    }
    from_parts(re, data)
}

/// A complex image with `like`'s properties and shape (plus the last axis of parts) over the
/// interleaved parts `data` (two per sample of `like`).
pub(crate) fn from_parts(like: &Image, data: Vec<f64>) -> Result<Image> {
    let mut shape = like.shape().to_vec();
    shape.push(2);
    let array = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data)
        .map_err(|_| Error::invalid(format!("complex parts that do not fill shape {shape:?}")))?;
    let mut out = like.with_standard_data(array);
    out.set_complex(true)?;
    Ok(out)
}
