"""The package under test is the installed wheel, carrying the library it loads."""

import importlib.metadata
import os
import re
import sys
import unittest

import deeptrack_native as dt

REPO_PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))


class Packaging(unittest.TestCase):
    def test_imported_from_site_packages_not_the_checkout(self):
        package_dir = os.path.dirname(os.path.abspath(dt.__file__))
        self.assertFalse(package_dir.startswith(REPO_PYTHON), package_dir)
        self.assertTrue(package_dir.startswith(sys.prefix), (package_dir, sys.prefix))

    def test_the_wheel_carries_the_library_and_loads_it(self):
        if os.environ.get("DEEPTRACK_LIBRARY"):
            self.skipTest("DEEPTRACK_LIBRARY overrides the packaged library")
        package_dir = os.path.dirname(os.path.abspath(dt.__file__))
        self.assertEqual(os.path.dirname(dt.LIBRARY_PATH), package_dir)
        files = [str(f) for f in importlib.metadata.files("deeptrack-native")]
        self.assertIn(f"deeptrack_native/{os.path.basename(dt.LIBRARY_PATH)}", files)
        self.assertIn("deeptrack_native/features.py", files)

    def test_versions_agree(self):
        self.assertEqual(importlib.metadata.version("deeptrack-native"), dt.__version__)
        self.assertEqual(dt.library_version(), dt.__version__)
        repo = os.path.dirname(REPO_PYTHON)
        declared = {}
        for path, section in [("Cargo.toml", "[package]"), ("python/pyproject.toml", "[project]")]:
            with open(os.path.join(repo, path)) as f:
                table = f.read().split(section, 1)[1]
            declared[path] = re.search(r'^version\s*=\s*"([^"]+)"', table, re.M).group(1)
        self.assertEqual(declared, {"Cargo.toml": dt.__version__, "python/pyproject.toml": dt.__version__})


if __name__ == "__main__":
    unittest.main()
