#!/usr/bin/env python3
"""DeepTrack2-style pipelines, written as DeepTrack2 users write them (lambdas over ``np.random``),
timed under DeepTrack2 or under deeptrack_native: the Python side of benches/compare_deeptrack2.py,
which runs this file with the interpreter of each virtual environment.

    python dt2_style.py MODULE time SCALE BUDGET MAX_RUN
    python dt2_style.py MODULE memory

MODULE is ``deeptrack`` or ``deeptrack_native`` (the same code runs on both: only the import
differs). SCALE is ``full`` or ``smoke`` (small sizes, to check that everything runs). BUDGET is the
time spent per case (seconds); a case whose single run is predicted to exceed MAX_RUN seconds is
skipped. Prints one JSON line per case: ``{"case", "group", "median_s", "runs"}`` (``median_s`` null
and a ``note`` when the case is skipped or the module lacks a feature).
"""

import importlib
import json
import logging
import math
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402

MODULE = sys.argv[1]
dt = importlib.import_module(MODULE)
NATIVE = MODULE == "deeptrack_native"


def emit(case, group, median_s, runs=0, note=None, **extra):
    line = {"case": case, "group": group, "median_s": median_s, "runs": runs, **extra}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def peak_rss_kib():
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM:")).split()[1])


# -- the pipelines, as a DeepTrack2 user writes them ------------------------------------------------


class Particle(dt.Feature):
    def get(self, image, **kwargs):
        return image


def repeated(n):
    particle = Particle(position=lambda: np.random.rand(2) * 256)
    other = Particle(position=lambda: np.random.rand(2) * 256)
    return (particle ^ n) >> other


def fluorescence(n, upscale=1):
    return dt.Fluorescence(NA=0.8, wavelength=680e-9, magnification=10, resolution=1e-6, output_region=(0, 0, n, n),
                           upscale=upscale)


def brightfield(n, upscale=1):
    return dt.Brightfield(NA=0.7, wavelength=532e-9, magnification=1, resolution=0.1e-6, output_region=(0, 0, n, n),
                          upscale=upscale)


def random_sphere(n, r0, r1, **contrast):
    return dt.Sphere(position=lambda: np.random.rand(2) * n, radius=lambda: r0 + np.random.rand() * (r1 - r0),
                     **contrast)


def ellipse(**contrast):
    return dt.Ellipse(position=(64, 64), radius=(1.5e-6, 0.7e-6), rotation=0.4, **contrast)


def point(n):
    return dt.PointParticle(position=lambda: np.random.rand(2) * n, intensity=100)


def mie_brightfield(n):
    """A MieSphere of random position, depth, radius and refractive index in Brightfield, as DeepTrack2's
    particle-sizing tutorial draws it (DTEx203)."""
    particle = dt.MieSphere(position=lambda: n / 2 + np.random.rand(2) * 4 - 2, z=lambda: np.random.randn() * 2,
                            radius=lambda: 1e-7 + 3e-7 * np.random.rand(),
                            refractive_index=lambda: np.random.rand() * 0.3 + 1.37, L=8, position_unit="pixel")
    optics = dt.Brightfield(NA=0.8, wavelength=633e-9, resolution=1e-6, magnification=15,
                            output_region=(0, 0, n, n))
    return optics(particle)


def aberrated_fluorescence(n):
    """Point particles in Fluorescence through a pupil with random defocus and astigmatism."""
    pupil = dt.Defocus(coefficient=lambda: np.random.uniform(-1, 1)) >> dt.Astigmatism(
        coefficient=lambda: np.random.uniform(-0.5, 0.5))
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, magnification=10, resolution=1e-6,
                             output_region=(0, 0, n, n), pupil=pupil)
    return optics(point(n) ^ 5)


def callables_pipeline():
    """The batch case: every property a lambda over np.random."""
    particle = dt.PointParticle(position=lambda: np.random.rand(2) * 64, intensity=lambda: 50 + 50 * np.random.rand())
    return dt.Fluorescence(output_region=(0, 0, 64, 64))(particle ^ 100) >> dt.Poisson(snr=100)


def spheres(n, size):
    sphere = dt.Sphere(
        position=lambda: np.random.rand(2) * size, radius=lambda: 0.5e-6 + 1.5e-6 * np.random.rand(), intensity=100
    )
    return fluorescence(size)(sphere ^ n)


def add_stored(n):
    pipe = dt.Add(value=lambda: np.random.rand()) ^ n
    pipe.store_properties()
    return pipe


def movie(frames, n, size):
    """A time-lapse (issue 15): ``n`` point particles diffusing (a normal step of 1 pixel per axis and
    frame, a lambda over np.random as DeepTrack2 users write it) imaged for ``frames`` frames."""
    sequences = importlib.import_module(f"{MODULE}.sequences")
    particle = dt.PointParticle(position=lambda: np.random.rand(2) * size, intensity=100)
    sequences.Sequential(particle, position=lambda previous_value: previous_value + np.random.randn(2))
    return sequences.Sequence(fluorescence(size)(particle ^ n), sequence_length=frames)


def feature(name, *args, **kwargs):
    """A feature DeepTrack2 may lack (SumPooling is 2.0.2's): None when the module has no such class."""
    cls = getattr(dt, name, None)
    return None if cls is None else cls(*args, **kwargs)


# -- timing -----------------------------------------------------------------------------------------


def measure(run, budget):
    """The median time of ``run()`` (after a warm-up run) over about ``budget`` seconds, and the runs
    timed. Fast runs are timed in blocks of about 20 µs (a sample is a block's mean); a run longer than
    a third of the budget is timed once more after the warm-up."""
    t = time.perf_counter()
    run()
    first = time.perf_counter() - t
    if first > budget / 3:
        t = time.perf_counter()
        run()
        return time.perf_counter() - t, 1
    block = max(1, min(1000, int(20e-6 / max(first, 1e-9))))
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 100000):
        t = time.perf_counter()
        for _ in range(block):
            run()
        times.append((time.perf_counter() - t) / block)
    times.sort()
    return times[len(times) // 2], len(times) * block


def cycle(pipe, inp=None):
    """DeepTrack2's way to draw a new image: update, then resolve."""
    if inp is None:
        return lambda: pipe.update().resolve()
    return lambda: pipe.update().resolve(inp)


def predicted(done, n):
    """The time of one run at size ``n`` extrapolated from ``done`` [(size, seconds)]: with the growth
    exponent of the last two sizes (at least 1), or linearly from one."""
    if not done:
        return None
    (n1, t1), (n2, t2) = (done[-2] if len(done) > 1 else done[-1]), done[-1]
    exponent = 1.0
    if n2 > n1 and t1 > 0 and t2 > 0:
        exponent = max(1.0, math.log(t2 / t1) / math.log(n2 / n1))
    return t2 * (n / n2) ** exponent


def timed(case, group, make, run_of, budget, **extra):
    """Builds and times one case; a missing feature or an error is reported, not raised."""
    try:
        pipe = make()
        if pipe is None:
            return emit(case, group, None, note=f"not in {MODULE}", **extra)
        median, runs = measure(run_of(pipe), budget)
    except Exception as e:  # noqa: BLE001 - the report says what failed
        return emit(case, group, None, note=f"{type(e).__name__}: {e}"[:200], **extra)
    emit(case, group, median, runs, **extra)
    return median


def series(label, group, make, run_of, sizes, budget, max_run, commas=True):
    """One case per size, in increasing order, skipping the sizes predicted to take over ``max_run``
    seconds per run."""
    done = []
    for n in sizes:
        case = label.format(n=f"{n:,}" if commas else n)
        guess = predicted(done, n)
        if guess is not None and guess > max_run:
            emit(case, group, None, note=f"skipped: about {guess:.3g} s per run predicted", series=label, n=n)
            continue
        median = timed(case, group, lambda: make(n), run_of, budget, series=label, n=n)
        if median is None:
            break
        done.append((n, median))


def main_time(smoke, budget, max_run):
    x = np.zeros((4, 4))
    # The cases of benches/pipelines.rs (same names): the first table of the report.
    for name, make, inp in [
        ("trivial feature: update + resolve", lambda: dt.Add(value=lambda: np.random.rand()), x),
        ("(particle ^ 100) >> other", lambda: repeated(100), x),
        ("100 point particles, Fluorescence 64x64, Poisson", lambda: fluorescence(64)(point(64) ^ 100) >> dt.Poisson(snr=100), None),
        ("10 point particles, Fluorescence 256x256", lambda: fluorescence(256)(point(256) ^ 10), None),
        ("Sphere, Fluorescence 128x128",
         lambda: fluorescence(128)(dt.Sphere(position=(64, 64), radius=1e-6, intensity=100)), None),
        ("Sphere, Brightfield 256x256",
         lambda: dt.Brightfield(NA=0.7, wavelength=532e-9, magnification=1, resolution=0.1e-6,
                                output_region=(0, 0, 256, 256))(
             dt.Sphere(position=(128, 128), radius=0.5e-6, refractive_index=1.45)), None),
        ("10 point particles, Fluorescence 256x256, upscale 2", lambda: fluorescence(256, 2)(point(256) ^ 10), None),
        ("Sphere, Fluorescence 128x128, upscale 2",
         lambda: fluorescence(128, 2)(dt.Sphere(position=(64, 64), radius=1e-6, intensity=100)), None),
        ("Ellipse, Fluorescence 128x128", lambda: fluorescence(128)(ellipse(intensity=100)), None),
        ("Ellipsoid, Fluorescence 128x128",
         lambda: fluorescence(128)(dt.Ellipsoid(position=(64, 64), radius=(1.2e-6, 0.6e-6, 0.8e-6),
                                                rotation=(0.3, 0.2, 0.1), intensity=100)), None),
        ("5 spheres of random radius, Brightfield 256x256",
         lambda: brightfield(256)(random_sphere(256, 0.3e-6, 0.8e-6, refractive_index=1.45) ^ 5), None),
        ("Ellipse, Brightfield 128x128", lambda: brightfield(128)(ellipse(refractive_index=1.45)), None),
        ("Sphere, Brightfield 128x128, upscale 2",
         lambda: brightfield(128, 2)(dt.Sphere(position=(64, 64), radius=0.5e-6, refractive_index=1.45)), None),
        ("10 spheres of random radius, Brightfield 256x256",
         lambda: brightfield(256)(random_sphere(256, 0.3e-6, 0.8e-6, refractive_index=1.45) ^ 10), None),
        ("20 ellipsoids of random radii, Fluorescence 256x256",
         lambda: fluorescence(256)(dt.Ellipsoid(position=lambda: np.random.rand(2) * 256,
                                                radius=lambda: 0.3e-6 + np.random.rand(3) * 0.9e-6,
                                                rotation=lambda: np.random.rand(3) * 3, intensity=100) ^ 20), None),
        ("5 spheres of random radius, Fluorescence 128x128, upscale 2",
         lambda: fluorescence(128, 2)(random_sphere(128, 0.5e-6, 1.5e-6, intensity=100) ^ 5), None),
        ("5 large spheres of random radius, Brightfield 256x256",
         lambda: brightfield(256)(random_sphere(256, 1e-6, 2e-6, refractive_index=1.45) ^ 5), None),
        ("50-frame movie of 10 diffusing particles, Fluorescence 64x64", lambda: movie(50, 10, 64), None),
    ]:
        timed(name, "pipelines", make, lambda pipe, inp=inp: cycle(pipe, inp), budget)
    # Issue 14's optics (target: 20x DeepTrack2 2.0.1).
    frame = 128 if not smoke else 32
    for name, make in [
        (f"MieSphere (random), Brightfield {frame}x{frame}", lambda: mie_brightfield(frame)),
        (f"5 point particles, Fluorescence {frame}x{frame}, random Defocus >> Astigmatism pupil",
         lambda: aberrated_fluorescence(frame)),
    ]:
        timed(name, "optics", make, cycle, budget)
    series("(particle ^ {n}) >> other", "pipelines", repeated, lambda pipe: cycle(pipe, x),
           (1000, 10000) if not smoke else (1000,), budget, max_run, commas=False)

    # Marginal cost per particle.
    sizes = (1000, 10000, 100000) if not smoke else (30, 300)
    frame = 256 if not smoke else 64
    series(f"Fluorescence {frame}x{frame}, PointParticle ^ {{n}}", "scaling",
           lambda n: fluorescence(frame)(point(frame) ^ n), cycle, sizes, budget, max_run)
    series("Add ^ {n}, stored properties", "scaling", add_stored, lambda pipe: cycle(pipe, x), sizes, budget, max_run)

    # Whole-image operations on a large image (2-D; AverageBlur on (H, W, 1), which 2.0.1 needs).
    side = 2048 if not smoke else 128
    rng = np.random.default_rng(1)
    flat = rng.random((side, side))
    deep = flat[..., None].copy()
    for name, make, inp in [
        ("GaussianBlur(sigma=2) >> NormalizeStandard", lambda: dt.GaussianBlur(sigma=2) >> dt.NormalizeStandard(), flat),
        ("AverageBlur(ksize=3)", lambda: dt.AverageBlur(ksize=3), deep),
        ("MaxPooling(ksize=4)", lambda: dt.MaxPooling(ksize=4), flat),
        ("MinPooling(ksize=4)", lambda: dt.MinPooling(ksize=4), flat),
        ("AveragePooling(ksize=4)", lambda: dt.AveragePooling(ksize=4), flat),
        ("SumPooling(ksize=4)", lambda: feature("SumPooling", ksize=4), flat),
        ("NormalizeMinMax", lambda: dt.NormalizeMinMax(), flat),
        ("NormalizeStandard", lambda: dt.NormalizeStandard(), flat),
    ]:
        shape = "x".join(map(str, inp.shape))
        timed(f"{name}, {shape}", "images", make, lambda pipe, inp=inp: cycle(pipe, inp), budget)
    frame = 256 if not smoke else 64
    timed(f"20 spheres of random radius, Fluorescence {frame}x{frame}", "images", lambda: spheres(20, frame), cycle,
          budget)

    # A batch of a pipeline with Python callables: DeepTrack2's loop against the package's batches.
    # 256 images, a realistic batch (a few training steps' worth): a process batch pays a fixed cost
    # per worker (fork, then copy-on-write of the pages each process writes), which 64 small images
    # (60 ms) make a large share of; every row of the table uses the same size.
    count = 256 if not smoke else 4
    label = f"batch of {count} (100 particles, 64x64, lambdas over np.random)"

    def loop(pipe):
        return lambda: [pipe.update().resolve() for _ in range(count)]

    timed(f"{label}: plain loop", "batch", callables_pipeline, loop, budget)
    if NATIVE:
        for how, kwargs in [("1 thread", {"threads": 1}), ("2 threads", {"threads": 2}), ("2 processes", {"processes": 2})]:
            timed(f"{label}: resolve_batch, {how}", "batch", callables_pipeline,
                  lambda pipe, kw=kwargs: (lambda: pipe.resolve_batch(count, seed=1, **kw)), budget)


def main_memory():
    # The batch of the memory target: 64 images of 100 particles on 256x256, kept (as a batch does).
    pipe = fluorescence(256)(point(256) ^ 100) >> dt.Poisson(snr=100)
    images = np.stack([np.asarray(pipe.update().resolve()) for _ in range(64)])
    assert images.shape[0] == 64
    print(json.dumps({"case": "batch memory", "peak_rss_kib": peak_rss_kib()}), flush=True)


if __name__ == "__main__":
    checkout = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")
    if NATIVE and os.path.abspath(dt.__file__).startswith(checkout + os.sep):
        sys.exit(f"deeptrack_native was imported from the checkout ({dt.__file__}), not from an installed package")
    if sys.argv[2] == "memory":
        main_memory()
    else:
        main_time(sys.argv[3] == "smoke", float(sys.argv[4]), float(sys.argv[5]))
