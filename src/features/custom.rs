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
}

impl FeatureKind for Custom {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        &self.name
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
        Feature::new(Box::new(Custom { name: name.to_owned(), get: Arc::new(get) }))
            .expect("a leaf feature nests one level")
    }
}
