//! `Upscale` (DeepTrack2 2.0.1's `features` module): a pipeline simulated at a higher resolution and
//! pooled back. Inside it the optics simulate at their `upscale` times its `factor` (the
//! [`UpscaleFactor`] it sets in the resolve scope, DeepTrack2's unit context) and return images
//! `factor` times larger;
//! `Upscale` then averages `factor[0] × factor[1]` blocks of every image it gets (skimage's
//! `block_reduce` with the mean, zero padding at the ends counting), as DeepTrack2 does. A pipeline
//! without optics is only pooled.
//!
//! Positions follow the pixels (DeepTrack2 2.0.1's `Upscale` drops the dicts): the optics inside
//! record them in their larger image, the kinds inside move them with its pixels
//! ([`move_positions`]), and the pooling maps them into the pooled image ([`pooled_positions`]).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::augmentations::move_positions;
use super::optics::upscale_factors;
use super::pooling::{Reduce, block_reduce, output_shape};
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver, Scope};
use crate::image::{Image, ImageList, same_list};
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[UPSCALE];

/// `Upscale`, whose `factor` its computation reads.
const UPSCALE: KindSpec = KindSpec {
    name: "Upscale",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` with its optics simulating at `factor` times their resolution, then averages \
          `factor` × `factor` blocks of the first two axes; positions follow the pixels.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the pipeline simulated"),
        ParamSpec {
            min: 1.0,
            max: crate::features::optics::MAX_UPSCALE as f64,
            check: Some(|v| upscale_factors(v).map(|_| ())),
            ..ParamSpec::new(
                "factor",
                ParamKind::Vector { min_len: 1, max_len: 3, whole: true },
                ParamDefault::Value(Const::Int(1)),
                "the upscale: a positive integer, or one per axis (rows, columns, z)",
            )
        },
    ],
    positional: &["feature", "factor"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(Upscale::new(feature))
    },
};

/// The product of the factors of the enclosing `Upscale` features (per axis: rows, columns, z), a
/// value of the resolve scope: optics simulate at their own `upscale` times these and pool back by
/// their own only, so that their images come out these times larger. Absent outside any `Upscale`
/// (and when the factors are all 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpscaleFactor(pub [usize; 3]);

impl UpscaleFactor {
    /// The factors in `scope` (`[1, 1, 1]` outside any `Upscale`).
    pub fn of(scope: &Scope) -> [usize; 3] {
        scope.get::<UpscaleFactor>().map_or([1; 3], |u| u.0)
    }
}

/// `Upscale(feature, factor)`.
struct Upscale {
    feature: Feature,
    /// The last pooling: the replicate index, the factor, the feature's images and the pooled ones,
    /// returned again while the feature's result is the same (so that a cached pipeline gives the
    /// same images, not equal copies).
    last: Arc<Lock<Last>>,
}

/// See [`Upscale::last`].
struct Last(Option<(Vec<usize>, [usize; 3], ImageList, ImageList)>);

impl Recover for Last {
    fn recover(&mut self) {
        overwrite(&mut self.0, None);
    }
}

impl Upscale {
    fn new(feature: Feature) -> Upscale {
        Upscale { feature, last: Arc::new(Lock::new(Last(None))) }
    }
}

/// `image` pooled by `factor` blocks along its first two axes (the mean, zero padding counting).
fn pool(image: &Image, factor: [usize; 2]) -> Result<Image> {
    let dims = image.shape();
    let dims = if image.is_complex() { &dims[..dims.len() - 1] } else { dims };
    if dims.len() < 2 {
        return Err(Error::invalid(format!(
            "the image has {} dimension{}: pooling by the factor needs at least 2",
            dims.len(),
            if dims.len() == 1 { "" } else { "s" }
        )));
    }
    if factor == [1, 1] {
        return Ok(image.clone());
    }
    if image.is_complex() {
        // The mean of complex numbers: that of each part.
        let (re, im) = (pool(&image.complex_part(false)?, factor)?, pool(&image.complex_part(true)?, factor)?);
        return super::complex_inputs::join(&re, &im);
    }
    let mut ksize = vec![1; dims.len()];
    ksize[..2].copy_from_slice(&factor);
    let data = block_reduce(image.contiguous()?, dims, &ksize, Reduce::Mean)?;
    let shape = output_shape(dims, &ksize);
    Ok(image.with_data(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("the shape matches the data")))
}

/// `image`, pooled by `factor` blocks, with its positions moved with its pixels (copies of the dicts
/// that have one): the block of pixels `f·i .. f·i + f - 1` becomes pixel `i`, so a position `x` (in
/// the pixels of the image pooled) becomes `(x - (f - 1)/2) / f`. The optics inside an `Upscale`
/// record their positions in the larger frame (`f·x + (f - 1)/2`), so a position no kind moved comes
/// back as it was given (to the rounding of the two steps), and one that a kind moved in between (a
/// flip, a crop of simulation pixels) follows the pixels it moved with.
fn pooled_positions(image: Image, factor: [usize; 2]) -> Result<Image> {
    if factor == [1, 1] {
        return Ok(image);
    }
    let f = [factor[0] as f64, factor[1] as f64];
    move_positions(image, &|q| {
        for axis in 0..2 {
            q[axis] = (q[axis] - (f[axis] - 1.0) / 2.0) / f[axis];
        }
    })
}

impl FeatureKind for Upscale {
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let Ok([feature]) = <[Feature; 1]>::try_from(children) else { unreachable!("one child") };
        Box::new(Upscale::new(feature))
    }

    fn name(&self) -> &str {
        "Upscale"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.feature.clone()]
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let factor = Params::new(UPSCALE.params, props).parse("factor", upscale_factors)?;
        let outer = UpscaleFactor::of(rs.scope());
        let mut scaled = [1; 3];
        for axis in 0..3 {
            scaled[axis] = outer[axis]
                .checked_mul(factor[axis])
                .ok_or_else(|| Error::invalid("the nested upscale factors overflow"))?;
        }
        // A factor of 1 changes nothing: the scope stays as it is (and so do the cached results).
        let images = if scaled == outer {
            rs.resolve(&self.feature, inputs, id)?
        } else {
            let scope = rs.scope().with(UpscaleFactor(scaled));
            rs.with_scope(scope, |rs| rs.resolve(&self.feature, inputs, id))?
        };
        if let Some((i, f, from, pooled)) = &self.last.lock().0 {
            if i.as_slice() == id && *f == factor && same_list(from, &images) {
                return Ok(pooled.clone());
            }
        }
        let mut out = Vec::new();
        out.try_reserve_exact(images.len()).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", images.len()))
        })?;
        for image in &images {
            let pooled = pool(image, [factor[0], factor[1]]).map_err(|e| e.in_property("factor"))?;
            out.push(pooled_positions(pooled, [factor[0], factor[1]])?);
        }
        let out = ImageList::from(out);
        let stale = self.last.lock().0.replace((id.to_vec(), factor, images, out.clone()));
        drop(stale);
        Ok(out)
    }
}
