#!/usr/bin/env python3
"""Generating a training set to Zarr against the batch API alone, on all cores: N 128x128 images of
5-20 particles with their ground truth, written by `deeptrack_native.data.generate` (images chunked by
item, the table as CSV), against `resolve_batch(processes=0)` rendering the same items in the same
blocks and dropping them. The issue's target: generate within 10% of the batch API.

    python3 benches/generate_zarr.py            # N = 10,000 (minutes, on every core)
    python3 benches/generate_zarr.py -n 200     # a quick check
    python3 benches/generate_zarr.py -n 2000 --dtype float64   # the images stored as float64

It reports wall time and CPU time (this process and its worker processes, from getrusage): on a
shared machine the CPU times compare the work done, the wall times only the machine's load.
It uses every core: do not run it at full size on a shared machine while others work.
Where the difference went (issue 17 item 5; 2-core machine, per 400 items, CPU): rendering ~0.48 s,
the same on both sides. Before: writing ~0.35 s, of which the images' float64 bytes ~0.12 s, Zarr's
per-chunk encoding ~0.08 s, the ground-truth table read through ctypes ~0.12 s, its CSV parts ~0.02 s
(generate / batch CPU 1.38 at N = 2,000). Now: images stored as float32 (half the bytes; `dtype=`
chooses float64 or camera counts), the table read in one library call per image
(`deeptrack_image_table_json`, ~0.035 s with building the rows), the Zarr shards written as files in
zarr's layout (~0.01-0.05 s with the file system's work, against ~0.06 s through zarr's API), the
float32 stacks ~0.02 s, CSV ~0.02 s: about 0.1 s per 400 items over the rendering, which the batch
API spends too, handing its images back from its worker processes (CPU ratio ~1.00 at N = 2,000;
docs/benchmarks.md has the figures).

deeptrack_native is taken from python/ with the library it finds (DEEPTRACK_LIBRARY, or the last
`cargo build --lib --features mimalloc`; build --release for the real numbers); run it with a Python
that has numpy and zarr (target/pyvenv).
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402

import deeptrack_native as dt  # noqa: E402
from deeptrack_native import _forked, data  # noqa: E402

SIZE = 128


def pipeline():
    """5-20 point particles at random positions and intensities through Fluorescence, with Poisson
    noise, as DeepTrack2 users write it (Python callables: rendered by worker processes)."""
    particle = dt.PointParticle(
        position=lambda: np.random.rand(2) * SIZE, intensity=lambda: 50 + 100 * np.random.rand()
    )
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, SIZE, SIZE))
    pipe = optics(particle ^ (lambda: np.random.randint(5, 21))) >> dt.Poisson(snr=50)
    pipe.store_properties()
    return pipe


def cpu_seconds():
    """CPU time of this process and of its children that have ended (the batch's forked workers,
    which leave on their own, are reaped first so that theirs counts)."""
    _forked._reap(True)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="items (default 10,000)")
    parser.add_argument("--dtype", default="float32", help="the stored type (default float32; float64 as before)")
    args = parser.parse_args()
    pipe = pipeline()
    seed = 1
    pipe.resolve_batch(4, seed=seed)  # warm up (FFT plans, caches)
    import zarr  # noqa: F401 - imported once, before either is timed
    block = data.generate.__globals__["_BLOCK"]

    c0, t0 = cpu_seconds(), time.perf_counter()
    for start in range(0, args.n, block):
        pipe.resolve_batch(min(block, args.n - start), seed=seed, first=start, processes=0)
    batch, batch_cpu = time.perf_counter() - t0, cpu_seconds() - c0

    out = tempfile.mkdtemp(prefix="deeptrack-bench-")
    try:
        c0, t0 = cpu_seconds(), time.perf_counter()
        data.generate(pipe, args.n, os.path.join(out, "train.zarr"), seed=seed, progress=False, dtype=args.dtype)
        generate, generate_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        rows = len(data.load(os.path.join(out, "train.zarr")).table["item"])
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"{args.n} images of {SIZE}x{SIZE} ({args.dtype}) with {rows} ground-truth rows, {os.cpu_count()} cores")
    print(f"  resolve_batch alone     {batch:8.2f} s  ({args.n / batch:8.1f} images/s), CPU {batch_cpu:8.2f} s")
    print(f"  generate to Zarr        {generate:8.2f} s  ({args.n / generate:8.1f} images/s), CPU {generate_cpu:8.2f} s")
    print(f"  generate / batch        {generate / batch:8.3f}  (target: at most 1.10), CPU {generate_cpu / batch_cpu:.3f}")


if __name__ == "__main__":
    main()
