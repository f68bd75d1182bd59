"""Random draws for property callables, reproducible under ``feature.seed(n)``.

Inside a property callable (``position=lambda: dt.random.rand(2) * 256``) these functions draw from the
generator of the pipeline being resolved, so seeding the pipeline makes them reproducible on any
machine, and every item of ``resolve_batch`` depends only on (pipeline, seed, item). Outside a callable
they fall back to numpy's global generator (``np.random``), so the same code also runs on its own.
The signatures follow ``numpy.random``.

Bare ``np.random`` in a callable draws from numpy's global state, as in DeepTrack2: ``resolve`` is
reproducible only through ``np.random.seed``. ``resolve_batch`` of a pipeline with Python callables
seeds that global state (and the ``random`` module's) from (seed, item) before each item and restores
it afterwards, so such callables give reproducible items in batches too, on any number of processes.
"""

import math
from ctypes import byref, c_double

import numpy as np

from . import _core
from ._lib import lib

__all__ = ["rand", "randn", "random", "uniform", "normal", "randint", "choice"]


def _context():
    stack = _core.current_contexts()
    return stack[-1] if stack else None


def _draw(ctx, fn):
    out = c_double()
    _core.call(fn, ctx, byref(out))
    return out.value


def _fill(ctx, fn, size):
    if size is None:
        return _draw(ctx, fn)
    shape = (size,) if isinstance(size, int) else tuple(size)
    n = math.prod(shape)
    return np.array([_draw(ctx, fn) for _ in range(n)], dtype=np.float64).reshape(shape)


def random(size=None):
    """Floats from U[0, 1); a float when ``size`` is None, else an array of that shape."""
    ctx = _context()
    if ctx is None:
        return np.random.random(size)
    return _fill(ctx, lib.deeptrack_context_uniform, size)


def rand(*shape):
    """``rand(d0, d1, ...)``: floats from U[0, 1) of that shape (a float without arguments)."""
    return random(shape if shape else None)


def randn(*shape):
    """``randn(d0, d1, ...)``: standard normal floats of that shape (a float without arguments)."""
    return normal(0.0, 1.0, shape if shape else None)


def uniform(low=0.0, high=1.0, size=None):
    """Floats from U[low, high)."""
    if _context() is None:
        return np.random.uniform(low, high, size)
    return low + (np.asarray(high) - low) * random(size) if size is not None else low + (high - low) * random()


def normal(loc=0.0, scale=1.0, size=None):
    """Floats from N(loc, scale²)."""
    ctx = _context()
    if ctx is None:
        return np.random.normal(loc, scale, size)
    return loc + scale * _fill(ctx, lib.deeptrack_context_normal, size)


def randint(low, high=None, size=None):
    """Integers from [low, high) (from [0, low) when ``high`` is None)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: empty range [{low}, {high})")
    if _context() is None:
        return np.random.randint(low, high, size)
    u = random(size)
    values = np.minimum(np.floor(low + (high - low) * np.asarray(u)), high - 1).astype(np.int64)
    return int(values) if size is None else values


def choice(seq):
    """One element of ``seq``, uniformly."""
    if len(seq) == 0:
        raise ValueError("choice: empty sequence")
    if _context() is None:
        return seq[np.random.randint(len(seq))]
    return seq[randint(len(seq))]
