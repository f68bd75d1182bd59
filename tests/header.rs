//! The committed header must equal what the build renders (build.rs, pinned cbindgen). Regenerate it
//! with `DEEPTRACK_UPDATE_HEADER=1 cargo build`.

#[test]
fn header_is_current() {
    let rendered = include_str!(concat!(env!("OUT_DIR"), "/deeptrack.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/deeptrack.h"))
        .expect("include/deeptrack.h exists");
    assert!(
        committed == rendered,
        "include/deeptrack.h is stale: regenerate it with `DEEPTRACK_UPDATE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn header_declares_every_exported_function() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/deeptrack.h"));
    let sources = ["feature.rs", "image.rs", "mod.rs", "rule.rs", "value.rs"]
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
