//! Custom features: a user function computes `get(image, properties)` (one image at a time), or, for
//! DeepTrack2's `Merge`, the output list from the whole input list.

use std::sync::Arc;

use super::FeatureKind;
use crate::error::Result;
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// The function of a custom feature: receives the input image (`None` when resolved without input) and
/// the dict of sampled properties of this computation (`name`, `_ID` inside a repeat, and every other
/// property). Returning `Ok(None)` passes the input through unchanged.
pub type GetFn = dyn Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync;

#[derive(Clone)]
struct Custom {
    name: String,
    get: Arc<GetFn>,
    /// DeepTrack2's `MERGE_STRATEGY_APPEND`: `get` runs once, without input, and its image is appended
    /// to the input list (rather than computed from each input image).
    append: bool,
}

impl FeatureKind for Custom {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn function(&self) -> Option<Arc<GetFn>> {
        // An appending feature computes without input: not a function of an image.
        (!self.append).then(|| self.get.clone())
    }

    fn is_distributed(&self) -> bool {
        !self.append
    }

    fn appends_to_inputs(&self) -> bool {
        self.append
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let _user = rs.user_code();
        (self.get)(input, props)
    }
}

impl Feature {
    /// A custom feature named `name` (its `name` property) computing with `get`.
    pub fn custom(
        name: &str,
        get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
    ) -> Feature {
        Feature::new(Box::new(Custom { name: name.to_owned(), get: Arc::new(get), append: false }))
            .expect("a leaf feature nests one level")
    }

    /// A custom feature named `name` whose image is appended to its input list (DeepTrack2's
    /// `MERGE_STRATEGY_APPEND`, as the scatterers): `get` runs once per computation, without input
    /// (`None`), and returns the new image (`Ok(None)`: nothing is appended).
    pub fn custom_appending(
        name: &str,
        get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
    ) -> Feature {
        Feature::new(Box::new(Custom { name: name.to_owned(), get: Arc::new(get), append: true }))
            .expect("a leaf feature nests one level")
    }
}

/// The function of a `Merge` feature: receives every input image at once (DeepTrack2's list of
/// images; empty when resolved without input) and this computation's sampled properties, and returns
/// the output images (one or several).
pub type MergeFn = dyn Fn(&[Image], &Arc<PropertyDict>) -> Result<Vec<Image>> + Send + Sync;

/// DeepTrack2's `Merge(function)`: a user function of the whole list of images.
#[derive(Clone)]
struct Merge {
    name: String,
    function: Arc<MergeFn>,
}

impl FeatureKind for Merge {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &crate::graph::ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let _user = rs.user_code();
        (self.function)(inputs, props)
    }
}

impl Feature {
    /// DeepTrack2's `Merge`: a feature named `name` (its `name` property) whose output is
    /// `function(images, properties)` of all its input images at once.
    pub fn merge(
        name: &str,
        function: impl Fn(&[Image], &Arc<PropertyDict>) -> Result<Vec<Image>> + Send + Sync + 'static,
    ) -> Feature {
        Feature::new(Box::new(Merge { name: name.to_owned(), function: Arc::new(function) }))
            .expect("a leaf feature nests one level")
    }
}
