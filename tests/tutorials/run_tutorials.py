#!/usr/bin/env python3
"""Runs DeepTrack2's tutorial notebooks against deeptrack_native, with their imports changed.

The notebooks are read from a DeepTrack2 checkout given by path (a work tree, or a bare git
repository, read at HEAD); nothing is fetched and nothing of them is written into this repository.
Each selected notebook's code cells are converted and run in a fresh Python process, in a scratch
directory, with matplotlib's Agg backend; the report lists for each notebook whether it ran to its
end, and where and why it stopped.

The rules (docs/tutorials.md):

- Notebooks skipped whole, with the reason printed: those that load data that is not simulated
  (``datasets.load``, downloads, ``LoadImage``, ``ImageFolder``, file names of recordings: ``.tif``,
  ``.mat``, ``.npy``), and those with no simulation (no DeepTrack2 feature built before their
  training).
- Cells: IPython magics and shell lines (``%...``, ``!...``) and imports of the training libraries
  (torch, deeplay, lightning, ``deeptrack.deeplay``, ``deeptrack.pytorch``, and DeepTrack 1.x's
  TensorFlow API: tensorflow, keras, ``deeptrack.models``, ``.losses``, ``.generators``) are dropped.
  The first training cell (one whose code, comments aside, uses deeplay, torch, lightning, Keras or
  that TensorFlow API, or calls ``.fit(``) and every cell after it are dropped: what follows a
  training evaluates the trained model. So a notebook written for DeepTrack 1.x runs the simulation
  before its first TensorFlow cell, which DeepTrack2 2.0.1 runs too.
- Imports of ``deeptrack`` become ``deeptrack_native`` (tests/dt2/convert.py, as for DeepTrack2's unit
  tests); nothing else in a cell changes. ``--reference`` keeps them, to run DeepTrack2 itself (with a
  stub of ``IPython.display`` when the reference environment has no IPython: DeepTrack2's
  ``Feature.plot`` imports it even outside a notebook).

Usage::

    python3 tests/tutorials/run_tutorials.py --repo /path/to/DeepTrack2 [--python PY] [--dev]
        [--reference] [--only DTAT301,DTGS101] [--timeout 600] [--json FILE] [-v]

``--dev`` puts this checkout's ``python/`` on the path (the library of the last
``cargo build --lib --features mimalloc``); without it the test Python's installed package is used.
Exit status: 0 when every selected notebook ran to its end, 1 otherwise.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "dt2"))

import convert  # noqa: E402  (tests/dt2/convert.py)

#: Notebooks that load recorded data (or data files) rather than simulate it.
DATA = re.compile(
    r"datasets\.load|download|urlretrieve|wget |git clone|LoadImage|ImageFolder|\.tif\b|\.mat\b|\.npy\b|"
    r"scipy\.io\.loadmat|skimage\.io\.imread|imageio\.imread|cv2\.imread|BF-C2DL|Fluo-C2DL|PhC-C2DL"
)
#: DeepTrack 1.x's TensorFlow API (which DeepTrack2 2.0.1 no longer has): a cell using it trains.
TENSORFLOW = re.compile(
    r"tensorflow|\btf\.|deeptrack\.models|deeptrack\.losses|deeptrack\.generators|\bdt\.(models|losses|generators)\b"
)
#: A training cell: it trains (or builds what trains) a neural network.
TRAINING = re.compile(
    r"deeplay|\bimport torch\b|\bfrom torch\b|\btorch\.|lightning|keras|\.fit\(|\bTrainer\(|\bdl\.",
)
#: An import of a training library.
TRAINING_IMPORT = re.compile(
    r"^\s*(import|from)\s+(torch\w*|deeplay|lightning|deeptrack\.deeplay|deeptrack\.pytorch|tensorflow|keras|"
    r"deeptrack\.(models|losses|generators))\b"
)
#: A line of IPython syntax (magics, shell escapes), not Python.
MAGIC = re.compile(r"^\s*[%!]")

#: The driver: runs the cells in order in one namespace and says which one failed.
DRIVER = r'''
import json, sys, traceback
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.show = lambda *a, **k: None  # a notebook's show() in a script: nothing to show
cells = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for i, source in enumerate(cells):
    try:
        exec(compile(source, f"<cell {i}>", "exec"), namespace)
    except BaseException as e:
        tb = traceback.format_exc()
        print(json.dumps({"cell": i, "error": f"{type(e).__name__}: {e}".splitlines()[0][:300], "traceback": tb}))
        sys.exit(1)
    finally:
        plt.close("all")
print(json.dumps({"cell": None}))
'''


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def notebooks(repo):
    """``{relative path: notebook JSON text}`` of ``tutorials/**/*.ipynb`` in ``repo`` (a work tree, or
    a bare git repository read at HEAD)."""
    if os.path.isdir(os.path.join(repo, "tutorials")):
        paths = sorted(glob.glob(os.path.join(repo, "tutorials", "**", "*.ipynb"), recursive=True))
        return {os.path.relpath(p, repo): _read(p) for p in paths}
    names = subprocess.run(
        ["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD", "tutorials"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    out = {}
    for name in names:
        if name.endswith(".ipynb"):
            shown = subprocess.run(["git", "-C", repo, "show", f"HEAD:{name}"], capture_output=True, text=True)
            out[name] = shown.stdout if shown.returncode == 0 else None  # None: not in the snapshot
    return out


def code_cells(text):
    """The sources of a notebook's code cells."""
    return ["".join(c.get("source", "")) for c in json.loads(text)["cells"] if c.get("cell_type") == "code"]


def classify(cells):
    """``(cells to run, None)`` or ``(None, reason to skip)``, by the module's rules."""
    code = "\n".join(cells)
    match = DATA.search(code)
    if match:
        return None, f"loads recorded data ({match.group(0).strip()!r})"
    kept = []
    for source in cells:
        lines = [line for line in source.splitlines() if not MAGIC.match(line)]
        # Imports of the training libraries go (a notebook's first cell may hold them beside its
        # others); a cell that still uses them trains.
        lines = [line for line in lines if not TRAINING_IMPORT.match(line)]
        source = "\n".join(lines)
        code = _without_comments(source)
        if TRAINING.search(code) or TENSORFLOW.search(code):
            break
        if source.strip():
            kept.append(source)
    if not any(re.search(r"\bdt\.|deeptrack", s) for s in kept[1:]):
        return None, "no simulation before its training"
    return kept, None


def _without_comments(source):
    """``source`` without its ``#`` comments (roughly: a ``#`` inside a string cuts it too), so that
    a comment naming a library does not count as using it."""
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def convert_cell(source, reference):
    """A cell with its DeepTrack2 imports rewritten (unchanged with ``reference``)."""
    if reference:
        return source
    return convert.convert_source(source, package="deeptrack", tests_package="deeptrack.tests")


def run_one(python, cells, env, timeout, stub_ipython=False):
    """Runs ``cells`` in a fresh process; ``{"cell": None}`` when all ran, else the failing cell and error."""
    with tempfile.TemporaryDirectory(prefix="dt2-tutorial-") as scratch:
        with open(os.path.join(scratch, "cells.json"), "w") as f:
            json.dump(cells, f)
        with open(os.path.join(scratch, "driver.py"), "w") as f:
            f.write(DRIVER)
        if stub_ipython:
            # DeepTrack2's Feature.plot imports IPython.display even outside a notebook; the
            # reference environment has no IPython, so a stub of the two names it takes.
            os.makedirs(os.path.join(scratch, "IPython"))
            with open(os.path.join(scratch, "IPython", "__init__.py"), "w") as f:
                # What matplotlib asks an imported IPython: its version, and whether it runs (no).
                f.write("version_info = (8, 0, 0)\n\n\ndef get_ipython():\n    return None\n")
            with open(os.path.join(scratch, "IPython", "display.py"), "w") as f:
                f.write("def HTML(*args, **kwargs):\n    return None\n\n\ndef display(*args, **kwargs):\n    return None\n")
        try:
            done = subprocess.run(
                [python, "driver.py", "cells.json"], cwd=scratch, env=env, capture_output=True, text=True,
                timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"cell": -1, "error": f"timed out after {timeout} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"cell": -1, "error": f"exit status {done.returncode}: {done.stderr.strip()[-300:]}"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="a DeepTrack2 checkout (work tree or bare repository)")
    parser.add_argument("--python", default=os.path.join(ROOT, "target", "pyvenv", "bin", "python"))
    parser.add_argument("--dev", action="store_true", help="this checkout's python/ on the path")
    parser.add_argument("--reference", action="store_true", help="keep the imports: run DeepTrack2 itself")
    parser.add_argument("--only", help="comma-separated notebook name prefixes")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", help="write every notebook's outcome here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the traceback of each failure")
    args = parser.parse_args(argv)

    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    if args.dev:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "python"), env.get("PYTHONPATH")]))
    only = [p.strip() for p in args.only.split(",")] if args.only else None
    results, ran, passed = {}, 0, 0
    for path, text in notebooks(args.repo).items():
        name = os.path.splitext(os.path.basename(path))[0]
        if only and not any(name.startswith(p) for p in only):
            continue
        if text is None:
            results[name] = {"skipped": "not in the checkout (its object is missing)"}
        else:
            cells, reason = classify(code_cells(text))
            if reason:
                results[name] = {"skipped": reason}
            else:
                cells = [convert_cell(c, args.reference) for c in cells]
                outcome = run_one(args.python, cells, env, args.timeout, stub_ipython=args.reference)
                outcome["cells"] = len(cells)
                results[name] = outcome
                ran += 1
                passed += outcome["cell"] is None
        r = results[name]
        if "skipped" in r:
            print(f"{name:58s} skipped: {r['skipped']}")
        elif r["cell"] is None:
            print(f"{name:58s} ok ({r['cells']} cells)")
        else:
            print(f"{name:58s} FAILED at cell {r['cell']} of {r['cells']}: {r['error']}")
            if args.verbose and r.get("traceback"):
                print("    " + r["traceback"].strip().replace("\n", "\n    "))
        sys.stdout.flush()
    print(f"\n{passed} of {ran} notebooks ran to their end ({len(results) - ran} skipped)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if passed == ran else 1


if __name__ == "__main__":
    sys.exit(main())
