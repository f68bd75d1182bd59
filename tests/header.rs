//! The C header: `include/deeptrack.h` is rendered from `src/ffi/` by cbindgen (pinned, a
//! dev-dependency: building the library never compiles it). The committed header must equal the
//! rendering; `make header` (`DEEPTRACK_UPDATE_HEADER=1 cargo test --test header`) rewrites it.

use std::path::PathBuf;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The version macros, from the crate's version: `DEEPTRACK_VERSION_NUMBER` is
/// `major * 1000000 + minor * 1000 + patch`, and `DEEPTRACK_CHECK_VERSION(major, minor, patch)` is true
/// when the header is that version or newer.
fn version_macros() -> String {
    let (major, minor, patch) =
        (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"), env!("CARGO_PKG_VERSION_PATCH"));
    format!(
        "\n/** Version of this header (the loaded library reports its own with deeptrack_version()). */\n\
         #define DEEPTRACK_VERSION_MAJOR {major}\n#define DEEPTRACK_VERSION_MINOR {minor}\n\
         #define DEEPTRACK_VERSION_PATCH {patch}\n#define DEEPTRACK_VERSION_STRING \"{version}\"\n\n\
         /** A version as one number, `major * 1000000 + minor * 1000 + patch` (each part below 1000). */\n\
         #define DEEPTRACK_VERSION_ENCODE(major, minor, patch) ((major) * 1000000 + (minor) * 1000 + (patch))\n\
         /** This header's version as one number, for comparisons in `#if`. */\n\
         #define DEEPTRACK_VERSION_NUMBER \\\n  DEEPTRACK_VERSION_ENCODE(DEEPTRACK_VERSION_MAJOR, DEEPTRACK_VERSION_MINOR, DEEPTRACK_VERSION_PATCH)\n\
         /** True when this header is version `major.minor.patch` or newer: \
         `#if DEEPTRACK_CHECK_VERSION(0, 1, 0)`. */\n\
         #define DEEPTRACK_CHECK_VERSION(major, minor, patch) \\\n  (DEEPTRACK_VERSION_NUMBER >= DEEPTRACK_VERSION_ENCODE(major, minor, patch))\n",
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// The header as cbindgen renders it from the sources, once per test binary.
fn rendered() -> &'static str {
    static RENDERED: OnceLock<String> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let mut config = cbindgen::Config::from_file(root().join("cbindgen.toml")).expect("cbindgen.toml is valid");
        config.after_includes = Some(version_macros());
        let mut out = Vec::new();
        cbindgen::Builder::new()
            .with_config(config)
            .with_src(root().join("src/ffi/mod.rs"))
            .generate()
            .expect("cbindgen renders the header")
            .write(&mut out);
        String::from_utf8(out).expect("the header is UTF-8")
    })
}

#[test]
fn header_is_current() {
    let path = root().join("include/deeptrack.h");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var("DEEPTRACK_UPDATE_HEADER").as_deref() == Ok("1") {
        if committed != rendered() {
            std::fs::write(&path, rendered()).expect("include/deeptrack.h can be written");
        }
        return;
    }
    assert!(committed == rendered(), "include/deeptrack.h is stale: regenerate it with `make header` and commit it");
}

#[test]
fn header_declares_every_exported_function() {
    let header = rendered();
    let sources = ["feature.rs", "image.rs", "kind.rs", "mod.rs", "rule.rs", "value.rs"]
        .map(|f| std::fs::read_to_string(format!("{}/src/ffi/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap());
    let mut count = 0;
    for src in &sources {
        for line in src.lines() {
            if let Some(rest) = line.split("extern \"C\" fn ").nth(1) {
                let name = rest.split('(').next().unwrap();
                assert!(header.contains(&format!("{name}(")), "{name} is missing from the header");
                count += 1;
            }
        }
    }
    assert!(count >= 60, "found only {count} exported functions");
}

/// Every entry point runs its body under the panic guard (directly, or through a helper that does).
#[test]
fn every_entry_point_catches_panics() {
    const GUARDED_HELPERS: [&str; 7] =
        ["guard(", "guard_or(", "catch_unwind(", "write_new(", "read_as(", "new_custom(", "new_callback_rule("];
    for file in ["feature.rs", "image.rs", "mod.rs", "rule.rs", "value.rs"] {
        let src = std::fs::read_to_string(format!("{}/src/ffi/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let lines: Vec<&str> = src.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.split("extern \"C\" fn ").nth(1) else { continue };
            let name = rest.split('(').next().unwrap();
            let end = (i..lines.len()).find(|&j| lines[j] == "}").expect("end of function");
            let body = lines[i..end].join("\n");
            assert!(GUARDED_HELPERS.iter().any(|g| body.contains(g)), "{name} in {file} does not use the panic guard");
        }
        for helper in ["fn write_new(", "fn read_as(", "fn new_custom(", "fn new_callback_rule("] {
            if let Some(at) = src.find(helper) {
                assert!(src[at..].split("\n}").next().unwrap().contains("guard("), "{helper} must use the guard");
            }
        }
    }
}
