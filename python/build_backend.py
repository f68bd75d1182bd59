"""An in-tree PEP 517 build backend: builds libdeeptrack with cargo and packs it into the wheel.

``pip install ./python`` (from the repository) runs ``cargo build --release --lib`` in the repository
and installs a wheel holding ``deeptrack_native/*.py`` and the library beside them, where the package
loads it from. No third-party build dependency: the wheel (a zip with a dist-info) is written here.
Editable installs (``pip install -e ./python``) put ``python/`` on the path and build the library into
``target/release``, which the package finds from a checkout.

Environment: ``CARGO`` (the cargo to run), ``CARGO_TARGET_DIR`` (honoured), ``DEEPTRACK_CARGO_PROFILE``
(``release`` by default; ``dev`` for a quick unoptimised build).
"""

import base64
import collections
import hashlib
import io
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

NAME = "deeptrack-native"
DIST = "deeptrack_native"
PACKAGE = "deeptrack_native"
PYTHON_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(PYTHON_DIR)

if sys.platform == "darwin":
    LIBRARY_FILE = "libdeeptrack.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "deeptrack.dll"
else:
    LIBRARY_FILE = "libdeeptrack.so"


class BuildError(RuntimeError):
    pass


def crate_version():
    manifest = os.path.join(REPO, "Cargo.toml")
    if not os.path.isfile(manifest):
        raise BuildError(
            f"{manifest} not found: the backend builds the Rust crate of the repository that holds "
            f"python/ ({PYTHON_DIR}). Install from a checkout or the sdist (`pip install ./python` "
            "from the repository root); pip >= 21.3 is needed, older pips build from a copy of python/ "
            "alone."
        )
    with open(manifest, encoding="utf-8") as f:
        text = f.read()
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M)
    if not match:
        raise BuildError("no version in the [package] table of Cargo.toml")
    return match.group(1)


def package_version():
    with open(os.path.join(PYTHON_DIR, PACKAGE, "__init__.py"), encoding="utf-8") as f:
        match = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if not match:
        raise BuildError(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


def pyproject_version():
    with open(os.path.join(PYTHON_DIR, "pyproject.toml"), encoding="utf-8") as f:
        match = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M)
    return match.group(1) if match else None


def version():
    crate, package = crate_version(), package_version()
    declared = pyproject_version()
    if declared is not None and declared != crate:
        raise BuildError(f"version mismatch: Cargo.toml says {crate} but python/pyproject.toml says {declared}")
    if crate != package:
        raise BuildError(
            f"version mismatch: Cargo.toml says {crate} but {PACKAGE}/__init__.py says {package}; "
            "they must be equal (the package refuses a library of another version)"
        )
    return crate


def target_dir():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return target if os.path.isabs(target) else os.path.join(REPO, target)


def build_library():
    """Runs cargo and returns the path of the built library.

    Cargo's progress goes to stderr as it comes (``pip install -v`` shows it); when cargo fails, the
    error carries the end of its stderr, so pip's report shows why without -v.
    """
    cargo = os.environ.get("CARGO", "cargo")
    profile = os.environ.get("DEEPTRACK_CARGO_PROFILE", "release")
    cmd = [cargo, "build", "--lib", "--profile", profile, "--manifest-path", os.path.join(REPO, "Cargo.toml")]
    print(f"deeptrack build_backend: {' '.join(cmd)}", file=sys.stderr, flush=True)
    try:
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
    except OSError as e:
        raise BuildError(
            f"cannot run '{cargo}' ({e.strerror}): building deeptrack-native needs the Rust toolchain "
            "(https://rustup.rs); set CARGO to cargo's path if it is not on PATH"
        ) from None
    tail = collections.deque(maxlen=80)
    with proc.stdout:
        for line in proc.stdout:
            sys.stderr.write(line)
            tail.append(line)
    sys.stderr.flush()
    if proc.wait() != 0:
        raise BuildError(
            f"{' '.join(cmd)} failed (exit status {proc.returncode}); its output ends with:\n{''.join(tail)}"
        )
    path = os.path.join(target_dir(), "debug" if profile == "dev" else profile, LIBRARY_FILE)
    if not os.path.exists(path):
        raise BuildError(f"cargo succeeded but {path} does not exist")
    return path


def metadata(ver):
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {ver}\n"
        "Summary: DeepTrack2's API (2.0.1 Image semantics) over libdeeptrack, a native engine for "
        "simulating microscopy images\n"
        "Requires-Python: >=3.9\n"
        "Requires-Dist: numpy>=1.22\n"
    )


def platform_tag():
    return re.sub(r"[^A-Za-z0-9]+", "_", sysconfig.get_platform())


def wheel_text(tag, pure):
    return (
        "Wheel-Version: 1.0\n"
        "Generator: deeptrack build_backend\n"
        f"Root-Is-Purelib: {'true' if pure else 'false'}\n"
        f"Tag: {tag}\n"
    )


class Wheel:
    """Writes a wheel: files plus a dist-info with RECORD."""

    def __init__(self, directory, ver, tag):
        self.name = f"{DIST}-{ver}-{tag}.whl"
        self.path = os.path.join(directory, self.name)
        self.zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records = []
        self.dist_info = f"{DIST}-{ver}.dist-info"

    def add(self, arcname, data, mode=0o644):
        info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (mode | 0o100000) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{arcname},sha256={digest},{len(data)}")

    def close(self, meta, wheel):
        self.add(f"{self.dist_info}/METADATA", meta.encode())
        self.add(f"{self.dist_info}/WHEEL", wheel.encode())
        self.records.append(f"{self.dist_info}/RECORD,,")
        info = zipfile.ZipInfo(f"{self.dist_info}/RECORD", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o644 | 0o100000) << 16
        self.zip.writestr(info, "\n".join(self.records) + "\n")
        self.zip.close()
        return self.name


def _skipped(name):
    """Files no distribution carries: caches, hidden files, bytecode, built libraries, build leftovers."""
    return (
        name.startswith(".")
        or name == "__pycache__"
        or name.endswith((".pyc", ".pyo", ".so", ".dylib", ".dll", ".pyd", ".egg-info"))
    )


def package_files():
    """Every .py of the package, subpackages included, as (path in the wheel, path on disk)."""
    root = os.path.join(PYTHON_DIR, PACKAGE)
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, PYTHON_DIR).replace(os.sep, "/"), path


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# -- PEP 517 -------------------------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _write_dist_info(directory, ver, pure):
    dist_info = os.path.join(directory, f"{DIST}-{ver}.dist-info")
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(metadata(ver))
    with open(os.path.join(dist_info, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(wheel_text("py3-none-any" if pure else f"py3-none-{platform_tag()}", pure))
    return os.path.basename(dist_info)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory, version(), pure=False)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory, version(), pure=False)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    ver = version()
    library = build_library()
    tag = f"py3-none-{platform_tag()}"
    wheel = Wheel(wheel_directory, ver, tag)
    for arcname, path in package_files():
        wheel.add(arcname, _read(path))
    wheel.add(f"{PACKAGE}/{LIBRARY_FILE}", _read(library), mode=0o755)
    return wheel.close(metadata(ver), wheel_text(tag, pure=False))


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding a .pth that puts python/ on the path; the package then loads the library cargo
    builds here from the checkout's target/ (its development path)."""
    ver = version()
    library = build_library()
    if os.path.realpath(os.path.dirname(os.path.dirname(library))) != os.path.realpath(os.path.join(REPO, "target")):
        print(
            f"deeptrack build_backend: warning: the library was built at {library} (CARGO_TARGET_DIR), "
            f"where an editable install does not look; set DEEPTRACK_LIBRARY={library}",
            file=sys.stderr,
        )
    tag = f"py3-none-{platform_tag()}"
    wheel = Wheel(wheel_directory, ver, tag)
    wheel.add(f"__editable__.{DIST}.pth", (PYTHON_DIR + "\n").encode())
    return wheel.close(metadata(ver), wheel_text(tag, pure=False))


SDIST_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "rustfmt.toml", "README.md"]
SDIST_DIRS = ["src", "include", "python"]


def build_sdist(sdist_directory, config_settings=None):
    """A source archive of everything the wheel is built from (the Rust crate and the package)."""
    ver = version()
    base = f"{DIST}-{ver}"
    name = f"{base}.tar.gz"

    def keep(info):
        if any(_skipped(part) for part in info.name.split("/")[1:]):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 1577836800
        return info

    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in SDIST_FILES:
            full = os.path.join(REPO, path)
            if os.path.exists(full):
                tar.add(full, f"{base}/{path}", filter=keep)
        for path in SDIST_DIRS:
            tar.add(os.path.join(REPO, path), f"{base}/{path}", filter=keep)
        # pip builds an sdist from its root: a pyproject.toml there delegates to python/.
        root_pyproject = (
            "[build-system]\n"
            "requires = []\n"
            'build-backend = "build_backend"\n'
            'backend-path = ["python"]\n\n'
            "[project]\n"
            f'name = "{NAME}"\n'
            f'version = "{ver}"\n'
            'requires-python = ">=3.9"\n'
            'dependencies = ["numpy>=1.22"]\n'
        ).encode()
        info = tarfile.TarInfo(f"{base}/pyproject.toml")
        info.size = len(root_pyproject)
        info.mtime = 1577836800
        tar.addfile(info, io.BytesIO(root_pyproject))
        meta = metadata(ver).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(meta)
        info.mtime = 1577836800
        tar.addfile(info, io.BytesIO(meta))
    return name
