//! The Rust crate is a good citizen: a program that depends on it (without the `mimalloc` feature, as
//! a Rust user adds it) sets its own `#[global_allocator]`, links, and the library allocates through
//! it. The program is tests/rust-dependent/src/main.rs, built here as its own package, offline, with the
//! repository's lock file (the crates are already in cargo's cache from building this one), in a
//! target directory of its own. Its allocator also refuses large blocks on demand: the Rust API then
//! answers `OutOfMemory`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn a_rust_program_with_its_own_global_allocator_uses_the_crate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let project = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust-dependent");
    std::fs::create_dir_all(project.join("src")).expect("a project directory");
    std::fs::copy(root.join("tests/rust-dependent/src/main.rs"), project.join("src/main.rs")).expect("main.rs");
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).expect("Cargo.lock");
    let manifest = format!(
        "[package]\nname = \"own-allocator\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ndeeptrack = {{ path = {:?} }}\n\n\
         # As the repository's, so that the dependencies already built there are reused.\n\
         [profile.dev]\nopt-level = 1\n\n[workspace]\n",
        root.display().to_string(),
    );
    std::fs::write(project.join("Cargo.toml"), manifest).expect("Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        // A target directory of its own: the package also builds a cdylib, so cargo names its rlib
        // `libdeeptrack.rlib` without a hash, and in the repository's target directory this build
        // (without `mimalloc`) and the repository's (with it) would overwrite each other's file while
        // each fingerprint stays fresh: this program would then link the allocator it must not get
        // (`#[global_allocator]` conflicts), or the repository's tests the allocator they must get.
        // The dependencies are compiled once there and reused afterwards.
        .arg("--target-dir")
        .arg(root.join("target").join("rust-dependent"))
        // The test run's own cargo settings (features, a different profile) must not leak into it.
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the dependent program failed to build or run:\n{stdout}\n{stderr}");
    assert!(stdout.starts_with("own allocator: ") && stdout.contains("result [6.0, 7.0, 8.0, 9.0]"), "{stdout}");
    assert!(stdout.contains("get_properties without memory: cannot allocate the values of a property"), "{stdout}");
    assert!(stdout.contains("a permuted image without memory: "), "{stdout}");
    assert!(stdout.contains("a narrow image without memory: "), "{stdout}");
    assert!(stdout.contains("a cropped view without memory: "), "{stdout}");
    assert!(stdout.contains("a flipped narrow image without memory: "), "{stdout}");
}
