//! Augmentations: `FlipLR`, `FlipUD`, `FlipDiagonal` (each with probability `p`: the property `augment`
//! draws `U[0,1) < p`), `Pad` and `Crop`. Each moves `position` to the output's frame, in *copies* of
//! the output's dicts, never in the dicts that upstream results share (a deliberate difference from
//! DeepTrack2 2.0.1, which mutates them).

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn, Slice};
use rand::Rng;

use super::FeatureKind;
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{ReplicaId, Resolver};
use crate::image::{Image, element_count};
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// Names registered by this family.
pub const NAMES: &[&str] = &["FlipLR", "FlipUD", "FlipDiagonal", "Pad", "Crop"];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    let flip = match name {
        "FlipLR" => Flip::LeftRight,
        "FlipUD" => Flip::UpDown,
        "FlipDiagonal" => Flip::Diagonal,
        "Pad" => return Some(Box::new(Pad)),
        "Crop" => return Some(Box::new(Crop)),
        _ => return None,
    };
    Some(Box::new(flip))
}

#[derive(Clone, Copy)]
enum Flip {
    /// Reverses axis 1 (columns).
    LeftRight,
    /// Reverses axis 0 (rows).
    UpDown,
    /// Swaps axes 0 and 1.
    Diagonal,
}

impl Flip {
    fn apply(self, x: &ArrayD<f64>) -> Result<ArrayD<f64>> {
        if x.ndim() < 2 {
            return Err(Error::invalid(format!("expected an image with at least 2 axes, got shape {:?}", x.shape())));
        }
        Ok(match self {
            Flip::LeftRight => {
                let mut v = x.view();
                v.invert_axis(Axis(1));
                v.to_owned()
            }
            Flip::UpDown => {
                let mut v = x.view();
                v.invert_axis(Axis(0));
                v.to_owned()
            }
            Flip::Diagonal => {
                let mut v = x.view();
                v.swap_axes(0, 1);
                v.as_standard_layout().into_owned()
            }
        })
    }

    /// The position of a point after the flip of an image whose flipped shape is `shape`.
    fn move_point(self, p: &mut [f64], shape: &[usize]) {
        match self {
            Flip::LeftRight => p[1] = shape[1] as f64 - p[1] - 1.0,
            Flip::UpDown => p[0] = shape[0] as f64 - p[0] - 1.0,
            Flip::Diagonal => p.swap(0, 1),
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
        Value::Array(a) if a.ndim() >= 1 => {
            let mut out = (**a).clone();
            for mut lane in out.lanes_mut(Axis(a.ndim() - 1)) {
                let mut p: Vec<f64> = lane.to_vec();
                apply(&mut p);
                lane.iter_mut().zip(p).for_each(|(slot, v)| *slot = v);
            }
            Some(Value::array(out))
        }
        Value::List(_) => {
            let mut p = value.to_f64_vec().ok()?;
            apply(&mut p);
            Some(Value::vector(&p))
        }
        _ => None,
    }
}

/// `out` with every dict that has a `position` replaced by a copy with the position moved, so that the
/// ground truth is in `out`'s frame while upstream results keep theirs (and their dicts).
/// The dicts without a position stay shared (and so does the list before the first moved one);
/// `OutOfMemory` when the copy cannot be allocated.
pub(crate) fn move_positions(mut out: Image, mover: &dyn Fn(&mut [f64])) -> Result<Image> {
    let moved = out.properties().try_replace(|dict| {
        let position = moved(dict.get("position")?, mover)?;
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

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![
            ("time_consistent", Rule::constant(false)),
            ("p", Rule::constant(0.5)),
            (
                "augment",
                Rule::callback(|ctx| {
                    let p = ctx.get("p")?;
                    let p = probability(p).map_err(|e| e.in_property("p"))?;
                    Ok(Value::Bool(ctx.uniform() < p))
                }),
            ),
        ]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        match key {
            "p" => probability(value).map(|_| ()),
            "time_consistent" | "augment" => value.as_bool().map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Not distributed: the output keeps the input's dicts, with moved copies of those that have a
    /// position (a distributed merge would bring the unmoved originals back).
    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        props.require("time_consistent")?.as_bool().map_err(|e| e.in_property("time_consistent"))?;
        let augment = props.require("augment")?.as_bool().map_err(|e| e.in_property("augment"))?;
        if !augment {
            return Ok(inputs.to_vec());
        }
        inputs
            .iter()
            .map(|img| {
                let data = self.apply(img.data())?;
                let shape = data.shape().to_vec();
                move_positions(img.with_data(data), &|p| self.move_point(p, &shape))
            })
            .collect()
    }
}

/// A probability: a number in [0, 1].
fn probability(value: &Value) -> Result<f64> {
    let p = value.as_f64()?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(Error::invalid(format!("expected a probability in [0, 1], got {p}")))
    }
}

/// The largest padding `Pad` adds to a side of an axis. The padded image must also fit in memory: a
/// larger one is an out-of-memory error, not an abort.
pub const MAX_PAD: f64 = 1e9;

/// Whole numbers from a property, as floats: one number for every axis, or a list (`None` entries
/// allowed where `full` gives the axis size).
fn whole_numbers(value: &Value, ndim: usize, full: Option<&[usize]>) -> Result<Vec<f64>> {
    let items: Vec<Value> = match value {
        Value::Int(_) | Value::Float(_) => vec![value.clone(); ndim],
        Value::List(items) => items.clone(),
        Value::Array(a) => a.iter().map(|&x| Value::Float(x)).collect(),
        other => return Err(Error::type_mismatch(format!("expected sizes, got {}", other.kind_name()))),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match (v, full) {
            (Value::None, Some(full)) => Ok(full.get(i).copied().unwrap_or(0) as f64),
            _ => {
                let x = v.as_f64()?;
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

/// Paddings: a list of whole numbers up to [`MAX_PAD`] (a single number is an error, as in
/// DeepTrack2, rather than no padding at all).
fn paddings(value: &Value) -> Result<Vec<usize>> {
    if let Value::Int(_) | Value::Float(_) = value {
        return Err(Error::type_mismatch(format!("expected a list of (before, after) pairs, got {value}")));
    }
    whole_numbers(value, 0, None)?
        .into_iter()
        .map(|x| {
            if x <= MAX_PAD {
                Ok(x as usize)
            } else {
                Err(Error::invalid(format!("a padding of {} exceeds the maximum of {MAX_PAD}", super::show(x))))
            }
        })
        .collect()
}

/// `Pad(px=(0,0,0,0))`: zeros before and after each axis, `px` giving (before, after) pairs in axis
/// order; positions shift by the padding before. A 0-d image with one pair comes back unchanged (numpy
/// broadcasts the pair over no axes in DeepTrack2).
#[derive(Clone)]
struct Pad;

impl FeatureKind for Pad {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Pad"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("px", Rule::constant(Value::vector(&[0.0, 0.0, 0.0, 0.0])))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        if key == "px" { paddings(value).map(|_| ()) } else { Ok(()) }
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        inputs
            .iter()
            .map(|img| {
                let x = img.data();
                let px = paddings(props.require("px")?).map_err(|e| e.in_property("px"))?;
                if x.ndim() == 0 && px.len() == 2 {
                    // numpy broadcasts one (before, after) pair over the axes a 0-d array does not
                    // have: DeepTrack2 returns it unchanged.
                    return Ok(img.clone());
                }
                if px.len() % 2 != 0 || px.len() / 2 > x.ndim() {
                    return Err(Error::invalid(format!(
                        "expected (before, after) pairs for at most {} axes, got {} numbers",
                        x.ndim(),
                        px.len()
                    ))
                    .in_property("px"));
                }
                let pad =
                    |axis: usize| (px.get(2 * axis).copied().unwrap_or(0), px.get(2 * axis + 1).copied().unwrap_or(0));
                let shape: Vec<usize> = (0..x.ndim()).map(|a| x.shape()[a] + pad(a).0 + pad(a).1).collect();
                let count = element_count(&shape).map_err(|e| e.in_property("px"))?;
                let zeros = buffer::zeroed(count).map_err(|_| {
                    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the padded image of shape {shape:?}"))
                        .in_property("px")
                })?;
                let mut out = ArrayD::from_shape_vec(IxDyn(&shape), zeros).expect("one zero per element");
                out.slice_each_axis_mut(|ax| {
                    let before = pad(ax.axis.index()).0;
                    Slice::from(before..before + x.shape()[ax.axis.index()])
                })
                .assign(x);
                let (r, c) = (pad(0).0 as f64, pad(1).0 as f64);
                move_positions(img.with_data(out), &|p| {
                    p[0] += r;
                    p[1] += c;
                })
            })
            .collect()
    }
}

/// Crop sizes: whole numbers of at least 1 (`None` entries keep the axis).
fn crop_sizes(value: &Value, ndim: usize, full: Option<&[usize]>) -> Result<Vec<usize>> {
    let crop = sizes(value, ndim, full)?;
    if crop.contains(&0) {
        return Err(Error::invalid(format!("expected crop sizes of at least 1, got {value}")));
    }
    Ok(crop)
}

/// `"retain"` (false) or `"remove"` (true).
fn crop_mode(value: &Value) -> Result<bool> {
    match value.as_str()? {
        "retain" => Ok(false),
        "remove" => Ok(true),
        other => Err(Error::invalid(format!("expected 'retain' or 'remove', got '{other}'"))),
    }
}

/// Python's `c % m` for entry `i` of a checked corner (0 when missing): exact for any integer and any
/// whole float, however large.
fn wrap(corner: &Value, i: usize, m: usize) -> usize {
    let entry = match corner {
        Value::List(items) => items.get(i).cloned(),
        Value::Array(a) => a.iter().nth(i).map(|&x| Value::Float(x)),
        other => Some(other.clone()),
    };
    match entry {
        Some(Value::Int(c)) => c.rem_euclid(m as i64) as usize,
        Some(Value::Float(c)) => (c % m as f64) as usize,
        _ => 0,
    }
}

/// `"random"` or whole numbers.
fn corner(value: &Value) -> Result<()> {
    match value {
        Value::Str(s) if s.as_str() == "random" => Ok(()),
        Value::Str(s) => Err(Error::invalid(format!("expected 'random' or a corner position, got '{}'", s.as_str()))),
        Value::List(_) | Value::Array(_) => sizes(value, 0, None).map(|_| ()),
        other => {
            Err(Error::type_mismatch(format!("expected 'random' or a list of positions, got {}", other.kind_name())))
        }
    }
}

/// `Crop(crop=(64,64), crop_mode="retain", corner="random")`: keeps a window of size `crop`
/// (`"retain"`) or removes `crop` pixels (`"remove"`) per axis, at a random corner or at `corner`;
/// positions shift by the corner.
#[derive(Clone)]
struct Crop;

impl FeatureKind for Crop {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Crop"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![
            ("crop", Rule::constant(Value::vector(&[64.0, 64.0]))),
            ("crop_mode", Rule::constant("retain")),
            ("corner", Rule::constant("random")),
        ]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        match key {
            "crop" => crop_sizes(value, 2, Some(&[1; 32])).map(|_| ()),
            "crop_mode" => crop_mode(value).map(|_| ()),
            "corner" => corner(value).map(|_| ()),
            _ => Ok(()),
        }
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        inputs
            .iter()
            .map(|img| {
                let x = img.data();
                let shape = x.shape();
                let mut crop =
                    crop_sizes(props.require("crop")?, shape.len(), Some(shape)).map_err(|e| e.in_property("crop"))?;
                crop.resize(shape.len(), usize::MAX);
                let remove = crop_mode(props.require("crop_mode")?).map_err(|e| e.in_property("crop_mode"))?;
                corner(props.require("corner")?).map_err(|e| e.in_property("corner"))?;
                let amount: Vec<usize> = (0..shape.len())
                    .map(|a| {
                        let n = shape[a];
                        let amount = if remove { crop[a] } else { n.saturating_sub(crop[a].min(n)) };
                        amount.min(n.saturating_sub(1))
                    })
                    .collect();
                let start: Vec<usize> = match props.require("corner")? {
                    Value::Str(s) if s.as_str() == "random" => {
                        amount.iter().map(|&a| rs.rng().random_range(0..=a)).collect()
                    }
                    corner => {
                        whole_numbers(corner, shape.len(), None).map_err(|e| e.in_property("corner"))?;
                        (0..amount.len()).map(|i| wrap(corner, i, amount[i] + 1)).collect()
                    }
                };
                let out = x
                    .slice_each_axis(|ax| {
                        let a = ax.axis.index();
                        Slice::from(start[a]..shape[a] - amount[a] + start[a])
                    })
                    .to_owned();
                let (r, c) = (start.first().copied().unwrap_or(0) as f64, start.get(1).copied().unwrap_or(0) as f64);
                move_positions(img.with_data(out), &|p| {
                    p[0] -= r;
                    p[1] -= c;
                })
            })
            .collect()
    }
}
