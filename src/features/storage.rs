//! Features that keep or read back what a pipeline computed (DeepTrack2's `features` module): `Store`
//! (its feature's output kept by key, across updates) and `TakeProperties` (the sampled values of
//! named properties, as images).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList};
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};
use crate::value::Value;
use crate::value::same_value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[STORE, TAKE_PROPERTIES];

/// `Store`, whose `key` and `replace` its computation reads.
const STORE: KindSpec = KindSpec {
    name: "Store",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` on the input and keeps its output under `key`: later resolves with the same key (and \
          `_ID`) return it, across updates, unless `replace`.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature whose output is kept"),
        ParamSpec::new("key", ParamKind::Any, ParamDefault::Required, "the key the output is kept under"),
        ParamSpec::new(
            "replace",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(false)),
            "whether to compute the output again and keep it in place of the kept one",
        ),
    ],
    positional: &["feature", "key", "replace"],
    make: |features| Box::new(Store { feature: one(features), kept: Arc::new(Lock::new(Kept(Vec::new()))) }),
};

/// `TakeProperties`, whose `names` its computation reads.
const TAKE_PROPERTIES: KindSpec = KindSpec {
    name: "TakeProperties",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` (without input) and appends to the input, per name of `names`, an image of the values \
          sampled for it by the features of `feature` that have every one of `names`.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the pipeline whose properties are read"),
        ParamSpec {
            check: Some(check_names),
            ..ParamSpec::new(
                "names",
                ParamKind::Any,
                ParamDefault::Value(Const::IntTuple(&[])),
                "the property names (a string or a list of strings)",
            )
        },
    ],
    positional: &["feature", "names"],
    make: |features| Box::new(TakeProperties { feature: one(features) }),
};

fn one(features: Vec<Feature>) -> Feature {
    let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
    feature
}

/// The outputs a `Store` keeps: (key, replicate index, output), in the order they were first kept.
struct Kept(Vec<(Value, Vec<usize>, ImageList)>);

impl Recover for Kept {
    fn recover(&mut self) {
        // A thread gone with a fork was changing the list: start a new one.
        overwrite(&mut self.0, Vec::new());
    }
}

/// `Store(feature, key, replace)`: `feature`'s output kept by `(key, _ID)`.
///
/// DeepTrack2 2.0.1 resolves `feature` without its input and keys by `key` alone (2.0.2 fixed both);
/// here the input is passed and the key includes the replicate index, as 2.0.2 does (README,
/// "Differences"). A copy of the pipeline (each worker's of a batch) starts with nothing kept.
struct Store {
    feature: Feature,
    kept: Arc<Lock<Kept>>,
}

impl Store {
    fn find(&self, key: &Value, id: &ReplicaId) -> Option<ImageList> {
        let kept = self.kept.lock();
        kept.0.iter().find(|(k, i, _)| i.as_slice() == id && same_value(k, key)).map(|(_, _, out)| out.clone())
    }
}

impl FeatureKind for Store {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Store { feature: one(children), kept: Arc::new(Lock::new(Kept(Vec::new()))) })
    }

    fn name(&self) -> &str {
        "Store"
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
        let p = Params::new(STORE.params, props);
        let key = p.value("key")?;
        if !p.bool("replace")? {
            if let Some(out) = self.find(key, id) {
                return Ok(out);
            }
        }
        // No lock is held while the feature resolves (it may run user code).
        let out = rs.resolve(&self.feature, inputs, id)?;
        let mut kept = self.kept.lock();
        match kept.0.iter_mut().find(|(k, i, _)| i.as_slice() == id && same_value(k, key)) {
            Some(slot) => slot.2 = out.clone(),
            None => {
                kept.0.try_reserve(1).map_err(|_| {
                    Error::new(ErrorKind::OutOfMemory, format!("cannot keep more than {} outputs", kept.0.len()))
                })?;
                kept.0.push((key.clone(), id.to_vec(), out.clone()));
            }
        }
        Ok(out)
    }
}

/// Checks `TakeProperties`' `names`: a string or a list of strings.
fn check_names(value: &Value) -> Result<()> {
    names(value).map(|_| ())
}

/// The names of a `names` value.
fn names(value: &Value) -> Result<Vec<&str>> {
    match value {
        Value::Str(s) => Ok(vec![s.as_str()]),
        Value::List(items) | Value::Tuple(items) => items
            .iter()
            .map(|v| {
                v.as_str().map_err(|_| {
                    Error::type_mismatch(format!(
                        "expected a string or a list of strings, got a list holding {}",
                        v.kind_name()
                    ))
                })
            })
            .collect(),
        other => {
            Err(Error::type_mismatch(format!("expected a string or a list of strings, got {}", other.kind_name())))
        }
    }
}

/// `TakeProperties(feature, *names)`: the input followed by one image per name: the values sampled
/// for it, stacked along a new first axis (numbers give a vector, arrays of one shape an array with
/// one more axis). DeepTrack2 2.0.1 appends one array for one name, and a tuple of arrays for several
/// (one item of its output list); here each array is an image of its own (README, "Differences").
struct TakeProperties {
    feature: Feature,
}

/// `values` stacked along a new first axis; `name` for errors.
fn stack(name: &str, values: &[Value]) -> Result<Image> {
    let arrays = values
        .iter()
        .map(|v| {
            v.to_array().map_err(|_| {
                Error::type_mismatch(format!("the values of '{name}' are not numbers (one is {})", v.kind_name()))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let inner: Vec<usize> = arrays.first().map_or_else(Vec::new, |a| a.shape().to_vec());
    if let Some(a) = arrays.iter().find(|a| a.shape() != inner.as_slice()) {
        return Err(Error::invalid(format!(
            "the values of '{name}' have different shapes ({:?} and {:?}): they cannot be stacked",
            inner,
            a.shape()
        )));
    }
    let mut shape = vec![arrays.len()];
    shape.extend_from_slice(&inner);
    let n = crate::image::element_count(&shape)?;
    let mut data = Vec::new();
    data.try_reserve_exact(n)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} values of '{name}'")))?;
    for a in &arrays {
        data.extend(a.iter().copied());
    }
    let image = Image::new(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("the shape matches the data"));
    Ok(image.with_dtype(stacked_dtype(values)))
}

/// numpy's type of the array `np.array(values)` makes of numbers (DeepTrack2 2.0.1's
/// `TakeProperties`): bool when every value is a bool, int64 when every value is an integer or a
/// bool, float64 otherwise (and for no values).
fn stacked_dtype(values: &[Value]) -> Dtype {
    // Every number a value holds (in lists and tuples too) is a bool, or a bool or an integer.
    fn all(v: &Value, bools_only: bool) -> bool {
        match v {
            Value::Bool(_) | Value::BoolArray(_) => true,
            Value::Int(_) | Value::IntArray(_) => !bools_only,
            Value::List(items) | Value::Tuple(items) => items.iter().all(|item| all(item, bools_only)),
            _ => false,
        }
    }
    if values.is_empty() || !values.iter().all(|v| all(v, false)) {
        Dtype::Float64
    } else if values.iter().all(|v| all(v, true)) {
        Dtype::Bool
    } else {
        Dtype::Int64
    }
}

impl FeatureKind for TakeProperties {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(TakeProperties { feature: one(children) })
    }

    fn name(&self) -> &str {
        "TakeProperties"
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

    fn own_dict_from(&self, inputs: usize) -> Option<usize> {
        // As DeepTrack2's MERGE_STRATEGY_APPEND: the input images pass through without its dict.
        Some(inputs)
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let p = Params::new(TAKE_PROPERTIES.params, props);
        let names = names(p.value("names")?).map_err(|e| e.in_property("names"))?;
        // As DeepTrack2: the feature is resolved (without input) so that its samples are current.
        rs.resolve(&self.feature, &ImageList::new(), id)?;
        let values = self.feature.sampled_values(&names, id);
        let mut images = Vec::new();
        images.try_reserve_exact(names.len()).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate"))?;
        for (name, values) in names.iter().zip(&values) {
            images.push(stack(name, values).map_err(|e| e.in_property("names"))?);
        }
        let mut out = inputs.clone();
        out.append_vec(images);
        Ok(out)
    }
}
