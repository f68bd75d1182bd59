//! Helpers shared by the integration tests: building and running features through the Rust API, and
//! loading the shared library from outside Rust (C, C++, Python).
// Each test binary that includes this module uses only some of its helpers.
#![allow(dead_code)]

use deeptrack::features::registry;
use deeptrack::{Feature, Image, Rule, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` holding an up-to-date `libdeeptrack.so`. `cargo test` builds only the rlib, so the
/// shared library is (re)built here, once per test binary, with the profile and the features of the
/// test run (`make test` turns on `mimalloc`, as the shipped C library has it). The library's SONAME
/// (`libdeeptrack.so.0.1`, see build.rs) gets a symlink beside it, so that programs linked here load.
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
            if cfg!(feature = "mimalloc") {
                cargo.args(["--features", "mimalloc"]);
            }
            assert!(cargo.status().expect("run cargo build").success(), "cargo build --lib failed");
            assert!(dir.join("libdeeptrack.so").exists(), "libdeeptrack.so not found in {}", dir.display());
            let soname = dir.join(soname());
            if std::fs::read_link(&soname).is_err() {
                let _ = std::fs::remove_file(&soname);
                // Several test binaries may get here at once: one of them creates the link.
                if let Err(e) = std::os::unix::fs::symlink("libdeeptrack.so", &soname) {
                    assert!(soname.exists(), "cannot link {}: {e}", soname.display());
                }
            }
            dir
        })
        .clone()
}

/// The SONAME of the shared library: `libdeeptrack.so.<major>`, or `libdeeptrack.so.0.<minor>` while
/// the major version is 0 (build.rs).
pub fn soname() -> String {
    let (major, minor) = (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
    if major == "0" { format!("libdeeptrack.so.0.{minor}") } else { format!("libdeeptrack.so.{major}") }
}

/// A built-in kind `name` (as DeepTrack names it) with the properties `props` set to their rules;
/// panics naming the kind or the property that is refused.
pub fn kind(name: &str, props: &[(&str, Rule)]) -> Feature {
    let f = registry::build(name, Vec::new()).unwrap_or_else(|e| panic!("{name} is not a kind: {e}"));
    for (key, rule) in props {
        f.set_property(key, rule.clone()).unwrap_or_else(|e| panic!("{name}.{key}: {e}"));
    }
    f
}

/// [`kind`] with every property a constant.
pub fn kind_of(name: &str, props: &[(&str, Value)]) -> Feature {
    let rules: Vec<(&str, Rule)> = props.iter().map(|(k, v)| (*k, Rule::constant(v.clone()))).collect();
    kind(name, &rules)
}

/// The one image `f` resolves to from `input`; panics on an error or on any other number of images.
pub fn one(f: &Feature, input: Option<&Image>) -> Image {
    let mut out = f.resolve(input).unwrap();
    assert_eq!(out.len(), 1, "one image expected");
    out.pop().unwrap()
}
