//! C ABI for the registry of built-in kinds: enumerate the kinds and their parameters, so that a
//! binding, a GUI or a document is generated from the library rather than copied.
//!
//! Kinds and parameters are addressed by index: kinds `0 .. deeptrack_kind_count()`, parameters of a
//! kind `0 .. deeptrack_kind_param_count()`. Indices are stable for one build of the library. Every
//! string returned is borrowed, NUL-terminated, UTF-8 and valid for the life of the process: never free
//! it.

use libc::{c_char, size_t};

use super::value::{deeptrack_value, into_c};
use super::{check_out, deeptrack_status, guard, guard_or, str_arg};
use crate::error::{Error, ErrorKind};
use crate::features::registry::{self, KindSpec, ParamDefault, ParamKind, ParamSpec, Support};
use crate::value::Text;

/// `deeptrack_kind_param_type()`: any value (the kind checks it).
pub const DEEPTRACK_PARAM_ANY: u32 = 0;
/// `deeptrack_kind_param_type()`: a number (int or float), never NaN, within the limits.
pub const DEEPTRACK_PARAM_NUMBER: u32 = 1;
/// `deeptrack_kind_param_type()`: a whole number (an int, or a float without a fraction).
pub const DEEPTRACK_PARAM_INTEGER: u32 = 2;
/// `deeptrack_kind_param_type()`: a bool.
pub const DEEPTRACK_PARAM_BOOL: u32 = 3;
/// `deeptrack_kind_param_type()`: a string, one of the choices when there are any.
pub const DEEPTRACK_PARAM_STRING: u32 = 4;
/// `deeptrack_kind_param_type()`: one number or a vector (1-d array or list) of numbers whose length
/// `deeptrack_kind_param_length()` gives, each within the limits (whole with
/// `DEEPTRACK_PARAM_FLAG_WHOLE`).
pub const DEEPTRACK_PARAM_VECTOR: u32 = 5;
/// `deeptrack_kind_param_type()`: numbers of any shape (a number, a bool, an array, nested lists).
pub const DEEPTRACK_PARAM_ARRAY: u32 = 6;
/// `deeptrack_kind_param_type()`: numbers of any shape, or a list of them paired with the images.
pub const DEEPTRACK_PARAM_ARRAYS: u32 = 7;
/// `deeptrack_kind_param_type()`: an axis: none, an int, or a list of ints.
pub const DEEPTRACK_PARAM_AXIS: u32 = 8;
/// `deeptrack_kind_param_type()`: a feature given at construction (not a property).
pub const DEEPTRACK_PARAM_FEATURE: u32 = 9;
/// `deeptrack_kind_param_type()`: any number of features given at construction (not a property).
pub const DEEPTRACK_PARAM_FEATURES: u32 = 10;
/// `deeptrack_kind_param_type()`: a function given at construction (not a property): a custom feature
/// (`deeptrack_feature_new_custom`) among the features of `deeptrack_feature_new_with`, whose `get` the
/// kind calls with its own properties (`Blur`'s `filter_function`, `Pool`'s `pooling_function`).
pub const DEEPTRACK_PARAM_CALLBACK: u32 = 11;
/// `deeptrack_kind_param_type()`: numpy's type as a string, a name (`"float32"`, `"double"`,
/// `"complex64"`) or a type code (`"f4"`, `"<i8"`, `"?"`), as `np.dtype` reads it (`AsType`'s `dtype`).
pub const DEEPTRACK_PARAM_DTYPE: u32 = 12;

/// `deeptrack_kind_param_flags()`: the lower limit itself is excluded.
pub const DEEPTRACK_PARAM_FLAG_MIN_OPEN: u32 = 1;
/// `deeptrack_kind_param_flags()`: the upper limit itself is excluded.
pub const DEEPTRACK_PARAM_FLAG_MAX_OPEN: u32 = 2;
/// `deeptrack_kind_param_flags()`: none is accepted too.
pub const DEEPTRACK_PARAM_FLAG_NULLABLE: u32 = 4;
/// `deeptrack_kind_param_flags()`: DeepTrack2's parameter that the library supports at its default
/// only (not a property unless set; another constant is an error).
pub const DEEPTRACK_PARAM_FLAG_ONLY_DEFAULT: u32 = 8;
/// `deeptrack_kind_param_flags()`: no default: the parameter must be given.
pub const DEEPTRACK_PARAM_FLAG_REQUIRED: u32 = 16;
/// `deeptrack_kind_param_flags()`: optional, and not a property unless set (no default).
pub const DEEPTRACK_PARAM_FLAG_OPTIONAL: u32 = 32;
/// `deeptrack_kind_param_flags()`: the default is sampled by the library from the other properties
/// (DeepTrack2's default none, computed; `deeptrack_kind_param_default` gives NULL).
pub const DEEPTRACK_PARAM_FLAG_SAMPLED: u32 = 64;
/// `deeptrack_kind_param_flags()`: the numbers must be whole.
pub const DEEPTRACK_PARAM_FLAG_WHOLE: u32 = 128;
/// `deeptrack_kind_param_flags()`: a length in meters (a scatterer's `radius`), which DeepTrack2
/// converts from a quantity in pixels with the optics' pixel size: give such a quantity with
/// `deeptrack_rule_pixels`.
pub const DEEPTRACK_PARAM_FLAG_METERS: u32 = 256;
/// `deeptrack_kind_param_flags()`: a number of camera pixels (a scatterer's `position` and `z`), which
/// DeepTrack2 converts from a length with the optics' pixel size: give a length in meters with
/// `deeptrack_rule_meters`.
pub const DEEPTRACK_PARAM_FLAG_PIXELS: u32 = 512;

fn kind_at(index: size_t) -> Result<&'static KindSpec, Error> {
    registry::kinds().nth(index).ok_or_else(|| {
        Error::new(
            ErrorKind::OutOfRange,
            format!("kind index {index} is out of range (there are {} kinds)", registry::kinds().count()),
        )
    })
}

fn param_at(kind: size_t, param: size_t) -> Result<&'static ParamSpec, Error> {
    let spec = kind_at(kind)?;
    spec.params.get(param).ok_or_else(|| {
        Error::new(
            ErrorKind::OutOfRange,
            format!("parameter index {param} is out of range ({} has {} parameters)", spec.name, spec.params.len()),
        )
    })
}

fn item(items: &[&'static str], index: size_t, what: &str) -> Result<&'static str, Error> {
    items.get(index).copied().ok_or_else(|| {
        Error::new(ErrorKind::OutOfRange, format!("{what} index {index} is out of range (there are {})", items.len()))
    })
}

/// Writes a static string as a borrowed C string valid for the life of the process.
fn write_str(out: *mut *const c_char, s: &'static str) {
    // SAFETY: callers check `out` first; the interned text lives as long as the process.
    unsafe { *out = Text::interned(s).as_c_ptr() };
}

fn write<T>(out: *mut T, value: T) {
    // SAFETY: callers check `out` first.
    unsafe { *out = value };
}

/// The number of built-in kinds (aliases not counted).
#[unsafe(no_mangle)]
pub extern "C" fn deeptrack_kind_count() -> size_t {
    guard_or(0, || registry::kinds().count())
}

/// The index of the kind whose class name or alias is `name`, in `*index`.
/// `DEEPTRACK_STATUS_NOT_FOUND` for an unknown name.
///
/// # Safety
/// `name` must be NULL or NUL-terminated; `index` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_find(name: *const c_char, index: *mut size_t) -> deeptrack_status {
    guard(|| {
        check_out(index, "index")?;
        // SAFETY: forwarded contract.
        let name = unsafe { str_arg(name, "name")? };
        let found = registry::find(name).ok_or_else(|| {
            Error::not_found(format!("unknown feature kind '{name}'{}", registry::did_you_mean(name)))
        })?;
        let i = registry::kinds().position(|k| std::ptr::eq(k, found)).expect("found in the table");
        write(index, i);
        Ok(())
    })
}

/// The DeepTrack2 class name of kind `kind` (what `deeptrack_feature_new` takes), borrowed for the life
/// of the process. `DEEPTRACK_STATUS_OUT_OF_RANGE` for an index past the end.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_name(kind: size_t, out: *mut *const c_char) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, kind_at(kind)?.name);
        Ok(())
    })
}

/// The DeepTrack2 module of kind `kind` (`"features"`, `"math"`, `"noises"`, `"augmentations"`,
/// `"scatterers"`, `"optics"`, …), borrowed for the life of the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_module(kind: size_t, out: *mut *const c_char) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, kind_at(kind)?.module);
        Ok(())
    })
}

/// DeepTrack2 2.0.1's direct base class of kind `kind`, where it is not the usual base of the kind's
/// module: `"Blur"` for `GaussianBlur`, `"ArithmeticOperationFeature"` for `Add`, `"Zernike"` for
/// `Defocus`, `"Feature"` for a kind that 2.0.1 derives from `Feature` although its module has a base
/// class (`CropTight`); `""` for the module's usual base (`Sum`: `Reducer`). Borrowed for the life of
/// the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_base(kind: size_t, out: *mut *const c_char) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, kind_at(kind)?.base);
        Ok(())
    })
}

/// Whether DeepTrack2 2.0.1's result of kind `kind` on a 0-d input is a 0-d array (the class returns
/// its input array, or the 0-d array of a scipy or numpy function: `GaussianBlur`, `FlipLR`, `Real`)
/// where the library's result is a number (numpy's scalar in Python), in `*out`. Bindings that
/// mirror 2.0.1's result types convert it.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_zero_d_array(kind: size_t, out: *mut bool) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, kind_at(kind)?.zero_d_array);
        Ok(())
    })
}

/// Whether the result of kind `kind` is numpy's bools (the comparisons: `GreaterThan`, `Equals`, ...),
/// in `*out`: on a 0-d input DeepTrack2 2.0.1 gives numpy's bool scalar (`np.bool_`). Bindings that
/// mirror 2.0.1's result types convert it.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_bool_output(kind: size_t, out: *mut bool) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, kind_at(kind)?.bool_output);
        Ok(())
    })
}

/// One line on what kind `kind` computes, borrowed for the life of the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_doc(kind: size_t, out: *mut *const c_char) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, kind_at(kind)?.doc);
        Ok(())
    })
}

/// The number of aliases of kind `kind` (other class names that create it, e.g. `"Equal"`).
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_alias_count(kind: size_t, out: *mut size_t) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, kind_at(kind)?.aliases.len());
        Ok(())
    })
}

/// Alias `alias` of kind `kind`, borrowed for the life of the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_alias(
    kind: size_t,
    alias: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, item(kind_at(kind)?.aliases, alias, "alias")?);
        Ok(())
    })
}

/// The number of parameters DeepTrack2's constructor of kind `kind` takes by position.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_positional_count(kind: size_t, out: *mut size_t) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, kind_at(kind)?.positional.len());
        Ok(())
    })
}

/// The name of positional parameter `index` of kind `kind`, in DeepTrack2's constructor order: a
/// parameter's name, or `"_input"` (DeepTrack2's input image given at construction). Borrowed for the
/// life of the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_positional(
    kind: size_t,
    index: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, item(kind_at(kind)?.positional, index, "positional parameter")?);
        Ok(())
    })
}

/// The number of parameters of kind `kind`, in the order of the feature's properties.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_count(kind: size_t, out: *mut size_t) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, kind_at(kind)?.params.len());
        Ok(())
    })
}

/// The name of parameter `param` of kind `kind` (the property name), borrowed for the life of the
/// process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_name(
    kind: size_t,
    param: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, param_at(kind, param)?.name);
        Ok(())
    })
}

/// One line on what parameter `param` of kind `kind` means, borrowed for the life of the process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_doc(
    kind: size_t,
    param: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, param_at(kind, param)?.doc);
        Ok(())
    })
}

/// What values parameter `param` of kind `kind` accepts: one of the `DEEPTRACK_PARAM_*` types.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_type(kind: size_t, param: size_t, out: *mut u32) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let t = match param_at(kind, param)?.kind {
            ParamKind::Any => DEEPTRACK_PARAM_ANY,
            ParamKind::Number => DEEPTRACK_PARAM_NUMBER,
            ParamKind::Integer => DEEPTRACK_PARAM_INTEGER,
            ParamKind::Bool => DEEPTRACK_PARAM_BOOL,
            ParamKind::Str { .. } => DEEPTRACK_PARAM_STRING,
            ParamKind::Vector { .. } => DEEPTRACK_PARAM_VECTOR,
            ParamKind::Array => DEEPTRACK_PARAM_ARRAY,
            ParamKind::Arrays => DEEPTRACK_PARAM_ARRAYS,
            ParamKind::Axis => DEEPTRACK_PARAM_AXIS,
            ParamKind::Feature => DEEPTRACK_PARAM_FEATURE,
            ParamKind::Features => DEEPTRACK_PARAM_FEATURES,
            ParamKind::Callback => DEEPTRACK_PARAM_CALLBACK,
            ParamKind::Dtype => DEEPTRACK_PARAM_DTYPE,
        };
        write(out, t);
        Ok(())
    })
}

/// The `DEEPTRACK_PARAM_FLAG_*` bits of parameter `param` of kind `kind`.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_flags(kind: size_t, param: size_t, out: *mut u32) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let p = param_at(kind, param)?;
        let whole = matches!(p.kind, ParamKind::Integer | ParamKind::Vector { whole: true, .. });
        let flags = [
            (p.min_open, DEEPTRACK_PARAM_FLAG_MIN_OPEN),
            (p.max_open, DEEPTRACK_PARAM_FLAG_MAX_OPEN),
            (p.nullable, DEEPTRACK_PARAM_FLAG_NULLABLE),
            (p.support == Support::OnlyDefault, DEEPTRACK_PARAM_FLAG_ONLY_DEFAULT),
            (matches!(p.default, ParamDefault::Required), DEEPTRACK_PARAM_FLAG_REQUIRED),
            (matches!(p.default, ParamDefault::Absent), DEEPTRACK_PARAM_FLAG_OPTIONAL),
            (matches!(p.default, ParamDefault::Sampled(_)), DEEPTRACK_PARAM_FLAG_SAMPLED),
            (whole, DEEPTRACK_PARAM_FLAG_WHOLE),
            (p.meters, DEEPTRACK_PARAM_FLAG_METERS),
            (p.pixels, DEEPTRACK_PARAM_FLAG_PIXELS),
        ];
        write(out, flags.iter().filter(|(on, _)| *on).fold(0, |acc, (_, bit)| acc | bit));
        Ok(())
    })
}

/// The default of parameter `param` of kind `kind`: a new value owned by the caller (free it with
/// `deeptrack_value_free`), or NULL when there is no constant default (the flags say why: required,
/// optional or sampled).
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_default(
    kind: size_t,
    param: size_t,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let value = match param_at(kind, param)?.default {
            ParamDefault::Value(c) => into_c(c.to_value()),
            _ => std::ptr::null_mut(),
        };
        write(out, value);
        Ok(())
    })
}

/// The limits of the numbers of parameter `param` of kind `kind` (each number of a vector or array):
/// `*min` and `*max`, inclusive unless the flags say open; `-DBL_MAX` / `DBL_MAX` mean "finite",
/// infinities no limit.
///
/// # Safety
/// `min` and `max` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_limits(
    kind: size_t,
    param: size_t,
    min: *mut f64,
    max: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(min, "min")?;
        check_out(max, "max")?;
        let p = param_at(kind, param)?;
        write(min, p.min);
        write(max, p.max);
        Ok(())
    })
}

/// How many numbers a `DEEPTRACK_PARAM_VECTOR` parameter takes: `*min_len ..= *max_len` (`SIZE_MAX`:
/// no upper limit). Other types give 0 and `SIZE_MAX`.
///
/// # Safety
/// `min_len` and `max_len` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_length(
    kind: size_t,
    param: size_t,
    min_len: *mut size_t,
    max_len: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(min_len, "min_len")?;
        check_out(max_len, "max_len")?;
        let (lo, hi) = match param_at(kind, param)?.kind {
            ParamKind::Vector { min_len, max_len, .. } => (min_len, max_len),
            _ => (0, usize::MAX),
        };
        write(min_len, lo);
        write(max_len, hi);
        Ok(())
    })
}

/// The number of accepted strings of a `DEEPTRACK_PARAM_STRING` parameter (0: any string; 0 for
/// other types).
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_choice_count(
    kind: size_t,
    param: size_t,
    out: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write(out, choices(param_at(kind, param)?).len());
        Ok(())
    })
}

/// Accepted string `choice` of a `DEEPTRACK_PARAM_STRING` parameter, borrowed for the life of the
/// process.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_kind_param_choice(
    kind: size_t,
    param: size_t,
    choice: size_t,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_str(out, item(choices(param_at(kind, param)?), choice, "choice")?);
        Ok(())
    })
}

fn choices(p: &ParamSpec) -> &'static [&'static str] {
    match p.kind {
        ParamKind::Str { choices } => choices,
        _ => &[],
    }
}
