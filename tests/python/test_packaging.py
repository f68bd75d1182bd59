"""The package under test is the installed wheel, carrying the library it loads.

``make python-test`` installs ``./python`` into a venv and runs these tests from ``tests/python``, so that
the checkout's ``python/`` is not on the path. This file checks that set-up and the wheel itself, using
nothing of the package's API but ``__version__`` and ``__file__`` (the library is inspected through its
C ABI and, on Linux, through the process's memory map). ``make python-test`` also builds the wheel with
``pip wheel ./python`` into ``DEEPTRACK_WHEEL_DIR``, where ``AuditedWheel`` runs ``auditwheel show`` on it.
"""

import base64
import ctypes
import hashlib
import importlib.metadata
import os
import platform
import re
import subprocess
import sys
import sysconfig
import unittest
import zipfile

import deeptrack_native

DIST = "deeptrack-native"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
REPO_PYTHON = os.path.join(REPO, "python")
PACKAGE_DIR = os.path.dirname(os.path.realpath(deeptrack_native.__file__))

if sys.platform == "darwin":
    LIBRARY_FILE = "libdeeptrack.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "deeptrack.dll"
else:
    LIBRARY_FILE = "libdeeptrack.so"


def same(a, b):
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def record():
    """The installed distribution's RECORD: {path relative to site-packages: (hash, size)}."""
    files = importlib.metadata.files(DIST)
    if files is None:
        raise AssertionError(f"{DIST} has no RECORD")
    return {str(f).replace(os.sep, "/"): f for f in files}


def declared_version(path, table):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        text = f.read().split(table, 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


class InstalledNotCheckout(unittest.TestCase):
    def test_imported_from_site_packages(self):
        site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        self.assertTrue(
            any(same(os.path.dirname(PACKAGE_DIR), s) for s in site), f"{PACKAGE_DIR} is not in {sorted(site)}"
        )
        self.assertFalse(same(os.path.dirname(PACKAGE_DIR), REPO_PYTHON), PACKAGE_DIR)

    def test_the_checkout_is_not_on_the_path(self):
        on_path = [p for p in sys.path if same(p or os.getcwd(), REPO_PYTHON)]
        self.assertEqual(on_path, [], "python/ is on sys.path: the checkout, not the install, could be tested")

    def test_the_installed_sources_are_the_checkouts(self):
        # A stale install (python/ changed since) would test old code.
        checkout = os.path.join(REPO_PYTHON, "deeptrack_native")
        for directory, dirs, files in os.walk(checkout):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(directory, name), checkout)
                    with self.subTest(rel):
                        with open(os.path.join(directory, name), "rb") as a:
                            with open(os.path.join(PACKAGE_DIR, rel), "rb") as b:
                                self.assertTrue(a.read() == b.read(), f"installed {rel} differs from python/'s")


class TheWheel(unittest.TestCase):
    def test_the_library_is_inside_the_package_and_recorded(self):
        library = os.path.join(PACKAGE_DIR, LIBRARY_FILE)
        self.assertTrue(os.path.isfile(library), f"{library} missing: {sorted(os.listdir(PACKAGE_DIR))}")
        entry = record().get(f"deeptrack_native/{LIBRARY_FILE}")
        self.assertIsNotNone(entry, f"RECORD does not list deeptrack_native/{LIBRARY_FILE}")
        with open(library, "rb") as f:
            data = f.read()
        self.assertEqual(entry.size, len(data))
        self.assertEqual(entry.hash.mode, "sha256")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.assertEqual(entry.hash.value, digest)
        self.assertTrue(same(entry.locate(), library))

    def test_record_lists_every_module(self):
        listed = set(record())
        for directory, dirs, files in os.walk(PACKAGE_DIR):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(directory, name), os.path.dirname(PACKAGE_DIR))
                    self.assertIn(rel.replace(os.sep, "/"), listed)

    def test_metadata(self):
        meta = importlib.metadata.metadata(DIST)
        self.assertEqual(meta["Name"], DIST)
        self.assertEqual(meta["Version"], deeptrack_native.__version__)
        self.assertEqual(meta["Requires-Python"], ">=3.9")
        self.assertIn("numpy>=1.22", meta.get_all("Requires-Dist"))
        self.assertIn("pint>=0.20", meta.get_all("Requires-Dist"))
        wheel = importlib.metadata.distribution(DIST).read_text("WHEEL")
        self.assertIsNotNone(wheel, "the dist-info has no WHEEL")
        self.assertIn("Root-Is-Purelib: false", wheel)
        # Any Python 3 (ctypes, no Python ABI), on one platform (it holds a binary).
        tags = re.findall(r"(?m)^Tag: (\S+)$", wheel)
        self.assertTrue(tags, wheel)
        for tag in tags:
            self.assertRegex(tag, r"^py3-none-(?!any$)\S+$")
        self.assertEqual(meta["License-Expression"], "MIT")
        self.assertIn("LICENSE", meta.get_all("License-File"))
        self.assertEqual(meta["Description-Content-Type"], "text/markdown")
        self.assertIn("Topic :: Scientific/Engineering :: Image Processing", meta.get_all("Classifier"))

    @unittest.skipUnless(sys.platform.startswith("linux"), "manylinux tags are Linux's")
    def test_the_wheel_is_manylinux(self):
        # setup.py has auditwheel retag the wheel with the manylinux policy its library satisfies.
        wheel = importlib.metadata.distribution(DIST).read_text("WHEEL")
        machine = platform.machine()
        self.assertRegex(wheel, rf"(?m)^Tag: py3-none-manylinux_\d+_\d+_{machine}$")
        self.assertNotRegex(wheel, r"(?m)^Tag: \S+-linux_")

    def test_the_license_is_installed(self):
        license_file = importlib.metadata.distribution(DIST).read_text("licenses/LICENSE")
        self.assertIsNotNone(license_file, "the dist-info has no licenses/LICENSE")
        with open(os.path.join(REPO, "LICENSE"), encoding="utf-8") as f:
            self.assertEqual(license_file, f.read())

    def test_versions_agree(self):
        version = deeptrack_native.__version__
        self.assertEqual(importlib.metadata.version(DIST), version)
        self.assertEqual(declared_version("Cargo.toml", "[package]"), version)
        # pyproject.toml leaves the version to setup.py, which reads __version__ and checks Cargo.toml's.
        with open(os.path.join(REPO_PYTHON, "pyproject.toml"), encoding="utf-8") as f:
            project = f.read().split("[project]", 1)[1].split("\n[", 1)[0]
        self.assertNotRegex(project, r"(?m)^version\s*=")
        self.assertRegex(project, r'(?m)^dynamic = \[.*"version".*\]')
        lib = ctypes.CDLL(os.path.join(PACKAGE_DIR, LIBRARY_FILE))
        lib.deeptrack_version.argtypes = []
        lib.deeptrack_version.restype = ctypes.c_char_p
        self.assertEqual(lib.deeptrack_version().decode(), version)

    @unittest.skipUnless(os.path.exists("/proc/self/maps"), "needs /proc/self/maps (Linux)")
    def test_the_package_loaded_its_own_library(self):
        if os.environ.get("DEEPTRACK_LIBRARY"):
            self.skipTest("DEEPTRACK_LIBRARY overrides the packaged library")
        with open("/proc/self/maps") as f:
            mapped = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
        libraries = sorted({os.path.realpath(p) for p in mapped if os.path.basename(p) == LIBRARY_FILE})
        self.assertTrue(libraries, "no libdeeptrack mapped after importing deeptrack_native")
        self.assertTrue(same(libraries[0], os.path.join(PACKAGE_DIR, LIBRARY_FILE)), libraries)
        self.assertEqual(len(libraries), 1, libraries)


def wheel_path():
    """The wheel ``make python-test`` built into DEEPTRACK_WHEEL_DIR (None when not run by it)."""
    directory = os.environ.get("DEEPTRACK_WHEEL_DIR")
    if not directory:
        return None
    names = [n for n in os.listdir(directory) if re.match(r"deeptrack_native-.*\.whl$", n)]
    if len(names) != 1:
        raise AssertionError(f"expected one deeptrack_native wheel in {directory}, found {names}")
    return os.path.join(directory, names[0])


@unittest.skipUnless(sys.platform.startswith("linux"), "auditwheel checks Linux wheels")
@unittest.skipUnless(os.environ.get("DEEPTRACK_WHEEL_DIR"), "DEEPTRACK_WHEEL_DIR not set (make python-test sets it)")
class AuditedWheel(unittest.TestCase):
    def test_the_wheel_is_named_for_its_tag(self):
        name, version = os.path.basename(wheel_path()), re.escape(deeptrack_native.__version__)
        # manylinux_X_Y_<arch>, then the legacy aliases auditwheel adds (manylinux2014_<arch>, ...) if any.
        tag = rf"py3-none-manylinux_\d+_\d+_{platform.machine()}(\.\w+)*"
        self.assertRegex(name, rf"^deeptrack_native-{version}-{tag}\.whl$")

    def test_auditwheel_show(self):
        path = wheel_path()
        result = subprocess.run(
            [sys.executable, "-m", "auditwheel", "show", path], capture_output=True, text=True, timeout=120
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        output = " ".join(result.stdout.split())  # auditwheel wraps its lines
        match = re.search(r'is consistent with the following platform tag: "(manylinux_\d+_\d+_\w+)"', output)
        self.assertIsNotNone(match, output)
        # The wheel's tag is the most compatible one auditwheel finds: not higher, not lower.
        platforms = os.path.basename(path)[: -len(".whl")].split("-")[-1].split(".")
        self.assertEqual(platforms[0], match.group(1))

    def test_the_audited_wheel_is_the_installed_one(self):
        # Both come from the same sources in one make run: the same library, the same modules.
        with zipfile.ZipFile(wheel_path()) as wheel:
            [record_name] = [n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")]
            in_wheel = {
                line.split(",")[0]: line.split(",")[1]
                for line in wheel.read(record_name).decode().splitlines()
                if not line.startswith(record_name.rsplit("/", 1)[0])
            }
        installed = {name: f"{f.hash.mode}={f.hash.value}" for name, f in record().items() if f.hash}
        for name, digest in in_wheel.items():
            with self.subTest(name):
                self.assertEqual(installed.get(name), digest)


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(os.environ.get("DEEPTRACK_SDIST_DIR"), "DEEPTRACK_SDIST_DIR not set (make python-test sets it)")
class TheSdist(unittest.TestCase):
    """``make python-test`` builds the sdist into DEEPTRACK_SDIST_DIR and a wheel from it alone into
    its ``wheel/`` folder: the sdist carries the crate, and builds the same package."""

    def sdist(self):
        directory = os.environ["DEEPTRACK_SDIST_DIR"]
        names = [n for n in os.listdir(directory) if n.endswith(".tar.gz")]
        self.assertEqual(len(names), 1, names)
        return os.path.join(directory, names[0])

    def test_the_sdist_carries_the_crate_and_the_package(self):
        import tarfile

        with tarfile.open(self.sdist()) as sdist:
            names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
        for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "src/lib.rs", "src/ffi/mod.rs",
                       "include/deeptrack.h", "LICENSE", "setup.py", "pyproject.toml",
                       "deeptrack_native/__init__.py", "deeptrack_native/_lib.py"]:
            self.assertIn(needed, names)

    def test_the_wheel_built_from_the_sdist_holds_the_installed_files(self):
        directory = os.path.join(os.environ["DEEPTRACK_SDIST_DIR"], "wheel")
        [name] = [n for n in os.listdir(directory) if n.endswith(".whl")]
        self.assertRegex(name, rf"^deeptrack_native-{re.escape(deeptrack_native.__version__)}-py3-none-")
        with zipfile.ZipFile(os.path.join(directory, name)) as wheel:
            files = {n for n in wheel.namelist() if ".dist-info/" not in n and not n.endswith("/")}
        installed = {n for n in record() if n.startswith("deeptrack_native/") and "__pycache__" not in n}
        self.assertEqual(files, installed)
