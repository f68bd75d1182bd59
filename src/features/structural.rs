//! Structural and utility features: `DummyFeature`, `Value`, the arithmetic and comparison features,
//! and the compositions `Chain` (`>>`), `Repeat` (`^ N`) and `Microscope` (`optics(sample)`).

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::FeatureKind;
use super::optics::OpticsLabel;
use super::power;
use super::registry::{self, Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::element_count;
use crate::image::{Image, ImageList};
use crate::properties::{PropertyDict, Rule};
use crate::typed_samples::TypedSamples;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "DummyFeature",
        aliases: &[],
        module: "features",
        base: "",
        zero_d_array: true,
        bool_output: false,
        doc: "Passes its input through; its properties are only recorded.",
        params: &[],
        positional: &["_input"],
        make: |_| Box::new(Dummy),
    },
    KindSpec {
        name: "Value",
        aliases: &[],
        module: "features",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "Ignores its input and returns `value` as an image (a list: one image per item; None: no image).",
        // Any value, as in DeepTrack2 (a string, a label): it must be numbers only to be resolved.
        params: &[ParamSpec::new("value", ParamKind::Any, ParamDefault::Value(Const::Int(0)), "the image")],
        positional: &["value"],
        make: |_| Box::new(ValueKind),
    },
    arithmetic("Add", &[], "`image + value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("Add", |a, b| a + b))
    }),
    arithmetic("Subtract", &[], "`image - value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("Subtract", |a, b| a - b))
    }),
    arithmetic("Multiply", &[], "`image * value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("Multiply", |a, b| a * b))
    }),
    arithmetic("Divide", &[], "`image / value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("Divide", divide))
    }),
    arithmetic("FloorDivide", &[], "`image // value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("FloorDivide", floor_divide))
    }),
    arithmetic("Power", &[], "`image ** value`, element-wise with numpy broadcasting.", |_| {
        Box::new(Arithmetic::new("Power", f64::powf))
    }),
    comparison("GreaterThan", &[], "`image > value` element-wise, as numpy's bools.", |_| {
        Box::new(Arithmetic::new("GreaterThan", greater))
    }),
    comparison("LessThan", &[], "`image < value` element-wise, as numpy's bools.", |_| {
        Box::new(Arithmetic::new("LessThan", less))
    }),
    comparison(
        "GreaterThanOrEquals",
        &["GreaterThanOrEqual"],
        "`image >= value` element-wise, as numpy's bools.",
        |_| Box::new(Arithmetic::new("GreaterThanOrEquals", greater_or_equal)),
    ),
    comparison("LessThanOrEquals", &["LessThanOrEqual"], "`image <= value` element-wise, as numpy's bools.", |_| {
        Box::new(Arithmetic::new("LessThanOrEquals", less_or_equal))
    }),
    KindSpec {
        params: EQUALS_OPERAND,
        ..comparison("Equals", &["Equal"], "`image == value` element-wise, as numpy's bools.", |_| {
            Box::new(Arithmetic::new("Equals", equal))
        })
    },
    KindSpec {
        name: "Chain",
        aliases: &["Branch"],
        module: "features",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "`feature_1 >> feature_2`: resolves `feature_2` on the output of `feature_1`.",
        params: &[
            ParamSpec::new("feature_1", ParamKind::Feature, ParamDefault::Required, "the first feature"),
            ParamSpec::new(
                "feature_2",
                ParamKind::Feature,
                ParamDefault::Required,
                "the feature applied to its output",
            ),
        ],
        positional: &["feature_1", "feature_2"],
        make: |features| {
            let Ok([first, second]) = <[Feature; 2]>::try_from(features) else {
                unreachable!("counted by the registry")
            };
            // `particles >> SampleToMasks(...)`: the scatterers' images carry their dicts (their
            // positions), as DeepTrack2's do without store_properties.
            if second.kind().reads_input_properties() {
                first.store_properties(true);
            }
            Box::new(Chain { first, second })
        },
    },
    REPEAT,
    KindSpec {
        name: "Microscope",
        aliases: &[],
        module: "optics",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "`optics(sample)`: resolves `sample` without input and images it with the optics `objective`.",
        params: &[
            ParamSpec::new("sample", ParamKind::Feature, ParamDefault::Required, "the sample (scatterers)"),
            ParamSpec::new("objective", ParamKind::Feature, ParamDefault::Required, "the optics imaging it"),
        ],
        positional: &["sample", "objective"],
        make: |features| {
            let Ok([sample, optics]) = <[Feature; 2]>::try_from(features) else {
                unreachable!("counted by the registry")
            };
            // Like DeepTrack2: the sample's results carry the scatterers' ground truth.
            sample.store_properties(true);
            Box::new(Microscope { optics, sample })
        },
    },
];

/// `Repeat`, whose `N` its computation reads.
const REPEAT: KindSpec = KindSpec {
    name: "Repeat",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`feature ^ N`: applies `feature` N times in sequence, each repetition with its own samples.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the repeated feature"),
        ParamSpec {
            min: 0.0,
            max: MAX_REPEAT as f64,
            ..ParamSpec::new(
                "N",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(1)),
                "the number of repetitions (each keeps its samples until the next update)",
            )
        },
    ],
    positional: &["feature", "N"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(Repeat { feature })
    },
};

/// The entry of an arithmetic or comparison kind: one property `value`.
const fn arithmetic(
    name: &'static str,
    aliases: &'static [&'static str],
    doc: &'static str,
    make: fn(Vec<Feature>) -> Box<dyn FeatureKind>,
) -> KindSpec {
    KindSpec {
        name,
        aliases,
        module: "features",
        base: "ArithmeticOperationFeature",
        zero_d_array: false,
        bool_output: false,
        doc,
        params: OPERAND,
        positional: &["value"],
        make,
    }
}

/// The registry entry of a comparison: an arithmetic kind whose result is numpy's bools
/// ([`KindSpec::bool_output`]).
const fn comparison(
    name: &'static str,
    aliases: &'static [&'static str],
    doc: &'static str,
    make: fn(Vec<Feature>) -> Box<dyn FeatureKind>,
) -> KindSpec {
    KindSpec { bool_output: true, ..arithmetic(name, aliases, doc, make) }
}

/// The `value` of the arithmetic kinds.
const OPERAND: &[ParamSpec] = &[ParamSpec::new(
    "value",
    ParamKind::Arrays,
    ParamDefault::Value(Const::Int(0)),
    "the other operand: numbers, or a list of them paired with the images in turn",
)];

/// The `value` of `Equals`: as [`OPERAND`], or None (numpy's `x == None`, false everywhere).
const EQUALS_OPERAND: &[ParamSpec] = &[ParamSpec {
    nullable: true,
    ..ParamSpec::new(
        "value",
        ParamKind::Arrays,
        ParamDefault::Value(Const::Int(0)),
        "the other operand: numbers, or a list of them paired with the images in turn; None compares false",
    )
}];

/// numpy's `floor_divide` for floats (Python's `//`).
/// `a / b`.
fn divide(a: f64, b: f64) -> f64 {
    a / b
}

/// `a > b` as 1 or 0.
fn greater(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a > b))
}

/// `a < b` as 1 or 0.
fn less(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a < b))
}

/// `a >= b` as 1 or 0.
fn greater_or_equal(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a >= b))
}

/// `a <= b` as 1 or 0.
fn less_or_equal(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a <= b))
}

/// `a == b` as 1 or 0.
fn equal(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a == b))
}

fn floor_divide(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0_f64.copysign(a / b);
    }
    let mut floor = div.floor();
    if div - floor > 0.5 {
        floor += 1.0;
    }
    floor
}

/// `DummyFeature`: passes its input through; its properties are only recorded.
#[derive(Clone)]
struct Dummy;

impl FeatureKind for Dummy {
    /// An object of the host's in place of an image: handed on as it is.
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
        "DummyFeature"
    }
}

/// `Value(value=0)`: ignores its input and returns `value` as an image.
#[derive(Clone)]
struct ValueKind;

impl FeatureKind for ValueKind {
    /// An object of the host's in place of an image: ignored, as every input.
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
        "Value"
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        _: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        // DeepTrack2 returns the value itself, and a list is a list of images: one image per item.
        match props.require("value")? {
            // DeepTrack2's `Value.get` returning None gives no image: what follows computes on an
            // empty list (`(Value(None) >> Add(1))()` is `[]` in 2.0.1).
            Value::None => Ok(Vec::new()),
            // An object of the host's (a dict, a user's object) is passed on as 2.0.1 passes it.
            Value::Object(o) => Ok(vec![Image::of_object(o.clone())]),
            // Whole numbers and bools keep their type (Image::of_value).
            Value::List(items) | Value::Tuple(items) => {
                items.iter().map(|item| Image::of_value(item).map_err(|e| e.in_property("value"))).collect()
            }
            value => Ok(vec![Image::of_value(value).map_err(|e| e.in_property("value"))?]),
        }
    }
}

/// The arithmetic and comparison features: `op(image, value)` element-wise with numpy broadcasting.
/// A list `value` pairs values with images, cycling the shorter side (DeepTrack's list semantics).
#[derive(Clone)]
struct Arithmetic {
    name: &'static str,
    op: fn(f64, f64) -> f64,
    /// Whether the result is numpy's bools (a comparison: the registry's `bool_output`).
    bools: bool,
}

impl Arithmetic {
    /// The kind `name` (registered) applying `op`.
    fn new(name: &'static str, op: fn(f64, f64) -> f64) -> Arithmetic {
        Arithmetic { name, op, bools: super::registry::find(name).is_some_and(|k| k.bool_output) }
    }
}

/// The error of an arithmetic feature whose `value` is a feature that gave no image.
fn no_image_value() -> Error {
    Error::type_mismatch(
        "expected numbers, got no image from the feature given as the value: it is resolved without input (in `A + \
         B`, `B` computes on nothing, not on the input of `A`), and a feature that transforms its input then gives \
         none (DeepTrack2 2.0.1 returns an empty list); give that feature an input of its own (`A + (Value(x) >> \
         B)`) or use one that makes its image",
    )
    .in_property("value")
}

fn operands(value: &Value) -> Result<Vec<Arc<ArrayD<f64>>>> {
    match value {
        Value::List(items) | Value::Tuple(items) => items.iter().map(Value::to_array).collect(),
        other => Ok(vec![other.to_array()?]),
    }
}

/// The most samples a broadcast may give when its result is larger than both operands (2^28, 2 GiB
/// of doubles): an image of shape `(n, 1)` and a value of shape `(1, m)` give `n·m` samples, work
/// and memory that neither operand bounds. A result the size of an operand is bounded by that
/// operand (it exists already) and has no limit but memory.
pub const MAX_BROADCAST_SAMPLES: usize = 1 << 28;

/// The broadcast shape of an image of shape `a` and a value of shape `b` with its sample count:
/// an error when they do not broadcast, or when the result is larger than both and exceeds
/// [`MAX_BROADCAST_SAMPLES`].
pub(crate) fn checked_broadcast(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, usize)> {
    let shape = broadcast_shape(a, b).ok_or_else(|| {
        Error::invalid(format!("cannot broadcast an image of shape {a:?} with a value of shape {b:?}"))
    })?;
    // The operands exist, so their counts do not overflow; the result's may.
    let (na, nb) = (a.iter().product::<usize>(), b.iter().product::<usize>());
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
        Some(n) if n <= na.max(nb) || n <= MAX_BROADCAST_SAMPLES => {
            let count = element_count(&shape)?;
            Ok((shape, count))
        }
        count => Err(Error::invalid(format!(
            "broadcasting an image of shape {a:?} with a value of shape {b:?} gives {} samples, which \
             exceeds the maximum of {MAX_BROADCAST_SAMPLES} for a result larger than both",
            count.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string())
        ))),
    }
}

/// The numpy broadcast of two shapes, or `None` when they are incompatible.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i < n - s.len() { 1 } else { s[i - (n - s.len())] };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `op(a, b)` element-wise with broadcasting.
pub(crate) fn broadcast_op(
    a: &ArrayViewD<'_, f64>,
    b: &ArrayD<f64>,
    op: impl Fn(f64, f64) -> f64,
) -> Result<ArrayD<f64>> {
    let (shape, count) = checked_broadcast(a.shape(), b.shape())?;
    let mut data = Vec::new();
    data.try_reserve_exact(count)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of shape {shape:?}")))?;
    // Same shapes in standard layout (an image and an image-sized value, `A - A * 2`): one pass over
    // the two slices, without the n-d iteration of a broadcast (about 50 times faster).
    if let (true, Some(x), Some(y)) = (a.shape() == b.shape(), a.as_slice(), b.as_slice()) {
        data.extend(x.iter().zip(y).map(|(&p, &q)| op(p, q)));
        return Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("count checked"));
    }
    let av = a.broadcast(IxDyn(&shape)).expect("broadcastable");
    let bv = b.broadcast(IxDyn(&shape)).expect("broadcastable");
    crate::layout::push_zipped(&mut data, &av, &bv, |&x, &y| op(x, y));
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("count checked"))
}

/// `test` of every sample of `image` (in C order), as a bool image with its properties: a
/// comparison with a number, written once in numpy's bools (1 byte a sample).
fn compared(image: &Image, test: impl Fn(f64) -> bool) -> Result<Image> {
    let bools = TypedSamples::bools(image.contiguous()?, test)?;
    Ok(image.with_typed(image.shape(), bools))
}

/// `a ** b` with numpy's broadcasting and numpy's power ([`power`]).
fn power_broadcast(a: &ArrayViewD<'_, f64>, b: &ArrayD<f64>) -> Result<ArrayD<f64>> {
    let (shape, _) = checked_broadcast(a.shape(), b.shape())?;
    power::pow_broadcast(a, b, &shape)
}

impl FeatureKind for Arithmetic {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.name
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
        let value = props.require("value")?;
        if matches!(value, Value::None) && rs.feature_value_images("value", id)?.is_some() {
            // Nothing to compute without input (DeepTrack2's empty list); an error with one.
            return if inputs.is_empty() { Ok(Vec::new()) } else { Err(no_image_value()) };
        }
        if matches!(value, Value::None) && self.name == "Equals" {
            // numpy's `x == None`: an object comparison, made element by element, false for every
            // sample (of a complex image too). The other operators refuse None, as numpy's do.
            return inputs
                .iter()
                .map(|img| {
                    if img.is_complex() {
                        compared(&img.complex_part(false)?, |_| false)
                    } else {
                        compared(img, |_| false)
                    }
                })
                .collect();
        }
        // Complex numbers (a complex operand, or a complex image) in numpy's complex arithmetic.
        if super::complex_arith::is_complex_value(value) || inputs.iter().any(Image::is_complex) {
            return super::complex_arith::process(self.name, inputs, value);
        }
        // A number: the same as broadcasting a 0-d array, without building one.
        let number = match value {
            Value::Int(_) | Value::Float(_) => Some(value.as_f64()?),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        };
        if let Some(v) = number {
            let op = self.op;
            // Sized up front: collecting results into a vector would start it at four images and grow.
            let mut out = crate::buffer::try_vec(inputs.len()).ok_or_else(|| {
                Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", inputs.len()))
            })?;
            for image in inputs {
                // New samples in one pass; the usual operators inlined (the same results as `op`).
                out.push(match self.name {
                    "Add" => image.map_samples(|x| x + v),
                    "Subtract" => image.map_samples(|x| x - v),
                    "Multiply" => image.map_samples(|x| x * v),
                    // numpy's power (its shortcuts and its SIMD kernel), not `op` sample by sample.
                    "Power" => Ok(image.with_data(
                        ArrayD::from_shape_vec(image.data().raw_dim(), power::pow_number(image.contiguous()?, v)?)
                            .expect("one result per sample"),
                    )),
                    // Each operator compiled into its own loop (a call through `op` per sample is
                    // several times slower than numpy's loop).
                    "Divide" => image.map_samples(|x| divide(x, v)),
                    "FloorDivide" => image.map_samples(|x| floor_divide(x, v)),
                    "GreaterThan" => compared(image, |x| x > v),
                    "LessThan" => compared(image, |x| x < v),
                    "GreaterThanOrEquals" => compared(image, |x| x >= v),
                    "LessThanOrEquals" => compared(image, |x| x <= v),
                    "Equals" => compared(image, |x| x == v),
                    _ => image.map_samples(|x| op(x, v)),
                }?);
            }
            return Ok(out);
        }
        let values = operands(value).map_err(|e| e.in_property("value"))?;
        if inputs.is_empty() || values.is_empty() {
            return Ok(Vec::new());
        }
        let n = inputs.len().max(values.len());
        (0..n)
            .map(|i| {
                let image = &inputs[i % inputs.len()];
                let data = if self.name == "Power" {
                    power_broadcast(&image.data(), &values[i % values.len()])
                } else {
                    broadcast_op(&image.data(), &values[i % values.len()], self.op)
                }
                .map_err(|e| e.in_property("value"))?;
                if self.bools {
                    // numpy's bools (the 0 and 1 of `op`).
                    let flat = data.as_slice().expect("a new array in standard layout");
                    let bools = TypedSamples::bools(flat, |x| x != 0.0)?;
                    return Ok(image.with_typed(data.shape(), bools));
                }
                Ok(image.with_data(data))
            })
            .collect()
    }
}

/// `Chain(first, second)`: `second(first(x))`, built by `>>`.
struct Chain {
    first: Feature,
    second: Feature,
}

impl FeatureKind for Chain {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [first, second] = <[Feature; 2]>::try_from(children).expect("a chain has two children");
        Box::new(Chain { first, second })
    }

    fn name(&self) -> &str {
        "Chain"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.first.clone(), self.second.clone()]
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
        let mid = rs.resolve(&self.first, inputs, id)?;
        rs.resolve(&self.second, &mid, id)
    }
}

/// `Repeat(feature, N)`: applies `feature` N times in sequence; repetition n runs at `_ID + [n]`, so it
/// samples its own values, and sees repetition n-1's output. Built by `^`.
struct Repeat {
    feature: Feature,
}

/// The largest repeat count `N`: each repetition resolves the repeated feature once and keeps its
/// sampled properties and results cached until the next update, so `N` sets both the work and the
/// memory of a resolve.
pub const MAX_REPEAT: usize = 1_000_000;

impl FeatureKind for Repeat {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [feature] = <[Feature; 1]>::try_from(children).expect("a repeat has one child");
        Box::new(Repeat { feature })
    }

    fn name(&self) -> &str {
        "Repeat"
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
        let n = Params::new(REPEAT.params, props).usize("N")?;
        let mut images = inputs.clone();
        let mut sub = Vec::with_capacity(id.len() + 1);
        sub.extend_from_slice(id);
        sub.push(0);
        for i in 0..n {
            *sub.last_mut().expect("pushed") = i;
            images = rs.resolve(&self.feature, &images, &sub)?;
        }
        Ok(images)
    }
}

/// `Microscope(sample, optics)`: resolves the sample without input and images it with the optics.
///
/// With built-in optics (`Fluorescence`, `Brightfield`, …: kinds that give a
/// [`FeatureKind::sample_scope`]), the sample is resolved in the scope the optics set (voxel size and
/// scale, dicts recorded), so that its scatterers produce volumes at the simulation resolution; the optics then
/// assemble the volume, render it and pool the upscaled image back to camera pixels. Any other optics
/// feature is simply resolved on the sample's output.
struct Microscope {
    optics: Feature,
    sample: Feature,
}

impl FeatureKind for Microscope {
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [sample, optics] = <[Feature; 2]>::try_from(children).expect("a microscope has two children");
        Box::new(Microscope { optics, sample })
    }

    fn name(&self) -> &str {
        "Microscope"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.sample.clone(), self.optics.clone()]
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process_list(
        &self,
        _: &ImageList,
        _: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        // Like DeepTrack2, the optics' properties are sampled first (they set the sample's units).
        let props = rs.properties(&self.optics, id)?;
        let nothing = ImageList::new();
        let volumes = match self.optics.kind().sample_scope(&props, rs.scope()) {
            Some(scope) => {
                let label = self.optics.label();
                let scope = scope.map_err(|e| e.in_feature(&label))?.with(OpticsLabel(label));
                rs.with_scope(scope, |rs| rs.resolve(&self.sample, &nothing, id))?
            }
            None => rs.resolve(&self.sample, &nothing, id)?,
        };
        rs.resolve(&self.optics, &volumes, id)
    }
}

impl Feature {
    /// `first >> second`: a chain sharing both features. Errors when it would nest more than
    /// [`crate::graph::MAX_NESTING`] levels deep.
    pub fn chain(first: &Feature, second: &Feature) -> Result<Feature> {
        registry::build("Chain", vec![first.clone(), second.clone()])
    }

    /// `feature ^ n`: a repeat sharing `feature`; `N` is a property that can be given any rule later.
    pub fn repeat(feature: &Feature, n: usize) -> Result<Feature> {
        let n = i64::try_from(n).map_err(|_| Error::invalid(format!("repeat count {n} is too large")))?;
        let f = registry::build("Repeat", vec![feature.clone()])?;
        f.set_property("N", Rule::constant(n))?;
        Ok(f)
    }

    /// `optics(sample)`: a microscope sharing both features. Errors when it would nest too deep.
    ///
    /// Like DeepTrack2, this turns on [`Feature::store_properties`] for the sample, whose results carry
    /// the scatterers' ground truth (while imaged by built-in optics they always do).
    pub fn microscope(optics: &Feature, sample: &Feature) -> Result<Feature> {
        registry::build("Microscope", vec![sample.clone(), optics.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_divide_matches_python() {
        assert_eq!(floor_divide(7.0, 2.0), 3.0);
        assert_eq!(floor_divide(-7.0, 2.0), -4.0);
        assert_eq!(floor_divide(7.0, -2.0), -4.0);
        assert_eq!(floor_divide(9.0, 4.0), 2.0);
        assert!(floor_divide(1.0, 0.0).is_infinite());
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shape(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shape(&[2, 1], &[1, 4]), Some(vec![2, 4]));
        assert_eq!(broadcast_shape(&[2], &[3]), None);
        assert_eq!(broadcast_shape(&[4, 4], &[]), Some(vec![4, 4]));
    }

    #[test]
    fn a_broadcast_larger_than_both_operands_has_a_limit() {
        let side = 1 << 14; // (2^14, 1) with (1, 2^14): 2^28 samples, the maximum
        assert_eq!(checked_broadcast(&[side, 1], &[1, side]).unwrap(), (vec![side, side], MAX_BROADCAST_SAMPLES));
        let err = checked_broadcast(&[side + 1, 1], &[1, side]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "broadcasting an image of shape [16385, 1] with a value of shape [1, 16384] gives 268451840 samples, \
             which exceeds the maximum of 268435456 for a result larger than both"
        );
        let err = checked_broadcast(&[usize::MAX / 2, 1], &[1, 4]).unwrap_err();
        assert!(err.to_string().contains("gives more than 18446744073709551615 samples"), "{err}");
        // A result the size of an operand is bounded by it: no limit but memory.
        assert_eq!(checked_broadcast(&[1 << 29], &[1]).unwrap().1, 1 << 29);
        assert_eq!(checked_broadcast(&[1], &[1 << 29]).unwrap().1, 1 << 29);
    }
}
