//! Features that combine other features or their outputs (DeepTrack2's `features` module):
//! `Combine` (every feature on the same input), `Stack` (`&`: the inputs followed by `value`),
//! `Probability` (a feature applied with a probability), `OneOf` (one feature of a collection,
//! chosen at random or by `key`), `OneOfDict` (the same, by the key of a dict) and `Arguments` (a
//! pass-through that holds pipeline-wide values).
//!
//! Unlike DeepTrack2 2.0.1, none of them forwards its own properties into its sub-features (2.0.1's
//! `Combine` and `Probability` rename them to their own `name`; docs/design.md §3).

use crate::features::ComplexInputs;
use std::sync::Arc;

use rand::Rng;

use super::FeatureKind;
use super::registry::{KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList};
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "Combine",
        aliases: &[],
        module: "features",
        base: "StructuralFeature",
        zero_d_array: false,
        bool_output: false,
        doc: "Resolves every feature of `features` on the same input: one image per feature, in order (a feature's \
              several images, as for a list of inputs, stacked along a new first axis).",
        params: &[ParamSpec::new(
            "features",
            ParamKind::Features,
            ParamDefault::Required,
            "the features resolved on the input",
        )],
        positional: &["features"],
        make: |features| Box::new(Combine { features }),
    },
    STACK,
    PROBABILITY,
    ONE_OF,
    ONE_OF_DICT,
    KindSpec {
        name: "Arguments",
        aliases: &[],
        module: "features",
        base: "",
        zero_d_array: true,
        bool_output: false,
        doc: "Passes its input through; its properties are values that other features link to.",
        params: &[],
        positional: &["_input"],
        make: |_| Box::new(Arguments),
    },
];

/// `Stack`, whose `value` its computation reads.
const STACK: KindSpec = KindSpec {
    name: "Stack",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`feature & value`: the input images followed by `value` (one image, or one per element of a list; a feature's images with their property lists).",
    params: &[ParamSpec {
        nullable: true,
        ..ParamSpec::new(
            "value",
            ParamKind::Arrays,
            ParamDefault::Required,
            "the images appended: numbers, an array, a list of them, or a feature's output (None: none)",
        )
    }],
    positional: &["value"],
    make: |_| Box::new(Stack),
};

/// `Probability`, whose `probability` and `random_number` its computation reads.
const PROBABILITY: KindSpec = KindSpec {
    name: "Probability",
    aliases: &[],
    module: "features",
    base: "StructuralFeature",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` on the input when `random_number < probability`, else passes the input through.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature applied"),
        ParamSpec::new(
            "probability",
            ParamKind::Number,
            ParamDefault::Required,
            "the probability of applying it (at most 0: never; 1 or more: always)",
        ),
        ParamSpec {
            min: 0.0,
            max: 1.0,
            max_open: true,
            ..ParamSpec::new(
                "random_number",
                ParamKind::Number,
                ParamDefault::Sampled(uniform_01),
                "a number from U[0, 1), drawn anew at every update",
            )
        },
    ],
    positional: &["feature", "probability"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(Probability { feature })
    },
};

/// `OneOf`, whose `key` its computation reads.
const ONE_OF: KindSpec = KindSpec {
    name: "OneOf",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves the feature of `collection` at index `key` on the input (by default one drawn at random at every update).",
    params: &[
        ParamSpec::new("collection", ParamKind::Features, ParamDefault::Required, "the features to choose from"),
        ParamSpec {
            nullable: true,
            ..ParamSpec::new(
                "key",
                ParamKind::Integer,
                ParamDefault::Sampled(no_rule),
                "the index of the feature resolved (negative from the end); by default drawn uniformly at every \
                 update, and recorded; None: drawn at every computation",
            )
        },
    ],
    positional: &["collection", "key"],
    make: |collection| Box::new(OneOf { collection }),
};

/// `OneOfDict`, whose `key` and `keys` its computation reads.
const ONE_OF_DICT: KindSpec = KindSpec {
    name: "OneOfDict",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves the feature of `collection` whose key (in `keys`) is `key` on the input (by default one drawn at random at every update).",
    params: &[
        ParamSpec::new(
            "collection",
            ParamKind::Features,
            ParamDefault::Required,
            "the features to choose from (a dict's values, in order)",
        ),
        ParamSpec {
            nullable: true,
            ..ParamSpec::new(
                "key",
                ParamKind::Any,
                ParamDefault::Sampled(no_rule),
                "the key of the feature resolved; by default drawn uniformly among `keys` at every update, and \
                 recorded; None: drawn at every computation",
            )
        },
        ParamSpec {
            check: Some(check_keys),
            ..ParamSpec::new(
                "keys",
                ParamKind::Any,
                ParamDefault::Sampled(no_rule),
                "the dict's keys, one per feature of `collection` in order, all different (strings, numbers, \
                 bools, None or lists of them; by default 0, 1, …)",
            )
        },
    ],
    positional: &["collection", "key"],
    make: |collection| Box::new(OneOfDict { collection }),
};

/// Checks `OneOfDict`'s `keys`: a list of distinct keys.
fn check_keys(value: &Value) -> Result<()> {
    let keys = value.as_list()?;
    for (i, a) in keys.iter().enumerate() {
        if let Some(j) = keys[..i].iter().position(|b| same_key(a, b)) {
            return Err(Error::invalid(format!("keys {j} and {i} are the same key ({a})")));
        }
    }
    Ok(())
}

/// Whether two keys are the same dict key, as Python compares them (`1 == 1.0 == True`).
fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x.as_str() == y.as_str(),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_key(p, q))
        }
        (Value::Array(x), Value::Array(y)) => x.shape() == y.shape() && x.iter().zip(y.iter()).all(|(p, q)| p == q),
        (Value::IntArray(x), Value::IntArray(y)) => x == y,
        (Value::Bool(_) | Value::Int(_) | Value::Float(_), Value::Bool(_) | Value::Int(_) | Value::Float(_)) => {
            let num = |v: &Value| match v {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Int(i) => *i as f64,
                Value::Float(x) => *x,
                _ => f64::NAN,
            };
            match (a, b) {
                (Value::Int(x), Value::Int(y)) => x == y,
                _ => num(a) == num(b),
            }
        }
        _ => false,
    }
}

/// The rule of `Probability`'s `random_number`: U[0, 1).
fn uniform_01() -> Rule {
    Rule::Uniform { low: 0.0, high: 1.0 }
}

/// A placeholder default that the kind replaces ([`FeatureKind::default_rule`]).
fn no_rule() -> Rule {
    Rule::Constant(Value::None)
}

/// The images of a `Stack`'s `value`: one per element of a list, else one (none for None).
fn value_images(value: &Value) -> Result<Vec<Image>> {
    let items: &[Value] = match value {
        Value::None => &[],
        Value::List(items) | Value::Tuple(items) => items,
        other => std::slice::from_ref(other),
    };
    let mut out = Vec::new();
    out.try_reserve_exact(items.len())
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", items.len())))?;
    for item in items {
        out.push(Image::of_value(item)?);
    }
    Ok(out)
}

/// `Combine(features)`: every feature resolved on the same input, one image for each (see
/// `group_image`).
struct Combine {
    features: Vec<Feature>,
}

impl FeatureKind for Combine {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, features: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Combine { features })
    }

    fn name(&self) -> &str {
        "Combine"
    }

    fn children(&self) -> Vec<Feature> {
        self.features.clone()
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
        _: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let mut out = Vec::new();
        out.try_reserve_exact(self.features.len()).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", self.features.len()))
        })?;
        for feature in &self.features {
            let images = rs.resolve(feature, inputs, id)?;
            out.push(match images.first() {
                Some(image) if images.len() == 1 => image.clone(),
                _ => group_image(&images)?,
            });
        }
        Ok(ImageList::from(out))
    }
}

/// The one image of `Combine` for a feature that gave `images`, not one image (a list input, or a
/// feature giving several): DeepTrack2 2.0.1's `Combine` gives that feature's list as one item,
/// which becomes `Image(list)`, the images stacked along a new first axis (an empty list: an empty
/// image of shape `(0,)`), without their dicts. They need one shape, and to be all complex or all real.
fn group_image(images: &ImageList) -> Result<Image> {
    let Some(first) = images.first() else {
        return Ok(Image::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[0]))));
    };
    let complex = first.is_complex();
    let what = "the images a feature of `features` gives for a list of inputs are stacked into one image \
                (DeepTrack2's Image of the list)";
    if images.iter().any(|img| img.is_complex() != complex) {
        return Err(
            Error::type_mismatch(format!("{what}, which needs all complex or all real images")).in_property("features")
        );
    }
    for image in images.iter() {
        image.float64_ready()?;
    }
    let all: Vec<Image> = images.iter().cloned().collect();
    let mut out = Image::new(super::statistics::stack(&all, what, "features")?);
    out.set_complex(complex)?;
    Ok(out)
}

/// `Stack(value)`: the inputs followed by the images of `value` (DeepTrack2's `[*inputs, *value]`).
#[derive(Clone)]
struct Stack;

impl FeatureKind for Stack {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Stack"
    }

    /// The value's images are appended with their dicts, not joined to the inputs'.
    fn joins_feature_values(&self) -> bool {
        false
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let p = Params::new(STACK.params, props);
        // A feature as `value`: its images as they are, with their property lists (DeepTrack2's
        // `Stack(value=feature)` appends the feature's Images, which keep their dicts).
        let extra = match rs.feature_value_images("value", id)? {
            Some(images) => {
                p.value("value")?;
                let n = images.len();
                images
                    .try_into_vec()
                    .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images")))?
            }
            None => p.parse("value", value_images)?,
        };
        let mut out = Vec::new();
        let n = inputs.len() + extra.len();
        out.try_reserve_exact(n)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images")))?;
        out.extend(inputs.iter().cloned());
        out.extend(extra);
        Ok(out)
    }
}

/// `Probability(feature, probability)`: `feature` on the input when `random_number < probability`.
struct Probability {
    feature: Feature,
}

impl FeatureKind for Probability {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [feature] = <[Feature; 1]>::try_from(children).expect("a probability has one child");
        Box::new(Probability { feature })
    }

    fn name(&self) -> &str {
        "Probability"
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
        let p = Params::new(PROBABILITY.params, props);
        if p.f64("random_number")? < p.f64("probability")? {
            rs.resolve(&self.feature, inputs, id)
        } else {
            Ok(inputs.clone())
        }
    }
}

/// `OneOf(collection, key)`: the feature at index `key` resolved on the input.
struct OneOf {
    collection: Vec<Feature>,
}

impl FeatureKind for OneOf {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, collection: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(OneOf { collection })
    }

    fn name(&self) -> &str {
        "OneOf"
    }

    fn children(&self) -> Vec<Feature> {
        self.collection.clone()
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn default_rule(&self, key: &str) -> Option<Rule> {
        // An index drawn from the collection, a sample like any other: kept until the next update,
        // reproducible under a seed, and recorded in the feature's dict.
        let n = i64::try_from(self.collection.len()).ok()?;
        (key == "key" && n > 0).then(|| Rule::RandInt { low: 0, high: n })
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        // At least one (counted by the registry).
        let n = self.collection.len();
        let p = Params::new(ONE_OF.params, props);
        let key = match p.optional("key")? {
            Some(v) => {
                let k = v.to_number().map_err(|e| e.in_property("key"))?;
                // Python's indexing: -n ..= n - 1.
                if k >= n as f64 {
                    // An index out of the collection (Python's IndexError).
                    return Err(Error::new(
                        ErrorKind::OutOfRange,
                        format!(
                            "{} exceeds the maximum of {} (the collection has {n} features)",
                            super::show(k),
                            n - 1
                        ),
                    )
                    .in_property("key"));
                }
                if k < -(n as f64) {
                    return Err(Error::new(
                        ErrorKind::OutOfRange,
                        format!("{} is below the minimum of -{n} (the collection has {n} features)", super::show(k)),
                    )
                    .in_property("key"));
                }
                if k < 0.0 { n - (-k) as usize } else { k as usize }
            }
            // Explicitly None: drawn at every computation, as DeepTrack2 does.
            None => rs.rng().random_range(0..n),
        };
        rs.resolve(&self.collection[key], inputs, id)
    }
}

/// `OneOfDict(collection, key)`: the feature whose key is `key` resolved on the input. The dict's
/// keys are the `keys` property (one per feature, in order), so that any caller can name them.
struct OneOfDict {
    collection: Vec<Feature>,
}

impl OneOfDict {
    /// The index of `key` among `keys`; a key that is not there is a `NotFound` error naming it.
    fn index(keys: &[Value], key: &Value) -> Result<usize> {
        keys.iter().position(|k| same_key(k, key)).ok_or_else(|| {
            let known: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            Error::not_found(format!("{key} is not a key of the collection (its keys: {})", known.join(", ")))
                .in_property("key")
        })
    }

    /// The keys: `keys`, whose length must be the collection's.
    fn keys<'a>(&self, p: &Params<'a>) -> Result<&'a [Value]> {
        let keys = p.value("keys")?.as_list().map_err(|e| e.in_property("keys"))?;
        if keys.len() != self.collection.len() {
            return Err(Error::invalid(format!(
                "{} keys for a collection of {} features",
                keys.len(),
                self.collection.len()
            ))
            .in_property("keys"));
        }
        Ok(keys)
    }
}

impl FeatureKind for OneOfDict {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, collection: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(OneOfDict { collection })
    }

    fn name(&self) -> &str {
        "OneOfDict"
    }

    fn children(&self) -> Vec<Feature> {
        self.collection.clone()
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn default_rule(&self, key: &str) -> Option<Rule> {
        let n = i64::try_from(self.collection.len()).ok()?;
        match key {
            // The positions, until the caller names the keys.
            "keys" => Some(Rule::Constant(Value::List((0..n).map(Value::Int).collect()))),
            // One of the keys, drawn uniformly: a sample like any other (kept until the next update,
            // reproducible under a seed, recorded), as DeepTrack2's `np.random.choice(list(keys))`.
            "key" => Some(Rule::callback(|ctx| {
                let keys = ctx.get("keys")?.as_list().map_err(|e| e.in_property("keys"))?.to_vec();
                if keys.is_empty() {
                    return Err(Error::invalid("the collection has no keys").in_property("keys"));
                }
                let i = ctx.rng().random_range(0..keys.len());
                Ok(keys[i].clone())
            })),
            _ => None,
        }
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let p = Params::new(ONE_OF_DICT.params, props);
        let keys = self.keys(&p)?;
        let index = match p.optional("key")? {
            Some(key) => Self::index(keys, key)?,
            // Explicitly None: drawn at every computation, as DeepTrack2 does.
            None => rs.rng().random_range(0..self.collection.len()),
        };
        rs.resolve(&self.collection[index], inputs, id)
    }
}

/// `Arguments(**properties)`: passes its input through; other features link to its properties.
#[derive(Clone)]
struct Arguments;

impl FeatureKind for Arguments {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Arguments"
    }
}
