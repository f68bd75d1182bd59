//! Panics never cross the C boundary: a panic inside an entry point becomes `DEEPTRACK_STATUS_PANIC`
//! with its message and location, prints nothing on the host's stderr, and leaves the library working.

use std::process::Command;

use deeptrack::ffi::feature::{deeptrack_feature_free, deeptrack_feature_resolve, feature_into_handle};
use deeptrack::ffi::image::{deeptrack_image, deeptrack_image_free};
use deeptrack::ffi::{DEEPTRACK_STATUS_OK, DEEPTRACK_STATUS_PANIC, deeptrack_last_error_message};
use deeptrack::{Feature, features};

fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    let mut needed = 0;
    // SAFETY: buf holds 1024 writable bytes.
    let status = unsafe { deeptrack_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut needed) };
    assert_eq!(status, DEEPTRACK_STATUS_OK);
    String::from_utf8_lossy(&buf[..needed - 1]).into_owned()
}

/// Resolves `f` through the C entry point; returns its status and the image (or null).
fn resolve(f: Feature) -> (u32, *mut deeptrack_image) {
    let handle = feature_into_handle(f);
    let mut out = std::ptr::null_mut();
    // SAFETY: a live handle, no input, a writable out-pointer.
    let status = unsafe { deeptrack_feature_resolve(handle, std::ptr::null(), &mut out) };
    // SAFETY: the handle is ours.
    unsafe { deeptrack_feature_free(handle) };
    (status, out)
}

#[test]
fn a_panic_inside_an_entry_point_is_status_panic_with_its_message() {
    let exploding = Feature::custom("Detector", |_, _| panic!("the detector exploded"));
    let (status, out) = resolve(exploding);
    assert_eq!(status, DEEPTRACK_STATUS_PANIC);
    assert!(out.is_null());
    let message = last_error();
    assert!(
        message.starts_with("internal panic (please report): the detector exploded (at tests/panics.rs:"),
        "{message}"
    );
    // The library still works afterwards, on this thread and on others.
    let value = features::builtin("Value").unwrap();
    let (status, out) = resolve(value);
    assert_eq!(status, DEEPTRACK_STATUS_OK);
    // SAFETY: an image we own.
    unsafe { deeptrack_image_free(out) };
    std::thread::spawn(|| assert_eq!(resolve(features::builtin("DummyFeature").unwrap()).0, DEEPTRACK_STATUS_OK))
        .join()
        .unwrap();
}

/// Run in a child process: the panic must not reach its stderr.
#[test]
fn caught_panics_print_nothing() {
    if std::env::var_os("DEEPTRACK_PANIC_CHILD").is_some() {
        let (status, _) = resolve(Feature::custom("Detector", |_, _| panic!("quietly")));
        assert_eq!(status, DEEPTRACK_STATUS_PANIC);
        // A panic outside the library still reaches the previous hook (the default one prints it).
        let outside = std::panic::catch_unwind(|| panic!("outside the library"));
        assert!(outside.is_err());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args(["caught_panics_print_nothing", "--exact", "--nocapture", "--test-threads=1"])
        .env("DEEPTRACK_PANIC_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("quietly"), "a caught panic was printed:\n{stderr}");
    assert!(stderr.contains("outside the library"), "the host's own panics must still print:\n{stderr}");
}
