//! `make install` as a C or C++ user runs it: into a staging `DESTDIR` (the layout, the SONAME, the
//! symlinks), and into a prefix that programs are then built against, through pkg-config and through
//! CMake's `find_package(deeptrack)`, linked dynamically and statically, and run. `make test` installs
//! cmake and pkg-config first when they are missing (packaging/test-tools.sh).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{root, soname};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Runs a command; returns its standard output, failing the test with everything it printed otherwise.
fn run(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{cmd:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn make_install(vars: &[(&str, &Path)]) {
    let mut make = Command::new("make");
    make.arg("--no-print-directory").arg("-C").arg(root()).arg("install");
    for (name, value) in vars {
        make.arg(format!("{name}={}", value.display()));
    }
    run(&mut make);
}

/// The prefix everything below builds against, installed once per test binary.
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let prefix = tmp("install-prefix");
        make_install(&[("PREFIX", &prefix)]);
        prefix
    })
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The dynamic section of an ELF file, as readelf prints it.
fn dynamic_section(file: &Path) -> String {
    run(Command::new("readelf").arg("-d").arg(file))
}

#[test]
fn install_lays_out_a_versioned_library_headers_and_package_files() {
    let stage = tmp("install-stage");
    make_install(&[("DESTDIR", &stage), ("PREFIX", Path::new("/opt/deeptrack"))]);
    let prefix = stage.join("opt/deeptrack");
    let lib = prefix.join("lib");
    let real = format!("libdeeptrack.so.{}", version());
    assert!(lib.join(&real).is_file() && !lib.join(&real).is_symlink(), "{real} is the library itself");
    assert_eq!(std::fs::read_link(lib.join(soname())).unwrap(), PathBuf::from(&real));
    assert_eq!(std::fs::read_link(lib.join("libdeeptrack.so")).unwrap(), PathBuf::from(soname()));
    assert!(dynamic_section(&lib.join(&real)).contains(&format!("Library soname: [{}]", soname())));
    for file in [
        "lib/libdeeptrack.a",
        "include/deeptrack/deeptrack.h",
        "include/deeptrack/deeptrack.hpp",
        "lib/pkgconfig/deeptrack.pc",
        "lib/cmake/deeptrack/deeptrack-config.cmake",
        "lib/cmake/deeptrack/deeptrack-config-version.cmake",
        "share/doc/deeptrack/LICENSE",
        "share/doc/deeptrack/CHANGELOG.md",
    ] {
        assert!(prefix.join(file).is_file(), "{file} is not installed");
    }
    // The pkg-config file names the final prefix, not the staging directory, and the static link's
    // system libraries as rustc reported them.
    let pc = std::fs::read_to_string(lib.join("pkgconfig/deeptrack.pc")).unwrap();
    assert!(pc.contains("prefix=/opt/deeptrack\n") && pc.contains("libdir=${prefix}/lib\n"), "{pc}");
    assert!(pc.contains(&format!("Version: {}\n", version())), "{pc}");
    let private = pc.lines().find_map(|l| l.strip_prefix("Libs.private: ")).expect("Libs.private");
    assert!(private.split(' ').any(|l| l == "-lpthread" || l == "-lc"), "{private}");
    assert!(!pc.contains(&stage.display().to_string()), "{pc}");
    // make uninstall removes every file again.
    run(Command::new("make")
        .args(["--no-print-directory", "-C"])
        .arg(root())
        .arg("uninstall")
        .arg(format!("DESTDIR={}", stage.display()))
        .arg("PREFIX=/opt/deeptrack"));
    let left: Vec<_> = walk(&stage).into_iter().filter(|p| !p.is_dir()).collect();
    assert!(left.is_empty(), "left after uninstall: {left:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// `pkg-config <args> deeptrack` against the installed prefix, split into words.
fn pkg_config(args: &[&str]) -> Vec<String> {
    let out = run(Command::new("pkg-config")
        .args(args)
        .arg("deeptrack")
        .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig")));
    out.split_whitespace().map(str::to_owned).collect()
}

/// Builds `source` with `compiler` through pkg-config, dynamically or statically, and runs it.
fn build_with_pkg_config(compiler: &str, source: &str, std: &str, statically: bool) {
    let name = format!("pc-{}-{}", Path::new(source).extension().unwrap().to_str().unwrap(), statically);
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let mut cmd = Command::new(compiler);
    cmd.args([std, "-Wall", "-Wextra", "-Werror"]).arg(root().join(source)).arg("-o").arg(&exe);
    cmd.args(pkg_config(&["--cflags"]));
    if statically {
        // The archive by its file name (the shared library sits beside it), then the system libraries
        // of Libs.private.
        let libs = pkg_config(&["--static", "--libs"]);
        cmd.args(libs.iter().map(|l| if l == "-ldeeptrack" { "-l:libdeeptrack.a" } else { l.as_str() }));
    } else {
        let libdir = pkg_config(&["--variable=libdir"]).join(" ");
        cmd.args(pkg_config(&["--libs"])).arg(format!("-Wl,-rpath,{libdir}"));
    }
    run(&mut cmd);
    check_linkage(&exe, statically);
    let out = run(&mut Command::new(&exe));
    assert!(out.contains("from an installed prefix") && out.trim_end().ends_with(": ok"), "{out}");
}

/// A dynamically linked program records the SONAME; a static one does not need the library at all.
fn check_linkage(exe: &Path, statically: bool) {
    let dynamic = dynamic_section(exe);
    let needs = dynamic.contains(&format!("Shared library: [{}]", soname()));
    assert_eq!(needs, !statically, "{} (static: {statically}):\n{dynamic}", exe.display());
    assert!(!dynamic.contains("Shared library: [libdeeptrack.so]"), "{dynamic}");
}

#[test]
fn c_program_builds_through_pkg_config_dynamically() {
    build_with_pkg_config("cc", "tests/install/consumer.c", "-std=c11", false);
}

#[test]
fn c_program_builds_through_pkg_config_statically() {
    build_with_pkg_config("cc", "tests/install/consumer.c", "-std=c11", true);
}

#[test]
fn cpp_program_builds_through_pkg_config_dynamically() {
    build_with_pkg_config("c++", "tests/install/consumer.cpp", "-std=c++17", false);
}

#[test]
fn cpp_program_builds_through_pkg_config_statically() {
    build_with_pkg_config("c++", "tests/install/consumer.cpp", "-std=c++17", true);
}

/// Configures and builds tests/install/CMakeLists.txt against `prefix`, and runs its four programs.
fn build_with_cmake(prefix: &Path, name: &str) {
    let build = tmp(name);
    run(Command::new("cmake")
        .arg("-S")
        .arg(root().join("tests/install"))
        .arg("-B")
        .arg(&build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
        .arg("-DCMAKE_BUILD_TYPE=Release"));
    run(Command::new("cmake").arg("--build").arg(&build).args(["--parallel", "2"]));
    for (exe, statically) in [("c_shared", false), ("c_static", true), ("cpp_shared", false), ("cpp_static", true)] {
        check_linkage(&build.join(exe), statically);
        let out = run(&mut Command::new(build.join(exe)));
        assert!(out.trim_end().ends_with(": ok"), "{exe}: {out}");
    }
}

#[test]
fn programs_build_through_the_cmake_package() {
    build_with_cmake(prefix(), "cmake-build");
}

/// The CMake package finds the library relative to itself: a copied prefix works in its new place.
#[test]
fn the_cmake_package_works_from_a_moved_prefix() {
    let moved = tmp("install-moved").join("elsewhere");
    run(Command::new("cp").arg("-a").arg(prefix()).arg(&moved));
    build_with_cmake(&moved, "cmake-build-moved");
}

/// find_package refuses an incompatible version request: another 0.x minor version, or a newer one.
#[test]
fn the_cmake_package_refuses_incompatible_versions() {
    let project = tmp("cmake-version-check");
    let (major, minor) = (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
    let next_minor: u32 = minor.parse::<u32>().unwrap() + 1;
    for (request, found) in
        [(format!("{major}.{minor}"), true), (format!("{major}.{next_minor}"), false), ("99".to_owned(), false)]
    {
        std::fs::write(
            project.join("CMakeLists.txt"),
            format!(
                "cmake_minimum_required(VERSION 3.16)\nproject(v NONE)\nfind_package(deeptrack {request} QUIET)\n\
                 message(STATUS \"found=${{deeptrack_FOUND}}\")\n"
            ),
        )
        .unwrap();
        let out = run(Command::new("cmake")
            .arg("-S")
            .arg(&project)
            .arg("-B")
            .arg(project.join("build"))
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix().display())));
        let expected = if found { "found=1" } else { "found=0" };
        assert!(out.contains(expected), "find_package(deeptrack {request}):\n{out}");
    }
}

/// `make movie` (the README's Sequences section) renders examples-c/movie.c into
/// `target/release/movie/`: a PNG per frame and the multi-page TIFF. Its program once had the same
/// name as that directory, and the target could never run.
#[test]
fn make_movie_writes_its_frames_into_target_release_movie() {
    let out = run(Command::new("make").args(["--no-print-directory", "-C"]).arg(root()).arg("movie"));
    let dir = root().join("target/release/movie");
    assert!(dir.is_dir(), "{out}");
    for file in ["frame-00.png", "frame-09.png", "movie.tif"] {
        let len = std::fs::metadata(dir.join(file)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{file} is missing or empty:\n{out}");
    }
    assert!(root().join("target/release/movie-example").is_file());
}
