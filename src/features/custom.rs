//! Custom features: a user function computes `get(image, properties)` (one image at a time), or, for
//! DeepTrack2's `Merge`, the output list from the whole input list.

use crate::features::ComplexInputs;
use std::sync::Arc;

use super::FeatureKind;
use crate::error::{Error, Result};
use crate::graph::{Feature, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// The function of a custom feature: receives the input image (`None` when resolved without input) and
/// the dict of sampled properties of this computation (`name`, `_ID` inside a repeat, and every other
/// property). Returning `Ok(None)` passes the input through unchanged.
pub type GetFn = dyn Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync;

/// What a custom feature's computation gives for one input image ([`Feature::custom_output`]).
#[derive(Debug)]
pub enum CustomOutput {
    /// A new image.
    Image(Image),
    /// The input image, passed through unchanged.
    Input,
    /// No image: the input is dropped from the output list (DeepTrack2's `get` returning `None`), so a
    /// feature resolved on one image gives no image, and one resolved on several gives the others'.
    NoImage,
    /// Several images in the input's place (DeepTrack2's `get` returning a list), in order, each
    /// carrying the input's dicts (after its own); empty: no image, as [`CustomOutput::NoImage`].
    /// The features that follow compute each of them on its own, as any list of images. Resolved
    /// without input, the images themselves; an appending feature appends them all.
    Images(Vec<Image>),
}

/// The function of a custom feature that may give no image ([`Feature::custom_output`]).
pub type CustomFn = dyn Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<CustomOutput> + Send + Sync;

#[derive(Clone)]
struct Custom {
    name: String,
    get: Arc<CustomFn>,
    /// DeepTrack2's `MERGE_STRATEGY_APPEND`: `get` runs once, without input, and its image is appended
    /// to the input list (rather than computed from each input image).
    append: bool,
}

impl Custom {
    fn call(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<CustomOutput> {
        let _user = rs.user_code();
        (self.get)(input, props)
    }
}

/// `output` as a [`GetFn`]'s result: no image, or several, is an error, since what calls a function
/// of an image (a kind's function parameter) needs one.
fn as_get_result(name: &str, output: CustomOutput) -> Result<Option<Image>> {
    match output {
        CustomOutput::Image(image) => Ok(Some(image)),
        CustomOutput::Input => Ok(None),
        CustomOutput::NoImage => Err(Error::invalid(format!(
            "the function '{name}' gave no image, where a function of an image must give one"
        ))),
        CustomOutput::Images(images) => Err(Error::invalid(format!(
            "the function '{name}' gave a list of {} images, where a function of an image must give one image",
            images.len()
        ))),
    }
}

impl FeatureKind for Custom {
    /// An object of the host's in place of an image: given to the host's callback.
    fn takes_objects(&self) -> bool {
        true
    }

    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn function(&self) -> Option<Arc<GetFn>> {
        // An appending feature computes without input: not a function of an image.
        if self.append {
            return None;
        }
        let (get, name) = (Arc::clone(&self.get), self.name.clone());
        Some(Arc::new(move |input: Option<&Image>, props: &Arc<PropertyDict>| as_get_result(&name, get(input, props)?)))
    }

    fn is_distributed(&self) -> bool {
        !self.append
    }

    fn appends_to_inputs(&self) -> bool {
        self.append
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        as_get_result(&self.name, self.call(input, props, rs)?)
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &crate::graph::ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        if inputs.is_empty() {
            return Ok(match self.call(None, props, rs)? {
                CustomOutput::Image(image) => vec![image],
                CustomOutput::Images(images) => images,
                CustomOutput::Input | CustomOutput::NoImage => Vec::new(),
            });
        }
        let mut out = Vec::with_capacity(inputs.len());
        // Whether the outputs no longer pair up one to one with the inputs.
        let mut reshaped = false;
        for input in inputs {
            match self.call(Some(input), props, rs)? {
                CustomOutput::Image(image) => out.push((image, input)),
                CustomOutput::Input => out.push((input.clone(), input)),
                CustomOutput::NoImage => reshaped = true,
                CustomOutput::Images(images) => {
                    reshaped = true;
                    out.try_reserve(images.len()).map_err(|_| {
                        Error::new(
                            crate::error::ErrorKind::OutOfMemory,
                            format!("cannot allocate a list of {} images", out.len() + images.len()),
                        )
                    })?;
                    out.extend(images.into_iter().map(|image| (image, input)));
                }
            }
        }
        if reshaped {
            // The resolver carries each input's dicts into its output only when the lists pair up
            // one to one; with images dropped or several in one's place, the pairs are known here.
            for (image, input) in &mut out {
                image.merge_properties_from(input)?;
            }
            rs.carried_input_dicts();
        }
        Ok(out.into_iter().map(|(image, _)| image).collect())
    }
}

/// A custom feature's [`GetFn`] as a [`CustomFn`] (`None`: the input passes through).
fn passing_through(
    get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
) -> Arc<CustomFn> {
    Arc::new(move |input: Option<&Image>, props: &Arc<PropertyDict>| {
        Ok(get(input, props)?.map_or(CustomOutput::Input, CustomOutput::Image))
    })
}

impl Feature {
    /// A custom feature named `name` (its `name` property) computing with `get`.
    pub fn custom(
        name: &str,
        get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
    ) -> Feature {
        Feature::custom_kind(name, passing_through(get), false)
    }

    /// A custom feature named `name` (its `name` property) whose `get` says what it gives for each input:
    /// a new image, the input, no image ([`CustomOutput`]; DeepTrack2's `get` returning `None`), or
    /// several images (DeepTrack2's `get` returning a list). Resolved without input, it gives the
    /// images `get(None, …)` makes, or none. Used as a function of an image (a kind's function
    /// parameter, e.g. `Blur`'s `filter_function`), no image or several is an error.
    pub fn custom_output(
        name: &str,
        get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<CustomOutput> + Send + Sync + 'static,
    ) -> Feature {
        Feature::custom_kind(name, Arc::new(get), false)
    }

    /// A custom feature named `name` whose image is appended to its input list (DeepTrack2's
    /// `MERGE_STRATEGY_APPEND`, as the scatterers): `get` runs once per computation, without input
    /// (`None`), and returns the new image (`Ok(None)`: nothing is appended).
    pub fn custom_appending(
        name: &str,
        get: impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<Option<Image>> + Send + Sync + 'static,
    ) -> Feature {
        Feature::custom_kind(name, passing_through(get), true)
    }

    /// A custom feature of `get` (appending its images to the input list with `append`; then only
    /// [`CustomOutput::Image`] and [`CustomOutput::Images`] append anything).
    pub(crate) fn custom_kind(name: &str, get: Arc<CustomFn>, append: bool) -> Feature {
        Feature::new(Box::new(Custom { name: name.to_owned(), get, append })).expect("a leaf feature nests one level")
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
    /// An object of the host's in place of an image: given to the host's callback.
    fn takes_objects(&self) -> bool {
        true
    }

    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn filled(v: f64) -> Image {
        Image::new(ArrayD::from_elem(IxDyn(&[1]), v))
    }

    fn firsts(images: &[Image]) -> Vec<f64> {
        images.iter().map(|i| i.data()[[0]]).collect()
    }

    #[test]
    fn an_appending_feature_appends_every_image_of_a_list() {
        let get: Arc<CustomFn> = Arc::new(|input, _| {
            assert!(input.is_none(), "an appending feature computes without input");
            Ok(CustomOutput::Images(vec![filled(7.0), filled(8.0)]))
        });
        let appending = Feature::custom_kind("Two", get, true);
        let first = Feature::custom("One", |_, _| Ok(Some(filled(1.0))));
        let out = Feature::chain(&first, &appending).unwrap().resolve(None).unwrap();
        assert_eq!(firsts(&out), [1.0, 7.0, 8.0]);
        // An empty list appends nothing.
        let none: Arc<CustomFn> = Arc::new(|_, _| Ok(CustomOutput::Images(Vec::new())));
        let out = Feature::chain(&first, &Feature::custom_kind("None", none, true)).unwrap().resolve(None).unwrap();
        assert_eq!(firsts(&out), [1.0]);
    }

    #[test]
    fn a_function_of_an_image_refuses_a_list() {
        let split = Feature::custom_output("Split", |img, _| {
            Ok(CustomOutput::Images(vec![img.unwrap().clone(), img.unwrap().clone()]))
        });
        let function = split.kind().function().expect("a custom feature is a function of an image");
        let props = Arc::new(PropertyDict::new());
        let e = function(Some(&filled(0.0)), &props).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the function 'Split' gave a list of 2 images, where a function of an image must give one image"
        );
    }

    #[test]
    fn a_list_image_reaching_a_kind_is_refused_naming_the_list() {
        // Only the C ABI expands a list image; here one is an image of the custom feature's.
        let raw = Feature::custom("Raw", |_, _| Ok(Some(Image::of_list(vec![filled(1.0), filled(2.0)]))));
        let add = crate::features::registry::build("Add", Vec::new()).unwrap();
        let e = Feature::chain(&raw, &add).unwrap().resolve(Some(&filled(0.0))).unwrap_err();
        assert!(e.to_string().contains("Add cannot compute with a list of 2 images in place of an image"), "{e}");
    }
}
