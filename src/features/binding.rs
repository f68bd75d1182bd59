//! Features that bind property values into the features they resolve (DeepTrack2's `features`
//! module): `Bind` (alias `BindResolve`), `BindUpdate` and `ConditionalSetProperty`. Their own
//! properties (other than `name`, and `condition`) override the same-named properties of every
//! feature sampled while their feature resolves ([`Resolver::with_overrides`]).
//!
//! DeepTrack2 2.0.1 writes the values into the upstream properties, where they stay until the next
//! update, and also forwards its own `name`, renaming the features it binds; here a binding holds
//! while the binding feature resolves, and `name` is never bound (README, "Differences").

use std::sync::Arc;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::ImageList;
use crate::properties::PropertyDict;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "Bind",
        aliases: &["BindResolve"],
        module: "features",
        doc: "Resolves `feature` with its own properties bound: they override the same-named properties of the \
              features it resolves.",
        params: BOUND_FEATURE,
        positional: &["feature"],
        make: |features| Box::new(Bind { feature: one(features), name: "Bind", conditional: false }),
    },
    KindSpec {
        name: "BindUpdate",
        aliases: &[],
        module: "features",
        doc: "Deprecated in DeepTrack2: the same as `Bind`.",
        params: BOUND_FEATURE,
        positional: &["feature"],
        make: |features| Box::new(Bind { feature: one(features), name: "BindUpdate", conditional: false }),
    },
    KindSpec {
        name: "ConditionalSetProperty",
        aliases: &[],
        module: "features",
        doc: "Resolves `feature` with its own properties bound when `condition` holds (a bool, or the name of one \
              of its properties, true when it has none), else unchanged.",
        params: &[
            ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature resolved"),
            ParamSpec {
                nullable: true,
                ..ParamSpec::new(
                    "condition",
                    ParamKind::Any,
                    ParamDefault::Value(Const::None),
                    "whether to bind: a bool (None: no), or the name of a property of this feature holding one",
                )
            },
        ],
        positional: &["feature", "condition"],
        make: |features| Box::new(Bind { feature: one(features), name: "ConditionalSetProperty", conditional: true }),
    },
];

/// The parameters of `Bind` and `BindUpdate`: the feature (the bound values are any other keys).
const BOUND_FEATURE: &[ParamSpec] =
    &[ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature resolved")];

fn one(features: Vec<Feature>) -> Feature {
    let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
    feature
}

/// Whether a condition's value holds (Python's truth of a bool, a number or None).
fn truth(value: &Value) -> Result<bool> {
    match value {
        Value::None => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        Value::Float(x) => Ok(*x != 0.0),
        other => Err(Error::invalid(format!("expected a bool or the name of a property, got {}", other.kind_name()))),
    }
}

/// `Bind(feature, **values)` and its variants: `feature` resolved with `values` bound (when the
/// condition holds, for `ConditionalSetProperty`).
struct Bind {
    feature: Feature,
    name: &'static str,
    conditional: bool,
}

impl Bind {
    /// Whether to bind, from a `ConditionalSetProperty`'s `condition`.
    fn holds(&self, props: &PropertyDict) -> Result<bool> {
        if !self.conditional {
            return Ok(true);
        }
        let holds = match props.get("condition").unwrap_or(&Value::None) {
            // DeepTrack2's constructor sets the named property to true unless given.
            Value::Str(key) => props.get(key.as_str()).map_or(Ok(true), truth),
            other => truth(other),
        };
        holds.map_err(|e| e.in_property("condition"))
    }
}

impl FeatureKind for Bind {
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Bind { feature: one(children), name: self.name, conditional: self.conditional })
    }

    fn name(&self) -> &str {
        self.name
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
        if !self.holds(props)? {
            return rs.resolve(&self.feature, inputs, id);
        }
        let bound = if self.conditional {
            let mut bound = PropertyDict::with_capacity(props.len());
            for (key, value) in props.iter().filter(|(k, _)| *k != "condition") {
                bound.insert(key, value.clone());
            }
            Arc::new(bound)
        } else {
            Arc::clone(props)
        };
        rs.with_overrides(bound, |rs| rs.resolve(&self.feature, inputs, id))
    }
}
