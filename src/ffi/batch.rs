//! C ABI for batches with several images per item and a progress callback
//! (`deeptrack_feature_resolve_batch_with`).

use std::ffi::c_void;

use super::feature::deeptrack_feature;
use super::image::{deeptrack_image, image_into_c};
use super::{borrow, check_out, deeptrack_status, guard};
use crate::sync::host;

/// Reports the progress of `deeptrack_feature_resolve_batch_with`: `done` of `total` items are
/// rendered. It runs on the thread that called the batch (never on a worker), after items finish
/// (when several threads work, not necessarily after each one) and once when the batch ends. Return
/// true to go on, false to stop the batch: the workers finish the items they are on and the batch
/// fails with `DEEPTRACK_STATUS_CALLBACK_FAILED` (a stop asked when every item is done is ignored).
/// It should only report (a progress bar, a log line, a check for a cancel request): calling the
/// library on the batched pipeline from it answers `DEEPTRACK_STATUS_BUSY`.
pub type deeptrack_progress_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, done: usize, total: usize) -> bool>;

/// `deeptrack_feature_resolve_batch` for items of `per_item` images each, with a progress callback.
/// Writes `count * per_item` new images, owned by the caller, to `out` (caller memory for that many
/// pointers): item `k`'s images at `out[k * per_item ..]`, in the order the pipeline produces them. A
/// pipeline ending in a `Stack` whose value is a feature (`deeptrack_rule_feature`), DeepTrack2's
/// `image & target`, gives 2 per item. Items are the same as `deeptrack_feature_resolve_batch`'s
/// (with `per_item` 1 it gives the same images): item `i` depends only on (pipeline, seed, i). An
/// item that produces another number of images fails the batch with
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT`; `per_item` 0 too. `progress` (may be NULL) is called with
/// `userdata` as `deeptrack_progress_fn` says; the library neither keeps nor frees `userdata`. On
/// failure (the error of the lowest failing item, or the stop) nothing is written to `out`.
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image; `out` NULL or `count * per_item`
/// writable pointers; `progress` NULL or a function of that signature, safe to call with `userdata`
/// on the calling thread.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn deeptrack_feature_resolve_batch_with(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
    seed: u64,
    first: u64,
    count: usize,
    threads: usize,
    per_item: usize,
    progress: deeptrack_progress_fn,
    userdata: *mut c_void,
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
        super::feature::batch_input(input.as_ref())?;
        let mut report = |done: usize, total: usize| match progress {
            Some(cb) => match host::enter("the progress callback") {
                // SAFETY: the caller's callback, called on this thread with its userdata (contract).
                Ok(_call) => unsafe { cb(userdata, done, total) },
                // Closed (the host is shutting down): it only reports; the batch goes on.
                Err(_) => true,
            },
            None => true,
        };
        let reporting: Option<&mut dyn FnMut(usize, usize) -> bool> =
            if progress.is_some() { Some(&mut report) } else { None };
        let images = f.resolve_batch_with(input.as_ref(), seed, first, count, threads, per_item, reporting)?;
        for (i, img) in images.into_iter().enumerate() {
            // SAFETY: `out` holds `count * per_item` pointers (contract), and the batch gave that many.
            unsafe { *out.add(i) = image_into_c(img) };
        }
        Ok(())
    })
}
