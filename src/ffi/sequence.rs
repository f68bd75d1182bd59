//! C ABI for sequences: sequential properties, the built-in motion rules, and a sequence's frames
//! stacked into one `(N, H, W, C)` array. A `Sequence` is built by name
//! (`deeptrack_feature_new_with("Sequence", &feature, 1, &out)`) and its frames are resolved with
//! `deeptrack_feature_resolve_many`; a sampling callback of a step reads `sequence_step`,
//! `sequence_length`, `previous_value` and `previous_values` with `deeptrack_context_get`.

use libc::{c_char, size_t};

use super::feature::deeptrack_feature;
use super::image::{deeptrack_image, image_into_c};
use super::rule::deeptrack_rule;
use super::{borrow, check_out, deeptrack_status, guard, new_handle, slice_arg, str_arg, take};
use crate::error::{Error, ErrorKind};
use crate::features::sequences::motion;
use crate::image::Image;
use crate::properties::Rule;

fn write_rule(out: *mut *mut deeptrack_rule, rule: Result<Rule, Error>) -> Result<(), Error> {
    check_out(out, "out")?;
    let rule = rule?;
    // SAFETY: checked non-NULL above; the caller owns the new rule.
    unsafe { *out = new_handle::<deeptrack_rule>(rule) };
    Ok(())
}

/// Makes property `key` of `f` sequential (DeepTrack2's `Sequential(f, key=step)`): inside a
/// `Sequence`, its value at every step after the first is sampled by `step`, whose callbacks read
/// `previous_value` (the value at the step before), `previous_values` (the values at steps 0 .. t-1,
/// in order), `sequence_step`, `sequence_length` and sibling properties of the same step through
/// their context; at step 0 the property keeps the rule it has (or, for a new property, `step`
/// samples it without `previous_value`). **Takes ownership of `step` in every case**, errors
/// included (unless it is NULL or not a rule). `DEEPTRACK_STATUS_INVALID_ARGUMENT` when the
/// property's rule, or `step`, links to another feature, and as `deeptrack_feature_set_property`.
///
/// # Safety
/// `f` must be NULL or a live feature; `key` NULL or NUL-terminated; `step` NULL or a live rule.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_feature_set_sequential(
    f: *mut deeptrack_feature,
    key: *const c_char,
    step: *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract; taken first so that it is consumed whatever happens next.
        let step = unsafe { take(step, "step")? };
        // A clone: dropping the replaced rule may run free_userdata, which may free the caller's handle.
        // SAFETY: forwarded contract.
        let f = unsafe { borrow(f.cast_const(), "f")? }.clone();
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        f.set_sequential(key, step)
    })
}

/// A step rule of Brownian diffusion for a position in pixels: each step adds to every coordinate of
/// the previous value a normal increment of standard deviation `sqrt(2 D dt) / pixel_size`, with the
/// diffusion constant `D` in m²/s, the frame interval `dt` in s and `pixel_size` in m.
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a negative or non-finite `D` or `dt`, or a pixel size not
/// above 0. On success `*out` receives a new rule owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_brownian(
    diffusion: f64,
    frame_interval: f64,
    pixel_size: f64,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| write_rule(out, motion::brownian(diffusion, frame_interval, pixel_size)))
}

/// A step rule of Brownian diffusion with `D` in pixels² per frame: each step adds a normal increment
/// of standard deviation `sqrt(2 D)` to every coordinate. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a
/// negative or non-finite `D`. On success `*out` receives a new rule owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_brownian_pixels(
    diffusion: f64,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| write_rule(out, motion::brownian_pixels(diffusion)))
}

/// A step rule of directed motion: each step adds `velocity[0 .. n]` to the previous value (one
/// number for every element when `n` is 1). `DEEPTRACK_STATUS_INVALID_ARGUMENT` for `n` 0 or a
/// non-finite velocity. On success `*out` receives a new rule owned by the caller.
///
/// # Safety
/// `velocity` must point to `n` doubles; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_drift(
    velocity: *const f64,
    n: size_t,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let velocity = unsafe { slice_arg(velocity, n, "velocity")? };
        write_rule(out, motion::drift(velocity))
    })
}

/// A step rule adding to the previous value a draw of `increment` (a number per element, or an array
/// added element by element): e.g. `deeptrack_rule_normal(0, 1, …)` for a random walk. **Takes
/// ownership of `increment`** in every case (unless it is NULL or not a rule).
/// `DEEPTRACK_STATUS_INVALID_ARGUMENT` when `increment` links to another feature. On success `*out`
/// receives a new rule owned by the caller.
///
/// # Safety
/// `increment` must be NULL or a live rule; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_increment(
    increment: *mut deeptrack_rule,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract; taken first so that it is consumed whatever happens next.
        let increment = unsafe { take(increment, "increment")? };
        write_rule(out, motion::increment(increment))
    })
}

/// Copies `n` images of the same shape (a sequence's frames from `deeptrack_feature_resolve_many`)
/// into `buf` as one C-order array of shape `(n, H, W, C)`, written to `shape[0..4]`: 2-d images
/// `(H, W)` get `C` 1, 3-d images `(H, W, C)` keep theirs. `*needed` receives the element count;
/// when it exceeds `len`, `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` and nothing is written to `buf` (call
/// with `buf` NULL and `len` 0 to query it). `DEEPTRACK_STATUS_INVALID_ARGUMENT` for `n` 0, an image
/// that is not 2-d or 3-d, or shapes that differ (the message names the image).
///
/// # Safety
/// `images` must point to `n` pointers, each NULL or a live image; `buf` NULL or `len` writable
/// doubles; `shape` NULL or 4 writable `size_t`; `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_images_stack(
    images: *const *const deeptrack_image,
    n: size_t,
    buf: *mut f64,
    len: size_t,
    shape: *mut size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(shape, "shape")?;
        check_out(needed, "needed")?;
        // SAFETY: forwarded contract.
        let pointers = unsafe { slice_arg(images, n, "images")? };
        if pointers.is_empty() {
            return Err(Error::invalid("'n' is 0: there are no images to stack"));
        }
        let mut frames: Vec<&Image> = Vec::new();
        frames
            .try_reserve_exact(n)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images")))?;
        for &p in pointers {
            // SAFETY: each pointer is NULL or a live image (contract), checked by `borrow`.
            frames.push(unsafe { borrow(p, "images[i]")? });
        }
        let first = frames[0].shape();
        let frame_shape = match *first {
            [h, w] => [h, w, 1],
            [h, w, c] => [h, w, c],
            _ => {
                return Err(Error::invalid(format!(
                    "image 0 has {} dimensions; frames stack as (H, W) or (H, W, C)",
                    first.len()
                )));
            }
        };
        for (i, frame) in frames.iter().enumerate().skip(1) {
            if frame.shape() != first {
                return Err(Error::invalid(format!(
                    "image {i} has shape {:?} but image 0 has {:?}: frames must have one shape",
                    frame.shape(),
                    first
                )));
            }
        }
        let per_frame = frame_shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
        let total = per_frame.and_then(|p| p.checked_mul(n));
        let (Some(per_frame), Some(total)) = (per_frame, total) else {
            return Err(Error::invalid("the stacked array has more elements than can be addressed"));
        };
        // SAFETY: checked non-NULL above; `shape` holds 4 writable `size_t` (contract).
        unsafe {
            *needed = total;
            for (k, v) in [n, frame_shape[0], frame_shape[1], frame_shape[2]].into_iter().enumerate() {
                *shape.add(k) = v;
            }
        }
        if total > len {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the stacked frames have {total} elements but 'len' is {len}"),
            ));
        }
        if total == 0 {
            return Ok(());
        }
        check_out(buf, "buf")?;
        // SAFETY: `buf` holds `len >= total` writable doubles (contract).
        let out = unsafe { std::slice::from_raw_parts_mut(buf, total) };
        for (frame, chunk) in frames.iter().zip(out.chunks_exact_mut(per_frame)) {
            frame.copy_c_order_to(chunk)?;
        }
        Ok(())
    })
}

/// `deeptrack_feature_resolve_batch` for pipelines whose items are several images (a `Sequence`'s
/// frames): items `first .. first + count` of the stream `seed`, item `i` being every image a fresh
/// copy of `f` seeded for `(seed, i)` resolves to on `input` (borrowed; may be NULL), so it depends
/// only on (pipeline, seed, i), never on `threads` (0: one per core). `counts[i]` receives the number
/// of images of item `first + i` and `*total` their sum; when `*total <= cap`, `out[0 .. total]`
/// receive the images item after item, each a new image owned by the caller. Otherwise
/// `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` and nothing is written to `out` (a call with a larger buffer
/// computes the same items again). On failure, the error of the lowest failing item; `count` 0
/// succeeds with `*total` 0. From a callback, `DEEPTRACK_STATUS_BUSY` as `deeptrack_feature_resolve_batch`.
///
/// # Safety
/// `f` must be NULL or a live feature; `input` NULL or a live image; `out` NULL or `cap` writable
/// pointers; `counts` NULL (only with `count` 0) or `count` writable `size_t`; `total` writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn deeptrack_feature_resolve_batch_many(
    f: *mut deeptrack_feature,
    input: *const deeptrack_image,
    seed: u64,
    first: u64,
    count: size_t,
    threads: size_t,
    out: *mut *mut deeptrack_image,
    cap: size_t,
    counts: *mut size_t,
    total: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(total, "total")?;
        if count > 0 {
            check_out(counts, "counts")?;
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
        let items = f.resolve_batch_many(input.as_ref(), seed, first, count, threads)?;
        let sum = items.iter().try_fold(0usize, |a, item| a.checked_add(item.len()));
        let sum = sum.ok_or_else(|| Error::invalid("the batch has more images than can be counted"))?;
        // SAFETY: checked non-NULL; `counts` holds `count` writable `size_t` (contract).
        unsafe {
            *total = sum;
            for (i, item) in items.iter().enumerate() {
                *counts.add(i) = item.len();
            }
        }
        if sum > cap {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the batch produced {sum} images but 'cap' is {cap}"),
            ));
        }
        if sum > 0 {
            check_out(out, "out")?;
        }
        for (i, image) in items.into_iter().flatten().enumerate() {
            // SAFETY: `out` holds at least `cap >= sum` pointers.
            unsafe { *out.add(i) = image_into_c(image) };
        }
        Ok(())
    })
}
