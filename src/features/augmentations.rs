//! Augmentations: `FlipLR`, `FlipUD`, `FlipDiagonal`. Each flips with probability `p` (the property
//! `augment` draws `U[0,1) < p`) and moves `position` to match, in *copies* of the output's dicts, never
//! in the dicts that upstream results share (a deliberate difference from DeepTrack2 2.0.1, which
//! mutates them).

use std::sync::Arc;

use ndarray::{ArrayD, Axis};

use super::FeatureKind;
use crate::error::{Error, Result};
use crate::graph::{ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// Names registered by this family.
pub const NAMES: &[&str] = &["FlipLR", "FlipUD", "FlipDiagonal"];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    let flip = match name {
        "FlipLR" => Flip::LeftRight,
        "FlipUD" => Flip::UpDown,
        "FlipDiagonal" => Flip::Diagonal,
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
        if p.len() < 2 {
            return;
        }
        match self {
            Flip::LeftRight => p[1] = shape[1] as f64 - p[1] - 1.0,
            Flip::UpDown => p[0] = shape[0] as f64 - p[0] - 1.0,
            Flip::Diagonal => p.swap(0, 1),
        }
    }

    /// A moved copy of a `position` value: one point, or an array of points along the last axis.
    fn move_position(self, value: &Value, shape: &[usize]) -> Option<Value> {
        match value {
            Value::Array(a) if a.ndim() >= 1 => {
                let mut moved = (**a).clone();
                for mut lane in moved.lanes_mut(Axis(a.ndim() - 1)) {
                    let mut p: Vec<f64> = lane.to_vec();
                    self.move_point(&mut p, shape);
                    lane.iter_mut().zip(p).for_each(|(slot, v)| *slot = v);
                }
                Some(Value::array(moved))
            }
            Value::List(_) => {
                let mut p = value.to_f64_vec().ok()?;
                self.move_point(&mut p, shape);
                Some(Value::vector(&p))
            }
            _ => None,
        }
    }
}

impl FeatureKind for Flip {
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
            ("augment", Rule::callback(|ctx| Ok(Value::Bool(ctx.uniform() < ctx.get("p")?.as_f64()?)))),
        ]
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
        let augment = props.require("augment")?.as_bool().map_err(|e| e.in_property("augment"))?;
        if !augment {
            return Ok(inputs.to_vec());
        }
        inputs
            .iter()
            .map(|img| {
                let data = self.apply(img.data())?;
                let shape = data.shape().to_vec();
                let mut out = img.with_data(data);
                out.clear_properties();
                for dict in img.properties() {
                    let moved = dict.get("position").and_then(|p| self.move_position(p, &shape));
                    match moved {
                        Some(position) => {
                            let mut copy = (**dict).clone();
                            copy.insert("position", position);
                            out.append(Arc::new(copy));
                        }
                        None => out.append(Arc::clone(dict)),
                    }
                }
                Ok(out)
            })
            .collect()
    }
}
