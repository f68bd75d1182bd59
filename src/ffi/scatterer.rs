//! C ABI for scatterers whose volume a callback computes (DeepTrack2's subclass of a built-in
//! scatterer overriding `get`), and for the built-in volume such a callback may start from (its
//! `super().get(...)`).

use std::ffi::c_void;

use libc::c_char;

use super::feature::{custom_get, deeptrack_feature, deeptrack_get_fn, write_feature};
use super::image::{deeptrack_image, image_into_c};
use super::rule::{UserData, deeptrack_free_fn};
use super::value::{deeptrack_value, value_ref};
use super::{check_out, deeptrack_status, guard, null, slice_arg, str_arg};
use crate::features::custom::CustomOutput;
use crate::features::scatterers::builtin_volume;
use crate::graph::Feature;
use crate::properties::PropertyDict;

/// Creates a built-in volume scatterer of `kind` (`"PointParticle"`, `"Sphere"`, `"Ellipse"` or
/// `"Ellipsoid"`) whose volume the callback `get` computes: DeepTrack2's subclass of the kind that
/// overrides `get`. The feature has the kind's properties and defaults (set others with
/// `deeptrack_feature_set_property`; any key is kept), checks them as the kind does, and its volume is
/// placed at `position` and `z` and multiplied by `intensity`, `refractive_index` or `value` by the
/// optics exactly as the kind's own.
///
/// `get` (see `deeptrack_get_fn`) runs once per computation with `input` NULL and, as `properties`,
/// what DeepTrack2 2.0.1's `get` receives: the sampled properties (an `Ellipse`'s `radius` as two
/// numbers, an `Ellipsoid`'s `radius` and `rotation` as three) plus `voxel_size` (a tuple of three
/// lengths in meters: the simulation voxel of the optics imaging it, 1e-6 outside a microscope) and
/// `pixel_size` (the camera pixel in meters). It stores the volume in `*output`: a real 3-D image
/// (rows, columns, planes; e.g. from `deeptrack_scatterer_volume`), whose all-zero slices are then
/// cropped, as DeepTrack2 crops them. No image, `DEEPTRACK_STATUS_NO_IMAGE`, another shape or a
/// complex image fails the resolve with `DEEPTRACK_STATUS_INVALID_ARGUMENT` naming the kind.
/// On success `*out` is owned by the caller and the feature owns `userdata` (`free_userdata(userdata)`,
/// if not NULL, runs when the last reference to the feature goes); on failure nothing is taken.
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a kind that is not a volume scatterer.
///
/// # Safety
/// `kind` must be NULL or NUL-terminated; `get` NULL or a valid callback (thread-safe if
/// `thread_safe`); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_scatterer(
    kind: *const c_char,
    get: deeptrack_get_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    thread_safe: bool,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let kind = unsafe { str_arg(kind, "kind")? };
        let get = get.ok_or_else(|| null("get"))?;
        // Refuse a kind before taking the userdata, so that on failure it stays the caller's.
        let probe = Feature::scatterer_with_volume(kind, |_| Ok(None))?;
        drop(probe);
        let userdata = if thread_safe {
            UserData::thread_safe(userdata, free_userdata)
        } else {
            UserData::new(userdata, free_userdata)
        };
        let get = custom_get(get, userdata);
        let feature = Feature::scatterer_with_volume(kind, move |props| {
            Ok(match get(None, props)? {
                CustomOutput::Image(image) => Some(image),
                CustomOutput::Input | CustomOutput::NoImage => None,
                CustomOutput::Images(images) => {
                    return Err(crate::error::Error::invalid(format!(
                        "the scatterer's get callback gave a list of {} images, where a volume is one image",
                        images.len()
                    )));
                }
            })
        })?;
        write_feature(out, feature);
        Ok(())
    })
}

/// The volume built-in scatterer `kind` (`"PointParticle"`, `"Sphere"`, `"Ellipse"` or
/// `"Ellipsoid"`) computes from the properties `keys[i] = values[i]` (`i < count`), uncropped, as
/// DeepTrack2 2.0.1's `get` of the kind returns it: what a subclass's `super().get(...)` gives inside
/// the callback of `deeptrack_feature_new_scatterer` (pass it the properties it received). Parameters
/// not given take the kind's defaults; `voxel_size` (one or three lengths in meters, default 1e-6) is
/// the voxel; a `PointParticle` is one voxel of the product of `pixel_size / voxel_size` per axis (1
/// without `pixel_size`). Keys the kind does not know are ignored. On success `*out` is a new image
/// owned by the caller. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a kind that is not a volume scatterer
/// or a bad value (the message names the kind and the property); `DEEPTRACK_STATUS_OUT_OF_MEMORY`
/// for a grid beyond the library's limit (`radius / voxel_size`).
///
/// # Safety
/// `kind` must be NULL or NUL-terminated; `keys` and `values` NULL or `count` readable pointers, each
/// NULL, NUL-terminated (keys) or a live value (values); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_scatterer_volume(
    kind: *const c_char,
    keys: *const *const c_char,
    values: *const *const deeptrack_value,
    count: usize,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let kind = unsafe { str_arg(kind, "kind")? };
        // SAFETY: forwarded contract.
        let keys = unsafe { slice_arg(keys, count, "keys")? };
        // SAFETY: forwarded contract.
        let values = unsafe { slice_arg(values, count, "values")? };
        let mut props = PropertyDict::new();
        for (i, (&key, &value)) in keys.iter().zip(values).enumerate() {
            // SAFETY: forwarded contract.
            let key = unsafe { str_arg(key, &format!("keys[{i}]"))? };
            // SAFETY: forwarded contract.
            let value = unsafe { value_ref(value, &format!("values[{i}]"))? };
            props.insert(key, value.clone());
        }
        let image = builtin_volume(kind, &props)?;
        // SAFETY: `out` checked above.
        unsafe { *out = image_into_c(image) };
        Ok(())
    })
}
