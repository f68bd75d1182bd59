//! Renders the C header with cbindgen into `OUT_DIR/deeptrack.h`.
//!
//! The committed `include/deeptrack.h` must equal that rendering: the test `header_is_current` fails
//! otherwise. `DEEPTRACK_UPDATE_HEADER=1 cargo build` writes the rendering to `include/deeptrack.h`.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=DEEPTRACK_UPDATE_HEADER");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("set by cargo");
    config.after_includes = Some(format!(
        "\n/** Version of this header (the loaded library reports its own with deeptrack_version()). */\n\
         #define DEEPTRACK_VERSION_MAJOR {}\n#define DEEPTRACK_VERSION_MINOR {}\n#define DEEPTRACK_VERSION_PATCH {}\n\
         #define DEEPTRACK_VERSION_STRING \"{}\"\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").expect("set by cargo"),
    ));

    let rendered = out_dir.join("deeptrack.h");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen renders the header")
        .write_to_file(&rendered);

    let committed = crate_dir.join("include/deeptrack.h");
    let new = fs::read(&rendered).expect("rendered header");
    let old = fs::read(&committed).unwrap_or_default();
    if env::var("DEEPTRACK_UPDATE_HEADER").as_deref() == Ok("1") {
        if new != old {
            fs::create_dir_all(crate_dir.join("include")).expect("include/ can be created");
            fs::write(&committed, &new).expect("include/deeptrack.h can be written");
        }
    } else if new != old {
        println!(
            "cargo:warning=include/deeptrack.h differs from the header this build renders; \
             regenerate it with `DEEPTRACK_UPDATE_HEADER=1 cargo build`"
        );
    }
}
