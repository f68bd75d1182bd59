//! Runs the Python ctypes smoke test against the freshly built shared library.

mod common;

use std::process::Command;

#[test]
fn python_ctypes_smoke_test() {
    let output = Command::new("python3")
        .arg(common::root().join("tests/python/smoke_test.py"))
        .arg(common::lib_dir().join("libdeeptrack.so"))
        .output()
        .expect("python3 is needed for the ctypes test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("through ctypes: ok"), "{stdout}");
    print!("{stdout}");
}
