//! C ABI of an image's ground-truth table (`crate::property_table`): the dicts holding a key (every
//! particle's `position`) as JSON text in the caller's buffer, in one call rather than one per entry.

use libc::{c_char, size_t};

use super::image::deeptrack_image;
use super::{borrow, deeptrack_status, guard, str_arg, write_string};
use crate::property_table::table_json;

/// Writes the property dicts of `img` that hold `key` (every dict when `key` is NULL) as a JSON table
/// into `buf`, NUL-terminated, with the buffer contract of `deeptrack_last_error_message`: `*needed`
/// (when not NULL) receives the text's size with its NUL; when `buf` is NULL or `len` is less,
/// `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` and nothing is written to `buf` (call again with a larger one).
///
/// The text is an array with one object per selected dict, in the image's order (that of
/// `deeptrack_image_property_dict`), holding the dict's entries in order: those whose names do not
/// start with `_` and whose values are scalars (`null` for None, `true`/`false`, integers, floats with
/// shortest round-trip digits and a `.` or an exponent, `NaN`/`Infinity`/`-Infinity` as Python's
/// `json` writes them, strings, 0-d arrays as their number), and `key`'s own value whatever its kind
/// (arrays as nested lists by their shape, lists and tuples as lists). Lists, tuples, arrays and
/// complex values of other entries are left out. E.g. for a fluorescence image of two point particles
/// and `key` `"position"`: `[{"position":[19.3,121.0],"z":0.0,"intensity":74.1,…,"name":"PointParticle"},{…}]`;
/// `[]` when no dict holds `key`.
///
/// Errors: `DEEPTRACK_STATUS_NULL_ARGUMENT` (`img`), `DEEPTRACK_STATUS_INVALID_HANDLE`,
/// `DEEPTRACK_STATUS_INVALID_UTF8` (`key`), `DEEPTRACK_STATUS_INVALID_ARGUMENT` (`key`'s value holding
/// a complex number or lists nested more than 64 deep: the message names the property and the dict),
/// `DEEPTRACK_STATUS_OUT_OF_MEMORY`, `DEEPTRACK_STATUS_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `img` must be NULL or a live image; `key` NULL or NUL-terminated; `buf` NULL or `len` writable
/// bytes; `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_image_table_json(
    img: *const deeptrack_image,
    key: *const c_char,
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let img = unsafe { borrow(img, "img")? };
        let key = if key.is_null() {
            None
        } else {
            // SAFETY: forwarded contract (non-NULL, NUL-terminated).
            Some(unsafe { str_arg(key, "key")? })
        };
        let text = table_json(img.properties(), key)?;
        // SAFETY: forwarded contract.
        unsafe { write_string(&text, buf, len, needed) }
    })
}
