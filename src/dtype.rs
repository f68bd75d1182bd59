//! [`Dtype`]: numpy's type of an image's samples, as `AsType` sets it. The engine computes in
//! float64 throughout; an image tagged with another type holds samples that are exactly that type's
//! values (cast as numpy casts: truncated toward zero and wrapped for integers, rounded for float32
//! and float16, 0 or 1 for bool), and callers convert them to it (the Python package returns arrays
//! of that dtype; C reads the tag with `deeptrack_image_dtype`).

/// The type of an image's samples, numbered as in the C ABI (`DEEPTRACK_DTYPE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Dtype {
    /// 64-bit floats: every image but `AsType`'s outputs.
    #[default]
    Float64 = 0,
    /// 32-bit floats.
    Float32 = 1,
    /// 16-bit floats.
    Float16 = 2,
    /// 64-bit signed integers.
    Int64 = 3,
    /// 32-bit signed integers.
    Int32 = 4,
    /// 16-bit signed integers.
    Int16 = 5,
    /// 8-bit signed integers.
    Int8 = 6,
    /// 64-bit unsigned integers.
    UInt64 = 7,
    /// 32-bit unsigned integers.
    UInt32 = 8,
    /// 16-bit unsigned integers.
    UInt16 = 9,
    /// 8-bit unsigned integers.
    UInt8 = 10,
    /// Booleans (samples 0 or 1).
    Bool = 11,
}

impl Dtype {
    /// Every type, in the order of their numbers.
    pub const ALL: [Dtype; 12] = [
        Dtype::Float64,
        Dtype::Float32,
        Dtype::Float16,
        Dtype::Int64,
        Dtype::Int32,
        Dtype::Int16,
        Dtype::Int8,
        Dtype::UInt64,
        Dtype::UInt32,
        Dtype::UInt16,
        Dtype::UInt8,
        Dtype::Bool,
    ];

    /// numpy's name of the type (`"float64"`, `"uint8"`, `"bool"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float64 => "float64",
            Dtype::Float32 => "float32",
            Dtype::Float16 => "float16",
            Dtype::Int64 => "int64",
            Dtype::Int32 => "int32",
            Dtype::Int16 => "int16",
            Dtype::Int8 => "int8",
            Dtype::UInt64 => "uint64",
            Dtype::UInt32 => "uint32",
            Dtype::UInt16 => "uint16",
            Dtype::UInt8 => "uint8",
            Dtype::Bool => "bool",
        }
    }

    /// The type numpy names `name`, its aliases included (`float`/`double`, `single`, `half`,
    /// `int` and `uint` for the 64-bit ones, as numpy on 64-bit Linux); `None` for other names.
    pub fn from_name(name: &str) -> Option<Dtype> {
        Some(match name {
            "float" | "double" => Dtype::Float64,
            "single" => Dtype::Float32,
            "half" => Dtype::Float16,
            "int" => Dtype::Int64,
            "uint" => Dtype::UInt64,
            _ => return Dtype::ALL.into_iter().find(|d| d.name() == name),
        })
    }

    /// The size of one sample in bytes (numpy's `itemsize`).
    pub fn item_size(self) -> usize {
        match self {
            Dtype::Float64 | Dtype::Int64 | Dtype::UInt64 => 8,
            Dtype::Float32 | Dtype::Int32 | Dtype::UInt32 => 4,
            Dtype::Float16 | Dtype::Int16 | Dtype::UInt16 => 2,
            Dtype::Int8 | Dtype::UInt8 | Dtype::Bool => 1,
        }
    }

    /// The type numbered `n` in the C ABI.
    pub fn from_u32(n: u32) -> Option<Dtype> {
        Dtype::ALL.get(n as usize).copied()
    }

    /// numpy's promotion of two array types (`np.result_type(a, b)`, the type `np.stack` of arrays
    /// of the two gives): the wider of two of a kind; a signed integer wide enough for both of a
    /// signed and an unsigned one (`uint8`, `int8` → `int16`; anything with `uint64` → `float64`); the
    /// float that holds the integer's values exactly enough (8 bits → `float16`, 16 → `float32`,
    /// wider → `float64`) with a float; `bool` gives way to any type.
    pub fn promoted(self, other: Dtype) -> Dtype {
        use Dtype::*;
        // (kind, bytes): kind 0 bool, 1 unsigned, 2 signed, 3 float.
        let class = |d: Dtype| {
            let kind = match d {
                Bool => 0,
                UInt8 | UInt16 | UInt32 | UInt64 => 1,
                Int8 | Int16 | Int32 | Int64 => 2,
                Float16 | Float32 | Float64 => 3,
            };
            (kind, d.item_size())
        };
        let of = |kind: u8, bytes: usize| match (kind, bytes) {
            (1, 1) => UInt8,
            (1, 2) => UInt16,
            (1, 4) => UInt32,
            (1, 8) => UInt64,
            (2, 1) => Int8,
            (2, 2) => Int16,
            (2, 4) => Int32,
            (2, 8) => Int64,
            (3, 2) => Float16,
            (3, 4) => Float32,
            _ => Float64,
        };
        let ((ka, a), (kb, b)) = (class(self), class(other));
        if self == other || kb == 0 {
            return self;
        }
        if ka == 0 {
            return other;
        }
        match (ka, kb) {
            _ if ka == kb => of(ka, a.max(b)),
            (1, 2) | (2, 1) => {
                let (unsigned, signed) = if ka == 1 { (a, b) } else { (b, a) };
                if signed > unsigned {
                    of(2, signed)
                } else if unsigned < 8 {
                    of(2, unsigned * 2)
                } else {
                    Float64
                }
            }
            _ => {
                // An integer of `n` bytes with a float: the float of twice its bytes (at least 2).
                let (int, float) = if ka == 3 { (b, a) } else { (a, b) };
                of(3, float.max((int * 2).min(8)))
            }
        }
    }
}

/// A type numpy's `np.dtype` reads from a string that the library casts to (`AsType`): a real type
/// ([`Dtype`]) or a complex one, whose parts are float64 (`complex128`) or float32 (`complex64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumpyType {
    /// A real type.
    Real(Dtype),
    /// complex128 (`single` false) or complex64 (`single` true).
    Complex {
        /// Whether the parts are float32 (complex64).
        single: bool,
    },
}

impl NumpyType {
    /// The type `np.dtype(spec)` gives, as numpy 2 on 64-bit Linux reads it: a name (`"float32"`,
    /// `"double"`, `"int_"`, `"ulonglong"`, `"complex"`, ...; numpy's `sctypeDict`), or a type code
    /// with an optional byte order (`<`, `>`, `=`, `|`) first: a character (`"f"`, `"d"`, `"?"`,
    /// `"B"`, `"q"`, `"D"`, ...) or a kind and a size in bytes (`"f4"`, `"<i8"`, `">u2"`, `"b1"`,
    /// `"c16"`). The byte order does not change the values, which the library keeps in its own order.
    /// `None` for other strings, and for types the library does not hold (float128, strings, objects,
    /// dates).
    pub fn parse(spec: &str) -> Option<NumpyType> {
        use Dtype::*;
        let real = |d| Some(NumpyType::Real(d));
        let named = match spec {
            "bool" | "bool_" => real(Bool),
            "byte" => real(Int8),
            "ubyte" => real(UInt8),
            "short" => real(Int16),
            "ushort" => real(UInt16),
            "intc" => real(Int32),
            "uintc" => real(UInt32),
            "int" | "int_" | "intp" | "long" | "longlong" => real(Int64),
            "uint" | "uintp" | "ulong" | "ulonglong" => real(UInt64),
            "half" => real(Float16),
            "single" => real(Float32),
            "float" | "double" => real(Float64),
            "complex" | "cdouble" | "complex128" => Some(NumpyType::Complex { single: false }),
            "csingle" | "complex64" => Some(NumpyType::Complex { single: true }),
            _ => Dtype::ALL.into_iter().find(|d| d.name() == spec).map(NumpyType::Real),
        };
        if named.is_some() {
            return named;
        }
        let code = spec.strip_prefix(['<', '>', '=', '|']).unwrap_or(spec);
        match code {
            "?" | "b1" => real(Bool),
            "b" | "i1" => real(Int8),
            "B" | "u1" => real(UInt8),
            "h" | "i2" => real(Int16),
            "H" | "u2" => real(UInt16),
            "i" | "i4" => real(Int32),
            "I" | "u4" => real(UInt32),
            "l" | "q" | "n" | "p" | "i8" => real(Int64),
            "L" | "Q" | "N" | "P" | "u8" => real(UInt64),
            "e" | "f2" => real(Float16),
            "f" | "f4" => real(Float32),
            "d" | "f8" => real(Float64),
            "F" | "c8" => Some(NumpyType::Complex { single: true }),
            "D" | "c16" => Some(NumpyType::Complex { single: false }),
            _ => None,
        }
    }

    /// The error for a string [`NumpyType::parse`] does not read.
    pub fn refusal(spec: &str) -> String {
        let extended = matches!(spec, "longdouble" | "clongdouble" | "float128" | "complex256")
            || matches!(spec.strip_prefix(['<', '>', '=', '|']).unwrap_or(spec), "g" | "G" | "f16" | "c32");
        if extended {
            format!("'{spec}' is numpy's extended precision, which the library does not hold (use float64)")
        } else {
            format!(
                "expected numpy's name or code of a real or complex type ('float64', 'float32', 'f4', '<i8', 'uint8', \
                 'bool', 'complex64', ...), got '{spec}'"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `promoted` is numpy's `np.result_type` for every pair of types (numpy 2.4's table).
    #[test]
    fn promotion_is_numpys() {
        use Dtype::*;
        let cases = [
            (UInt8, UInt16, UInt16),
            (UInt8, Int8, Int16),
            (UInt16, Int16, Int32),
            (UInt32, Int64, Int64),
            (UInt64, Int64, Float64),
            (UInt64, Int8, Float64),
            (UInt8, Float16, Float16),
            (Int16, Float16, Float32),
            (UInt16, Float32, Float32),
            (Int32, Float32, Float64),
            (UInt64, Float16, Float64),
            (Float16, Float32, Float32),
            (Bool, UInt8, UInt8),
            (Bool, Float16, Float16),
            (Bool, Bool, Bool),
            (Int64, Int64, Int64),
            (Float64, Int8, Float64),
        ];
        for (a, b, want) in cases {
            assert_eq!(a.promoted(b), want, "{a:?} with {b:?}");
            assert_eq!(b.promoted(a), want, "{b:?} with {a:?}");
        }
    }

    #[test]
    fn names_and_numbers_round_trip() {
        for (i, d) in Dtype::ALL.into_iter().enumerate() {
            assert_eq!(d as u32, i as u32);
            assert_eq!(Dtype::from_u32(i as u32), Some(d));
            assert_eq!(Dtype::from_name(d.name()), Some(d));
        }
        assert_eq!(Dtype::from_name("double"), Some(Dtype::Float64));
        assert_eq!(Dtype::from_name("half"), Some(Dtype::Float16));
        assert_eq!(Dtype::from_name("uint"), Some(Dtype::UInt64));
        assert_eq!(Dtype::from_name("complex128"), None);
        assert_eq!(Dtype::from_u32(12), None);
    }

    #[test]
    fn numpy_type_strings_read_as_numpy_reads_them() {
        use NumpyType::{Complex, Real};
        for d in Dtype::ALL {
            assert_eq!(NumpyType::parse(d.name()), Some(Real(d)));
        }
        assert_eq!(NumpyType::parse("f4"), Some(Real(Dtype::Float32)));
        assert_eq!(NumpyType::parse("<i8"), Some(Real(Dtype::Int64)));
        assert_eq!(NumpyType::parse(">f8"), Some(Real(Dtype::Float64)));
        assert_eq!(NumpyType::parse("|u1"), Some(Real(Dtype::UInt8)));
        assert_eq!(NumpyType::parse("?"), Some(Real(Dtype::Bool)));
        assert_eq!(NumpyType::parse("intc"), Some(Real(Dtype::Int32)));
        assert_eq!(NumpyType::parse("double"), Some(Real(Dtype::Float64)));
        assert_eq!(NumpyType::parse("F"), Some(Complex { single: true }));
        assert_eq!(NumpyType::parse("complex"), Some(Complex { single: false }));
        // Byte orders go with codes only; extended precision, strings and sizes numpy lacks are refused.
        for bad in ["<float32", "g", "float128", "str", "U", "f3", "i16", "", "O", "datetime64", "Float64"] {
            assert_eq!(NumpyType::parse(bad), None, "{bad}");
        }
        assert!(NumpyType::refusal("g").contains("extended precision"));
        assert!(NumpyType::refusal("str").starts_with("expected numpy's name or code"));
    }
}
