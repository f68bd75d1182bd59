#!/usr/bin/env python3
"""Runs DeepTrack2 2.0.1's own unit tests against deeptrack_native (docs/dt2-tests.md).

    python3 tests/dt2/run_dt2_tests.py                        # the modules of tests/dt2/modules.toml
    python3 tests/dt2/run_dt2_tests.py --modules test_math,test_noises -v
    python3 tests/dt2/run_dt2_tests.py --modules all          # every test module DeepTrack2 ships
    python3 tests/dt2/run_dt2_tests.py --dev                  # python/ on the path (`make python-dev`)
    python3 tests/dt2/run_dt2_tests.py --json target/dt2-tests/summary.json

DeepTrack2 ships its tests inside its package (``deeptrack/tests/``). This script

1. creates (the first time) or reuses a virtual environment of its own, target/dt2-venv, holding
   deeptrack==2.0.1 from PyPI and what it imports (tests/dt2/requirements-deeptrack2.txt), and lists
   there the tests each module defines: those ids are the reference, whatever deeptrack_native makes of
   the modules;
2. copies ``deeptrack/tests/`` from that environment to target/dt2-tests/run/dt2_tests/, rewriting only
   the import statements so that ``deeptrack`` means ``deeptrack_native`` (tests/dt2/convert.py);
3. runs each selected module, one process per module, with the test Python (target/pyvenv, where
   `make python-test` installs deeptrack_native; tests/dt2/requirements.txt adds what the tests import
   besides it), from the scratch directory so that python/ is not on the path (except with --dev);
4. applies tests/dt2/exclusions.toml and prints a table per module: tests, passed, failed, errors
   (a module whose import fails counts every one of its tests as an error), skipped, excluded.

The exit status is 1 when a module that tests/dt2/modules.toml lists under ``must_pass`` has a test that
did not pass and is not excluded, or when the exclusion file names a test DeepTrack2 does not have; 2
when an environment cannot be set up; 0 otherwise. Excluded tests that pass are reported.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import convert  # noqa: E402

DEEPTRACK2 = "deeptrack==2.0.1"
DT2_VENV = os.path.join(ROOT, "target", "dt2-venv")
TEST_VENV = os.path.join(ROOT, "target", "pyvenv")
WORK = os.path.join(ROOT, "target", "dt2-tests")
SCRATCH = os.path.join(WORK, "run")
TESTS_PACKAGE = "dt2_tests"
COLLECT = os.path.join(HERE, "_collect.py")
REFERENCE_REQUIREMENTS = os.path.join(HERE, "requirements-deeptrack2.txt")
TEST_REQUIREMENTS = os.path.join(HERE, "requirements.txt")
EXCLUSIONS = os.path.join(HERE, "exclusions.toml")
MODULES = os.path.join(HERE, "modules.toml")
STATUSES = ["pass", "fail", "error", "skip", "excluded"]


class SetupError(RuntimeError):
    """An environment could not be set up: exit status 2."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def read(path):
    with open(path) as f:
        return f.read()


def pip_install(python, *args):
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args]
    if subprocess.run(command).returncode != 0:
        raise SetupError(f"failed: {' '.join(command)}")


def reference_python(install=True):
    """The Python of target/dt2-venv, with DeepTrack2 2.0.1 and its requirements installed when they
    changed since the last time (a stamp in the venv records what was installed)."""
    python = os.path.join(DT2_VENV, "bin", "python")
    with open(REFERENCE_REQUIREMENTS, "rb") as f:
        wanted = hashlib.sha256(f.read() + DEEPTRACK2.encode()).hexdigest()
    stamp = os.path.join(DT2_VENV, "installed.sha256")
    if os.path.exists(stamp) and read(stamp).strip() == wanted and os.path.exists(python):
        return python
    if not install:
        raise SetupError(f"{DT2_VENV} is missing or stale; run without --no-install to create it")
    if not os.path.exists(python):
        log(f"creating {DT2_VENV} ...")
        if subprocess.run([sys.executable, "-m", "venv", DT2_VENV]).returncode != 0:
            raise SetupError(f"cannot create the virtual environment {DT2_VENV}")
    pip_install(python, "-r", REFERENCE_REQUIREMENTS)
    pip_install(python, "--no-deps", DEEPTRACK2)
    with open(stamp, "w") as f:
        f.write(wanted + "\n")
    return python


def tests_dir(python):
    """``deeptrack/tests`` in the reference environment (found without importing deeptrack)."""
    out = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('deeptrack').submodule_search_locations[0])"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SetupError(f"deeptrack is not importable in {DT2_VENV}: {out.stderr.strip()}")
    path = os.path.join(out.stdout.strip(), "tests")
    if not os.path.isdir(path):
        raise SetupError(f"{DEEPTRACK2} in {DT2_VENV} ships no tests/ ({path})")
    return path


def shipped_modules(source):
    """The test modules DeepTrack2 ships, as dotted names under deeptrack.tests (``test_math``,
    ``backend.test_core``)."""
    found = []
    for folder, _, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                parts = ([] if rel == "." else rel.split(os.sep)) + [name[:-3]]
                found.append(".".join(parts))
    return sorted(found)


def reference_tests(python, modules):
    """{module: [test ids]}: the tests DeepTrack2 2.0.1 defines in each module, listed by importing
    them in the reference environment. Cached in target/dt2-tests/reference.json per installed state."""
    cache_path = os.path.join(WORK, "reference.json")
    stamp = read(os.path.join(DT2_VENV, "installed.sha256")).strip()
    cache = {}
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            cache = json.load(f)
        if cache.get("stamp") != stamp:
            cache = {}
    missing = [m for m in modules if m not in cache.get("modules", {})]
    if missing:
        out = subprocess.run(
            [python, COLLECT, "list", "deeptrack.tests", *missing],
            capture_output=True,
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )
        if out.returncode != 0:
            raise SetupError(f"cannot list DeepTrack2's tests ({', '.join(missing)}):\n{out.stderr.strip()}")
        cache = {"stamp": stamp, "modules": {**cache.get("modules", {}), **json.loads(out.stdout)}}
        os.makedirs(WORK, exist_ok=True)
        with open(cache_path, "w") as f:
            json.dump(cache, f, indent=1)
    return {m: cache["modules"][m] for m in modules}


def dt2_submodules(source):
    """The names of DeepTrack2's submodules and subpackages (the folder that holds tests/)."""
    package = os.path.dirname(source)
    names = []
    for name in os.listdir(package):
        path = os.path.join(package, name)
        if name.endswith(".py") and name != "__init__.py":
            names.append(name[:-3])
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            names.append(name)
    return sorted(names)


def convert_tests(source, destination=SCRATCH, flat=False):
    """Copies DeepTrack2's tests/ into ``destination``/dt2_tests with their imports rewritten; other
    files (data the tests read) are copied as they are. ``flat``: the diagnostic rewriting of
    convert.py, with its helper module written beside the tests."""
    package = os.path.join(destination, TESTS_PACKAGE)
    shutil.rmtree(package, ignore_errors=True)
    for folder, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, source)
        out_dir = package if rel == "." else os.path.join(package, rel)
        os.makedirs(out_dir, exist_ok=True)
        for name in files:
            src = os.path.join(folder, name)
            if name.endswith(".py"):
                with open(src, encoding="utf-8") as f:
                    text = f.read()
                rel_file = name if rel == "." else os.path.join(rel, name)
                text = convert.convert_source(text, convert.module_package(rel_file), TESTS_PACKAGE, flat)
                with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
                    f.write(text)
            elif not name.endswith(".pyc"):
                shutil.copy2(src, out_dir)
    if flat:
        with open(os.path.join(package, "_flat.py"), "w", encoding="utf-8") as f:
            f.write(convert.FLAT_HELPER.format(submodules=dt2_submodules(source)))
    return package


def _toml(path):
    try:
        import tomllib
    except ImportError:  # Python < 3.11: tests/dt2/requirements.txt installs tomli
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def load_exclusions(path=EXCLUSIONS):
    """{test id: reason} from the exclusion file's [exclude] table."""
    data = _toml(path)
    unknown = set(data) - {"exclude"}
    if unknown:
        raise ValueError(f"{path}: unknown tables {sorted(unknown)} (only [exclude])")
    excluded = data.get("exclude", {})
    for test_id, reason in excluded.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path}: {test_id} has no reason")
    return excluded


def load_modules(path=MODULES):
    """(modules to run, modules that must pass) from tests/dt2/modules.toml."""
    data = _toml(path)
    run, must_pass = list(data.get("run", [])), list(data.get("must_pass", []))
    stray = [m for m in must_pass if m not in run]
    if stray:
        raise ValueError(f"{path}: must_pass names modules that are not run: {stray}")
    return run, must_pass


def exclusion_module(test_id):
    """The module of an excluded test id (``backend.test_core.TestCore.test_x`` -> ``backend.test_core``)."""
    parts = test_id.split(".")
    return ".".join(parts[:-2])


def test_python(path, dev, install):
    """The Python that runs the converted tests, with tests/dt2/requirements.txt installed and
    deeptrack_native importable (from the installed wheel, or from python/ with --dev)."""
    if not os.path.exists(path):
        raise SetupError(f"{path} does not exist: run `make python-test` first (it creates target/pyvenv)")
    if install:
        pip_install(path, "-r", TEST_REQUIREMENTS)
    check = subprocess.run(
        [path, "-c", "import deeptrack_native, sys; sys.stdout.write(deeptrack_native.__file__)"],
        capture_output=True,
        text=True,
        cwd=WORK,
        env=run_env(dev),
    )
    if check.returncode != 0:
        hint = "build the library: `cargo build --lib`" if dev else "install it: `make python-test`"
        raise SetupError(f"deeptrack_native is not importable with {path} ({hint}):\n{check.stderr.strip()}")
    return check.stdout


def run_env(dev):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if dev:
        env["PYTHONPATH"] = os.path.join(ROOT, "python")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_module(python, module, dev, timeout):
    """The outcomes of one converted module's tests, run in a process of its own."""
    out = os.path.join(WORK, "results", module + ".json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.exists(out):
        os.remove(out)
    try:
        proc = subprocess.run(
            [python, COLLECT, "run", TESTS_PACKAGE, module, out],
            cwd=SCRATCH,
            env=run_env(dev),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"import_error": None, "crash": f"timed out after {timeout} s", "tests": {}}
    if proc.returncode != 0 or not os.path.exists(out):
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
        return {"import_error": None, "crash": f"the test process exited with {proc.returncode}: {tail}", "tests": {}}
    with open(out) as f:
        return json.load(f)


def classify(module, reference, outcome, excluded):
    """Per reference test: its status (pass, fail, error, skip or excluded) and message. Tests the native
    run did not produce (a failed import, a crash, a class whose setup failed, or a generated test that
    deeptrack_native gives no subject for) are errors."""
    tests = {}
    ran = outcome.get("tests", {})
    # Outcomes that are no test of the reference: setUpClass/setUpModule errors and tests the native
    # package made that DeepTrack2 does not have.
    stray = {k: v for k, v in ran.items() if k not in set(reference)}
    if outcome.get("import_error"):
        default = "import failed: " + outcome["import_error"]["message"]
    elif outcome.get("crash"):
        default = outcome["crash"]
    else:
        default = None
    for test_id in reference:
        if test_id in ran:
            entry = dict(ran[test_id])
        else:
            message = default
            if message is None:
                cls = test_id.rsplit(".", 1)[0]
                holders = [v for k, v in stray.items() if cls in k and v["status"] == "error"]
                message = holders[0]["message"] if holders else "not run: the converted module does not define it"
            entry = {"status": "error", "message": message}
        entry.pop("traceback", None)
        if test_id in excluded:
            entry = {"status": "excluded", "outcome": entry["status"], "reason": excluded[test_id],
                     **({"message": entry["message"]} if "message" in entry else {})}
        tests[test_id] = entry
    extra = sorted(k for k, v in stray.items() if v["status"] != "error" or "(" not in k)
    return tests, extra


def print_table(summary):
    rows = [["module", "tests", "pass", "fail", "error", "skip", "excl", "must pass"]]
    totals = dict.fromkeys(STATUSES, 0)
    total_tests = 0
    for module, data in summary["modules"].items():
        counts = data["counts"]
        total_tests += data["total"]
        for s in STATUSES:
            totals[s] += counts[s]
        verdict = ("yes: OK" if data["ok"] else "yes: FAILED") if data["must_pass"] else "no"
        rows.append([module, str(data["total"]), *(str(counts[s]) for s in STATUSES), verdict])
    rows.append(["total", str(total_tests), *(str(totals[s]) for s in STATUSES), ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])] + [row[-1]]
        print("  ".join(cells).rstrip())
        if n == 0 or n == len(rows) - 2:
            print("  ".join("-" * w for w in widths))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", help="comma-separated test modules, or `all` (default: modules.toml's run)")
    parser.add_argument("--python", default=os.path.join(TEST_VENV, "bin", "python"), help="the test Python")
    parser.add_argument("--dev", action="store_true", help="import deeptrack_native from python/ (debug library)")
    parser.add_argument("--no-install", action="store_true", help="install nothing (the environments exist)")
    parser.add_argument(
        "--setup", action="store_true", help="only set up the environments (target/dt2-venv, the test Python's requirements)"
    )
    parser.add_argument(
        "--flat",
        action="store_true",
        help="diagnostic: a DeepTrack2 submodule deeptrack_native lacks is its top-level package "
        "(shows what fails past the imports; never the measurement: the exit status is always 0)",
    )
    parser.add_argument("--json", help="write the summary, with every test's outcome, to this file")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per module (default 900)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every test that did not pass")
    args = parser.parse_args(argv)

    try:
        ref_python = reference_python(install=not args.no_install)
        if args.setup:
            if not os.path.exists(args.python):
                raise SetupError(f"{args.python} does not exist: run `make python-test` first (it creates target/pyvenv)")
            pip_install(args.python, "-r", TEST_REQUIREMENTS)
            return 0
        run_list, must_pass = load_modules()
        excluded = load_exclusions()
        source = tests_dir(ref_python)
        shipped = shipped_modules(source)
        if args.modules == "all":
            modules = shipped
        elif args.modules:
            modules = [m.strip() for m in args.modules.split(",") if m.strip()]
        else:
            modules = run_list
        unknown = [m for m in modules if m not in shipped]
        if unknown:
            parser.error(f"DeepTrack2 ships no test module {unknown}; it has {', '.join(shipped)}")
        excluded_modules = sorted({exclusion_module(t) for t in excluded})
        stray_modules = [m for m in excluded_modules if m not in shipped]
        reference = reference_tests(ref_python, sorted(set(modules) | (set(excluded_modules) - set(stray_modules))))
        python = args.python
        os.makedirs(WORK, exist_ok=True)
        native = test_python(python, args.dev, install=not args.no_install)
    except SetupError as e:
        log(f"error: {e}")
        return 2

    all_reference = {t for ids in reference.values() for t in ids}
    unknown_exclusions = sorted(t for t in excluded if t not in all_reference)
    log(f"deeptrack_native: {native}")
    convert_tests(source, flat=args.flat)

    summary = {"deeptrack2": DEEPTRACK2, "deeptrack_native": native, "flat": args.flat, "modules": {}}
    passing_exclusions = []
    for module in modules:
        log(f"running {module} ...")
        outcome = run_module(python, module, args.dev, args.timeout)
        tests, extra = classify(module, reference[module], outcome, excluded)
        counts = dict.fromkeys(STATUSES, 0)
        for entry in tests.values():
            counts[entry["status"]] += 1
        passing_exclusions += [t for t, e in tests.items() if e["status"] == "excluded" and e["outcome"] == "pass"]
        failing = [t for t, e in tests.items() if e["status"] not in ("pass", "excluded")]
        summary["modules"][module] = {
            "total": len(tests),
            "counts": counts,
            "must_pass": module in must_pass,
            "ok": not failing,
            "import_error": (outcome.get("import_error") or {}).get("message") or outcome.get("crash"),
            "extra_tests": extra,
            "tests": tests,
        }
    summary["excluded_but_passing"] = passing_exclusions
    summary["unknown_exclusions"] = unknown_exclusions

    flat = " (--flat diagnostic: DeepTrack2 submodules seen through deeptrack_native's top level)" if args.flat else ""
    print(f"DeepTrack2 2.0.1's tests against deeptrack_native ({native}){flat}")
    print_table(summary)
    for module, data in summary["modules"].items():
        if data["import_error"]:
            print(f"{module}: {data['import_error']}")
        if data["extra_tests"]:
            print(f"{module}: tests DeepTrack2 does not define (not counted): {', '.join(data['extra_tests'])}")
        if args.verbose:
            for test_id, entry in data["tests"].items():
                if entry["status"] not in ("pass", "excluded") and not data["import_error"]:
                    print(f"  {entry['status']:5}  {test_id}: {entry.get('message', '')}")
    for test_id in passing_exclusions:
        print(f"excluded but passes (consider removing it from exclusions.toml): {test_id}")
    for test_id in unknown_exclusions:
        print(f"error: exclusions.toml names a test DeepTrack2 2.0.1 does not define: {test_id}")
    failed = [m for m, d in summary["modules"].items() if d["must_pass"] and not d["ok"]]
    for module in failed:
        print(f"FAILED: {module} must pass (tests/dt2/modules.toml), and does not")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    if args.flat:
        return 0
    return 1 if failed or unknown_exclusions else 0


if __name__ == "__main__":
    sys.exit(main())
