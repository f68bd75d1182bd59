//! Feature kinds: what a feature computes. One file per family, each with its entries of the
//! [`registry`] of built-in kinds next to their computations; [`builtin`] creates a kind by its
//! DeepTrack class name.

use std::sync::Arc;

use crate::error::Result;
use crate::graph::{Feature, ReplicaId, Resolver, Scope};
use crate::image::{Image, ImageList, flatten};
use crate::properties::{PropertyDict, Rule};
pub use complex_inputs::ComplexInputs;

mod affine;
pub mod augmentations;
mod average;
mod bilateral;
pub mod binding;
mod callbacks;
pub mod camera;
pub mod combinators;
mod complex_arith;
pub mod complex_inputs;
pub(crate) mod complex_math;
mod consistent;
mod croptight;
pub mod custom;
mod elastic;
pub mod elementwise;
mod filters;
mod fold;
pub mod holography;
pub mod load;
pub mod math;
mod median;
pub mod noise;
pub mod nonoverlapping;
pub mod optics;
mod padding;
pub(crate) mod pixelwise;
mod poisson_counts;
mod pool_complex;
mod pooling;
mod power;
pub mod registry;
mod resize;
pub mod reuse;
pub mod scatterers;
pub mod scene;
pub mod sequences;
pub mod shape;
pub mod slicing;
mod spline;
pub mod statistics;
pub mod storage;
pub mod structural;
pub mod upscale;

/// What a feature computes. Implementations are stateless: sampled values arrive in `props`.
pub trait FeatureKind: Send + Sync {
    /// The DeepTrack class name, also the default `name` property.
    fn name(&self) -> &str;

    /// The function of a custom feature (its `get`), which kinds taking a function parameter
    /// ([`registry::ParamKind::Callback`]: `Blur`'s `filter_function`, `Pool`'s `pooling_function`)
    /// call with their own properties; `None` for every other kind.
    fn function(&self) -> Option<Arc<custom::GetFn>> {
        None
    }

    /// Sub-features (structural kinds only).
    fn children(&self) -> Vec<Feature> {
        Vec::new()
    }

    /// The same kind with its sub-features replaced by `children` (given in [`FeatureKind::children`]
    /// order; leaf kinds ignore them): how a pipeline is copied, so that a batch can resolve copies of
    /// it in parallel, each with its own caches.
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind>;

    /// Whether the kind takes an image standing for an object of the host's ([`Image::of_object`]),
    /// which it passes on without reading samples: `DummyFeature`, `Value` (which ignores its input),
    /// the kinds computed by the host's callbacks (a custom `get`, a merge). Structural kinds take
    /// them too (they hand their inputs to their children); any other kind given one fails with
    /// `TypeMismatch` naming itself, as DeepTrack2's numpy fails on the object.
    fn takes_objects(&self) -> bool {
        false
    }

    /// Structural kinds resolve sub-features inside [`FeatureKind::process_list`]; their output is
    /// reused when the children's results are unchanged.
    fn is_structural(&self) -> bool {
        false
    }

    /// Distributed kinds compute each input image on its own ([`FeatureKind::get`]) and, when storing
    /// properties, carry each input's dicts into its output.
    fn is_distributed(&self) -> bool {
        true
    }

    /// Whether the dicts of a feature given as one of the kind's parameters (resolved without input:
    /// DeepTrack2's feature-valued property, as in `X + Y`) join the dicts of its outputs, before
    /// its own, when it stores properties: DeepTrack2 2.0.1 computes with the feature's `Image`,
    /// whose dicts its numpy operations carry into the result. `Stack` appends the images
    /// themselves instead.
    fn joins_feature_values(&self) -> bool {
        true
    }

    /// Kinds that take inputs holding samples of a narrow type ([`Image::narrow_samples`]: `AsType`'s
    /// casts, the comparisons' bools) as they are: reshapes and permutations share them, `AsType`
    /// casts them. Every other kind's inputs are converted to float64 (once per samples, fallibly:
    /// `OutOfMemory`) before its computation, so it reads [`Image::data`] and [`Image::memory`] as
    /// float64 images.
    fn reads_narrow_samples(&self) -> bool {
        false
    }

    /// How the kind takes complex images ([`ComplexInputs`]): refused (the default: an error naming
    /// the kind), read by the kind itself, or computed part by part by the engine.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Refused
    }

    /// Kinds that read their inputs' property dicts (`SampleToMasks`: each scatterer's `position`).
    /// `a >> b` turns on [`crate::Feature::store_properties`] for `a` when `b` is such a kind, as
    /// DeepTrack2's scatterers carry their properties without being asked.
    fn reads_input_properties(&self) -> bool {
        false
    }

    /// Which images of a structural kind's output list get its computation's dict, given the
    /// number of images in its input list: those from the index returned on (the default 0: every
    /// image), or none (`None`). DeepTrack2 2.0.1's `TakeProperties` appends its arrays to the input
    /// list and only they carry its dict (`Some(inputs)`); its `SampleToMasks` returns the mask as
    /// one `Image` where `Feature.action` expects a list, so its dict goes to the mask's rows (new
    /// images, discarded) and never to the mask (`None`).
    fn own_dict_from(&self, _inputs: usize) -> Option<usize> {
        Some(0)
    }

    /// Kinds whose outputs are appended to their input list (DeepTrack's `MERGE_STRATEGY_APPEND`, used
    /// by the scatterers: `A >> B` gives both volumes). [`FeatureKind::process`] computes the new
    /// images from the properties alone: it receives no inputs (the input list is only carried along,
    /// shared, so that `particle ^ N` stays linear in N), and returns only the new images, which alone
    /// get this computation's dict. Appending kinds are not distributed.
    fn appends_to_inputs(&self) -> bool {
        false
    }

    /// The properties a computation of this kind in `scope` computes with, when they differ from its
    /// sampled properties `sample`; `None` (the default) when they are the sample. What a computation
    /// records is this, so that an image's dicts show the values that made it (a Mie scatterer in
    /// `ISCAT` records the optics' `illumination_angle`, which it uses, as DeepTrack2's microscope
    /// sets it on the scatterer).
    fn used_properties(&self, _sample: &PropertyDict, _scope: &Scope) -> Option<PropertyDict> {
        None
    }

    /// The rule of the default of parameter `key` when the kind computes it from itself (a spec's
    /// [`registry::ParamDefault::Sampled`] that depends on the sub-features, e.g. `OneOf`'s `key`
    /// drawn among its features); `None` keeps the spec's.
    fn default_rule(&self, _key: &str) -> Option<Rule> {
        None
    }

    /// Optics kinds (`Fluorescence`, `Brightfield`, …): the scope a `Microscope` resolves its sample
    /// in, inside the microscope's own scope `outer`, computed from the optics' sampled properties (an
    /// error names the property at fault): the sample's units (`optics::OpticsContext`, the pixel
    /// unit) with every dict recorded. `None` for every other kind, which a microscope treats as a
    /// plain feature applied to the sample.
    fn sample_scope(&self, _props: &PropertyDict, _outer: &Scope) -> Option<Result<Scope>> {
        None
    }

    /// DeepTrack2's `_process_properties`: the properties a leaf kind computes with and records in
    /// its outputs, from its sampled ones `props` in `scope` (a scatterer with `position_unit =
    /// "meter"` converts its position to pixels); `None` (the default) uses the sampled ones. The
    /// feature's own properties stay as sampled.
    fn process_properties(&self, _props: &PropertyDict, _scope: &Scope) -> Result<Option<PropertyDict>> {
        Ok(None)
    }

    /// Computes one output from one input (`None` when resolved without input). Returning `None`
    /// passes the input through.
    fn get(&self, _input: Option<&Image>, _props: &Arc<PropertyDict>, _rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        Ok(None)
    }

    /// Computes the outputs from the inputs. The default maps [`FeatureKind::get`] over the inputs,
    /// or calls it once with `None` when there are none.
    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        if inputs.is_empty() {
            return Ok(self.get(None, props, rs)?.into_iter().collect());
        }
        inputs.iter().map(|input| Ok(self.get(Some(input), props, rs)?.unwrap_or_else(|| input.clone()))).collect()
    }

    /// What a structural kind computes: its output list from its input list, which it passes on to
    /// its sub-features through [`Resolver::resolve`] (lists are shared, never copied). The default
    /// lays the inputs out in one slice and calls [`FeatureKind::process`].
    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let slice = flatten(inputs)?;
        Ok(ImageList::from(self.process(&slice, props, id, rs)?))
    }
}

/// A number for a message: whole numbers in full up to 10^16 (`2000000`), larger ones in exponent
/// form (`1e300`), others as Rust prints them (`2.5`, `NaN`, `inf`).
pub(crate) fn show(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e16 { format!("{x:e}") } else { format!("{x}") }
}

/// A new feature of a built-in kind, by DeepTrack class name or alias (`"DummyFeature"`, `"Value"`,
/// `"Add"`, …): `None` for an unknown name and for kinds that take features (see
/// [`registry::build`]).
pub fn builtin(kind: &str) -> Option<Feature> {
    registry::build(kind, Vec::new()).ok()
}

/// The DeepTrack class names (and aliases) of the built-in kinds, from the [`registry`].
pub fn builtin_names() -> Vec<&'static str> {
    registry::kinds().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).collect()
}
