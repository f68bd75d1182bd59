"""Bessel and Riccati-Bessel functions, as DeepTrack2's ``deeptrack.backend.polynomials``.

Each function takes an order ``l`` (a real number or an array of them) and points ``x`` (real or
complex numbers, or arrays of them), broadcast together as numpy does, and returns a numpy scalar for
scalar inputs and an array otherwise. A real ``x`` gives scipy's real functions (float64, NaN where
they are undefined, as for a negative argument of a non-integer order), a complex ``x`` the analytic
ones on their principal branches (complex128); ``ricbesh`` and ``dricbesh`` are always complex. The
values are computed natively (Amos's algorithm for complex arguments, as scipy.special uses).
"""

import ctypes

import numpy as np

from .._core import call
from .._lib import lib

__all__ = [
    "besselj",
    "dbesselj",
    "bessely",
    "dbessely",
    "ricbesj",
    "dricbesj",
    "ricbesy",
    "dricbesy",
    "ricbesh",
    "dricbesh",
]

# The DEEPTRACK_BESSEL_* codes of deeptrack_bessel_evaluate.
_CODES = {name: code for code, name in enumerate(__all__)}
_ALWAYS_COMPLEX = {"ricbesh", "dricbesh"}


def _pointer(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _evaluate(name, l, x):
    if np.iscomplexobj(l):
        raise TypeError(f"{name}: the order must be real, got {np.asarray(l).dtype}")
    orders = np.asarray(l, dtype=np.float64)
    x = np.asarray(x)
    if x.dtype.kind not in "biufc":
        raise TypeError(f"{name}: x must be numbers, got {x.dtype}")
    real = x.dtype.kind != "c"
    orders, x = np.broadcast_arrays(orders, x.astype(np.float64 if real else np.complex128, copy=False))
    shape = x.shape
    orders = np.ascontiguousarray(orders, dtype=np.float64)
    x = np.ascontiguousarray(x)
    out = np.empty(shape, dtype=np.complex128)
    call(lib.deeptrack_bessel_evaluate, _CODES[name], _pointer(orders), _pointer(x), x.size, real, _pointer(out))
    if real and name not in _ALWAYS_COMPLEX:
        out = out.real.copy()
    return out[()] if out.ndim == 0 else out


def besselj(l, x):
    """The Bessel function of the first kind, J_l(x) (scipy's ``jv``)."""
    return _evaluate("besselj", l, x)


def dbesselj(l, x):
    """The first derivative of the Bessel function of the first kind, (J_{l-1}(x) - J_{l+1}(x)) / 2."""
    return _evaluate("dbesselj", l, x)


def bessely(l, x):
    """The Bessel function of the second kind, Y_l(x) (scipy's ``yv``)."""
    return _evaluate("bessely", l, x)


def dbessely(l, x):
    """The first derivative of the Bessel function of the second kind, (Y_{l-1}(x) - Y_{l+1}(x)) / 2."""
    return _evaluate("dbessely", l, x)


def ricbesj(l, x):
    """The Riccati-Bessel function of the first kind, sqrt(pi x / 2) J_{l+1/2}(x)."""
    return _evaluate("ricbesj", l, x)


def dricbesj(l, x):
    """The first derivative of the Riccati-Bessel function of the first kind."""
    return _evaluate("dricbesj", l, x)


def ricbesy(l, x):
    """The Riccati-Bessel function of the second kind, -sqrt(pi x / 2) Y_{l+1/2}(x)."""
    return _evaluate("ricbesy", l, x)


def dricbesy(l, x):
    """The first derivative of the Riccati-Bessel function of the second kind."""
    return _evaluate("dricbesy", l, x)


def ricbesh(l, x):
    """The Riccati-Bessel function of the third kind, sqrt(pi x / 2) H1_{l+1/2}(x) (complex)."""
    return _evaluate("ricbesh", l, x)


def dricbesh(l, x):
    """The first derivative of the Riccati-Bessel function of the third kind (complex)."""
    return _evaluate("dricbesh", l, x)
