//! Validation of a value against a [`ParamSpec`]: its kind, its bounds, then its extra check. The
//! messages state what was expected and any limit ("2000000 exceeds the maximum of 1000000"); the
//! caller names the property and feature.

use super::{ParamKind, ParamSpec, Support};
use crate::error::{Error, Result};
use crate::features::show;
use crate::value::Value;

pub(super) fn validate(spec: &ParamSpec, value: &Value) -> Result<()> {
    if spec.support == Support::OnlyDefault {
        return only_default(spec, value);
    }
    if spec.nullable && matches!(value, Value::None) {
        return Ok(());
    }
    match spec.kind {
        ParamKind::Any | ParamKind::Callback | ParamKind::Feature | ParamKind::Features => {}
        ParamKind::Number => number(spec, value.to_number()?)?,
        ParamKind::Integer => {
            let x = value.to_number()?;
            whole(spec, x)?;
            number(spec, x)?;
        }
        ParamKind::Bool => {
            value.as_bool()?;
        }
        ParamKind::Dtype => {
            let s = value.as_str()?;
            if crate::dtype::NumpyType::parse(s).is_none() {
                return Err(Error::invalid(crate::dtype::NumpyType::refusal(s)));
            }
        }
        ParamKind::Str { choices } => {
            let s = value.as_str()?;
            if !choices.is_empty() && !choices.contains(&s) {
                return Err(Error::invalid(format!("expected {}, got '{s}'", one_of(choices))));
            }
        }
        ParamKind::Vector { min_len, max_len, whole: integers } => {
            let v = value.to_f64_vec()?;
            if !(min_len..=max_len).contains(&v.len()) {
                return Err(Error::invalid(format!("expected {}, got {}", count(min_len, max_len), v.len())));
            }
            for &x in &v {
                if integers {
                    whole(spec, x)?;
                }
                number(spec, x)?;
            }
        }
        ParamKind::Array => elements(spec, value)?,
        ParamKind::Arrays => match value {
            Value::List(items) | Value::Tuple(items) => items.iter().try_for_each(|item| elements(spec, item))?,
            other => elements(spec, other)?,
        },
        ParamKind::Axis => {
            value.to_axes()?;
        }
    }
    match spec.check {
        Some(check) => check(value),
        None => Ok(()),
    }
}

/// `value` as numbers of any shape, each within the bounds of `spec` when it has any (unbounded
/// arrays may hold NaN and infinities, as numpy's do).
fn elements(spec: &ParamSpec, value: &Value) -> Result<()> {
    // The arithmetic kinds' operands may be complex (`Add(value=1j)`), as numpy's are.
    if spec.kind == ParamKind::Arrays
        && spec.min == f64::NEG_INFINITY
        && spec.max == f64::INFINITY
        && matches!(value, Value::Complex(..) | Value::ComplexArray(_))
    {
        return Ok(());
    }
    let a = value.to_array()?;
    if spec.min == f64::NEG_INFINITY && spec.max == f64::INFINITY {
        return Ok(());
    }
    a.iter().try_for_each(|&x| number(spec, x))
}

/// `x` within the bounds of `spec` (NaN never is).
fn number(spec: &ParamSpec, x: f64) -> Result<()> {
    let noun = if matches!(spec.kind, ParamKind::Integer | ParamKind::Vector { whole: true, .. }) {
        "integer"
    } else {
        "number"
    };
    if x.is_nan() {
        let what = match (spec.min, spec.min_open) {
            (0.0, true) => "positive ",
            (0.0, false) => "non-negative ",
            (m, _) if m == -f64::MAX => "finite ",
            _ => "",
        };
        return Err(Error::invalid(format!("expected a {what}{noun}, got NaN")));
    }
    let below = if spec.min_open { x <= spec.min } else { x < spec.min };
    if below {
        return Err(Error::invalid(match (spec.min, spec.min_open) {
            (m, _) if m == -f64::MAX => format!("expected a finite number, got {}", show(x)),
            (0.0, true) => format!("expected a positive {noun}, got {}", show(x)),
            (0.0, false) => format!("expected a non-negative {noun}, got {}", show(x)),
            (1.0, false) if noun == "integer" => format!("expected a positive integer, got {}", show(x)),
            (m, true) => format!("expected a {noun} greater than {}, got {}", show(m), show(x)),
            (m, false) => format!("{} is below the minimum of {}", show(x), show(m)),
        }));
    }
    let above = if spec.max_open { x >= spec.max } else { x > spec.max };
    if above {
        return Err(Error::invalid(if spec.max == f64::MAX || !x.is_finite() && spec.max.is_finite() {
            format!("expected a finite number, got {}", show(x))
        } else if spec.max_open {
            format!("expected a {noun} less than {}, got {}", show(spec.max), show(x))
        } else {
            format!("{} exceeds the maximum of {}", show(x), show(spec.max))
        }));
    }
    Ok(())
}

/// `x` whole (NaN and infinities are left to the bounds).
fn whole(spec: &ParamSpec, x: f64) -> Result<()> {
    if x.fract() == 0.0 || !x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(format!("expected {}, got {}", integer(spec), show(x))))
    }
}

/// "a positive integer" (a lower bound of 1), "a non-negative integer" (0), "an integer".
fn integer(spec: &ParamSpec) -> &'static str {
    match (spec.min, spec.min_open) {
        (1.0, false) | (0.0, true) => "a positive integer",
        (0.0, false) => "a non-negative integer",
        _ => "an integer",
    }
}

/// A parameter the library supports at its default only.
fn only_default(spec: &ParamSpec, value: &Value) -> Result<()> {
    let default = match spec.default {
        super::ParamDefault::Value(c) => c.to_value(),
        _ => Value::None,
    };
    let same = match (&default, value) {
        (Value::None, Value::None) => true,
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => default.as_f64()? == value.as_f64()?,
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "only {} is supported by libdeeptrack, got {value} ({})",
            python(&default),
            spec.doc
        )))
    }
}

/// A value as Python writes it (`'pixel'`, `None`, `1`).
fn python(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("'{}'", s.as_str()),
        other => other.to_string(),
    }
}

/// `'a'`, `'a' or 'b'`, `one of 'a', 'b', 'c'`.
fn one_of(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    match quoted.len() {
        1 => quoted[0].clone(),
        2 => format!("{} or {}", quoted[0], quoted[1]),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// "2 numbers", "2 or 3 numbers", "at least 1 number", "1 to 4 numbers".
fn count(min: usize, max: usize) -> String {
    let plural = |n: usize| if n == 1 { "number" } else { "numbers" };
    if min == max {
        format!("{min} {}", plural(min))
    } else if max == usize::MAX {
        format!("at least {min} {}", plural(min))
    } else if max == min + 1 {
        format!("{min} or {max} numbers")
    } else {
        format!("{min} to {max} numbers")
    }
}
