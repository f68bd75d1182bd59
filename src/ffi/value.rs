//! C ABI for values: constructors, typed accessors, lists.

use libc::{c_char, size_t};
use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::{check_out, deeptrack_status, guard, guard_or, null, slice_arg, str_arg, write_string};
use crate::error::{Error, ErrorKind};
use crate::image::element_count;
use crate::value::Value;

/// A property value: none, bool, int, float, complex, string, n-d float, complex, boolean or integer
/// array, list, tuple, or an object of the host's.
///
/// Values you create (`deeptrack_value_new_*`) or receive as owned results are yours: free them with
/// `deeptrack_value_free`. Values reached through `const deeptrack_value *` results (list items, dict
/// entries, context reads) are borrowed: never free them.
pub struct deeptrack_value {
    _private: [u8; 0],
}

/// `deeptrack_value_kind()` of a none value (also returned for a NULL value).
pub const DEEPTRACK_VALUE_KIND_NONE: u32 = 0;
/// `deeptrack_value_kind()` of a bool.
pub const DEEPTRACK_VALUE_KIND_BOOL: u32 = 1;
/// `deeptrack_value_kind()` of an int.
pub const DEEPTRACK_VALUE_KIND_INT: u32 = 2;
/// `deeptrack_value_kind()` of a float.
pub const DEEPTRACK_VALUE_KIND_FLOAT: u32 = 3;
/// `deeptrack_value_kind()` of a string.
pub const DEEPTRACK_VALUE_KIND_STRING: u32 = 4;
/// `deeptrack_value_kind()` of an n-d float array.
pub const DEEPTRACK_VALUE_KIND_ARRAY: u32 = 5;
/// `deeptrack_value_kind()` of a list.
pub const DEEPTRACK_VALUE_KIND_LIST: u32 = 6;
/// `deeptrack_value_kind()` of a complex number.
pub const DEEPTRACK_VALUE_KIND_COMPLEX: u32 = 7;
/// `deeptrack_value_kind()` of a tuple (a list that Python gives and gets back as a `tuple`; the
/// library reads it as a list).
pub const DEEPTRACK_VALUE_KIND_TUPLE: u32 = 8;
/// `deeptrack_value_kind()` of an n-d complex array (read with `deeptrack_value_array_complex`).
pub const DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY: u32 = 9;
/// `deeptrack_value_kind()` of an n-d boolean array (numpy's bool array: a mask; read with
/// `deeptrack_value_array_bool`).
pub const DEEPTRACK_VALUE_KIND_BOOL_ARRAY: u32 = 10;
/// `deeptrack_value_kind()` of an n-d array of 64-bit signed integers (numpy's integer array: a
/// position drawn with `np.random.randint`, class labels; read with `deeptrack_value_array_int`).
pub const DEEPTRACK_VALUE_KIND_INT_ARRAY: u32 = 11;
/// `deeptrack_value_kind()` of an object of the host's, held without being read (a Python dict or
/// class instance; made with `deeptrack_value_new_object`, read with `deeptrack_value_object`).
pub const DEEPTRACK_VALUE_KIND_OBJECT: u32 = 12;

/// The largest number of dimensions accepted for arrays and images.
pub const DEEPTRACK_MAX_NDIM: usize = 32;

/// Borrows a value.
///
/// # Safety
/// `p` must be NULL or a value pointer from this library that is still alive.
pub(crate) unsafe fn value_ref<'a>(p: *const deeptrack_value, arg: &str) -> Result<&'a Value, Error> {
    if p.is_null() {
        return Err(null(arg));
    }
    if !p.cast::<Value>().is_aligned() {
        return Err(Error::new(ErrorKind::InvalidHandle, format!("argument '{arg}' is not a deeptrack_value")));
    }
    // SAFETY: per the caller's contract.
    Ok(unsafe { &*p.cast::<Value>() })
}

/// Hands an owned value to C.
pub(crate) fn into_c(v: Value) -> *mut deeptrack_value {
    Box::into_raw(Box::new(v)).cast()
}

/// A borrowed value pointer for C.
pub(crate) fn as_c(v: &Value) -> *const deeptrack_value {
    (v as *const Value).cast()
}

/// Takes back an owned value.
///
/// # Safety
/// `p` must be NULL or an owned value from this library, not used afterwards.
pub(crate) unsafe fn from_c(p: *mut deeptrack_value, arg: &str) -> Result<Value, Error> {
    // SAFETY: per the caller's contract.
    unsafe { value_ref(p, arg)? };
    // SAFETY: checked non-NULL; owned per the contract.
    Ok(*unsafe { Box::from_raw(p.cast::<Value>()) })
}

/// Reads a C-order array argument (of doubles, or of `int64_t`) into an owned array; checks the rank
/// and element count.
///
/// # Safety
/// `shape` must point to `ndim` sizes and `data` to the product of them.
pub(crate) unsafe fn array_arg<T: Copy>(
    data: *const T,
    shape: *const size_t,
    ndim: size_t,
) -> Result<ArrayD<T>, Error> {
    if ndim > DEEPTRACK_MAX_NDIM {
        return Err(Error::invalid(format!("argument 'ndim' is {ndim}; at most {DEEPTRACK_MAX_NDIM} dimensions")));
    }
    // SAFETY: forwarded contract.
    let shape = unsafe { slice_arg(shape, ndim, "shape")? };
    let count = element_count(shape)?;
    // SAFETY: forwarded contract.
    let data = unsafe { slice_arg(data, count, "data")? };
    let mut buf = Vec::new();
    buf.try_reserve_exact(count)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} elements")))?;
    buf.extend_from_slice(data);
    Ok(ArrayD::from_shape_vec(IxDyn(shape), buf).expect("count checked"))
}

/// Writes a new owned value to `out`.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn write_new(out: *mut *mut deeptrack_value, v: Value) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(v) };
        Ok(())
    })
}

/// Creates a float value (any double, NaN and infinities included). On success `*out` receives a new
/// value owned by the caller (free with `deeptrack_value_free`); `DEEPTRACK_STATUS_NULL_ARGUMENT` if
/// `out` is NULL.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_float(v: f64, out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::Float(v)) }
}

/// Creates a complex value `re + im·i` (any doubles). On success `*out` receives a new value owned by
/// the caller (free with `deeptrack_value_free`); `DEEPTRACK_STATUS_NULL_ARGUMENT` if `out` is NULL.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_complex(
    re: f64,
    im: f64,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::Complex(re, im)) }
}

/// Creates an int value. On success `*out` receives a new value owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_int(v: i64, out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::Int(v)) }
}

/// Creates a bool value. On success `*out` receives a new value owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_bool(v: bool, out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::Bool(v)) }
}

/// Creates a none value. On success `*out` receives a new value owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_none(out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::None) }
}

/// Creates a string value from NUL-terminated UTF-8 `s` (copied). On success `*out` receives a new
/// value owned by the caller. Returns `DEEPTRACK_STATUS_INVALID_UTF8` for invalid UTF-8.
///
/// # Safety
/// `s` must be NULL or NUL-terminated; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_string(
    s: *const c_char,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let s = unsafe { str_arg(s, "s")? };
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::str(s)) };
        Ok(())
    })
}

/// Creates an n-d float array value by copying `data` (C order) of shape `shape[0..ndim]`. `ndim` 0
/// makes a scalar array of one element; `data` may be NULL when the shape has no elements. On success
/// `*out` receives a new value owned by the caller. Errors: `DEEPTRACK_STATUS_INVALID_ARGUMENT` for
/// more than `DEEPTRACK_MAX_NDIM` dimensions, `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count
/// overflows or cannot be allocated.
///
/// # Safety
/// `shape` must point to `ndim` sizes, `data` to as many doubles as their product; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_array(
    data: *const f64,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let array = unsafe { array_arg(data, shape, ndim)? };
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::array(array)) };
        Ok(())
    })
}

/// Creates an n-d complex array value by copying `data`: `2·n` doubles for the `n` elements of shape
/// `shape[0..ndim]` in C order, each element its real part then its imaginary part (the layout of C99
/// `double complex`, C++ `std::complex<double>` and numpy's `complex128`). `ndim` 0 makes a scalar
/// array of one element; `data` may be NULL when the shape has no elements. On success `*out`
/// receives a new value owned by the caller (`DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY`; free with
/// `deeptrack_value_free`). Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `out`, `shape` (with
/// `ndim` > 0) or `data` (with elements), `DEEPTRACK_STATUS_INVALID_ARGUMENT` for more than
/// `DEEPTRACK_MAX_NDIM` dimensions, `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count overflows
/// or cannot be allocated.
///
/// # Safety
/// `shape` must point to `ndim` sizes, `data` to twice as many doubles as their product; `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_array_complex(
    data: *const f64,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let array = unsafe { complex_array_arg(data, shape, ndim)? };
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::complex_array(array)) };
        Ok(())
    })
}

/// Creates an n-d boolean array value (numpy's bool array: as an index, a mask) by copying `data`,
/// one `bool` per element of shape `shape[0..ndim]` in C order (any nonzero byte is true). `ndim` 0
/// makes a scalar array of one element; `data` may be NULL when the shape has no elements. On success
/// `*out` receives a new value owned by the caller (`DEEPTRACK_VALUE_KIND_BOOL_ARRAY`; free with
/// `deeptrack_value_free`). Where numbers are read it is its 0s and 1s, as numpy computes with bools.
/// Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `out`, `shape` (with `ndim` > 0) or `data`
/// (with elements), `DEEPTRACK_STATUS_INVALID_ARGUMENT` for more than `DEEPTRACK_MAX_NDIM` dimensions,
/// `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count overflows or cannot be allocated.
///
/// # Safety
/// `shape` must point to `ndim` sizes, `data` to as many bytes as their product; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_array_bool(
    data: *const bool,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        if ndim > DEEPTRACK_MAX_NDIM {
            return Err(Error::invalid(format!("argument 'ndim' is {ndim}; at most {DEEPTRACK_MAX_NDIM} dimensions")));
        }
        // SAFETY: forwarded contract.
        let shape = unsafe { slice_arg(shape, ndim, "shape")? };
        let count = element_count(shape)?;
        // SAFETY: forwarded contract; read as bytes, so that any nonzero byte a caller wrote is true.
        let bytes = unsafe { slice_arg(data.cast::<u8>(), count, "data")? };
        let mut buf = Vec::new();
        buf.try_reserve_exact(count)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} elements")))?;
        buf.extend(bytes.iter().map(|&b| b != 0));
        let array = ArrayD::from_shape_vec(IxDyn(shape), buf).expect("count checked");
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::bool_array(array)) };
        Ok(())
    })
}

/// Creates an n-d integer array value (numpy's integer array: kept as integers, so that a property
/// dict gives them back) by copying `data`, one `int64_t` per element of shape `shape[0..ndim]` in C
/// order. `ndim` 0 makes a scalar array of one element; `data` may be NULL when the shape has no
/// elements. On success `*out` receives a new value owned by the caller
/// (`DEEPTRACK_VALUE_KIND_INT_ARRAY`; free with `deeptrack_value_free`). Where the library reads
/// numbers (an arithmetic operand, a position, `Pad`'s `px`, an index) it reads its values, exact as
/// doubles up to 2^53 in magnitude. Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `out`,
/// `shape` (with `ndim` > 0) or `data` (with elements), `DEEPTRACK_STATUS_INVALID_ARGUMENT` for more
/// than `DEEPTRACK_MAX_NDIM` dimensions, `DEEPTRACK_STATUS_OUT_OF_MEMORY` when the element count
/// overflows or cannot be allocated.
///
/// # Safety
/// `shape` must point to `ndim` sizes, `data` to as many `int64_t` as their product; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_array_int(
    data: *const i64,
    shape: *const size_t,
    ndim: size_t,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let array = unsafe { array_arg(data, shape, ndim)? };
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::int_array(array)) };
        Ok(())
    })
}

/// Reads a C-order complex array argument (real and imaginary parts interleaved) into an owned
/// array; checks the rank and element count.
///
/// # Safety
/// `shape` must point to `ndim` sizes and `data` to twice the product of them.
unsafe fn complex_array_arg(data: *const f64, shape: *const size_t, ndim: size_t) -> Result<ArrayD<Complex64>, Error> {
    if ndim > DEEPTRACK_MAX_NDIM {
        return Err(Error::invalid(format!("argument 'ndim' is {ndim}; at most {DEEPTRACK_MAX_NDIM} dimensions")));
    }
    // SAFETY: forwarded contract.
    let shape = unsafe { slice_arg(shape, ndim, "shape")? };
    let count = element_count(shape)?;
    let doubles = count
        .checked_mul(2)
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} complex elements")))?;
    // SAFETY: forwarded contract.
    let data = unsafe { slice_arg(data, doubles, "data")? };
    let mut buf = Vec::new();
    buf.try_reserve_exact(count)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} complex elements")))?;
    buf.extend(data.chunks_exact(2).map(|z| Complex64::new(z[0], z[1])));
    Ok(ArrayD::from_shape_vec(IxDyn(shape), buf).expect("count checked"))
}

/// Creates an empty list value. On success `*out` receives a new value owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_list(out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::List(Vec::new())) }
}

/// Creates an empty tuple value (`DEEPTRACK_VALUE_KIND_TUPLE`; fill it with
/// `deeptrack_value_list_push`, read it with `deeptrack_value_list_len`/`_get`). A property set to a
/// tuple reads back as a tuple; everywhere else the library takes it as a list. On success `*out`
/// receives a new value owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_tuple(out: *mut *mut deeptrack_value) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { write_new(out, Value::Tuple(Vec::new())) }
}

/// Appends a copy of `item` to `list` (which must be an owned LIST or TUPLE value; `item` stays the
/// caller's). Returns `DEEPTRACK_STATUS_TYPE_MISMATCH` if `list` is neither.
///
/// # Safety
/// `list` must be an owned value of this library (not a borrowed one); `item` any live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_list_push(
    list: *mut deeptrack_value,
    item: *const deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let copy = unsafe { value_ref(item, "item")? }.clone();
        // SAFETY: forwarded contract.
        unsafe { value_ref(list, "list")? };
        // SAFETY: checked; the shared borrow of `item` ended with the clone, so `list` may alias it.
        let list = unsafe { &mut *list.cast::<Value>() };
        match list {
            Value::List(items) | Value::Tuple(items) => {
                items.try_reserve(1).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot grow the list"))?;
                items.push(copy);
                Ok(())
            }
            other => {
                Err(Error::type_mismatch(format!("argument 'list' is {}, not a list or a tuple", other.kind_name())))
            }
        }
    })
}

/// Returns the kind of `v`: one of `DEEPTRACK_VALUE_KIND_NONE` (0), `_BOOL` (1), `_INT` (2), `_FLOAT`
/// (3), `_STRING` (4), `_ARRAY` (5), `_LIST` (6), `_COMPLEX` (7), `_TUPLE` (8), `_COMPLEX_ARRAY` (9),
/// `_BOOL_ARRAY` (10), `_INT_ARRAY` (11). A NULL `v` gives `DEEPTRACK_VALUE_KIND_NONE`.
///
/// # Safety
/// `v` must be NULL or a live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_kind(v: *const deeptrack_value) -> u32 {
    // SAFETY: forwarded contract.
    guard_or(DEEPTRACK_VALUE_KIND_NONE, || {
        unsafe { value_ref(v, "v") }.map_or(DEEPTRACK_VALUE_KIND_NONE, |v| v.kind() as u32)
    })
}

/// Reads `v` with `get` into `*out`.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
unsafe fn read_as<T>(v: *const deeptrack_value, out: *mut T, get: fn(&Value) -> Result<T, Error>) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let x = get(unsafe { value_ref(v, "v")? })?;
        // SAFETY: checked non-NULL.
        unsafe { *out = x };
        Ok(())
    })
}

/// Reads a FLOAT value, or an INT value converted to double, into `*out`.
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` for any other kind.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_as_float(v: *const deeptrack_value, out: *mut f64) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { read_as(v, out, Value::as_f64) }
}

/// Reads a COMPLEX value (or a FLOAT or INT value, with a zero imaginary part) into `*re` and `*im`.
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` for any other kind; nothing is written unless it succeeds.
///
/// # Safety
/// `v` must be NULL or a live value; `re` and `im` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_as_complex(
    v: *const deeptrack_value,
    re: *mut f64,
    im: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(re, "re")?;
        check_out(im, "im")?;
        // SAFETY: forwarded contract.
        let (a, b) = unsafe { value_ref(v, "v")? }.as_complex()?;
        // SAFETY: both checked non-NULL.
        unsafe {
            *re = a;
            *im = b;
        }
        Ok(())
    })
}

/// Reads an INT value into `*out`. `DEEPTRACK_STATUS_TYPE_MISMATCH` for any other kind.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_as_int(v: *const deeptrack_value, out: *mut i64) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { read_as(v, out, Value::as_i64) }
}

/// Reads a BOOL value into `*out`. `DEEPTRACK_STATUS_TYPE_MISMATCH` for any other kind.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_as_bool(v: *const deeptrack_value, out: *mut bool) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { read_as(v, out, Value::as_bool) }
}

/// Reads a STRING value: `*out` receives a borrowed NUL-terminated UTF-8 string, valid while `v`
/// lives (for a borrowed `v`, while its owner lives). Do not free it.
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` for another kind of value.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_as_string(
    v: *const deeptrack_value,
    out: *mut *const c_char,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        match unsafe { value_ref(v, "v")? } {
            // SAFETY: checked non-NULL.
            Value::Str(s) => unsafe { *out = s.as_c_ptr() },
            other => return Err(Error::type_mismatch(format!("expected a string, got {}", other.kind_name()))),
        }
        Ok(())
    })
}

/// Reads an ARRAY value: `*data` receives its elements (C order), `*shape` its `*ndim` sizes. Both are
/// borrowed, valid while `v` lives; do not free them. `DEEPTRACK_STATUS_TYPE_MISMATCH` for another
/// kind of value. Any of the three out-pointers may be NULL if that part is not wanted.
///
/// # Safety
/// `v` must be NULL or a live value; the out-pointers NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_array(
    v: *const deeptrack_value,
    data: *mut *const f64,
    shape: *mut *const size_t,
    ndim: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let a = unsafe { value_ref(v, "v")? }.as_array()?;
        // SAFETY: forwarded contract; the array lives as long as `v`.
        unsafe { lend_array(data, shape, ndim, a.as_ptr(), a.shape()) };
        Ok(())
    })
}

/// Reads a COMPLEX_ARRAY value: `*data` receives its elements in C order, two doubles each (real
/// part, then imaginary part: `2·n` doubles for `n` elements), `*shape` its `*ndim` sizes. Both are
/// borrowed, valid while `v` lives; do not free them. `DEEPTRACK_STATUS_TYPE_MISMATCH` for another
/// kind of value (a real ARRAY is read with `deeptrack_value_array`). Any of the three out-pointers
/// may be NULL if that part is not wanted.
///
/// # Safety
/// `v` must be NULL or a live value; the out-pointers NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_array_complex(
    v: *const deeptrack_value,
    data: *mut *const f64,
    shape: *mut *const size_t,
    ndim: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let a = unsafe { value_ref(v, "v")? }.as_complex_array()?;
        // SAFETY: forwarded contract; the array lives as long as `v`. `Complex64` is `#[repr(C)]` of
        // two `f64` (`re`, `im`), so the standard-layout elements are `2·n` doubles from `as_ptr()`.
        unsafe { lend_array(data, shape, ndim, a.as_ptr().cast::<f64>(), a.shape()) };
        Ok(())
    })
}

/// Reads a BOOL_ARRAY value: `*data` receives its elements in C order, one `bool` (0 or 1) each,
/// `*shape` its `*ndim` sizes. Both are borrowed, valid while `v` lives; do not free them.
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` for another kind of value. Any of the three out-pointers may be
/// NULL if that part is not wanted.
///
/// # Safety
/// `v` must be NULL or a live value; the out-pointers NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_array_bool(
    v: *const deeptrack_value,
    data: *mut *const bool,
    shape: *mut *const size_t,
    ndim: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let a = unsafe { value_ref(v, "v")? }.as_bool_array()?;
        // SAFETY: forwarded contract; the array (standard layout) lives as long as `v`.
        unsafe { lend_array(data, shape, ndim, a.as_ptr(), a.shape()) };
        Ok(())
    })
}

/// Reads an INT_ARRAY value: `*data` receives its elements in C order, one `int64_t` each, `*shape`
/// its `*ndim` sizes. Both are borrowed, valid while `v` lives; do not free them.
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` for another kind of value (a float ARRAY is read with
/// `deeptrack_value_array`). Any of the three out-pointers may be NULL if that part is not wanted.
///
/// # Safety
/// `v` must be NULL or a live value; the out-pointers NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_array_int(
    v: *const deeptrack_value,
    data: *mut *const i64,
    shape: *mut *const size_t,
    ndim: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let a = unsafe { value_ref(v, "v")? }.as_int_array()?;
        // SAFETY: forwarded contract; the array (standard layout) lives as long as `v`.
        unsafe { lend_array(data, shape, ndim, a.as_ptr(), a.shape()) };
        Ok(())
    })
}

/// Lends an array's samples and shape through the array readers' out-pointers, each written only
/// if non-NULL.
///
/// # Safety
/// `data`, `shape` and `ndim` must each be NULL or writable; `samples` and `dims` must live as long
/// as the caller lends them for.
unsafe fn lend_array<T>(
    data: *mut *const T,
    shape: *mut *const size_t,
    ndim: *mut size_t,
    samples: *const T,
    dims: &[usize],
) {
    // SAFETY: each out-pointer is written only if non-NULL (the caller's contract for the others).
    unsafe {
        if !data.is_null() {
            *data = samples;
        }
        if !shape.is_null() {
            *shape = dims.as_ptr();
        }
        if !ndim.is_null() {
            *ndim = dims.len();
        }
    }
}

/// Returns the number of items of a LIST or TUPLE value; 0 for any other value or NULL.
///
/// # Safety
/// `v` must be NULL or a live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_list_len(v: *const deeptrack_value) -> size_t {
    // SAFETY: forwarded contract.
    guard_or(0, || match unsafe { value_ref(v, "v") } {
        Ok(Value::List(items) | Value::Tuple(items)) => items.len(),
        _ => 0,
    })
}

/// Returns item `index` of a LIST or TUPLE value, borrowed (do not free): valid while the list lives and is not
/// changed (`deeptrack_value_list_push` invalidates it), or NULL when `v` is neither a list nor a tuple, or `index` is
/// out of range.
///
/// # Safety
/// `v` must be NULL or a live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_list_get(v: *const deeptrack_value, index: size_t) -> *const deeptrack_value {
    // SAFETY: forwarded contract.
    guard_or(std::ptr::null(), || match unsafe { value_ref(v, "v") } {
        Ok(Value::List(items) | Value::Tuple(items)) => items.get(index).map_or(std::ptr::null(), as_c),
        _ => std::ptr::null(),
    })
}

/// Copies `v` into a new value owned by the caller (`*out`).
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_clone(
    v: *const deeptrack_value,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let copy = unsafe { value_ref(v, "v")? }.clone();
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(copy) };
        Ok(())
    })
}

/// Writes a Python-like rendering of `v` (`array([1.0, 2.0])`, `'Particle'`, `[0]`, …) into `buf` as
/// NUL-terminated UTF-8, with the same buffer contract as `deeptrack_last_error_message`.
///
/// # Safety
/// `v` must be NULL or a live value; `buf` NULL or `len` writable bytes; `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_repr(
    v: *const deeptrack_value,
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let text = unsafe { value_ref(v, "v")? }.to_string();
        // SAFETY: forwarded contract.
        unsafe { write_string(&text, buf, len, needed) }
    })
}

/// Frees a value owned by the caller. NULL is a no-op. Never pass a borrowed value or another kind of
/// handle, and never free twice: values are not tagged, so these are undefined behaviour.
///
/// # Safety
/// `v` must be NULL or an owned value not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_free(v: *mut deeptrack_value) {
    guard_or((), || {
        if !v.is_null() {
            // SAFETY: owned per the contract.
            let _ = unsafe { from_c(v, "v") };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ValueKind;

    #[test]
    fn kind_constants_match_value_kinds() {
        assert_eq!(DEEPTRACK_VALUE_KIND_NONE, ValueKind::None as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_BOOL, ValueKind::Bool as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_INT, ValueKind::Int as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_FLOAT, ValueKind::Float as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_STRING, ValueKind::Str as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_ARRAY, ValueKind::Array as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_LIST, ValueKind::List as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_TUPLE, ValueKind::Tuple as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_COMPLEX, ValueKind::Complex as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_COMPLEX_ARRAY, ValueKind::ComplexArray as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_BOOL_ARRAY, ValueKind::BoolArray as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_INT_ARRAY, ValueKind::IntArray as u32);
        assert_eq!(DEEPTRACK_VALUE_KIND_OBJECT, ValueKind::Object as u32);
    }
}
