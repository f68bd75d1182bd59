"""The centre of radial symmetry of a 2-D intensity distribution, as DeepTrack2's
``deeptrack.extras.radialcenter`` (Parthasarathy's method, Nature Methods 9, 2012), computed natively
by libdeeptrack (``deeptrack_radial_center``)."""

import ctypes

import numpy as np

from .._core import call
from .._lib import lib

__all__ = ["radialcenter"]


def radialcenter(I, invert_xy=False):
    """The centre ``(x, y)`` of radial symmetry of the image ``I``: ``x`` along a row (the column
    coordinate), ``y`` down the rows, in pixels from the centre of the top-left pixel, as two numpy
    floats; ``(y, x)`` with ``invert_xy``. ``I`` is squeezed first, so an ``(H, W, 1)`` image works; it
    must then be 2-D, real and at least 2×2. An image without any gradient gives NaN, as in DeepTrack2.
    """
    data = np.squeeze(np.asarray(I))
    if data.ndim != 2:
        raise ValueError(f"radialcenter: expected a 2-D image (after squeezing), got shape {np.shape(I)}")
    if np.iscomplexobj(data):
        raise TypeError("radialcenter: the image must be real, got a complex array")
    data = np.ascontiguousarray(data, dtype=np.float64)
    x, y = ctypes.c_double(), ctypes.c_double()
    call(
        lib.deeptrack_radial_center,
        data.ctypes.data_as(ctypes.c_void_p),
        data.shape[0],
        data.shape[1],
        ctypes.byref(x),
        ctypes.byref(y),
    )
    if invert_xy:
        return np.float64(y.value), np.float64(x.value)
    return np.float64(x.value), np.float64(y.value)
