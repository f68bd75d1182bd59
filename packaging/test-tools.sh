#!/bin/sh
# Installs the programs `make test` needs beyond the Rust toolchain, a C/C++ compiler and Python, when
# they are missing: cmake and pkg-config (the install tests build programs against an installed prefix
# through both) and valgrind (the C and C++ programs run under it). Uses the system's package manager:
# apt-get (Debian, Ubuntu), dnf, or brew; as root, or through sudo.
set -eu

missing=""
for tool in cmake pkg-config valgrind; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -n "$missing" ] || exit 0
echo "make test needs:$missing; installing them" >&2

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "installing$missing needs root: run as root, or install them yourself" >&2
        exit 1
    fi
}

if command -v apt-get >/dev/null 2>&1; then
    as_root apt-get update -qq
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif command -v dnf >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    as_root dnf install -y $(echo "$missing" | sed 's/pkg-config/pkgconf-pkg-config/')
elif command -v brew >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    brew install $(echo "$missing" | sed 's/pkg-config/pkgconf/')
else
    echo "no known package manager: install$missing yourself" >&2
    exit 1
fi
for tool in $missing; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is still missing after installing it" >&2; exit 1; }
done
