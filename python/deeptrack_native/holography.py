"""DeepTrack2's ``holography``: transforms of optical fields (``Rescale``, ``FourierTransform``,
``InverseFourierTransform``) and the angular-spectrum propagation matrix (``get_propagation_matrix``).
The classes come from libdeeptrack's registry of kinds (its kinds of module ``holography``), so every
kind the library registers there appears here."""

from ctypes import byref, c_void_p

import numpy as np

from . import _core
from ._lib import lib
from .features import classes_of

globals().update(classes_of("holography"))


def get_propagation_matrix(shape, to_z, pixel_size, wavelength, dx=0, dy=0):
    """The transfer function of free space over ``to_z`` for a field of ``shape`` (rows, columns, ...),
    shifted laterally by ``dx`` (columns) and ``dy`` (rows), in FFT order: a complex ``(rows, columns)``
    array, as DeepTrack2's ``get_propagation_matrix`` (libdeeptrack's
    ``deeptrack_holography_propagation_matrix``)."""
    rows, cols = (int(n) for n in tuple(shape)[:2])
    out = c_void_p()
    _core.call(
        lib.deeptrack_holography_propagation_matrix,
        rows,
        cols,
        float(to_z),
        float(pixel_size),
        float(wavelength),
        float(dx),
        float(dy),
        byref(out),
    )
    view = _core.from_library_image(_core.owned_image(out.value))
    return np.array(view)


from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.holography import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .image import maybe_cupy  # noqa: F401,E402  (DeepTrack2's holography imports it)

__all__ = sorted([*classes_of("holography"), "get_propagation_matrix"])
