//! Built-in rules for the steps of sequential properties, usable without callbacks (from C:
//! `deeptrack_rule_brownian`, …): each reads the property's `previous_value` (a number, or an array
//! or list of numbers such as a position) and adds an increment to every element.
//!
//! - [`brownian`]: Brownian diffusion, a normal increment of variance `2 D Δt` per axis, with `D` in
//!   m²/s, the frame interval `Δt` in seconds and the pixel size in meters (positions in pixels), or
//!   [`brownian_pixels`] with `D` in pixels² per frame;
//! - [`drift`]: directed motion by a fixed step per frame;
//! - [`increment`]: the previous value plus a draw of any rule that reads nothing else (a uniform,
//!   a normal, a choice, …).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::properties::{Rule, SampleContext};
use crate::value::Value;

/// The previous value of the property plus `step(i)` for each element `i`, as a number for a number
/// and an array of the same shape for an array, a list or a tuple of numbers.
fn moved(
    ctx: &mut dyn SampleContext,
    step: &mut dyn FnMut(&mut dyn SampleContext, usize) -> Result<f64>,
) -> Result<Value> {
    let previous = ctx.get("previous_value")?.clone();
    match &previous {
        Value::Int(_) | Value::Float(_) => Ok(Value::Float(previous.as_f64()? + step(ctx, 0)?)),
        // An integer array moves as floats: a step is a float draw, and numpy's int + float is a float.
        Value::Array(_) | Value::IntArray(_) => {
            let mut out = ArrayD::clone(&*previous.to_array()?);
            for (i, x) in out.iter_mut().enumerate() {
                *x += step(ctx, i)?;
            }
            Ok(Value::Array(Arc::new(out)))
        }
        // A list or a tuple (Python's `position=(16, 16)`) of numbers becomes an array.
        Value::List(_) | Value::Tuple(_) => {
            let mut v = previous.to_f64_vec()?;
            for (i, x) in v.iter_mut().enumerate() {
                *x += step(ctx, i)?;
            }
            Ok(Value::Array(Arc::new(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("1-d"))))
        }
        other => Err(Error::invalid(format!(
            "a motion rule moves numbers, arrays, lists or tuples of numbers; the previous value is {}",
            other.kind_name()
        ))),
    }
}

fn check(what: &str, x: f64, positive: bool) -> Result<()> {
    if !x.is_finite() || x < 0.0 || (positive && x == 0.0) {
        let limit = if positive { "a finite number above 0" } else { "a finite number at least 0" };
        return Err(Error::invalid(format!("{what} must be {limit}, got {x}")));
    }
    Ok(())
}

/// Brownian diffusion of a position in pixels: each step adds to every coordinate a normal
/// increment of standard deviation `sqrt(2 D Δt) / pixel`, with the diffusion constant `D` in m²/s,
/// the frame interval `Δt` in s and the pixel size in m. `InvalidArgument` for a negative or
/// non-finite `D` or `Δt`, or a pixel size that is not above 0.
pub fn brownian(diffusion: f64, frame_interval: f64, pixel_size: f64) -> Result<Rule> {
    check("the diffusion constant (m²/s)", diffusion, false)?;
    check("the frame interval (s)", frame_interval, false)?;
    check("the pixel size (m)", pixel_size, true)?;
    let sigma = (2.0 * diffusion * frame_interval).sqrt() / pixel_size;
    check("the step's standard deviation in pixels", sigma, false)?;
    Ok(normal_steps(sigma))
}

/// Brownian diffusion with the diffusion constant `D` in pixels² per frame: each step adds to every
/// coordinate a normal increment of standard deviation `sqrt(2 D)`. `InvalidArgument` for a negative
/// or non-finite `D`.
pub fn brownian_pixels(diffusion: f64) -> Result<Rule> {
    check("the diffusion constant (pixels² per frame)", diffusion, false)?;
    Ok(normal_steps((2.0 * diffusion).sqrt()))
}

fn normal_steps(sigma: f64) -> Rule {
    Rule::callback(move |ctx| moved(ctx, &mut |ctx, _| Ok(sigma * ctx.normal())))
}

/// Directed motion: each step adds `velocity` (one number for every element, or one per element of
/// the value, in the property's units per frame). `InvalidArgument` for an empty or non-finite
/// velocity; a value whose length differs from the velocity's is an error when the rule runs.
pub fn drift(velocity: &[f64]) -> Result<Rule> {
    if velocity.is_empty() {
        return Err(Error::invalid("a drift needs a velocity of at least one number"));
    }
    for (i, v) in velocity.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::invalid(format!("velocity[{i}] must be finite, got {v}")));
        }
    }
    let velocity = velocity.to_vec();
    Ok(Rule::callback(move |ctx| {
        moved(ctx, &mut |_, i| match (velocity.len(), velocity.get(i)) {
            (1, _) => Ok(velocity[0]),
            (_, Some(v)) => Ok(*v),
            (n, None) => Err(Error::invalid(format!(
                "the drift's velocity has {n} numbers, fewer than the value it moves has elements"
            ))),
        })
    }))
}

/// The previous value plus a draw of `step` per element (a number drawn for each element; an array
/// or list drawn once per step and added element by element). `step` must read nothing else: a
/// link, a feature's output or a sequential rule is `InvalidArgument`.
pub fn increment(step: Rule) -> Result<Rule> {
    if step.links() || matches!(step, Rule::Sequential(_)) {
        return Err(Error::invalid("the increment of a sequential property must be a rule that reads nothing else"));
    }
    Ok(Rule::callback(move |ctx| {
        let mut drawn: Option<Vec<f64>> = None;
        moved(ctx, &mut |ctx, i| {
            if let Some(values) = &drawn {
                if values.len() > 1 {
                    return values.get(i).copied().ok_or_else(|| {
                        Error::invalid(format!(
                            "the increment has {} numbers, fewer than the value it moves has elements",
                            values.len()
                        ))
                    });
                }
            }
            let value = step.sample_simple(ctx)?;
            match value {
                Value::Int(_) | Value::Float(_) => value.as_f64(),
                other => {
                    // An array of any shape is added element by element, in C order.
                    let values: Vec<f64> = match &other {
                        Value::Array(a) => a.iter().copied().collect(),
                        Value::IntArray(a) => a.iter().map(|&x| x as f64).collect(),
                        other => other.to_f64_vec()?,
                    };
                    let x = values.get(i).copied().or(values.first().copied().filter(|_| values.len() == 1));
                    let x = x.ok_or_else(|| Error::invalid("the increment drew an empty array"))?;
                    drawn = Some(values);
                    Ok(x)
                }
            }
        })
    }))
}
