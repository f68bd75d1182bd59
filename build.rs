//! Gives the shared library its SONAME (its install name on macOS), so that a program linked against
//! it records the ABI version it was built for and never loads an incompatible later build.
//!
//! The ABI version is the major version, or `0.minor` while the major version is 0 (every 0.x minor
//! release may break the ABI; see the README's "ABI stability"): `libdeeptrack.so.0.1` for 0.1.z.
//! `make install` installs the library as `libdeeptrack.so.<version>` with that SONAME as a symlink,
//! as cargo-c names them.
//!
//! It also sets `deeptrack_avx512` when the compiler has the AVX-512 target features (stable since
//! Rust 1.89, above the crate's minimum of 1.85): the element-wise kernels then have variants
//! compiled for AVX-512, chosen at run time on processors that have it.
//!
//! The C header is not rendered here: `tests/header.rs` renders it with cbindgen (a dev-dependency) and
//! checks the committed `include/deeptrack.h`; `make header` rewrites it.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(deeptrack_avx512)");
    if autocfg::AutoCfg::new().is_ok_and(|ac| ac.probe_rustc_version(1, 89)) {
        println!("cargo:rustc-cfg=deeptrack_avx512");
    }
    let var = |name: &str| env::var(name).unwrap_or_else(|_| panic!("{name} is set by cargo"));
    let (major, minor) = (var("CARGO_PKG_VERSION_MAJOR"), var("CARGO_PKG_VERSION_MINOR"));
    let abi = if major == "0" { format!("0.{minor}") } else { major };
    match var("CARGO_CFG_TARGET_OS").as_str() {
        "macos" | "ios" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libdeeptrack.{abi}.dylib")
        }
        "windows" => {}
        _ => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdeeptrack.so.{abi}"),
    }
}
