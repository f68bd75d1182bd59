//! Property dicts (what a computation used), sampling rules (how a property gets its value) and the
//! sampling context that rules draw through.

use std::fmt;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngCore};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, ErrorKind, Result};
use crate::graph::Feature;
use crate::value::{Text, Value};

/// An insertion-ordered map from property name to value: the properties one computation of a feature
/// used. Images hold them behind `Arc`; identity (`Arc::ptr_eq`), never equality, tells two dicts apart.
#[derive(Clone, Debug, Default)]
pub struct PropertyDict {
    entries: Vec<(Text, Value)>,
}

impl PropertyDict {
    /// An empty dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty dict with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        PropertyDict { entries: Vec::with_capacity(n) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dict has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`: replaces the value in place if present, appends otherwise.
    pub fn insert(&mut self, key: impl Into<Text>, value: Value) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The `index`-th entry, with its key as a [`Text`].
    pub fn entry(&self, index: usize) -> Option<(&Text, &Value)> {
        self.entries.get(index).map(|(k, v)| (k, v))
    }

    /// The value of `key` or a `NotFound` error naming it.
    pub fn require(&self, key: &str) -> Result<&Value> {
        self.get(key).ok_or_else(|| Error::not_found("missing").in_property(key))
    }

    /// The value of `key` as a float, with an error naming the property.
    pub fn f64(&self, key: &str) -> Result<f64> {
        self.require(key)?.as_f64().map_err(|e| e.in_property(key))
    }

    /// The value of `key` as a vector of numbers, with an error naming the property.
    pub fn f64_vec(&self, key: &str) -> Result<Vec<f64>> {
        self.require(key)?.to_f64_vec().map_err(|e| e.in_property(key))
    }

    pub(crate) fn push_unchecked(&mut self, key: Text, value: Value) {
        self.entries.push((key, value));
    }
}

impl fmt::Display for PropertyDict {
    /// A Python-like rendering: `{'position': array([1.0, 2.0]), 'name': 'Particle'}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "'{k}': {v}")?;
        }
        f.write_str("}")
    }
}

/// DeepTrack2's `pixel` unit in meters, which [`Rule::Pixels`] converts with: a value of the resolve
/// scope (see [`crate::graph::Scope`]) that a microscope sets for its sample to the camera pixel in
/// sample space of its optics (`resolution / magnification`); 1 µm outside any
/// ([`PixelUnit::DEFAULT`], DeepTrack2's default units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelUnit(pub f64);

impl PixelUnit {
    /// The unit outside a microscope: 1 µm.
    pub const DEFAULT: PixelUnit = PixelUnit(1e-6);
}

/// What a sampling rule can see while it computes a value.
pub trait SampleContext {
    /// The value of a sibling property of the same feature, sampled first if needed. Reading a sibling
    /// makes it a dependency; a dependency cycle is a [`crate::ErrorKind::Cycle`] error.
    fn get(&mut self, name: &str) -> Result<&Value>;
    /// The evaluation's random generator (seeded by the pipeline).
    fn rng(&mut self) -> &mut dyn RngCore;
    /// The replicate index (`_ID`): empty at top level, `[n]` inside a repeat, `[n, m]` nested.
    fn replicate_index(&self) -> &[usize];

    /// DeepTrack2's `pixel` unit in meters: the camera pixel in sample space of the optics imaging
    /// the feature (`resolution / magnification`), or 1 µm outside a microscope (DeepTrack2's default).
    fn pixel_size(&self) -> f64 {
        PixelUnit::DEFAULT.0
    }

    /// A draw from U[0, 1).
    fn uniform(&mut self) -> f64 {
        self.rng().random::<f64>()
    }

    /// A draw from the standard normal distribution.
    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.rng())
    }
}

/// A callback rule: computes a value through a [`SampleContext`].
pub type SampleFn = dyn Fn(&mut dyn SampleContext) -> Result<Value> + Send + Sync;

/// How a property gets its value each time it is sampled.
#[derive(Clone)]
pub enum Rule {
    /// Always the same value.
    Constant(Value),
    /// A float from U[low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// A 1-d array whose element i is drawn from U[low[i], high[i]).
    UniformArray {
        /// Lower bounds.
        low: Vec<f64>,
        /// Upper bounds.
        high: Vec<f64>,
    },
    /// A float from N(mean, std²).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// An integer from [low, high).
    RandInt {
        /// Lower bound (inclusive).
        low: i64,
        /// Upper bound (exclusive).
        high: i64,
    },
    /// One element of a list, uniformly.
    Choice(Vec<Value>),
    /// A user function.
    Callback(Arc<SampleFn>),
    /// The value of another feature's property (`B(pos=A.pos)`), consistent within one resolve and
    /// linked across updates: updating the dependent feature re-samples the source property too.
    PropertyOf {
        /// The feature that owns the property.
        feature: Feature,
        /// The property name.
        key: Text,
    },
    /// A length given in pixels (DeepTrack2's `10 * units.pixel` for a property in meters, such as a
    /// scatterer's `radius`): the numbers (a number, an array or a list of them) times the pixel size
    /// of the optics imaging the feature ([`SampleContext::pixel_size`]), as DeepTrack2's conversion
    /// table converts them.
    Pixels(Value),
    /// A length given in meters to a property in camera pixels (DeepTrack2's `2 * units.um` for a
    /// scatterer's `position` or `z`): the numbers divided by the pixel size of the optics imaging the
    /// feature ([`SampleContext::pixel_size`]), as DeepTrack2's conversion table converts them.
    Meters(Value),
    /// The output of another feature resolved without input at the same replicate index (DeepTrack2's
    /// feature-valued property, as in `X + Y`): none, an array, or a list of arrays. Updating the
    /// dependent feature re-samples the source feature too.
    FeatureOutput(Feature),
    /// A sequential property (DeepTrack2's `SequentialProperty`): inside a `Sequence`, its value at
    /// step 0 comes from `initial` (or from `step` when there is none) and at every later step from
    /// `step`, whose callbacks read `sequence_step`, `sequence_length`, `previous_value` and
    /// `previous_values` through their context (`crate::graph` answers them). Outside a sequence
    /// it is the value at step 0.
    Sequential(Arc<SequentialRule>),
    /// A list (or tuple) whose items are rules, each sampled in turn (DeepTrack2 samples the
    /// callables, features and properties inside a list property: `feature[mask_feature]` is
    /// `Slice(slices=[mask_feature])`). An item that is a feature's output of booleans is a nested
    /// list of bools (a mask), of integers an integer or an array of them, as numpy reads an index.
    Items {
        /// The rules of the items, in order.
        items: Arc<Vec<Rule>>,
        /// Whether the value is a tuple (else a list).
        tuple: bool,
    },
}

/// The two rules of a [`Rule::Sequential`] property (see [`Rule::sequential`]).
#[derive(Clone, Debug)]
pub struct SequentialRule {
    /// The rule of step 0 (DeepTrack2's `initialization`): `None` samples `step` at step 0 too.
    pub initial: Option<Rule>,
    /// The rule of the later steps (DeepTrack2's `current`).
    pub step: Rule,
}

impl SequentialRule {
    /// The rule that gives the value at `step`.
    pub fn at(&self, step: usize) -> &Rule {
        match (&self.initial, step) {
            (Some(initial), 0) => initial,
            _ => &self.step,
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Constant(v) => write!(f, "Constant({v})"),
            Rule::Uniform { low, high } => write!(f, "Uniform({low}, {high})"),
            Rule::UniformArray { low, high } => write!(f, "UniformArray({low:?}, {high:?})"),
            Rule::Normal { mean, std } => write!(f, "Normal({mean}, {std})"),
            Rule::RandInt { low, high } => write!(f, "RandInt({low}, {high})"),
            Rule::Choice(items) => write!(f, "Choice({} items)", items.len()),
            Rule::Callback(_) => f.write_str("Callback"),
            Rule::Pixels(v) => write!(f, "Pixels({v})"),
            Rule::Meters(v) => write!(f, "Meters({v})"),
            Rule::PropertyOf { feature, key } => write!(f, "PropertyOf({}.{})", feature.label(), key.as_str()),
            Rule::FeatureOutput(feature) => write!(f, "FeatureOutput({})", feature.label()),
            Rule::Sequential(s) => write!(f, "Sequential({:?}, {:?})", s.initial, s.step),
            Rule::Items { items, .. } => write!(f, "Items({items:?})"),
        }
    }
}

/// `value` (numbers, arrays, lists of them) times `pixel`: pixels in meters.
fn in_meters(value: &Value, pixel: f64) -> Result<Value> {
    converted(value, &|x| x * pixel, "pixels")
}

/// A length of `value` meters in pixels of `pixel` meters ([`Rule::Meters`]).
fn in_pixels(value: &Value, pixel: f64) -> Result<Value> {
    converted(value, &|x| x / pixel, "meters")
}

/// `value`'s numbers (a number, an array, or a nested list of them) through `f`; `unit` names what
/// they are in errors.
fn converted(value: &Value, f: &dyn Fn(f64) -> f64, unit: &str) -> Result<Value> {
    Ok(match value {
        Value::Int(n) => Value::Float(f(*n as f64)),
        Value::Float(x) => Value::Float(f(*x)),
        Value::Array(a) => Value::Array(Arc::new(a.mapv(f))),
        Value::IntArray(a) => Value::Array(Arc::new(a.mapv(|i| f(i as f64)))),
        Value::List(items) => Value::List(items.iter().map(|v| converted(v, f, unit)).collect::<Result<_>>()?),
        Value::Tuple(items) => Value::Tuple(items.iter().map(|v| converted(v, f, unit)).collect::<Result<_>>()?),
        other => {
            return Err(Error::invalid(format!(
                "a length in {unit} takes numbers, arrays or lists of them, got {}",
                other.kind_name()
            )));
        }
    })
}

fn check_finite(what: &str, x: f64) -> Result<()> {
    if x.is_finite() { Ok(()) } else { Err(Error::invalid(format!("{what} must be finite, got {x}"))) }
}

impl Rule {
    /// A constant.
    pub fn constant(v: impl Into<Value>) -> Rule {
        Rule::Constant(v.into())
    }

    /// U[low, high); both finite and `low <= high`.
    pub fn uniform(low: f64, high: f64) -> Result<Rule> {
        check_finite("low", low)?;
        check_finite("high", high)?;
        if low > high {
            return Err(Error::invalid(format!("uniform: low ({low}) is greater than high ({high})")));
        }
        Ok(Rule::Uniform { low, high })
    }

    /// Element-wise U[low[i], high[i]); equal, non-zero lengths.
    pub fn uniform_array(low: &[f64], high: &[f64]) -> Result<Rule> {
        if low.len() != high.len() {
            return Err(Error::invalid(format!(
                "uniform_array: low has {} elements but high has {}",
                low.len(),
                high.len()
            )));
        }
        for (i, (l, h)) in low.iter().zip(high).enumerate() {
            check_finite(&format!("low[{i}]"), *l)?;
            check_finite(&format!("high[{i}]"), *h)?;
            if l > h {
                return Err(Error::invalid(format!("uniform_array: low[{i}] ({l}) is greater than high[{i}] ({h})")));
            }
        }
        Ok(Rule::UniformArray { low: low.to_vec(), high: high.to_vec() })
    }

    /// N(mean, std²); finite, `std >= 0`.
    pub fn normal(mean: f64, std: f64) -> Result<Rule> {
        check_finite("mean", mean)?;
        check_finite("std", std)?;
        if std < 0.0 {
            return Err(Error::invalid(format!("normal: std must not be negative, got {std}")));
        }
        Ok(Rule::Normal { mean, std })
    }

    /// An integer from [low, high); `low < high`.
    pub fn randint(low: i64, high: i64) -> Result<Rule> {
        if low >= high {
            return Err(Error::invalid(format!("randint: the range [{low}, {high}) is empty")));
        }
        Ok(Rule::RandInt { low, high })
    }

    /// One element of a non-empty list.
    pub fn choice(items: Vec<Value>) -> Result<Rule> {
        if items.is_empty() {
            return Err(Error::invalid("choice: the list is empty"));
        }
        Ok(Rule::Choice(items))
    }

    /// A callback computing the value.
    pub fn callback(f: impl Fn(&mut dyn SampleContext) -> Result<Value> + Send + Sync + 'static) -> Rule {
        Rule::Callback(Arc::new(f))
    }

    /// A link to `feature`'s property `key`.
    pub fn property_of(feature: &Feature, key: &str) -> Result<Rule> {
        if !feature.has_property(key) {
            return Err(Error::not_found(format!("feature '{}' has no property '{key}'", feature.label())));
        }
        Ok(Rule::PropertyOf { feature: feature.clone(), key: Text::new(key) })
    }

    /// A length of `value` pixels ([`Rule::Pixels`]): a number, an array, or a (nested) list of them;
    /// anything else is `InvalidArgument`.
    pub fn pixels(value: Value) -> Result<Rule> {
        in_meters(&value, 1.0)?;
        Ok(Rule::Pixels(value))
    }

    /// A length of `value` meters given to a property in pixels ([`Rule::Meters`]): a number, an
    /// array, or a (nested) list of them; anything else is `InvalidArgument`.
    pub fn meters(value: Value) -> Result<Rule> {
        in_pixels(&value, 1.0)?;
        Ok(Rule::Meters(value))
    }

    /// The output of `feature` (resolved without input) as the value.
    pub fn feature_output(feature: &Feature) -> Rule {
        Rule::FeatureOutput(feature.clone())
    }

    /// A list (`tuple`: a tuple) of the values of `items`, each sampled in turn ([`Rule::Items`]). An
    /// item may be any rule but a sequential one (`InvalidArgument`).
    pub fn items(items: Vec<Rule>, tuple: bool) -> Result<Rule> {
        if items.iter().any(|r| matches!(r, Rule::Sequential(_))) {
            return Err(Error::invalid("an item of a list rule cannot be a sequential rule"));
        }
        Ok(Rule::Items { items: Arc::new(items), tuple })
    }

    /// Whether the rule, or an item of it, links to another feature (a property link or a feature's
    /// output).
    pub(crate) fn links(&self) -> bool {
        match self {
            Rule::PropertyOf { .. } | Rule::FeatureOutput(_) => true,
            Rule::Items { items, .. } => items.iter().any(Rule::links),
            _ => false,
        }
    }

    /// Whether the rule draws its value on its own, reading nothing else (see `State::simple`).
    pub(crate) fn is_simple(&self) -> bool {
        match self {
            Rule::Callback(_) | Rule::PropertyOf { .. } | Rule::FeatureOutput(_) | Rule::Sequential(_) => false,
            Rule::Items { items, .. } => items.iter().all(Rule::is_simple),
            _ => true,
        }
    }

    /// Calls `f` with the feature of every link and feature output of the rule and its items, and
    /// whether it is a feature output.
    pub(crate) fn for_each_source(&self, f: &mut dyn FnMut(&Feature, bool)) {
        match self {
            Rule::PropertyOf { feature, .. } => f(feature, false),
            Rule::FeatureOutput(feature) => f(feature, true),
            Rule::Items { items, .. } => items.iter().for_each(|r| r.for_each_source(f)),
            _ => {}
        }
    }

    /// The rule with the features of its links and feature outputs (its items' too) mapped by `f`.
    pub(crate) fn map_sources(&self, f: &mut dyn FnMut(&Feature) -> Feature) -> Rule {
        match self {
            Rule::PropertyOf { feature, key } => Rule::PropertyOf { feature: f(feature), key: key.clone() },
            Rule::FeatureOutput(feature) => Rule::FeatureOutput(f(feature)),
            Rule::Items { items, tuple } if self.links() => {
                Rule::Items { items: Arc::new(items.iter().map(|r| r.map_sources(f)).collect()), tuple: *tuple }
            }
            other => other.clone(),
        }
    }

    /// A sequential property ([`Rule::Sequential`]): `initial` at step 0 (`None`: `step` at every
    /// step), `step` at the later ones. Neither may link to another feature (a link or a feature's
    /// output) or be sequential itself: `InvalidArgument`.
    pub fn sequential(initial: Option<Rule>, step: Rule) -> Result<Rule> {
        for (what, rule) in [("initial", initial.as_ref()), ("step", Some(&step))] {
            match rule {
                Some(r) if r.links() => {
                    return Err(Error::invalid(format!(
                        "the {what} rule of a sequential property cannot link to another feature (give a callback \
                         reading the value instead)"
                    )));
                }
                Some(Rule::Sequential(_)) => {
                    return Err(Error::invalid(format!(
                        "the {what} rule of a sequential property is sequential itself"
                    )));
                }
                _ => {}
            }
        }
        Ok(Rule::Sequential(Arc::new(SequentialRule { initial, step })))
    }

    /// Draws a value (links are resolved by the graph, not here).
    pub(crate) fn sample_simple(&self, ctx: &mut dyn SampleContext) -> Result<Value> {
        Ok(match self {
            Rule::Constant(v) => v.clone(),
            Rule::Uniform { low, high } => Value::Float(low + (high - low) * ctx.uniform()),
            Rule::UniformArray { low, high } => {
                let data: Vec<f64> = low.iter().zip(high).map(|(l, h)| l + (h - l) * ctx.uniform()).collect();
                Value::array(ArrayD::from_shape_vec(IxDyn(&[data.len()]), data).expect("1-d"))
            }
            Rule::Normal { mean, std } => Value::Float(mean + std * ctx.normal()),
            Rule::RandInt { low, high } => Value::Int(ctx.rng().random_range(*low..*high)),
            Rule::Choice(items) => items[ctx.rng().random_range(0..items.len())].clone(),
            Rule::Callback(f) => f(ctx)?,
            Rule::Pixels(v) => in_meters(v, ctx.pixel_size())?,
            Rule::Meters(v) => in_pixels(v, ctx.pixel_size())?,
            // Outside a sequence: the value at step 0 (the graph picks the rule of a step inside one).
            Rule::Sequential(s) => s.at(0).sample_simple(ctx)?,
            Rule::Items { items, tuple } => {
                let mut values = Vec::new();
                values.try_reserve_exact(items.len()).map_err(|_| {
                    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} values", items.len()))
                })?;
                for item in items.iter() {
                    values.push(item.sample_simple(ctx)?);
                }
                if *tuple { Value::Tuple(values) } else { Value::List(values) }
            }
            Rule::PropertyOf { .. } | Rule::FeatureOutput(_) => unreachable!("links are sampled by the graph"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_keeps_insertion_order_and_replaces_in_place() {
        let mut d = PropertyDict::new();
        d.insert("position", Value::vector(&[1.0, 2.0]));
        d.insert("name", Value::str("Particle"));
        d.insert("position", Value::vector(&[3.0, 4.0]));
        assert_eq!(d.to_string(), "{'position': array([3.0, 4.0]), 'name': 'Particle'}");
        assert_eq!(d.f64("name").unwrap_err().to_string(), "property 'name': expected a number, got a string");
    }

    #[test]
    fn rule_validation_names_the_problem() {
        assert!(Rule::uniform(f64::NAN, 1.0).unwrap_err().to_string().contains("low must be finite"));
        assert!(Rule::uniform(2.0, 1.0).is_err());
        assert!(Rule::randint(3, 3).unwrap_err().to_string().contains("empty"));
        assert!(Rule::normal(0.0, -1.0).is_err());
        assert!(Rule::choice(vec![]).is_err());
        assert!(Rule::uniform_array(&[0.0], &[1.0, 2.0]).is_err());
    }
}
