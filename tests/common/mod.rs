//! Helpers shared by the tests that load the shared library from outside Rust (C, C++, Python).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` holding an up-to-date `libdeeptrack.so`. `cargo test` builds only the rlib, so the
/// shared library is (re)built here, once per test binary, with the profile of the test run.
pub fn lib_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test executable path");
            let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/..").to_path_buf();
            let mut cargo = Command::new(env!("CARGO"));
            cargo.args(["build", "--lib", "--quiet", "--manifest-path"]).arg(root().join("Cargo.toml"));
            if dir.file_name().is_some_and(|n| n == "release") {
                cargo.arg("--release");
            }
            assert!(cargo.status().expect("run cargo build").success(), "cargo build --lib failed");
            assert!(dir.join("libdeeptrack.so").exists(), "libdeeptrack.so not found in {}", dir.display());
            dir
        })
        .clone()
}
