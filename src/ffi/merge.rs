//! C ABI for DeepTrack2's `Merge(function)`: a feature whose C callback receives the whole list of
//! input images at once and pushes its output images (one or several) into a list the library owns.

use std::ffi::c_void;
use std::sync::Arc;

use libc::c_char;

use super::error_generation;
use super::feature::{deeptrack_feature, feature_into_handle};
use super::image::{deeptrack_image, deeptrack_property_dict, dict_as_c, image_into_c};
use super::rule::{UserData, callback_error, deeptrack_free_fn};
use super::{DEEPTRACK_STATUS_OK, Handle, borrow, check_out, deeptrack_status, guard, null, str_arg, take};
use crate::error::{Error, ErrorKind};
use crate::graph::Feature;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};

/// The output list of one call of a `deeptrack_merge_fn`: push images into it with
/// `deeptrack_merge_output_push`. Borrowed for the call only (the library frees it afterwards).
pub struct deeptrack_merge_output {
    _private: [u8; 0],
}

/// The images pushed so far.
pub(crate) struct Pushed(Vec<Image>);

impl Recover for Pushed {
    fn recover(&mut self) {
        overwrite(&mut self.0, Vec::new());
    }
}

impl Handle for deeptrack_merge_output {
    type Inner = Lock<Pushed>;
    const TAG: u64 = 0x4454_4D52_4745_3031; // "DTMRGE01"
    const NAME: &'static str = "deeptrack_merge_output";
}

/// A `Merge` feature's function (DeepTrack2's `Merge(function)`, whose function takes the list of
/// images): it runs on the resolving thread, once per computation, with the `count` input images
/// `inputs[0 .. count]` (none, and `inputs` NULL, when resolved without input) and this computation's
/// sampled `properties` (every property, `name`, and `_ID` inside a repeat), all borrowed for the call.
/// It pushes its output images, in order, with `deeptrack_merge_output_push(output, image)` (none is
/// DeepTrack2's empty list; `output` is valid during the call only). Return `DEEPTRACK_STATUS_OK`, or another status to
/// fail the resolve with `DEEPTRACK_STATUS_CALLBACK_FAILED` (after `deeptrack_set_error_message`, to
/// say why); the images pushed are then dropped. It never runs on two threads at once, and may call
/// any function of the library, as a custom feature's `get` may.
pub type deeptrack_merge_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        inputs: *const *const deeptrack_image,
        count: usize,
        properties: *const deeptrack_property_dict,
        output: *mut deeptrack_merge_output,
    ) -> deeptrack_status,
>;

type MergeCallback = unsafe extern "C" fn(
    *mut c_void,
    *const *const deeptrack_image,
    usize,
    *const deeptrack_property_dict,
    *mut deeptrack_merge_output,
) -> deeptrack_status;

/// The Rust function of a C merge callback.
fn merge_function(
    function: MergeCallback,
    userdata: UserData,
) -> impl Fn(&[Image], &Arc<PropertyDict>) -> Result<Vec<Image>, Error> + Send + Sync + 'static {
    const WHAT: &str = "the merge function";
    move |inputs, props| {
        let mut handles: Vec<*const deeptrack_image> = Vec::new();
        handles.try_reserve_exact(inputs.len()).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", inputs.len()))
        })?;
        handles.extend(inputs.iter().map(|i| image_into_c(i.clone()).cast_const()));
        let output = super::new_handle::<deeptrack_merge_output>(Lock::new(Pushed(Vec::new())));
        let generation = error_generation();
        let status = match userdata.enter(WHAT) {
            Ok(gate) => {
                let list = if handles.is_empty() { std::ptr::null() } else { handles.as_ptr() };
                // SAFETY: the user's callback with its userdata, input handles and a dict that outlive
                // the call, and the output list.
                let status = unsafe { function(userdata.ptr(), list, handles.len(), dict_as_c(props), output) };
                drop(gate);
                Ok(status)
            }
            Err(e) => Err(e),
        };
        for &h in &handles {
            // SAFETY: the input handles created above, no longer used by the callback.
            let _ = unsafe { take(h.cast_mut(), "input") };
        }
        // SAFETY: the output handle created above.
        let pushed = unsafe { take(output, "output") }.expect("the library's own handle");
        let images = std::mem::take(&mut pushed.lock().0);
        let status = status?;
        if status != DEEPTRACK_STATUS_OK {
            return Err(callback_error(WHAT, status, generation));
        }
        // None pushed is DeepTrack2's empty list: the features after it compute nothing.
        Ok(images)
    }
}

/// Creates a `Merge` feature named `name` (also its `name` property; DeepTrack2's class name is
/// `"Merge"`) whose computation is `function` (see `deeptrack_merge_fn`): it receives all its input
/// images at once. Give it properties with `deeptrack_feature_set_property` (the function receives
/// them). On success `*out` is owned by the caller and the feature owns `userdata`:
/// `free_userdata(userdata)` (if not NULL) runs when the last reference to the feature goes. On
/// failure nothing is taken. `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL `name`, `function` or `out`;
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for an empty name.
///
/// # Safety
/// `name` must be NULL or NUL-terminated; `function` NULL or a valid callback; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_merge(
    name: *const c_char,
    function: deeptrack_merge_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let name = unsafe { str_arg(name, "name")? };
        if name.is_empty() {
            return Err(Error::invalid("argument 'name' is empty"));
        }
        let function = function.ok_or_else(|| null("function"))?;
        let userdata = UserData::new(userdata, free_userdata);
        let feature = Feature::merge(name, merge_function(function, userdata));
        // SAFETY: `out` checked above.
        unsafe { *out = feature_into_handle(feature) };
        Ok(())
    })
}

/// Appends `image` to the output list of the running merge function (an image made by
/// `deeptrack_image_new_list`: its images). **Takes ownership of `image`**
/// when it returns `DEEPTRACK_STATUS_OK` (do not use or free it afterwards); otherwise it stays the
/// caller's. `DEEPTRACK_STATUS_NULL_ARGUMENT` for a NULL argument; `DEEPTRACK_STATUS_INVALID_HANDLE`
/// when `output` is not the list of a running call (e.g. kept after the call) or `image` is not an
/// image.
///
/// # Safety
/// `output` must be NULL or the list the library passed to the running merge function (or a retired
/// one); `image` NULL or an image handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_merge_output_push(
    output: *mut deeptrack_merge_output,
    image: *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract (tags checked).
        let list = unsafe { borrow(output.cast_const(), "output")? };
        // SAFETY: as above; checked before the image is taken, so that a bad image is not consumed.
        let given = unsafe { borrow(image.cast_const(), "image")? };
        // A list (`deeptrack_image_new_list`) pushes its images: room for all of them is made before
        // the handle is taken, so that on failure it stays the caller's.
        let adding = given.list_items().map_or(1, <[Image]>::len);
        let mut pushed = list.lock();
        pushed.0.try_reserve(adding).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot push more than {} images", pushed.0.len()))
        })?;
        // SAFETY: tag checked above; ownership passes to the list.
        let image = unsafe { take(image, "image")? };
        match image.list_items() {
            Some(items) => pushed.0.extend(items.iter().cloned()),
            None => pushed.0.push(image),
        }
        Ok(())
    })
}
