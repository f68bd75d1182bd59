"""Runs inside a virtual environment for run_dt2_tests.py: lists or runs the tests of one test module.

    python _collect.py list PACKAGE MODULE...        JSON {module: [test ids]} on stdout
    python _collect.py run PACKAGE MODULE OUT.json   runs MODULE's tests, writes their outcomes

PACKAGE is the package the test modules are in (``deeptrack.tests`` for DeepTrack2's own, the
converted copies' package otherwise); test ids are printed without it (``test_math.TestMath.test_Clip``).
Its only dependency is the standard library, so that it runs in either environment.
"""

import importlib
import os
import json
import sys
import time
import traceback
import unittest


def short_id(test_id, package):
    prefix = package + "."
    return test_id[len(prefix) :] if test_id.startswith(prefix) else test_id


def iterate(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iterate(test)
        else:
            yield test


def summary(err):
    """One line for an exception: its type and the first line of its message."""
    kind, value = err[0], err[1]
    message = str(value).strip().splitlines()
    return f"{kind.__name__}: {message[0][:300]}" if message else kind.__name__


class Result(unittest.TestResult):
    def __init__(self, package):
        super().__init__()
        self.package = package
        self.outcomes = {}
        self.started = {}

    def _record(self, test, status, err=None, reason=None):
        test_id = short_id(test.id(), self.package)
        entry = {"status": status}
        if err is not None:
            entry["message"] = summary(err)
            entry["traceback"] = "".join(traceback.format_exception(*err))[-4000:]
        if reason is not None:
            entry["message"] = str(reason)
        entry["seconds"] = round(time.perf_counter() - self.started.pop(test_id, time.perf_counter()), 3)
        # A test that errors in tearDown after failing keeps its first outcome.
        self.outcomes.setdefault(test_id, entry)

    def startTest(self, test):
        super().startTest(test)
        self.started[short_id(test.id(), self.package)] = time.perf_counter()

    def addSuccess(self, test):
        self._record(test, "pass")

    def addFailure(self, test, err):
        self._record(test, "fail", err)

    def addError(self, test, err):
        # setUpClass / setUpModule failures arrive as an _ErrorHolder whose id names the class or module.
        self._record(test, "error", err)

    def addSkip(self, test, reason):
        self._record(test, "skip", reason=reason)

    def addExpectedFailure(self, test, err):
        self._record(test, "pass")

    def addUnexpectedSuccess(self, test):
        self._record(test, "fail", reason="unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            failure = issubclass(err[0], test.failureException)
            self._record(test, "fail" if failure else "error", err)


def list_tests(package, modules):
    found = {}
    for module in modules:
        suite = unittest.defaultTestLoader.loadTestsFromModule(importlib.import_module(f"{package}.{module}"))
        found[module] = sorted(short_id(t.id(), package) for t in iterate(suite))
    json.dump(found, sys.stdout, indent=1)


#: The seed of numpy's and Python's global generators when a module starts (docs/dt2-tests.md).
MODULE_SEED = 2021


def seed_globals():
    """Seeds ``np.random``'s global generator and the ``random`` module once, before a module's tests
    run: DeepTrack2 draws everything from ``np.random``, and so do deeptrack_native's pipelines that
    are not seeded explicitly, so a module's run is the same every time (its chance assertions pass or
    fail for good, in DeepTrack2 as in deeptrack_native)."""
    import random

    random.seed(MODULE_SEED)
    try:
        import numpy
    except ImportError:  # a module without numpy draws nothing from it
        return
    numpy.random.seed(MODULE_SEED)


def run_tests(package, module, out):
    report = {"module": module, "import_error": None, "tests": {}}
    try:
        loaded = importlib.import_module(f"{package}.{module}")
    except BaseException:  # noqa: B902 - an import that fails in any way is the module's outcome
        err = sys.exc_info()
        report["import_error"] = {"message": summary(err), "traceback": "".join(traceback.format_exception(*err))}
    else:
        suite = unittest.defaultTestLoader.loadTestsFromModule(loaded)
        result = Result(package)
        seed_globals()
        suite.run(result)
        report["tests"] = result.outcomes
    with open(out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    # The test packages are found from the working directory (the scratch directory for the converted
    # tests, the installed package for DeepTrack2's), never from this script's folder.
    sys.path[0] = os.getcwd()
    command, package, *rest = sys.argv[1:]
    if command == "list":
        list_tests(package, rest)
    elif command == "run":
        run_tests(package, rest[0], rest[1])
    else:
        sys.exit(f"unknown command {command!r}")
