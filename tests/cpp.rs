//! Compiles the C++ programs with the system C++ compiler against the freshly built `libdeeptrack` and
//! runs them: a translation unit that includes the C header twice, and the test of the C++ wrapper
//! (`include/deeptrack.hpp`), also under valgrind.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{lib_dir, root};

/// Compiles `source` as C++17 into executable `name`, linked to libdeeptrack. Each test uses its own
/// `name`, since tests run in parallel.
fn compile(source: &str, name: &str) -> PathBuf {
    let lib = lib_dir();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let status = Command::new("c++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-ldeeptrack", "-lm"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run c++: {e}"));
    assert!(status.success(), "c++ failed to compile {source}");
    out
}

/// A fresh directory for the files a program writes.
fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name.to_owned() + "-out");
    std::fs::create_dir_all(&dir).expect("an output directory");
    dir
}

/// Runs `command`, failing the test if it exits non-zero; returns its standard output.
fn run(command: &mut Command, what: &Path) -> String {
    let output: Output = command.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", what.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} failed ({}):\n{stdout}\n{stderr}", what.display(), output.status);
    stdout
}

#[test]
fn header_compiles_as_cpp_when_included_twice() {
    let exe = compile("tests/cpp/double_include.cpp", "double_include");
    let out = run(&mut Command::new(&exe), &exe);
    assert_eq!(out.trim(), "deeptrack 0.1.0 from C++");
}

#[test]
fn cpp_wrapper_works() {
    let exe = compile("tests/cpp/wrapper.cpp", "wrapper");
    let out = run(Command::new(&exe).arg(out_dir("wrapper")), &exe);
    assert_eq!(out.trim(), "C++ wrapper: ok");
}

/// The wrapper test under valgrind, as `valgrind_clean` in tests/c_api.rs runs the C programs: no
/// invalid access, no definite or indirect leak (callbacks' std::function objects included).
#[test]
fn cpp_wrapper_is_clean_under_valgrind() {
    let exe = compile("tests/cpp/wrapper.cpp", "valgrind_wrapper");
    let out = run(
        Command::new("valgrind")
            // The system allocator, which valgrind watches (src/alloc.rs), instead of mimalloc.
            .env("DEEPTRACK_SYSTEM_ALLOCATOR", "1")
            // "Possibly lost" blocks are the process-wide FFT plan cache (src/fft.rs), alive until exit.
            .args(["--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect"])
            .args(["--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
            .arg(&exe)
            .arg(out_dir("valgrind_wrapper")),
        &exe,
    );
    assert_eq!(out.trim(), "C++ wrapper: ok");
}

/// The README's C++ example, as it stands there, compiles and runs (wrapped in `main`).
#[test]
fn readme_cpp_example_compiles_and_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme.split("\n### C++\n").nth(1).expect("a C++ section in the README");
    let code = section.split("```cpp\n").nth(1).and_then(|c| c.split("```").next()).expect("a ```cpp block");
    let source = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("readme_example.cpp");
    std::fs::write(
        &source,
        format!(
            "#include \"deeptrack.hpp\"\n#include <cstdio>\nint main() {{\n{code}\
             std::printf(\"%zu images, %zu positions\\n\", batch.size(), positions.len());\n}}\n"
        ),
    )
    .expect("write the example");
    let exe = compile(source.to_str().expect("a UTF-8 path"), "readme_example");
    let out = run(&mut Command::new(&exe), &exe);
    assert_eq!(out.trim(), "64 images, 3 positions");
}
