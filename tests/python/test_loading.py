"""Importing the package: a missing library or one of another version fails with a clear ImportError."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest


def import_with_library(path):
    env = dict(os.environ, DEEPTRACK_LIBRARY=path)
    return subprocess.run(
        [sys.executable, "-c", "import deeptrack_native"], env=env, capture_output=True, text=True, timeout=60
    )


class Loading(unittest.TestCase):
    def test_missing_library(self):
        result = import_with_library("/nonexistent/libdeeptrack.so")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ImportError: deeptrack_native: cannot find libdeeptrack", result.stderr)
        self.assertIn("/nonexistent/libdeeptrack.so (DEEPTRACK_LIBRARY): no such file", result.stderr)
        self.assertIn("pip install ./python", result.stderr)

    def test_not_a_shared_library(self):
        with tempfile.NamedTemporaryFile(suffix=".so") as junk:
            junk.write(b"not an ELF file")
            junk.flush()
            result = import_with_library(junk.name)
        self.assertIn("cannot find libdeeptrack", result.stderr)
        self.assertIn(junk.name, result.stderr)

    @unittest.skipUnless(shutil.which("cc"), "needs a C compiler")
    def test_version_mismatch(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "fake.c")
            lib = os.path.join(tmp, "libdeeptrack.so")
            with open(src, "w") as f:
                f.write('const char *deeptrack_version(void) { return "9.9.9"; }\n')
            subprocess.run(["cc", "-shared", "-fPIC", src, "-o", lib], check=True)
            result = import_with_library(lib)
        self.assertNotEqual(result.returncode, 0)
        self.assertRegex(result.stderr, r"ImportError: deeptrack_native \S+: the library .* is version 9\.9\.9")

    def test_the_installed_library_loads_and_matches(self):
        import deeptrack_native as dt

        self.assertEqual(dt.library_version(), dt.__version__)
        self.assertTrue(os.path.exists(dt.LIBRARY_PATH))


if __name__ == "__main__":
    unittest.main()
