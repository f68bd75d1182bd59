#!/usr/bin/env python3
"""Times deeptrack against DeepTrack2 2.0.1 and 2.0.2 in one run on this machine, and writes the report
to docs/benchmarks.md (and its tables into the README, between the benchmarks markers).

    python3 benches/compare_deeptrack2.py            # full run (several minutes)
    python3 benches/compare_deeptrack2.py --quick    # shorter time budget per case
    python3 benches/compare_deeptrack2.py --smoke    # small sizes and a tiny budget: checks that every
                                                     # part runs; writes target/bench-smoke/ instead

Three sides:

- deeptrack (native): the pipelines of benches/pipelines.rs through the Rust API (`cargo bench`);
- deeptrack_native (Python): benches/dt2_style.py, DeepTrack2-style code (lambdas over np.random),
  run with the package as `pip install ./python` installs it (into target/bench-venvs/deeptrack-native,
  reinstalled from this checkout at every run);
- DeepTrack2 2.0.1 and 2.0.2: the same benches/dt2_style.py, in virtual environments of their own under
  target/bench-venvs/ (installed from PyPI the first time).

Single thread on every side (BLAS and FFT thread pools limited to one thread), except the batch rows
that say otherwise.
"""

import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.path.join(ROOT, "target", "bench-venvs")
CASES = os.path.join(ROOT, "benches", "dt2_style.py")
VERSIONS = ["2.0.1", "2.0.2"]
PY = "deeptrack_native (Python)"
ONE_THREAD = {k: "1" for k in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"]}

# The targets for the native pipelines: (minimum speed-up over DeepTrack2).
TARGETS = {
    "trivial feature: update + resolve": 100,
    "(particle ^ 100) >> other": None,
    "(particle ^ 1000) >> other": None,
    "(particle ^ 10000) >> other": None,
    "100 point particles, Fluorescence 64x64, Poisson": 30,
    "10 point particles, Fluorescence 256x256": 30,
    "Sphere, Fluorescence 128x128": 30,
    "Sphere, Brightfield 256x256": 30,
    "10 point particles, Fluorescence 256x256, upscale 2": 30,
    "Sphere, Fluorescence 128x128, upscale 2": 30,
    "Ellipse, Fluorescence 128x128": 30,
    "Ellipsoid, Fluorescence 128x128": 30,
    "5 spheres of random radius, Brightfield 256x256": 30,
    "Ellipse, Brightfield 128x128": 30,
    "Sphere, Brightfield 128x128, upscale 2": 30,
    "10 spheres of random radius, Brightfield 256x256": 30,
    "20 ellipsoids of random radii, Fluorescence 256x256": 30,
    "5 spheres of random radius, Fluorescence 128x128, upscale 2": 30,
    "5 large spheres of random radius, Brightfield 256x256": 30,
    "50-frame movie of 10 diffusing particles, Fluorescence 64x64": 30,
}


def pip(python, *args, env=None):
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args], check=True, env=env)


def venv_python(name, first_install):
    """The interpreter of the virtual environment ``name`` under target/bench-venvs, created (and
    ``first_install`` installed into it) the first time."""
    venv = os.path.join(VENVS, name)
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip(python, *first_install)
    return python


# DeepTrack2's `Resize` and `BilateralBlur` call OpenCV, which its wheel does not require: the
# benchmark environments get it so that those rows compare (venvs made before get it on first use).
OPENCV = "opencv-python-headless==5.0.0.93"


def dt2_python(version):
    python = venv_python(f"deeptrack-{version}", [f"deeptrack=={version}", OPENCV])
    if subprocess.run([python, "-c", "import cv2"], capture_output=True).returncode != 0:
        pip(python, OPENCV)
    return python


def native_python():
    """The bench venv with deeptrack_native installed from this checkout as users install it
    (`pip install ./python`: cargo builds the release library, with CARGO_TARGET_DIR=target so that
    an up-to-date build is reused)."""
    python = venv_python("deeptrack-native", ["numpy"])
    print("installing deeptrack_native from ./python ...", file=sys.stderr)
    pip(python, "--force-reinstall", "--no-deps", os.path.join(ROOT, "python"),
        env=dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target")))
    return python


def lines(cmd, env=None):
    """The JSON lines a command prints, by case name."""
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT).stdout
    return {r["case"]: r for r in (json.loads(line) for line in out.splitlines() if line.startswith("{"))}


def ordered(cmd, env=None):
    """Like :func:`lines`, also returning the case names in the order printed."""
    results = lines(cmd, env)
    return results, list(results)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", load average {:.2f} at the start".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}{load}"


def checkout():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, check=True).stdout.strip()
        return f"commit {rev}"
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"


def fmt(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(theirs, ours):
    if theirs is None or ours is None or ours <= 0:
        return None
    return theirs / ours


def fmt_ratio(r):
    return "—" if r is None else f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


def median(results, case):
    return results.get(case, {}).get("median_s")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def notes(results, sides, cases):
    """Why cells are empty: one line per skipped or failed case, per side."""
    out = []
    for side in sides:
        for case in cases:
            note = results[side].get(case, {}).get("note")
            if note:
                out.append(f"- {side}, {case}: {note}.")
    return out


def native_table(native, results):
    rows = []
    for case, target in TARGETS.items():
        ours = median(native, case)
        ratios = [ratio(median(results[v], case), ours) for v in VERSIONS]
        cells = [case, fmt(ours)] + [fmt(median(results[v], case)) for v in VERSIONS] + [fmt_ratio(r) for r in ratios]
        if target is None:
            cells.append("linear in N" if case.endswith("other") else "")
        else:
            # Against every version that runs the case (2.0.2 cannot run 2.0.1's sequence code: its
            # note says why); a case no version runs is not met.
            measured = [r for r in ratios if r is not None]
            met = bool(measured) and all(r >= target for r in measured)
            cells.append(f"≥ {target}×: {'met' if met else 'not met'}")
        rows.append(cells)
    header = ["pipeline (one thread, median of update + resolve)", "deeptrack (native)"]
    header += [f"DeepTrack2 {v}" for v in VERSIONS] + [f"speed-up vs {v}" for v in VERSIONS] + ["target"]
    return table(header, rows)


def python_table(results, order, groups):
    rows = []
    for case in order:
        if results[PY][case].get("group") not in groups:
            continue
        ours = median(results[PY], case)
        rows.append([case, fmt(ours)] + [fmt(median(results[v], case)) for v in VERSIONS]
                    + [fmt_ratio(ratio(median(results[v], case), ours)) for v in VERSIONS])
    header = ["DeepTrack2-style code (one thread, median of update + resolve)", PY]
    header += [f"DeepTrack2 {v}" for v in VERSIONS] + [f"speed-up vs {v}" for v in VERSIONS]
    return table(header, rows)


# Issue 14's optics cases (benches/dt2_style.py, group "optics"): at least this speed-up over 2.0.1.
OPTICS_TARGET = 20


def optics_table(results, order):
    rows = []
    for case in order:
        if results[PY][case].get("group") != "optics":
            continue
        ours = median(results[PY], case)
        ratios = [ratio(median(results[v], case), ours) for v in VERSIONS]
        met = ratios[0] is not None and ratios[0] >= OPTICS_TARGET
        rows.append([case, fmt(ours)] + [fmt(median(results[v], case)) for v in VERSIONS]
                    + [fmt_ratio(r) for r in ratios] + [f"≥ {OPTICS_TARGET}× vs 2.0.1: {'met' if met else 'not met'}"])
    header = ["optics (DeepTrack2-style code, one thread, median of update + resolve)", PY]
    header += [f"DeepTrack2 {v}" for v in VERSIONS] + [f"speed-up vs {v}" for v in VERSIONS] + ["target"]
    return table(header, rows)


def marginal_rows(results, order):
    """Per series: the marginal cost of one more particle between consecutive sizes, per side."""
    series = {}
    for case in order:
        r = results[PY][case]
        if r.get("group") == "scaling":
            series.setdefault(r["series"], []).append(r["n"])
    rows = []
    for label, sizes in series.items():
        for n1, n2 in zip(sizes, sizes[1:]):
            cells = [f"{label.format(n='N')}: N = {n1:,} → {n2:,}"]
            for side in [PY] + VERSIONS:
                t1, t2 = (median(results[side], label.format(n=f"{n:,}")) for n in (n1, n2))
                cells.append("—" if t1 is None or t2 is None else fmt((t2 - t1) / (n2 - n1)))
            rows.append(cells)
    return table(["marginal cost per particle (one thread)", PY] + [f"DeepTrack2 {v}" for v in VERSIONS], rows)


def batch_rows(results, order):
    cases = [c for c in order if results[PY][c].get("group") == "batch"]
    loop = next(c for c in cases if c.endswith("plain loop"))
    one = next((c for c in cases if c.endswith("1 thread")), None)
    rows = []
    for case in cases:
        ours = median(results[PY], case)
        cells = [case, fmt(ours), fmt_ratio(ratio(median(results[PY], one), ours))]
        cells += [fmt_ratio(ratio(median(results[v], loop), ours)) for v in VERSIONS]
        rows.append(cells)
    header = [f"{PY} batches", "time", "vs resolve_batch on 1 thread"]
    header += [f"vs DeepTrack2 {v}'s loop ({fmt(median(results[v], loop))})" for v in VERSIONS]
    return table(header, rows)


# docs/benchmarks.md keeps what follows this marker (benches/array_features.py's figures) when rewritten.
KEEP_FROM = "<!-- array-features:"


def write(text, docs_path, readme_path, readme_out, first_table_line):
    kept = ""
    if os.path.exists(docs_path):
        with open(docs_path) as f:
            old = f.read()
        if KEEP_FROM in old:
            kept = "\n" + old[old.index(KEEP_FROM) :]
    with open(docs_path, "w") as f:
        f.write(text.rstrip("\n") + "\n" + kept)
    # The README quotes the tables, between its markers.
    lines_ = text.splitlines()
    quoted = "\n".join(lines_[lines_.index(first_table_line):])
    with open(readme_path) as f:
        readme = f.read()
    start = readme.index("<!-- benchmarks:start")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- benchmarks:end -->")
    with open(readme_out, "w") as f:
        f.write(readme[:start] + "\n" + quoted.strip() + "\n\n" + readme[end:])


def main():
    smoke = "--smoke" in sys.argv
    quick = "--quick" in sys.argv
    mode = "smoke" if smoke else "quick" if quick else "full"
    budget, max_run = {"smoke": (0.02, 0.5), "quick": (0.5, 2.0), "full": (3.0, 10.0)}[mode]
    env = dict(os.environ, **ONE_THREAD)
    os.makedirs(VENVS, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    where = machine()

    bench = ["cargo", "bench", "--quiet", "--bench", "pipelines", "--"]
    native = lines(bench + ["--json"] + (["--quick"] if mode != "full" else []), env=env)
    native.update(lines(bench + ["--batch-memory"]))

    sides = {PY: native_python()}
    sides.update({v: dt2_python(v) for v in VERSIONS})
    results, order = {}, None
    for side, python in sides.items():
        module = "deeptrack_native" if side == PY else "deeptrack"
        print(f"timing {side} ...", file=sys.stderr)
        results[side], side_order = ordered([python, CASES, module, "time", "smoke" if smoke else "full",
                                             str(budget), str(max_run)], env=env)
        results[side].update(lines([python, CASES, module, "memory"], env=env))
        if side == PY:
            order = side_order
        versions = subprocess.run(
            [python, "-c", "import importlib.util as u, numpy; print(numpy.__version__, "
             "__import__('scipy').__version__ if u.find_spec('scipy') else 'none')"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env).stdout.split()
        results[side]["_versions"] = versions or ["?", "?"]

    first = native_table(native, results)
    n100, n1000, n10000 = (median(native, f"(particle ^ {n}) >> other") for n in (100, 1000, 10000))
    linear = f"per repetition: {fmt(n100 / 100)} (N = 100), {fmt(n1000 / 1000)} (N = 1,000), {fmt(n10000 / 10000)} (N = 10,000)"

    batch_one = next(v for k, v in native.items() if k.startswith("batch of 64") and k.endswith("1 thread"))
    batch_all_name, batch_all = next((k, v) for k, v in native.items() if k.startswith("batch of 64") and
                                     not k.endswith("1 thread"))
    speedup = batch_one["median_s"] / batch_all["median_s"]
    ours_kib = native["batch memory"]["peak_rss_kib"]
    py_kib = results[PY]["batch memory"]["peak_rss_kib"]
    memory = table(
        ["64 images, 256x256, 100 particles each, kept in memory", "deeptrack (native)", PY]
        + [f"DeepTrack2 {v}" for v in VERSIONS] + ["ratio (target: at most 1/3)"],
        [["peak resident memory of the process", f"{ours_kib / 1024:.0f} MiB", f"{py_kib / 1024:.0f} MiB"]
         + [f"{results[v]['batch memory']['peak_rss_kib'] / 1024:.0f} MiB" for v in VERSIONS]
         + [", ".join(f"1/{results[v]['batch memory']['peak_rss_kib'] / ours_kib:.1f} of {v}" for v in VERSIONS)]],
    )
    py_cases = [c for c in order if results[PY][c].get("group") in ("pipelines", "images", "optics", "scaling",
                                                                     "batch")]
    text = "\n".join(
        [
            "# Benchmarks: deeptrack against DeepTrack2",
            "",
            "Written by `python3 benches/compare_deeptrack2.py`: one run, every side on the same machine. The",
            "native pipelines are `benches/pipelines.rs` (through the Rust API); the Python ones are",
            "`benches/dt2_style.py`, DeepTrack2-style code run unchanged on DeepTrack2 and on deeptrack_native",
            "(the package as `pip install ./python` installs it).",
            "",
            f"- Run: {started}, {mode} time budget per case; deeptrack from {checkout()}.",
            f"- Machine: {where}.",
            f"- numpy/scipy: {PY} {' / '.join(results[PY]['_versions'])}; "
            + "; ".join(f"DeepTrack2 {v} {' / '.join(results[v]['_versions'])}" for v in VERSIONS) + ".",
            f"- DeepTrack2 runs only the sizes whose single run is predicted to take at most {max_run:g} s.",
            "",
            *first,
            "",
            f"`particle ^ N` is linear here: {linear}.",
            "",
            "### DeepTrack2-style Python code",
            "",
            *python_table(results, order, ("pipelines", "images")),
            "",
            "### Optics: Mie scattering and aberrated pupils",
            "",
            *optics_table(results, order),
            "",
            *python_table(results, order, ("scaling",)),
            "",
            *marginal_rows(results, order),
            "",
            "### Batches and memory",
            "",
            f"`deeptrack_feature_resolve_batch`, 64 images of the 100-particle 64x64 pipeline: {fmt(batch_one['median_s'])} "
            f"on one thread, {fmt(batch_all['median_s'])} on {batch_all_name.rsplit(': ', 1)[1]}: "
            f"{speedup:.2f}x the single-thread throughput (target: 1.8x on 2 cores).",
            "",
            *batch_rows(results, order),
            "",
            *memory,
            "",
            *(["Empty cells:", "", *notes(results, [PY] + VERSIONS, py_cases), ""]
              if notes(results, [PY] + VERSIONS, py_cases) else []),
        ]
    )
    if smoke:
        out = os.path.join(ROOT, "target", "bench-smoke")
        os.makedirs(out, exist_ok=True)
        write(text, os.path.join(out, "benchmarks.md"), os.path.join(ROOT, "README.md"),
              os.path.join(out, "README.md"), first[0])
        print(f"(smoke run: wrote {out}/benchmarks.md and {out}/README.md, not docs/ or the README)", file=sys.stderr)
    else:
        readme = os.path.join(ROOT, "README.md")
        write(text, os.path.join(ROOT, "docs", "benchmarks.md"), readme, readme, first[0])
    print(text)


if __name__ == "__main__":
    main()
