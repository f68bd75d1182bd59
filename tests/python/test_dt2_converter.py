"""The converter that runs DeepTrack2 2.0.1's own tests against deeptrack_native (tests/dt2/): its import
rewriting, on sample snippets and on every test file DeepTrack2 ships; the exclusion list and the module
list against the tests DeepTrack2 defines; and how outcomes are counted.

The reference environment (target/dt2-venv, DeepTrack2 2.0.1 from PyPI) is created by `make python-test`
(`tests/dt2/run_dt2_tests.py --setup`) before these tests run.
"""

import ast
import os
import sys
import unittest

DT2 = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dt2")
sys.path.insert(0, DT2)

import convert  # noqa: E402
import run_dt2_tests as runner  # noqa: E402


def rewrite(source, package="deeptrack.tests", **kw):
    return convert.convert_source(source, package, "dt2_tests", **kw)


class TestImportRewriting(unittest.TestCase):
    def test_absolute_imports(self):
        cases = {
            "from deeptrack import features, units as u\n": "from deeptrack_native import features, units as u\n",
            "from deeptrack.image import Image\n": "from deeptrack_native.image import Image\n",
            "from deeptrack.backend.core import DeepTrackNode\n": "from deeptrack_native.backend.core import DeepTrackNode\n",
            "import deeptrack as dt\n": "import deeptrack_native as dt\n",
            "import deeptrack\n": "import deeptrack_native as deeptrack\n",
            "import deeptrack.optics as o\n": "import deeptrack_native.optics as o\n",
            # The submodule is imported and `deeptrack` is bound, as the original statement does.
            "import deeptrack.features\n": "import deeptrack_native.features, deeptrack_native as deeptrack\n",
            "from deeptrack import *\n": "from deeptrack_native import *\n",
        }
        for source, expected in cases.items():
            with self.subTest(source=source):
                self.assertEqual(rewrite(source), expected)

    def test_relative_imports_resolve_against_the_test_package(self):
        self.assertEqual(
            rewrite("from .. import elementwise, features, Image\n"),
            "from deeptrack_native import elementwise, features, Image\n",
        )
        self.assertEqual(rewrite("from ..optics import Fluorescence\n"), "from deeptrack_native.optics import Fluorescence\n")
        # A module of a subpackage of the tests (deeptrack/tests/backend/) climbs one level more.
        self.assertEqual(
            rewrite("from ... import utils\nfrom ...backend import mie\n", "deeptrack.tests.backend"),
            "from deeptrack_native import utils\nfrom deeptrack_native.backend import mie\n",
        )
        # The test suite itself becomes the package of the converted copies.
        self.assertEqual(rewrite("from . import test_utils\n"), "from dt2_tests import test_utils\n")
        self.assertEqual(rewrite("from deeptrack.tests.backend import x\n"), "from dt2_tests.backend import x\n")
        with self.assertRaises(convert.ConversionError):
            rewrite("from .... import x\n")

    def test_other_imports_and_code_are_unchanged(self):
        source = (
            "import numpy as np\n"
            "from scipy.ndimage import uniform_filter\n"
            "from numpy.testing._private.utils import assert_almost_equal\n"
            "x = 'from deeptrack import features'  # deeptrack.features\n"
            "deeptrack_path = 'deeptrack.features.Value'\n"
        )
        self.assertEqual(rewrite(source), source)

    def test_nested_imports_and_line_numbers(self):
        source = (
            "import unittest\n"
            "from deeptrack import (\n"
            "    features,\n"
            "    math,\n"
            ")  # the modules\n"
            "class T(unittest.TestCase):\n"
            "    def test(self):\n"
            "        import deeptrack as dt; y = 1\n"
            "        from ..noises import Gaussian\n"
            "        return dt, Gaussian\n"
        )
        out = rewrite(source)
        lines = out.splitlines()
        self.assertEqual(len(lines), len(source.splitlines()))
        self.assertEqual(lines[1], "from deeptrack_native import features, math")
        self.assertEqual(lines[4], "  # the modules")
        self.assertEqual(lines[5:7], source.splitlines()[5:7])
        self.assertEqual(lines[7], "        import deeptrack_native as dt; y = 1")
        self.assertEqual(lines[8], "        from deeptrack_native.noises import Gaussian")
        self.assertEqual(lines[9], source.splitlines()[9])
        compile(out, "converted", "exec")

    def test_backend_gpu_module_is_numpy(self):
        # DeepTrack2 exports numpy as `cupy` when CuPy is not installed; deeptrack_native has no GPU.
        self.assertEqual(rewrite("from deeptrack.backend._config import cupy as cp\n"), "import numpy as cp\n")
        self.assertEqual(
            rewrite("from deeptrack.backend._config import cupy, config\n"),
            "from deeptrack_native.backend._config import config; import numpy as cupy\n",
        )

    def test_a_missing_submodule_fails_the_import(self):
        # The measurement: deeptrack_native has no `statistics` submodule (yet), so the converted import
        # raises, as the module's tests then count as failing.
        namespace = {}
        with self.assertRaises(ImportError):
            exec(rewrite("from deeptrack import no_such_submodule_of_deeptrack\n"), namespace)

    def test_flat_diagnostic(self):
        import deeptrack_native

        out = rewrite("from deeptrack import math, Add as A\nimport deeptrack.noises as n\n", flat=True)
        self.assertNotIn("from deeptrack", out)
        compile(out, "converted", "exec")
        helper = {}
        exec(convert.FLAT_HELPER.format(submodules=["math", "noises", "units"]), helper)
        math, add = helper["resolve"]("deeptrack_native", ["math", "Add"])
        # A submodule deeptrack_native lacks is a view of its top level.
        self.assertIs(math.Add, deeptrack_native.Add)
        self.assertIs(add, deeptrack_native.Add)
        self.assertIs(helper["resolve"]("deeptrack_native.noises").Gaussian, deeptrack_native.Gaussian)
        # A name it lacks altogether fails where a test uses it, naming it.
        (missing,) = helper["resolve"]("deeptrack_native", ["NoSuchFeature"])
        with self.assertRaisesRegex(ImportError, "NoSuchFeature"):
            missing()
        with self.assertRaisesRegex(AttributeError, "NoSuchFeature"):
            math.NoSuchFeature


class TestAgainstDeepTrack2(unittest.TestCase):
    """The converter on the tests DeepTrack2 2.0.1 ships, from the reference environment."""

    @classmethod
    def setUpClass(cls):
        try:
            cls.python = runner.reference_python(install=False)
        except runner.SetupError as e:
            raise AssertionError(f"{e} (`make python-test` creates it: tests/dt2/run_dt2_tests.py --setup)")
        cls.source = runner.tests_dir(cls.python)
        cls.shipped = runner.shipped_modules(cls.source)

    def test_every_shipped_test_file_converts(self):
        files = []
        for folder, _, names in os.walk(self.source):
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        self.assertGreater(len(files), 14)
        for path in files:
            rel = os.path.relpath(path, self.source)
            with open(path, encoding="utf-8") as f:
                source = f.read()
            out = convert.convert_source(source, convert.module_package(rel), "dt2_tests")
            with self.subTest(file=rel):
                self.assertEqual(len(out.splitlines()), len(source.splitlines()))
                for node in ast.walk(ast.parse(out)):
                    if isinstance(node, ast.ImportFrom):
                        self.assertEqual(node.level, 0, ast.unparse(node))
                        self.assertFalse((node.module + ".").startswith("deeptrack."), ast.unparse(node))
                    elif isinstance(node, ast.Import):
                        for alias in node.names:
                            self.assertFalse((alias.name + ".").startswith("deeptrack."), ast.unparse(node))
                # Only import statements changed: every other line is the same.
                old_lines, new_lines = source.splitlines(), out.splitlines()
                import_lines = set()
                for node in ast.walk(ast.parse(source)):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        import_lines.update(range(node.lineno - 1, node.end_lineno))
                for i, (a, b) in enumerate(zip(old_lines, new_lines)):
                    if i not in import_lines:
                        self.assertEqual(a, b, f"line {i + 1} of {rel}")

    def test_exclusions_name_tests_deeptrack2_defines(self):
        excluded = runner.load_exclusions()
        modules = sorted({runner.exclusion_module(t) for t in excluded})
        self.assertTrue(set(modules) <= set(self.shipped), modules)
        reference = runner.reference_tests(self.python, modules)
        defined = {t for ids in reference.values() for t in ids}
        for test_id, reason in excluded.items():
            with self.subTest(test=test_id):
                self.assertTrue(test_id in defined, f"DeepTrack2 2.0.1 defines no test {test_id}")
                self.assertGreater(len(reason.strip()), 20)

    def test_module_lists(self):
        run, must_pass = runner.load_modules()
        self.assertTrue(set(run) <= set(self.shipped), run)
        self.assertTrue(set(must_pass) <= set(run), must_pass)
        reference = runner.reference_tests(self.python, run)
        # The six modules of the first issue, 140 tests in DeepTrack2 2.0.1.
        six = ["test_features", "test_math", "test_augmentations", "test_noises", "test_elementwise", "test_statistics"]
        self.assertEqual(sum(len(reference[m]) for m in six), 140)
        # The pupils' (issue 14).
        self.assertEqual(len(reference["test_aberrations"]), 13)
        if "test_holography" in run:
            self.assertEqual(len(reference["test_holography"]), 4)
        # DeepTrack2's Mie mathematics: 3 and 10 tests.
        self.assertEqual((len(reference["backend.test_mie"]), len(reference["backend.test_polynomials"])), (3, 10))


class TestCounting(unittest.TestCase):
    reference = ["test_x.T.test_a", "test_x.T.test_b", "test_x.T.test_c", "test_x.U.test_d"]

    def test_a_failed_import_makes_every_test_an_error(self):
        outcome = {"import_error": {"message": "ImportError: no math"}, "tests": {}}
        tests, extra = runner.classify("test_x", self.reference, outcome, {"test_x.T.test_c": "internals"})
        self.assertEqual([t["status"] for t in tests.values()], ["error", "error", "excluded", "error"])
        self.assertIn("no math", tests["test_x.T.test_a"]["message"])
        self.assertEqual(tests["test_x.T.test_c"]["outcome"], "error")
        self.assertEqual(extra, [])

    def test_outcomes_exclusions_and_tests_that_did_not_run(self):
        outcome = {
            "import_error": None,
            "tests": {
                "test_x.T.test_a": {"status": "pass"},
                "test_x.T.test_b": {"status": "fail", "message": "AssertionError: 1 != 2", "traceback": "..."},
                "test_x.T.test_c": {"status": "pass"},
                "setUpClass (dt2_tests.test_x.U)": {"status": "error", "message": "TypeError: no U"},
                "test_x.T.test_native_only": {"status": "pass"},
            },
        }
        tests, extra = runner.classify("test_x", self.reference, outcome, {"test_x.T.test_c": "internals"})
        self.assertEqual(tests["test_x.T.test_a"], {"status": "pass"})
        self.assertEqual(tests["test_x.T.test_b"], {"status": "fail", "message": "AssertionError: 1 != 2"})
        # An excluded test keeps its outcome, so that one that passes is reported.
        self.assertEqual(tests["test_x.T.test_c"]["status"], "excluded")
        self.assertEqual(tests["test_x.T.test_c"]["outcome"], "pass")
        # A test that never ran (its class's setup failed) is an error, with the class's message.
        self.assertEqual(tests["test_x.U.test_d"], {"status": "error", "message": "TypeError: no U"})
        # A test DeepTrack2 does not define is reported, not counted.
        self.assertEqual(extra, ["test_x.T.test_native_only"])
        self.assertEqual(len(tests), 4)


if __name__ == "__main__":
    unittest.main()
