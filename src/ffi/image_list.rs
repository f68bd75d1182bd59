//! C ABI for an image standing for a list of images: how a custom feature's `get` callback, which
//! stores one image in its output, gives several (DeepTrack2's `get` returning a list).

use super::image::{deeptrack_image, image_into_c};
use super::{borrow, check_out, deeptrack_status, guard, slice_arg};
use crate::error::{Error, ErrorKind};
use crate::image::Image;

/// Creates an image standing for the list of the `count` images `items[0 .. count]` (borrowed: the
/// new image shares them, and the caller still owns and frees its handles; their dicts are kept).
/// It is what a custom feature's `get` callback (`deeptrack_get_fn`) stores in `*output` to give
/// several images in the input's place, DeepTrack2's `get` returning a list: the features that follow
/// compute each of them on its own, each carries the input's dicts after its own, and a pipeline
/// ending there gives them all (`deeptrack_feature_resolve_many`). `count` 0 gives no image (as
/// `DEEPTRACK_STATUS_NO_IMAGE`). Given as the input of `deeptrack_feature_resolve`, `_resolve_many`
/// or `_resolve_list` (an item there), its images are the input list, as DeepTrack2 resolves a list;
/// pushed by a Merge function (`deeptrack_merge_output_push`), its images are pushed.
/// Anywhere else it stands for nothing to compute with: a kind that computes with samples fails on
/// it with `DEEPTRACK_STATUS_TYPE_MISMATCH` naming the list, a function of an image (a kind's
/// `DEEPTRACK_PARAM_CALLBACK` parameter) returning it fails with `DEEPTRACK_STATUS_INVALID_ARGUMENT`,
/// and `deeptrack_feature_resolve_batch` refuses it as input (`DEEPTRACK_STATUS_INVALID_ARGUMENT`).
/// An item that is itself such a list gives its own items in its place (the list is flat).
///
/// On success `*out` receives a new image owned by the caller (free with `deeptrack_image_free`,
/// unless a `get` callback hands it to the library through `*output`).
/// `DEEPTRACK_STATUS_NULL_ARGUMENT` when `items` is NULL with `count` > 0 or an item is NULL;
/// `DEEPTRACK_STATUS_INVALID_HANDLE` when an item is not a live image.
///
/// # Safety
/// `items` must be NULL or point to `count` readable pointers, each NULL or an image handle; `out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_new_list(
    items: *const *const deeptrack_image,
    count: usize,
    out: *mut *mut deeptrack_image,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let handles = unsafe { slice_arg(items, count, "items")? };
        let mut list = Vec::new();
        for (i, &h) in handles.iter().enumerate() {
            // SAFETY: each pointer is NULL or an image handle (contract), checked by `borrow`.
            let item = unsafe { borrow(h, &format!("items[{i}]"))? };
            push_items(&mut list, item)?;
        }
        // SAFETY: checked non-NULL.
        unsafe { *out = image_into_c(Image::of_list(list)) };
        Ok(())
    })
}

/// Appends `image` to `list`, or its items when it stands for a list (the lists stay flat).
pub(super) fn push_items(list: &mut Vec<Image>, image: &Image) -> Result<(), Error> {
    let items = image.list_items().unwrap_or(std::slice::from_ref(image));
    list.try_reserve(items.len()).map_err(|_| {
        Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", list.len() + items.len()))
    })?;
    list.extend(items.iter().cloned());
    Ok(())
}
