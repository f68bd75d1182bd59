"""Mie scattering's coefficients and angular functions, as DeepTrack2's ``deeptrack.backend.mie``.

- ``coefficients(m, a, L)``: the coefficients a_l, b_l (l = 1..L) of a sphere of relative refractive
  index ``m`` (complex for an absorbing particle) and size parameter ``a``;
- ``stratified_coefficients(m, a, L)``: the same for concentric layers (``m`` and ``a`` lists, the
  innermost layer first);
- ``harmonics(x, L)``: the angular functions pi_l and tau_l at the cosines ``x``, each of shape
  ``(L, *x.shape)``.

Computed natively by libdeeptrack.
"""

import ctypes

import numpy as np

from .._core import call
from .._lib import lib

__all__ = ["coefficients", "stratified_coefficients", "harmonics"]


def _pointer(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _order(L, name):
    if isinstance(L, (bool, np.bool_)) or not isinstance(L, (int, np.integer)):
        raise TypeError(f"{name}: L must be an integer, got {type(L).__name__}")
    if L < 0:
        raise ValueError(f"{name}: L is {L}; the maximum order cannot be negative")
    return int(L)


def _layers(m, a, L, name):
    m = np.ascontiguousarray(np.atleast_1d(np.asarray(m, dtype=np.complex128)).ravel())
    a = np.ascontiguousarray(np.atleast_1d(np.asarray(a, dtype=np.float64)).ravel())
    if a.size == 0 or m.size != a.size:
        raise ValueError(f"{name}: {m.size} refractive indices for {a.size} radii; give one of each per layer")
    L = _order(L, name)
    an = np.empty(L, dtype=np.complex128)
    bn = np.empty(L, dtype=np.complex128)
    call(lib.deeptrack_mie_coefficients, _pointer(m), _pointer(a), a.size, L, _pointer(an), _pointer(bn))
    return an, bn


def coefficients(m, a, L):
    """The Mie coefficients (A, B) of orders 1..L of a sphere of relative refractive index ``m`` and
    size parameter ``a``: two complex arrays of shape ``(L,)``."""
    if np.ndim(m) != 0 or np.ndim(a) != 0:
        raise TypeError("coefficients: m and a are numbers (use stratified_coefficients for layers)")
    return _layers(m, a, L, "coefficients")


def stratified_coefficients(m, a, L):
    """The Mie coefficients (an, bn) of orders 1..L of a sphere of concentric layers: ``m[k]`` and
    ``a[k]`` are the relative refractive index and the outer size parameter of layer k, innermost
    first. Two complex arrays of shape ``(L,)``."""
    return _layers(m, a, L, "stratified_coefficients")


def harmonics(x, L):
    """The angular functions (PI, TAU) of orders 1..L at the cosines ``x`` of the polar angle: two
    float arrays of shape ``(L, *x.shape)``."""
    L = _order(L, "harmonics")
    if np.iscomplexobj(x):
        raise TypeError("harmonics: x must be real (cosines of the polar angle)")
    x = np.asarray(x, dtype=np.float64)
    flat = np.ascontiguousarray(x.ravel())
    pi = np.empty((L, *x.shape), dtype=np.float64)
    tau = np.empty((L, *x.shape), dtype=np.float64)
    call(lib.deeptrack_mie_harmonics, _pointer(flat), flat.size, L, _pointer(pi), _pointer(tau))
    return pi, tau
