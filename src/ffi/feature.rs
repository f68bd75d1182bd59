//! C ABI for features: construction, properties, composition, resolve, update, seed.

use std::ffi::c_void;
use std::sync::Arc;

use libc::c_char;

use super::error_generation;
use super::image::{deeptrack_image, deeptrack_property_dict, dict_as_c, image_into_c};
use super::rule::{UserData, callback_error, deeptrack_free_fn, deeptrack_rule};
use super::value::{deeptrack_value, into_c};
use super::{
    DEEPTRACK_STATUS_NO_IMAGE, DEEPTRACK_STATUS_OK, Handle, borrow, check_out, deeptrack_status, guard, guard_or,
    new_handle, null, slice_arg, str_arg, take,
};
use crate::error::{Error, ErrorKind};
use crate::features::custom::CustomOutput;
use crate::features::registry;
use crate::graph::Feature;
use crate::image::Image;
use crate::properties::PropertyDict;

/// A feature: a step of a pipeline (a built-in kind, a custom callback, or a composition). Handles are
/// reference counted: composing (`chain`, `repeat`, `microscope`) and linking (`rule_property_of`)
/// share the feature, so freeing your handle never invalidates a pipeline that uses it.
///
/// Thread safety: a feature may be used from several threads (its state is locked), but one pipeline
/// resolves one call at a time; independent pipelines resolve in parallel.
pub struct deeptrack_feature {
    _private: [u8; 0],
}

impl Handle for deeptrack_feature {
    type Inner = Feature;
    const TAG: u64 = 0x4454_4645_4154_3031; // "DTFEAT01"
    const NAME: &'static str = "deeptrack_feature";
}

/// A custom feature's computation. It runs on the resolving thread, once per input image (once with
/// `input` NULL when resolved without input). `properties` holds this computation's sampled values
/// (every property, `name`, and `_ID` inside a repeat); `input` and `properties` are borrowed for the
/// call. With store_properties on, the library itself appends `properties` to the output (after the
/// input's dicts), so do not append it yourself.
///
/// To produce a new image, create it (e.g. `deeptrack_image_new`) and store it in `*output`: on success
/// the library takes ownership. To produce several in the input's place (DeepTrack2's `get` returning a
/// list), store an image made by `deeptrack_image_new_list`: each carries the input's dicts, and the
/// features that follow compute each on its own. Leaving `*output` NULL (or setting it to `input`)
/// passes the input through. Return `DEEPTRACK_STATUS_OK`; or `DEEPTRACK_STATUS_NO_IMAGE` to give no
/// image (DeepTrack2's `get` returning `None`): the input is dropped from the output list, so a feature
/// resolved on one image gives none (`deeptrack_feature_resolve` writes NULL, `_resolve_many` a count
/// of 0) and one resolved on several gives the images of the others, and an appending feature appends
/// nothing; or another status to fail the resolve with `DEEPTRACK_STATUS_CALLBACK_FAILED` (after
/// `deeptrack_set_error_message`, to say why). With any status but `DEEPTRACK_STATUS_OK`, `*output` is
/// ignored, so free anything you created. A custom feature used as a function of an image (a kind's
/// `DEEPTRACK_PARAM_CALLBACK` parameter, e.g. `Blur`'s `filter_function`) must give an image: there
/// `DEEPTRACK_STATUS_NO_IMAGE` (or a list) fails the resolve with `DEEPTRACK_STATUS_INVALID_ARGUMENT`.
/// Registered with `deeptrack_feature_new_custom`, it never runs on two threads at once; with
/// `deeptrack_feature_new_custom_threadsafe`, it may. It may call any function of the library, as a
/// sampling callback may (see `deeptrack_sample_fn`).
pub type deeptrack_get_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        input: *const deeptrack_image,
        properties: *const deeptrack_property_dict,
        output: *mut *mut deeptrack_image,
    ) -> deeptrack_status,
>;

/// Hands a feature built with the Rust API to C code: a new handle owned by the caller of this
/// function, to be freed with `deeptrack_feature_free` (e.g. a Rust feature with a custom
/// computation, passed to a C or C++ component that composes and resolves pipelines).
pub fn feature_into_handle(f: Feature) -> *mut deeptrack_feature {
    new_handle::<deeptrack_feature>(f)
}

/// The body of `deeptrack_feature_new_custom` and of its thread-safe variant. The userdata is taken
/// over only once every argument is checked, so that on failure it stays the caller's.
///
/// # Safety
/// As `deeptrack_feature_new_custom`.
unsafe fn new_custom(
    name: *const c_char,
    get: deeptrack_get_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    (thread_safe, append): (bool, bool),
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let name = unsafe { str_arg(name, "name")? };
        if name.is_empty() {
            return Err(Error::invalid("argument 'name' is empty"));
        }
        let get = get.ok_or_else(|| null("get"))?;
        let userdata = if thread_safe {
            UserData::thread_safe(userdata, free_userdata)
        } else {
            UserData::new(userdata, free_userdata)
        };
        let get = custom_get(get, userdata);
        write_feature(out, Feature::custom_kind(name, Arc::new(get), append));
        Ok(())
    })
}

pub(super) fn write_feature(out: *mut *mut deeptrack_feature, f: Feature) {
    // SAFETY: callers check `out` first.
    unsafe { *out = new_handle::<deeptrack_feature>(f) };
}

/// Creates a built-in feature by DeepTrack class name or alias (e.g. `"GaussianBlur"`). The kinds,
/// their parameters and defaults are enumerated by `deeptrack_kind_count`, `deeptrack_kind_name` and
/// the other `deeptrack_kind_*` functions (the README's table lists them). The feature has the kind's
/// properties with DeepTrack2's defaults, then `name`. On success `*out` is owned by the caller.
/// `DEEPTRACK_STATUS_NOT_FOUND` for an unknown kind (the message lists the known ones);
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a kind built from other features (a parameter of type
/// `DEEPTRACK_PARAM_FEATURE`: build those with `deeptrack_feature_new_with`, or compose with
/// `deeptrack_feature_chain`, `deeptrack_feature_repeat` and `deeptrack_feature_microscope`).
///
/// # Safety
/// `kind` must be NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new(
    kind: *const c_char,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let kind = unsafe { str_arg(kind, "kind")? };
        write_feature(out, registry::build(kind, Vec::new())?);
        Ok(())
    })
}

/// Creates a built-in feature of a kind built from other features (`"Combine"`, `"OneOf"`,
/// `"Probability"`, or any kind: those without feature parameters take `count` 0), by DeepTrack class
/// name or alias. `features[0 .. count]` are the kind's feature parameters (`DEEPTRACK_PARAM_FEATURE`
/// and `DEEPTRACK_PARAM_FEATURES`) in the order of its parameters: e.g. `Probability` takes one
/// (`feature`), `Combine` and `OneOf` any number (`features`, `collection`). The new feature shares
/// them (the caller still owns and frees its handles); its other parameters are properties with their
/// defaults, set with `deeptrack_feature_set_property`. On success `*out` is owned by the caller.
/// An optional feature parameter may be given as NULL when a later one is given
/// (`ConditionalSetFeature` takes `on_false`, `on_true`: `{NULL, f}` gives only `on_true`); trailing
/// NULLs are not given.
/// `DEEPTRACK_STATUS_NOT_FOUND` for an unknown kind; `DEEPTRACK_STATUS_INVALID_ARGUMENT` when `count`
/// does not match the kind (the message says what it takes) or the features would nest too deep;
/// `DEEPTRACK_STATUS_NULL_ARGUMENT` when `features` is NULL with `count` > 0, or an entry is NULL for a
/// required feature parameter;
/// `DEEPTRACK_STATUS_INVALID_HANDLE` when one of them is not a live feature.
///
/// # Safety
/// `kind` must be NULL or NUL-terminated; `features` NULL or `count` readable pointers, each NULL or
/// a live feature; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_with(
    kind: *const c_char,
    features: *const *mut deeptrack_feature,
    count: usize,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let kind = unsafe { str_arg(kind, "kind")? };
        // SAFETY: forwarded contract.
        let handles = unsafe { slice_arg(features, count, "features")? };
        let mut shared = Vec::new();
        shared
            .try_reserve_exact(handles.len())
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {count} features")))?;
        for (i, &h) in handles.iter().enumerate() {
            // A NULL stands for an optional feature parameter not given (checked by the registry).
            let feature = if h.is_null() {
                None
            } else {
                // SAFETY: forwarded contract.
                Some(unsafe { borrow(h.cast_const(), &format!("features[{i}]"))? }.clone())
            };
            shared.push(feature);
        }
        write_feature(out, registry::build_optional(kind, shared)?);
        Ok(())
    })
}

pub(super) fn custom_get(
    get: unsafe extern "C" fn(
        *mut c_void,
        *const deeptrack_image,
        *const deeptrack_property_dict,
        *mut *mut deeptrack_image,
    ) -> deeptrack_status,
    userdata: UserData,
) -> impl Fn(Option<&Image>, &Arc<PropertyDict>) -> Result<CustomOutput, Error> + Send + Sync + 'static {
    move |input, props| {
        let gate = userdata.enter("the feature's get callback")?;
        let in_ptr = input.map_or(std::ptr::null_mut(), |i| image_into_c(i.clone()));
        let mut out: *mut deeptrack_image = std::ptr::null_mut();
        let generation = error_generation();
        // SAFETY: calling the user's callback with its userdata, a borrowed input handle and dict that
        // outlive the call, and an out-pointer.
        let status = unsafe { get(userdata.ptr(), in_ptr, dict_as_c(props), &mut out) };
        drop(gate);
        let passthrough = out.is_null() || out == in_ptr;
        // Unless it is OK, `*output` is ignored: the callback frees what it created.
        let result = if status == DEEPTRACK_STATUS_NO_IMAGE {
            Ok(CustomOutput::NoImage)
        } else if status != DEEPTRACK_STATUS_OK {
            Err(callback_error("the feature's get callback", status, generation))
        } else if passthrough {
            Ok(CustomOutput::Input)
        } else {
            // SAFETY: the callback handed over an image it created.
            unsafe { take(out, "output") }.map(custom_output).map_err(|e| {
                Error::new(ErrorKind::CallbackFailed, format!("the feature's get callback returned a bad output: {e}"))
            })
        };
        if !in_ptr.is_null() {
            // SAFETY: the input handle created above, no longer used by the callback.
            let _ = unsafe { take(in_ptr, "input") };
        }
        result
    }
}

/// What a `get` callback's output image gives: its images when it stands for a list
/// (`deeptrack_image_new_list`), else itself.
fn custom_output(image: Image) -> CustomOutput {
    match image.list_items() {
        Some(items) => CustomOutput::Images(items.to_vec()),
        None => CustomOutput::Image(image),
    }
}

/// Resolves `f` on `input` (`None`: the stored input, or none), or on the images `input` stands for
/// when it is a list (`deeptrack_image_new_list`), as DeepTrack2 resolves a list.
fn resolve_input(f: &Feature, input: Option<&Image>) -> Result<Vec<Image>, Error> {
    match input.and_then(Image::list_items) {
        Some(items) => f.resolve_list(items),
        None => f.resolve(input),
    }
}

/// Refuses an image standing for a list as the one input of a batch (each item renders one image).
pub(super) fn batch_input(input: Option<&Image>) -> Result<(), Error> {
    match input.and_then(Image::list_items) {
        Some(items) => Err(Error::invalid(format!(
            "argument 'input' stands for a list of {} images (deeptrack_image_new_list): a batch renders each \
             item from one image; resolve a list with deeptrack_feature_resolve_list",
            items.len()
        ))),
        None => Ok(()),
    }
}

/// Creates a custom feature named `name` (also its `name` property) whose computation is `get` (see
/// `deeptrack_get_fn`). Give it properties with `deeptrack_feature_set_property`; any key is accepted
/// and kept as metadata (e.g. `track_me`). On success `*out` is owned by the caller and the feature
/// owns `userdata`: `free_userdata(userdata)` (if not NULL) runs when the last reference to the
/// feature goes. On failure nothing is taken.
///
/// # Safety
/// `name` must be NULL or NUL-terminated; `get` NULL or a valid callback; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_custom(
    name: *const c_char,
    get: deeptrack_get_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { new_custom(name, get, userdata, free_userdata, (false, false), out) }
}

/// Like `deeptrack_feature_new_custom`, for a `get` callback that is thread-safe: the library may run
/// it on several threads at once (the workers of `deeptrack_feature_resolve_batch`, or pipelines
/// sharing the feature on different threads). Callbacks registered with
/// `deeptrack_feature_new_custom` never run on two threads at once.
///
/// # Safety
/// `name` must be NULL or NUL-terminated; `get` NULL or a valid, thread-safe callback; `out` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_custom_threadsafe(
    name: *const c_char,
    get: deeptrack_get_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { new_custom(name, get, userdata, free_userdata, (true, false), out) }
}

/// Like `deeptrack_feature_new_custom` (`thread_safe` false) or `deeptrack_feature_new_custom_threadsafe`
/// (`thread_safe` true), for a feature whose image is appended to its input list (DeepTrack2's
/// `MERGE_STRATEGY_APPEND`, as the scatterers: `A >> B` gives both images): `get` runs once per
/// computation with `input` NULL, and the image it stores in `*output` is appended (none: nothing is
/// appended). With store_properties on, only the new image gets this computation's dict.
///
/// # Safety
/// `name` must be NULL or NUL-terminated; `get` NULL or a valid callback (thread-safe if
/// `thread_safe`); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_new_custom_appending(
    name: *const c_char,
    get: deeptrack_get_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    thread_safe: bool,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    // SAFETY: forwarded contract.
    unsafe { new_custom(name, get, userdata, free_userdata, (thread_safe, true), out) }
}

/// Sets the sampling rule of property `key` of `f`, replacing an existing rule in place or adding a
/// new property (kept before `name`). **Takes ownership of `rule` in every case**, errors included
/// (unless `rule` itself is NULL or not a rule): do not use or free it afterwards. Drops `f`'s cached
/// samples. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for an empty key, `_ID`, a constant the kind rejects
/// (e.g. a negative `N` of a repeat; the message names the property), or any rule for one of the
/// kind's feature parameters (`DEEPTRACK_PARAM_FEATURE`, e.g. an optics' `pupil`: give those to
/// `deeptrack_feature_new_with`).
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `rule` NULL or a live rule.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_set_property(
    f: *mut deeptrack_feature,
    key: *const c_char,
    rule: *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract; taken first so that it is consumed whatever happens next.
        let rule = unsafe { take(rule, "rule")? };
        // A clone: dropping the replaced rule may run free_userdata, which may free the caller's handle.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        f.set_property(key, rule)
    })
}

/// The current value of property `key` of `f` at top level (as DeepTrack's `feature.key()`): the value
/// sampled by the last resolve, or a new sample if none since the last update. `*out` is a new value
/// owned by the caller. `DEEPTRACK_STATUS_NOT_FOUND` when `f` has no such property.
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_get_property(
    f: *mut deeptrack_feature,
    key: *const c_char,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // A clone: a callback run by the sampling may free the caller's handle.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        let v = f.get_property(key)?;
        // SAFETY: checked non-NULL.
        unsafe { *out = into_c(v) };
        Ok(())
    })
}

/// Writes to `*out` whether `f` has a property named `key` (without sampling anything), e.g. to tell a
/// property name from a misspelling before linking to it.
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_has_property(
    f: *const deeptrack_feature,
    key: *const c_char,
    out: *mut bool,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f, "f")? };
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        let has = f.has_property(key);
        // SAFETY: checked non-NULL.
        unsafe { *out = has };
        Ok(())
    })
}

/// `first >> second`: a chain resolving `second` on `first`'s output. Shares both features (the
/// caller still owns and frees its handles). On success `*out` is a new feature owned by the caller.
///
/// # Safety
/// `first` and `second` must be NULL or live features; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_chain(
    first: *mut deeptrack_feature,
    second: *mut deeptrack_feature,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let a = unsafe { borrow(first.cast_const(), "first")? };
        // SAFETY: forwarded contract.
        let b = unsafe { borrow(second.cast_const(), "second")? };
        write_feature(out, Feature::chain(a, b)?);
        Ok(())
    })
}

/// `f ^ n`: a repeat applying `f` `n` times in sequence; repetition i samples its own values (its dicts
/// record `"_ID": [i]`) and receives repetition i-1's output. `N` is a property of the repeat: give it
/// another rule with `deeptrack_feature_set_property(out, "N", rule)`. Shares `f`. On success `*out` is
/// a new feature owned by the caller.
///
/// # Safety
/// `f` must be NULL or a live feature; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_repeat(
    f: *mut deeptrack_feature,
    n: usize,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? };
        write_feature(out, Feature::repeat(f, n)?);
        Ok(())
    })
}

/// `optics(sample)`: a microscope resolving `sample` without input and imaging its output with
/// `optics`. With built-in optics (`"Fluorescence"`, `"Brightfield"`) the sample's scatterers are
/// computed at the optics' voxel size and the result is an `(H, W, 1)` image; any other optics feature
/// is resolved on the sample's output. Turns on storing of properties for `sample`. Shares both
/// features. On success `*out` is a new feature owned by the caller.
///
/// # Safety
/// `optics` and `sample` must be NULL or live features; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_microscope(
    optics: *mut deeptrack_feature,
    sample: *mut deeptrack_feature,
    out: *mut *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let optics = unsafe { borrow(optics.cast_const(), "optics")? };
        // SAFETY: forwarded contract.
        let sample = unsafe { borrow(sample.cast_const(), "sample")? };
        write_feature(out, Feature::microscope(optics, sample)?);
        Ok(())
    })
}

/// Turns storing of properties on (or off) for `f` and every feature it contains. Set it on the
/// outermost feature: its results then carry one dict per computation, in resolution order; without it
/// they carry none.
///
/// # Safety
/// `f` must be NULL or a live feature.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_store_properties(
    f: *mut deeptrack_feature,
    enable: bool,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { borrow(f.cast_const(), "f")? }.store_properties(enable);
        Ok(())
    })
}

/// Turns storing of properties on (or off) for `f` only, not the features it contains (DeepTrack2's
/// `store_properties(toggle, recursive=False)`): `f`'s own computations then tag their outputs with
/// their dicts, after the dicts their inputs carry; off, `f` gives images without dicts. A result
/// therefore carries dicts only when the outermost feature stores, and then those of the features
/// that store from it inwards, up to the first that does not (`deeptrack_feature_store_properties`
/// sets every contained feature at once).
///
/// # Safety
/// `f` must be NULL or a live feature.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_store_own_properties(
    f: *mut deeptrack_feature,
    enable: bool,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { borrow(f.cast_const(), "f")? }.store_own_properties(enable);
        Ok(())
    })
}

/// Binds the feature `arguments` to `f` (DeepTrack2's `bind_arguments`): from then on, wherever `f`
/// computes with properties stored (resolved itself or inside a larger pipeline), each of its
/// results records a dict of `arguments`' property values for that resolve right before `f`'s own
/// dict. Binding again replaces the former arguments. `f` keeps its own reference to `arguments`
/// (features are reference counted): the caller still owns its `arguments` handle and frees it as
/// usual, whenever it likes. An update or seed of `f` does not re-sample `arguments` (unless a
/// property of the pipeline links to them). `DEEPTRACK_STATUS_CYCLE` (nothing changed) when
/// `arguments` is `f` or already depends on it.
///
/// # Safety
/// `f` and `arguments` must be NULL or live features.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_bind_arguments(
    f: *mut deeptrack_feature,
    arguments: *mut deeptrack_feature,
) -> deeptrack_status {
    guard(|| {
        // Clones: dropping the arguments bound before may run free_userdata, which may free the
        // caller's handles.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let arguments = unsafe { borrow(arguments.cast_const(), "arguments")? }.clone();
        f.bind_arguments(&arguments)
    })
}

/// Seeds the pipeline `f`: every later sample drawn while resolving it, or while reading a property of
/// a feature it contains (callbacks drawing through their context included), is reproducible on any
/// machine; contained features get seeds derived from `seed`. Also drops cached samples, so the next
/// resolve draws from the new seed; after k updates the samples are those of stream k. Unseeded
/// pipelines draw from OS entropy. A feature shared by two pipelines follows the last one seeded.
/// `DEEPTRACK_STATUS_BUSY` from inside the pipeline's callbacks.
///
/// # Safety
/// `f` must be NULL or a live feature.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_seed(f: *mut deeptrack_feature, seed: u64) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { borrow(f.cast_const(), "f")? }.seed(seed)
    })
}

/// Re-samples: discards the cached samples and results of `f`, the features it contains and the
/// features its properties link to, and forgets the stored input (their memory is freed by the next
/// resolve of each feature). The next resolve draws new values and creates new dicts (constants
/// included). `DEEPTRACK_STATUS_BUSY` from inside the pipeline's callbacks.
///
/// # Safety
/// `f` must be NULL or a live feature.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_update(f: *mut deeptrack_feature) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { borrow(f.cast_const(), "f")? }.update()
    })
}

/// The feature and input of a resolve, as references of our own: a callback may free the caller's
/// handles while the pipeline runs.
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image.
unsafe fn resolve_args(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
) -> Result<(Feature, Option<Image>), Error> {
    // SAFETY: forwarded contract.
    let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
    let input = if input.is_null() {
        None
    } else {
        // SAFETY: forwarded contract.
        Some(unsafe { borrow(input, "input")? }.clone())
    };
    Ok((f, input))
}

/// Resolves `f` on `input` (borrowed; NULL means the input of the last resolve since the last update,
/// or none; an image made by `deeptrack_image_new_list` stands for its images, as in
/// `deeptrack_feature_resolve_list`). Resolving again with the same input handle and no update
/// returns the cached result with the same property dicts. On success `*out` receives a new image
/// owned by the caller, or NULL when the pipeline produced no image (e.g. a pass-through feature resolved without input).
/// Errors carry the feature and property at fault; `DEEPTRACK_STATUS_CALLBACK_FAILED` when a callback
/// failed, `DEEPTRACK_STATUS_INVALID_ARGUMENT` when the pipeline produced several images.
/// Sizes the data does not bound have limits, each stated in its error ("... exceeds the maximum of
/// ...", `DEEPTRACK_STATUS_INVALID_ARGUMENT`; the README lists them): for instance an arithmetic
/// feature's (`Add`, `Multiply`, ...) `value` broadcast with the image to a result larger than both
/// may hold at most 2^28 samples. An image that cannot be allocated is
/// `DEEPTRACK_STATUS_OUT_OF_MEMORY`.
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_resolve(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let (f, input) = unsafe { resolve_args(f, input)? };
        let result = f.single(resolve_input(&f, input.as_ref())?)?;
        // SAFETY: checked non-NULL.
        unsafe { *out = result.map_or(std::ptr::null_mut(), image_into_c) };
        Ok(())
    })
}

/// Resolves `f` like `deeptrack_feature_resolve`, for pipelines whose result is a list of images (e.g.
/// `Add` with a list value, or a sample of several scatterers). `*count` receives the number of images;
/// when it is at most `cap`, `out[0..count]` receive new images owned by the caller. Otherwise
/// `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` is returned, nothing is written to `out`, and the result stays
/// cached: call again with a larger buffer (or `out` NULL and `cap` 0 to query the count first).
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image; `out` NULL or `cap` writable
/// pointers; `count` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_resolve_many(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
    out: *mut *mut deeptrack_image,
    cap: usize,
    count: *mut usize,
) -> deeptrack_status {
    guard(|| {
        check_out(count, "count")?;
        // SAFETY: forwarded contract.
        let (f, input) = unsafe { resolve_args(f, input)? };
        let images = resolve_input(&f, input.as_ref())?;
        // SAFETY: checked non-NULL.
        unsafe { *count = images.len() };
        if images.len() > cap {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the pipeline produced {} images but 'cap' is {cap}", images.len()),
            ));
        }
        if !images.is_empty() {
            check_out(out, "out")?;
        }
        for (i, img) in images.into_iter().enumerate() {
            // SAFETY: `out` holds at least `cap >= count` pointers.
            unsafe { *out.add(i) = image_into_c(img) };
        }
        Ok(())
    })
}

/// Resolves `f` on a list of `n_inputs` images `inputs[0..n_inputs]` (borrowed), as DeepTrack2
/// resolves a list: distributed features compute each image on its own, and features that take the
/// list at once (`Sum` with `distributed` false) see all of them. `n_inputs` 0 is a resolve without
/// input; an input made by `deeptrack_image_new_list` stands for its images, in its place. The
/// results are returned as by `deeptrack_feature_resolve_many` (`*count` images, written to
/// `out[0..count]` when `count <= cap`, each owned by the caller; otherwise
/// `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` and nothing written).
///
/// # Safety
/// `f` must be NULL or a live feature; `inputs` NULL (only with `n_inputs` 0) or `n_inputs` readable
/// pointers, each NULL or a live image; `out` NULL or `cap` writable pointers; `count` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_resolve_list(
    f: *mut deeptrack_feature,
    inputs: *const *const deeptrack_image,
    n_inputs: usize,
    out: *mut *mut deeptrack_image,
    cap: usize,
    count: *mut usize,
) -> deeptrack_status {
    guard(|| {
        check_out(count, "count")?;
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        if n_inputs > 0 && inputs.is_null() {
            return Err(Error::invalid("'inputs' is NULL but 'n_inputs' is not 0"));
        }
        let mut images = Vec::new();
        images
            .try_reserve_exact(n_inputs)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n_inputs} images")))?;
        for i in 0..n_inputs {
            // SAFETY: `inputs` holds `n_inputs` readable pointers (contract), each checked by `borrow`.
            let image = unsafe { borrow(*inputs.add(i), "inputs[i]")? };
            super::image_list::push_items(&mut images, image)?;
        }
        let results = f.resolve_list(&images)?;
        // SAFETY: checked non-NULL.
        unsafe { *count = results.len() };
        if results.len() > cap {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the pipeline produced {} images but 'cap' is {cap}", results.len()),
            ));
        }
        if !results.is_empty() {
            check_out(out, "out")?;
        }
        for (i, img) in results.into_iter().enumerate() {
            // SAFETY: `out` holds at least `cap >= count` pointers.
            unsafe { *out.add(i) = image_into_c(img) };
        }
        Ok(())
    })
}

/// Resolves `count` independent samples of the pipeline `f` on `input` (borrowed; may be NULL) and
/// writes them to `out[0..count]` (caller memory for `count` pointers), each a new image owned by the
/// caller. They are items `first .. first + count` of the stream `seed`: item `i` is what a fresh copy
/// of the pipeline seeded for `(seed, i)` resolves to, so it depends only on (pipeline, seed, i) and
/// never on `threads` or on how a dataset is split into batches (resolve items 0-99 on one machine
/// and 100-199 on another). `threads` worker threads (0: one per core) each resolve their own copy;
/// `f` itself, its caches and its stored input are not touched. Callbacks not registered as
/// thread-safe are never run on two threads at once. Every item must produce one image
/// (`DEEPTRACK_STATUS_INVALID_ARGUMENT` otherwise); on failure (the error of the lowest failing item)
/// nothing is written to `out`. `count` 0 succeeds and writes nothing. From a callback:
/// `DEEPTRACK_STATUS_BUSY` for the pipeline that runs the callback (or that the batch the callback
/// runs in is batching); the workers of a batch started by a callback may run that callback, one at
/// a time, while the callback waits; a batch started on a batch's worker runs on that worker alone.
/// It returns only when its worker threads have exited: their thread-local destructors (a callback's
/// C++ `thread_local`s included) have run.
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image; `out` NULL or `count` writable
/// pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_resolve_batch(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
    seed: u64,
    first: u64,
    count: usize,
    threads: usize,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        if count > 0 {
            check_out(out, "out")?;
        }
        // A clone: a callback may free the caller's handle.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        let input = if input.is_null() {
            None
        } else {
            // SAFETY: forwarded contract.
            Some(unsafe { borrow(input, "input")? }.clone())
        };
        batch_input(input.as_ref())?;
        let images = f.resolve_batch(input.as_ref(), seed, first, count, threads)?;
        for (i, img) in images.into_iter().enumerate() {
            // SAFETY: `out` holds `count` pointers.
            unsafe { *out.add(i) = image_into_c(img) };
        }
        Ok(())
    })
}

/// Frees the caller's handle to a feature. The feature itself lives on while a pipeline, a rule or a
/// running resolve still uses it (a callback may free handles of the pipeline that calls it). NULL is a
/// no-op. A handle freed among the last 4096 frees of handles is recognised (using or freeing it again
/// records an error and does nothing); do not rely on that for older ones.
///
/// # Safety
/// `f` must be NULL or a feature handle from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_free(f: *mut deeptrack_feature) {
    guard_or((), || {
        if !f.is_null() {
            // SAFETY: forwarded contract.
            if let Err(e) = unsafe { take(f, "f") } {
                super::record(&e);
            }
        }
    })
}
