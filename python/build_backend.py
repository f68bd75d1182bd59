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
    with open(os.path.join(REPO, "Cargo.toml"), encoding="utf-8") as f:
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


def build_library():
    """Runs cargo and returns the path of the built library."""
    cargo = os.environ.get("CARGO", "cargo")
    profile = os.environ.get("DEEPTRACK_CARGO_PROFILE", "release")
    cmd = [cargo, "build", "--lib", "--profile", profile, "--manifest-path", os.path.join(REPO, "Cargo.toml")]
    try:
        result = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise BuildError(
            f"cannot run '{cargo}': building deeptrack-native needs the Rust toolchain (https://rustup.rs)"
        ) from None
    if result.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed:\n{result.stderr}")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    if not os.path.isabs(target):
        target = os.path.join(REPO, target)
    path = os.path.join(target, "debug" if profile == "dev" else profile, LIBRARY_FILE)
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


def package_files():
    root = os.path.join(PYTHON_DIR, PACKAGE)
    for name in sorted(os.listdir(root)):
        if name.endswith(".py"):
            yield name, os.path.join(root, name)


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
    for name, path in package_files():
        wheel.add(f"{PACKAGE}/{name}", _read(path))
    wheel.add(f"{PACKAGE}/{LIBRARY_FILE}", _read(library), mode=0o755)
    return wheel.close(metadata(ver), wheel_text(tag, pure=False))


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    ver = version()
    build_library()
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
        parts = info.name.split("/")
        if "__pycache__" in parts or info.name.endswith(".pyc"):
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
        meta = ("Metadata-Version: 2.1\n" + metadata(ver).split("\n", 1)[1]).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(meta)
        info.mtime = 1577836800
        tar.addfile(info, io.BytesIO(meta))
    return name
