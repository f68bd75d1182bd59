#!/usr/bin/env python3
"""Times every `elementwise` and `statistics` kind, the shape and structural kinds that are numpy
views in DeepTrack2, and the other kinds that compute a new image (arithmetic, math, augmentations,
noises, casts, Resize: `ARRAY`), on a 1024x1024 image, as users call them
(`f = dt.Sum(axis=0); f.update(); f.resolve(x)`), with deeptrack_native and with DeepTrack2 2.0.1,
single-threaded, and prints both per kind (best of N runs, milliseconds) with the speed-up.

    python3 benches/array_features.py                 # both sides, every kind, best of 5
    python3 benches/array_features.py --repeat 3 Log Sum   # only the kinds named

deeptrack_native is taken from python/ with the release library (target/release, `cargo build
--release --lib --features mimalloc`; or DEEPTRACK_LIBRARY); DeepTrack2 from
target/bench-venvs/deeptrack-2.0.1 (made as benches/compare_deeptrack2.py makes it, with OpenCV), or DT2_PYTHON; the
native side runs in target/pyvenv (made by `make python-test`, for numpy), or NATIVE_PYTHON.
Each side runs in its own process (`--side native` or `--side dt2` prints JSON).

The native side reads the input array in place, as DeepTrack2 does (no copy into the library);
`Real` shares its input's samples, so its native time is the floor of a resolve through Python
(ctypes calls, handles, the result's view), and the last column is the native time less it.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_THREAD = {k: "1" for k in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"]}

AXES = [None, 0, 1]


def kinds():
    """The class names of the library's kinds of DeepTrack2's modules `elementwise` and `statistics`,
    from its registry (through deeptrack_native), in registry order."""
    from deeptrack_native.features import classes_of

    return [sorted(classes_of("elementwise"), key=str.lower), list(classes_of("statistics"))]


# The shape and structural kinds (numpy views, or the input itself, in DeepTrack2): (label, class
# name, keyword arguments); a callable argument is called with the module (features as arguments).
STRUCTURAL = [
    ("Transpose", "Transpose", {}),
    ("MoveAxis(0, 1)", "MoveAxis", {"source": 0, "destination": 1}),
    ("Squeeze", "Squeeze", {}),
    ("Unsqueeze(axis=0)", "Unsqueeze", {"axis": 0}),
    ("ExpandDims", "ExpandDims", {}),
    ("ChannelFirst2d", "ChannelFirst2d", {}),
    ("AsType(float64)", "AsType", {"dtype": "float64"}),
    ("Pad(px=(2, 2, 2, 2))", "Pad", {"px": (2, 2, 2, 2)}),
    ("Slice(0:512)", "Slice", {"slices": (slice(0, 512),)}),
    ("Probability(Squeeze, 1)", "Probability", {"feature": lambda dt: dt.Squeeze(), "probability": 1.0}),
    ("OneOf([Squeeze])", "OneOf", {"collection": lambda dt: [dt.Squeeze()]}),
]


# The other kinds that compute a new 1024x1024 image (arithmetic, `math`, augmentations, noises, casts,
# Resize): (label, class name, keyword arguments, scale of the input, or a function of it). DeepTrack2's `Resize` needs
# OpenCV (`opencv-python-headless`), which its benchmark venv may lack: the case then reports the error.
ARRAY = [
    ("Add(1)", "Add", {"value": 1.0}, 1),
    ("Multiply(2)", "Multiply", {"value": 2.0}, 1),
    ("Divide(2)", "Divide", {"value": 2.0}, 1),
    ("Power(2)", "Power", {"value": 2.0}, 1),
    ("Power(0.5)", "Power", {"value": 0.5}, 1),
    ("GreaterThan(0.5)", "GreaterThan", {"value": 0.5}, 1),
    ("Equal(0.5)", "Equal", {"value": 0.5}, 1),
    ("LessThan(0.5)", "LessThan", {"value": 0.5}, 1),
    ("Clip(0.2, 0.8)", "Clip", {"min": 0.2, "max": 0.8}, 1),
    ("NormalizeMinMax", "NormalizeMinMax", {}, 1),
    ("NormalizeStandard", "NormalizeStandard", {}, 1),
    ("MaxPooling(4)", "MaxPooling", {"ksize": 4}, 1),
    ("AveragePooling(4)", "AveragePooling", {"ksize": 4}, 1),
    ("FlipLR", "FlipLR", {"p": 1.0}, 1),
    ("FlipUD", "FlipUD", {"p": 1.0}, 1),
    ("FlipDiagonal", "FlipDiagonal", {"p": 1.0}, 1),
    ("Crop(512)", "Crop", {"crop": 512}, 1),
    ("CropToMultiplesOf(100)", "CropToMultiplesOf", {"multiple": 100}, 1),
    ("PadToMultiplesOf(100)", "PadToMultiplesOf", {"multiple": 100}, 1),
    # A complex128 input (the scale is complex): numpy's `.real` and `.imag` are views.
    ("Real(complex)", "Real", {}, 1 + 0.5j),
    ("Imag(complex)", "Imag", {}, 1 + 0.5j),
    ("Abs(complex)", "Abs", {}, 1 + 0.5j),
    ("Conjugate(complex)", "Conjugate", {}, 1 + 0.5j),
    ("Multiply(2, complex)", "Multiply", {"value": 2.0}, 1 + 0.5j),
    # The reductions of a complex image (numpy's bits: tests/python/test_complex_reductions_bits.py).
    ("Sum(axis=0, complex)", "Sum", {"axis": 0}, 1 + 0.5j),
    ("Mean(complex)", "Mean", {}, 1 + 0.5j),
    ("Variance(complex)", "Variance", {}, 1 + 0.5j),
    ("Prod(complex)", "Prod", {}, 1 + 0.5j),
    ("Prod(axis=0, complex)", "Prod", {"axis": 0}, 1 + 0.5j),
    ("Min(complex)", "Min", {}, 1 + 0.5j),
    ("Min(axis=0, complex)", "Min", {"axis": 0}, 1 + 0.5j),
    ("Max(axis=0, complex)", "Max", {"axis": 0}, 1 + 0.5j),
    ("Median(complex)", "Median", {}, 1 + 0.5j),
    ("Median(axis=0, complex)", "Median", {"axis": 0}, 1 + 0.5j),
    ("Background(1)", "Background", {"offset": 1.0}, 1),
    # A spectrum times a propagator's cube (DeepTrack2 multiplies its input in place).
    (
        "FourierTransformTransformation(i=3)",
        "holography.FourierTransformTransformation",
        {"Tz": lambda dt: propagator(), "Tzinv": lambda dt: propagator().conj(), "i": 3},
        1 + 0.5j,
    ),
    ("AsType(int32)", "AsType", {"dtype": "int32"}, 300),
    ("AsType(uint8)", "AsType", {"dtype": "uint8"}, 300),
    ("AsType(int16)", "AsType", {"dtype": "int16"}, 300),
    ("AsType(uint16)", "AsType", {"dtype": "uint16"}, 300),
    ("AsType(int8)", "AsType", {"dtype": "int8"}, 300),
    ("AsType(int64)", "AsType", {"dtype": "int64"}, 300),
    ("AsType(bool)", "AsType", {"dtype": "bool"}, 300),
    ("AsType(float32)", "AsType", {"dtype": "float32"}, 300),
    # The rest of DeepTrack2's `math`, augmentations and noises on a 1024x1024 image.
    ("GaussianBlur(2)", "GaussianBlur", {"sigma": 2.0}, 1),
    ("AverageBlur(3)", "AverageBlur", {"ksize": 3}, 1),
    ("MedianBlur(3)", "MedianBlur", {"ksize": 3}, 1),
    ("BilateralBlur(5)", "BilateralBlur", {"d": 5}, 1),
    ("MedianPooling(2)", "MedianPooling", {"ksize": 2}, 1),
    ("MinPooling(4)", "MinPooling", {"ksize": 4}, 1),
    ("NormalizeQuantile", "NormalizeQuantile", {}, 1),
    ("Affine(rotate=0.3)", "Affine", {"rotate": 0.3}, 1),
    ("Affine(scale=1.2, translate_px=5)", "Affine", {"scale": 1.2, "translate_px": 5}, 1),
    # DeepTrack2 2.0.1's ElasticTransformation needs a channel axis (it refuses a 2-D image).
    ("ElasticTransformation, 1024x1024x1", "ElasticTransformation", {}, lambda x: x[..., None]),
    ("CropTight", "CropTight", {}, 1),
    ("Pad(4, reflect)", "Pad", {"px": (4, 4, 4, 4), "mode": "reflect"}, 1),
    ("Pad(4, wrap)", "Pad", {"px": (4, 4, 4, 4), "mode": "wrap"}, 1),
    ("Gaussian(sigma=0.1)", "Gaussian", {"sigma": 0.1}, 1),
    ("ComplexGaussian(sigma=0.1)", "ComplexGaussian", {"sigma": 0.1}, 1),
    ("Poisson(snr=100)", "Poisson", {"snr": 100}, 1),
    ("Resize(512, 512)", "Resize", {"dsize": (512, 512)}, 1),
    ("Resize(700, 1000)", "Resize", {"dsize": (700, 1000)}, 1),
    ("Resize(2048, 2048)", "Resize", {"dsize": (2048, 2048)}, 1),
    # uint8 images through OpenCV's uint8 path (a uint8 array crosses into the library as float64, so
    # both sides cast first: "A>>B" chains the kinds, each with its keyword arguments).
    ("AsType(uint8) alone", "AsType", {"dtype": "uint8"}, 255),
    ("AsType(uint8) >> Resize(512, 512)", "AsType>>Resize", [{"dtype": "uint8"}, {"dsize": (512, 512)}], 255),
    ("AsType(uint8) >> Resize(700, 1000)", "AsType>>Resize", [{"dtype": "uint8"}, {"dsize": (700, 1000)}], 255),
    ("AsType(uint8) >> Resize(2048, 2048)", "AsType>>Resize", [{"dtype": "uint8"}, {"dsize": (2048, 2048)}], 255),
    # float32 and uint16 through OpenCV's single-precision path (src/features/resize/single.rs).
    ("AsType(float32) >> Resize(700, 1000)", "AsType>>Resize", [{"dtype": "float32"}, {"dsize": (700, 1000)}], 1),
    ("AsType(float32) >> Resize(2048, 2048)", "AsType>>Resize", [{"dtype": "float32"}, {"dsize": (2048, 2048)}], 1),
    ("AsType(uint16) >> Resize(700, 1000)", "AsType>>Resize", [{"dtype": "uint16"}, {"dsize": (700, 1000)}], 65535),
    ("AsType(uint16) >> Resize(2048, 2048)", "AsType>>Resize", [{"dtype": "uint16"}, {"dsize": (2048, 2048)}], 65535),
]


def propagator():
    """A 1024x1024 matrix of unit complex numbers, the form of a Fourier-space propagator."""
    import numpy as np

    return np.exp(1j * np.random.default_rng(2).uniform(0.0, 2.0 * np.pi, (1024, 1024)))


def feature_class(dt, name):
    """The class `name` of the package `dt` (a dotted name is looked up in that submodule)."""
    import importlib

    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(f"{dt.__name__}.{module}") if module else dt, cls)


def build(dt, name, kwargs):
    """The feature `name` of `dt` with `kwargs` (a callable argument is called with `dt`); "A>>B" chains
    A and B, `kwargs` then being a list of their keyword arguments."""
    if ">>" in name:
        parts = [build(dt, n, k) for n, k in zip(name.split(">>"), kwargs)]
        out = parts[0]
        for f in parts[1:]:
            out = out >> f
        return out
    return feature_class(dt, name)(**{k: v(dt) if callable(v) else v for k, v in kwargs.items()})


def cases(only, elementwise, statistics):
    """(label, class name, keyword arguments) of every timed case."""
    out = [("Real", "Real", {})] + [(name, name, {}) for name in elementwise if name != "Real"]
    for name in statistics:
        for axis in AXES:
            out.append((f"{name}(axis={axis})", name, {"axis": axis}))
    out += STRUCTURAL
    out += [(label, name, kwargs) for label, name, kwargs, _ in ARRAY]
    if only:
        out = [c for c in out if c[1].rpartition(".")[2] in only or c[0] in only or c[0] == "Real"]
    return out


def run_side(side, repeat, only, names):
    """Times every case in this process and prints {label: best milliseconds} as JSON; the native
    side first prints the kinds' names (one JSON line), which the other side is given."""
    import numpy as np

    if side == "native":
        sys.path.insert(0, os.path.join(ROOT, "python"))
        release = os.path.join(ROOT, "target", "release", "libdeeptrack.so")
        if "DEEPTRACK_LIBRARY" not in os.environ and os.path.exists(release):
            os.environ["DEEPTRACK_LIBRARY"] = release
        import deeptrack_native as dt

        names = kinds()
        print(json.dumps(names))
    else:
        import deeptrack as dt

        try:  # OpenCV's own threads, as the other libraries' (ONE_THREAD)
            import cv2

            cv2.setNumThreads(1)
        except ImportError:
            pass

    rng = np.random.default_rng(1)
    unit = rng.uniform(0.01, 0.99, (1024, 1024))  # in every function's domain ...
    above_one = 1.0 + 10.0 * unit  # ... but Arccosh's
    scales = {label: scale for label, _, _, scale in ARRAY}
    times = {}
    for label, name, kwargs in cases(only, *names):
        scale = scales.get(label, 1)
        x = above_one if name == "Arccosh" else scale(unit) if callable(scale) else unit * scale
        try:
            f = build(dt, name, kwargs)
            f.update()
            np.asarray(f.resolve(x))
        except Exception as e:  # e.g. DeepTrack2's Resize without OpenCV
            times[label] = f"{type(e).__name__}: {e}"[:80]
            continue
        best = float("inf")
        for _ in range(repeat):  # after the warm-up above
            t = time.perf_counter()
            f.update()
            np.asarray(f.resolve(x))
            best = min(best, time.perf_counter() - t)
        times[label] = best * 1e3
    print(json.dumps(times))


def side(args, which, python, names=None):
    cmd = [python, os.path.abspath(__file__), "--side", which, "--repeat", str(args.repeat), *args.only]
    if names:
        cmd += ["--names", json.dumps(names)]
    env = {**os.environ, **ONE_THREAD}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{which} side ({python}) failed:\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", choices=["native", "dt2"])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the two sides this many times, alternately, and keep each case's best (on a shared machine "
        "the load changes between the sides' processes; alternating spreads it over both)",
    )
    p.add_argument("--names", help="(internal) the kinds' names, as the native side found them")
    p.add_argument("only", nargs="*", help="class names or case labels to time (default: every one)")
    args = p.parse_args()
    if args.side:
        return run_side(args.side, args.repeat, set(args.only), json.loads(args.names) if args.names else None)
    dt2 = os.environ.get("DT2_PYTHON")
    if not dt2:
        # DeepTrack2 2.0.1 with OpenCV (its Resize and BilateralBlur), made the first time.
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from compare_deeptrack2 import dt2_python

        dt2 = dt2_python("2.0.1")
    native_py = os.environ.get("NATIVE_PYTHON") or os.path.join(ROOT, "target", "pyvenv", "bin", "python")
    native_py = native_py if os.path.exists(native_py) else sys.executable
    native, theirs = {}, {}
    for _ in range(max(args.rounds, 1)):
        names, mine = side(args, "native", native_py)
        (other,) = side(args, "dt2", dt2, names)
        for best, new in ((native, mine), (theirs, other)):
            for label, t in new.items():
                old = best.get(label)
                best[label] = t if old is None or isinstance(old, str) or (not isinstance(t, str) and t < old) else old
    rounds = f" in each of {args.rounds} alternating rounds" if args.rounds > 1 else ""
    print(f"load average {os.getloadavg()[0]:.1f}; 1024x1024, best of {args.repeat}{rounds}, milliseconds")
    floor = native["Real"]
    print(f"{'case':<36}{'native':>10}{'DT2 2.0.1':>12}{'speed-up':>10}{'native - floor':>16}")
    for label in native:
        n, d = native[label], theirs.get(label, "missing")
        if isinstance(n, str) or isinstance(d, str):
            print(f"{label:<36}{n if isinstance(n, str) else f'{n:.2f}'}  |  {d if isinstance(d, str) else f'{d:.2f}'}")
            continue
        mark = "" if d / n >= 1.5 else "  <1.5"
        print(f"{label:<36}{n:>10.2f}{d:>12.2f}{d / n:>9.1f}x{n - floor:>16.2f}{mark}")


if __name__ == "__main__":
    main()
