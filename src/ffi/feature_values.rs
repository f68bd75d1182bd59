//! C ABI for reading and pinning a feature's properties from outside a resolve: the names of its
//! properties, DeepTrack2's `set_value` (on one feature, or on every feature of a pipeline that has
//! the property, as `feature.resolve(x, key=value)` does), and whether it holds a current result.

use libc::{c_char, size_t};

use super::feature::deeptrack_feature;
use super::value::{deeptrack_value, into_c, value_ref};
use super::{borrow, check_out, deeptrack_status, guard, slice_arg, str_arg};
use crate::value::Value;

/// The names of the properties of `f`, in order (DeepTrack2's `feature.properties.keys()`: the kind's
/// parameters, then any other property set on it, then `name`). `*out` is a new list value of strings
/// owned by the caller (`deeptrack_value_free`). Samples nothing.
///
/// # Safety
/// `f` must be NULL or a live feature; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_property_names(
    f: *const deeptrack_feature,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f, "f")? };
        let names = Value::List(f.property_names().iter().map(|k| Value::str(k)).collect());
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(names) };
        Ok(())
    })
}

/// Puts the properties of `f` in the order of `keys` (`n` names, each property of `f` once): the order
/// of its names and of the dicts it records. DeepTrack2 2.0.1 builds a feature's properties in passes,
/// a property whose function names sibling properties after them (`Add(value=lambda scale: 2 * scale,
/// scale=3)` has `scale, name, value`): a binding that knows its functions' parameters orders them so.
/// Drops the cached samples and results of `f`. Errors, changing nothing:
/// `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `f`, a NULL `keys` with `n > 0` or a NULL key (the
/// message names the index); `DEEPTRACK_STATUS_INVALID_UTF8` for a key that is not UTF-8;
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for an unknown or repeated name, or one left out. The names stay
/// the caller's.
///
/// # Safety
/// `f` must be NULL or a live feature; `keys` NULL or pointing to `n` pointers, each NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_order_properties(
    f: *mut deeptrack_feature,
    keys: *const *const c_char,
    n: size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f, "f")? };
        // SAFETY: forwarded contract.
        let keys = unsafe { slice_arg(keys, n, "keys")? };
        let names = keys
            .iter()
            .enumerate()
            // SAFETY: forwarded contract.
            .map(|(i, &k)| unsafe { str_arg(k, &format!("keys[{i}]")) })
            .collect::<Result<Vec<&str>, _>>()?;
        f.order_properties(&names)
    })
}

/// Pins property `key` of `f` to a copy of `value` until the next update (DeepTrack2's
/// `feature.key.set_value(value)`): the value stands in place of the property's rule, the properties
/// that read it (in `f` and in features linking to it) are sampled again, and the next update of a
/// pipeline containing `f` puts the rule back. Setting the value the property already has keeps the
/// cached results. `*changed` (may be NULL) tells whether anything changed. `value` stays the
/// caller's. `DEEPTRACK_STATUS_NOT_FOUND` when `f` has no property `key`;
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for `name`, `_ID`, or a value the kind refuses for that
/// parameter (the message names the property and any limit).
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `value` NULL or a live value;
/// `changed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_set_value(
    f: *mut deeptrack_feature,
    key: *const c_char,
    value: *const deeptrack_value,
    changed: *mut bool,
) -> deeptrack_status {
    guard(|| {
        // A clone: dropping the replaced rule may run free_userdata, which may free the caller's handle.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        // SAFETY: forwarded contract.
        let value = unsafe { value_ref(value, "value")? }.clone();
        let did = f.set_value(key, value)?;
        if !changed.is_null() {
            // SAFETY: checked non-NULL; writable per the contract.
            unsafe { *changed = did };
        }
        Ok(())
    })
}

/// `deeptrack_feature_set_value` on every feature of the pipeline `f` that has a property `key`: `f`,
/// the features it contains and the features given as its properties' values (DeepTrack2's
/// `feature.resolve(x, key=value)` sets these before it resolves, and they keep the value until the
/// next update). A feature outside the pipeline that a property links to (a rule made by
/// `deeptrack_rule_property_of`) keeps its own value, as in DeepTrack2 2.0.1. The
/// value is checked against every such feature first, so on error none is set. `*count` (may be NULL)
/// receives how many features have the property (0 is not an error, as in DeepTrack2). `value` stays
/// the caller's.
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `value` NULL or a live value;
/// `count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_set_value_everywhere(
    f: *mut deeptrack_feature,
    key: *const c_char,
    value: *const deeptrack_value,
    count: *mut usize,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        // SAFETY: forwarded contract.
        let value = unsafe { value_ref(value, "value")? };
        let n = f.set_value_everywhere(key, value)?;
        if !count.is_null() {
            // SAFETY: checked non-NULL; writable per the contract.
            unsafe { *count = n };
        }
        Ok(())
    })
}

/// Writes to `*out` whether `f` holds a current result at top level (DeepTrack2's
/// `feature.is_valid()`): true after a resolve, false after an update or after a change of its
/// properties (a new rule, or a `deeptrack_feature_set_value` that changes a value).
///
/// # Safety
/// `f` must be NULL or a live feature; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_is_valid(f: *const deeptrack_feature, out: *mut bool) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let valid = unsafe { borrow(f, "f")? }.is_valid();
        // SAFETY: checked non-NULL.
        unsafe { *out = valid };
        Ok(())
    })
}
