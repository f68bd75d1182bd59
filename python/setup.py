"""Builds deeptrack-native: the pure-Python package plus libdeeptrack, built by cargo.

The metadata is in pyproject.toml. setuptools-rust runs cargo on the crate (a plain cdylib,
``Binding.NoBinding``: the package loads it with ctypes, it is not a Python extension module), in the
release profile with the feature ``mimalloc``, as the C library ships. Three small customisations:

- ``build_rust``: the library keeps cargo's file name (``libdeeptrack.so``, ``libdeeptrack.dylib``,
  ``deeptrack.dll``) inside ``deeptrack_native/``, where ``_lib.py`` looks for it, instead of a
  Python extension's name. pip shows a build's output only with ``-v``: when there is a terminal,
  the "compiling" message and cargo's own progress go straight to it.
- ``bdist_wheel``: the wheel is tagged ``py3-none-<platform>`` (any Python 3, no Python ABI); on Linux
  ``auditwheel repair`` checks the library against the manylinux policies and retags the wheel with
  the most compatible one it satisfies (``manylinux_X_Y_<arch>``).
- ``sdist``: the crate, which lives in the parent directory of a checkout, is copied to the root of
  the sdist; ``CRATE`` below is found at either place.

Environment: ``CARGO``, ``CARGO_TARGET_DIR``, ``SETUPTOOLS_RUST_CARGO_PROFILE`` and
``CARGO_BUILD_TARGET`` work as setuptools-rust and cargo define them (see pyproject.toml).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
from setuptools.command.sdist import sdist as _sdist
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust as _build_rust

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
# The Rust crate: at the root of an unpacked sdist, in the parent directory of a checkout.
CRATE = HERE if (HERE / "Cargo.toml").is_file() else HERE.parent
# What the sdist carries of the crate: what `cargo build --lib` reads (benches/pipelines.rs: Cargo.toml
# declares the bench, and cargo checks that its file exists), the header, the README and the licence.
CRATE_FILES = [
    *("Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "src", "benches/pipelines.rs"),
    *("include", "README.md", "LICENSE"),
]
LIBRARY_FILE = {"darwin": "libdeeptrack.dylib", "win32": "deeptrack.dll"}.get(sys.platform, "libdeeptrack.so")


def checked_version():
    """Cargo.toml's version, which must equal ``deeptrack_native.__version__`` (the package refuses a
    library of another version)."""
    with open(CRATE / "Cargo.toml", "rb") as f:
        crate = tomllib.load(f)["package"]["version"]
    init = (HERE / "deeptrack_native" / "__init__.py").read_text(encoding="utf-8")
    package = re.search(r'^__version__ = "([^"]+)"', init, re.M).group(1)
    if crate != package:
        sys.exit(f"version mismatch: {CRATE / 'Cargo.toml'} says {crate}, deeptrack_native/__init__.py says {package}")
    return crate


def long_description():
    """The README, as PyPI shows it: outside the repository, so relative links and images become text."""
    text = (CRATE / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"!\[([^][]*)\]\((?![a-z]+:)([^)]+)\)", r"(\1: \2 in the repository)", text)
    return re.sub(r"\[([^][]*)\]\((?![a-z]+:)([^)]+)\)", r"\1", text)


class build_rust(_build_rust):
    """Names the library as cargo does, and shows cargo's progress on the terminal if there is one."""

    def get_dylib_ext_path(self, ext, target_fname):
        return os.path.join(os.path.dirname(super().get_dylib_ext_path(ext, target_fname)), LIBRARY_FILE)

    def build_extension(self, ext, *args, **kwargs):
        self.verbose = 0  # no `cargo -v` (rustc's command lines); CARGO_TERM_VERBOSE=true brings them back
        message = (
            f"deeptrack-native: compiling the native library libdeeptrack with cargo (release, from {CRATE}); "
            "a first build takes a few minutes"
        )
        try:
            tty = open("/dev/tty", "w")
        except OSError:  # no terminal (CI, Windows): the message and cargo's output go to pip's log
            print(message, file=sys.stderr, flush=True)
            return super().build_extension(ext, *args, **kwargs)
        with tty:
            print(f"\n{message}", file=tty, flush=True)
            sys.stderr.flush()
            stderr = os.dup(2)
            os.dup2(tty.fileno(), 2)  # cargo's stderr: a terminal, so cargo draws its progress bar
            try:
                return super().build_extension(ext, *args, **kwargs)
            finally:
                sys.stderr.flush()
                os.dup2(stderr, 2)
                os.close(stderr)


class bdist_wheel(_bdist_wheel):
    """Tags the wheel py3-none-<platform>; on Linux, has auditwheel give it its manylinux tag."""

    def get_tag(self):
        return "py3", "none", super().get_tag()[2]

    def run(self):
        super().run()
        if not sys.platform.startswith("linux"):
            return
        wheel = Path(self.dist_dir, f"{self.wheel_dist_name}-{'-'.join(self.get_tag())}.whl")
        audited = Path(self.dist_dir, "auditwheel")
        # Nothing is grafted (the library needs only libc, libm and libgcc_s), so no ELF patcher: with
        # --patcher none, a dependency outside the manylinux policy fails the build instead.
        cmd = [sys.executable, "-m", "auditwheel", "repair", "--patcher", "none", "--wheel-dir", str(audited), str(wheel)]
        print(" ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True)
        [repaired] = audited.glob("*.whl")
        wheel.unlink()
        repaired.replace(Path(self.dist_dir, repaired.name))
        audited.rmdir()


class sdist(_sdist):
    """Adds the crate to the sdist's root."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        for name in CRATE_FILES:
            source, dest = CRATE / name, Path(base_dir, name)
            if dest.exists():  # LICENSE: already there as the package's licence file
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, dest)


setup(
    version=checked_version(),
    long_description=long_description(),
    long_description_content_type="text/markdown",
    rust_extensions=[
        RustExtension(
            "deeptrack_native.libdeeptrack",
            path=str(CRATE / "Cargo.toml"),
            binding=Binding.NoBinding,
            features=["mimalloc"],
            debug=False,  # release, editable installs too
            # From an sdist, build exactly the dependency versions of its Cargo.lock.
            args=["--locked"] if CRATE == HERE else [],
        )
    ],
    cmdclass={"build_rust": build_rust, "bdist_wheel": bdist_wheel, "sdist": sdist},
)
