#!/bin/sh
# Installs the C library as `make install` does (see the Makefile's install target, which builds it
# first and calls this script):
#
#   $LIBDIR/libdeeptrack.so.X.Y.Z       the shared library, with SONAME libdeeptrack.so.<abi>
#   $LIBDIR/libdeeptrack.so.<abi>       -> libdeeptrack.so.X.Y.Z  (what programs load)
#   $LIBDIR/libdeeptrack.so             -> libdeeptrack.so.<abi>  (what the linker finds)
#   $LIBDIR/libdeeptrack.a              the static library
#   $INCLUDEDIR/deeptrack/deeptrack.h, deeptrack.hpp
#   $LIBDIR/pkgconfig/deeptrack.pc
#   $LIBDIR/cmake/deeptrack/deeptrack-config.cmake, deeptrack-config-version.cmake
#   $DOCDIR/README.md, LICENSE, CHANGELOG.md
#
# <abi> is the major version, or 0.<minor> while the major version is 0 (build.rs sets the SONAME).
# The names follow cargo-c's. Paths are rewritten relative to the prefix where they lie under it, so an
# installed tree can be moved (the CMake package finds itself; pkg-config takes --define-prefix).
#
# Usage: packaging/install.sh install|uninstall, with the environment:
#   PREFIX (/usr/local), LIBDIR ($PREFIX/lib), INCLUDEDIR ($PREFIX/include),
#   DOCDIR ($PREFIX/share/doc/deeptrack), DESTDIR (staging root, empty by default),
#   BUILD_DIR (target/release: where libdeeptrack.so and .a were built),
#   NATIVE_STATIC_LIBS (the system libraries a static link needs: rustc's native-static-libs).
set -eu

action=${1:-install}
root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/deeptrack}
DESTDIR=${DESTDIR:-}
BUILD_DIR=${BUILD_DIR:-$root/target/release}
NATIVE_STATIC_LIBS=${NATIVE_STATIC_LIBS:-}

fail() {
    echo "packaging/install.sh: $*" >&2
    exit 1
}

for dir in "$PREFIX" "$LIBDIR" "$INCLUDEDIR" "$DOCDIR"; do
    case $dir in
        /*) ;;
        *) fail "install paths must be absolute: '$dir' is not (PREFIX, LIBDIR, INCLUDEDIR, DOCDIR)" ;;
    esac
done
case $(uname -s) in
    Darwin | *MINGW* | *MSYS* | *CYGWIN*)
        fail "make install installs ELF shared libraries (Linux, the BSDs); see docs/releasing.md for macOS and Windows" ;;
esac

version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
[ -n "$version" ] || fail "no version in $root/Cargo.toml"
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then abi="0.$minor"; else abi=$major; fi
shared_file=libdeeptrack.so.$version
soname=libdeeptrack.so.$abi

lib=$DESTDIR$LIBDIR
inc=$DESTDIR$INCLUDEDIR/deeptrack
doc=$DESTDIR$DOCDIR
pc=$lib/pkgconfig/deeptrack.pc
cmake=$lib/cmake/deeptrack

if [ "$action" = uninstall ]; then
    rm -f "$lib/$shared_file" "$lib/$soname" "$lib/libdeeptrack.so" "$lib/libdeeptrack.a" "$pc" \
        "$cmake/deeptrack-config.cmake" "$cmake/deeptrack-config-version.cmake" \
        "$inc/deeptrack.h" "$inc/deeptrack.hpp" "$doc/README.md" "$doc/LICENSE" "$doc/CHANGELOG.md"
    rmdir "$cmake" "$inc" "$doc" 2>/dev/null || true
    echo "uninstalled deeptrack $version from $DESTDIR$PREFIX"
    exit 0
fi
[ "$action" = install ] || fail "unknown action '$action' (install or uninstall)"

for built in libdeeptrack.so libdeeptrack.a; do
    [ -f "$BUILD_DIR/$built" ] || fail "$BUILD_DIR/$built is missing: build the library first (make lib)"
done
[ -n "$NATIVE_STATIC_LIBS" ] || fail "NATIVE_STATIC_LIBS is empty: run through make install, which asks rustc for them"

# A path under the prefix, as seen from $1 (a variable holding the prefix) or absolute otherwise.
under_prefix() { # $1: the prefix's spelling, $2: the path
    case $2 in
        "$PREFIX") echo "$1" ;;
        "$PREFIX"/*) echo "$1/${2#"$PREFIX"/}" ;;
        *) echo "$2" ;;
    esac
}

# From $LIBDIR/cmake/deeptrack up to the prefix: "../" per directory (absolute when not under it).
case $LIBDIR in
    "$PREFIX" | "$PREFIX"/*)
        below=${LIBDIR#"$PREFIX"}/cmake/deeptrack
        cmake_to_prefix=$(echo "$below" | sed 's|/[^/]*|../|g; s|/$||')
        ;;
    *) cmake_to_prefix=$PREFIX ;;
esac
cmake_libs=$(echo "$NATIVE_STATIC_LIBS" | sed 's/^ *//; s/ *$//; s/ \{1,\}/;/g; s/-l//g')

fill() { # template, destination
    sed -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" -e "s|@MINOR@|$minor|g" \
        -e "s|@PREFIX@|$PREFIX|g" -e "s|@SONAME@|$soname|g" -e "s|@SHARED_FILE@|$shared_file|g" \
        -e "s|@PC_LIBDIR@|$(under_prefix '${prefix}' "$LIBDIR")|g" \
        -e "s|@PC_INCLUDEDIR@|$(under_prefix '${prefix}' "$INCLUDEDIR")|g" \
        -e "s|@NATIVE_STATIC_LIBS@|$NATIVE_STATIC_LIBS|g" \
        -e "s|@CMAKE_TO_PREFIX@|$cmake_to_prefix|g" \
        -e "s|@CMAKE_LIBDIR@|$(under_prefix '${_deeptrack_prefix}' "$LIBDIR")|g" \
        -e "s|@CMAKE_INCLUDEDIR@|$(under_prefix '${_deeptrack_prefix}' "$INCLUDEDIR")|g" \
        -e "s|@CMAKE_NATIVE_STATIC_LIBS@|$cmake_libs|g" \
        "$root/packaging/$1" >"$2.tmp"
    mv "$2.tmp" "$2"
    chmod 644 "$2"
}

install -d "$lib" "$lib/pkgconfig" "$cmake" "$inc" "$doc"
install -m 755 "$BUILD_DIR/libdeeptrack.so" "$lib/$shared_file"
ln -sf "$shared_file" "$lib/$soname"
ln -sf "$soname" "$lib/libdeeptrack.so"
install -m 644 "$BUILD_DIR/libdeeptrack.a" "$lib/libdeeptrack.a"
install -m 644 "$root/include/deeptrack.h" "$root/include/deeptrack.hpp" "$inc/"
install -m 644 "$root/README.md" "$root/LICENSE" "$root/CHANGELOG.md" "$doc/"
fill deeptrack.pc.in "$pc"
fill deeptrack-config.cmake.in "$cmake/deeptrack-config.cmake"
fill deeptrack-config-version.cmake.in "$cmake/deeptrack-config-version.cmake"
echo "installed deeptrack $version (SONAME $soname) into $DESTDIR$PREFIX"
# What a new user otherwise meets as "cannot open shared object file": the loader finds the library
# only in a directory it searches, and a system one only after ldconfig has seen the new library.
[ -n "$DESTDIR" ] || echo "programs load $soname from $LIBDIR at run time: run ldconfig (as root) for a system" \
    "directory, or link with -Wl,-rpath,$LIBDIR (or set LD_LIBRARY_PATH)"
