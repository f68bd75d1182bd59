//! C ABI for objects of the host's, as values and as images: a pointer the library holds without
//! reading it, with the host's function that releases it (a Python dict or class instance that a
//! property is given, or that a custom feature's `get` returns in place of an array, as DeepTrack2
//! passes any object on, so that the dicts and the pipeline carry it back to the host).

use std::ffi::c_void;

use super::image::{deeptrack_image, image_into_c};
use super::rule::{UserData, deeptrack_free_fn};
use super::value::{deeptrack_value, into_c, value_ref};
use super::{borrow, check_out, deeptrack_status, guard};
use crate::error::Error;
use crate::image::Image;
use crate::value::{Object, Value};

/// The host's object with its release function, as an [`Object`] holds it: let go inside the library
/// (a property value replaced under its feature's lock, a cached result), its release waits until the
/// thread leaves the library (`crate::sync::deferred`), so that `release` may call the library.
struct HostObject(Option<UserData>);

impl HostObject {
    fn object(ptr: *mut c_void, release: deeptrack_free_fn) -> Object {
        Object::new(HostObject(Some(UserData::thread_safe(ptr, release))))
    }

    fn data(&self) -> &UserData {
        // Taken only by `drop`.
        self.0.as_ref().expect("a host object's data is present until it is dropped")
    }
}

impl Drop for HostObject {
    fn drop(&mut self) {
        if let Some(data) = self.0.take() {
            crate::sync::deferred::drop_outside(data);
        }
    }
}

/// Creates an OBJECT value holding the host's `object` (any pointer, NULL included), which the
/// library never reads: it travels with the properties (rules, property dicts, `get_property`) and
/// comes back through `deeptrack_value_object`. A feature that would compute with it fails with
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` naming the property. Copies of the value (a dict entry, a clone)
/// share the object; it compares equal only to its copies.
///
/// On success `*out` receives a new value owned by the caller (free with `deeptrack_value_free`), and
/// the library owns one reference to `object`: `release(object)` (if `release` is not NULL) runs once,
/// when the value and every copy of it are gone, before the library call that let the last copy go
/// returns (a batch's worker that lets it go releases it before the batch returns). It never runs
/// while the library holds a lock, so it may call the library (free other values or features,
/// resolve); it may run on any thread that drops the last copy, a batch's worker included. After
/// `deeptrack_close_callbacks` it is not called (the process is ending). On failure nothing is
/// taken: `release` is not called.
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
        let held = HostObject::object(object, release);
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
        // SAFETY: forwarded contract.
        unsafe { lend_object(held, object, release) }
    })
}

/// Writes the C pointer and release function of `held` through the out-pointers (each only if not
/// NULL); `TypeMismatch` for an object that the Rust API made.
///
/// # Safety
/// `object` and `release` must each be NULL or writable.
unsafe fn lend_object(held: &Object, object: *mut *mut c_void, release: *mut deeptrack_free_fn) -> Result<(), Error> {
    let data = held
        .downcast_ref::<HostObject>()
        .ok_or_else(|| Error::type_mismatch("the object was made through the Rust API and holds no C pointer"))?
        .data();
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
}

/// Creates an image standing for the host's `object` in place of samples: what a custom feature's
/// `get` callback returns when its result is no array (a dict, a string, a user's object: DeepTrack2
/// 2.0.1 passes any object on). The library never reads it; it reaches the next custom feature's
/// `get` (read it with `deeptrack_image_object`), passes through `DummyFeature`, `Value` and the
/// structural features, carries its property dicts, and comes out of the pipeline. A kind that
/// computes with samples fails on it with `DEEPTRACK_STATUS_TYPE_MISMATCH` naming itself. Its
/// samples read as one NaN (a 0-d float64 image).
///
/// Ownership of `object` and `release` as in `deeptrack_value_new_object`: on success `*out`
/// receives a new image owned by the caller (free with `deeptrack_image_free`) and `release(object)`
/// runs once when the last image or value holding it goes; on failure nothing is taken.
///
/// # Safety
/// `release` must be NULL or a function that may be called once with `object` from any thread; `out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_new_object(
    object: *mut c_void,
    release: deeptrack_free_fn,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let held = HostObject::object(object, release);
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(Image::of_object(held)) };
        Ok(())
    })
}

/// Reads the object an image stands for (`deeptrack_image_new_object`): `*object` and `*release` as
/// `deeptrack_value_object` gives them (either out-pointer may be NULL). The object stays owned by
/// the image. `DEEPTRACK_STATUS_TYPE_MISMATCH` for an image of samples (every other image), or for an
/// object that the Rust API made.
///
/// # Safety
/// `img` must be NULL or a live image; `object` and `release` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_object(
    img: *const deeptrack_image,
    object: *mut *mut c_void,
    release: *mut deeptrack_free_fn,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        if let Some(items) = img.list_items() {
            return Err(Error::type_mismatch(format!(
                "expected an image standing for an object, got one standing for a list of {} images",
                items.len()
            )));
        }
        let held = img
            .object()
            .ok_or_else(|| Error::type_mismatch("expected an image standing for an object, got an image of samples"))?;
        // SAFETY: forwarded contract.
        unsafe { lend_object(held, object, release) }
    })
}
