"""The library's built-in motion rules as Python values (``sequences.brownian``, ``drift``,
``increment``): each is a :class:`MotionRule` that ``Sequential(feature, key=rule)`` turns into the
library's rule (``deeptrack_rule_brownian``, ...), so that a movie of diffusing particles holds no
Python callable: it renders on the library's threads, and ``resolve_batch`` draws from the library's
seeded streams.

Kept apart from ``sequences`` so that ``features._rule`` can recognise the rules without importing
the ``sequences`` module (which imports ``features``)."""

import math
from ctypes import c_double

import numpy as np

from . import _core, units
from ._lib import lib


class MotionRule:
    """A built-in step rule of a sequential property: each step moves ``previous_value`` (a number, or
    every element of an array or list such as a position). Made by :func:`brownian`, :func:`drift` or
    :func:`increment`; the same object may serve several properties (each gets a rule of its own)."""

    def __init__(self, description, make):
        self._description = description
        self._make = make
        # Made once here so that bad arguments raise at once, where they are given.
        self._new_rule(None, None).release()

    def _new_rule(self, owner, key):
        """A new library rule (an owned handle) for property ``key`` of ``owner`` (None: no feature)."""
        return self._make(owner, key)

    def __repr__(self):
        return self._description


def _si(value, dimensionality, what):
    """``value`` as a float in SI units: a number as it is, a pint quantity converted (it must have
    ``dimensionality``; None: no quantity)."""
    if units.is_quantity(value):
        if dimensionality is None:
            raise TypeError(f"{what} must be a number, got the quantity {value}")
        if value.dimensionality != units.registry().parse_units(dimensionality).dimensionality:
            raise ValueError(f"{what} must be a quantity of {dimensionality}, got {value}")
        value = value.to_base_units().magnitude
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {value!r}") from None


def _rule_handle(fn, *args):
    return _core.new_handle(fn, *args, free=lib.deeptrack_rule_free)


def _constant(value):
    """A constant rule of ``value`` (an owned handle)."""
    v = _core.to_value(value, "the increment")
    return _rule_handle(lib.deeptrack_rule_constant, v.ptr)


def brownian(diffusion, dt=None, pixel_size=None):
    """Brownian diffusion of a position in pixels: every step adds to each coordinate a normal
    increment of standard deviation ``sqrt(2 * diffusion * dt) / pixel_size``.

    With ``dt`` (the frame interval, s) and ``pixel_size`` (m), ``diffusion`` is in m²/s (numbers in
    SI units, or pint quantities such as ``0.1 * units.um**2 / units.s``); without them, in pixels²
    per frame (``deeptrack_rule_brownian_pixels``). Negative or non-finite values, or a pixel size
    not above 0, raise :class:`InvalidArgumentError`."""
    if (dt is None) != (pixel_size is None):
        raise TypeError("brownian: give both dt (s) and pixel_size (m), or neither (diffusion in pixels² per frame)")
    if dt is None:
        d = _si(diffusion, None, "brownian: diffusion (pixels² per frame)")
        return MotionRule(
            f"brownian(diffusion={d!r})", lambda owner, key: _rule_handle(lib.deeptrack_rule_brownian_pixels, d)
        )
    d = _si(diffusion, "meter**2/second", "brownian: diffusion (m²/s)")
    t = _si(dt, "second", "brownian: dt (s)")
    px = _si(pixel_size, "meter", "brownian: pixel_size (m)")
    return MotionRule(
        f"brownian(diffusion={d!r}, dt={t!r}, pixel_size={px!r})",
        lambda owner, key: _rule_handle(lib.deeptrack_rule_brownian, d, t, px),
    )


def drift(velocity):
    """Directed motion: every step adds ``velocity`` (a number for every element, or one per element,
    e.g. ``(0.5, -1)`` pixels per frame for a position)."""
    v = np.atleast_1d(np.asarray(velocity, dtype=np.float64)).ravel()
    if v.size == 0:
        raise ValueError("drift: the velocity needs at least one number")
    data = (c_double * v.size)(*v)
    return MotionRule(
        f"drift(velocity={v.tolist()!r})", lambda owner, key: _rule_handle(lib.deeptrack_rule_drift, data, v.size)
    )


def increment(step=None, *, normal=None, uniform=None):
    """Every step adds a draw of an increment to the previous value. Exactly one of:

    - ``normal=(mean, std)``: a normal draw for every element (``deeptrack_rule_normal``);
    - ``uniform=(low, high)``: a uniform draw in ``[low, high)`` for every element, or per element
      when ``low`` and ``high`` are sequences (``deeptrack_rule_uniform``/``_uniform_array``);
    - ``step``: a constant (a number, or an array added element by element), or a callable without
      arguments drawing one (called at every step; it makes the pipeline hold Python)."""
    given = [name for name, v in (("step", step), ("normal", normal), ("uniform", uniform)) if v is not None]
    if len(given) != 1:
        raise TypeError(f"increment: give exactly one of step, normal=(mean, std) or uniform=(low, high), got {given}")
    if normal is not None:
        mean, std = (float(x) for x in normal)
        if not (math.isfinite(mean) and math.isfinite(std) and std >= 0):
            raise ValueError(f"increment: normal needs a finite mean and a finite std at least 0, got {normal!r}")
        inner = lambda owner, key: _rule_handle(lib.deeptrack_rule_normal, mean, std)  # noqa: E731
        description = f"increment(normal=({mean!r}, {std!r}))"
    elif uniform is not None:
        low, high = (np.atleast_1d(np.asarray(x, dtype=np.float64)).ravel() for x in uniform)
        if low.shape != high.shape:
            raise ValueError(f"increment: uniform's low and high must have the same length, got {uniform!r}")
        if low.size == 1 and np.ndim(uniform[0]) == 0 and np.ndim(uniform[1]) == 0:
            lo, hi = float(low[0]), float(high[0])
            inner = lambda owner, key: _rule_handle(lib.deeptrack_rule_uniform, lo, hi)  # noqa: E731
        else:
            lows, highs = (c_double * low.size)(*low), (c_double * high.size)(*high)
            inner = lambda owner, key: _rule_handle(lib.deeptrack_rule_uniform_array, lows, highs, low.size)  # noqa: E731
        description = f"increment(uniform=({low.tolist()!r}, {high.tolist()!r}))"
    else:
        from .features import _rule

        def inner(owner, key):
            if callable(step) and not isinstance(step, np.ndarray):
                if owner is None:  # the check at construction: the callable is called at the steps
                    return _constant(0.0)
                return _rule(step, owner, key)
            return _constant(step)

        description = f"increment({step!r})"

    def make(owner, key):
        return _rule_handle(lib.deeptrack_rule_increment, inner(owner, key).release())

    return MotionRule(description, make)
