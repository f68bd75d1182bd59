//! The registry of built-in kinds: one table that says, for every kind, its DeepTrack2 class name and
//! module, its parameters (constructor order, defaults, accepted values, limits) and a one-line doc.
//! Each family file contributes its entries (`KINDS`), next to their computation; everything that
//! lists kinds is derived from the table: [`crate::features::builtin`], the "known kinds" error, the
//! validation of constants at `set_property`, the C enumeration functions (`deeptrack_kind_*`) and,
//! through them, the Python classes and the README's table.
//!
//! Adding a kind: write its computation (a [`FeatureKind`]) in its family's file, and add one
//! [`KindSpec`] to that family's `KINDS` (docs/design.md, "How to add a kind").

use super::{
    FeatureKind, augmentations, binding, camera, combinators, elementwise, holography, load, math, noise, optics,
    scatterers, scene, sequences, shape, slicing, statistics, storage, structural, upscale,
};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::Feature;
use crate::properties::Rule;
use crate::value::Value;

mod check;
mod params;

pub use params::{Operand, Params};

/// A built-in kind: what the C API, the bindings and the documentation know of it.
#[derive(Clone, Copy)]
pub struct KindSpec {
    /// The DeepTrack2 class name (`"GaussianBlur"`), also the feature's default `name` property.
    pub name: &'static str,
    /// Other class names that create this kind (DeepTrack2's aliases, `"Equal"` for `"Equals"`).
    pub aliases: &'static [&'static str],
    /// The DeepTrack2 module that defines the class: `"features"`, `"math"`, `"noises"`,
    /// `"augmentations"`, `"scatterers"`, `"optics"`, …
    pub module: &'static str,
    /// DeepTrack2 2.0.1's direct base class of the class, where it is not the module's usual base
    /// (`"Blur"` for `"GaussianBlur"`, `"ArithmeticOperationFeature"` for `"Add"`, `"Feature"` for a
    /// kind of a module with a base class that 2.0.1 derives from `Feature` only); `""` where it is
    /// the module's usual base (`Noise` in `"noises"`, `Feature` in `"features"`, …).
    pub base: &'static str,
    /// Whether DeepTrack2 2.0.1's result on a 0-d input is a 0-d ndarray (the class returns its input
    /// array, or the 0-d array of a scipy or numpy function) where the library's is a number (numpy's
    /// scalar in Python): bindings that mirror 2.0.1's types convert it.
    pub zero_d_array: bool,
    /// Whether the kind's result is numpy's bools (the comparisons, `image > value`): on a 0-d input
    /// DeepTrack2 2.0.1 gives numpy's bool scalar (`np.bool_`), as numpy's comparison of a 0-d array
    /// does. Bindings that mirror 2.0.1's result types convert it.
    pub bool_output: bool,
    /// One line on what the kind computes.
    pub doc: &'static str,
    /// The parameters, in the order of the feature's properties (DeepTrack2's property dict order).
    pub params: &'static [ParamSpec],
    /// The parameters DeepTrack2's constructor takes by position, in its order: names of `params`, or
    /// `"_input"` (DeepTrack2's input given at construction). Bindings build signatures from it.
    pub positional: &'static [&'static str],
    /// Builds the computation, given the features of the [`ParamKind::Feature`] and
    /// [`ParamKind::Features`] parameters in order (already counted against the spec).
    pub make: fn(Vec<Feature>) -> Box<dyn FeatureKind>,
}

/// One parameter of a kind.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// The property name (DeepTrack2's keyword).
    pub name: &'static str,
    /// What values it accepts.
    pub kind: ParamKind,
    /// Its default.
    pub default: ParamDefault,
    /// Bounds of the number, or of each number of a vector or array (inclusive unless `min_open` /
    /// `max_open`; `±f64::MAX` means "finite", `±inf` no bound).
    pub min: f64,
    /// See [`ParamSpec::min`].
    pub max: f64,
    /// Whether `min` itself is excluded (a positive number: `min` 0, `min_open`).
    pub min_open: bool,
    /// Whether `max` itself is excluded.
    pub max_open: bool,
    /// Whether `None` is accepted besides the values of `kind`.
    pub nullable: bool,
    /// How far the library supports it (see [`Support`]).
    pub support: Support,
    /// A check of what `kind` and the bounds cannot say (relations between numbers, lengths that
    /// depend on the kind), run after them.
    pub check: Option<fn(&Value) -> Result<()>>,
    /// Whether it is a length in meters that DeepTrack2's conversion table converts from other units:
    /// a quantity in pixels given to it is converted with the optics' pixel size
    /// ([`crate::properties::Rule::Pixels`]).
    pub meters: bool,
    /// Whether it is a number of camera pixels that DeepTrack2's conversion table converts from other
    /// units (a scatterer's `position` and `z`): a length in meters given to it is converted with the
    /// optics' pixel size ([`crate::properties::Rule::Meters`]).
    pub pixels: bool,
    /// One line on what it means, with its unit.
    pub doc: &'static str,
}

/// The values a parameter accepts. Numbers may be integers or floats; vectors may be numbers, 1-d
/// arrays or lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Any value (the kind checks it itself).
    Any,
    /// A number, never NaN.
    Number,
    /// A whole number (an integer, or a float without a fraction).
    Integer,
    /// A bool.
    Bool,
    /// A string: one of `choices`, or any string when `choices` is empty.
    Str {
        /// The accepted strings (empty: any).
        choices: &'static [&'static str],
    },
    /// One number, or a vector whose length is in `min_len..=max_len`, of numbers (whole numbers when
    /// `whole`).
    Vector {
        /// Fewest numbers.
        min_len: usize,
        /// Most numbers.
        max_len: usize,
        /// Whether every number must be whole.
        whole: bool,
    },
    /// Numbers of any shape: a number, a bool, an array, or equally shaped nested lists.
    Array,
    /// One array as [`ParamKind::Array`], or a list of them (paired with the images in turn).
    Arrays,
    /// An axis: `None`, an integer, or a list of integers.
    Axis,
    /// numpy's type, as a string `np.dtype` reads ([`crate::dtype::NumpyType::parse`]): a name
    /// (`"float32"`, `"double"`, `"complex64"`) or a type code (`"f4"`, `"<i8"`, `"?"`). Bindings
    /// give their type objects by name (Python: `float`, `np.float32`, `np.dtype("f4")`).
    Dtype,
    /// A feature given at construction (a sub-feature; not a property).
    Feature,
    /// Any number of features given at construction (variadic; not a property).
    Features,
    /// A function given at construction (not a property): a custom feature (C:
    /// `deeptrack_feature_new_custom`; Python: a callable), passed among the features of
    /// `deeptrack_feature_new_with` and counted as a [`ParamKind::Feature`]. The kind calls its `get`
    /// with its own properties (`Blur`'s `filter_function`, `Pool`'s `pooling_function`).
    Callback,
}

/// The default of a parameter.
#[derive(Clone, Copy, Debug)]
pub enum ParamDefault {
    /// This constant.
    Value(Const),
    /// None: the parameter must be given (the feature has no such property until it is set).
    Required,
    /// None: the parameter is optional, and not a property unless it is set.
    Absent,
    /// Sampled by the library from the other properties (DeepTrack2's default `None` that the class
    /// computes, e.g. a flip's `augment`); bindings show it as `None`.
    Sampled(fn() -> Rule),
}

/// A constant default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    /// Python `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'static str),
    /// A 1-d array of floats (a numpy array).
    Floats(&'static [f64]),
    /// A list of floats, read back as a Python list (DeepTrack2's `radius=[1e-6]` of a stratified sphere).
    FloatList(&'static [f64]),
    /// A tuple of floats, read back as a tuple (DeepTrack2's `quantiles=(0.25, 0.75)`).
    FloatTuple(&'static [f64]),
    /// A tuple of integers, read back as a tuple (DeepTrack2's `px=(0, 0, 0, 0)`, `dsize=(256, 256)`,
    /// an optics' `padding=(10, 10, 10, 10)`).
    IntTuple(&'static [i64]),
}

impl Const {
    /// The constant as a value.
    pub fn to_value(self) -> Value {
        match self {
            Const::None => Value::None,
            Const::Bool(b) => Value::Bool(b),
            Const::Int(i) => Value::Int(i),
            Const::Float(x) => Value::Float(x),
            Const::Str(s) => Value::str(s),
            Const::Floats(v) => Value::vector(v),
            Const::FloatList(v) => Value::List(v.iter().map(|&x| Value::Float(x)).collect()),
            Const::FloatTuple(v) => Value::Tuple(v.iter().map(|&x| Value::Float(x)).collect()),
            Const::IntTuple(v) => Value::Tuple(v.iter().map(|&x| Value::Int(x)).collect()),
        }
    }
}

/// How far the library supports a DeepTrack2 parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Fully: a property of the feature.
    Full,
    /// Only at its default (DeepTrack2 has it; the library does not implement other values): it is
    /// not a property unless set, and a constant other than the default is an error.
    OnlyDefault,
}

impl ParamSpec {
    /// A parameter of `kind` with default `default`: no bounds, not nullable, fully supported, no
    /// extra check. The other fields are set with struct update syntax (`..ParamSpec::new(…)`).
    pub const fn new(name: &'static str, kind: ParamKind, default: ParamDefault, doc: &'static str) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            default,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            min_open: false,
            max_open: false,
            nullable: false,
            support: Support::Full,
            check: None,
            meters: false,
            pixels: false,
            doc,
        }
    }

    /// A finite number (`-f64::MAX..=f64::MAX`, the bounds that mean "finite": NaN and the infinities
    /// are refused with "expected a finite number"), otherwise as [`ParamSpec::new`]. A vector or
    /// array of finite numbers sets `kind` with struct update syntax (`..ParamSpec::finite(…)`).
    pub const fn finite(name: &'static str, default: ParamDefault, doc: &'static str) -> ParamSpec {
        ParamSpec { min: -f64::MAX, max: f64::MAX, ..ParamSpec::new(name, ParamKind::Number, default, doc) }
    }

    /// Checks a constant given to this parameter (kind, bounds, then the extra check). The error
    /// does not name the property; callers add it.
    pub fn validate(&self, value: &Value) -> Result<()> {
        check::validate(self, value)
    }

    /// Whether the parameter is a property of a new feature (with its default).
    pub fn is_default_property(&self) -> bool {
        self.support == Support::Full && matches!(self.default, ParamDefault::Value(_) | ParamDefault::Sampled(_))
    }

    /// Whether the parameter is given at construction as a feature or features (not a property).
    pub fn is_feature(&self) -> bool {
        matches!(self.kind, ParamKind::Feature | ParamKind::Features | ParamKind::Callback)
    }
}

impl KindSpec {
    /// The parameter `name`, if the kind has it.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        let params: &'static [ParamSpec] = self.params;
        params.iter().find(|p| p.name == name)
    }

    /// The default properties of a new feature, in order (without `name`).
    pub fn defaults(&self) -> Vec<(&'static str, Rule)> {
        self.params
            .iter()
            .filter(|p| p.is_default_property())
            .map(|p| match p.default {
                ParamDefault::Value(c) => (p.name, Rule::Constant(c.to_value())),
                ParamDefault::Sampled(rule) => (p.name, rule()),
                ParamDefault::Required | ParamDefault::Absent => unreachable!("not a default property"),
            })
            .collect()
    }

    /// Checks a constant given to property `key` (keys the kind does not know are metadata, accepted).
    pub fn validate(&self, key: &str, value: &Value) -> Result<()> {
        validate(self.params, key, value)
    }

    /// The kind's computation with `features` for its feature parameters: errors (naming the kind)
    /// when their number does not match. A [`ParamKind::Feature`] parameter whose default is not
    /// [`ParamDefault::Required`] is optional (`Sin()` or `Sin(feature)`): optional ones come last.
    pub fn make_with(&self, features: Vec<Feature>) -> Result<Box<dyn FeatureKind>> {
        let required = |p: &&ParamSpec| matches!(p.default, ParamDefault::Required);
        let single = |p: &&ParamSpec| matches!(p.kind, ParamKind::Feature | ParamKind::Callback);
        let list = |p: &&ParamSpec| p.kind == ParamKind::Features;
        // A required list holds at least one feature (an empty `Combine` or `OneOf` computes nothing);
        // an optional one (SampleToMasks' transformations) may be empty.
        let fixed = self.params.iter().filter(single).filter(required).count()
            + self.params.iter().filter(list).filter(required).count();
        let optional =
            self.params.iter().filter(single).count() - self.params.iter().filter(single).filter(required).count();
        let variadic = self.params.iter().any(|p| list(&p));
        if features.len() < fixed || (!variadic && features.len() > fixed + optional) {
            let names: Vec<&str> = self.params.iter().filter(|p| p.is_feature()).map(|p| p.name).collect();
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let expected = match (fixed, optional, variadic) {
                (0, 0, false) => "no features".to_owned(),
                (n, 0, false) => format!("{n} feature{} ({})", plural(n), names.join(", ")),
                (n, m, false) => format!("{n} to {} features ({})", n + m, names.join(", ")),
                (n, _, true) => format!("at least {n} feature{} ({})", plural(n), names.join(", ")),
            };
            return Err(Error::invalid(format!("{} takes {expected}, got {}", self.name, features.len())));
        }
        Ok((self.make)(features))
    }
}

/// Checks `value` for the parameter `key` of `params` (keys not among them are metadata, accepted);
/// the error names the property.
fn validate(params: &[ParamSpec], key: &str, value: &Value) -> Result<()> {
    match params.iter().find(|p| p.name == key) {
        Some(p) if !p.is_feature() => p.validate(value).map_err(|e| e.in_property(key)),
        Some(p) => {
            Err(Error::invalid(format!("'{}' is a feature given at construction, not a property", p.name))
                .in_property(key))
        }
        None => Ok(()),
    }
}

/// The feature that stands for an optional feature parameter given as nothing (a NULL in
/// `deeptrack_feature_new_with`) when a later one is given (`ConditionalSetFeature(on_true=f)`):
/// [`build_optional`] passes it to the kind's `make`, which must test for it with [`is_absent`]. It
/// is never resolved.
fn absent() -> Feature {
    struct Absent;
    impl FeatureKind for Absent {
        fn name(&self) -> &str {
            "(absent)"
        }
        fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
            Box::new(Absent)
        }
    }
    static ABSENT: std::sync::OnceLock<Feature> = std::sync::OnceLock::new();
    ABSENT.get_or_init(|| Feature::new(Box::new(Absent)).expect("a leaf nests one level")).clone()
}

/// Whether `feature` is the placeholder of an optional feature parameter not given (see
/// [`build_optional`]).
pub fn is_absent(feature: &Feature) -> bool {
    feature.ptr_eq(&absent())
}

/// [`build`] with features that may be missing (`None`, a NULL from C), each of which must stand for
/// an optional single feature parameter (`NullArgument` otherwise, naming it):
/// trailing ones are not given; one before a given feature reaches the kind's `make` as the
/// placeholder tested by [`is_absent`].
pub fn build_optional(name: &str, features: Vec<Option<Feature>>) -> Result<Feature> {
    let spec = find(name);
    for (i, _) in features.iter().enumerate().filter(|(_, f)| f.is_none()) {
        let param = spec.and_then(|s| s.params.iter().filter(|p| p.is_feature()).nth(i));
        if !param.is_some_and(|p| p.kind == ParamKind::Feature && !matches!(p.default, ParamDefault::Required)) {
            return Err(Error::new(
                ErrorKind::NullArgument,
                format!("features[{i}] is NULL (only an optional feature parameter may be NULL)"),
            ));
        }
    }
    let given = features.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let mut out = Vec::new();
    out.try_reserve_exact(given)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {given} features")))?;
    out.extend(features.into_iter().take(given).map(|f| f.unwrap_or_else(absent)));
    build(name, out)
}

/// The families' tables, in order.
fn families() -> [&'static [KindSpec]; 22] {
    [
        structural::KINDS,
        combinators::KINDS,
        binding::KINDS,
        slicing::KINDS,
        shape::KINDS,
        math::KINDS,
        noise::KINDS,
        augmentations::KINDS,
        scatterers::KINDS,
        scatterers::MIE_KINDS,
        optics::KINDS,
        optics::ILLUMINATION_KINDS,
        optics::ABERRATION_KINDS,
        holography::KINDS,
        elementwise::KINDS,
        statistics::KINDS,
        scene::KINDS,
        storage::KINDS,
        upscale::KINDS,
        load::KINDS,
        camera::KINDS,
        sequences::KINDS,
    ]
}

/// Every built-in kind, family by family.
pub fn kinds() -> impl Iterator<Item = &'static KindSpec> {
    families().into_iter().flatten()
}

/// The kind named `name` (its class name or an alias).
pub fn find(name: &str) -> Option<&'static KindSpec> {
    kinds().find(|k| k.name == name || k.aliases.contains(&name))
}

/// The kind name (or alias) closest to a misspelt `name`: the same letters in another case, or else the
/// nearest within two edits (one for names of up to four letters), ties going to the first in the
/// registry. `None` when nothing is that close.
pub fn closest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let names = || kinds().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied()));
    if let Some(same) = names().find(|k| k.to_lowercase() == lower) {
        return Some(same);
    }
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    names()
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_lowercase()), k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// `" (did you mean 'Kind'?)"` for a `name` close to a kind's ([`closest`]), or an empty string.
pub fn did_you_mean(name: &str) -> String {
    closest(name).map(|k| format!(" (did you mean '{k}'?)")).unwrap_or_default()
}

/// A new feature of the kind named `name` (or an alias) built from `features` (for kinds with
/// feature parameters; empty otherwise). `NotFound` for an unknown name, with the known ones.
pub fn build(name: &str, features: Vec<Feature>) -> Result<Feature> {
    let spec = find(name).ok_or_else(|| {
        let hint = did_you_mean(name);
        Error::not_found(format!(
            "unknown feature kind '{name}'{hint}; known kinds: {}",
            crate::features::builtin_names().join(", ")
        ))
    })?;
    Feature::builtin(spec, spec.make_with(features)?)
}
