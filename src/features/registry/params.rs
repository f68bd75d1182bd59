//! Typed access to a kind's sampled properties: each read checks the value against the parameter's
//! spec (kind, bounds, extra check) and converts it, with errors that name the property. A kind
//! reads `p.f64("sigma")?`; the spec says what a valid sigma is, once, for `set_property` and for
//! every sample.

use std::sync::Arc;

use ndarray::ArrayD;

use super::{ParamSpec, validate};
use crate::error::{Error, Result};
use crate::properties::PropertyDict;
use crate::value::Value;

/// A parameter that numpy broadcasts with the image (`image + offset`, `np.clip(image, min, max)`):
/// one number, or an array of numbers (`np.full(5, 1.0)`, `[1, 2]`, the array output of a feature).
#[derive(Clone, Debug)]
pub enum Operand {
    /// A number (an integer, a float, a bool, or a 0-d array).
    Number(f64),
    /// An array of one or more axes, broadcast with the image as numpy does.
    Array(Arc<ArrayD<f64>>),
}

/// A kind's sampled properties, read through its spec.
pub struct Params<'a> {
    params: &'static [ParamSpec],
    props: &'a PropertyDict,
}

impl<'a> Params<'a> {
    /// The properties `props` of a feature whose kind has the parameters `params` (its
    /// [`super::KindSpec::params`]).
    pub fn new(params: &'static [ParamSpec], props: &'a PropertyDict) -> Params<'a> {
        Params { params, props }
    }

    /// The raw properties.
    pub fn dict(&self) -> &'a PropertyDict {
        self.props
    }

    /// The value of `key`, checked against its parameter (a key the kind does not declare is only
    /// required to be present).
    pub fn value(&self, key: &str) -> Result<&'a Value> {
        let value = self.props.require(key)?;
        validate(self.params, key, value)?;
        Ok(value)
    }

    /// The value of an optional parameter: `None` when absent or `None`, else checked.
    pub fn optional(&self, key: &str) -> Result<Option<&'a Value>> {
        match self.props.get(key) {
            None | Some(Value::None) => Ok(None),
            Some(v) => {
                validate(self.params, key, v)?;
                Ok(Some(v))
            }
        }
    }

    /// A checked value converted by `parse` (a family's own conversion); its error names `key`.
    pub fn parse<T>(&self, key: &str, parse: impl FnOnce(&Value) -> Result<T>) -> Result<T> {
        parse(self.value(key)?).map_err(|e| e.in_property(key))
    }

    /// A number (bounds as the spec says); a one-element array is its number ([`Value::to_number`]).
    pub fn f64(&self, key: &str) -> Result<f64> {
        self.parse(key, Value::to_number)
    }

    /// A number or an array that broadcasts with the image ([`Operand`]): the spec's kind is
    /// [`super::ParamKind::Array`] (bounds apply to every element).
    pub fn operand(&self, key: &str) -> Result<Operand> {
        self.parse(key, |v| {
            let a = v.to_array()?;
            Ok(match a.ndim() {
                0 => Operand::Number(a.iter().copied().next().expect("a 0-d array holds one number")),
                _ => Operand::Array(a),
            })
        })
    }

    /// An optional [`Params::operand`]: `None` when absent or `None`.
    pub fn opt_operand(&self, key: &str) -> Result<Option<Operand>> {
        match self.optional(key)? {
            None => Ok(None),
            Some(_) => self.operand(key).map(Some),
        }
    }

    /// An optional number: `None` when absent or `None`.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.optional(key)?.map(|v| v.to_number().map_err(|e| e.in_property(key))).transpose()
    }

    /// A non-negative whole number (a spec with a lower bound of 0 or more, and at most `usize`).
    pub fn usize(&self, key: &str) -> Result<usize> {
        self.parse(key, |v| {
            let x = v.to_number()?;
            if x >= 0.0 && x.fract() == 0.0 && x <= usize::MAX as f64 {
                Ok(x as usize)
            } else {
                Err(Error::invalid(format!("expected a non-negative whole number, got {}", crate::features::show(x))))
            }
        })
    }

    /// A bool.
    pub fn bool(&self, key: &str) -> Result<bool> {
        self.parse(key, Value::as_bool)
    }

    /// A string (one of the spec's choices, when it has them).
    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.value(key)?.as_str().map_err(|e| e.in_property(key))
    }

    /// A vector of numbers (a single number is a vector of one).
    pub fn vec(&self, key: &str) -> Result<Vec<f64>> {
        self.parse(key, Value::to_f64_vec)
    }

    /// Numbers of any shape, as an array (shared when the value is one).
    pub fn array(&self, key: &str) -> Result<Arc<ArrayD<f64>>> {
        self.parse(key, Value::to_array)
    }

    /// Checks every property the kind declares (the others are metadata).
    pub fn check_all(&self) -> Result<()> {
        self.props.iter().try_for_each(|(key, value)| validate(self.params, key, value))
    }
}
