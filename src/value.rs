//! `Value`: what a property holds (none, bool, int, float, complex, string, n-d float, complex,
//! boolean or integer array, list, tuple).

use std::fmt;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use crate::error::{Error, Result};

mod object;
pub use object::Object;

/// An immutable, cheaply clonable string. It keeps a trailing NUL in its storage so that it can be
/// lent to C as a `const char *` without copying; [`Text::as_str`] never shows that NUL. Texts compare
/// and hash by content.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// Shared with its clones (reference counted).
    Shared(Arc<str>),
    /// One of a bounded set of interned names (built-in property and feature names): cloning and
    /// dropping it touch no reference count, which keeps the property dicts of a resolve cheap.
    Static(&'static str),
}

impl Text {
    /// A new text holding `s`.
    pub fn new(s: &str) -> Self {
        let mut owned = String::with_capacity(s.len() + 1);
        owned.push_str(s);
        owned.push('\0');
        Text(Repr::Shared(Arc::from(owned)))
    }

    /// The interned text of a built-in name: each distinct `s` is stored once for the life of the
    /// process, so this is only for names from a bounded set (the library's own property and kind
    /// names), never for names that callers make up.
    pub(crate) fn interned(s: &'static str) -> Self {
        /// The names stored so far (a fork-safe lock: see `crate::sync`).
        struct Names(Vec<&'static str>);
        impl crate::sync::Recover for Names {
            fn recover(&mut self) {
                // A thread gone with a fork was adding a name: start a new list (the names stay valid).
                crate::sync::overwrite(&mut self.0, Vec::new());
            }
        }
        static NAMES: crate::sync::Lock<Names> = crate::sync::Lock::new(Names(Vec::new()));
        let mut guard = NAMES.lock();
        let names = &mut guard.0;
        let stored = match names.iter().find(|n| &n[..n.len() - 1] == s) {
            Some(n) => *n,
            None => {
                let n: &'static str = Box::leak(format!("{s}\0").into_boxed_str());
                names.push(n);
                n
            }
        };
        Text(Repr::Static(stored))
    }

    fn stored(&self) -> &str {
        match &self.0 {
            Repr::Shared(s) => s,
            Repr::Static(s) => s,
        }
    }

    /// The text, without the trailing NUL.
    pub fn as_str(&self) -> &str {
        let s = self.stored();
        &s[..s.len() - 1]
    }

    /// A pointer to NUL-terminated bytes, valid while this text (or a clone of it) lives.
    pub fn as_c_ptr(&self) -> *const libc::c_char {
        self.stored().as_ptr().cast()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

/// The kinds of [`Value`], numbered as in the C ABI (`DEEPTRACK_VALUE_KIND_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ValueKind {
    /// No value (Python `None`).
    None = 0,
    /// A boolean.
    Bool = 1,
    /// A 64-bit signed integer.
    Int = 2,
    /// A 64-bit float.
    Float = 3,
    /// A UTF-8 string.
    Str = 4,
    /// An n-dimensional array of `f64`, C order.
    Array = 5,
    /// A list of values.
    List = 6,
    /// A complex number (two 64-bit floats).
    Complex = 7,
    /// A tuple of values (a list that Python gives and gets back as a `tuple`).
    Tuple = 8,
    /// An n-dimensional array of complex numbers (two `f64` each, real part first), C order.
    ComplexArray = 9,
    /// An n-dimensional array of booleans (one byte each, 0 or 1), C order.
    BoolArray = 10,
    /// An n-dimensional array of 64-bit signed integers, C order.
    IntArray = 11,
    /// An object of the host's that the library holds without reading it (a Python dict or class
    /// instance): `deeptrack_value_new_object`.
    Object = 12,
}

/// A property value. Arrays are shared (`Arc`), so cloning a value is cheap except for lists.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// No value.
    #[default]
    None,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Text),
    /// An n-d float array in standard (C-contiguous) layout.
    Array(Arc<ArrayD<f64>>),
    /// A list of values (DeepTrack lists, and `_ID`).
    List(Vec<Value>),
    /// A tuple of values: the library treats it as a list wherever it reads a sequence, and keeps it
    /// a tuple so that a property set as `(128, 128)` reads back as `(128, 128)`, as in DeepTrack2.
    Tuple(Vec<Value>),
    /// A complex number, real and imaginary parts (e.g. the refractive index of an absorbing
    /// particle, `1.45+0.1j`).
    Complex(f64, f64),
    /// An n-d complex array in standard (C-contiguous) layout (DeepTrack2's complex numpy arrays:
    /// propagation matrices, the refractive indices of a stratified sphere's shells).
    ComplexArray(Arc<ArrayD<Complex64>>),
    /// An n-d array of booleans in standard (C-contiguous) layout (numpy's bool arrays: a mask, as
    /// `feature[mask]` or a `Value` of one indexes with it; a comparison's output read as a value).
    /// Where numbers are read it is its 0s and 1s, as numpy computes with bools.
    BoolArray(Arc<ArrayD<bool>>),
    /// An n-d array of 64-bit signed integers in standard (C-contiguous) layout (numpy's integer
    /// arrays: a position drawn by `np.random.randint`, class labels), kept so that a property dict
    /// gives the integers back, as DeepTrack2 keeps the array itself. Where numbers are read it is
    /// its values as floats, exact up to 2^53 in magnitude (as numpy's arithmetic with a float
    /// converts them).
    IntArray(Arc<ArrayD<i64>>),
    /// An object of the host's that the library holds without reading it (DeepTrack2 keeps any
    /// object a property is given: `meta={'a': 1}`, an instance of a user's class, `Lambda`'s
    /// function), so that the property dicts carry it. Computing with one is a type mismatch.
    Object(Object),
}

impl Value {
    /// Whether two values are the same value, as DeepTrack2 compares a property's new value with its
    /// current one (`set_value`): numbers by value (an int equals the same float; NaN equals NaN),
    /// arrays of the same kind by shape and elements (an integer array never equals a float array,
    /// so that setting one in place of the other is a change and the dict shows the new one), lists
    /// element by element.
    pub fn equivalent(&self, other: &Value) -> bool {
        fn same(a: f64, b: f64) -> bool {
            a == b || (a.is_nan() && b.is_nan())
        }
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => same(*a, *b),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => same(*a as f64, *b),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Complex(a, b), Value::Complex(c, d)) => same(*a, *c) && same(*b, *d),
            (Value::Complex(re, im), Value::Float(x)) | (Value::Float(x), Value::Complex(re, im)) => {
                *im == 0.0 && same(*re, *x)
            }
            (Value::Complex(re, im), Value::Int(i)) | (Value::Int(i), Value::Complex(re, im)) => {
                *im == 0.0 && same(*re, *i as f64)
            }
            (Value::Array(a), Value::Array(b)) => {
                a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| same(*x, *y))
            }
            (Value::ComplexArray(a), Value::ComplexArray(b)) => {
                a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| same(x.re, y.re) && same(x.im, y.im))
            }
            (Value::BoolArray(a), Value::BoolArray(b)) => a == b,
            (Value::IntArray(a), Value::IntArray(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a.same(b),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equivalent(y))
            }
            _ => false,
        }
    }

    /// A string value.
    pub fn str(s: &str) -> Self {
        Value::Str(Text::new(s))
    }

    /// An array value; the array is converted to standard layout if it is not already.
    pub fn array(a: ArrayD<f64>) -> Self {
        Value::Array(Arc::new(standard(a)))
    }

    /// A complex array value; the array is converted to standard layout if it is not already.
    pub fn complex_array(a: ArrayD<Complex64>) -> Self {
        let a = if a.is_standard_layout() { a } else { a.as_standard_layout().into_owned() };
        Value::ComplexArray(Arc::new(a))
    }

    /// A boolean array value; the array is converted to standard layout if it is not already.
    pub fn bool_array(a: ArrayD<bool>) -> Self {
        let a = if a.is_standard_layout() { a } else { a.as_standard_layout().into_owned() };
        Value::BoolArray(Arc::new(a))
    }

    /// An integer array value; the array is converted to standard layout if it is not already.
    pub fn int_array(a: ArrayD<i64>) -> Self {
        let a = if a.is_standard_layout() { a } else { a.as_standard_layout().into_owned() };
        Value::IntArray(Arc::new(a))
    }

    /// A 1-d array value from a slice.
    pub fn vector(v: &[f64]) -> Self {
        Value::array(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).expect("1-d shape"))
    }

    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::None => ValueKind::None,
            Value::Bool(_) => ValueKind::Bool,
            Value::Int(_) => ValueKind::Int,
            Value::Float(_) => ValueKind::Float,
            Value::Str(_) => ValueKind::Str,
            Value::Array(_) => ValueKind::Array,
            Value::List(_) => ValueKind::List,
            Value::Tuple(_) => ValueKind::Tuple,
            Value::Complex(..) => ValueKind::Complex,
            Value::ComplexArray(_) => ValueKind::ComplexArray,
            Value::BoolArray(_) => ValueKind::BoolArray,
            Value::IntArray(_) => ValueKind::IntArray,
            Value::Object(_) => ValueKind::Object,
        }
    }

    /// A short English name of the kind, for error messages ("a number", "a string", …).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::List(_) => "a list",
            Value::Tuple(_) => "a tuple",
            Value::Complex(..) => "a complex number",
            Value::ComplexArray(_) => "a complex array",
            Value::BoolArray(_) => "a boolean array",
            Value::IntArray(_) => "an integer array",
            Value::Object(_) => "an object of the host's",
        }
    }

    /// The value as a float: a float, or an integer converted.
    pub fn as_f64(&self) -> Result<f64> {
        match self {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            other => Err(Error::type_mismatch(format!("expected a number, got {}", other.kind_name()))),
        }
    }

    /// The value as a number where a parameter expects one, as numpy reads one: a float, an integer,
    /// a bool (1 or 0, as numpy's and Python's arithmetic count `True` and `False`), or a
    /// one-element array of any real kind (0-d or not: `np.array(2.0)`, `np.zeros(1)`, `np.array([3])`,
    /// the 0-d result of a feature that computes a number) or a list or tuple of one such number (`[0.5]`). Other arrays are an
    /// error that gives their shape.
    pub fn to_number(&self) -> Result<f64> {
        match self {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            Value::Array(a) if a.len() == 1 => Ok(*a.iter().next().expect("one element")),
            Value::Array(a) => Err(Error::type_mismatch(format!(
                "expected a number (or an array of one number), got an array of shape {}",
                python_shape(a.shape())
            ))),
            Value::BoolArray(a) if a.len() == 1 => Ok(f64::from(u8::from(*a.iter().next().expect("one element")))),
            Value::BoolArray(a) => Err(Error::type_mismatch(format!(
                "expected a number (or an array of one number), got a boolean array of shape {}",
                python_shape(a.shape())
            ))),
            Value::IntArray(a) if a.len() == 1 => Ok(*a.iter().next().expect("one element") as f64),
            Value::IntArray(a) => Err(Error::type_mismatch(format!(
                "expected a number (or an array of one number), got an integer array of shape {}",
                python_shape(a.shape())
            ))),
            Value::List(items) | Value::Tuple(items) if items.len() == 1 => items[0].to_number(),
            other => Err(Error::type_mismatch(format!("expected a number, got {}", other.kind_name()))),
        }
    }

    /// The value as a real or complex number where a parameter expects one: [`Value::to_number`], a
    /// complex number, or a one-element complex array; `(re, im)` and whether it is complex.
    pub fn to_complex_number(&self) -> Result<((f64, f64), bool)> {
        match self {
            Value::Complex(re, im) => Ok(((*re, *im), true)),
            Value::ComplexArray(a) if a.len() == 1 => {
                let z = *a.iter().next().expect("one element");
                Ok(((z.re, z.im), true))
            }
            Value::List(items) | Value::Tuple(items) if items.len() == 1 => items[0].to_complex_number(),
            other => Ok(((other.to_number()?, 0.0), false)),
        }
    }

    /// The value as axes, where a parameter expects an axis: `None` (every axis), an integer, or
    /// integers (a list or tuple of them, a 0-d or 1-d integer array such as `np.array([1, 0])`, or a
    /// 0-d or 1-d float array of whole numbers); an item may be a one-element array of a whole number.
    pub fn to_axes(&self) -> Result<Option<Vec<i64>>> {
        fn whole(x: f64) -> Option<i64> {
            (x.fract() == 0.0 && x.abs() < 2f64.powi(63)).then_some(x as i64)
        }
        let item = |v: &Value| match v {
            Value::Int(i) => Some(*i),
            Value::Array(a) if a.len() == 1 => whole(*a.iter().next().expect("one element")),
            Value::IntArray(a) if a.len() == 1 => a.iter().next().copied(),
            _ => None,
        };
        let axes = match self {
            Value::None => return Ok(None),
            Value::Int(i) => Some(vec![*i]),
            Value::List(items) | Value::Tuple(items) => items.iter().map(item).collect(),
            Value::Array(a) if a.ndim() <= 1 => a.iter().map(|&x| whole(x)).collect(),
            Value::IntArray(a) if a.ndim() <= 1 => Some(a.iter().copied().collect()),
            _ => None,
        };
        axes.map(Some).ok_or_else(|| {
            let what = match self {
                Value::List(_) | Value::Tuple(_) | Value::Array(_) | Value::IntArray(_) => self.to_string(),
                other => other.kind_name().to_string(),
            };
            Error::type_mismatch(format!("expected an axis: None, an integer or integers, got {what}"))
        })
    }

    /// The value as an integer (integers only).
    pub fn as_i64(&self) -> Result<i64> {
        match self {
            Value::Int(i) => Ok(*i),
            other => Err(Error::type_mismatch(format!("expected an integer, got {}", other.kind_name()))),
        }
    }

    /// The value as a bool (bools only).
    pub fn as_bool(&self) -> Result<bool> {
        match self {
            Value::Bool(b) => Ok(*b),
            other => Err(Error::type_mismatch(format!("expected a bool, got {}", other.kind_name()))),
        }
    }

    /// The value as a string (strings only).
    pub fn as_str(&self) -> Result<&str> {
        match self {
            Value::Str(s) => Ok(s.as_str()),
            other => Err(Error::type_mismatch(format!("expected a string, got {}", other.kind_name()))),
        }
    }

    /// The value as an array (arrays only).
    pub fn as_array(&self) -> Result<&ArrayD<f64>> {
        match self {
            Value::Array(a) => Ok(a),
            other => Err(Error::type_mismatch(format!("expected an array, got {}", other.kind_name()))),
        }
    }

    /// The value as a complex number `(re, im)`: a complex, or a real number with a zero imaginary
    /// part.
    pub fn as_complex(&self) -> Result<(f64, f64)> {
        match self {
            Value::Complex(re, im) => Ok((*re, *im)),
            Value::Float(f) => Ok((*f, 0.0)),
            Value::Int(i) => Ok((*i as f64, 0.0)),
            other => Err(Error::type_mismatch(format!("expected a number, got {}", other.kind_name()))),
        }
    }

    /// The value as a complex array (complex arrays only).
    pub fn as_complex_array(&self) -> Result<&ArrayD<Complex64>> {
        match self {
            Value::ComplexArray(a) => Ok(a),
            other => Err(Error::type_mismatch(format!("expected a complex array, got {}", other.kind_name()))),
        }
    }

    /// The value as an array of complex numbers, as numpy's `asarray(..., complex)`: a complex array
    /// is shared; real arrays, numbers (real or complex, as 0-d arrays), bools and equally shaped
    /// nested lists of them are converted.
    pub fn to_complex_array(&self) -> Result<Arc<ArrayD<Complex64>>> {
        match self {
            Value::ComplexArray(a) => Ok(Arc::clone(a)),
            Value::Complex(re, im) => Ok(Arc::new(ArrayD::from_elem(IxDyn(&[]), Complex64::new(*re, *im)))),
            Value::List(items) | Value::Tuple(items) => {
                let parts = items.iter().map(Value::to_complex_array).collect::<Result<Vec<_>>>()?;
                let inner_shape = parts.first().map(|p| p.shape().to_vec()).unwrap_or_default();
                if parts.iter().any(|p| p.shape() != inner_shape.as_slice()) {
                    return Err(Error::type_mismatch("expected a list of equally shaped numbers or arrays"));
                }
                let mut shape = vec![parts.len()];
                shape.extend_from_slice(&inner_shape);
                let data: Vec<Complex64> = parts.iter().flat_map(|p| p.iter().copied()).collect();
                Ok(Arc::new(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("consistent shape")))
            }
            other => {
                let real = other.to_array().map_err(|_| {
                    Error::type_mismatch(format!("expected real or complex numbers, got {}", other.kind_name()))
                })?;
                Ok(Arc::new(real.mapv(|x| Complex64::new(x, 0.0))))
            }
        }
    }

    /// The value as a boolean array (boolean arrays only).
    pub fn as_bool_array(&self) -> Result<&ArrayD<bool>> {
        match self {
            Value::BoolArray(a) => Ok(a),
            other => Err(Error::type_mismatch(format!("expected a boolean array, got {}", other.kind_name()))),
        }
    }

    /// The value as an integer array (integer arrays only).
    pub fn as_int_array(&self) -> Result<&ArrayD<i64>> {
        match self {
            Value::IntArray(a) => Ok(a),
            other => Err(Error::type_mismatch(format!("expected an integer array, got {}", other.kind_name()))),
        }
    }

    /// The items of a list or a tuple.
    pub fn as_list(&self) -> Result<&[Value]> {
        match self {
            Value::List(l) | Value::Tuple(l) => Ok(l),
            other => Err(Error::type_mismatch(format!("expected a list, got {}", other.kind_name()))),
        }
    }

    /// One number as numpy reads an element of a sequence (`np.asarray([np.array(2), True, 1.5])`): a
    /// float, an integer, a bool (1 or 0) or a 0-d array; anything else (a one-element 1-d array
    /// included, which would make the sequence ragged) is an error.
    pub fn to_scalar(&self) -> Result<f64> {
        match self {
            Value::Float(_) | Value::Int(_) | Value::Bool(_) => self.to_number(),
            Value::Array(a) if a.ndim() == 0 => Ok(*a.iter().next().expect("one element")),
            Value::BoolArray(a) if a.ndim() == 0 => Ok(f64::from(u8::from(*a.iter().next().expect("one element")))),
            Value::IntArray(a) if a.ndim() == 0 => Ok(*a.iter().next().expect("one element") as f64),
            other => Err(Error::type_mismatch(format!("expected a number, got {}", other.kind_name()))),
        }
    }

    /// A vector of numbers from a number (a bool is 1 or 0), a 1-d (or 0-d) array (an integer
    /// array's values exact up to 2^53), or a list of
    /// numbers (each as [`Value::to_scalar`] reads it: 0-d arrays and bools included).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        match self {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Ok(vec![self.to_number()?]),
            Value::Array(a) if a.ndim() <= 1 => Ok(a.iter().copied().collect()),
            Value::BoolArray(a) if a.ndim() <= 1 => Ok(a.iter().map(|&b| f64::from(u8::from(b))).collect()),
            Value::IntArray(a) if a.ndim() <= 1 => Ok(a.iter().map(|&i| i as f64).collect()),
            Value::Array(a) => {
                Err(Error::type_mismatch(format!("expected a vector of numbers, got a {}-dimensional array", a.ndim())))
            }
            Value::List(items) | Value::Tuple(items) => items.iter().map(Value::to_scalar).collect(),
            other => Err(Error::type_mismatch(format!(
                "expected a number, an array or a list of numbers, got {}",
                other.kind_name()
            ))),
        }
    }

    /// The value as an array of numbers: numbers and bools become 0-d arrays, numeric lists (nested
    /// alike) become arrays, float arrays are shared, boolean and integer arrays converted.
    pub fn to_array(&self) -> Result<Arc<ArrayD<f64>>> {
        match self {
            Value::Array(a) => Ok(Arc::clone(a)),
            // numpy computes with a bool array's 0s and 1s.
            Value::BoolArray(a) => Ok(Arc::new(a.mapv(|b| f64::from(u8::from(b))))),
            // As numpy's arithmetic with a float reads integers (exact up to 2^53).
            Value::IntArray(a) => Ok(Arc::new(int_to_f64(a))),
            Value::Int(_) | Value::Float(_) => Ok(Arc::new(ArrayD::from_elem(IxDyn(&[]), self.as_f64()?))),
            Value::Bool(b) => Ok(Arc::new(ArrayD::from_elem(IxDyn(&[]), f64::from(u8::from(*b))))),
            Value::ComplexArray(_) | Value::Complex(..) => Err(Error::type_mismatch(format!(
                "expected real numbers, got {} (this computation holds real numbers)",
                self.kind_name()
            ))),
            Value::List(items) | Value::Tuple(items) => {
                let parts = items.iter().map(Value::to_array).collect::<Result<Vec<_>>>()?;
                let inner_shape = parts.first().map(|p| p.shape().to_vec()).unwrap_or_default();
                if parts.iter().any(|p| p.shape() != inner_shape.as_slice()) {
                    return Err(Error::type_mismatch("expected a list of equally shaped numbers or arrays"));
                }
                let mut shape = vec![parts.len()];
                shape.extend_from_slice(&inner_shape);
                let data: Vec<f64> = parts.iter().flat_map(|p| p.iter().copied()).collect();
                Ok(Arc::new(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("consistent shape")))
            }
            other => Err(Error::type_mismatch(format!("expected numbers, got {}", other.kind_name()))),
        }
    }
}

/// The floats of an integer array's values, in its shape (exact up to 2^53 in magnitude, rounded to
/// the nearest float beyond, as numpy's `astype(float)`).
fn int_to_f64(a: &ArrayD<i64>) -> ArrayD<f64> {
    a.mapv(|i| i as f64)
}

/// A shape as Python writes it: `(5,)`, `(2, 3)`, `()`.
pub(crate) fn python_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::str(v)
    }
}

impl From<ArrayD<f64>> for Value {
    fn from(v: ArrayD<f64>) -> Self {
        Value::array(v)
    }
}

impl From<ArrayD<bool>> for Value {
    fn from(v: ArrayD<bool>) -> Self {
        Value::bool_array(v)
    }
}

impl From<ArrayD<i64>> for Value {
    fn from(v: ArrayD<i64>) -> Self {
        Value::int_array(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

/// Whether two values are equal as Python compares them (numbers by value, lists element-wise).
pub(crate) fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x.as_str() == y.as_str(),
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Array(x), Value::Array(y)) => x.shape() == y.shape() && x.iter().zip(y.iter()).all(|(p, q)| p == q),
        (Value::ComplexArray(x), Value::ComplexArray(y)) => {
            x.shape() == y.shape() && x.iter().zip(y.iter()).all(|(p, q)| p == q)
        }
        (Value::BoolArray(x), Value::BoolArray(y)) => x == y,
        (Value::IntArray(x), Value::IntArray(y)) => x == y,
        (Value::Complex(a, b), Value::Complex(c, d)) => a == c && b == d,
        (Value::Bool(_) | Value::Int(_) | Value::Float(_), Value::Bool(_) | Value::Int(_) | Value::Float(_)) => {
            let num = |v: &Value| match v {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Int(i) => *i as f64,
                Value::Float(x) => *x,
                _ => f64::NAN,
            };
            num(a) == num(b)
        }
        _ => false,
    }
}

/// Returns `a` in standard (C-contiguous) layout, copying only when needed.
pub(crate) fn standard(a: ArrayD<f64>) -> ArrayD<f64> {
    if a.is_standard_layout() { a } else { a.as_standard_layout().into_owned() }
}

/// Writes a float the way Python's `repr` does for ordinary values (`1.0`, `0.25`, `1e-07`).
pub(crate) fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        f.write_str("nan")
    } else if x.is_infinite() {
        f.write_str(if x > 0.0 { "inf" } else { "-inf" })
    } else if x == x.trunc() && x.abs() < 1e16 {
        write!(f, "{x:.1}")
    } else if x.abs() < 1e-4 || x.abs() >= 1e16 {
        let s = format!("{x:e}");
        // Rust writes 1e-7, Python 1e-07.
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                write!(f, "{m}e{sign}{digits:0>2}")
            }
            None => f.write_str(&s),
        }
    } else {
        write!(f, "{x}")
    }
}

impl fmt::Display for Value {
    /// A Python-like rendering: `None`, `True`, `3`, `2.5`, `'Particle'`, `array([1.5, 2.0])`,
    /// `array([4, 1])`, `[0]`,
    /// `(128, 128)`, `(1,)`; a host's object is `<object>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write_float(f, *x),
            Value::Str(s) => write!(f, "'{}'", s.as_str()),
            Value::Complex(re, im) => write_complex(f, *re, *im),
            Value::Array(a) => {
                f.write_str("array(")?;
                write_nested(f, a.shape(), a.as_slice().unwrap_or(&[]), &write_float)?;
                f.write_str(")")
            }
            Value::ComplexArray(a) => {
                f.write_str("array(")?;
                write_nested(f, a.shape(), a.as_slice().unwrap_or(&[]), &|f, z: Complex64| {
                    write_complex(f, z.re, z.im)
                })?;
                f.write_str(")")
            }
            Value::BoolArray(a) => {
                f.write_str("array(")?;
                write_nested(f, a.shape(), a.as_slice().unwrap_or(&[]), &|f, b: bool| {
                    f.write_str(if b { "True" } else { "False" })
                })?;
                f.write_str(")")
            }
            Value::IntArray(a) => {
                f.write_str("array(")?;
                write_nested(f, a.shape(), a.as_slice().unwrap_or(&[]), &|f, i: i64| write!(f, "{i}"))?;
                f.write_str(")")
            }
            Value::List(items) => write_items(f, items, "[", "]"),
            Value::Tuple(items) if items.len() == 1 => write_items(f, items, "(", ",)"),
            Value::Tuple(items) => write_items(f, items, "(", ")"),
            Value::Object(_) => f.write_str("<object>"),
        }
    }
}

/// Writes `items` separated by `, ` between `open` and `close`.
fn write_items(f: &mut fmt::Formatter<'_>, items: &[Value], open: &str, close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

/// Writes a complex number the way Python's `repr` does: `(1.45+0.1j)`, `2j`, `(1-0j)`.
fn write_complex(f: &mut fmt::Formatter<'_>, re: f64, im: f64) -> fmt::Result {
    /// Python writes whole parts of a complex without `.0`.
    fn part(x: f64) -> String {
        let s = format!("{}", Shown(x));
        s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
    }
    struct Shown(f64);
    impl fmt::Display for Shown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_float(f, self.0)
        }
    }
    let imag = part(im);
    if re == 0.0 && re.is_sign_positive() {
        return write!(f, "{imag}j");
    }
    let sign = if im.is_sign_negative() || imag.starts_with('-') { "" } else { "+" };
    write!(f, "({}{sign}{imag}j)", part(re))
}

/// Writes `data` of `shape` as nested Python lists, each element with `element`.
fn write_nested<T: Copy + Default>(
    f: &mut fmt::Formatter<'_>,
    shape: &[usize],
    data: &[T],
    element: &dyn Fn(&mut fmt::Formatter<'_>, T) -> fmt::Result,
) -> fmt::Result {
    let Some((&n, rest)) = shape.split_first() else {
        return element(f, data.first().copied().unwrap_or_default());
    };
    let stride: usize = rest.iter().product();
    f.write_str("[")?;
    for i in 0..n {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_nested(f, rest, &data[i * stride..(i + 1) * stride], element)?;
    }
    f.write_str("]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_render_as_python_and_read_as_lists() {
        let pair = Value::Tuple(vec![Value::Int(128), Value::Int(128)]);
        assert_eq!(pair.to_string(), "(128, 128)");
        assert_eq!(Value::Tuple(vec![Value::Int(1)]).to_string(), "(1,)");
        assert_eq!(Value::Tuple(vec![]).to_string(), "()");
        assert_eq!(pair.kind(), ValueKind::Tuple);
        assert_eq!(pair.kind_name(), "a tuple");
        assert_eq!(pair.as_list().unwrap().len(), 2);
        assert_eq!(pair.to_f64_vec().unwrap(), vec![128.0, 128.0]);
        assert_eq!(pair.to_array().unwrap().shape(), &[2]);
        assert!(pair.equivalent(&Value::Tuple(vec![Value::Float(128.0), Value::Int(128)])));
        // As in Python, (128, 128) != [128, 128]: setting one in place of the other is a change.
        assert!(!pair.equivalent(&Value::List(vec![Value::Int(128), Value::Int(128)])));
    }

    #[test]
    fn text_keeps_nul_out_of_sight() {
        let t = Text::new("name");
        assert_eq!(t.as_str(), "name");
        let c = unsafe { std::ffi::CStr::from_ptr(t.as_c_ptr()) };
        assert_eq!(c.to_str().unwrap(), "name");
    }

    #[test]
    fn numeric_accessors() {
        assert_eq!(Value::Int(3).as_f64().unwrap(), 3.0);
        assert!(Value::Float(3.0).as_i64().is_err());
        assert_eq!(Value::str("x").as_f64().unwrap_err().to_string(), "expected a number, got a string");
        assert_eq!(Value::List(vec![Value::Int(1), Value::Float(2.5)]).to_f64_vec().unwrap(), vec![1.0, 2.5]);
        assert_eq!(Value::vector(&[1.0, 2.0]).to_f64_vec().unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn numpy_spellings_of_numbers_are_numbers() {
        let zero_d = |x: f64| Value::Array(Arc::new(ArrayD::from_elem(IxDyn(&[]), x)));
        // A bool counts 1 or 0, as numpy's and Python's arithmetic count it.
        assert_eq!(Value::Bool(true).to_number().unwrap(), 1.0);
        assert_eq!(Value::Bool(false).to_number().unwrap(), 0.0);
        assert_eq!(Value::Bool(true).to_complex_number().unwrap(), ((1.0, 0.0), false));
        // A sequence's elements may be 0-d arrays and bools (np.asarray((np.array(2), True, 1.5))).
        let items = vec![zero_d(2.0), Value::Bool(true), Value::Float(1.5), Value::Int(4)];
        assert_eq!(Value::Tuple(items.clone()).to_f64_vec().unwrap(), vec![2.0, 1.0, 1.5, 4.0]);
        assert_eq!(Value::List(items).to_f64_vec().unwrap(), vec![2.0, 1.0, 1.5, 4.0]);
        assert_eq!(Value::Bool(true).to_f64_vec().unwrap(), vec![1.0]);
        let mask = Value::BoolArray(Arc::new(ArrayD::from_elem(IxDyn(&[]), true)));
        assert_eq!(Value::List(vec![mask, Value::Int(0)]).to_f64_vec().unwrap(), vec![1.0, 0.0]);
        // An element that is itself a sequence would make numpy's array ragged.
        let ragged = Value::List(vec![Value::vector(&[2.0]), Value::Int(1)]);
        assert_eq!(ragged.to_f64_vec().unwrap_err().to_string(), "expected a number, got an array");
        assert_eq!(
            Value::List(vec![Value::str("a")]).to_f64_vec().unwrap_err().to_string(),
            "expected a number, got a string"
        );
        // The strict accessors stay strict.
        assert!(Value::Bool(true).as_f64().is_err());
        assert!(zero_d(2.0).as_i64().is_err());
    }

    #[test]
    fn int_arrays_read_as_their_values() {
        let ints =
            |shape: &[usize], v: &[i64]| Value::int_array(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap());
        let pos = ints(&[2], &[4, -1]);
        assert_eq!((pos.kind(), pos.kind_name()), (ValueKind::IntArray, "an integer array"));
        assert_eq!(pos.to_string(), "array([4, -1])");
        assert_eq!(ints(&[2, 1], &[1, 2]).to_string(), "array([[1], [2]])");
        assert_eq!(pos.to_f64_vec().unwrap(), [4.0, -1.0]);
        assert_eq!(pos.to_array().unwrap().as_slice().unwrap(), [4.0, -1.0]);
        assert_eq!(pos.to_complex_array().unwrap().as_slice().unwrap()[1], Complex64::new(-1.0, 0.0));
        assert_eq!(pos.to_axes().unwrap(), Some(vec![4, -1]));
        assert_eq!(pos.as_int_array().unwrap().as_slice().unwrap(), [4, -1]);
        assert_eq!(pos.as_array().unwrap_err().to_string(), "expected an array, got an integer array");
        // One element is a number; a 0-d one is also a sequence's element.
        assert_eq!(ints(&[1], &[3]).to_number().unwrap(), 3.0);
        assert_eq!(ints(&[], &[3]).to_scalar().unwrap(), 3.0);
        assert!(ints(&[1], &[3]).to_scalar().is_err());
        assert_eq!(Value::List(vec![ints(&[], &[2]), Value::Int(5)]).to_f64_vec().unwrap(), [2.0, 5.0]);
        assert_eq!(
            pos.to_number().unwrap_err().to_string(),
            "expected a number (or an array of one number), got an integer array of shape (2,)"
        );
        assert_eq!(
            ints(&[2, 2], &[1, 2, 3, 4]).to_f64_vec().unwrap_err().to_string(),
            "expected a number, an array or a list of numbers, got an integer array"
        );
        // Exact up to 2^53.
        let big = 1i64 << 53;
        assert_eq!(ints(&[1], &[big]).to_f64_vec().unwrap(), [big as f64]);
        assert_eq!(ints(&[1], &[-big]).to_array().unwrap()[[0]], -(big as f64));
        // Equal to itself only: an equal float array is another value (setting it is a change).
        assert!(pos.equivalent(&ints(&[2], &[4, -1])) && same_value(&pos, &pos.clone()));
        assert!(!pos.equivalent(&ints(&[2], &[4, 1])) && !pos.equivalent(&ints(&[1, 2], &[4, -1])));
        assert!(!pos.equivalent(&Value::vector(&[4.0, -1.0])));
        // A transposed array is stored in C order.
        let t = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0i64, 1, 2, 3]).unwrap().reversed_axes();
        assert_eq!(Value::int_array(t).as_int_array().unwrap().as_slice().unwrap(), [0, 2, 1, 3]);
    }

    #[test]
    fn python_like_display() {
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::Float(6.8e-7).to_string(), "6.8e-07");
        assert_eq!(Value::vector(&[140.5, 183.0]).to_string(), "array([140.5, 183.0])");
        assert_eq!(Value::List(vec![Value::Int(0)]).to_string(), "[0]");
        assert_eq!(Value::Bool(false).to_string(), "False");
        assert_eq!(Value::str("Particle").to_string(), "'Particle'");
        assert_eq!(Value::Complex(1.45, 0.1).to_string(), "(1.45+0.1j)");
        assert_eq!(Value::Complex(1.0, -0.0).to_string(), "(1-0j)");
        assert_eq!(Value::Complex(0.0, 2.0).to_string(), "2j");
        assert_eq!(Value::Complex(-1.5, -2.5).to_string(), "(-1.5-2.5j)");
    }

    #[test]
    fn complex_arrays() {
        let z = |re, im| Complex64::new(re, im);
        let a = Value::complex_array(ArrayD::from_shape_vec(IxDyn(&[2]), vec![z(1.0, 2.0), z(0.5, -1.0)]).unwrap());
        assert_eq!(a.kind(), ValueKind::ComplexArray);
        assert_eq!(a.kind_name(), "a complex array");
        assert_eq!(a.to_string(), "array([(1+2j), (0.5-1j)])");
        assert_eq!(a.as_complex_array().unwrap().shape(), &[2]);
        assert!(a.equivalent(&a.clone()));
        assert!(same_value(&a, &a.clone()));
        let b = Value::complex_array(ArrayD::from_shape_vec(IxDyn(&[2]), vec![z(1.0, 2.0), z(0.5, 1.0)]).unwrap());
        assert!(!a.equivalent(&b));
        // Real values convert; complex arrays never read as real ones.
        let real = Value::vector(&[1.0, 2.0]).to_complex_array().unwrap();
        assert_eq!(real.as_slice().unwrap(), [z(1.0, 0.0), z(2.0, 0.0)]);
        let listed = Value::List(vec![Value::Complex(1.0, 2.0), Value::Float(3.0)]).to_complex_array().unwrap();
        assert_eq!(listed.as_slice().unwrap(), [z(1.0, 2.0), z(3.0, 0.0)]);
        assert_eq!(
            a.to_array().unwrap_err().to_string(),
            "expected real numbers, got a complex array (this computation holds real numbers)"
        );
        assert_eq!(
            Value::str("x").to_complex_array().unwrap_err().to_string(),
            "expected real or complex numbers, got a string"
        );
        // A transposed array is stored in C order.
        let t = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![z(0.0, 0.0), z(1.0, 0.0), z(2.0, 0.0), z(3.0, 0.0)])
            .unwrap()
            .reversed_axes();
        let v = Value::complex_array(t);
        assert_eq!(v.as_complex_array().unwrap().as_slice().unwrap()[1], z(2.0, 0.0));
    }

    #[test]
    fn complex_values() {
        assert!(Value::Complex(1.5, 0.0).equivalent(&Value::Float(1.5)));
        assert!(!Value::Complex(1.5, 0.1).equivalent(&Value::Float(1.5)));
        assert!(Value::Complex(1.5, 0.1).equivalent(&Value::Complex(1.5, 0.1)));
        assert_eq!(Value::Complex(1.5, 0.1).as_complex().unwrap(), (1.5, 0.1));
        assert_eq!(Value::Int(2).as_complex().unwrap(), (2.0, 0.0));
        assert_eq!(
            Value::Complex(1.5, 0.1).as_f64().unwrap_err().to_string(),
            "expected a number, got a complex number"
        );
    }
}
