//! Custom features: a user function computes `get(image, properties)`.

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
