//! Augmentations: `FlipLR`, `FlipUD`, `FlipDiagonal` (each with probability `p`: the property `augment`
//! draws `U[0,1) < p`), `Pad` and `Crop`. Each moves `position` to the output's frame, in *copies* of
//! the output's dicts, never in the dicts that upstream results share (a deliberate difference from
//! DeepTrack2 2.0.1, which mutates them).

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};
use rand::{Rng, RngCore};

use super::FeatureKind;
use super::consistent::ConsistentDraws;
use super::padding;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, WideInts};
use crate::properties::{PropertyDict, Rule};
use crate::rng::Generator;
use crate::typed_samples::TypedSamples;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[
    flip("FlipLR", "Reverses the columns (axis 1) with probability `p`; positions follow.", |_| {
        Box::new(Flip::LeftRight)
    }),
    flip("FlipUD", "Reverses the rows (axis 0) with probability `p`; positions follow.", |_| Box::new(Flip::UpDown)),
    flip("FlipDiagonal", "Swaps axes 0 and 1 with probability `p`; positions follow.", |_| Box::new(Flip::Diagonal)),
    PAD,
    CROP,
    CROP_TO_MULTIPLES_OF,
    PAD_TO_MULTIPLES_OF,
    super::affine::AFFINE,
    super::croptight::CROP_TIGHT,
    super::reuse::REUSE,
    super::elastic::ELASTIC,
];

/// The entry of a flip.
const fn flip(name: &'static str, doc: &'static str, make: fn(Vec<Feature>) -> Box<dyn FeatureKind>) -> KindSpec {
    KindSpec {
        name,
        aliases: &[],
        module: "augmentations",
        base: "",
        zero_d_array: true,
        bool_output: false,
        doc,
        params: FLIP,
        positional: &["p", "augment"],
        make,
    }
}

/// DeepTrack2's `Augmentation.time_consistent`, the first property of every augmentation it derives
/// from `Augmentation` (and the first positional argument of `Crop(*args)`).
pub(crate) const TIME_CONSISTENT: ParamSpec = ParamSpec::new(
    "time_consistent",
    ParamKind::Bool,
    ParamDefault::Value(Const::Bool(false)),
    "augment every image of a sequence alike",
);

const FLIP: &[ParamSpec] = &[
    TIME_CONSISTENT,
    FLIP_P,
    ParamSpec::new(
        "augment",
        ParamKind::Bool,
        ParamDefault::Sampled(augment),
        "whether this sample flips (default: drawn, true with probability p)",
    ),
];

/// A flip's probability: a number in [0, 1].
const FLIP_P: ParamSpec = ParamSpec {
    min: 0.0,
    max: 1.0,
    ..ParamSpec::new("p", ParamKind::Number, ParamDefault::Value(Const::Float(0.5)), "the probability of a flip")
};

/// A flip's default `augment`: `U[0, 1) < p`.
fn augment() -> Rule {
    Rule::callback(|ctx| {
        let p = ctx.get("p")?;
        FLIP_P.validate(p).map_err(|e| e.in_property("p"))?;
        let p = p.to_number()?;
        Ok(Value::Bool(ctx.uniform() < p))
    })
}

/// The largest padding `Pad` adds to a side of an axis. The padded image must also fit in memory: a
/// larger one is an out-of-memory error, not an abort.
pub const MAX_PAD: f64 = 1e9;

const PAD: KindSpec = KindSpec {
    name: "Pad",
    aliases: &[],
    module: "augmentations",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Pads before and after each axis in a numpy mode; positions shift by the padding before.",
    params: &[
        TIME_CONSISTENT,
        ParamSpec {
            min: 0.0,
            max: MAX_PAD,
            ..ParamSpec::new(
                "px",
                ParamKind::Vector { min_len: 0, max_len: usize::MAX, whole: true },
                ParamDefault::Value(Const::IntTuple(&[0; 4])),
                "(before, after) pairs of pixels, in axis order; one number pads every axis by it on both sides",
            )
        },
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: padding::MODES },
            ParamDefault::Value(Const::Str("constant")),
            "numpy's padding mode (\"linear_ramp\" ramps to `cval`; \"empty\" pads with `cval`)",
        ),
        ParamSpec::new(
            "cval",
            ParamKind::Number,
            ParamDefault::Value(Const::Int(0)),
            "the value padded with in \"constant\" mode",
        ),
    ],
    positional: &["px", "mode", "cval"],
    make: |_| Box::new(Pad),
};

const CROP: KindSpec = KindSpec {
    name: "Crop",
    aliases: &[],
    module: "augmentations",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Keeps a window of size `crop` (or removes `crop` pixels) per axis, at a random or given corner.",
    params: &[
        TIME_CONSISTENT,
        ParamSpec {
            check: Some(|v| crop_sizes(v, 2, Some(&[1; 32])).map(|_| ())),
            ..ParamSpec::new(
                "crop",
                ParamKind::Any,
                ParamDefault::Value(Const::IntTuple(&[64, 64])),
                "the size kept (or removed) per axis: whole numbers (at least one sample stays), None keeps the axis",
            )
        },
        ParamSpec::new(
            "crop_mode",
            ParamKind::Str { choices: &["retain", "remove"] },
            ParamDefault::Value(Const::Str("retain")),
            "whether `crop` is the size kept or the amount removed",
        ),
        ParamSpec {
            check: Some(corner),
            ..ParamSpec::new(
                "corner",
                ParamKind::Any,
                ParamDefault::Value(Const::Str("random")),
                "\"random\" (drawn once per update for images of one shape), or the corner of the window (whole \
                 numbers, wrapped; axes beyond it are kept whole)",
            )
        },
    ],
    // DeepTrack2 2.0.1's `Crop(*args, crop=…)` passes `*args` to `Augmentation(time_consistent, …)`.
    positional: &["time_consistent"],
    make: |_| Box::new(Crop { draws: ConsistentDraws::fresh() }),
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flip {
    /// Reverses axis 1 (columns).
    LeftRight,
    /// Reverses axis 0 (rows).
    UpDown,
    /// Swaps axes 0 and 1.
    Diagonal,
}

impl Flip {
    /// The flip of `img`, in O(1) as numpy's views: its samples with a reversed axis (`FlipLR`:
    /// axis 1, `FlipUD`: axis 0) or axes 0 and 1 swapped (`FlipDiagonal`), the same properties and
    /// dtype, not complex. An image with fewer axes than the flip reads (`FlipUD` one, the others
    /// two) is an error, as numpy's indexing is in DeepTrack2 (a 1-d image flips up-down).
    fn apply(self, img: &Image) -> Result<Image> {
        let needed = if self == Flip::UpDown { 1 } else { 2 };
        if img.shape().len() < needed {
            let axes = if needed == 1 { "1 axis" } else { "2 axes" };
            return Err(Error::invalid(format!("expected an image with at least {axes}, got shape {:?}", img.shape())));
        }
        match self {
            Flip::LeftRight => img.reversed(1),
            Flip::UpDown => img.reversed(0),
            Flip::Diagonal => {
                let mut order: Vec<usize> = (0..img.shape().len()).collect();
                order.swap(0, 1);
                let mut out = img.permuted_axes(&order)?;
                out.set_complex(false)?;
                Ok(out)
            }
        }
    }

    /// How the flip of an image whose flipped shape is `shape` moves a point.
    fn point_move(self, shape: &[usize]) -> WholeMove {
        match self {
            Flip::LeftRight => WholeMove::Reverse { axis: 1, size: shape[1] as i64 },
            Flip::UpDown => WholeMove::Reverse { axis: 0, size: shape[0] as i64 },
            Flip::Diagonal => WholeMove::Swap,
        }
    }
}

/// A move of points by whole numbers (a flip, a crop, a padding): numpy computes it in the positions'
/// type, so DeepTrack2 2.0.1's flips and crops keep an integer position integers (a list of integers
/// becoming an int64 array, as `np.array` makes it), wrapping on overflow as numpy's int64 does.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WholeMove {
    /// `p[axis] = size - p[axis] - 1`: the reversal of an axis of `size` samples.
    Reverse {
        /// The axis reversed (0 or 1).
        axis: usize,
        /// Its length.
        size: i64,
    },
    /// Swaps the first two coordinates.
    Swap,
    /// Adds the two numbers to the first two coordinates.
    Shift([i64; 2]),
}

impl WholeMove {
    /// The move of a point of floats (at least two coordinates).
    fn floats(self, p: &mut [f64]) {
        match self {
            WholeMove::Reverse { axis, size } => p[axis] = size as f64 - p[axis] - 1.0,
            WholeMove::Swap => p.swap(0, 1),
            WholeMove::Shift(by) => {
                p[0] += by[0] as f64;
                p[1] += by[1] as f64;
            }
        }
    }

    /// The move of a point of integers (at least two coordinates), exact, wrapping as numpy's int64.
    fn ints(self, p: &mut [i64]) {
        match self {
            WholeMove::Reverse { axis, size } => p[axis] = size.wrapping_sub(p[axis]).wrapping_sub(1),
            WholeMove::Swap => p.swap(0, 1),
            WholeMove::Shift(by) => {
                p[0] = p[0].wrapping_add(by[0]);
                p[1] = p[1].wrapping_add(by[1]);
            }
        }
    }
}

/// A moved copy of a `position` value (one point, or points along the last axis; only points with at
/// least two coordinates move).
fn moved(value: &Value, mover: &dyn Fn(&mut [f64])) -> Option<Value> {
    let apply = |p: &mut [f64]| {
        if p.len() >= 2 {
            mover(p)
        }
    };
    match value {
        // An integer position moves as floats (its values exact up to 2^53), as it did before it was kept.
        Value::Array(a) if a.ndim() >= 1 => moved_lanes((**a).clone(), apply),
        Value::IntArray(a) if a.ndim() >= 1 => moved_lanes(Arc::unwrap_or_clone(value.to_array().ok()?), apply),
        Value::List(_) | Value::Tuple(_) => match value.to_f64_vec() {
            Ok(mut p) => {
                apply(&mut p);
                Some(Value::vector(&p))
            }
            // A list of points (`[[y0, x0], [y1, x1]]`, a list of arrays): the points move as the rows
            // of the array numpy makes of it (DeepTrack2's `np.array(position)`).
            Err(_) => moved_lanes(Arc::unwrap_or_clone(value.to_array().ok()?), apply),
        },
        _ => None,
    }
}

/// `points` with every point (a lane along the last axis) moved by `apply`.
fn moved_lanes(mut points: ArrayD<f64>, apply: impl Fn(&mut [f64])) -> Option<Value> {
    let last = Axis(points.ndim() - 1);
    for mut lane in points.lanes_mut(last) {
        let mut p: Vec<f64> = lane.to_vec();
        apply(&mut p);
        lane.iter_mut().zip(p).for_each(|(slot, v)| *slot = v);
    }
    Some(Value::array(points))
}

/// A moved copy of a `position` value by whole numbers: an integer array, or a list or tuple of
/// integers, moves in integers into an integer array; any other position as [`moved`] moves it.
fn moved_whole(value: &Value, mv: WholeMove) -> Option<Value> {
    let ints: Option<Vec<i64>> = match value {
        Value::List(items) | Value::Tuple(items) => {
            items.iter().map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).collect()
        }
        _ => None,
    };
    match (value, ints) {
        (Value::IntArray(a), _) if a.ndim() >= 1 => {
            let mut out = (**a).clone();
            for mut lane in out.lanes_mut(Axis(a.ndim() - 1)) {
                let mut p: Vec<i64> = lane.to_vec();
                if p.len() >= 2 {
                    mv.ints(&mut p);
                }
                lane.iter_mut().zip(p).for_each(|(slot, v)| *slot = v);
            }
            Some(Value::int_array(out))
        }
        (_, Some(mut p)) => {
            if p.len() >= 2 {
                mv.ints(&mut p);
            }
            let n = p.len();
            Some(Value::int_array(ArrayD::from_shape_vec(IxDyn(&[n]), p).expect("1-d")))
        }
        _ => moved(value, &|p| mv.floats(p)),
    }
}

/// [`move_positions`] by whole numbers: integer positions stay integers (see [`WholeMove`]).
pub(crate) fn move_positions_whole(out: Image, mv: WholeMove) -> Result<Image> {
    replace_positions(out, &|v| moved_whole(v, mv))
}

/// `out` with every dict that has a `position` replaced by a copy with the position moved, so that the
/// ground truth is in `out`'s frame while upstream results keep theirs (and their dicts). The moved
/// positions are floats (see [`move_positions_whole`] for moves that keep integers).
/// The dicts without a position stay shared (and so does the list before the first moved one);
/// `OutOfMemory` when the copy cannot be allocated.
pub(crate) fn move_positions(out: Image, mover: &dyn Fn(&mut [f64])) -> Result<Image> {
    replace_positions(out, &|v| moved(v, mover))
}

/// `out` with the `position` of every dict that has one replaced by `mover`'s copy (kept where it
/// gives none), in copies of those dicts.
fn replace_positions(mut out: Image, mover: &dyn Fn(&Value) -> Option<Value>) -> Result<Image> {
    let moved = out.properties().try_replace(|dict| {
        let position = mover(dict.get("position")?)?;
        let mut copy = (**dict).clone();
        copy.insert("position", position);
        Some(Arc::new(copy))
    })?;
    if let Some(properties) = moved {
        out.set_properties(properties);
    }
    Ok(out)
}

impl FeatureKind for Flip {
    /// Complex images: the views of the real and imaginary parts, joined as a view of the numbers.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::PartViews
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(*self)
    }

    fn name(&self) -> &str {
        match self {
            Flip::LeftRight => "FlipLR",
            Flip::UpDown => "FlipUD",
            Flip::Diagonal => "FlipDiagonal",
        }
    }

    /// Not distributed: the output keeps the input's dicts, with moved copies of those that have a
    /// position (a distributed merge would bring the unmoved originals back).
    fn is_distributed(&self) -> bool {
        false
    }

    /// The flips are views: of an image holding narrow samples (`AsType`'s, the comparisons'), they
    /// share those samples and keep their dtype, as numpy's views do.
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let p = Params::new(FLIP, props);
        p.bool("time_consistent")?;
        let augment = p.bool("augment")?;
        if !augment {
            return Ok(inputs.to_vec());
        }
        inputs
            .iter()
            .map(|img| {
                let out = self.apply(img)?;
                let shape = out.shape().to_vec();
                move_positions_whole(out, self.point_move(&shape))
            })
            .collect()
    }
}

/// Whole numbers from a property, as floats: one number for every axis, or a list (`None` entries
/// allowed where `full` gives the axis size). A list or array of one number is that number for
/// every axis, as numpy broadcasts it in DeepTrack2 (`crop=(1,)`).
fn whole_numbers(value: &Value, ndim: usize, full: Option<&[usize]>) -> Result<Vec<f64>> {
    let mut items: Vec<Value> = match value {
        // A bool is the size 1 or 0, as numpy reads it.
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => vec![value.clone(); ndim],
        Value::List(items) | Value::Tuple(items) => items.clone(),
        Value::Array(a) => a.iter().map(|&x| Value::Float(x)).collect(),
        Value::IntArray(a) => a.iter().map(|&x| Value::Int(x)).collect(),
        other => return Err(Error::type_mismatch(format!("expected sizes, got {}", other.kind_name()))),
    };
    if items.len() == 1 && ndim > 1 {
        let one = match (&items[0], full) {
            (Value::None, Some(full)) => Value::Int(full.first().copied().unwrap_or(0) as i64),
            (v, _) => v.clone(),
        };
        items = vec![one; ndim];
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match (v, full) {
            (Value::None, Some(full)) => Ok(full.get(i).copied().unwrap_or(0) as f64),
            _ => {
                let x = v.to_scalar()?;
                if x >= 0.0 && x.fract() == 0.0 {
                    Ok(x)
                } else {
                    Err(Error::invalid(format!("expected non-negative whole sizes, got {x}")))
                }
            }
        })
        .collect()
}

/// Sizes as [`whole_numbers`] gives them; those beyond the addressable range saturate (crop sizes and
/// corners only compare with and wrap around the image's sizes).
fn sizes(value: &Value, ndim: usize, full: Option<&[usize]>) -> Result<Vec<usize>> {
    Ok(whole_numbers(value, ndim, full)?.into_iter().map(|x| x as usize).collect())
}

/// `Pad(px=(0,0,0,0))`: zeros before and after each axis, `px` giving (before, after) pairs in axis
/// order; positions shift by the padding before. A 0-d image with one pair comes back unchanged (numpy
/// broadcasts the pair over no axes in DeepTrack2).
#[derive(Clone)]
struct Pad;

impl FeatureKind for Pad {
    /// Complex images: the real and imaginary parts in turn (linear, deterministic given the properties).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Parts
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Pad"
    }

    fn is_distributed(&self) -> bool {
        false
    }

    /// int64 and uint64 samples are padded in their type (no float64 copy of them is made); the
    /// other narrow types are read as float64 by [`padded`].
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        // Deterministic: alike for every image whatever its value (checked all the same).
        Params::new(PAD.params, props).bool("time_consistent")?;
        inputs
            .iter()
            .map(|img| {
                let ndim = img.shape().len();
                let p = Params::new(PAD.params, props);
                let px: Vec<usize> = p.vec("px")?.into_iter().map(|x| x as usize).collect();
                if let Value::Int(_) | Value::Float(_) = p.value("px")? {
                    // One number: every axis padded by it before and after.
                    let pad = vec![(px[0], px[0]); ndim];
                    let mode = padding::Mode::parse(p.str("mode")?, p.f64("cval")?);
                    return padded(img, &pad, mode).map_err(|e| e.in_property("px"));
                }
                if ndim == 0 && px.len() == 2 {
                    // numpy broadcasts one (before, after) pair over the axes a 0-d array does not
                    // have: DeepTrack2 returns it unchanged.
                    return Ok(img.clone());
                }
                if px.len() % 2 != 0 || px.len() / 2 > ndim {
                    return Err(Error::invalid(format!(
                        "expected (before, after) pairs for at most {} axes, got {} numbers",
                        ndim,
                        px.len()
                    ))
                    .in_property("px"));
                }
                let pad: Vec<(usize, usize)> = (0..ndim)
                    .map(|a| (px.get(2 * a).copied().unwrap_or(0), px.get(2 * a + 1).copied().unwrap_or(0)))
                    .collect();
                let mode = padding::Mode::parse(p.str("mode")?, p.f64("cval")?);
                padded(img, &pad, mode).map_err(|e| e.in_property("px"))
            })
            .collect()
    }
}

/// Whether `dtype` is an integer type narrower than 64 bits.
fn narrow_int(dtype: crate::dtype::Dtype) -> bool {
    use crate::dtype::Dtype;
    matches!(dtype, Dtype::Int32 | Dtype::Int16 | Dtype::Int8 | Dtype::UInt32 | Dtype::UInt16 | Dtype::UInt8)
}

/// `img` padded by `pad` per axis in `mode`, its positions shifted by the padding before.
fn padded(img: &Image, pad: &[(usize, usize)], mode: padding::Mode) -> Result<Image> {
    // int64 and uint64 samples are padded in their type: their float64 values are exact only to 2^53.
    let out = match img.wide_ints() {
        Some(WideInts::I64(x)) => {
            let out = padding::pad(&x, pad, mode)?;
            let shape = out.shape().to_vec();
            img.with_typed(&shape, TypedSamples::from_i64(out.into_raw_vec_and_offset().0))
        }
        Some(WideInts::U64(x)) => {
            let out = padding::pad(&x, pad, mode)?;
            let shape = out.shape().to_vec();
            img.with_typed(&shape, TypedSamples::from_u64(out.into_raw_vec_and_offset().0))
        }
        // The narrower integers' statistics and ramps are numpy's in their type: rounded (or
        // floored) axis by axis, each axis's from the samples the previous ones wrote. Their float64
        // values are exact, so they are padded as int64 and cast back.
        None if narrow_int(img.dtype()) && mode.computes() => {
            img.float64_ready()?;
            let x = img.data().mapv(|v| v as i64);
            img.with_data_in_type(padding::pad(&x.view(), pad, mode)?.mapv(|v| v as f64))?
        }
        None => {
            img.float64_ready()?;
            img.with_data_in_type(padding::pad(&img.data(), pad, mode)?)?
        }
    };
    let (r, c) = (pad.first().map_or(0, |p| p.0) as i64, pad.get(1).map_or(0, |p| p.0) as i64);
    move_positions_whole(out, WholeMove::Shift([r, c]))
}

/// Crop sizes: whole numbers (`None` entries keep the axis). A size of 0 is allowed, as in DeepTrack2:
/// `crop=0` with "retain" keeps one sample per axis (the crop never removes a whole axis).
fn crop_sizes(value: &Value, ndim: usize, full: Option<&[usize]>) -> Result<Vec<usize>> {
    sizes(value, ndim, full)
}

/// Python's `c % m` for entry `i` of a checked corner (0 when missing): exact for any integer and any
/// whole float, however large.
fn wrap(corner: &Value, i: usize, m: usize) -> usize {
    let entry = match corner {
        Value::List(items) | Value::Tuple(items) => items.get(i).cloned(),
        Value::Array(a) => a.iter().nth(i).map(|&x| Value::Float(x)),
        Value::IntArray(a) => a.iter().nth(i).map(|&x| Value::Int(x)),
        other => Some(other.clone()),
    };
    match entry {
        Some(Value::Int(c)) => c.rem_euclid(m as i64) as usize,
        // A 0-d array or a bool (checked by `corner` as a whole number), as numpy reads it.
        Some(other) => other.to_scalar().map_or(0, |c| (c % m as f64) as usize),
        None => 0,
    }
}

/// `"random"` or whole numbers.
fn corner(value: &Value) -> Result<()> {
    match value {
        Value::Str(s) if s.as_str() == "random" => Ok(()),
        Value::Str(s) => Err(Error::invalid(format!("expected 'random' or a corner position, got '{}'", s.as_str()))),
        Value::List(_) | Value::Tuple(_) | Value::Array(_) | Value::IntArray(_) => sizes(value, 0, None).map(|_| ()),
        other => {
            Err(Error::type_mismatch(format!("expected 'random' or a list of positions, got {}", other.kind_name())))
        }
    }
}

/// `Crop(crop=(64,64), crop_mode="retain", corner="random")`: keeps a window of size `crop`
/// (`"retain"`) or removes `crop` pixels (`"remove"`) per axis, at a random corner or at `corner`;
/// positions shift by the corner. Every image of one shape computed with one sample of the
/// properties gets the same random corner, with or without `time_consistent` (`corner_generator`).
struct Crop {
    draws: Arc<ConsistentDraws>,
}

impl FeatureKind for Crop {
    /// Complex images: the real and imaginary parts in turn (linear, deterministic given the properties).
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(Crop { draws: ConsistentDraws::fresh() })
    }

    fn name(&self) -> &str {
        "Crop"
    }

    fn is_distributed(&self) -> bool {
        false
    }

    /// The crop is a view: of an image holding narrow samples it shares them and keeps their dtype.
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        // Checked, but the corner is drawn alike either way (see `corner_generator`).
        Params::new(CROP.params, props).bool("time_consistent")?;
        inputs
            .iter()
            .map(|img| {
                let shape = logical_shape(img);
                let p = Params::new(CROP.params, props);
                let mut crop = p.parse("crop", |v| crop_sizes(v, shape.len(), Some(shape)))?;
                if crop.len() == 1 {
                    // One size in a list broadcasts over every axis, as numpy's subtraction in
                    // DeepTrack2 2.0.1 does; a list of another length leaves the axes beyond it whole.
                    crop = vec![crop[0]; shape.len()];
                }
                crop.resize(shape.len(), usize::MAX);
                let remove = p.str("crop_mode")? == "remove";
                p.value("corner")?;
                let amount: Vec<usize> = (0..shape.len())
                    .map(|a| {
                        let n = shape[a];
                        let amount = if remove { crop[a] } else { n.saturating_sub(crop[a].min(n)) };
                        amount.min(n.saturating_sub(1))
                    })
                    .collect();
                let mut rng = corner_generator(&self.draws, props, rs);
                cropped(img, &amount, props.require("corner")?, &mut rng)
            })
            .collect()
    }
}

/// The generator a crop draws its random corner from: the same stream for every image computed with
/// one sample of the properties, whatever `time_consistent` says, as DeepTrack2 2.0.1 reseeds
/// `np.random` from the feature's seed (drawn once per update) before every image. Images of one
/// shape computed before an update (a list, a sequence's frames, or new inputs given to the feature)
/// so share the corner; an image of another shape draws from the same stream with other bounds.
fn corner_generator(draws: &ConsistentDraws, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Generator {
    draws.per_sample(props, rs)
}

/// `img` with `amount[a]` samples removed from axis `a`, starting at `corner` (`"random"`: drawn
/// uniformly; else whole numbers wrapped into range, as DeepTrack2's `c % (amount + 1)`); positions
/// shift by the corner. A corner shorter than the image's axes crops only the axes it gives, as
/// DeepTrack2 2.0.1 zips the corner with the axes: the others are kept whole.
fn cropped(img: &Image, amount: &[usize], corner: &Value, rng: &mut dyn RngCore) -> Result<Image> {
    let shape = logical_shape(img);
    let (start, amount): (Vec<usize>, Vec<usize>) = match corner {
        Value::Str(s) if s.as_str() == "random" => {
            (amount.iter().map(|&a| rng.random_range(0..=a)).collect(), amount.to_vec())
        }
        corner => {
            whole_numbers(corner, shape.len(), None).map_err(|e| e.in_property("corner"))?;
            // Counted as given: a corner of one item crops the first axis only (2.0.1 zips it with
            // the axes), where a crop size of one item stands for every axis.
            let given = match corner {
                Value::List(items) | Value::Tuple(items) => items.len(),
                Value::Array(a) => a.len(),
                Value::IntArray(a) => a.len(),
                _ => shape.len(),
            };
            let cropped = |i: usize| i < given;
            (
                (0..amount.len()).map(|i| if cropped(i) { wrap(corner, i, amount[i] + 1) } else { 0 }).collect(),
                (0..amount.len()).map(|i| if cropped(i) { amount[i] } else { 0 }).collect(),
            )
        }
    };
    // numpy's basic slicing: a view of the input's samples, in O(1).
    let mut kept: Vec<usize> = shape.iter().zip(&amount).map(|(&n, &a)| n - a).collect();
    let mut corner = start.clone();
    if img.is_complex() {
        // The last axis of parts, whole.
        corner.push(0);
        kept.push(2);
    }
    let mut out = img.sub_block(&corner, &kept)?;
    out.set_complex(img.is_complex())?;
    let (r, c) = (start.first().copied().unwrap_or(0) as i64, start.get(1).copied().unwrap_or(0) as i64);
    move_positions_whole(out, WholeMove::Shift([-r, -c]))
}

/// The shape of the numbers of `img`: its shape, without the last axis of parts of a complex image.
fn logical_shape(img: &Image) -> &[usize] {
    let shape = img.shape();
    if img.is_complex() { &shape[..shape.len() - 1] } else { shape }
}

/// A `multiple` of `CropToMultiplesOf` / `PadToMultiplesOf`: one for every axis, or one per axis, each a
/// whole number of at least 1, or -1 / `None` to leave the axis alone.
fn multiples(value: &Value) -> Result<()> {
    let items: Vec<Value> = match value {
        Value::List(items) | Value::Tuple(items) => items.clone(),
        Value::Array(a) => a.iter().map(|&x| Value::Float(x)).collect(),
        Value::IntArray(a) => a.iter().map(|&x| Value::Int(x)).collect(),
        other => vec![other.clone()],
    };
    for item in &items {
        if let Value::None = item {
            continue;
        }
        let m = item.to_scalar()?;
        if m.fract() != 0.0 || (m < 1.0 && m != -1.0) || m > MAX_PAD {
            return Err(Error::invalid(format!(
                "expected whole numbers from 1 to {}, or -1 or None to keep an axis, got {}",
                super::show(MAX_PAD),
                super::show(m)
            )));
        }
    }
    Ok(())
}

/// The multiple for each of `ndim` axes (`None`: the axis is left alone).
fn multiple_per_axis(value: &Value, ndim: usize) -> Vec<Option<usize>> {
    let one = |v: &Value| match v.to_scalar() {
        Ok(m) if m >= 1.0 => Some(m as usize),
        _ => None,
    };
    match value {
        Value::List(items) | Value::Tuple(items) => (0..ndim).map(|a| items.get(a).and_then(one)).collect(),
        Value::Array(arr) => (0..ndim).map(|a| arr.iter().nth(a).and_then(|&m| one(&Value::Float(m)))).collect(),
        Value::IntArray(arr) => (0..ndim).map(|a| arr.iter().nth(a).and_then(|&m| one(&Value::Int(m)))).collect(),
        other => vec![one(other); ndim],
    }
}

const MULTIPLE: ParamSpec = ParamSpec {
    check: Some(multiples),
    ..ParamSpec::new(
        "multiple",
        ParamKind::Any,
        ParamDefault::Value(Const::Int(1)),
        "the multiple per axis (one for all, or one per axis; -1 or None keeps the axis)",
    )
};

/// `CropToMultiplesOf`'s `crop`: DeepTrack2 2.0.1 records there the function it computes the crop
/// with (dropping any `crop` given); the library computes it from `multiple` for each image and
/// records None.
const COMPUTED_CROP: ParamSpec = ParamSpec {
    nullable: true,
    check: Some(|v| computed(v, "the crop", "multiple")),
    ..ParamSpec::new(
        "crop",
        ParamKind::Any,
        ParamDefault::Value(Const::None),
        "None: the size kept is computed from `multiple` for each image",
    )
};

/// `CropToMultiplesOf`'s `crop_mode`: always "retain", as DeepTrack2 2.0.1 sets it.
const CROP_MODE_RETAIN: ParamSpec = ParamSpec::new(
    "crop_mode",
    ParamKind::Str { choices: &["retain"] },
    ParamDefault::Value(Const::Str("retain")),
    "\"retain\": the computed size is the size kept",
);

/// `PadToMultiplesOf`'s `px`: DeepTrack2 2.0.1 records there the function it computes the padding
/// with; the library computes it from `multiple` for each image and records None.
const COMPUTED_PX: ParamSpec = ParamSpec {
    nullable: true,
    check: Some(|v| computed(v, "the padding", "multiple")),
    ..ParamSpec::new(
        "px",
        ParamKind::Any,
        ParamDefault::Value(Const::None),
        "None: the padding is computed from `multiple` for each image",
    )
};

/// A property that the kind computes itself: only None (the default) is accepted.
fn computed(value: &Value, what: &str, from: &str) -> Result<()> {
    match value {
        Value::None => Ok(()),
        other => Err(Error::invalid(format!(
            "expected None ({what} is computed from `{from}` for each image; set `{from}` instead), got {other}"
        ))),
    }
}

const CROP_TO_MULTIPLES_OF: KindSpec = KindSpec {
    name: "CropToMultiplesOf",
    aliases: &[],
    module: "augmentations",
    base: "Crop",
    zero_d_array: false,
    bool_output: false,
    doc: "Crops each axis down to a multiple of `multiple`, at a random or given corner; positions follow.",
    params: &[TIME_CONSISTENT, COMPUTED_CROP, CROP_MODE_RETAIN, CROP.params[3], MULTIPLE],
    positional: &["multiple", "corner"],
    make: |_| Box::new(ToMultiplesOf { crop: true, draws: ConsistentDraws::fresh() }),
};

const PAD_TO_MULTIPLES_OF: KindSpec = KindSpec {
    name: "PadToMultiplesOf",
    aliases: &[],
    module: "augmentations",
    base: "Pad",
    zero_d_array: false,
    bool_output: false,
    doc: "Pads each axis up to a multiple of `multiple`, half before and half after; positions follow.",
    params: &[TIME_CONSISTENT, COMPUTED_PX, PAD.params[2], PAD.params[3], MULTIPLE],
    positional: &["multiple"],
    make: |_| Box::new(ToMultiplesOf { crop: false, draws: ConsistentDraws::fresh() }),
};

/// `CropToMultiplesOf(multiple=1, corner="random")`: `Crop` to `(n // m) * m` per axis;
/// `PadToMultiplesOf(multiple=1)`: `Pad` by `-n % m` per axis, `// 2` of it before.
struct ToMultiplesOf {
    crop: bool,
    /// The random corners of its crops, one stream per sample (see `corner_generator`).
    draws: Arc<ConsistentDraws>,
}

impl FeatureKind for ToMultiplesOf {
    /// Complex images: `CropToMultiplesOf` crops their numbers (one corner for both parts);
    /// `PadToMultiplesOf` pads each part in turn (the imaginary parts with 0 for `cval`).
    fn complex_inputs(&self) -> ComplexInputs {
        if self.crop { ComplexInputs::Native } else { ComplexInputs::Parts }
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(ToMultiplesOf { crop: self.crop, draws: ConsistentDraws::fresh() })
    }

    fn name(&self) -> &str {
        if self.crop { "CropToMultiplesOf" } else { "PadToMultiplesOf" }
    }

    fn is_distributed(&self) -> bool {
        false
    }

    /// `CropToMultiplesOf` is a view (sharing narrow samples, as `Crop`); `PadToMultiplesOf` computes
    /// in float64.
    fn reads_narrow_samples(&self) -> bool {
        self.crop
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let spec = if self.crop { &CROP_TO_MULTIPLES_OF } else { &PAD_TO_MULTIPLES_OF };
        let p = Params::new(spec.params, props);
        // Checked, but a crop's corner is drawn alike either way (see `corner_generator`).
        p.bool("time_consistent")?;
        p.value(if self.crop { "crop" } else { "px" })?;
        let multiple = p.value("multiple")?;
        inputs
            .iter()
            .map(|img| {
                let shape = logical_shape(img);
                let m = multiple_per_axis(multiple, shape.len());
                if self.crop {
                    let amount: Vec<usize> = (0..shape.len())
                        .map(|a| m[a].map_or(0, |m| shape[a] % m).min(shape[a].saturating_sub(1)))
                        .collect();
                    let mut rng = corner_generator(&self.draws, props, rs);
                    cropped(img, &amount, p.value("corner")?, &mut rng)
                } else {
                    let pad: Vec<(usize, usize)> = (0..shape.len())
                        .map(|a| {
                            let add = m[a].map_or(0, |m| (m - shape[a] % m) % m);
                            (add / 2, add - add / 2)
                        })
                        .collect();
                    let mode = padding::Mode::parse(p.str("mode")?, p.f64("cval")?);
                    padded(img, &pad, mode).map_err(|e| e.in_property("multiple"))
                }
            })
            .collect()
    }
}
