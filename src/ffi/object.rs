//! C ABI for objects of the host's as values: a pointer the library holds without reading it, with
//! the host's function that releases it (a Python dict or class instance that a property is given, as
//! DeepTrack2 keeps any object, so that the property dicts carry it back to the host).

use std::ffi::c_void;

use super::rule::{UserData, deeptrack_free_fn};
use super::value::{deeptrack_value, into_c, value_ref};
use super::{check_out, deeptrack_status, guard};
use crate::error::Error;
use crate::value::{Object, Value};

/// Creates an OBJECT value holding the host's `object` (any pointer, NULL included), which the
/// library never reads: it travels with the properties (rules, property dicts, `get_property`) and
/// comes back through `deeptrack_value_object`. A feature that would compute with it fails with
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` naming the property. Copies of the value (a dict entry, a clone)
/// share the object; it compares equal only to its copies.
///
/// On success `*out` receives a new value owned by the caller (free with `deeptrack_value_free`), and
/// the library owns one reference to `object`: `release(object)` (if `release` is not NULL) runs once,
/// when the value and every copy of it are gone. That can happen on any thread that drops the last
/// copy (a worker of a batch included), never while the library holds a lock, so `release` may call
/// the library; after `deeptrack_close_callbacks` it is not called (the process is ending). On
/// failure nothing is taken: `release` is not called.
///
/// # Safety
/// `release` must be NULL or a function that may be called once with `object` from any thread; `out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_new_object(
    object: *mut c_void,
    release: deeptrack_free_fn,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let held = Object::new(UserData::thread_safe(object, release));
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(Value::Object(held)) };
        Ok(())
    })
}

/// Reads an OBJECT value: `*object` receives the pointer given to `deeptrack_value_new_object` and
/// `*release` its release function (NULL if none was given), so that a host sharing the library with
/// others can tell its own objects by their release function. The object stays owned by the value:
/// do not release it (take a reference of your own to keep it beyond the value's life). Either
/// out-pointer may be NULL if that part is not wanted. `DEEPTRACK_STATUS_TYPE_MISMATCH` for another
/// kind of value, or for an object that the Rust API made (it holds no C pointer).
///
/// # Safety
/// `v` must be NULL or a live value; `object` and `release` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_value_object(
    v: *const deeptrack_value,
    object: *mut *mut c_void,
    release: *mut deeptrack_free_fn,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let held = match unsafe { value_ref(v, "v")? } {
            Value::Object(o) => o,
            other => return Err(Error::type_mismatch(format!("expected an object, got {}", other.kind_name()))),
        };
        let data = held
            .downcast_ref::<UserData>()
            .ok_or_else(|| Error::type_mismatch("the object was made through the Rust API and holds no C pointer"))?;
        // SAFETY: each out-pointer is written only if non-NULL (the caller's contract for the others).
        unsafe {
            if !object.is_null() {
                *object = data.ptr();
            }
            if !release.is_null() {
                *release = data.free_fn();
            }
        }
        Ok(())
    })
}
