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

    /// The type numbered `n` in the C ABI.
    pub fn from_u32(n: u32) -> Option<Dtype> {
        Dtype::ALL.get(n as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
