//! Compiles the C++ programs with the system C++ compiler against the freshly built `libdeeptrack` and
//! runs them: a translation unit that includes the C header twice, and the two tests of the C++
//! wrapper (`include/deeptrack.hpp`: tests/cpp/wrapper.cpp and tests/cpp/full_api.cpp), also under
//! valgrind. Checks that the wrapper calls every function of the C API.

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

/// The output of the program `exe` (compiled as `name`) under valgrind, as `valgrind_clean` in
/// tests/c_api.rs runs the C programs: no invalid access, no definite or indirect leak (callbacks'
/// std::function objects included).
fn under_valgrind(exe: &Path, name: &str) -> String {
    run(
        Command::new("valgrind")
            // The system allocator, which valgrind watches (src/alloc.rs), instead of mimalloc.
            .env("DEEPTRACK_SYSTEM_ALLOCATOR", "1")
            // "Possibly lost" blocks are the process-wide FFT plan cache (src/fft.rs), alive until exit.
            .args(["--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect"])
            .args(["--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
            .arg(exe)
            .arg(out_dir(name)),
        exe,
    )
}

/// The wrapper test under valgrind ([`under_valgrind`]).
#[test]
fn cpp_wrapper_is_clean_under_valgrind() {
    let exe = compile("tests/cpp/wrapper.cpp", "valgrind_wrapper");
    assert_eq!(under_valgrind(&exe, "valgrind_wrapper").trim(), "C++ wrapper: ok");
}

#[test]
fn cpp_wrapper_full_api_works() {
    let exe = compile("tests/cpp/full_api.cpp", "full_api");
    let out = run(Command::new(&exe).arg(out_dir("full_api")), &exe);
    assert_eq!(out.trim(), "C++ wrapper (full API): ok");
}

/// The test of the rest of the wrapper under valgrind ([`under_valgrind`]): borrowed memory's release
/// functions, Merge functions and progress functions freed; after closing callbacks, the feature
/// whose callback stays unfreed is kept reachable by the program.
#[test]
fn cpp_wrapper_full_api_is_clean_under_valgrind() {
    let exe = compile("tests/cpp/full_api.cpp", "valgrind_full_api");
    assert_eq!(under_valgrind(&exe, "valgrind_full_api").trim(), "C++ wrapper (full API): ok");
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

/// C functions the C++ wrapper deliberately does not call, each with the reason. Empty: RAII and
/// the wrapper's own types cover every function of the C API (the free functions through
/// `detail::Handle`, the buffer-size queries inside the calls that need them).
const NOT_WRAPPED: &[(&str, &str)] = &[];

/// Families of `DEEPTRACK_*` constants that the wrapper mirrors as C++ enums or constants: each of
/// their members must appear in it, so that a new one (a new parameter type, flag or Bessel function)
/// cannot be left out.
const MIRRORED_CONSTANTS: &[&str] = &["DEEPTRACK_PARAM_", "DEEPTRACK_BESSEL_"];

/// The names of the functions that `include/deeptrack.h` declares (outside its comments), in order.
fn declared_functions() -> Vec<String> {
    let header = std::fs::read_to_string(root().join("include/deeptrack.h")).expect("include/deeptrack.h");
    let mut names = Vec::new();
    for line in header.lines() {
        let code = line.trim_start();
        if code.starts_with("/*") || code.starts_with('*') || code.starts_with("//") || code.starts_with("typedef") {
            continue;
        }
        for (at, _) in code.match_indices("deeptrack_") {
            let rest = &code[at..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let starts_word = code[..at].chars().last().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            if starts_word && rest[end..].starts_with('(') && !names.iter().any(|n| n == &rest[..end]) {
                names.push(rest[..end].to_owned());
            }
        }
    }
    names
}

/// The names of the `DEEPTRACK_*` constants that the header defines with `prefix`.
fn defined_constants(prefix: &str) -> Vec<String> {
    let header = std::fs::read_to_string(root().join("include/deeptrack.h")).expect("include/deeptrack.h");
    header
        .lines()
        .filter_map(|line| line.strip_prefix("#define "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|name| name.starts_with(prefix) && !name.contains('('))
        .map(str::to_owned)
        .collect()
}

/// The code of `include/deeptrack.hpp` without its comments (`//` to the end of the line; the wrapper
/// has no block comments and no `//` inside strings).
fn wrapper_code() -> String {
    let hpp = std::fs::read_to_string(root().join("include/deeptrack.hpp")).expect("include/deeptrack.hpp");
    assert!(!hpp.contains("/*"), "deeptrack.hpp has a block comment: teach wrapper_code() to strip it");
    hpp.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Whether `code` uses the identifier `name` (called, or passed as a function pointer), not only as
/// the prefix of a longer one.
fn uses(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(at, _)| {
        let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let before = code[..at].chars().last().is_none_or(|c| !is_ident(c));
        let after = code[at + name.len()..].chars().next().is_none_or(|c| !is_ident(c));
        before && after
    })
}

/// Every function of the C API has a C++ counterpart: `include/deeptrack.hpp` calls it (outside its
/// comments), unless NOT_WRAPPED names it with a reason. Every member of the constant families the
/// wrapper mirrors appears in it too.
#[test]
fn cpp_wrapper_covers_the_whole_c_api() {
    let functions = declared_functions();
    assert!(functions.len() >= 140, "found only {} functions in deeptrack.h", functions.len());
    for required in ["deeptrack_version", "deeptrack_close_callbacks", "deeptrack_value_array_bool"] {
        assert!(functions.iter().any(|f| f == required), "the header parser missed {required}");
    }
    let code = wrapper_code();
    for (name, reason) in NOT_WRAPPED {
        assert!(functions.iter().any(|f| f == name), "NOT_WRAPPED names {name}, which deeptrack.h does not declare");
        assert!(!reason.trim().is_empty(), "NOT_WRAPPED gives no reason for {name}");
        assert!(!uses(&code, name), "NOT_WRAPPED names {name}, but deeptrack.hpp calls it: remove it from the list");
    }
    let missing: Vec<&str> = functions
        .iter()
        .map(String::as_str)
        .filter(|f| !uses(&code, f) && !NOT_WRAPPED.iter().any(|(name, _)| name == f))
        .collect();
    assert!(
        missing.is_empty(),
        "include/deeptrack.hpp does not call these functions of the C API (wrap them, or list them in NOT_WRAPPED \
         with the reason): {}",
        missing.join(", ")
    );
    for prefix in MIRRORED_CONSTANTS {
        let constants = defined_constants(prefix);
        assert!(!constants.is_empty(), "deeptrack.h defines no {prefix}* constant");
        let missing: Vec<&str> = constants.iter().map(String::as_str).filter(|c| !uses(&code, c)).collect();
        assert!(missing.is_empty(), "include/deeptrack.hpp has no counterpart of: {}", missing.join(", "));
    }
}
