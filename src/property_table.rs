//! The ground truth of an image in one piece: its property dicts (those holding a given key, e.g.
//! every particle's `position`) as a JSON table, for bindings that would otherwise read each entry
//! through a call of their own (`deeptrack_image_table_json`; the Python package's dataset tables).
//!
//! The text is JSON as Python's `json` module reads it: an array with one object per selected dict, in
//! the image's order, holding the dict's entries in their order. An entry is written when its name
//! does not start with `_` and its value is a scalar: `null` (None), `true`/`false`, an integer, a
//! float (shortest round-trip digits, always with a `.` or an exponent so that it reads back as a
//! float; `NaN`, `Infinity` and `-Infinity` as Python writes them), a string, or a 0-d array (its
//! number). The selecting key's own value is written whatever its kind: arrays as nested lists (by
//! their shape; an integer array's elements as integers, a float array's as floats), lists and tuples as lists of their items; complex numbers there are an error. Other
//! lists, tuples, arrays and complex values are left out: they are not scalar properties.

use std::fmt::Write as _;

use crate::error::{Error, ErrorKind, Result};
use crate::property_list::PropertyList;
use crate::value::Value;

/// How deep lists may nest in the selecting key's value (deeper is an error, not a deep recursion).
pub const MAX_NESTING: usize = 64;

/// The dicts of `properties` that hold `key` (every dict when `key` is `None`) as a JSON table (see the
/// module's description). Errors: `OutOfMemory` when the text cannot be allocated; `InvalidArgument`
/// when the key's value holds a complex number or nests deeper than [`MAX_NESTING`].
pub fn table_json(properties: &PropertyList, key: Option<&str>) -> Result<String> {
    let mut out = Json::default();
    out.push("[")?;
    let mut first = true;
    for (index, dict) in properties.iter().enumerate() {
        if key.is_some_and(|k| !dict.contains(k)) {
            continue;
        }
        if !first {
            out.push(",")?;
        }
        first = false;
        out.push("{")?;
        let mut first_entry = true;
        for (name, value) in dict.iter() {
            let selecting = key == Some(name);
            if !selecting && (name.starts_with('_') || !is_scalar(value)) {
                continue;
            }
            if !first_entry {
                out.push(",")?;
            }
            first_entry = false;
            out.string(name)?;
            out.push(":")?;
            if selecting {
                out.value(value, 0).map_err(|e| match e.kind() {
                    ErrorKind::OutOfMemory => e,
                    _ => Error::invalid(format!("in dict {index} of the image, {e}")).in_property(name),
                })?;
            } else {
                out.value(value, MAX_NESTING)?;
            }
        }
        out.push("}")?;
    }
    out.push("]")?;
    Ok(out.text)
}

/// Whether `v` is written as a table entry of its own: None, a bool, a number, a string or a 0-d array.
fn is_scalar(v: &Value) -> bool {
    match v {
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Object(_) => true,
        Value::Array(a) => a.ndim() == 0,
        Value::BoolArray(a) => a.ndim() == 0,
        Value::IntArray(a) => a.ndim() == 0,
        Value::List(_) | Value::Tuple(_) | Value::Complex(..) | Value::ComplexArray(_) => false,
    }
}

/// JSON text grown with fallible allocations.
#[derive(Default)]
struct Json {
    text: String,
}

impl Json {
    fn push(&mut self, s: &str) -> Result<()> {
        self.text.try_reserve(s.len()).map_err(|_| {
            Error::new(
                ErrorKind::OutOfMemory,
                format!("cannot allocate the table's text beyond {} bytes", self.text.len()),
            )
        })?;
        self.text.push_str(s);
        Ok(())
    }

    fn string(&mut self, s: &str) -> Result<()> {
        self.push("\"")?;
        let mut rest = s;
        while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
            self.push(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or(' ');
            match c {
                '"' => self.push("\\\"")?,
                '\\' => self.push("\\\\")?,
                '\n' => self.push("\\n")?,
                '\t' => self.push("\\t")?,
                '\r' => self.push("\\r")?,
                _ => self.push(&format!("\\u{:04x}", c as u32))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.push(rest)?;
        self.push("\"")
    }

    fn float(&mut self, x: f64) -> Result<()> {
        if x.is_nan() {
            return self.push("NaN");
        }
        if x.is_infinite() {
            return self.push(if x > 0.0 { "Infinity" } else { "-Infinity" });
        }
        // Debug is the shortest round-trip form with a `.0` or an exponent: read back as a float.
        let mut s = String::new();
        let _ = write!(s, "{x:?}");
        self.push(&s)
    }

    /// Writes `v` (scalars; at `depth` < MAX_NESTING also arrays, lists and tuples).
    fn value(&mut self, v: &Value, depth: usize) -> Result<()> {
        match v {
            // A host's object has no JSON form: the table holds numbers and text for every reader.
            Value::None | Value::Object(_) => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Int(i) => self.int(*i),
            Value::Float(x) => self.float(*x),
            Value::Str(s) => self.string(s.as_str()),
            Value::Array(a) if a.ndim() == 0 => self.float(a.iter().next().copied().unwrap_or(f64::NAN)),
            Value::BoolArray(a) if a.ndim() == 0 => self.push(if a.iter().any(|&b| b) { "true" } else { "false" }),
            Value::IntArray(a) if a.ndim() == 0 => self.int(a.iter().next().copied().unwrap_or(0)),
            Value::Complex(..) | Value::ComplexArray(_) => {
                Err(Error::invalid("a complex value has no place in a table of real numbers"))
            }
            _ if depth >= MAX_NESTING => {
                Err(Error::invalid(format!("lists nested {depth} deep exceed the maximum of {MAX_NESTING}")))
            }
            Value::List(items) | Value::Tuple(items) => {
                self.push("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(",")?;
                    }
                    self.value(item, depth + 1)?;
                }
                self.push("]")
            }
            Value::Array(a) => {
                let data = a
                    .as_slice()
                    .map(std::borrow::Cow::Borrowed)
                    .unwrap_or_else(|| std::borrow::Cow::Owned(a.iter().copied().collect::<Vec<f64>>()));
                self.nested(&data, a.shape(), f64::NAN, &Json::float)
            }
            Value::BoolArray(a) => self.nested(a.as_slice().unwrap_or(&[]), a.shape(), false, &|json, b| {
                json.push(if b { "true" } else { "false" })
            }),
            // Integers as JSON integers, so that they read back as Python ints.
            Value::IntArray(a) => self.nested(a.as_slice().unwrap_or(&[]), a.shape(), 0, &Json::int),
        }
    }

    fn int(&mut self, i: i64) -> Result<()> {
        self.push(&i.to_string())
    }

    /// A C-order block of `shape` as nested lists, each element written by `element` (`missing` for
    /// the element of an empty 0-d block).
    fn nested<T: Copy>(
        &mut self,
        data: &[T],
        shape: &[usize],
        missing: T,
        element: &dyn Fn(&mut Json, T) -> Result<()>,
    ) -> Result<()> {
        let Some((&n, inner)) = shape.split_first() else {
            return element(self, data.first().copied().unwrap_or(missing));
        };
        let step: usize = inner.iter().product();
        self.push("[")?;
        for i in 0..n {
            if i > 0 {
                self.push(",")?;
            }
            self.nested(&data[i * step..(i + 1) * step], inner, missing, element)?;
        }
        self.push("]")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ndarray::{ArrayD, IxDyn};

    use super::*;
    use crate::properties::PropertyDict;

    fn list(dicts: Vec<PropertyDict>) -> PropertyList {
        let mut l = PropertyList::new();
        for d in dicts {
            l.push(Arc::new(d));
        }
        l
    }

    #[test]
    fn selects_dicts_and_scalars() {
        let mut a = PropertyDict::new();
        a.insert("position", Value::Array(Arc::new(ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.5, 2.0]).unwrap())));
        a.insert("z", Value::Float(0.0));
        a.insert("n", Value::Int(-3));
        a.insert("name", Value::Str("Point \"P\"\n".into()));
        a.insert("ok", Value::Bool(true));
        a.insert("none", Value::None);
        a.insert("_ID", Value::List(vec![Value::Int(0)]));
        a.insert("padding", Value::List(vec![Value::Int(1)]));
        a.insert("tiny", Value::Float(1e-7));
        a.insert("big", Value::Float(f64::NEG_INFINITY));
        a.insert("nan", Value::Float(f64::NAN));
        a.insert("ri", Value::Complex(1.0, 2.0));
        let mut b = PropertyDict::new();
        b.insert("name", Value::Str("Fluorescence".into()));
        let mut c = PropertyDict::new();
        c.insert("position", Value::Tuple(vec![Value::Int(3), Value::Float(4.25)]));
        let props = list(vec![a, b, c]);
        assert_eq!(
            table_json(&props, Some("position")).unwrap(),
            "[{\"position\":[1.5,2.0],\"z\":0.0,\"n\":-3,\"name\":\"Point \\\"P\\\"\\n\",\"ok\":true,\
             \"none\":null,\"tiny\":1e-7,\"big\":-Infinity,\"nan\":NaN},{\"position\":[3,4.25]}]"
        );
        assert_eq!(table_json(&props, None).unwrap().matches('{').count(), 3, "every dict without a key");
        assert_eq!(table_json(&props, Some("absent")).unwrap(), "[]");
    }

    #[test]
    fn arrays_nest_by_shape_and_complex_keys_fail() {
        let mut a = PropertyDict::new();
        let arr = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        a.insert("position", Value::Array(Arc::new(arr)));
        a.insert("zero_d", Value::Array(Arc::new(ArrayD::from_elem(IxDyn(&[]), 7.0))));
        assert_eq!(
            table_json(&list(vec![a]), Some("position")).unwrap(),
            "[{\"position\":[[1.0,2.0],[3.0,4.0]],\"zero_d\":7.0}]"
        );
        let mut b = PropertyDict::new();
        b.insert("position", Value::Complex(1.0, 1.0));
        let e = table_json(&list(vec![PropertyDict::new(), b]), Some("position")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            e.to_string(),
            "property 'position': in dict 1 of the image, a complex value has no place in a table of real numbers"
        );
        let mut deep = Value::Int(1);
        for _ in 0..100 {
            deep = Value::List(vec![deep]);
        }
        let mut d = PropertyDict::new();
        d.insert("position", deep);
        let e = table_json(&list(vec![d]), Some("position")).unwrap_err();
        assert!(e.to_string().contains("exceed the maximum of 64"), "{e}");
    }
}
