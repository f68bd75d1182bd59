//! Resolving: a pipeline's public `resolve` entry points and the `Resolver`, one evaluation of a
//! pipeline (its generator, the sampling stack, the scope and bindings), which computes each feature
//! or finds its cached result.

use std::borrow::Cow;
use std::sync::Arc;

use rand::RngCore;
use smallvec::SmallVec;

use super::cache::{Basis, Cached, computation_dict, finish_with, keep_input, strip, strip_all, tag_all};
use super::nesting::{MAX_NESTING, UserCode, starting_depth};
use super::{Feature, ReplicaId, Scope, ScopeValue, busy};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, ImageList, flatten, same_list};
use crate::properties::{PixelUnit, PropertyDict};
use crate::rng::Generator;
use crate::value::Value;

impl Feature {
    /// Resolves the pipeline on `input` (or, when `None`, on the input stored by the last resolve since
    /// the last update, or on nothing). Returns the output images (usually one).
    pub fn resolve(&self, input: Option<&Image>) -> Result<Vec<Image>> {
        self.resolve_inputs(input.map(|img| ImageList::one(img.clone())))
    }

    /// Resolves the pipeline on a list of input images, as DeepTrack2 resolves a list: distributed
    /// features compute each image on its own, others (`Sum(distributed=False)`) the list at once.
    /// An empty list is no input (as `None` in [`Feature::resolve`]).
    pub fn resolve_list(&self, inputs: &[Image]) -> Result<Vec<Image>> {
        if inputs.is_empty() {
            return self.resolve(None);
        }
        let mut list = ImageList::new();
        for img in inputs {
            list.push(img.clone());
        }
        self.resolve_inputs(Some(list))
    }

    /// [`Feature::resolve`] of `inputs`, or of the stored input when `None`.
    fn resolve_inputs(&self, input: Option<ImageList>) -> Result<Vec<Image>> {
        self.check_depth()?;
        let start = starting_depth(self)?;
        // The generator is held until this returns (also on error or panic).
        let mut hold = self.0.rng.take(self.generation()).ok_or_else(|| busy(&self.label()))?;
        // A given input is kept by the root's resolve (see `resolve_inner`); without one, the kept
        // input is resolved again.
        let stored = match input {
            Some(_) => None,
            None => self.current().stored_input.clone(),
        };
        let mut rs = Resolver::new(hold.rng());
        rs.depth = start;
        let inputs = match input {
            Some(list) => list,
            None => stored.unwrap_or_else(ImageList::new),
        };
        let images = rs.resolve(self, &inputs, &[])?;
        let n = images.len();
        images.try_into_vec().map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images"))
                .in_feature(&self.label())
        })
    }

    /// Resolves and returns the single output image, `None` when the pipeline produced none, or an
    /// error when it produced several.
    pub fn resolve_one(&self, input: Option<&Image>) -> Result<Option<Image>> {
        self.single(self.resolve(input)?)
    }

    /// The single image of `out`, what this pipeline produced: `None` when it produced none, an error
    /// when it produced several.
    pub(crate) fn single(&self, mut out: Vec<Image>) -> Result<Option<Image>> {
        match out.len() {
            0 => Ok(None),
            1 => Ok(out.pop()),
            n => Err(Error::invalid(format!("the pipeline produced {n} images where one was expected"))
                .in_feature(&self.label())),
        }
    }
}

/// One evaluation of a pipeline: its generator and the sampling stack. Structural kinds call
/// [`Resolver::resolve`] on their sub-features.
pub struct Resolver<'r> {
    pub(super) rng: &'r mut Generator,
    /// The (feature, replicate index) pairs being sampled, outermost first.
    pub(super) sampling: SmallVec<[(u64, SmallVec<[usize; 4]>); 8]>,
    pub(super) depth: usize,
    /// What enclosing structural kinds set for the features they resolve (see [`Resolver::with_scope`]).
    pub(super) scope: Scope,
    /// Property values bound by enclosing `Bind`-like features, innermost last.
    pub(super) overrides: Vec<Arc<PropertyDict>>,
    /// How many feature-valued properties are being computed (see [`Resolver::resolve`]).
    pub(super) feature_values: usize,
    /// Hook (sequences): the step of the enclosing `Sequence` being resolved, with the earlier
    /// steps' samples (src/graph/sequence.rs); `None` outside sequences.
    pub(super) sequence: Option<super::SequenceScope>,
    /// Whether the leaf computation running records its dict (see [`Resolver::records`]).
    pub(super) recording: bool,
    /// The dict the leaf computation running asked to record in place of its properties (see
    /// [`Resolver::record_instead`]).
    pub(super) amended: Option<PropertyDict>,
    /// The feature whose kind is computing and the replicate index it computes at (see
    /// [`Resolver::feature_value_images`]).
    pub(super) computing: Option<(Feature, SmallVec<[usize; 4]>)>,
    /// The feature computing whose kind does not take objects of the host's in place of images
    /// ([`FeatureKind::takes_objects`](crate::features::FeatureKind::takes_objects)): the images its
    /// children and feature values give it are checked for them.
    pub(super) refusing_objects: Option<Feature>,
    /// Whether the leaf computation running carried its inputs' dicts into its outputs itself (see
    /// [`Resolver::carried_input_dicts`]).
    pub(super) carried: bool,
}

impl<'r> Resolver<'r> {
    pub(crate) fn new(rng: &'r mut Generator) -> Self {
        Resolver {
            rng,
            sampling: SmallVec::new(),
            depth: 0,
            scope: Scope::EMPTY,
            overrides: Vec::new(),
            feature_values: 0,
            sequence: None,
            recording: false,
            amended: None,
            computing: None,
            refusing_objects: None,
            carried: false,
        }
    }

    /// For a kind computing: the images that its property `key` was taken from when that property is
    /// a feature's output (a [`Rule::FeatureOutput`](crate::Rule) not overridden by an enclosing
    /// binding), with their property lists, as the value was computed at replicate index `id` (the
    /// same result: a cache lookup); `None` for any other property. `Stack` appends them as they are,
    /// as DeepTrack2's images keep their dicts.
    pub fn feature_value_images(&mut self, key: &str, id: &ReplicaId) -> Result<Option<ImageList>> {
        self.source_images(key, None, id)
    }

    /// [`Resolver::feature_value_images`] of item `index` of property `key` when its rule is a list
    /// rule ([`Rule::Items`](crate::Rule)) whose item is a feature's output, at the replicate index the
    /// kind computes at: `Slice` reads a boolean image there as a mask (its value is numbers).
    pub fn feature_value_item_images(&mut self, key: &str, index: usize) -> Result<Option<ImageList>> {
        let Some((_, id)) = &self.computing else { return Ok(None) };
        let id = id.clone();
        self.source_images(key, Some(index), &id)
    }

    /// [`Resolver::feature_value_images`] of property `key` at the replicate index the kind computes
    /// at (`None` outside a kind's computation): `Slice` tells an index feature that gave no image
    /// from an index of `None` (a new axis).
    pub fn computed_feature_value_images(&mut self, key: &str) -> Result<Option<ImageList>> {
        let Some((_, id)) = &self.computing else { return Ok(None) };
        let id = id.clone();
        self.source_images(key, None, &id)
    }

    /// The output of the feature that property `key` (its item `index`) takes its value from.
    fn source_images(&mut self, key: &str, index: Option<usize>, id: &ReplicaId) -> Result<Option<ImageList>> {
        use crate::properties::Rule;
        let Some((feature, _)) = &self.computing else { return Ok(None) };
        if self.bound(key).is_some() {
            return Ok(None);
        }
        let defs = feature.defs();
        let rule = defs.iter().find(|(k, _)| k.as_str() == key).map(|(_, rule)| rule);
        let rule = match (rule, index) {
            (Some(Rule::Items { items, .. }), Some(i)) => items.get(i),
            (rule, None) => rule,
            _ => None,
        };
        let Some(Rule::FeatureOutput(source)) = rule else { return Ok(None) };
        let source = source.clone();
        self.feature_values += 1;
        let images = self.resolve(&source, &ImageList::new(), id);
        self.feature_values -= 1;
        images.map(Some)
    }

    /// `out`, the images a built-in kind computed, with the dicts of the images of the features given
    /// as its parameters merged into each (after the dicts it has, deduplicated by identity), in
    /// the order of the properties: DeepTrack2 2.0.1 computes with the feature's `Image`, whose
    /// dicts its numpy operations carry into the result (`Add(value=Value(2))`: the `Value`'s dict,
    /// then the `Add`'s). A property that is not a parameter of the kind (metadata) and a binding's
    /// value do not join; nor do the kinds that append the images ([`FeatureKind::joins_feature_values`]).
    /// The images are the cached results the values were taken from.
    fn join_feature_values(&mut self, feature: &Feature, mut out: Vec<Image>, id: &ReplicaId) -> Result<Vec<Image>> {
        use crate::properties::Rule;
        let Some(spec) = feature.spec() else { return Ok(out) };
        if feature.0.links.load(std::sync::atomic::Ordering::Relaxed) == 0 || !feature.kind().joins_feature_values() {
            return Ok(out);
        }
        let defs = feature.defs();
        for (key, rule) in defs.iter() {
            let Rule::FeatureOutput(source) = rule else { continue };
            if spec.param(key.as_str()).is_none() || self.bound(key.as_str()).is_some() {
                continue;
            }
            self.feature_values += 1;
            let images = self.resolve(source, &ImageList::new(), id);
            self.feature_values -= 1;
            for image in images?.iter() {
                for o in &mut out {
                    o.merge_properties_from(image)?;
                }
            }
        }
        Ok(out)
    }

    /// Whether the leaf computation running (a [`crate::features::FeatureKind::process`]) records a
    /// dict in its outputs: what it computes only for its dict is needed then alone.
    pub fn records(&self) -> bool {
        self.recording
    }

    /// Records `dict` in the outputs of the leaf computation running in place of the properties it
    /// computed with (when it records one: [`Resolver::records`]): DeepTrack2's optics record values
    /// their microscope sets on them while imaging (the volume's `limits`, the `fields`).
    pub fn record_instead(&mut self, dict: PropertyDict) {
        self.amended = Some(dict);
    }

    /// Tells the resolver that the leaf computation running merged each input's dicts into the
    /// outputs made from it (a custom feature giving no image, or several, for an input): it then
    /// does not pair inputs and outputs by position, even when their numbers agree.
    pub(crate) fn carried_input_dicts(&mut self) {
        self.carried = true;
    }

    /// Runs `f` with the values of `bound` (keys other than `name`) overriding the same-named
    /// properties of every feature sampled inside (DeepTrack2's `Bind`: `feature.resolve(x,
    /// **bound)`); inner bindings win over outer ones. A feature with an overridden property, or with
    /// links to other features (which may be bound), draws a new sample (with the bound values, and
    /// its other rules drawn again) at every computation inside, which is never kept: its samples
    /// outside are unaffected.
    pub fn with_overrides<T>(&mut self, bound: Arc<PropertyDict>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.overrides.push(bound);
        let result = f(self);
        self.overrides.pop();
        result
    }

    /// The value bound to property `key` by the innermost enclosing binding, if any.
    pub(super) fn bound(&self, key: &str) -> Option<&Value> {
        if key == "name" {
            return None;
        }
        self.overrides.iter().rev().find_map(|d| d.get(key))
    }

    /// The scope the feature being computed is resolved in: what the structural kinds enclosing it
    /// set (see [`Scope`]).
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The value of type `T` that an enclosing structural kind set, if any (a microscope's context,
    /// for the features of its sample).
    pub fn scoped<T: ScopeValue>(&self) -> Option<&T> {
        self.scope.get()
    }

    /// Runs `f` with `scope` as the scope (restoring the previous one afterwards, also on error): how a
    /// structural kind sets values for the features it resolves inside `f` (usually
    /// `rs.scope().with(value)`: the enclosing values stay visible). Results computed inside are reused
    /// only in an equal scope; with [`Scope::records`], every feature computed inside records its
    /// property dict in its outputs.
    pub fn with_scope<T>(&mut self, scope: Scope, f: impl FnOnce(&mut Self) -> T) -> T {
        let previous = std::mem::replace(&mut self.scope, scope);
        let result = f(self);
        self.scope = previous;
        result
    }

    /// The pixel unit that [`Rule::Pixels`] converts with in this scope.
    pub(super) fn pixel_unit(&self) -> f64 {
        self.scope.get::<PixelUnit>().map_or(PixelUnit::DEFAULT.0, |p| p.0)
    }

    /// The properties of `feature` sampled at replicate index `id` (the cached sample when still
    /// valid, the one its next resolve at `id` uses).
    pub fn properties(&mut self, feature: &Feature, id: &ReplicaId) -> Result<Arc<PropertyDict>> {
        feature.sample(id, self).map(|(_, dict)| dict)
    }

    /// Marks the calling thread as running user code for this resolve (a callback, a custom
    /// feature's `get`) until the result drops: resolves it starts count on from this one's depth.
    pub(crate) fn user_code(&self) -> UserCode {
        UserCode::enter(self.depth)
    }

    pub(super) fn enter(&mut self, feature: &Feature) -> Result<()> {
        // A backstop: every run first checks the true depth (`check_depth`), so this only catches a
        // graph that a callback makes deeper while it runs, a path through a loop that the check
        // does not follow, or resolves nested in others' callbacks (they start at the depth of the
        // resolve that called them).
        if self.depth >= 2 * MAX_NESTING + 2 {
            return Err(Error::invalid(format!(
                "the pipeline nests features (or links properties) more than {MAX_NESTING} levels deep, \
                 counting the resolves it is nested in through callbacks"
            ))
            .in_feature(&feature.label()));
        }
        self.depth += 1;
        Ok(())
    }

    /// The evaluation's generator (for kinds that draw noise).
    pub fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rng
    }

    /// Resolves `feature` on `inputs` at replicate index `id`, using and filling its caches. The result
    /// shares what it has in common with `inputs` (an appending feature's output is its inputs plus
    /// the new images).
    ///
    /// Inside a feature-valued property (`A - A * 2`: the value of `Subtract` is the feature `A * 2`,
    /// resolved without input), a feature given no input at top level computes on the input it kept
    /// from its last computation, as DeepTrack2's features do: `A` there is the `A` of the pipeline.
    pub fn resolve(&mut self, feature: &Feature, inputs: &ImageList, id: &ReplicaId) -> Result<ImageList> {
        self.enter(feature)?;
        let kept;
        let inputs = if self.feature_values > 0 && inputs.is_empty() && id.is_empty() {
            kept = feature.current().stored_input.clone();
            kept.as_ref().unwrap_or(inputs)
        } else {
            inputs
        };
        let result = self.resolve_inner(feature, inputs, id);
        self.depth -= 1;
        let result = result?;
        if let Some(parent) = &self.refusing_objects {
            // A child's or a feature value's images reach a kind that computes with their samples.
            if let Some(e) = objects_refused(parent.kind().name(), result.iter()) {
                return Err(e.in_feature(&parent.label()));
            }
        }
        Ok(result)
    }

    fn resolve_inner(&mut self, feature: &Feature, inputs: &ImageList, id: &ReplicaId) -> Result<ImageList> {
        // In a recording scope every computation records its dict (a microscope reads its sample's).
        let store = feature.stores_properties() || self.scope.records();
        // Two functions, so that the frame of each level of a deep pipeline holds one kind's locals.
        if feature.kind().is_structural() {
            self.resolve_structural(feature, inputs, id, store)
        } else {
            self.resolve_leaf(feature, inputs, id, store)
        }
    }

    /// [`Resolver::resolve`] of a structural feature: its output is reused when its children's
    /// results are unchanged.
    #[inline(never)]
    fn resolve_structural(
        &mut self,
        feature: &Feature,
        inputs: &ImageList,
        id: &ReplicaId,
        store: bool,
    ) -> Result<ImageList> {
        let kind = feature.kind();
        let scope = self.scope.clone();
        let in_feature = |e: Error| e.in_feature(&feature.label());
        let (_, sample, arguments) = feature.sample_then(id, self, |st, _| {
            keep_input(st, inputs, id);
            st.arguments.clone()
        })?;
        // The images that get this computation's dict (all but what the kind says otherwise).
        let own = kind.own_dict_from(inputs.len());
        // Bound arguments are sampled before the children compute, so that they read the same values.
        let bound = match arguments {
            Some(arguments) if store && own.is_some() => Some(self.arguments_dict(&arguments, id).map_err(in_feature)?),
            _ => None,
        };
        if !kind.takes_objects() {
            if let Some(e) = objects_refused(kind.name(), inputs.iter()) {
                return Err(in_feature(e));
            }
        }
        // The kind may ask to record another dict (`record_instead`); nested computations keep their own.
        let outer = (std::mem::replace(&mut self.recording, store), self.amended.take());
        let refusing = std::mem::replace(&mut self.refusing_objects, (!kind.takes_objects()).then(|| feature.clone()));
        let inner = kind.process_list(inputs, &sample, id, self);
        self.refusing_objects = refusing;
        let amended = std::mem::replace(&mut self.amended, outer.1);
        self.recording = outer.0;
        let inner = inner.map_err(in_feature)?;
        if let Some(c) = feature.current().outputs.get(id) {
            if c.scope == scope
                && Arc::ptr_eq(&c.sample, &sample)
                && matches!(&c.basis, Basis::Inner(list) if same_list(list, &inner))
            {
                return Ok(c.output.clone());
            }
        }
        let output = match (amended, own) {
            (_, None) if store => Ok(inner.clone()),
            (Some(instead), Some(from)) if store => tag_all(&inner, bound, computation_dict(&instead, id), from),
            (_, Some(from)) if store => tag_all(&inner, bound, computation_dict(&sample, id), from),
            _ => strip_all(&inner),
        };
        let output = output.map_err(in_feature)?;
        let cached = Cached { scope, basis: Basis::Inner(inner), sample, output: output.clone() };
        // The entry it replaces holds images and dicts only: dropped in place (see `Feature::current`).
        feature.current().outputs.set(id, cached).map_err(in_feature)?;
        Ok(output)
    }

    /// [`Resolver::resolve`] of a feature that computes its output itself.
    #[inline(never)]
    fn resolve_leaf(
        &mut self,
        feature: &Feature,
        inputs: &ImageList,
        id: &ReplicaId,
        store: bool,
    ) -> Result<ImageList> {
        let kind = feature.kind();
        let scope = self.scope.clone();
        let in_feature = |e: Error| e.in_feature(&feature.label());
        let (_, sample, (kept, hit, arguments)) = feature.sample_then(id, self, |st, sample| {
            let kept = keep_input(st, inputs, id);
            let hit = st.outputs.get(id).filter(|c| {
                let same_inputs = match (&c.basis, kept) {
                    (Basis::Kept(version), Some(now)) => *version == now,
                    (Basis::Given(list), None) => same_list(list, inputs),
                    _ => false,
                };
                // A result computed in a wider scope is reused, as DeepTrack2 keys its cache by `_ID`
                // only: `scatterer()` after `optics(scatterer)` gives the volume the optics imaged.
                same_inputs && (c.scope == scope || scope.within(&c.scope)) && Arc::ptr_eq(&c.sample, sample)
            });
            let hit = hit.map(|c| c.output.clone());
            let arguments = if hit.is_none() { st.arguments.clone() } else { None };
            (kept, hit, arguments)
        })?;
        if let Some(output) = hit {
            return Ok(output);
        }
        // Bound arguments are sampled before the kind computes, so that its links read the same values.
        let bound = match arguments {
            Some(arguments) if store => Some(self.arguments_dict(&arguments, id).map_err(in_feature)?),
            _ => None,
        };
        // The properties it computes with (a kind may process its sample: DeepTrack2's
        // `_process_properties`).
        let processed = kind.process_properties(&sample, &scope).map_err(in_feature)?.map(Arc::new);
        let basis = processed.as_ref().unwrap_or(&sample);
        // A computation that records nothing at top level computes from the sample itself.
        let recorded = (store || !id.is_empty()).then(|| {
            let used = kind.used_properties(basis, &scope);
            computation_dict(used.as_ref().unwrap_or(basis), id)
        });
        let dict = recorded.as_ref().unwrap_or(basis);
        // An appending kind computes its new images from its properties alone: its inputs are only
        // carried along, never laid out in one slice (which would cost their number every time).
        let appends = kind.appends_to_inputs();
        let flat = if appends { Ok(Cow::Borrowed(&[][..])) } else { flatten(inputs) };
        let flat = flat.map_err(in_feature)?;
        if !kind.reads_narrow_samples() {
            // Narrow samples (`AsType`'s, the comparisons') are read as float64: converted here,
            // once and fallibly, so that the kind's infallible readers never allocate.
            for image in flat.iter() {
                image.float64_ready().map_err(in_feature)?;
            }
        }
        if !kind.takes_objects() {
            if let Some(e) = objects_refused(kind.name(), flat.iter()) {
                return Err(in_feature(e));
            }
        }
        // A complex input reaches only the kinds that know complex samples (see `complex_inputs`).
        // The kind may ask to record another dict (`record_instead`); nested computations keep their own.
        let outer = (std::mem::replace(&mut self.recording, store), self.amended.take());
        let computing = self.computing.replace((feature.clone(), SmallVec::from_slice(id)));
        let refusing = std::mem::replace(&mut self.refusing_objects, (!kind.takes_objects()).then(|| feature.clone()));
        let carried = std::mem::replace(&mut self.carried, false);
        let out = crate::features::complex_inputs::process(kind, &flat, dict, id, self);
        let carried = std::mem::replace(&mut self.carried, carried);
        self.refusing_objects = refusing;
        self.computing = computing;
        let amended = std::mem::replace(&mut self.amended, outer.1);
        self.recording = outer.0;
        let out = out.map_err(in_feature)?;
        let recorded = match amended {
            Some(instead) if store => Some(Arc::new(instead)),
            _ => recorded,
        };
        let out = match recorded {
            Some(dict) if store => {
                let out = self.join_feature_values(feature, out, id).map_err(in_feature)?;
                finish_with(out, &flat, kind.is_distributed() && !carried, bound, dict).map_err(in_feature)?
            }
            _ => strip(out),
        };
        let output = if appends {
            let mut all = inputs.clone();
            all.append_vec(out);
            all
        } else {
            ImageList::from(out)
        };
        let cached = Cached {
            scope,
            basis: match kept {
                Some(version) => Basis::Kept(version),
                None => Basis::Given(inputs.clone()),
            },
            sample,
            output: output.clone(),
        };
        // The entry it replaces holds images and dicts only: dropped in place (see `Feature::current`).
        feature.current().outputs.set(id, cached).map_err(in_feature)?;
        Ok(output)
    }
}

/// The error of kind `kind`, which computes with samples, when one of `images` stands for an object of
/// the host's ([`Image::of_object`]) or for a list of images ([`Image::of_list`]); None when none does.
fn objects_refused<'i>(kind: &str, mut images: impl Iterator<Item = &'i Image>) -> Option<Error> {
    let image = images.find(|i| i.object().is_some())?;
    if let Some(items) = image.list_items() {
        return Some(Error::type_mismatch(format!(
            "{kind} cannot compute with a list of {} images in place of an image: such a list \
             (deeptrack_image_new_list) gives its images only as a custom feature's output or as a resolve's input",
            items.len()
        )));
    }
    Some(Error::type_mismatch(format!(
        "{kind} cannot compute with an object of the host's in place of an image (a custom feature's get returned \
         one that is no array); only custom features, DummyFeature, Value, Stack and the features that pass \
         images on (Chain, Repeat, Bind, Probability, OneOf, Store, ...) take one"
    )))
}
