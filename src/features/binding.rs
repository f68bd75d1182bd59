//! Features that bind property values into the features they resolve (DeepTrack2's `features`
//! module): `Bind` (alias `BindResolve`), `BindUpdate` and `ConditionalSetProperty`, and the feature
//! that chooses between two features by the same kind of condition, `ConditionalSetFeature`. Their own
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
        base: "StructuralFeature",
        zero_d_array: false,
        bool_output: false,
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
        base: "StructuralFeature",
        zero_d_array: false,
        bool_output: false,
        doc: "Deprecated in DeepTrack2: the same as `Bind`.",
        params: BOUND_FEATURE,
        positional: &["feature"],
        make: |features| Box::new(Bind { feature: one(features), name: "BindUpdate", conditional: false }),
    },
    KindSpec {
        name: "ConditionalSetProperty",
        aliases: &[],
        module: "features",
        base: "StructuralFeature",
        zero_d_array: false,
        bool_output: false,
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
    KindSpec {
        name: "ConditionalSetFeature",
        aliases: &[],
        module: "features",
        base: "StructuralFeature",
        zero_d_array: true,
        bool_output: false,
        doc: "Resolves `on_true` when `condition` holds (a bool, or the name of one of its properties, true when it \
              has none), else `on_false`; a branch not given passes the input through.",
        params: &[
            ParamSpec::new(
                "on_false",
                ParamKind::Feature,
                ParamDefault::Absent,
                "optional: the feature resolved when the condition does not hold",
            ),
            ParamSpec::new(
                "on_true",
                ParamKind::Feature,
                ParamDefault::Absent,
                "optional: the feature resolved when the condition holds",
            ),
            ParamSpec::new(
                "condition",
                ParamKind::Any,
                ParamDefault::Value(Const::Bool(true)),
                "a bool, or the name of a property of this feature holding one (true when it has none)",
            ),
        ],
        positional: &["on_false", "on_true", "condition"],
        make: |features| {
            let mut branches = features.into_iter().map(|f| (!super::registry::is_absent(&f)).then_some(f));
            let on_false = branches.next().flatten();
            let on_true = branches.next().flatten();
            Box::new(SetFeature { on_false, on_true })
        },
    },
];

/// The parameters of `Bind` and `BindUpdate`: the feature (the bound values are any other keys).
const BOUND_FEATURE: &[ParamSpec] =
    &[ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature resolved")];

fn one(features: Vec<Feature>) -> Feature {
    let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
    feature
}

/// Whether `condition` (the value of a `condition` property) holds for a feature with the properties
/// `props`: a bool or a number as Python tests it, or the name of a property of `props` that holds one
/// (true when there is none: DeepTrack2's constructors give the named property the default true).
fn condition_holds(condition: &Value, props: &PropertyDict) -> Result<bool> {
    let holds = match condition {
        Value::Str(key) => props.get(key.as_str()).map_or(Ok(true), truth),
        other => truth(other),
    };
    holds.map_err(|e| e.in_property("condition"))
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
        condition_holds(props.get("condition").unwrap_or(&Value::None), props)
    }
}

impl FeatureKind for Bind {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
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

/// `ConditionalSetFeature(on_false, on_true, condition)`: `on_true` resolved on the input when the
/// condition holds, else `on_false`; a missing branch passes the input through.
struct SetFeature {
    on_false: Option<Feature>,
    on_true: Option<Feature>,
}

impl FeatureKind for SetFeature {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let mut children = children.into_iter();
        let on_false = self.on_false.as_ref().and_then(|_| children.next());
        let on_true = self.on_true.as_ref().and_then(|_| children.next());
        Box::new(SetFeature { on_false, on_true })
    }

    fn name(&self) -> &str {
        "ConditionalSetFeature"
    }

    fn children(&self) -> Vec<Feature> {
        self.on_false.iter().chain(&self.on_true).cloned().collect()
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
        let branch = if condition_holds(props.get("condition").unwrap_or(&Value::None), props)? {
            &self.on_true
        } else {
            &self.on_false
        };
        match branch {
            Some(feature) => rs.resolve(feature, inputs, id),
            None => Ok(inputs.clone()),
        }
    }
}
